"""What importing the package does before anything else: OpenBLAS's thread count."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.core.config import BLAS_THREADS

_PROBE = """
import json, os
import bot.cli, numpy
tasks = os.listdir("/proc/self/task") if os.path.isdir("/proc/self/task") else None
print(json.dumps([os.environ.get("OPENBLAS_NUM_THREADS"), None if tasks is None else len(tasks)]))
"""


def _probe(**setting: str) -> tuple[str | None, int | None]:
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"} | setting
    done = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, env=env, check=True,
                          cwd=Path(__file__).resolve().parents[1])
    value, threads = json.loads(done.stdout)
    return value, threads


def test_numpy_loads_with_the_configured_blas_threads() -> None:
    """A start that imports the CLI (and so numpy) leaves OpenBLAS at BLAS_THREADS: with one,
    the process has no thread besides its own."""
    value, threads = _probe()
    assert value == str(BLAS_THREADS)
    if threads is None:
        pytest.skip("no /proc/self/task to count threads")
    if BLAS_THREADS == 1:
        assert threads == 1


def test_a_blas_thread_count_set_by_the_user_is_kept() -> None:
    assert _probe(OPENBLAS_NUM_THREADS="2")[0] == "2"
