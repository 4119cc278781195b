"""The offline command line: a thin adapter over the core's `Engine`.

`cnrp-bot` (or `python -m bot`) with no command opens the console, or starts the Discord bot
when DISCORD_TOKEN is set.
"""

from __future__ import annotations

import argparse
import codecs
import contextlib
import functools
import gc
import io
import os
import sys
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

from bot.core.context import Conversation
from bot.core.dialogue import MAX_PARTS
from bot.core.engine import Engine
from bot.core.guard import FAILED_TEXT, unanswered
from bot.core.knowledge import KnowledgeBase, KnowledgeError, Severity, load_knowledge
from bot.core.misses_store import StoreUnavailable, describe_url, is_database_url, open_store
from bot.core.models import TABLE_NAMES, Answer
from bot.core.records import record
from bot.core.resources import knowledge_version, packaged_knowledge, program_version
from bot.discord_app.settings import Secret, Settings, SettingsError, match_config  # no discord

if TYPE_CHECKING:  # the console's line editing is imported when a console starts, tables when drawn
    from bot.core.misses import MissStore, Scope  # the misses when kept, reported or imported
    from bot.core.render import RenderedTable
    from bot.terminal import Completions, TerminalInput

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
        return Engine.load(root, match_config(settings), cache=True)
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
    _ASKED[:] = [engine]  # see `run`
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
    import json  # here: a start that answers in plain text never needs it
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


# The labelled files the test suite gates at training.GATE_ACCURACY / GATE_REJECTION.
GATED_FILES = ("tests/questions.yaml", "tests/analytics.yaml")
TRAINING_FILES = ("training/questions.yaml", "training/details.yaml", "training/out_of_scope.yaml",
                  "training/out_of_scope_more.yaml", "training/organisations.yaml", "training/events.yaml",
                  "training/details_more.yaml", "training/near_misses.yaml", "training/lay_documents.yaml",
                  "training/lay_policies.yaml", "training/lay_results.yaml", "training/lines_results.yaml",
                  "training/lay_documents_more.yaml", "training/lay_policies_more.yaml", "training/lay_people.yaml",
                  "training/lay_elections.yaml", "training/lay_organisations.yaml", "training/lay_near_misses.yaml",
                  "training/lay_people_extra.yaml", "training/lay_elections_extra.yaml",
                  "training/lay_dissolution_extra.yaml", "training/lay_documents_extra.yaml",
                  "training/lay_policies_extra.yaml", "training/lay_documents_six.yaml",
                  "training/lay_party_people_six.yaml", "training/lay_elections_policies_six.yaml",
                  "tests/questions.yaml", "tests/analytics.yaml")


def cmd_fit(args: argparse.Namespace, out: TextIO, err: TextIO, inp: TextIO) -> int:
    """Refit knowledge/scoring.yaml from labelled questions (a curator's and developer's tool)."""
    from bot.core import training
    from bot.core.engine import intent_traits
    from bot.core.matching import Matcher
    from bot.core.scoring import FEATURE_NAMES, TREES_FILE, untrained_model

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
    try:
        gated = [training.read_examples(Path(name)) for name in GATED_FILES if name in files]
    except (OSError, ValueError) as exc:
        print(f"cannot read gated questions: {exc}", file=err)
        return EXIT_FAILED
    model, classifier, summary = training.fit(matcher, examples, without=args.without or (), gated=gated)
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
        if model.trees is not None:
            model.trees.save(target.with_name(TREES_FILE))
        print(f"wrote {target}, {target.with_name('classifier.npz')} and {target.with_name(TREES_FILE)}",
              file=out)
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
    if report.out_of_scope:
        print(f"out-of-scope rejection:  {report.rejection:.1%} (gate {args.min_rejection:.0%}) "
              f"{'ok' if rejection_ok else 'BELOW GATE'}", file=out)
    else:  # nothing to reject: a rate of "100%" would claim a measurement that was not made
        print("out-of-scope rejection:  — (no out-of-scope questions in this file)", file=out)
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
    from bot.core.render import render_table

    try:
        format_table(render_table(engine.kb, args.name, **options), out)
    except ValueError as exc:
        print(exc, file=err)
        return EXIT_FAILED
    return EXIT_OK


def cmd_chart(args: argparse.Namespace, out: TextIO, err: TextIO, inp: TextIO) -> int:
    engine = _load(args, err)
    if engine is None:
        return EXIT_KNOWLEDGE
    return EXIT_OK if write_chart(engine, args.metric, Path(args.out), out, err) else EXIT_FAILED


