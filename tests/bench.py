"""`make bench`: speed figures for the answer engine (printed, never asserted).

- `ask()` latency over the mixed labelled questions (every file of single questions in
  tests/), several rounds, in this process: p50, p99 and mean, and the first round alone
  (per-word caches cold);
- accuracy on tests/questions.yaml beside a naive baseline's: rapidfuzz `extractOne` with
  `WRatio` and `default_process` over every phrasing, same threshold;
- `ask --json` in batch against a plain BM25 baseline (`tests/bm25.py`) over the same
  questions, in the same run, each net of its start-up;
- start-up to the first answer in a fresh process, with the engine cache cold and warm;
- peak RSS of a fresh process that loads the engine and answers every question once, and
  where it went (after the imports, the load, the answers; anonymous and file-backed, the
  engine file's mapped arrays); the same with the questions given on stdin, so that the
  process reads no YAML (as `ask --json` in batch).

Child processes get a private, empty engine cache folder (CNRP_CACHE_DIR), so "cold" is cold
and the user's own cache is never touched.
"""

from __future__ import annotations

import os
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# statistics, subprocess, tempfile and rapidfuzz's process and utils are imported where they are
# used: the RSS child (`rss_child`) is measured as a process that answers, and they are some
# 1.3 MiB of a process that only the benchmark's own work needs.

TESTS = Path(__file__).parent
QUESTIONS = TESTS / "questions.yaml"
ROUNDS = 5
REPEATS = 3  # fresh-process measures: the median of this many runs


def mixed_questions() -> list[str]:
    """Every question of the labelled files of single questions, in file order."""
    from bot.core.evaluation import is_conversation_file, load_cases

    questions: list[str] = []
    for path in sorted(TESTS.glob("*.yaml")):
        if not is_conversation_file(path):
            questions += [case.question for case in load_cases(path)]
    return questions


def _percentiles(samples: list[float]) -> tuple[float, float, float]:
    """p50, p99 and mean, in microseconds."""
    import statistics

    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return statistics.median(ordered) * 1e6, p99 * 1e6, statistics.fmean(ordered) * 1e6


def _time_calls(fn: Callable[[str], Any], questions: list[str], rounds: int) -> list[list[float]]:
    """Seconds per call, one list per round."""
    timed: list[list[float]] = []
    for _ in range(rounds):
        samples: list[float] = []
        for question in questions:
            start = time.perf_counter()
            fn(question)
            samples.append(time.perf_counter() - start)
        timed.append(samples)
    return timed


def _cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run(command: list[str], env: dict[str, str], stdin: str = "") -> tuple[float, str, float]:
    """Wall seconds of a fresh process, its stdout, and the CPU seconds it used (the machine
    is shared: CPU time is what other work running alongside does not inflate)."""
    import subprocess

    cpu = _cpu_of_children()
    start = time.perf_counter()
    done = subprocess.run(command, input=stdin, capture_output=True, text=True, env=env, check=True)
    return time.perf_counter() - start, done.stdout, _cpu_of_children() - cpu


