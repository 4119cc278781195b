"""The vote chart: PNG bytes from the knowledge base, no pyplot, safe in worker threads."""

from __future__ import annotations

import struct
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bot.core.chart import METRICS, chart_alt_text, chart_source, render_vote_chart
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


def test_the_alt_text_says_what_the_bars_show(engine: Engine) -> None:
    rows = engine.kb.table("constituencies").rows
    top = max(rows, key=lambda r: r["share"])
    bottom = min(rows, key=lambda r: r["share"])
    text = chart_alt_text(engine.kb, "share")
    assert f"each of the {len(rows)} constituencies" in text
    assert f"{top['name']} {float(top['share']):.2f}%" in text
    assert f"{bottom['name']} {float(bottom['share']):.2f}%" in text
    most = max(rows, key=lambda r: r["votes"])
    assert f"{most['name']} {int(most['votes']):,}" in chart_alt_text(engine.kb, "votes")
    assert len(text) <= 1024, "Discord's limit for an attachment description"
    with pytest.raises(ValueError, match="unknown metric"):
        chart_alt_text(engine.kb, "colour")