def write_chart(engine: Engine, metric: str, target: Path, out: TextIO, err: TextIO) -> bool:
    """Draw the chart into `target` and say where it went; a bad metric or a folder that does
    not exist is one line on `err`, never a traceback."""
    from bot.core.chart import chart_alt_text, render_vote_chart

    try:
        png = render_vote_chart(engine.kb, metric)
    except ValueError as exc:
        print(exc, file=err)
        return False
    try:
        target.write_bytes(png)
    except OSError as exc:
        print(f"cannot write {target}: {exc.strerror or exc}", file=err)
        return False
    print(f"wrote {target.resolve()} ({len(png):,} bytes): {chart_alt_text(engine.kb, metric)}",
          file=out)
    return True


# ---------------------------------------------------------------- the console


@dataclass
class ConsoleSession:
    """What the console's commands share: the engine (/reload replaces it), the conversation
    typed questions belong to, the settings, and the misses store if --keep-misses opened one."""

    engine: Engine
    settings: Settings
    knowledge: Path | None = None  # --knowledge, when given
    store: MissStore | None = None
    err: TextIO = field(default_factory=lambda: sys.stderr)  # where a failed answer is reported
    conversation: Conversation = field(init=False)

    def __post_init__(self) -> None:
        self.conversation = _conversation(self.engine)


ConsoleRun = Callable[[ConsoleSession, list[str], TextIO], bool]  # True: quit


@record
class ConsoleCommand:
    """A console /command; the console's help and its Tab completion are written from these."""

    name: str
    usage: str
    help: str
    run: ConsoleRun
    # What Tab offers after the command: the choices its argument takes (each under its
    # aliases: alias -> choice), read from the knowledge base; or names in a question.
    choices: Callable[[KnowledgeBase], dict[str, str]] | None = None
    takes_question: bool = False


TABLE_HELP = {
    "results": "2013 results by constituency", "leaders": "party leaders",
    "committee": "the executive or standing committee", "elections": "general and communal elections",
    "platform": "the seven-point platform", "policies": "policies by area",
    "timeline": "dated events", "sources": "what the answers cite",
}  # fmt: skip
TABLE_USAGE = {"committee": "[executive|standing]", "elections": "[general|communal]"}
# The entity whose names a table command's argument takes (Tab completes them).
TABLE_ENTITY = {"results": "constituency", "committee": "committee", "elections": "election",
                "policies": "policy_area"}
CHART_METRICS = ("share", "votes")


def _entity_names(kind: str) -> Callable[[KnowledgeBase], dict[str, str]]:
    def names(kb: KnowledgeBase) -> dict[str, str]:
        return kb.entity_names(kind)

    return names


def _table_command(name: str) -> ConsoleRun:
    def run(session: ConsoleSession, rest: list[str], out: TextIO) -> bool:
        options: dict[str, object] = {}
        if rest and name in PRIMARY_OPTION:
            options[PRIMARY_OPTION[name]] = " ".join(rest)
        from bot.core.render import render_table

        try:
            format_table(render_table(session.engine.kb, name, **options), out)
        except ValueError as exc:
            print(exc, file=out)
        return False

    return run


def _ask(session: ConsoleSession, rest: list[str], out: TextIO) -> bool:
    if rest:
        _console_question(session, " ".join(rest), out)
    else:
        print("Usage: /ask <question>, or just type the question.", file=out)
    return False


def _explain(session: ConsoleSession, rest: list[str], out: TextIO) -> bool:
    try:
        format_explanation(session.engine, " ".join(rest), out)
    except Exception as exc:  # as for a question: reported, and the console goes on
        _report(exc, session.err)
        format_answer(unanswered(FAILED_TEXT), out)
    return False


def _chart(session: ConsoleSession, rest: list[str], out: TextIO) -> bool:
    metric = rest[0].lower() if rest and rest[0].lower() in CHART_METRICS else "share"
    named = rest[1:] if rest and rest[0].lower() in CHART_METRICS else rest
    # Into the working directory, where the person at the terminal expects a file they asked for.
    target = Path(" ".join(named)).expanduser() if named else Path(f"cnrp-2013-{metric}.png")
    write_chart(session.engine, metric, target, out, out)
    return False


