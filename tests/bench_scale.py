"""Benchmark, not a test: how the engine's cost grows with the size of the knowledge.

    python -m tests.bench_scale [--sizes 1 2 4 8]

Synthetic knowledge at k× the shipped one: every intent of knowledge/topics is cloned k − 1
times under a new id, each clone's question and phrasings with a word of its own appended
(so the vocabulary grows with the knowledge, as it would with real new intents). Tables,
sources and the fitted models are the shipped ones; the classifier knows no clone, so clones
are found by word overlap alone. The copies are built without the curator's validation (the
clones are near-duplicates on purpose) and with the size guard opened wide enough for them.

Each size runs in a fresh process, which loads the synthetic knowledge, answers the mixed
labelled questions twice (the second pass is timed: per-word caches are warm, as in a
running bot) and reports its peak RSS. The parent prints the curve and each size's cost
relative to 1×.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import string
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from bot.core.config import KnowledgeLimits
from bot.core.engine import Engine
from bot.core.knowledge import DEFAULT_ROOT, load_knowledge
from tests.bench import mixed_questions, peak_rss_mib

WIDE_OPEN = KnowledgeLimits(max_files=10_000, max_bytes=10**9, max_file_bytes=10**9, max_intents=100_000,
                            max_phrasings=10**7, max_index_cells=10**12)


def _letters(number: int) -> str:
    """A word of letters only for a number, so tokenising and stemming leave it whole."""
    word = ""
    while True:
        number, digit = divmod(number, 26)
        word = string.ascii_lowercase[digit] + word
        if number == 0:
            return word


def synthetic_knowledge(target: Path, times: int) -> Path:
    """knowledge/ with every intent cloned `times` − 1 times; returns the folder."""
    shutil.copytree(DEFAULT_ROOT, target)
    serial = 0
    for path in sorted((target / "topics").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        clones: list[dict[str, Any]] = []
        for intent in data["intents"]:
            for copy in range(1, times):
                serial += 1
                word = f"qz{_letters(serial)}"  # unique to this clone
                clone = dict(intent)
                clone["id"] = f"{intent['id']}_clone{_letters(copy)}"
                clone["question"] = f"{intent['question']} {word}"
                clone["phrasings"] = [f"{p} {word}" for p in intent.get("phrasings", [])]
                clones.append(clone)
        data["intents"].extend(clones)
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return target


def measure(times: int) -> dict[str, Any]:
    """One size, in this process: load, answer, and report."""
    questions = mixed_questions()
    with tempfile.TemporaryDirectory(prefix="cnrp-scale-") as scratch:
        root = synthetic_knowledge(Path(scratch) / "knowledge", times)
        started = time.perf_counter()
        kb, _ = load_knowledge(root, WIDE_OPEN)
        engine = Engine(kb)
        load_seconds = time.perf_counter() - started
    for question in questions:
        engine.ask(question)
    samples: list[float] = []
    for question in questions:
        start = time.perf_counter()
        engine.ask(question)
        samples.append(time.perf_counter() - start)
    samples.sort()
    stats = engine.stats()
    vocabulary = len({t for p in engine.matcher.index.profiles for t in p.bag})
    return {
        "times": times,
        "intents": stats["intents"],
        "phrasings": engine.matcher.index.phrasing_count,
        "vocabulary": vocabulary,
        "load_s": load_seconds,
        "p50_us": statistics.median(samples) * 1e6,
        "p99_us": samples[min(len(samples) - 1, int(len(samples) * 0.99))] * 1e6,
        "mean_us": statistics.fmean(samples) * 1e6,
        "rss_mib": peak_rss_mib(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 2, 4, 8])
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # a child's single size
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(measure(args.one)))
        return 0
    rows = []
    for times in args.sizes:
        child = subprocess.run([sys.executable, "-m", "tests.bench_scale", "--one", str(times)],
                               capture_output=True, text=True, check=True)
        rows.append(json.loads(child.stdout.strip().splitlines()[-1]))
    base = rows[0]
    print("knowledge  intents  phrasings  vocabulary  load s   ask p50 µs  p99 µs  mean µs  "
          "per question vs 1×  peak RSS MiB")
    for row in rows:
        print(f"{row['times']:>4}×     {row['intents']:>6}  {row['phrasings']:>9}  {row['vocabulary']:>10}  "
              f"{row['load_s']:>6.2f}  {row['p50_us']:>10.0f}  {row['p99_us']:>6.0f}  {row['mean_us']:>7.0f}  "
              f"{row['mean_us'] / base['mean_us']:>18.2f}×  {row['rss_mib']:>12.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
