"""`make bench`: speed figures for the answer engine (printed, never asserted).

Per-question latency of `Engine.ask` over the labelled file, start-up to first answer in a
fresh process, peak RSS, and the same latency and accuracy for a naive baseline: rapidfuzz
`process.extractOne` with `WRatio` and `utils.default_process` over every phrasing.
"""

from __future__ import annotations

import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from rapidfuzz import fuzz, process, utils

from bot.core.engine import Engine
from bot.core.evaluation import evaluate, load_cases
from bot.core.models import Answer, ReplyKind

QUESTIONS = Path(__file__).parent / "questions.yaml"
ROUNDS = 5


def _percentiles(samples: list[float]) -> tuple[float, float, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return statistics.median(ordered) * 1e3, p99 * 1e3, statistics.fmean(ordered) * 1e3


def _time_calls(fn, questions: list[str]) -> list[float]:  # type: ignore[no-untyped-def]
    samples: list[float] = []
    for _ in range(ROUNDS):
        for question in questions:
            start = time.perf_counter()
            fn(question)
            samples.append(time.perf_counter() - start)
    return samples


def main() -> None:
    cases = load_cases(QUESTIONS)
    questions = [c.question for c in cases]
    started = time.perf_counter()
    engine = Engine.load()
    load_seconds = time.perf_counter() - started

    ours = _time_calls(engine.ask, questions)
    report = evaluate(engine, cases)

    choices = {p: intent.id for intent in engine.kb.intents.values()
               for p in (intent.question, *intent.phrasings)}
    keys = list(choices)

    def naive(question: str) -> tuple[str, float, int] | None:
        return process.extractOne(question, keys, scorer=fuzz.WRatio,
                                  processor=utils.default_process)

    baseline = _time_calls(naive, questions)
    threshold = engine.threshold * 100
    naive_correct_in = naive_correct_out = 0
    for case in cases:
        hit = naive(case.question)
        matched = hit is not None and hit[1] >= threshold
        answer = Answer(matched=matched, intent=choices[hit[0]] if matched and hit else None,
                        confidence=(hit[1] / 100 if hit else 0.0), text="",
                        kind=ReplyKind.ANSWER if matched else ReplyKind.UNKNOWN)
        if case.in_scope:
            # The baseline knows no entities or templates: a right intent counts as right.
            naive_correct_in += matched and answer.intent in case.intents
        else:
            naive_correct_out += not matched

    child = subprocess.run(
        [sys.executable, "-c",
         "import time; t=time.perf_counter(); from bot.core.engine import Engine; "
         "e=Engine.load(); e.ask('who founded the cnrp'); print(time.perf_counter()-t)"],
        capture_output=True, text=True, check=True)
    first_answer = float(child.stdout.strip())
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    p50, p99, mean = _percentiles(ours)
    b50, b99, bmean = _percentiles(baseline)
    in_scope = [c for c in cases if c.in_scope]
    out_scope = [c for c in cases if not c.in_scope]
    print(f"questions: {len(cases)} labelled x {ROUNDS} rounds")
    print(f"engine   ask(): p50 {p50:.3f} ms  p99 {p99:.3f} ms  mean {mean:.3f} ms  "
          f"accuracy {report.accuracy:.1%}  rejection {report.rejection:.1%}")
    print(f"baseline WRatio extractOne: p50 {b50:.3f} ms  p99 {b99:.3f} ms  mean {bmean:.3f} ms  "
          f"accuracy {naive_correct_in / len(in_scope):.1%}  "
          f"rejection {naive_correct_out / len(out_scope):.1%}  (same threshold)")
    print(f"speed-up vs baseline: p50 {b50 / p50:.1f}x  p99 {b99 / p99:.1f}x")
    print(f"load + validate + index: {load_seconds * 1e3:.0f} ms in this process")
    print(f"process start to first answer: {first_answer * 1e3:.0f} ms (fresh interpreter)")
    print(f"peak RSS: {peak_rss_mb:.0f} MiB")


if __name__ == "__main__":
    main()