def _about(session: ConsoleSession, rest: list[str], out: TextIO) -> bool:
    engine, settings = session.engine, session.settings
    stats = engine.stats()
    counts = ", ".join(f"{stats[key]:,} {key}" for key in ("intents", "facts", "sources", "tables")
                       if key in stats)
    root = Path(engine.kb.root)
    print(f"cnrp-bot {program_version()} (Python {_python_version()})", file=out)
    print(f"Knowledge base: version {knowledge_version(root)} in {root} ({counts})", file=out)
    if session.store is not None:
        kept = (f"kept in {settings.store_name} for {settings.misses.retention_days} days, "
                "with no server and no user")
    elif settings.misses.keeps_anything:
        kept = f"not kept (start the console with --keep-misses to keep them in {settings.store_name})"
    else:
        kept = "not kept (MISSES_RETENTION_DAYS=0)"
    print(f"Unanswered questions: {kept}", file=out)
    return False


def _reload(session: ConsoleSession, rest: list[str], out: TextIO) -> bool:
    root = session.knowledge or session.settings.knowledge_dir
    try:
        # With MATCH_THRESHOLD and AMBIGUITY_MARGIN, as the console was started.
        engine = Engine.load(root, match_config(session.settings), cache=True)
    except Exception as exc:
        problems = exc.problems if isinstance(exc, KnowledgeError) else (
            KnowledgeError.unexpected(root, exc).problems)
        print(f"Reload refused: the knowledge base has {len(problems)} problem(s); "
              "still serving the previous version.", file=out)
        for problem in problems:
            print(f"  {problem}", file=out)
        return False
    session.engine = engine
    session.conversation = _conversation(engine)
    stats = engine.stats()
    print(f"Reloaded the knowledge base: {stats['intents']} intents, {stats['facts']} facts "
          f"(version {knowledge_version(Path(engine.kb.root))}).", file=out)
    return False


def _misses(session: ConsoleSession, rest: list[str], out: TextIO) -> bool:
    since = _since(rest[0]) if rest else None
    if rest and since is None:
        print(f"/misses takes a date like 2026-11-01, not {rest[0]!r}", file=out)
        return False
    settings = session.settings
    try:
        store = session.store or _open_store(settings, None)
    except StoreUnavailable as exc:
        print(exc, file=out)
        return False
    try:
        from bot.core.misses import format_report, report

        found = store.misses("all", since)
        if not found:
            print(f"No misses kept in {settings.store_name}" + (f" since {rest[0]}." if rest else "."),
                  file=out)
            return False
        print(format_report(report(found, store.feedback("all", since)), limit_chars=1_000_000,
                            max_groups=MISSES_SHOWN), file=out)
    finally:
        if store is not session.store:
            store.close()
    return False


def _help(session: ConsoleSession, rest: list[str], out: TextIO) -> bool:
    print(console_help(), file=out)
    return False


def _quit(session: ConsoleSession, rest: list[str], out: TextIO) -> bool:
    return True


CONSOLE_COMMANDS: dict[str, ConsoleCommand] = {
    "ask": ConsoleCommand("ask", "<question>", "answer a question (or just type it)", _ask,
                          takes_question=True),
    **{name: ConsoleCommand(name, TABLE_USAGE.get(name, f"[{PRIMARY_OPTION[name]}]")
                            if name in PRIMARY_OPTION else "", TABLE_HELP[name], _table_command(name),
                            choices=_entity_names(TABLE_ENTITY[name]) if name in TABLE_ENTITY else None)
       for name in TABLE_NAMES},
    "chart": ConsoleCommand("chart", "[share|votes] [file]",
                            "the 2013 results as a PNG (default: cnrp-2013-share.png here)", _chart,
                            choices=lambda kb: {m: m for m in CHART_METRICS}),
    "about": ConsoleCommand("about", "", "version, knowledge base, what is kept", _about),
    "reload": ConsoleCommand("reload", "", "re-read the knowledge base", _reload),
    "misses": ConsoleCommand("misses", "[since]", "the questions the bot could not answer, grouped",
                             _misses),
    "explain": ConsoleCommand("explain", "<question>", "how a question is matched", _explain,
                              takes_question=True),
    "help": ConsoleCommand("help", "", "this list", _help),
    "quit": ConsoleCommand("quit", "", "leave (or Ctrl-D)", _quit),
}  # fmt: skip
CONSOLE_ALIASES = {"exit": "quit", "q": "quit", "table": "results"}
MISSES_SHOWN = 30


def console_help() -> str:
    """The console's help, written from its own commands."""
    lines = ["Ask a question in plain English, or use a command (Tab completes):"]
    for command in CONSOLE_COMMANDS.values():
        usage = f"/{command.name} {command.usage}".rstrip()
        lines.append(f"  {usage:34} {command.help}")
    return "\n".join(lines)


