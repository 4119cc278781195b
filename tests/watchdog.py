"""A hang guard for the tests of super-linear inputs (not a timing: the guard is many times
what the work costs even in a fresh interpreter, so it fails only when the cost is
effectively unbounded, as the old cubic splitter's was: 1,800 spaces took 35 s).

The code runs in a child interpreter, so a regular expression stuck in C code, which no
signal or thread can interrupt, is killed instead of freezing the suite.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HANG_SECONDS = 20.0
REPO = Path(__file__).resolve().parents[1]


def returns(code: str, seconds: float = HANG_SECONDS) -> bool:
    """Whether `python -c code` finishes (successfully) within `seconds`."""
    try:
        done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                              timeout=seconds, check=False)
    except subprocess.TimeoutExpired:
        return False
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    return True
