"""The vote chart: PNG bytes from the knowledge base, no pyplot, safe in worker threads."""

from __future__ import annotations

import struct
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bot.core.chart import METRICS, chart_source, render_vote_chart
from bot.core.engine import Engine

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
REPO = Path(__file__).resolve().parents[1]


def png_size(data: bytes) -> tuple[int, int]:
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.fixture(scope="module")
def charts(engine: Engine) -> dict[str, bytes]:
    return {metric: render_vote_chart(engine.kb, metric) for metric in METRICS}


@pytest.mark.parametrize("metric", sorted(METRICS))
def test_renders_a_png(charts: dict[str, bytes], metric: str) -> None:
    data = charts[metric]
    assert data.startswith(PNG_MAGIC)
    width, height = png_size(data)
    assert 600 <= width <= 1200 and 600 <= height <= 1200
    assert len(data) < 8 * 1024 * 1024, "under Discord's smallest upload limit"


def test_share_and_votes_differ(charts: dict[str, bytes]) -> None:
    assert charts["share"] != charts["votes"]


def test_same_bytes_from_parallel_worker_threads(engine: Engine, charts: dict[str, bytes]) -> None:
    # /chart draws in asyncio.to_thread: no pyplot state may leak between concurrent drawings.
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda _: render_vote_chart(engine.kb, "share"), range(2)))
    assert results == [charts["share"]] * 2


def test_unknown_metric(engine: Engine) -> None:
    with pytest.raises(ValueError, match="unknown metric 'seats'"):
        render_vote_chart(engine.kb, "seats")


def test_source_is_named(engine: Engine) -> None:
    source = chart_source(engine.kb)
    assert "Wikipedia" in source and "Regional strength" in source


def test_uses_no_pyplot_and_no_display() -> None:
    code = (
        "import sys\n"
        "from bot.core.engine import Engine\n"
        "from bot.core.chart import render_vote_chart\n"
        "render_vote_chart(Engine.load().kb)\n"
        "assert 'matplotlib.pyplot' not in sys.modules\n"
        "assert 'discord' not in sys.modules\n"
    )
    env = {"PATH": "", "MPLBACKEND": "", "DISPLAY": ""}
    subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=REPO)