def console_completions(kb: KnowledgeBase) -> Completions:
    """What Tab offers in the console, from its commands and the knowledge base."""
    from bot.terminal import Completions

    return Completions.build(
        kb, list(CONSOLE_COMMANDS),
        arguments={c.name: c.choices(kb) for c in CONSOLE_COMMANDS.values() if c.choices},
        question_commands=[c.name for c in CONSOLE_COMMANDS.values() if c.takes_question],
    )


def console(engine: Engine, inp: TextIO, out: TextIO, interactive: bool,
            misses: MissStore | None = None, settings: Settings | None = None,
            knowledge: Path | None = None, err: TextIO | None = None) -> int:
    """Answer lines until end of input, as one conversation; /commands as in Discord. At a
    terminal, lines are edited with readline, kept in the history, and Tab completes. A
    question that fails to answer is reported on `err` and costs none of the lines after it."""
    session = ConsoleSession(engine, settings or Settings(token=Secret("")), knowledge, misses,
                             err or sys.stderr)
    if interactive:
        print("cnrp-bot offline console. " + console_help(), file=out)
    if interactive and inp is sys.stdin and out is sys.stdout:
        from bot.terminal import TerminalInput, complete

        built: list[tuple[Engine, Completions]] = []  # rebuilt only when /reload changes the engine

        def tab(line: str) -> list[str]:
            if not built or built[0][0] is not session.engine:
                built[:] = [(session.engine, console_completions(session.engine.kb))]
            return complete(line, built[0][1])

        with TerminalInput(session.settings.history_path, tab) as term:
            while (line := _prompt(term, out)) is not None:
                if _console_line(session, line, out):
                    break
            else:
                print("", file=out)
        return EXIT_OK
    while True:
        if interactive:
            print("\ncnrp> ", end="", file=out, flush=True)
        line = _read_line(inp, _line_limit(session.engine))
        if not line:
            if interactive:
                print("", file=out)
            return EXIT_OK
        if _console_line(session, line, out):
            return EXIT_OK
        if not interactive:
            print("", file=out)


def _prompt(term: TerminalInput, out: TextIO) -> str | None:
    print("", file=out, flush=True)  # a blank line between answers, outside the edited line
    return term.read("cnrp> ")


def _console_line(session: ConsoleSession, line: str, out: TextIO) -> bool:
    """Answer one line or run its /command; True means quit. A line is read as far as the
    engine reads a message, whether it came from stdin or from the terminal's editor."""
    text = line[: _line_limit(session.engine)].strip()
    if not text:
        return False
    if text.startswith("/"):
        return _console_command(session, text, out)
    _console_question(session, text, out)
    return False


def _console_question(session: ConsoleSession, text: str, out: TextIO) -> None:
    answer = _safe_ask(session.engine, text, session.conversation, session.err)
    format_answer(answer, out)
    if session.store is not None:
        _record_miss(session.store, session.settings, answer, out)


def _console_command(session: ConsoleSession, text: str, out: TextIO) -> bool:
    """Run one /command; True means quit."""
    import shlex  # the console's commands only

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
    return command.run(session, rest, out)


def _record_miss(misses: MissStore, settings: Settings, answer: Answer, out: TextIO) -> None:
    # The console is the operator's own: its misses are private, like direct messages.
    miss = settings.misses.miss_for(answer, server=None)
    if miss is None:
        return
    try:
        misses.add(miss)
    except Exception as exc:  # a read-only or locked store must not stop the answers
        print(f"(could not keep the miss: {exc})", file=out)


def _open_store(settings: Settings, target: str | None) -> MissStore:
    """The store `target` names (a file or a postgresql:// URL), or the one the settings name."""
    store = open_store(target or settings.store_target)
    try:
        # Nothing past the retention period is shown, even when the bot has not run to purge it.
        store.purge(settings.misses.cutoff())
    except Exception:
        store.close()
        raise
    return store


def _store_name(settings: Settings, target: str | None) -> str:
    if target is None:
        return settings.store_name
    return describe_url(target) if is_database_url(target) else target


