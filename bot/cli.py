"""The offline command line: a thin adapter over the core's `Engine`.

`cnrp-bot` (or `python -m bot`) with no command opens the console, or starts the Discord bot
when DISCORD_TOKEN is set.
"""

from __future__ import annotations

import argparse
import codecs
import io
import json
import os
import shlex
import sys
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from bot.core.context import Conversation
from bot.core.dialogue import MAX_PARTS
from bot.core.engine import Engine
from bot.core.guard import FAILED_TEXT, unanswered
from bot.core.knowledge import KnowledgeError, Severity, load_knowledge
from bot.core.misses import MissLog, cluster, format_clusters, log_from_env
from bot.core.models import Answer
from bot.core.render import TABLE_NAMES, RenderedTable, render_table

EXIT_OK, EXIT_FAILED, EXIT_KNOWLEDGE = 0, 1, 2
DEFAULT_MIN_ACCURACY = 0.95
DEFAULT_MIN_REJECTION = 0.95
# The first option of each table is what a bare argument means in the console: "/results kandal".
PRIMARY_OPTION = {"results": "constituency", "committee": "which", "elections": "which",
                  "policies": "area", "timeline": "year"}


def _knowledge_root(args: argparse.Namespace) -> Path | None:
    chosen = args.knowledge or os.environ.get("CNRP_KNOWLEDGE_DIR")
    return Path(chosen) if chosen else None


def _load(args: argparse.Namespace, err: TextIO) -> Engine | None:
    try:
        return Engine.load(_knowledge_root(args))
    except KnowledgeError as exc:
        problems = exc.problems
    except Exception as exc:
        problems = KnowledgeError.unexpected(_knowledge_root(args), exc).problems
    print(f"The knowledge base has {len(problems)} problem(s):", file=err)
    for problem in problems:
        print(f"  {problem}", file=err)
    return None


# ---------------------------------------------------------------- formatting


def format_answer(answer: Answer, out: TextIO) -> None:
    print(answer.text, file=out)
    if answer.citations:
        print("\nSources:", file=out)
        for number, citation in enumerate(answer.citations, 1):
            link = f" <{citation.url}>" if citation.url else ""
            print(f"  [{number}] {citation.title}, {citation.section}{link}", file=out)
    if answer.suggestions:
        heading = "You could also ask:" if answer.matched else "Try:"
        print(f"\n{heading}", file=out)
        for suggestion in answer.suggestions:
            print(f"  • {suggestion}", file=out)
    if answer.intent:
        print(f"\n(intent {answer.intent}, confidence {answer.confidence:.2f})", file=out)


def format_explanation(engine: Engine, question: str, out: TextIO,
                       conversation: Conversation | None = None) -> None:
    explanation = engine.explain(question, conversation)
    analysis = explanation.analysis
    print(f"question:    {question!r}", file=out)
    print(f"normalised:  {analysis.normalized!r}", file=out)
    print(f"terms:       {' '.join(analysis.terms)}", file=out)
    if analysis.corrections:
        print("corrections: " + ", ".join(f"{a}→{b}" for a, b in analysis.corrections), file=out)
    if analysis.entities:
        print("entities:    " + ", ".join(f"{e.kind}={e.key} ({e.text!r}, {e.score:.2f})"
                                          for e in analysis.entities), file=out)
    if analysis.unknown_terms:
        print(f"unknown:     {' '.join(analysis.unknown_terms)}", file=out)
    print("candidates:", file=out)
    for rank, scored in enumerate(analysis.ranked[:5], 1):
        notes = f" [{'; '.join(scored.notes)}]" if scored.notes else ""
        print(f"  {rank}. {scored.intent.id:32} {scored.score:.3f}  lexical {scored.lexical:.3f}"
              f"  fuzzy {scored.fuzzy:.3f}  via {scored.best_phrasing!r}{notes}", file=out)
    config = engine.config
    print(f"decision:    {explanation.answer.kind.value}: {explanation.reason} "
          f"(threshold {config.threshold}, margin {config.ambiguity_margin})", file=out)
    print("", file=out)
    format_answer(explanation.answer, out)


def format_table(table: RenderedTable, out: TextIO) -> None:
    print(table.title, file=out)
    for number, page in enumerate(table.pages, 1):
        if len(table.pages) > 1:
            print(f"-- page {number}/{len(table.pages)} --", file=out)
        print(page, file=out)
    for number, citation in enumerate(table.citations, 1):
        link = f" <{citation.url}>" if citation.url else ""
        print(f"[{number}] {citation.title}, {citation.section}{link}", file=out)


