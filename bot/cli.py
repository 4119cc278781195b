"""The offline command line: a thin adapter over the core's `Engine`.

`cnrp-bot` (or `python -m bot`) with no command opens the console, or starts the Discord bot
when DISCORD_TOKEN is set.
"""

from __future__ import annotations

import argparse
import codecs
import io
import json
import shlex
import sqlite3
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from bot.core.context import Conversation
from bot.core.dialogue import MAX_PARTS
from bot.core.engine import Engine
from bot.core.guard import FAILED_TEXT, unanswered
from bot.core.knowledge import KnowledgeError, Severity, load_knowledge
from bot.core.misses import MissStore, Scope, format_report, miss_to_json, misses_from_jsonl, report
from bot.core.misses_sqlite import SqliteMissStore
from bot.core.models import Answer
from bot.core.render import TABLE_NAMES, RenderedTable, render_table
from bot.discord_app.settings import Settings, SettingsError, match_config  # imports no discord

EXIT_OK, EXIT_FAILED, EXIT_KNOWLEDGE = 0, 1, 2
DEFAULT_MIN_ACCURACY = 0.95
DEFAULT_MIN_REJECTION = 0.95
# The first option of each table is what a bare argument means in the console: "/results kandal".
PRIMARY_OPTION = {"results": "constituency", "committee": "which", "elections": "which",
                  "policies": "area", "timeline": "year"}


def _settings(err: TextIO) -> Settings | None:
    """Every setting, validated as the bot validates them (the token is not needed here)."""
    try:
        settings = Settings.from_env(require_token=False)
    except SettingsError as error:
        for problem in error.problems:
            print(f"settings: {problem}", file=err)
        return None
    for note in settings.notes:
        print(f"settings: {note}", file=err)
    return settings


def _knowledge_root(args: argparse.Namespace, settings: Settings) -> Path | None:
    return Path(args.knowledge) if args.knowledge else settings.knowledge_dir


def _load(args: argparse.Namespace, err: TextIO, settings: Settings | None = None) -> Engine | None:
    settings = settings or _settings(err)
    if settings is None:
        return None
    root = _knowledge_root(args, settings)
    try:
        # MATCH_THRESHOLD and AMBIGUITY_MARGIN apply offline too, so a curator can try a threshold.
        return Engine.load(root, match_config(settings))
    except KnowledgeError as exc:
        problems = exc.problems
    except Exception as exc:
        problems = KnowledgeError.unexpected(root, exc).problems
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


TRAINING_FILES = ("training/questions.yaml", "training/details.yaml", "training/out_of_scope.yaml",
                  "training/out_of_scope_more.yaml", "training/organisations.yaml", "training/events.yaml",
                  "tests/questions.yaml", "tests/analytics.yaml")


def cmd_fit(args: argparse.Namespace, out: TextIO, err: TextIO, inp: TextIO) -> int:
    """Refit knowledge/scoring.yaml from labelled questions (a curator's and developer's tool)."""
    from bot.core import training
    from bot.core.engine import intent_traits
    from bot.core.matching import Matcher
    from bot.core.scoring import FEATURE_NAMES, untrained_model

    settings = _settings(err)
    if settings is None:
        return EXIT_FAILED
    kb, problems = load_knowledge(_knowledge_root(args, settings))
    errors = [p for p in problems if p.severity is Severity.ERROR
              and "scoring.yaml" not in p.file and "classifier.npz" not in p.file]
    if errors:
        print(f"The knowledge base has {len(errors)} problem(s):", file=err)
        for problem in errors:
            print(f"  {problem}", file=err)
        return EXIT_KNOWLEDGE
    matcher = Matcher(kb, traits=intent_traits(kb), model=untrained_model())
    files = args.train or list(TRAINING_FILES)
    examples: list[training.Example] = []
    try:
        for name in files:
            examples += training.read_examples(Path(name))
    except (OSError, ValueError) as exc:
        print(f"cannot read training questions: {exc}", file=err)
        return EXIT_FAILED
    unknown = sorted(set(args.without or ()) - set(FEATURE_NAMES))
    if unknown:
        print(f"unknown feature(s): {', '.join(unknown)} (known: {', '.join(FEATURE_NAMES)})", file=err)
        return EXIT_FAILED
    model, classifier, summary = training.fit(matcher, examples, without=args.without or ())
    print(f"fitted on {summary['questions']} questions ({summary['rows']} candidate rows): "
          f"in scope {summary['in_scope_accuracy']:.1%}, rejection {summary['out_of_scope_rejection']:.1%}, "
          f"{summary['wrong_answers']} wrong; answer threshold {model.answer}", file=out)
    for name in model.weights:
        print(f"  {name:16} {model.weights[name]:+8.3f}", file=out)
    print(f"  {'bias':16} {model.bias:+8.3f}", file=out)
    for name in args.check or ():
        checked = training.decide(matcher, training.read_examples(Path(name)), model, model.answer, classifier)
        print(f"check {name}: in scope {checked.accuracy:.1%}, rejection {checked.rejection:.1%}, "
              f"{checked.wrong} wrong", file=out)
    if args.write:
        target = Path(args.write)
        target.write_text(training.render_model(model, files), encoding="utf-8")
        classifier.save(target.with_name("classifier.npz"))
        print(f"wrote {target} and {target.with_name('classifier.npz')}", file=out)
    return EXIT_OK


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
    settings = _settings(err)
    if settings is None:
        return EXIT_KNOWLEDGE
    root = _knowledge_root(args, settings)
    try:
        kb, problems = load_knowledge(root)
        if not any(p.severity is Severity.ERROR for p in problems):
            engine = Engine.load(root, thorough=True)
            problems = list(engine.warnings)
    except KnowledgeError as exc:
        problems = list(exc.problems)
    except Exception as exc:
        problems = list(KnowledgeError.unexpected(root, exc).problems)
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