def _since(text: str) -> datetime | None:
    try:
        since = datetime.fromisoformat(text)
    except ValueError:
        return None
    return since if since.tzinfo else since.replace(tzinfo=UTC)


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
        since = _since(args.since)
        if since is None:
            print(f"--since takes a date like 2026-11-01, not {args.since!r}", file=err)
            return EXIT_FAILED
    name = _store_name(settings, args.db)
    try:
        store = _open_store(settings, args.db)
    except StoreUnavailable as exc:
        print(exc, file=err)
        return EXIT_FAILED
    try:
        from bot.core.misses import format_report, miss_to_json, report

        if args.import_file:
            return _import(store, Path(args.import_file), out, err)
        found = store.misses(scope, since)
        if args.jsonl:
            import json

            for miss in found:
                # Escaped like ask --json: a question's own line breaks never split its line.
                print(json.dumps(miss_to_json(miss), ensure_ascii=False).translate(_LINE_SEPARATORS),
                      file=out)
            return EXIT_OK
        where = {"all": "", "private": " from direct messages and the console"}.get(
            str(scope), f" from server {scope}")
        if not found:
            print(f"No misses kept{where}" + (f" since {args.since}" if args.since else "")
                  + f" ({name})", file=out)
            return EXIT_OK
        print(f"({name}{where})", file=out)
        found_report = report(found, store.feedback(scope, since))
        print(format_report(found_report, limit_chars=1_000_000, max_groups=args.show), file=out)
        return EXIT_OK
    finally:
        store.close()


def _import(store: MissStore, path: Path, out: TextIO, err: TextIO) -> int:
    from bot.core.misses import misses_from_jsonl

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
    return cmd_console(args, out, err, inp)


def cmd_console(args: argparse.Namespace, out: TextIO, err: TextIO, inp: TextIO) -> int:
    """The offline console; the misses store only with --keep-misses, so a curator's test
    questions stay out of it."""
    settings = _settings(err)
    engine = _load(args, err, settings) if settings is not None else None
    if settings is None or engine is None:
        return EXIT_KNOWLEDGE
    store: MissStore | None = None
    if args.keep_misses and settings.misses.keeps_anything:
        try:
            store = _open_store(settings, None)
        except StoreUnavailable as exc:  # a read-only checkout still answers
            print(f"(misses are not kept: {exc})", file=err)
    knowledge = Path(args.knowledge) if args.knowledge else None
    try:
        return console(engine, inp, out, interactive=inp.isatty(), misses=store, settings=settings,
                       knowledge=knowledge, err=err)
    finally:
        if store is not None:
            store.close()


# ---------------------------------------------------------------- parser


class _Parser(argparse.ArgumentParser):
    """Exits 1 on a bad option (the README's exit codes), not argparse's 2, which here means a
    knowledge base or setting that does not load."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_FAILED, f"{self.prog}: error: {message}\n")


def _terminal_columns() -> int:
    """`shutil.get_terminal_size().columns`, which argparse's formatter reads for its width,
    without importing shutil: it brings bz2, lzma, zlib and fnmatch (0.8% of the instructions
    of a start that answers a question), and the parser makes a formatter for every option."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns > 0:
        return columns
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns or 80  # type: ignore[union-attr]
    except (AttributeError, ValueError, OSError):
        return 80


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """Shows each option's default when it has one worth showing (not None, not a flag's False)."""

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24,
                 width: int | None = None) -> None:
        # argparse's own default width, as HelpFormatter works it out
        super().__init__(prog, indent_increment, max_help_position,
                         _terminal_columns() - 2 if width is None else width)

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        default = action.default
        if ("%(default)" in text or default in (None, False, argparse.SUPPRESS)
                or isinstance(default, list) or not action.option_strings):
            return text
        return f"{text} (default: %(default)s)"