# ---------------------------------------------------------------- commands


def cmd_ask(args: argparse.Namespace, out: TextIO, err: TextIO, inp: TextIO) -> int:
    engine = _load(args, err)
    if engine is None:
        return EXIT_KNOWLEDGE
    question = " ".join(args.question) if args.question else None
    # Without --conversation every line stands alone, as the JSON contract says.
    conversation = _conversation(engine) if args.conversation else None
    if args.json:
        questions = [question] if question is not None else _lines(inp, _line_limit(engine))
        ascii_only = not _writes_utf8(out)
        for text in questions:
            print(_json_answer(engine, text, conversation, ascii_only, err), file=out, flush=True)
        return EXIT_OK
    if question is None:
        if inp.isatty():
            print("ask needs a question, e.g. cnrp-bot ask \"who founded the cnrp\"", file=err)
            return EXIT_FAILED
        for line in _lines(inp, _line_limit(engine)):
            _answer_line(engine, line, args.explain, out, conversation, err)
        return EXIT_OK
    _answer_line(engine, question, args.explain, out, conversation, err)
    return EXIT_OK


def _line_limit(engine: Engine) -> int:
    """As much of a line as the engine reads of a message (three questions' worth)."""
    return engine.config.max_question_chars * MAX_PARTS


def _read_line(stream: TextIO, limit: int) -> str:
    """The next line cut to `limit` characters, its end kept ("" at end of input); the rest of
    a longer line is read in pieces and dropped, so no line is held whole in memory."""
    line = stream.readline(limit)
    if line and not line.endswith("\n"):
        while True:
            rest = stream.readline(limit)
            if not rest or rest.endswith("\n"):
                return line + ("\n" if rest else "")
    return line


def _lines(stream: TextIO, limit: int) -> Iterator[str]:
    """Each line of input without its LF (or CRLF), cut to `limit` characters."""
    while line := _read_line(stream, limit):
        yield line.rstrip("\r\n")


# str.splitlines() also ends a line at these, and json.dumps leaves them raw when it keeps
# non-ASCII text: escaped, one answer stays one line for every line-based reader.
_LINE_SEPARATORS = str.maketrans({"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"})


def _json_answer(engine: Engine, text: str, conversation: Conversation | None, ascii_only: bool,
                 err: TextIO) -> str:
    """One line of the JSON contract for one question, whatever happens while answering it:
    a failure still gives its line, so the lines after it stay aligned with their questions."""
    data = _safe_ask(engine, text, conversation, err).to_json()
    try:
        line = json.dumps(data, ensure_ascii=ascii_only, allow_nan=False)
    except ValueError as exc:  # a confidence that is not a number: the line is still owed
        _report(exc, err)
        line = json.dumps(unanswered(FAILED_TEXT).to_json(), ensure_ascii=ascii_only)
    return line.translate(_LINE_SEPARATORS)


def _safe_ask(engine: Engine, text: str, conversation: Conversation | None, err: TextIO) -> Answer:
    """The engine's answer, or an apology if answering failed: one question that trips a bug
    must not cost the questions after it (stdin is read to the end either way)."""
    try:
        return engine.ask(text, conversation)
    except Exception as exc:
        _report(exc, err)
        return unanswered(FAILED_TEXT)


def _report(exc: BaseException, err: TextIO) -> None:
    print(f"error answering a question: {type(exc).__name__}: {exc}", file=err)


def _writes_utf8(stream: TextIO) -> bool:
    """Whether text written to `stream` arrives as UTF-8 (in-memory streams hold text, not
    bytes); otherwise JSON is written as ASCII, which is valid UTF-8 and loses nothing."""
    encoding = getattr(stream, "encoding", None)
    if not encoding:
        return True
    try:
        return codecs.lookup(encoding).name == "utf-8"
    except LookupError:
        return False


def _read_stdin_as_utf8(stream: TextIO) -> None:
    """Decode the process's stdin as UTF-8, an invalid byte as U+FFFD, and end lines at LF
    only. Python's default decodes strictly under a UTF-8 locale (one bad byte ended the run
    and lost every later line) and splits lines at a lone CR too (two answers for one line)."""
    if isinstance(stream, io.TextIOWrapper):
        try:
            stream.reconfigure(encoding="utf-8", errors="replace", newline="\n")
        except (OSError, ValueError):  # already read from: keep it as it is
            stream.reconfigure(errors="replace")


def _write_replacing(stream: TextIO) -> None:
    """A character the terminal's encoding cannot show becomes "?" instead of an exception."""
    if isinstance(stream, io.TextIOWrapper):
        stream.reconfigure(errors="replace")


