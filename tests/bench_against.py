"""`make bench-against REV=<commit>`: this tree's `ask()` latency against another commit's, in
one run (printed, never asserted).

Figures from different runs on a shared machine differ by more than the changes worth
comparing, so the two engines are timed alternately, each in a fresh process of its own, on the
same questions (this tree's tests/questions.yaml, as `make bench` timed them when it measured
that file alone): every question once to warm up, then `ROUNDS` rounds. The other commit is
exported with `git archive` into a temporary folder (its own code and knowledge), and both get
one private engine cache folder each, so neither reads or writes the user's cache.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = ROOT / "tests" / "questions.yaml"
PAIRS = 3  # alternating runs of the two engines; the ratio printed is their median
ROUNDS = 5

# Run in each tree's own folder: only `Engine.load()` and `Engine.ask(str)`, which every commit
# of the engine has.
_TIMER = """
import statistics, sys, time, yaml
from bot.core.engine import Engine
engine = Engine.load()
questions = [str(d["q"]) for d in yaml.safe_load(open(sys.argv[1], encoding="utf-8"))
             if isinstance(d, dict) and "q" in d]
for question in questions:
    engine.ask(question)
samples = []
for _ in range(int(sys.argv[2])):
    for question in questions:
        start = time.perf_counter()
        engine.ask(question)
        samples.append(time.perf_counter() - start)
print(statistics.median(samples) * 1e6, statistics.fmean(samples) * 1e6, len(questions))
"""


def _timed(tree: Path, cache: Path) -> tuple[float, float, int]:
    """p50 and mean in microseconds, and the number of questions, of `tree`'s engine."""
    env = {**os.environ, "CNRP_CACHE_DIR": str(cache), "PYTHONPATH": str(tree), "PYTHONHASHSEED": "0"}
    done = subprocess.run([sys.executable, "-c", _TIMER, str(QUESTIONS), str(ROUNDS)], cwd=tree, env=env,
                          capture_output=True, text=True, check=True)
    p50, mean, count = done.stdout.split()
    return float(p50), float(mean), int(count)


def _export(revision: str, into: Path) -> None:
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", revision],
                             capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not argv[0].strip():
        print("usage: python -m tests.bench_against REVISION", file=sys.stderr)
        return 2
    revision = argv[0]
    with tempfile.TemporaryDirectory(prefix="cnrp-bench-against-") as scratch:
        other = Path(scratch) / "tree"
        other.mkdir()
        try:
            _export(revision, other)
        except subprocess.CalledProcessError as error:
            stderr = error.stderr.decode(errors="replace").strip() if isinstance(error.stderr, bytes) else ""
            print(f"cannot export {revision!r} from {ROOT}: {stderr or error}", file=sys.stderr)
            return 2
        caches = {name: Path(scratch) / f"cache-{name}" for name in ("other", "this")}
        ratios: list[float] = []
        for pair in range(1, PAIRS + 1):
            theirs = _timed(other, caches["other"])
            ours = _timed(ROOT, caches["this"])
            ratios.append(ours[0] / theirs[0])
            print(f"run {pair}: {revision} p50 {theirs[0]:.0f} µs (mean {theirs[1]:.0f}); "
                  f"this tree p50 {ours[0]:.0f} µs (mean {ours[1]:.0f}); {ratios[-1]:.2f}×"
                  f" ({ours[2]} questions × {ROUNDS} rounds)")
        print(f"this tree costs {statistics.median(ratios):.2f}× {revision} a question (median of {PAIRS} runs, "
              f"{min(ratios):.2f}–{max(ratios):.2f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
