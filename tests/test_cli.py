"""The CLI in process: every command, the JSON contract, exit codes."""

from __future__ import annotations

import argparse
import contextlib
import functools
import gc
import importlib
import inspect
import io
import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import cli
from bot.cli import CONSOLE_COMMANDS, _Formatter, build_parser, console_help, main
from bot.core.engine import Engine
from bot.core.misses import Feedback, Miss, Vote
from bot.core.misses_sqlite import SqliteMissStore
from bot.core.misses_store import open_store
from bot.core.models import TABLE_NAMES
from bot.core.resources import packaged_knowledge, program_version
from tests.hostile import LINES
from tests.test_knowledge import BROKEN

REPO = Path(__file__).resolve().parents[1]


@functools.cache
def _engine() -> Engine:
    return Engine.load()


class FakeStdin(io.StringIO):
    def isatty(self) -> bool:
        return False


def run(*argv: str, stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdin=FakeStdin(stdin), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(autouse=True)
def no_token(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for key in ("DISCORD_TOKEN", "CNRP_KNOWLEDGE_DIR", "MISSES_LOW_CONFIDENCE",
                "MISSES_RETENTION_DAYS", "MISSES_LOG_USERS"):  # fmt: skip
        monkeypatch.delenv(key, raising=False)
    # Misses go to a scratch store, never the checkout's; no stray .env is read.
    monkeypatch.setenv("CNRP_MISSES_DB", str(tmp_path / "misses.sqlite3"))
    monkeypatch.setattr("dotenv.load_dotenv", lambda **_: False)
    monkeypatch.chdir(tmp_path)


def test_dotenv_is_loaded_only_when_a_dotenv_file_lies_on_its_search(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # python-dotenv looks from the calling file's folder up (from the working directory under a
    # debugger): with no .env on either walk it is not even imported, and with one it is called.
    calls: list[dict[str, Any]] = []

    def load_dotenv(**kwargs: Any) -> bool:
        calls.append(kwargs)
        return False

    monkeypatch.setattr("dotenv.load_dotenv", load_dotenv)
    package, work = tmp_path / "site" / "bot", tmp_path / "work"
    package.mkdir(parents=True)
    work.mkdir()
    monkeypatch.setattr(cli, "__file__", str(package / "cli.py"))
    monkeypatch.chdir(work)
    cli._load_dotenv()
    assert calls == []
    (tmp_path / "site" / ".env").write_text("X=1\n", encoding="utf-8")
    cli._load_dotenv()
    (tmp_path / "site" / ".env").unlink()
    (work / ".env").write_text("X=1\n", encoding="utf-8")
    cli._load_dotenv()
    assert calls == [{"override": False}, {"override": False}]


def test_ask_prints_answer_and_numbered_sources() -> None:
    code, out, _ = run("ask", "who foundd cnrp")
    assert code == 0
    assert "Sam Rainsy" in out and "[1] Cambodia National Rescue Party, Infobox" in out


def test_ask_json_reads_stdin_line_by_line_in_order() -> None:
    code, out, _ = run("ask", "--json", stdin="who founded cnrp\n\nwhats the weather\nhi\n")
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(lines) == 4
    for data in lines:
        assert list(data) == ["matched", "intent", "confidence", "answer", "citations", "suggestions"]
    assert [d["matched"] for d in lines] == [True, False, False, False]
    assert lines[0]["intent"] == "party.founders" and lines[2]["intent"] is None
    assert lines[3]["intent"] == "meta.greeting"
    assert len(lines[2]["suggestions"]) <= 3


def test_ask_json_with_argument_prints_one_object() -> None:
    code, out, _ = run("ask", "--json", "when was the party banned")
    data = json.loads(out)
    assert code == 0 and data["intent"] == "dissolution.ruling" and data["citations"]


def test_explain_shows_candidates_and_entities() -> None:
    code, out, _ = run("ask", "--explain", "cnrp share in kompong cham")
    assert code == 0
    assert "entities:    constituency=Kampong Cham" in out
    assert "1. results.constituency" in out and "decision:" in out


def test_validate_strict_passes_on_shipped_knowledge() -> None:
    code, out, _ = run("validate", "--strict")
    assert code == 0 and out.startswith("knowledge ok")


def test_broken_knowledge_exits_2_without_traceback(knowledge_copy: Path) -> None:
    (knowledge_copy / "sources.yaml").write_text("sources:\n  - id: a\n    id: b\n")
    for argv in (["--knowledge", str(knowledge_copy), "ask", "hi"],
                 ["--knowledge", str(knowledge_copy), "validate"]):
        code, _, err = run(*argv)
        assert code == 2
        assert "duplicate key 'id'" in err and "Traceback" not in err


def test_table_results_sorted_and_filtered() -> None:
    code, out, _ = run("table", "results", "--sort", "share", "--order", "desc")
    assert code == 0
    body = out.splitlines()
    assert body[3].split()[1:3] == ["Phnom", "Penh"]
    assert "Total as stated: 2,946,176" in out and "2,945,974" in out
    code, out, _ = run("table", "results", "--constituency", "takeo")
    assert code == 0 and "Takéo" in out and "Kandal" not in out


@pytest.mark.parametrize("name", ["leaders", "committee", "elections", "platform", "policies",
                                  "timeline", "sources"])
def test_every_table_renders(name: str) -> None:
    code, out, _ = run("table", name)
    assert code == 0 and len(out.splitlines()) > 2


def test_bad_table_option_is_a_clear_error() -> None:
    code, _, err = run("table", "committee", "--which", "central")
    assert code == 1 and "No committee called 'central'. Try one of: Executive, Standing." in err
    code, _, err = run("table", "results", "--constituency", "kompong")
    assert code == 1 and "Did you mean Kampong Cham, Kampong Chhnang" in err


def test_console_answers_each_line_and_table_commands() -> None:
    code, out, _ = run(stdin="who founded cnrp\n/committee executive\n/nonsense\n")
    assert code == 0
    assert "Sam Rainsy" in out and "Yim Sovann" in out and "Unknown command /nonsense" in out


def discord_command_names() -> set[str]:
    """The slash commands the Discord cogs register, read from the cog classes."""
    from discord.ext import commands

    from bot.discord_app.app import EXTENSIONS

    names: set[str] = set()
    for extension in EXTENSIONS:
        module = importlib.import_module(extension)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, commands.Cog) and cls.__module__ == module.__name__:
                names |= {command.name for command in cls.__cog_app_commands__}
    return names


def test_console_help_lists_exactly_its_commands_and_they_match_discords() -> None:
    assert set(TABLE_NAMES) <= set(CONSOLE_COMMANDS), "every table is a console command"
    text = console_help()
    for command in CONSOLE_COMMANDS.values():
        assert f"/{command.name}" in text and command.help in text
    assert set(re.findall(r"^\s+/(\w+)", text, re.MULTILINE)) == set(CONSOLE_COMMANDS)
    assert discord_command_names() <= set(CONSOLE_COMMANDS), "the same commands as on Discord"
    code, out, _ = run(stdin="/help\n")
    assert code == 0 and text in out


def test_console_commands_as_on_discord(tmp_path: Path) -> None:
    code, out, _ = run(stdin="/about\n/ask who founded cnrp\n/chart votes\n/chart share mine.png\n"
                             "/reload\n/misses\n/quit\n/about\n")
    assert code == 0
    assert f"cnrp-bot {program_version()}" in out and "Knowledge base: version " in out
    assert "not kept (start the console with --keep-misses" in out
    assert "Sam Rainsy" in out
    for name in ("cnrp-2013-votes.png", "mine.png"):
        png = tmp_path / name
        assert png.read_bytes().startswith(b"\x89PNG"), name
        assert f"wrote {png} (" in out, "says where the chart went"
    assert "Reloaded the knowledge base" in out and "No misses kept" in out
    assert out.count("Knowledge base: version") == 1, "nothing after /quit is run"


def test_console_chart_into_a_missing_folder_is_one_line(tmp_path: Path) -> None:
    code, out, _ = run(stdin=f"/chart share {tmp_path / 'missing' / 'c.png'}\nwho founded cnrp\n")
    assert code == 0 and "cannot write" in out and "Traceback" not in out and "Sam Rainsy" in out


class BreakingStdin(FakeStdin):
    """Lines for the console; before handing out /reload, it breaks the knowledge base."""

    def __init__(self, text: str, knowledge: Path) -> None:
        super().__init__(text)
        self.knowledge = knowledge

    def readline(self, size: int | None = -1) -> str:
        line = super().readline(size)
        if line.startswith("/reload"):
            (self.knowledge / "sources.yaml").write_text("sources: [\n", encoding="utf-8")
        return line


def test_console_reload_refuses_a_broken_knowledge_base(knowledge_copy: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    stdin = BreakingStdin("/about\n/reload\nwho founded cnrp\n", knowledge_copy)
    code = main(["--knowledge", str(knowledge_copy)], stdin=stdin, stdout=out, stderr=err)
    text = out.getvalue()
    assert code == 0 and str(knowledge_copy) in text
    assert "Reload refused" in text and "sources.yaml" in text and "still serving" in text
    assert "Sam Rainsy" in text, "the loaded knowledge base keeps answering"


def test_bad_settings_are_refused_by_the_command_line_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MISSES_LOW_CONFIDENCE", "abc")
    code, _, err = run("ask", "who founded cnrp")
    assert code == 2 and "settings: MISSES_LOW_CONFIDENCE must be a number" in err


def test_the_threshold_setting_applies_to_the_command_line(monkeypatch: pytest.MonkeyPatch) -> None:
    # A curator tries a threshold offline: the same question is answered, then held back.
    _, out, _ = run("ask", "--json", "when was the cnrp founded")
    answered = json.loads(out)
    assert answered["matched"] and answered["confidence"] < 0.999
    monkeypatch.setenv("MATCH_THRESHOLD", "0.999")
    _, out, _ = run("ask", "--json", "when was the cnrp founded")
    assert not json.loads(out)["matched"]


def test_the_threshold_setting_applies_in_the_console_and_after_its_reload(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MATCH_THRESHOLD", "0.999")
    monkeypatch.setenv("AMBIGUITY_MARGIN", "0.123")
    code, out, _ = run(stdin="/explain when was the cnrp founded\n/reload\n"
                             "/explain when was the cnrp founded\n")
    assert code == 0 and "Reloaded the knowledge base" in out
    assert out.count("(threshold 0.999, margin 0.123)") == 2, "the reloaded engine keeps them"


def test_a_question_or_explain_that_fails_in_the_console_costs_no_later_line(
        monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_: Any, **__: Any) -> None:
        raise RuntimeError("explain failed")

    monkeypatch.setattr(Engine, "explain", broken)
    code, out, err = run(stdin="/explain who founded cnrp\nwho founded cnrp\n")
    assert code == 0 and "something went wrong" in out and "Sam Rainsy" in out
    assert "RuntimeError: explain failed" in err and "Traceback" not in err


def seed(path: Path) -> None:
    now = datetime.now(UTC)
    store = SqliteMissStore(path)
    try:
        store.add(Miss(now, "who made the cnrp", "unknown", 0.5, (("party.founders", 0.5),),
                       server=1, id=10))  # fmt: skip
        store.add(Miss(now - timedelta(days=30), "who created cnrp", "unknown", 0.5, (), server=1))
        store.add(Miss(now, "platypus question", "unknown", 0.2, (), server=2))
        store.add(Miss(now, "quokka in a dm", "unknown", 0.2, (), server=None))
        store.add(Miss(now - timedelta(days=200), "too old to keep", "unknown", 0.2, (), server=1))
        store.add_feedback(Feedback(now, Vote.CLICKED, 1, 10, suggestion="Who founded the CNRP?"))
        store.add_feedback(Feedback(now, Vote.DOWN, 1, None, intent="party.logo"))
    finally:
        store.close()


def test_misses_by_server_and_date_with_their_feedback(tmp_path: Path) -> None:
    seed(tmp_path / "misses.sqlite3")
    code, out, _ = run("misses")
    assert code == 0 and "platypus" in out and "quokka" in out and "too old" not in out
    code, out, _ = run("misses", "--server", "1")
    assert code == 0 and "who made the cnrp" in out and "platypus" not in out and "quokka" not in out
    assert "clicked: 'Who founded the CNRP?' ×1" in out and "party.logo: 0 / 1" in out
    since = (datetime.now(UTC) - timedelta(days=7)).date().isoformat()
    code, out, _ = run("misses", "--server", "1", "--since", since)
    assert "who made the cnrp" in out and "who created" not in out
    code, out, _ = run("misses", "--server", "dm")
    assert "quokka" in out and "platypus" not in out
    code, _, err = run("misses", "--server", "everyone")
    assert code == 1 and "--server takes" in err


def test_misses_export_and_import_json_lines(tmp_path: Path) -> None:
    seed(tmp_path / "misses.sqlite3")
    code, out, _ = run("misses", "--jsonl", "--server", "2")
    (line,) = out.splitlines()
    assert code == 0 and json.loads(line)["text"] == "platypus question"
    old = tmp_path / "old.jsonl"
    old.write_text(json.dumps({"at": datetime.now(UTC).isoformat(), "text": "from the old log",
                               "kind": "unknown", "confidence": 0.1, "candidates": []}) + "\n")
    for _ in range(2):
        code, out, _ = run("misses", "--import", str(old))
        assert code == 0 and "imported 1 misses" in out
    code, out, _ = run("misses", "--server", "dm", "--jsonl")
    assert [json.loads(x)["text"] for x in out.splitlines()].count("from the old log") == 1



def test_misses_reads_a_postgresql_store_too(postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    store = open_store(postgres_url)
    try:
        store.add(Miss(datetime.now(UTC), "asked on another machine", "unknown", 0.2, (), server=7))
    finally:
        store.close()
    code, out, _ = run("misses", "--db", postgres_url, "--server", "7")
    assert code == 0 and "asked on another machine" in out and f"({postgres_url} from server 7)" in out
    monkeypatch.setenv("DATABASE_URL", postgres_url)
    code, out, _ = run("misses", "--jsonl")
    assert code == 0 and json.loads(out)["text"] == "asked on another machine"


def test_eval_reports_and_gates(tmp_path: Path) -> None:
    cases = tmp_path / "cases.yaml"
    cases.write_text('- {q: "who founded cnrp", intent: party.founders}\n'
                     '- {q: "what is the weather", intent: null}\n'
                     '- {q: "when was it banned", intent: party.logo}\n')
    code, out, _ = run("eval", str(cases))
    assert code == 1
    assert "party.founders" in out and "Confidence histogram" in out and "BELOW GATE" in out
    code, _, _ = run("eval", str(cases), "--min-accuracy", "0.5")
    assert code == 0


def test_a_store_that_cannot_open_costs_no_answer(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    monkeypatch.setenv("CNRP_MISSES_DB", str(tmp_path / "a-file" / "misses.sqlite3"))
    code, out, err = run("--keep-misses", stdin="what is the weather on mars\n")
    assert code == 0 and "I don't know" in out and "misses are not kept" in err
    code, _, err = run("misses")
    assert code == 1 and "cannot open" in err


def test_eval_shows_a_dash_for_rejection_without_out_of_scope_questions(tmp_path: Path) -> None:
    cases = tmp_path / "cases.yaml"
    cases.write_text('- {q: "who founded cnrp", intent: party.founders}\n')
    code, out, _ = run("eval", str(cases))
    assert code == 0 and "out-of-scope rejection:  — (no out-of-scope questions" in out
    assert "100.0%" not in out.split("out-of-scope rejection")[1]


def subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    (action,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(action.choices)


@pytest.mark.parametrize("name", sorted(subcommands()))
def test_every_commands_help_shows_its_defaults_and_an_example(name: str) -> None:
    code, out, _ = run(name, "--help")
    assert code == 0 and "Example" in out and f"cnrp-bot {name}" in out.split("Example")[1]
    text = " ".join(out.split())  # argparse wraps lines wherever it likes
    formatter = _Formatter(f"cnrp-bot {name}")
    for action in subcommands()[name]._actions:
        if (not action.option_strings or action.help in (None, argparse.SUPPRESS)
                or action.nargs == 0 or action.required):
            continue  # positionals, -h, flags (off unless given) and what must be given
        shown = formatter._get_help_string(action) or ""
        assert "default" in shown, f"{name} {action.option_strings[-1]} says its default"
        if action.default not in (None, argparse.SUPPRESS):
            assert f"(default: {action.default})" in text


def _parsed(parser: argparse.ArgumentParser, argv: list[str]) -> tuple[object, str, str]:
    """What parsing `argv` gives: the namespace, or the exit code; and what argparse printed."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            outcome: object = vars(parser.parse_args(argv))
        except SystemExit as done:
            outcome = done.code
    return outcome, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("argv", [
    [], ["ask"], ["ask", "who", "founded", "the", "cnrp"], ["ask", "--json", "--explain", "x"],
    ["ask", "--conversation"], ["ask", "--knowledge", "k", "x"], ["ask", "x", "--knowledge=k"],
    ["ask", "--help"], ["ask", "--bogus"], ["ask", "--", "--json"], ["ask", "--know", "k", "x"],
    ["console"], ["console", "--keep-misses"], ["eval"], ["eval", "f.yaml", "--min-accuracy", "x"],
    ["eval", "f.yaml", "--show", "3", "--min-rejection", "0.5"], ["fit", "--train", "a", "--train", "b"],
    ["fit", "--without", "lexical", "--write", "w"], ["validate", "--strict"], ["table"],
    ["table", "results", "--sort", "share", "--order", "asc", "--year", "2013"], ["table", "nope"],
    ["misses", "--jsonl", "--server", "dm", "--show", "2"], ["misses", "--import", "f"],
    ["chart"], ["chart", "--out", "o.png", "--metric", "votes"], ["chart", "--help"],
    ["--help"], ["-h"], ["--version"], ["--sync-global"], ["--keep-misses", "console"],
    ["--knowledge", "k", "ask", "x"], ["--knowledge=k", "validate"], ["--know", "k", "ask"],
    ["asks", "x"], ["ASK", "x"], ["--bogus", "ask"], ["--", "ask", "x"], ["-", "ask"],
])  # fmt: skip
def test_a_parser_of_the_reachable_commands_parses_as_the_whole_one(argv: list[str]) -> None:
    """main() makes only the parsers that `argv` can reach: every outcome (namespace, help,
    usage error, exit code) is the one the parser of every command gives."""
    whole = _parsed(build_parser(), argv)
    assert _parsed(build_parser(cli._reachable_commands(argv)), argv) == whole
    if argv and argv[0] in cli.COMMANDS:
        assert cli._reachable_commands(argv) == (argv[0],)


@pytest.mark.parametrize(("columns", "lines"), [
    (None, None), ("120", None), ("120", "40"), ("0", "40"), ("-5", None), ("wide", "40"), (" 90 ", "x"),
])  # fmt: skip
def test_the_formatters_width_is_the_one_argparse_works_out(
        monkeypatch: pytest.MonkeyPatch, columns: str | None, lines: str | None) -> None:
    """`_terminal_columns` stands in for shutil.get_terminal_size().columns, which
    HelpFormatter reads when not given a width: the same number, with or without a terminal."""
    import shutil

    for name, value in (("COLUMNS", columns), ("LINES", lines)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    assert cli._terminal_columns() == shutil.get_terminal_size().columns
    plain = argparse.RawDescriptionHelpFormatter("cnrp-bot")
    assert _Formatter("cnrp-bot")._width == plain._width
    with mock.patch.object(sys, "__stdout__", None):
        assert cli._terminal_columns() == shutil.get_terminal_size().columns


def test_the_top_level_help_and_version() -> None:
    code, out, _ = run("--help")
    assert code == 0 and "Examples:" in out and "--version" in out
    code, out, _ = run("--version")
    assert code == 0 and re.fullmatch(
        rf"cnrp-bot {re.escape(program_version())} \(Python [\d.]+\w*; knowledge [0-9a-f]{{12}} in .+\)\n", out)


def test_global_options_work_before_or_after_the_command(knowledge_copy: Path) -> None:
    (knowledge_copy / "sources.yaml").write_text("sources: [\n", encoding="utf-8")
    for argv in (["--knowledge", str(knowledge_copy), "ask", "hi"],
                 ["ask", "--knowledge", str(knowledge_copy), "hi"],
                 ["ask", "hi", "--knowledge", str(knowledge_copy)],
                 ["validate", "--knowledge", str(knowledge_copy)]):
        code, _, err = run(*argv)
        assert code == 2 and "sources.yaml" in err, argv
    good, missing = str(packaged_knowledge()), str(knowledge_copy.parent / "nowhere")
    code, _, err = run("--knowledge", good, "ask", "--knowledge", missing, "hi")
    assert code == 2 and "nowhere" in err, "the one after the command wins, as the last given"
    code, _, _ = run("--knowledge", missing, "ask", "--knowledge", good, "hi")
    assert code == 0


def test_a_bad_option_is_exit_1_with_usage_and_no_traceback() -> None:
    code, out, err = run("table", "nonsense")
    assert code == 1 and out == "" and err.startswith("usage: cnrp-bot table")
    assert "invalid choice: 'nonsense'" in err and "Traceback" not in err


def test_chart_into_a_missing_folder_is_one_line_and_exit_1(tmp_path: Path) -> None:
    target = tmp_path / "no" / "such" / "folder" / "chart.png"
    code, out, err = run("chart", "--out", str(target))
    assert code == 1 and out == "" and err == f"cannot write {target}: No such file or directory\n"
    code, out, _ = run("chart", "--out", str(tmp_path / "chart.png"), "--metric", "votes")
    assert code == 0 and out.startswith(f"wrote {tmp_path / 'chart.png'} (")


def test_an_unexpected_error_is_one_line_not_a_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_: object) -> int:
        raise RuntimeError("something odd")

    monkeypatch.setattr("bot.cli.cmd_validate", broken)
    code, _, err = run("validate")
    assert code == 1 and err == "cnrp-bot: unexpected error: RuntimeError: something odd\n"


# ---------------------------------------------------------------- hostile input, one line each

CONTRACT = ("matched", "intent", "confidence", "answer", "citations", "suggestions")


def contract_lines(output: bytes | str) -> list[dict[str, Any]]:
    """Every output line as the JSON contract: valid UTF-8, one object per line, its types."""
    text = output.decode("utf-8") if isinstance(output, bytes) else output  # strict: raises
    objects = []
    for line in text.splitlines():  # splits at U+2028, U+0085, CR…: each must be escaped
        data = json.loads(line)
        assert list(data) == list(CONTRACT)
        assert isinstance(data["matched"], bool)
        assert data["intent"] is None or isinstance(data["intent"], str)
        confidence = data["confidence"]
        assert isinstance(confidence, int | float) and not isinstance(confidence, bool)
        assert 0 <= confidence <= 1
        assert isinstance(data["answer"], str) and data["answer"]
        for citation in data["citations"]:
            assert set(citation) == {"source", "title", "section", "url"}
            assert all(isinstance(value, str) for value in citation.values())
        assert all(isinstance(s, str) for s in data["suggestions"]) and len(data["suggestions"]) <= 3
        objects.append(data)
    return objects


def input_lines(data: bytes) -> int:
    """Lines as the contract counts them: ended by LF, the last one perhaps by end of input."""
    return data.count(b"\n") + (not data.endswith(b"\n") and bool(data))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(LINES, min_size=1, max_size=25), st.booleans())
def test_ask_json_gives_one_contract_line_per_input_line(lines: list[str], conversation: bool) -> None:
    argv = ["ask", "--json", *(["--conversation"] if conversation else [])]
    with mock.patch.object(Engine, "load", return_value=_engine()):
        code, out, err = run(*argv, stdin="\n".join(lines) + "\n")
    assert code == 0, err
    assert len(contract_lines(out)) == len(lines)


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\x85", "\r", "\x0b", "\x1c"])
def test_a_line_separator_in_a_question_stays_inside_its_line(separator: str) -> None:
    stdin = f"who founded it? caf{separator}e and when was it banned?\nhi\n"
    code, out, _ = run("ask", "--json", stdin=stdin)
    lines = contract_lines(out)
    assert code == 0 and len(lines) == 2 and lines[1]["intent"] == "meta.greeting"


def test_a_failing_question_still_gets_its_line_and_the_rest_are_answered(
        monkeypatch: pytest.MonkeyPatch) -> None:
    real = Engine.ask

    def flaky(self: Engine, question: str, context: Any = None) -> Any:
        if "boom" in question:
            raise RuntimeError("a bug")
        return real(self, question, context)

    monkeypatch.setattr(Engine, "ask", flaky)
    code, out, err = run("ask", "--json", stdin="who founded cnrp\nboom\nwhen was the party banned\n")
    lines = contract_lines(out)
    assert code == 0 and len(lines) == 3
    assert [line["matched"] for line in lines] == [True, False, True]
    assert "RuntimeError: a bug" in err
    code, out, err = run(stdin="boom\nwho founded cnrp\n")
    assert code == 0 and "Sam Rainsy" in out and "something went wrong" in out


# Bytes a file or a pipe may hold: invalid UTF-8 of every kind, CR and CRLF endings, NUL.
HOSTILE_BYTES = b"".join([
    b"who founded cnrp\n",
    b"caf\xe9 and who founded it?\n",  # Latin-1
    b"\xff\xfe\xfd\n",  # never valid
    b"\xed\xa0\x80 lone surrogate encoded\n",  # UTF-8 of U+D800: invalid
    b"\xc0\xaf overlong slash\n",
    b"truncated \xe2\x80\n",
    b"when was the party banned\r\n",  # CRLF
    b"one\rline with a lone CR? and who founded it?\n",
    b"\x00\x01\x1b[31m\n",
    "who founded it? caf\u2028e and when was it banned?\n".encode(),
    b"\n",
    b"top " + b"9" * 400 + b" provinces\n",
    b"  " * 900 + b"and who founded it?\n",
    b"last line without a newline \xe9",
])

LOCALES = [
    {"LC_ALL": "C.UTF-8"},  # UTF-8, surrogateescape: bad bytes came out as bad bytes
    {"LC_ALL": "C"},
    {"LC_ALL": "C.UTF-8", "PYTHONIOENCODING": "utf-8:strict"},  # one bad byte ended the run
    {"LC_ALL": "en_US.UTF-8", "PYTHONUTF8": "0"},
    {"LC_ALL": "C.UTF-8", "PYTHONIOENCODING": "ascii"},
    {"LC_ALL": "C.UTF-8", "PYTHONIOENCODING": "latin-1"},
]


@pytest.mark.parametrize("environment", LOCALES, ids=lambda e: ",".join(f"{k}={v}" for k, v in e.items()))
def test_invalid_utf8_on_stdin_never_crashes_nor_leaks_into_the_output(environment: dict[str, str]) -> None:
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(REPO), **environment}
    done = subprocess.run([sys.executable, "-m", "bot", "ask", "--json"], input=HOSTILE_BYTES,
                          capture_output=True, env=env, cwd=REPO, timeout=120, check=False)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    assert b"Traceback" not in done.stderr
    lines = contract_lines(done.stdout)
    assert len(lines) == input_lines(HOSTILE_BYTES)
    assert lines[0]["intent"] == "party.founders" and lines[6]["intent"] == "dissolution.ruling"
    assert "Sam Rainsy" in lines[1]["answer"], "the text around a bad byte is still read"


def test_the_console_reads_invalid_utf8_under_a_strict_locale(tmp_path: Path) -> None:
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(REPO), "LC_ALL": "C.UTF-8",
           "PYTHONIOENCODING": "utf-8:strict", "CNRP_MISSES_DB": str(tmp_path / "misses.sqlite3")}
    done = subprocess.run([sys.executable, "-m", "bot"], input=HOSTILE_BYTES, capture_output=True,
                          env=env, cwd=tmp_path, timeout=120, check=False)
    assert done.returncode == 0 and b"Traceback" not in done.stderr, done.stderr
    out = done.stdout.decode("utf-8")
    assert out.count("Sam Rainsy") >= 3 and "2017" in out


@pytest.mark.parametrize("case", BROKEN, ids=list(BROKEN))
def test_every_broken_folder_exits_2_with_its_problems(knowledge_copy: Path, case: str) -> None:
    file, old, new, _, message = BROKEN[case]
    path = knowledge_copy / file
    path.write_text(path.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
    for command in (["validate"], ["ask", "hi"]):
        code, _, err = run("--knowledge", str(knowledge_copy), *command)
        assert code == 2 and message in err and "Traceback" not in err, (command, err)


def test_a_failure_no_check_foresaw_still_exits_2(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_: Any, **__: Any) -> None:
        raise RuntimeError("index failed")

    monkeypatch.setattr("bot.core.engine.Matcher", broken)
    for argv in (["validate"], ["ask", "hi"]):
        code, _, err = run(*argv)
        assert code == 2 and "cannot be loaded: RuntimeError: index failed" in err


def test_an_empty_token_is_said_before_the_console_answers(monkeypatch: pytest.MonkeyPatch,
                                                            tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no .env here
    monkeypatch.setenv("DISCORD_TOKEN", "")
    code, out, err = run(stdin="who founded cnrp\n")
    assert code == 0 and "Sam Rainsy" in out
    assert "DISCORD_TOKEN is set but empty, so the Discord bot is not started" in err


def test_a_line_longer_than_the_cap_is_read_in_pieces_and_answered_once() -> None:
    long_line = "who founded the cnrp? " + "x" * 3_000_000
    code, out, _ = run("ask", "--json", stdin=f"{long_line}\r\nhi\nwhen was the party banned")
    lines = contract_lines(out)
    assert code == 0 and len(lines) == 3
    assert "Sam Rainsy" in lines[0]["answer"]
    assert lines[1]["intent"] == "meta.greeting" and lines[2]["intent"] == "dissolution.ruling"


def test_read_line_keeps_at_most_the_cap() -> None:
    from bot.cli import _read_line

    stream = io.StringIO("abcdefghij\nxy\n" + "z" * 25)
    assert [_read_line(stream, 4) for _ in range(4)] == ["abcd\n", "xy\n", "zzzz", ""]


def test_run_ends_an_ask_without_teardown_and_any_other_command_the_usual_way(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    class Ended(Exception):
        pass

    ended: list[int] = []

    def end(code: int) -> None:
        ended.append(code)
        raise Ended

    monkeypatch.setattr(os, "_exit", end)
    monkeypatch.setattr(cli, "_ASKED", [])
    monkeypatch.setattr(cli, "_observed", lambda: False)  # whatever may watch the tests
    monkeypatch.setattr(sys, "argv", ["cnrp-bot", "ask", "who founded the cnrp"])
    try:
        with pytest.raises(Ended):
            cli.run()
        # A question given as words is answered without the cyclic collector.
        assert ended == [0] and "Sam Rainsy" in capsys.readouterr().out and not gc.isenabled()
        monkeypatch.setattr(cli, "_ASKED", [])
        monkeypatch.setattr(sys, "argv", ["cnrp-bot", "--version"])
        with pytest.raises(SystemExit) as done:
            cli.run()
        assert done.value.code == 0 and ended == [0] and gc.isenabled()
        # A profiler writes its report at the usual end, so an ask it watches ends that way.
        monkeypatch.setattr(cli, "_observed", lambda: True)
        monkeypatch.setattr(sys, "argv", ["cnrp-bot", "ask", "who founded the cnrp"])
        with pytest.raises(SystemExit) as done:
            cli.run()
        assert done.value.code == 0 and ended == [0] and "Sam Rainsy" in capsys.readouterr().out
    finally:
        gc.enable()


def test_a_profiler_or_tracer_is_seen_watching() -> None:
    def hook(*_: object) -> None:
        return None

    for install in (sys.setprofile, sys.settrace):
        before = sys.getprofile() if install is sys.setprofile else sys.gettrace()
        install(hook)
        try:
            assert cli._observed()
        finally:
            install(before)


def test_importing_the_command_line_leaves_what_only_other_commands_use_unimported() -> None:
    """The console's command splitting (shlex), the tables' reading (csv, a build's) and
    threading (only the Discord bot and the misses' stores start threads) are imported where
    they are used: a start that answers from a cached engine needs none of them."""
    code = "import sys, bot.cli; print(sorted({'shlex', 'csv', 'threading'} & set(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          cwd=Path(__file__).parents[1])
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize("argv", [["ask", "who founded the cnrp"], ["ask", "who", "founded", "it?"],
                                  ["ask", "", "x  y"], ["ask", "what's 5-3", "ask"]])
def test_a_plain_question_is_read_as_the_parser_reads_it(argv: list[str]) -> None:
    plain = cli._plain_question(argv)
    assert plain is not None
    assert vars(plain) == vars(build_parser().parse_args(argv)) == vars(build_parser(("ask",)).parse_args(argv))


@pytest.mark.parametrize("argv", [[], ["ask"], ["ask", "--json"], ["ask", "who", "-h"], ["ask", "-", "q"],
                                  ["ask", "q", "--knowledge", "k"], ["--knowledge", "k", "ask", "q"], ["console"],
                                  ["asks", "q"]])
def test_anything_but_a_plain_question_is_left_to_the_parser(argv: list[str]) -> None:
    assert cli._plain_question(argv) is None