def _conversation(engine: Engine) -> Conversation:
    return Conversation(engine.config.context_ttl_seconds, engine.config.context_max_turns)


def _answer_line(engine: Engine, question: str, explain: bool, out: TextIO,
                 conversation: Conversation | None = None, err: TextIO | None = None) -> None:
    err = err or sys.stderr
    if explain:
        try:
            format_explanation(engine, question, out, conversation)
            if conversation is not None:
                conversation.remember(question, engine.explain(question, conversation).answer)
        except Exception as exc:
            _report(exc, err)
            format_answer(unanswered(FAILED_TEXT), out)
    else:
        format_answer(_safe_ask(engine, question, conversation, err), out)


def cmd_eval(args: argparse.Namespace, out: TextIO, err: TextIO, inp: TextIO) -> int:
    from bot.core.evaluation import evaluate_file

    engine = _load(args, err)
    if engine is None:
        return EXIT_KNOWLEDGE
    try:
        report = evaluate_file(engine, Path(args.file))
    except (OSError, ValueError) as exc:
        print(f"cannot read {args.file}: {exc}", file=err)
        return EXIT_FAILED
    print(f"{len(report.outcomes)} questions: {len(report.in_scope)} in scope, "
          f"{len(report.out_of_scope)} out of scope", file=out)
    print("\nPer intent (correct/total):", file=out)
    for intent, (correct, total) in report.per_intent().items():
        flag = "" if correct == total else "  <"
        print(f"  {intent:34} {correct:3}/{total:<3} {correct / total:6.1%}{flag}", file=out)
    confusions = report.confusions()
    if confusions:
        print("\nMost confused (expected -> got):", file=out)
        for (expected, got), count in confusions.most_common(args.show):
            print(f"  {count:3}  {expected} -> {got}", file=out)
    failures = [o for o in report.outcomes if not o.correct]
    if failures:
        print(f"\nFailures ({len(failures)}):", file=out)
        for outcome in failures[: args.show]:
            expected = "/".join(outcome.case.intents) or (
                outcome.case.kind.value if outcome.case.kind else "(out of scope)")
            where = f" ({outcome.case.conversation})" if outcome.case.conversation else ""
            print(f"  line {outcome.case.line}{where}: {outcome.case.question!r}: expected {expected}, "
                  f"{outcome.problem}", file=out)
    print("\nConfidence histogram (correct / wrong):", file=out)
    for low, correct, wrong in report.histogram():
        print(f"  {low:.1f}-{low + 0.1:.1f}  {correct:4} / {wrong:<4} {'#' * min(60, correct)}"
              f"{'x' * min(20, wrong)}", file=out)
    accuracy_ok = report.accuracy >= args.min_accuracy
    rejection_ok = report.rejection >= args.min_rejection
    print(f"\nin-scope top-1 accuracy: {report.accuracy:.1%} (gate {args.min_accuracy:.0%}) "
          f"{'ok' if accuracy_ok else 'BELOW GATE'}", file=out)
    print(f"out-of-scope rejection:  {report.rejection:.1%} (gate {args.min_rejection:.0%}) "
          f"{'ok' if rejection_ok else 'BELOW GATE'}", file=out)
    return EXIT_OK if accuracy_ok and rejection_ok else EXIT_FAILED


def cmd_validate(args: argparse.Namespace, out: TextIO, err: TextIO, inp: TextIO) -> int:
    try:
        kb, problems = load_knowledge(_knowledge_root(args))
        if not any(p.severity is Severity.ERROR for p in problems):
            engine = Engine.load(_knowledge_root(args), thorough=True)
            problems = list(engine.warnings)
    except KnowledgeError as exc:
        problems = list(exc.problems)
    except Exception as exc:
        problems = list(KnowledgeError.unexpected(_knowledge_root(args), exc).problems)
    errors = [p for p in problems if p.severity is Severity.ERROR]
    warnings = [p for p in problems if p.severity is Severity.WARNING]
    for problem in problems:
        print(problem, file=err)
    if errors:
        print(f"{len(errors)} error(s), {len(warnings)} warning(s)", file=err)
        return EXIT_KNOWLEDGE
    if args.strict and warnings:
        print(f"{len(warnings)} warning(s); --strict fails on any", file=err)
        return EXIT_FAILED
    counts = f"{len(kb.intents)} intents, {len(kb.tables)} tables, {len(kb.sources)} sources"
    print(f"knowledge ok: {counts}" + (f", {len(warnings)} warning(s)" if warnings else ""), file=out)
    return EXIT_OK


