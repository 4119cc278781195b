"""Benchmark, not a test: what `/misses` costs on a big store (printed, never asserted).

    python -m tests.bench_misses [--misses 6000]

Fills a scratch SQLite store with that many unrelated misses (random words, the worst case for
grouping: nothing groups, so every wording is a group of its own) plus a few related ones, then
times what `/misses` does: read one server's misses and feedback, group them, and write the
report. The same grouping done the earlier way (every remaining wording compared with each
group's head) is timed alongside.
"""

from __future__ import annotations

import argparse
import random
import string
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rapidfuzz import fuzz, process

from bot.core.misses import Miss, format_report, report
from bot.core.misses_sqlite import SqliteMissStore

SERVER = 1


def unrelated(count: int, seed: int = 1) -> list[str]:
    rng = random.Random(seed)
    words = ["".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(3, 9)))
             for _ in range(3000)]  # fmt: skip
    return [" ".join(rng.sample(words, rng.randint(3, 8))) for _ in range(count)]


def every_pair(texts: list[str], similarity: float = 75.0) -> int:
    """The earlier grouping: each head against every wording not yet grouped."""
    remaining = [text for text, _ in Counter(texts).most_common()]
    groups = 0
    while remaining:
        similar = process.extract(remaining[0], remaining, scorer=fuzz.token_set_ratio,
                                  processor=None, score_cutoff=similarity, limit=None)
        taken = {text for text, _, _ in similar} | {remaining[0]}
        remaining = [text for text in remaining if text not in taken]
        groups += 1
    return groups


def run(count: int) -> int:
    related = ["how many seats did cnrp win in 2013", "how many seats did the cnrp win 2013"]
    texts = [*unrelated(count), *related]
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix="cnrp-bench-misses-") as scratch:
        store = SqliteMissStore(Path(scratch) / "misses.sqlite3")
        started = time.perf_counter()
        for n, text in enumerate(texts):
            store.add(Miss(now - timedelta(minutes=n), text, "unknown", 0.3,
                           (("party.founders", 0.3),), server=SERVER))  # fmt: skip
        written = time.perf_counter() - started
        started = time.perf_counter()
        found = store.misses(SERVER)
        feedback = store.feedback(SERVER)
        read = time.perf_counter() - started
        started = time.perf_counter()
        grouped = report(found, feedback)
        text = format_report(grouped, limit_chars=1980)
        grouping = time.perf_counter() - started
        store.close()
    started = time.perf_counter()
    baseline_groups = every_pair(texts)
    baseline = time.perf_counter() - started
    print(f"{len(texts):,} misses ({len(grouped.groups):,} groups); report {len(text)} characters")
    print(f"write: {written:.2f} s ({written / len(texts) * 1e3:.2f} ms a miss, one transaction each)")
    print(f"/misses: read {read * 1e3:.0f} ms, group and report {grouping * 1e3:.0f} ms")
    print(f"earlier grouping (every pair): {baseline:.2f} s for {baseline_groups:,} groups "
          f"({baseline / max(grouping, 1e-9):.0f}× slower)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--misses", type=int, default=6000)
    args = parser.parse_args(argv)
    return run(args.misses)


if __name__ == "__main__":
    sys.exit(main())
