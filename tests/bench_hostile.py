"""`make bench`: what hostile input costs and whether anything breaks (printed, never asserted).

1. The worst cost of adversarial messages of 1k, 2k and 4k characters: `ask()` as a whole
   (bounded: a message is read up to its cap) and the stages that see the uncapped text
   (cleaning, splitting, folding, escaping), whose cost must grow linearly.
2. Reliability: many generated messages through `ask()` (exceptions, invalid answers, worst
   latency by length), and as many stdin lines, invalid UTF-8 included, through
   `ask --json` in a child process (misaligned lines, lines that are not UTF-8 JSON).

    python -m tests.bench_hostile [--messages N] [--lines N]
"""

from __future__ import annotations

import argparse
import json
import math
import random
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bot.core.dialogue import split_questions
from bot.core.engine import Engine
from bot.core.guard import clean_text, escape_markdown
from bot.core.normalize import fold
from tests.hostile import CONTROL, FRAGMENTS, INVISIBLE, WHITESPACE

SIZES = (1_000, 2_000, 4_000)
ROUNDS = 5
REPO = Path(__file__).resolve().parents[1]


def _fill(unit: str, size: int) -> str:
    return (unit * (size // len(unit) + 1))[:size]


# Each family builds a message of exactly `size` characters.
FAMILIES: dict[str, Callable[[int], str]] = {
    "whitespace run": lambda n: "who founded it" + " " * (n - 30) + "and when was it?",
    "mixed whitespace": lambda n: _fill("\t \u3000\u2028\n ", n),
    "long number": lambda n: "top " + "9" * (n - 4),
    "repeated word": lambda n: _fill("cnrp ", n),
    "question marks": lambda n: _fill("?", n),
    "many questions": lambda n: _fill("who? ", n),
    "many 'and's": lambda n: _fill("who founded it and ", n),
    "markup": lambda n: _fill("<@1> **x** [a](http://b) ", n),
    "typos": lambda n: _fill("foundd electon ", n),
    "distinct words": lambda n: " ".join(f"w{i}x" for i in range(n))[:n],
}


def _worst(fn: Callable[[], object]) -> float:
    worst = 0.0
    for _ in range(ROUNDS):
        started = time.perf_counter()
        fn()
        worst = max(worst, time.perf_counter() - started)
    return worst * 1e3


def _stages(text: str) -> None:
    """Every step that reads a message before (or without) the cap."""
    cleaned = clean_text(text, len(text))
    split_questions(cleaned)
    fold(cleaned)
    escape_markdown(cleaned)


def adversarial(engine: Engine) -> None:
    print(f"worst of {ROUNDS} runs, ms: ask() (reads {engine.config.max_question_chars * 3:,} "
          f"characters at most) | uncapped stages (clean, split, fold, escape)")
    header = "".join(f"{n // 1000}k ask   stages  " for n in SIZES)
    print(f"  {'input':18}{header} stages 4k/1k")
    for build in FAMILIES.values():  # warm the caches, so the first row is not the slowest
        engine.ask(build(SIZES[0]))
    worst_ask = dict.fromkeys(SIZES, 0.0)
    worst_stage = dict.fromkeys(SIZES, 0.0)
    for name, build in FAMILIES.items():
        cells, stage_costs = [], []
        for size in SIZES:
            text = build(size)
            assert len(text) == size, (name, len(text))
            ask_ms = _worst(lambda text=text: engine.ask(text))
            stage_ms = _worst(lambda text=text: _stages(text))
            worst_ask[size] = max(worst_ask[size], ask_ms)
            worst_stage[size] = max(worst_stage[size], stage_ms)
            stage_costs.append(stage_ms)
            cells.append(f"{ask_ms:7.2f} {stage_ms:7.3f}  ")
        print(f"  {name:18}{''.join(cells)} {stage_costs[-1] / stage_costs[0]:5.1f}x")
    print("  worst             " + "".join(f"{worst_ask[n]:7.2f} {worst_stage[n]:7.3f}  " for n in SIZES))
    print("  linear growth means stages 4k/1k near 4x; ask() stays flat past the cap")


def _message(rng: random.Random) -> str:
    """A message as the property tests draw them: fragments, runs and any code point."""
    pieces = []
    for _ in range(rng.randint(0, 12)):
        kind = rng.random()
        if kind < 0.45:
            pieces.append(rng.choice(FRAGMENTS))
        elif kind < 0.6:
            pieces.append(rng.choice(WHITESPACE) * rng.randint(1, 400))
        elif kind < 0.7:
            pieces.append("".join(rng.choice("0123456789") for _ in range(rng.randint(1, 700))))
        elif kind < 0.8:
            pieces.append("".join(rng.choice(CONTROL + INVISIBLE) for _ in range(rng.randint(1, 30))))
        elif kind < 0.9:
            pieces.append("".join(chr(rng.randint(0, 0x10FFFF)) for _ in range(rng.randint(1, 40))))
        else:
            pieces.append(rng.choice(["and ", "? ", "cnrp ", "who ", "9"]) * rng.randint(1, 400))
    return rng.choice([" ", ""]).join(pieces)


def _utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _bucket(length: int) -> str:
    for limit in (100, 1_000, 2_000, 4_000):
        if length <= limit:
            return f"<= {limit:,}"
    return "> 4,000"


def reliability(engine: Engine, messages: int, lines: int) -> None:
    rng = random.Random(9)
    exceptions = invalid = 0
    worst: dict[str, float] = {}
    for _ in range(messages):
        text = _message(rng)
        started = time.perf_counter()
        try:
            answer = engine.ask(text)
        except Exception:
            exceptions += 1
            continue
        elapsed = (time.perf_counter() - started) * 1e3
        bucket = _bucket(len(text))
        worst[bucket] = max(worst.get(bucket, 0.0), elapsed)
        good = (answer.text.strip() and math.isfinite(answer.confidence)
                and 0 <= answer.confidence <= 1)
        try:
            json.dumps(answer.to_json(), ensure_ascii=False, allow_nan=False).encode("utf-8")
        except (ValueError, UnicodeEncodeError):
            good = False
        invalid += not good
    print(f"ask(): {messages:,} generated messages, {exceptions} exceptions, {invalid} invalid answers")
    order = ["<= 100", "<= 1,000", "<= 2,000", "<= 4,000", "> 4,000"]
    print("  worst latency by length: " + ", ".join(f"{b} chars {worst[b]:.1f} ms" for b in order if b in worst))

    payload = bytearray()
    for _ in range(lines):
        line = _message(rng).replace("\n", " ").encode("utf-8", "surrogatepass")
        if rng.random() < 0.2:  # invalid UTF-8: stray bytes, truncated sequences, surrogates
            at = rng.randint(0, len(line))
            line = line[:at] + rng.choice([b"\xff", b"\xc3", b"\xe2\x80", b"\xed\xa0\x80", b"\x80"]) + line[at:]
        payload += line.replace(b"\n", b" ") + b"\n"
    corrupted = sum(not _utf8(line) for line in payload.split(b"\n"))
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO), "LC_ALL": "C.UTF-8",
           "PYTHONIOENCODING": "utf-8:strict"}
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "bot", "ask", "--json"], input=bytes(payload),
                          capture_output=True, env=env, cwd=REPO, check=False)
    seconds = time.perf_counter() - started
    try:
        out_lines = done.stdout.decode("utf-8").splitlines()
        not_utf8 = 0
    except UnicodeDecodeError:
        out_lines, not_utf8 = done.stdout.decode("utf-8", "replace").splitlines(), 1
    bad_json = 0
    for out in out_lines:
        try:
            data = json.loads(out)
            bad_json += list(data) != ["matched", "intent", "confidence", "answer", "citations", "suggestions"]
        except ValueError:
            bad_json += 1
    print(f"ask --json (strict UTF-8 locale): {lines:,} stdin lines ({corrupted:,} not valid "
          f"UTF-8); exit {done.returncode}; "
          f"{len(out_lines):,} lines out, {abs(len(out_lines) - lines)} misaligned, "
          f"{bad_json} not contract JSON, output {'not ' if not_utf8 else ''}valid UTF-8; "
          f"{seconds:.1f} s")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--lines", type=int, default=10_000)
    args = parser.parse_args(argv)
    engine = Engine.load()
    adversarial(engine)
    print()
    reliability(engine, args.messages, args.lines)


if __name__ == "__main__":
    main()
