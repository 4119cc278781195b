"""The 2013 results by constituency as a PNG bar chart (pure: no discord, no pyplot).

Built on `matplotlib.figure.Figure` with the Agg canvas rather than pyplot, so it keeps no
global state and is safe to call from a worker thread.
"""

from __future__ import annotations

import io
from typing import Any

from bot.core.knowledge import KnowledgeBase

METRICS: dict[str, str] = {"share": "Vote share (%)", "votes": "Votes"}
TABLE = "constituencies"


def render_vote_chart(kb: KnowledgeBase, metric: str = "share") -> bytes:
    """A sorted horizontal bar chart of the CNRP's 2013 `metric` by constituency, as PNG bytes.

    The national figure the source states is drawn as a line (for share) or named in the
    subtitle (for votes), next to the sum of the rows where the two disagree.
    """
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}: use {' or '.join(METRICS)}")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    table = kb.table(TABLE)
    rows = sorted(table.rows, key=lambda r: (r[metric], r["name"]))
    names = [str(r["name"]) for r in rows]
    values = [float(r[metric]) for r in rows]
    stated: dict[str, Any] = dict(table.meta.get("stated_totals") or {})

    fig = Figure(figsize=(8.0, 8.5), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    bars = ax.barh(names, values, color="#1f5fa8")
    ax.bar_label(bars, labels=[_fmt(v, metric) for v in values], padding=3, fontsize=8)
    ax.set_xlabel(METRICS[metric])
    ax.margins(x=0.12)
    ax.tick_params(axis="y", labelsize=9)
    ax.spines[["top", "right"]].set_visible(False)

    if metric == "share" and "share" in stated:
        national = float(stated["share"])
        ax.axvline(
            national,
            color="#c0392b",
            linestyle="--",
            linewidth=1.2,
            label=f"National share as stated: {national:.2f}%",
        )
        ax.legend(loc="lower right", frameon=False, fontsize=9)
    fig.suptitle(table.title, fontsize=12, fontweight="bold")
    ax.set_title(_subtitle(metric, stated, sum(r["votes"] for r in table.rows)), fontsize=9)
    fig.text(0.01, 0.01, chart_source(kb), fontsize=8, color="#555555")
    fig.tight_layout(rect=(0, 0.03, 1, 1))

    buffer = io.BytesIO()
    # No timestamp or software tag in the PNG, so the same data gives the same bytes.
    fig.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def _fmt(value: float, metric: str) -> str:
    return f"{value:.2f}%" if metric == "share" else f"{value:,.0f}"


def _subtitle(metric: str, stated: dict[str, Any], row_sum: int) -> str:
    if metric == "share":
        return "Sorted by share; the dashed line is the national share the source states"
    total = stated.get("votes")
    if total is None:
        return f"Sorted by votes; the rows add up to {row_sum:,}"
    if int(total) == row_sum:
        return f"Sorted by votes; national total {int(total):,}"
    return f"Sorted by votes; stated national total {int(total):,} (the rows add up to {row_sum:,})"


def chart_alt_text(kb: KnowledgeBase, metric: str = "share") -> str:
    """What the chart shows, in words, for people who cannot see it (an image's alt text)."""
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}: use {' or '.join(METRICS)}")
    rows = sorted(kb.table(TABLE).rows, key=lambda r: (-r[metric], r["name"]))
    if not rows:
        return "An empty bar chart: the results table has no rows."
    what = "vote share" if metric == "share" else "votes"
    top, bottom = rows[0], rows[-1]
    return (f"Bar chart of the CNRP's {what} in each of the {len(rows)} constituencies in 2013, "
            f"highest first: {top['name']} {_fmt(float(top[metric]), metric)} at the top, "
            f"{bottom['name']} {_fmt(float(bottom[metric]), metric)} at the bottom.")


def chart_source(kb: KnowledgeBase) -> str:
    """The chart's source, named as its caption says it: publisher, title and section."""
    rows = kb.table(TABLE).rows
    citation = rows[0].citation if rows else None
    if citation is None:
        return "Source: not cited"
    source = kb.sources.get(citation.source)
    if source is None:
        return f"Source: {citation.source}, section {citation.section}"
    return f"Source: {source.publisher}, “{source.title}”, section “{citation.section}”"