@dataclass(frozen=True)
class ConsoleCommand:
    """A console /command; the console's help is written from these."""

    name: str
    usage: str
    help: str
    run: Callable[[Engine, list[str], TextIO], bool]  # True: quit


TABLE_HELP = {
    "results": "2013 results by constituency", "leaders": "party leaders",
    "committee": "the executive or standing committee", "elections": "general and communal elections",
    "platform": "the seven-point platform", "policies": "policies by area",
    "timeline": "dated events", "sources": "what the answers cite",
}  # fmt: skip
TABLE_USAGE = {"committee": "[executive|standing]", "elections": "[general|communal]"}


def _table_command(name: str) -> Callable[[Engine, list[str], TextIO], bool]:
    def run(engine: Engine, rest: list[str], out: TextIO) -> bool:
        options: dict[str, object] = {}
        if rest and name in PRIMARY_OPTION:
            options[PRIMARY_OPTION[name]] = " ".join(rest)
        try:
            format_table(render_table(engine.kb, name, **options), out)
        except ValueError as exc:
            print(exc, file=out)
        return False

    return run


def _explain(engine: Engine, rest: list[str], out: TextIO) -> bool:
    format_explanation(engine, " ".join(rest), out)
    return False


def _help(engine: Engine, rest: list[str], out: TextIO) -> bool:
    print(console_help(), file=out)
    return False


def _quit(engine: Engine, rest: list[str], out: TextIO) -> bool:
    return True


CONSOLE_COMMANDS: dict[str, ConsoleCommand] = {
    **{name: ConsoleCommand(name, TABLE_USAGE.get(name, f"[{PRIMARY_OPTION[name]}]")
                            if name in PRIMARY_OPTION else "", TABLE_HELP[name], _table_command(name))
       for name in TABLE_NAMES},
    "explain": ConsoleCommand("explain", "<question>", "how a question is matched", _explain),
    "help": ConsoleCommand("help", "", "this list", _help),
    "quit": ConsoleCommand("quit", "", "leave (or Ctrl-D)", _quit),
}  # fmt: skip
CONSOLE_ALIASES = {"exit": "quit", "q": "quit", "table": "results"}


def console_help() -> str:
    """The console's help, written from its own commands."""
    lines = ["Ask a question in plain English, or use a command:"]
    for command in CONSOLE_COMMANDS.values():
        usage = f"/{command.name} {command.usage}".rstrip()
        lines.append(f"  {usage:34} {command.help}")
    return "\n".join(lines)


def console(engine: Engine, inp: TextIO, out: TextIO, interactive: bool,
            misses: MissStore | None = None, settings: Settings | None = None,
            err: TextIO | None = None) -> int:
    """Answer lines until end of input, as one conversation; `/table` commands render tables."""
    err = err or sys.stderr
    conversation = _conversation(engine)
    if interactive:
        print("cnrp-bot offline console. " + console_help(), file=out)
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
            if misses is not None and settings is not None:
                _record_miss(misses, settings, answer, out)
        if not interactive:
            print("", file=out)


def _console_command(engine: Engine, text: str, out: TextIO) -> bool:
    """Run one /command; True means quit."""
    try:
        words = shlex.split(text[1:])
    except ValueError:
        words = text[1:].split()
    name, rest = (words[0].lower(), words[1:]) if words else ("help", [])
    if name == "table" and rest:  # "/table results kandal", as the CLI's `table` command says
        name, rest = rest[0].lower(), rest[1:]
    command = CONSOLE_COMMANDS.get(CONSOLE_ALIASES.get(name, name))
    if command is None:
        print(f"Unknown command /{name}. " + console_help(), file=out)
        return False
    return command.run(engine, rest, out)


def _record_miss(misses: MissStore, settings: Settings, answer: Answer, out: TextIO) -> None:
    # The console is the operator's own: its misses are private, like direct messages.
    miss = settings.misses.miss_for(answer, server=None)
    if miss is None:
        return
    try:
        misses.add(miss)
    except Exception as exc:  # a read-only or locked store must not stop the answers
        print(f"(could not keep the miss: {exc})", file=out)