def _env(cache: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("DISCORD_TOKEN", None)
    # An installed bot runs from compiled bytecode (pip compiles it); a sandbox that forbids
    # writing it would make every fresh process compile the whole package again.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["CNRP_CACHE_DIR"] = str(cache)
    env["PYTHONIOENCODING"] = "utf-8"
    return env


def batch_per_question(command: list[str], questions: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """(wall seconds per question net of start-up, the same in CPU seconds, wall seconds for
    one question): the best of REPEATS runs of all the questions, less the best of REPEATS
    runs of one."""
    text = "\n".join(questions) + "\n"
    wholes = [_run(command, env, text) for _ in range(REPEATS)]
    ones = [_run(command, env, questions[0] + "\n") for _ in range(REPEATS)]
    wall = (min(w[0] for w in wholes) - min(o[0] for o in ones)) / (len(questions) - 1)
    cpu = (min(w[2] for w in wholes) - min(o[2] for o in ones)) / (len(questions) - 1)
    return wall, cpu, min(o[0] for o in ones)


def peak_rss_mib() -> float:
    """This process's peak resident memory, in MiB. Linux's VmHWM belongs to the program now
    running; ru_maxrss also counts the parent's memory when the child was forked from it
    before exec (it reported the bench's own 97 MiB for every child)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def memory_now() -> dict[str, float]:
    """This process's resident memory in MiB (Linux; empty elsewhere): in all (VmRSS), its
    anonymous and file-backed parts (RssAnon, RssFile), and the pages of the engine cache's
    file that are mapped (its arrays, read in place: `enginecache`)."""
    found: dict[str, float] = {}
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "RssAnon", "RssFile"):
                found[key] = int(value.split()[0]) / 1024
        mapping = ""
        engine_kib = 0
        for line in Path("/proc/self/smaps").read_text().splitlines():
            fields = line.split()
            if fields and "-" in fields[0] and not fields[0].endswith(":"):
                mapping = fields[-1] if len(fields) >= 6 else ""
            elif fields[:1] == ["Rss:"] and Path(mapping).name.startswith("engine-"):
                engine_kib += int(fields[1])
        found["engine file"] = engine_kib / 1024
    except (OSError, IndexError, ValueError):
        pass
    return found


def rss_child(questions: list[str] | None = None) -> None:
    """In a child: load as the CLI and the bot do (through the engine cache: a build and a
    write when it is cold, a read when it is warm), answer every question once (`questions`,
    or the mixed questions read from their files after the load), print peak RSS in MiB on
    the first line, then the memory after each step."""
    stages = [("start", memory_now())]
    from bot.core.engine import Engine

    stages.append(("imports", memory_now()))
    engine = Engine.load(cache=True)
    stages.append(("engine loaded", memory_now()))
    if questions is None:
        questions = mixed_questions()
        stages.append(("questions read (PyYAML)", memory_now()))
    for question in questions:
        engine.ask(question)
    stages.append(("every question answered", memory_now()))
    print(peak_rss_mib())
    for name, memory in stages:
        if memory:
            print(f"  {name:24} {memory['VmRSS']:5.1f} MiB: {memory['RssAnon']:5.1f} anonymous, "
                  f"{memory['RssFile']:5.1f} file-backed ({memory['engine file']:4.1f} of the engine file)")


def main() -> None:
    import statistics
    import tempfile

    from rapidfuzz import fuzz, process, utils

    from bot.core.engine import Engine
    from bot.core.evaluation import evaluate, load_cases

    questions = mixed_questions()
    started = time.perf_counter()
    engine = Engine.load()
    load_seconds = time.perf_counter() - started

    rounds = _time_calls(engine.ask, questions, ROUNDS)
    every = [s for samples in rounds for s in samples]
    cases = load_cases(QUESTIONS)
    report = evaluate(engine, cases)

    choices = {p: intent.id for intent in engine.kb.intents.values()
               for p in (intent.question, *intent.phrasings)}
    keys = list(choices)

    def naive(question: str) -> tuple[str, float, int] | None:
        return process.extractOne(question, keys, scorer=fuzz.WRatio, processor=utils.default_process)

    baseline = [s for samples in _time_calls(naive, questions, 1) for s in samples]
    threshold = engine.threshold * 100
    naive_in = naive_out = 0
    for case in cases:
        hit = naive(case.question)
        matched = hit is not None and hit[1] >= threshold
        if case.in_scope:
            # The baseline knows no entities or templates: a right intent counts as right.
            naive_in += matched and hit is not None and choices[hit[0]] in case.intents
        else:
            naive_out += not matched
    in_scope = sum(c.in_scope for c in cases)

    p50, p99, mean = _percentiles(every)
    c50, c99, _ = _percentiles(rounds[0])
    b50, b99, bmean = _percentiles(baseline)
    print(f"questions: {len(questions)} (every file of single questions in tests/) x {ROUNDS} rounds")
    print(f"engine ask(): p50 {p50:.0f} µs  p99 {p99:.0f} µs  mean {mean:.0f} µs  "
          f"(first round alone: p50 {c50:.0f} µs  p99 {c99:.0f} µs)")
    print(f"  tests/questions.yaml: accuracy {report.accuracy:.1%}  rejection {report.rejection:.1%}")
    print(f"naive WRatio extractOne (1 round): p50 {b50:.0f} µs  p99 {b99:.0f} µs  mean {bmean:.0f} µs  "
          f"accuracy {naive_in / in_scope:.1%}  rejection {naive_out / (len(cases) - in_scope):.1%}")
    print(f"  engine speed-up: p50 {b50 / p50:.1f}x  p99 {b99 / p99:.1f}x")
    print(f"load in this process: {load_seconds * 1e3:.0f} ms")

    with tempfile.TemporaryDirectory(prefix="cnrp-bench-cache-") as scratch:
        env = _env(Path(scratch))
        python = sys.executable
        first = [python, "-m", "bot", "ask", "who founded the cnrp"]
        cold = _run(first, env)  # builds the engine (and fills the cache, if there is one)
        warm_runs = [_run(first, env) for _ in range(REPEATS)]
        warm = statistics.median(r[0] for r in warm_runs)
        warm_cpu = statistics.median(r[2] for r in warm_runs)
        ours, ours_cpu, ours_one = batch_per_question([python, "-m", "bot", "ask", "--json"], questions, env)
        bm25, bm25_cpu, bm25_one = batch_per_question([python, "-m", "tests.bm25"], questions, env)
        rss_report = _run([python, "-m", "tests.bench", "--rss"], env)[1]  # cache warm by now
        rss = float(rss_report.splitlines()[0])
        given = _run([python, "-m", "tests.bench", "--rss", "-"], env, "\n".join(questions) + "\n")[1]
        with tempfile.TemporaryDirectory(prefix="cnrp-bench-nocache-") as empty:
            rss_cold = float(_run([python, "-m", "tests.bench", "--rss"], _env(Path(empty)))[1].splitlines()[0])
    print(f"start to first answer (fresh `python -m bot ask`, whole process): {warm * 1e3:.0f} ms wall, "
          f"{warm_cpu * 1e3:.0f} ms CPU (median of {REPEATS}; {cold[0] * 1e3:.0f} ms wall the first time, "
          "engine cache cold)")
    print(f"ask --json in batch, net of start-up: {ours * 1e6:.0f} µs a question wall, {ours_cpu * 1e6:.0f} µs CPU "
          f"(start-up and one question {ours_one * 1e3:.0f} ms)")
    print(f"plain BM25 baseline (tests/bm25.py), same questions, same run: {bm25 * 1e6:.0f} µs a question wall, "
          f"{bm25_cpu * 1e6:.0f} µs CPU (start-up and one question {bm25_one * 1e3:.0f} ms)")
    print(f"  ask --json / BM25: {ours / bm25:.2f} wall, {ours_cpu / bm25_cpu:.2f} CPU")
    print(f"peak RSS, fresh process loading and answering every question once: {rss:.0f} MiB "
          f"({rss_cold:.0f} MiB with the engine cache cold; {float(given.splitlines()[0]):.0f} MiB with the "
          "questions on stdin, no YAML read)")
    print("\n".join(rss_report.splitlines()[1:]))


if __name__ == "__main__":
    if sys.argv[1:] == ["--rss"]:
        rss_child()
    elif sys.argv[1:] == ["--rss", "-"]:
        rss_child(sys.stdin.read().splitlines())
    else:
        main()
