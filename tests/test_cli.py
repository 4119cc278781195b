"""The CLI in process: every command, the JSON contract, exit codes."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from bot.cli import main


class FakeStdin(io.StringIO):
    def isatty(self) -> bool:
        return False


def run(*argv: str, stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdin=FakeStdin(stdin), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(autouse=True)
def no_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    monkeypatch.delenv("CNRP_KNOWLEDGE_DIR", raising=False)
    monkeypatch.setattr("dotenv.load_dotenv", lambda **_: False)


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