def _open_store(settings: Settings, path: str | None) -> MissStore:
    store = SqliteMissStore(Path(path) if path else settings.misses_db)
    # Nothing past the retention period is shown, even when the bot has not run to purge it.
    store.purge(settings.misses.cutoff())
    return store


def _scope(text: str) -> Scope | None:
    if text in ("all", "private"):
        return "all" if text == "all" else "private"
    if text == "dm":
        return "private"
    return int(text) if text.isdigit() else None


def cmd_misses(args: argparse.Namespace, out: TextIO, err: TextIO, inp: TextIO) -> int:
    settings = _settings(err)
    if settings is None:
        return EXIT_KNOWLEDGE
    scope = _scope(args.server)
    if scope is None:
        print(f"--server takes a server id, dm or all, not {args.server!r}", file=err)
        return EXIT_FAILED
    since = None
    if args.since:
        try:
            since = datetime.fromisoformat(args.since)
        except ValueError:
            print(f"--since takes a date like 2026-11-01, not {args.since!r}", file=err)
            return EXIT_FAILED
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
    try:
        store = _open_store(settings, args.db)
    except (OSError, sqlite3.Error) as exc:
        print(f"cannot open {args.db or settings.misses_db}: {exc}", file=err)
        return EXIT_FAILED
    try:
        if args.import_file:
            return _import(store, Path(args.import_file), out, err)
        found = store.misses(scope, since)
        if args.jsonl:
            for miss in found:
                # Escaped like ask --json: a question's own line breaks never split its line.
                print(json.dumps(miss_to_json(miss), ensure_ascii=False).translate(_LINE_SEPARATORS),
                      file=out)
            return EXIT_OK
        where = {"all": "", "private": " from direct messages and the console"}.get(
            str(scope), f" from server {scope}")
        if not found:
            print(f"No misses kept{where}" + (f" since {args.since}" if args.since else "")
                  + f" ({args.db or settings.misses_db})", file=out)
            return EXIT_OK
        print(f"({args.db or settings.misses_db}{where})", file=out)
        found_report = report(found, store.feedback(scope, since))
        print(format_report(found_report, limit_chars=1_000_000, max_groups=args.show), file=out)
        return EXIT_OK
    finally:
        store.close()


def _import(store: MissStore, path: Path, out: TextIO, err: TextIO) -> int:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        print(f"cannot read {path}: {exc}", file=err)
        return EXIT_FAILED
    count = 0
    for miss in misses_from_jsonl(lines):
        store.add(miss)
        count += 1
    print(f"imported {count} misses from {path} (those without a server are private)", file=out)
    return EXIT_OK


def cmd_default(args: argparse.Namespace, out: TextIO, err: TextIO, inp: TextIO) -> int:
    from bot.discord_app.settings import empty_token_note, token_configured  # no discord import

    if token_configured():
        from bot.discord_app.app import run

        return run(sync_global=args.sync_global)
    note = empty_token_note()
    if note:
        print(note, file=err)
    settings = _settings(err)
    engine = _load(args, err, settings) if settings is not None else None
    if settings is None or engine is None:
        return EXIT_KNOWLEDGE
    store: MissStore | None = None
    if settings.misses.keeps_anything:
        try:
            store = _open_store(settings, None)
        except (OSError, sqlite3.Error) as exc:  # a read-only checkout still answers
            print(f"(misses are not kept: cannot open {settings.misses_db}: {exc})", file=err)
    try:
        return console(engine, inp, out, interactive=inp.isatty(), misses=store, settings=settings,
                       err=err)
    finally:
        if store is not None:
            store.close()


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

    fit = commands.add_parser(
        "fit", help="refit the scoring model (knowledge/scoring.yaml) from labelled questions")
    fit.add_argument("--train", action="append", metavar="FILE",
                     help=f"labelled questions to fit on (repeatable; default: {', '.join(TRAINING_FILES)})")
    fit.add_argument("--check", action="append", metavar="FILE",
                     help="also report how the fitted model does on these files (not fitted on)")
    fit.add_argument("--without", action="append", metavar="FEATURE",
                     help="leave a feature out (weight 0), to measure what it is worth")
    fit.add_argument("--write", metavar="FILE", help="write the model here (e.g. knowledge/scoring.yaml)")
    fit.set_defaults(handler=cmd_fit)

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

    misses = commands.add_parser(
        "misses", help="group the questions the bot could not answer, with their feedback")
    misses.add_argument("--since", help="only misses from this date (YYYY-MM-DD) on")
    misses.add_argument("--server", default="all",
                        help="one server's misses (its id), dm for direct messages and the "
                             "console, or all (default)")
    misses.add_argument("--db", help="the store (default: CNRP_MISSES_DB or data/misses.sqlite3)")
    misses.add_argument("--show", type=int, default=30, help="groups to list")
    misses.add_argument("--jsonl", action="store_true",
                        help="export the misses as JSON lines instead of grouping them")
    misses.add_argument("--import", dest="import_file", metavar="FILE",
                        help="add misses from JSON lines (an export, or an old misses.jsonl)")
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