def _table_options(args: argparse.Namespace) -> dict[str, object]:
    return {"constituency": args.constituency, "sort": args.sort, "order": args.order,
            "which": args.which, "area": args.area, "year": args.year}


def cmd_table(args: argparse.Namespace, out: TextIO, err: TextIO, inp: TextIO) -> int:
    engine = _load(args, err)
    if engine is None:
        return EXIT_KNOWLEDGE
    options = {k: v for k, v in _table_options(args).items() if v is not None}
    try:
        format_table(render_table(engine.kb, args.name, **options), out)
    except ValueError as exc:
        print(exc, file=err)
        return EXIT_FAILED
    return EXIT_OK


def cmd_chart(args: argparse.Namespace, out: TextIO, err: TextIO, inp: TextIO) -> int:
    from bot.core.chart import render_vote_chart

    engine = _load(args, err)
    if engine is None:
        return EXIT_KNOWLEDGE
    try:
        png = render_vote_chart(engine.kb, args.metric)
    except ValueError as exc:
        print(exc, file=err)
        return EXIT_FAILED
    Path(args.out).write_bytes(png)
    print(f"wrote {args.out} ({len(png):,} bytes)", file=out)
    return EXIT_OK


CONSOLE_HELP = """Ask a question in plain English, or use a command:
  /results [constituency]   /leaders   /committee [executive|standing]
  /elections [general|communal]   /platform   /policies [area]   /timeline [year]
  /sources   /explain <question>   /help   /quit (or Ctrl-D)"""


def console(engine: Engine, inp: TextIO, out: TextIO, interactive: bool,
            misses: MissLog | None = None, err: TextIO | None = None) -> int:
    """Answer lines until end of input, as one conversation; `/table` commands render tables."""
    err = err or sys.stderr
    conversation = _conversation(engine)
    if interactive:
        print("cnrp-bot offline console. " + CONSOLE_HELP, file=out)
    while True:
        if interactive:
            print("\ncnrp> ", end="", file=out, flush=True)
        line = _read_line(inp, _line_limit(engine))
        if not line:
            if interactive:
                print("", file=out)
            return EXIT_OK
        text = line.strip()
        if not text:
            continue
        if text.startswith("/"):
            if _console_command(engine, text, out):
                return EXIT_OK
        else:
            answer = _safe_ask(engine, text, conversation, err)
            format_answer(answer, out)
            if misses is not None:
                _record_miss(misses, answer, out)
        if not interactive:
            print("", file=out)


def _console_command(engine: Engine, text: str, out: TextIO) -> bool:
    """Run one /command; True means quit."""
    try:
        words = shlex.split(text[1:])
    except ValueError:
        words = text[1:].split()
    name, rest = (words[0].lower(), words[1:]) if words else ("help", [])
    if name in ("quit", "exit", "q"):
        return True
    if name == "help":
        print(CONSOLE_HELP, file=out)
    elif name == "explain":
        format_explanation(engine, " ".join(rest), out)
    elif name in TABLE_NAMES or name == "table":
        if name == "table":
            name, rest = (rest[0], rest[1:]) if rest else ("results", [])
        options: dict[str, object] = {}
        if rest and name in PRIMARY_OPTION:
            options[PRIMARY_OPTION[name]] = " ".join(rest)
        try:
            format_table(render_table(engine.kb, name, **options), out)
        except ValueError as exc:
            print(exc, file=out)
    else:
        print(f"Unknown command /{name}. " + CONSOLE_HELP, file=out)
    return False


def _record_miss(misses: MissLog, answer: Answer, out: TextIO) -> None:
    try:
        misses.record(answer)
    except OSError as exc:  # a read-only disk must not stop the answers
        print(f"(could not log the miss: {exc})", file=out)


def cmd_misses(args: argparse.Namespace, out: TextIO, err: TextIO, inp: TextIO) -> int:
    log = MissLog(Path(args.log)) if args.log else log_from_env()
    since = None
    if args.since:
        try:
            since = datetime.fromisoformat(args.since)
        except ValueError:
            print(f"--since takes a date like 2026-11-01, not {args.since!r}", file=err)
            return EXIT_FAILED
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
    found = log.read(since)
    if not found:
        print(f"No misses logged in {log.path}" + (f" since {args.since}" if args.since else ""), file=out)
        return EXIT_OK
    groups = cluster(found)
    print(f"({log.path})", file=out)
    print(format_clusters(groups[: args.show], len(found), limit_chars=1_000_000), file=out)
    return EXIT_OK