class _VersionAction(argparse.Action):
    """--version: the program's, Python's and the packaged knowledge base's (read when asked)."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS,
                 default: str = argparse.SUPPRESS, help: str | None = None) -> None:
        super().__init__(option_strings, dest, nargs=0, default=default, help=help)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: object, option_string: str | None = None) -> None:
        root = packaged_knowledge()
        version = knowledge_version(root) if root.is_dir() else "missing"
        print(f"cnrp-bot {program_version()} (Python {_python_version()}; "
              f"knowledge {version} in {root})")
        parser.exit(EXIT_OK)


@functools.cache
def _global_options(*, inherited: bool) -> argparse.ArgumentParser:
    """Options that work before or after the command: `cnrp-bot --knowledge DIR ask …` and
    `cnrp-bot ask --knowledge DIR …`. After a command, an option left out must not overwrite
    what was given before it, hence SUPPRESS there. Made once and given to every command, as
    argparse's parents are meant to be (a parent is only read): a parser apiece was some 2 ms
    of every start."""
    # Its formatter is only made to check each option (see `_terminal_columns`).
    common = argparse.ArgumentParser(add_help=False, formatter_class=_Formatter)
    common.add_argument("--knowledge", metavar="DIR",
                        default=argparse.SUPPRESS if inherited else None,
                        help="knowledge directory (default: CNRP_KNOWLEDGE_DIR, or the knowledge "
                             "base this program ships with)")
    return common


def _command(commands: Any, name: str, summary: str, examples: Sequence[str],
             description: str | None = None) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = commands.add_parser(
        name, help=summary, description=description or summary[:1].upper() + summary[1:] + ".",
        epilog="Example" + ("s" if len(examples) > 1 else "") + ":\n"
               + "\n".join(f"  {example}" for example in examples),
        formatter_class=_Formatter, parents=[_global_options(inherited=True)])
    return parser


def build_parser(commands: Collection[str] | None = None) -> argparse.ArgumentParser:
    """The command line's parser; with `commands`, only their parsers are made, as when parsing
    arguments that can reach no other command (see `_reachable_commands`)."""
    parser = _Parser(
        prog="cnrp-bot", formatter_class=_Formatter, parents=[_global_options(inherited=False)],
        description="Answers questions about the Cambodia National Rescue Party from a cited "
                    "fact base. With no command: the Discord bot if DISCORD_TOKEN is set, "
                    "otherwise the offline console.",
        epilog="Examples:\n  cnrp-bot ask \"who founded the cnrp\"\n  cnrp-bot console\n"
               "  cnrp-bot COMMAND --help")
    parser.add_argument("--version", action=_VersionAction,
                        help="print the version, and the packaged knowledge base's, and exit")
    parser.add_argument("--sync-global", action="store_true",
                        help="sync slash commands globally (up to an hour to appear) instead of to "
                             "DEV_GUILD_ID; the guild copies are removed")
    parser.add_argument("--keep-misses", action="store_true",
                        help="console: keep unanswered questions in the misses store (off, so a "
                             "curator's test questions stay out of it)")
    parser.set_defaults(handler=cmd_default)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, add in COMMANDS.items():
        if commands is None or name in commands:
            add(subparsers)
    return parser


def _add_ask(commands: Any) -> None:
    ask = _command(commands, "ask", "answer a question (or each stdin line)",
                   ['cnrp-bot ask "who founded the cnrp"',
                    'echo "when was the party banned" | cnrp-bot ask --json'])
    ask.add_argument("question", nargs="*", help="the question; omit to read stdin")
    ask.add_argument("--json", action="store_true", help="one JSON object per question")
    ask.add_argument("--explain", action="store_true", help="show candidates, entities, scores")
    ask.add_argument("--conversation", action="store_true",
                     help="stdin lines are one conversation: follow-ups use earlier answers")
    ask.set_defaults(handler=cmd_ask)


def _add_console(commands: Any) -> None:
    chat = _command(commands, "console", "the offline console: questions and /commands, with "
                    "line editing, history and Tab completion at a terminal",
                    ["cnrp-bot console", "cnrp-bot console --keep-misses"])
    chat.add_argument("--keep-misses", action="store_true", default=argparse.SUPPRESS,
                      help="keep unanswered questions in the misses store (off, so a curator's "
                           "test questions stay out of it)")
    chat.set_defaults(handler=cmd_console)


def _add_eval(commands: Any) -> None:
    evaluate = _command(commands, "eval",
                        "measure accuracy on a labelled question file (or a file of conversations)",
                        ["cnrp-bot eval tests/questions.yaml",
                         "cnrp-bot eval tests/holdout.yaml --min-accuracy 0.8 --show 10"])
    evaluate.add_argument("file", help="a YAML list of {q, intent} (or conversations)")
    evaluate.add_argument("--min-accuracy", type=float, default=DEFAULT_MIN_ACCURACY,
                          help="fail below this in-scope accuracy")
    evaluate.add_argument("--min-rejection", type=float, default=DEFAULT_MIN_REJECTION,
                          help="fail below this out-of-scope rejection (when the file has any)")
    evaluate.add_argument("--show", type=int, default=40, help="failures and confusions to list")
    evaluate.set_defaults(handler=cmd_eval)


def _add_fit(commands: Any) -> None:
    fit = _command(commands, "fit",
                   "refit the scoring model (knowledge/scoring.yaml) from labelled questions",
                   ["cnrp-bot fit --write knowledge/scoring.yaml --check tests/fresh.yaml"])
    fit.add_argument("--train", action="append", metavar="FILE",
                     help=f"labelled questions to fit on (repeatable; default: {', '.join(TRAINING_FILES)})")
    fit.add_argument("--check", action="append", metavar="FILE",
                     help="also report how the fitted model does on these files, not fitted on "
                          "(repeatable; default: none)")
    fit.add_argument("--without", action="append", metavar="FEATURE",
                     help="leave a feature out (weight 0), to measure what it is worth "
                          "(default: none)")
    fit.add_argument("--write", metavar="FILE",
                     help="write the model here, e.g. knowledge/scoring.yaml (default: only report)")
    fit.set_defaults(handler=cmd_fit)


def _add_validate(commands: Any) -> None:
    validate = _command(commands, "validate", "check the knowledge base",
                        ["cnrp-bot validate --strict", "cnrp-bot validate --knowledge ./knowledge"])
    validate.add_argument("--strict", action="store_true", help="fail on warnings too")
    validate.set_defaults(handler=cmd_validate)


def _add_table(commands: Any) -> None:
    table = _command(commands, "table", "print a table: " + ", ".join(TABLE_NAMES),
                     ["cnrp-bot table results --sort share --order desc",
                      "cnrp-bot table committee --which standing"])
    table.add_argument("name", choices=TABLE_NAMES, help="the table")
    table.add_argument("--constituency", help="results: one constituency, aliases work (default: all)")
    table.add_argument("--sort", choices=("votes", "share", "name", "no"),
                       help="results: sort key (default: votes)")
    table.add_argument("--order", choices=("desc", "asc"), help="results: sort order (default: desc)")
    table.add_argument("--which", help="committee: executive|standing; elections: general|communal "
                                       "(default: all)")
    table.add_argument("--area", help="policies: one policy area (default: all)")
    table.add_argument("--year", type=int, help="timeline: one year (default: all)")
    table.set_defaults(handler=cmd_table)


def _add_misses(commands: Any) -> None:
    misses = _command(commands, "misses",
                      "group the questions the bot could not answer, with their feedback",
                      ["cnrp-bot misses --since 2026-11-01", "cnrp-bot misses --server dm --jsonl",
                       "cnrp-bot misses --db postgresql://bot@db.internal/cnrp"])
    misses.add_argument("--since", help="only misses from this date (YYYY-MM-DD) on (default: all "
                                        "within MISSES_RETENTION_DAYS)")
    misses.add_argument("--server", default="all",
                        help="one server's misses (its id), dm for direct messages and the "
                             "console, or all")
    misses.add_argument("--db", metavar="FILE|URL",
                        help="the store: a SQLite file or a postgresql:// URL (default: "
                             "DATABASE_URL, else CNRP_MISSES_DB, else misses.sqlite3 in the state "
                             "folder)")
    misses.add_argument("--show", type=int, default=30, help="groups to list")
    misses.add_argument("--jsonl", action="store_true",
                        help="export the misses as JSON lines instead of grouping them")
    misses.add_argument("--import", dest="import_file", metavar="FILE",
                        help="add misses from JSON lines, an export or an old misses.jsonl, instead of "
                             "reporting (default: none)")
    misses.set_defaults(handler=cmd_misses)


def _add_chart(commands: Any) -> None:
    chart = _command(commands, "chart", "write the 2013 results bar chart as PNG",
                     ["cnrp-bot chart --out results.png", "cnrp-bot chart --out votes.png --metric votes"])
    chart.add_argument("--out", required=True, metavar="FILE", help="PNG file to write")
    chart.add_argument("--metric", choices=CHART_METRICS, default="share", help="what the bars show")
    chart.set_defaults(handler=cmd_chart)


# Each command's parser is made by its function, in the order the top-level help lists them.
COMMANDS: dict[str, Callable[[Any], None]] = {
    "ask": _add_ask,
    "console": _add_console,
    "eval": _add_eval,
    "fit": _add_fit,
    "validate": _add_validate,
    "table": _add_table,
    "misses": _add_misses,
    "chart": _add_chart,
}


def _reachable_commands(argv: Sequence[str]) -> tuple[str, ...] | None:
    """The commands whose parsers parsing `argv` can use, or None when it may be any of them.
    A first argument that names a command is that command whatever follows (argparse hands
    everything after the name to its parser, and the top-level parser reads nothing more), and
    with no argument there is no command. Anything else (an option first, the top-level help,
    a mistyped command) may reach or list every command. Making every command's parser was
    most of the parser's cost at every start (gettext looks up each parser's words)."""
    if not argv:
        return ()
    return (argv[0],) if argv[0] in COMMANDS else None


def _plain_question(arguments: Sequence[str]) -> argparse.Namespace | None:
    """What the parser makes of `ask` and words, none of them an option (none starts with "-"):
    the start that answers one question, without making the parser, some 4 ms of it (most of
    that gettext looking each of the parser's words up in the locale's catalogues, which first
    imports locale). None for any other arguments, which the parser reads."""
    if len(arguments) < 2 or arguments[0] != "ask" or any(word.startswith("-") for word in arguments[1:]):
        return None
    return argparse.Namespace(knowledge=None, sync_global=False, keep_misses=False, command="ask",
                              handler=cmd_ask, question=list(arguments[1:]), json=False, explain=False,
                              conversation=False)


def _python_version() -> str:
    import platform  # parses the interpreter's banner: only `about` and `--version` need it

    return platform.python_version()


def _load_dotenv() -> None:
    """Put the nearest `.env`'s variables in the environment (never over a set one), as
    python-dotenv's `load_dotenv()` finds it: the first `.env` walking up from this file's folder
    (from the working directory in a REPL or under a debugger). python-dotenv brings in logging,
    about 6% of a start, so it is imported only when some `.env` lies on either walk: with none,
    it would have found nothing to load."""
    starts = (Path(os.path.abspath(__file__)).parent, Path(os.path.abspath(os.getcwd())))
    if not any(os.path.exists(folder / ".env") for start in starts for folder in (start, *start.parents)):
        return
    try:
        from dotenv import load_dotenv

        load_dotenv(override=False)
    except ImportError:  # pragma: no cover - python-dotenv is a dependency
        pass


def main(argv: Sequence[str] | None = None, *, stdin: TextIO | None = None,
         stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """Entry point; streams are parameters so tests can run it in process."""
    out, err, inp = stdout or sys.stdout, stderr or sys.stderr, stdin or sys.stdin
    _read_stdin_as_utf8(inp)
    _write_replacing(out)
    _write_replacing(err)
    _load_dotenv()
    arguments = list(argv) if argv is not None else sys.argv[1:]
    args = _plain_question(arguments)
    if args is None:
        parser = build_parser(_reachable_commands(arguments))
        try:
            # argparse writes help, --version and usage errors to sys.stdout/stderr; in process
            # (tests) they go to the given streams.
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                args = parser.parse_args(arguments)
        except SystemExit as done:
            return done.code if isinstance(done.code, int) else EXIT_FAILED
    handler: Callable[[argparse.Namespace, TextIO, TextIO, TextIO], int] = args.handler
    return run_handler(handler, args, out, err, inp)


# The engine the last `ask` answered with: `run` ends the process without freeing it.
_ASKED: list[Engine] = []


def run() -> NoReturn:
    """`python -m bot` and the `cnrp-bot` script: `main`, and the process's end.

    After `ask`, the process ends without Python's teardown: freeing its engine (some 60,000
    objects, one by one) and then every module took some 30 M instructions, 8% of a
    one-question start, to give back memory that the process's end gives back anyway. Only
    `ask` ends this way: it writes nothing but its output, which is flushed first, and starts
    no thread; any other command, output that cannot be flushed, or a process a profiler,
    tracer or coverage tool watches (`_observed`: it writes its report at the usual end) ends
    the usual way.

    A question given as words (`_plain_question`) is answered without the cyclic garbage
    collector (`python -m bot` turns it off before importing anything): the start's objects
    live until its end, and a question's answer makes next to no cycles. Every other command
    runs with it."""
    if _plain_question(sys.argv[1:]) is None:
        gc.enable()
    else:
        gc.disable()
    code = main()
    if _ASKED and not _observed():
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except (OSError, ValueError):
            sys.exit(code)  # the usual end reports it
        os._exit(code)
    sys.exit(code)


def _observed() -> bool:
    """Whether a profiler, a tracer or a coverage tool watches this process."""
    if sys.gettrace() is not None or sys.getprofile() is not None:
        return True
    monitoring = getattr(sys, "monitoring", None)  # Python 3.12+: coverage may use it instead
    return monitoring is not None and any(monitoring.get_tool(tool) is not None for tool in range(6))


def run_handler(handler: Callable[[argparse.Namespace, TextIO, TextIO, TextIO], int],
                args: argparse.Namespace, out: TextIO, err: TextIO, inp: TextIO) -> int:
    """Run a command; whatever goes wrong reaches the user as one line, never a traceback."""
    try:
        return handler(args, out, err, inp)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:
        print(f"cnrp-bot: unexpected error: {type(exc).__name__}: {exc}", file=err)
        return EXIT_FAILED


if __name__ == "__main__":
    raise SystemExit(main())
