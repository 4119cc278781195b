"""Schema checks: each broken fixture names its file, entry, field and problem exactly."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.core.engine import Engine
from bot.core.knowledge import KnowledgeError, PartialDate, Problem, Severity, load_knowledge


def _errors(root: Path) -> list[Problem]:
    _, problems = load_knowledge(root)
    return [p for p in problems if p.severity is Severity.ERROR]


def _load_errors(root: Path) -> list[str]:
    with pytest.raises(KnowledgeError) as caught:
        Engine.load(root)
    return [str(p) for p in caught.value.problems]


def test_shipped_knowledge_has_no_problems() -> None:
    _, problems = load_knowledge()
    assert problems == []


def test_duplicate_yaml_key_is_an_error(knowledge_copy: Path) -> None:
    path = knowledge_copy / "sources.yaml"
    path.write_text(path.read_text().replace("  - id: wikipedia\n", "  - id: wikipedia\n    id: again\n", 1))
    (problem,) = _errors(knowledge_copy)
    assert problem.file == "knowledge/sources.yaml"
    assert problem.message == "duplicate key 'id'"
    assert problem.line == 5


def test_unquoted_no_key_is_an_error(knowledge_copy: Path) -> None:
    path = knowledge_copy / "tables.yaml"
    path.write_text(path.read_text().replace('{"no": int, name: str, aliases', '{no: int, name: str, aliases'))
    (problem,) = _errors(knowledge_copy)
    assert "reads as False; quote it" in problem.message


def test_unknown_source_id_names_intent_and_field(knowledge_copy: Path) -> None:
    path = knowledge_copy / "topics" / "party.yaml"
    text = path.read_text()
    path.write_text(text.replace("{source: wikipedia, section: Lead}", "{source: wiki, section: Lead}", 1))
    problems = _errors(knowledge_copy)
    assert problems[0].file == "knowledge/topics/party.yaml"
    assert problems[0].entry == "party.overview"
    assert problems[0].field == "citations"
    assert problems[0].message.startswith("unknown source id 'wiki'")


def test_unknown_section_is_an_error(knowledge_copy: Path) -> None:
    path = knowledge_copy / "topics" / "party.yaml"
    path.write_text(path.read_text().replace("section: Lead}", "section: Leed}", 1))
    (problem,) = _errors(knowledge_copy)
    assert "has no section 'Leed'" in problem.message


def test_answer_without_citation(knowledge_copy: Path) -> None:
    path = knowledge_copy / "topics" / "party.yaml"
    text = path.read_text()
    cited = "    citations:\n      - {source: wikipedia, section: Lead}\n"
    path.write_text(text.replace(cited, "    citations: []\n", 1))
    (problem,) = _errors(knowledge_copy)
    assert (problem.entry, problem.field) == ("party.overview", "citations")
    assert problem.message == "an answer needs at least one citation"


def test_unknown_key_and_missing_field(knowledge_copy: Path) -> None:
    path = knowledge_copy / "topics" / "party.yaml"
    path.write_text(path.read_text().replace("    question: What was the Cambodia National Rescue Party?\n",
                                             "    questoin: What was the Cambodia National Rescue Party?\n", 1))
    messages = {(p.field, p.message.split(" (")[0]) for p in _errors(knowledge_copy)}
    assert ("questoin", "unknown key") in messages
    assert ("question", "missing required field") in messages


def test_bad_cell_type_names_row_and_column(knowledge_copy: Path) -> None:
    path = knowledge_copy / "tables" / "constituencies.csv"
    path.write_text(re.sub(r"(?m)^(8,Kandal,[^\n]*,)366056,", r"\1lots,", path.read_text()))
    (problem,) = _errors(knowledge_copy)
    assert problem.file == "knowledge/tables/constituencies.csv"
    assert (problem.entry, problem.field, problem.line) == ("row 9", "votes", 9)


def test_reference_to_unknown_person(knowledge_copy: Path) -> None:
    path = knowledge_copy / "tables" / "committees.csv"
    path.write_text(path.read_text().replace("Standing,17,Son Chhay,", "Standing,17,Son Chay Typo,"))
    (problem,) = _errors(knowledge_copy)
    assert problem.field == "name"
    assert "'Son Chay Typo' is not a row of tables/people.csv" in problem.message


def test_same_phrasing_under_two_intents(knowledge_copy: Path) -> None:
    path = knowledge_copy / "topics" / "party.yaml"
    text = path.read_text()
    extra = "      - what was the cnrp\n      - who founded the cnrp\n"
    path.write_text(text.replace("      - what was the cnrp\n", extra, 1))
    messages = _load_errors(knowledge_copy)
    assert any("reads the same as a phrasing of" in m and "party.founders" in m
               and "party.overview" in m for m in messages)


def test_unknown_placeholder_is_caught_at_load(knowledge_copy: Path) -> None:
    path = knowledge_copy / "topics" / "results.yaml"
    path.write_text(path.read_text().replace("won {votes} votes in {name}", "won {vote_count} votes in {name}"))
    messages = _load_errors(knowledge_copy)
    assert any("results.constituency" in m and "unknown placeholder 'vote_count'" in m for m in messages)


def test_contact_details_are_refused(knowledge_copy: Path) -> None:
    path = knowledge_copy / "topics" / "party.yaml"
    path.write_text(path.read_text().replace("was a major political party in Cambodia.",
                                             "was a major party; call 202-800-7408.", 1))
    messages = _load_errors(knowledge_copy)
    assert any("contains contact details" in m for m in messages)


def test_invalid_yaml_reports_line(knowledge_copy: Path) -> None:
    (knowledge_copy / "synonyms.yaml").write_text("synonyms:\n  a: [b\n  c: d\n")
    (problem,) = _errors(knowledge_copy)
    assert problem.file == "knowledge/synonyms.yaml"
    assert problem.line is not None and problem.message.startswith("invalid YAML")


def test_partial_dates() -> None:
    assert str(PartialDate.parse("2017-11-16")) == "16 November 2017"
    assert str(PartialDate.parse("2017-09")) == "September 2017"
    with pytest.raises(ValueError):
        PartialDate.parse("2017-02-30")


def test_dates_in_prose_come_from_the_timeline(knowledge_copy: Path) -> None:
    path = knowledge_copy / "tables" / "timeline.csv"
    path.write_text(path.read_text().replace("2017-11-16,", "2017-11-17,"))
    engine = Engine.load(knowledge_copy)
    assert "17 November 2017" in engine.ask("when was the party banned").text


def test_an_unknown_date_tag_is_caught_at_load(knowledge_copy: Path) -> None:
    path = knowledge_copy / "topics" / "dissolution.yaml"
    path.write_text(path.read_text().replace("{date[dissolution]}", "{date[dissolved]}", 1))
    messages = _load_errors(knowledge_copy)
    assert any("dissolution.ruling" in m and "unknown placeholder 'dissolved'" in m for m in messages)


def test_counts_in_prose_come_from_the_figures_table(knowledge_copy: Path) -> None:
    path = knowledge_copy / "tables" / "figures.csv"
    changed = re.sub(r"^(joint_statement_countries,[^,]*,)45,", r"\g<1>46,", path.read_text(), flags=re.MULTILINE)
    assert changed != path.read_text()
    path.write_text(changed)
    engine = Engine.load(knowledge_copy)
    assert "46 countries" in engine.ask("how many countries signed the joint statement").text
    assert "46 countries sign" in engine.ask("what happened in 2018").text


def test_an_unknown_figure_in_a_timeline_event_is_caught_at_load(knowledge_copy: Path) -> None:
    path = knowledge_copy / "tables" / "timeline.csv"
    path.write_text(path.read_text().replace("{figure[war_years]}", "{figure[war_length]}"))
    assert any("timeline" in m and "cannot be rendered" in m for m in _load_errors(knowledge_copy))