def cmd_default(args: argparse.Namespace, out: TextIO, err: TextIO, inp: TextIO) -> int:
    from bot.discord_app.settings import empty_token_note, token_configured  # no discord import

    if token_configured():
        from bot.discord_app.app import run

        return run(sync_global=args.sync_global)
    note = empty_token_note()
    if note:
        print(note, file=err)
    engine = _load(args, err)
    if engine is None:
        return EXIT_KNOWLEDGE
    return console(engine, inp, out, interactive=inp.isatty(), misses=log_from_env(), err=err)


# ---------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cnrp-bot",
        description="Answers questions about the Cambodia National Rescue Party from a cited "
                    "fact base. With no command: the Discord bot if DISCORD_TOKEN is set, "
                    "otherwise an offline console.")
    parser.add_argument("--knowledge", metavar="DIR",
                        help="knowledge directory (default: the packaged knowledge/, or "
                             "CNRP_KNOWLEDGE_DIR)")
    parser.add_argument("--sync-global", action="store_true",
                        help="sync slash commands globally (up to an hour to appear) instead of to "
                             "DEV_GUILD_ID; the guild copies are removed")
    parser.set_defaults(handler=cmd_default)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    ask = commands.add_parser("ask", help="answer a question (or each stdin line)")
    ask.add_argument("question", nargs="*", help="the question; omit to read stdin")
    ask.add_argument("--json", action="store_true", help="one JSON object per question")
    ask.add_argument("--explain", action="store_true", help="show candidates, entities, scores")
    ask.add_argument("--conversation", action="store_true",
                     help="stdin lines are one conversation: follow-ups use earlier answers")
    ask.set_defaults(handler=cmd_ask)

    evaluate = commands.add_parser(
        "eval", help="measure accuracy on a labelled question file (or a file of conversations)")
    evaluate.add_argument("file")
    evaluate.add_argument("--min-accuracy", type=float, default=DEFAULT_MIN_ACCURACY)
    evaluate.add_argument("--min-rejection", type=float, default=DEFAULT_MIN_REJECTION)
    evaluate.add_argument("--show", type=int, default=40, help="failures and confusions to list")
    evaluate.set_defaults(handler=cmd_eval)

    validate = commands.add_parser("validate", help="check the knowledge base")
    validate.add_argument("--strict", action="store_true", help="fail on warnings too")
    validate.set_defaults(handler=cmd_validate)

    table = commands.add_parser("table", help="print a table: " + ", ".join(TABLE_NAMES))
    table.add_argument("name", choices=TABLE_NAMES)
    table.add_argument("--constituency", help="results: one constituency (aliases work)")
    table.add_argument("--sort", choices=("votes", "share", "name", "no"), help="results: sort key")
    table.add_argument("--order", choices=("desc", "asc"), help="results: sort order")
    table.add_argument("--which", help="committee: executive|standing; elections: general|communal")
    table.add_argument("--area", help="policies: one policy area")
    table.add_argument("--year", type=int, help="timeline: one year")
    table.set_defaults(handler=cmd_table)

    misses = commands.add_parser("misses", help="group the questions the bot could not answer")
    misses.add_argument("--since", help="only misses from this date (YYYY-MM-DD) on")
    misses.add_argument("--log", help="the log file (default: CNRP_MISSES_LOG or data/misses.jsonl)")
    misses.add_argument("--show", type=int, default=30, help="groups to list")
    misses.set_defaults(handler=cmd_misses)

    chart = commands.add_parser("chart", help="write the 2013 results bar chart as PNG")
    chart.add_argument("--out", required=True, help="PNG file to write")
    chart.add_argument("--metric", choices=("share", "votes"), default="share")
    chart.set_defaults(handler=cmd_chart)
    return parser


def main(argv: Sequence[str] | None = None, *, stdin: TextIO | None = None,
         stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """Entry point; streams are parameters so tests can run it in process."""
    out, err, inp = stdout or sys.stdout, stderr or sys.stderr, stdin or sys.stdin
    _read_stdin_as_utf8(inp)
    _write_replacing(out)
    _write_replacing(err)
    try:
        from dotenv import load_dotenv

        load_dotenv(override=False)
    except ImportError:  # pragma: no cover - python-dotenv is a dependency
        pass
    parser = build_parser()
    args = parser.parse_args(list(argv) if argv is not None else None)
    handler: Callable[[argparse.Namespace, TextIO, TextIO, TextIO], int] = args.handler
    try:
        return handler(args, out, err, inp)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
