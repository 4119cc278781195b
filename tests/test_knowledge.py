"""Schema checks: each broken fixture names its file, entry, field and problem exactly."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.engine import Engine
from bot.core.knowledge import DEFAULT_ROOT, KnowledgeError, PartialDate, Problem, Severity, load_knowledge
from tests.knowledge_mutations import mutate_folder


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


# ---------------------------------------------------------------- broken folders, never a crash


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


BROKEN = {
    "a source id written as a list": ("sources.yaml", "id: wikipedia", "id: [wikipedia]",
                                      "knowledge/sources.yaml", "expected text, found a list"),
    "a citation's source written as a list": (
        "tables.yaml", "citation: {source: wikipedia, section: Regional strength}",
        "citation: {source: [wikipedia], section: Regional strength}",
        "knowledge/tables.yaml", "expected text, found a list"),
    "an entity written as a list": ("tables.yaml", "entity: constituency", "entity: [constituency]",
                                    "knowledge/tables.yaml", "expected text, found a list"),
    "refs written as a list": ("tables.yaml", "refs: {name: people, deputies: people}",
                               "refs: [name, deputies]", "knowledge/tables.yaml",
                               "expected a mapping, found a list"),
    "a ref's table written as a list": ("tables.yaml", "refs: {name: people, deputies: people}",
                                        "refs: {name: [people]}", "knowledge/tables.yaml",
                                        "expected a table name"),
    "an intent id written as a list": ("topics/party.yaml", "id: party.overview",
                                       "id: [party.overview]", "knowledge/topics/party.yaml",
                                       "expected text, found a list"),
    "an intent's generator written as a list": ("topics/results.yaml", "generator: constituency_rank",
                                                "generator: [constituency_rank]",
                                                "knowledge/topics/results.yaml", "expected text"),
    "params with number and text keys": ("topics/analytics.yaml", "params: {n: 5}",
                                         "params: {n: 5, 1: a, b: c}",
                                         "knowledge/topics/analytics.yaml", "takes no 1, b"),
    "operation number words written as a list": ("operations.yaml", "number_words: {",
                                                 "number_words: [1, 2]\nnumbers_once: {",
                                                 "knowledge/operations.yaml",
                                                 "expected a mapping, found a list"),
}


def test_the_shipped_yaml_reads_the_same_without_libyaml() -> None:
    # PyYAML's own parser is stricter than libyaml in places ("{a: int?, b: str}"), and a
    # PyYAML built without libyaml must read the knowledge exactly as the bot does.
    fast = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    for path in sorted(DEFAULT_ROOT.rglob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        assert yaml.load(text, Loader=yaml.SafeLoader) == yaml.load(text, Loader=fast), path


@pytest.mark.parametrize("case", BROKEN, ids=list(BROKEN))
def test_a_value_of_the_wrong_shape_is_a_problem_not_a_crash(knowledge_copy: Path, case: str) -> None:
    file, old, new, where, message = BROKEN[case]
    _replace(knowledge_copy / file, old, new)
    problems = _load_errors(knowledge_copy)
    assert any(p.startswith(where) and message in p for p in problems), problems


def test_a_csv_that_is_not_utf8_names_its_line(knowledge_copy: Path) -> None:
    path = knowledge_copy / "tables" / "leaders.csv"
    path.write_bytes(path.read_bytes().replace(b"Kem Sokha,2017", b"Kem Sokh\xe1,2017"))
    (problem,) = _errors(knowledge_copy)
    assert (problem.file, problem.line) == ("knowledge/tables/leaders.csv", 3)
    assert "not valid UTF-8 (byte 0xe1)" in problem.message


def test_a_csv_field_past_the_csv_limit_is_a_problem(knowledge_copy: Path) -> None:
    path = knowledge_copy / "tables" / "titles.csv"
    path.write_text(path.read_text() + '"' + "x" * 200_000 + '"\n')
    problems = _errors(knowledge_copy)
    assert any(p.file == "knowledge/tables/titles.csv" and "not a readable CSV record" in p.message
               for p in problems)


def test_an_unreadable_file_is_a_problem(knowledge_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Root reads any file whatever its mode, so the refusal the OS gives others is simulated.
    locked = {knowledge_copy / "tables" / "leaders.csv", knowledge_copy / "topics" / "party.yaml"}
    real_bytes, real_text = Path.read_bytes, Path.read_text

    def read_bytes(self: Path) -> bytes:
        if self in locked:
            raise PermissionError(13, "Permission denied", str(self))
        return real_bytes(self)

    def read_text(self: Path, *args: Any, **kwargs: Any) -> str:
        if self in locked:
            raise PermissionError(13, "Permission denied", str(self))
        return real_text(self, *args, **kwargs)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    monkeypatch.setattr(Path, "read_text", read_text)
    problems = [str(p) for p in _errors(knowledge_copy)]
    assert any(p.startswith("knowledge/tables/leaders.csv") and "Permission denied" in p for p in problems)
    assert any(p.startswith("knowledge/topics/party.yaml") and "Permission denied" in p for p in problems)


def test_an_unreadable_folder_is_a_problem(knowledge_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    locked = str(knowledge_copy / "topics")
    real_scandir = os.scandir

    def scandir(path: Any = ".") -> Any:
        if str(path) == locked:
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    (problem,) = _errors(knowledge_copy)
    assert problem.file == "knowledge/topics" and "cannot read folder: Permission denied" in problem.message


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files and folders whatever their mode")
def test_file_and_folder_modes_that_forbid_reading(knowledge_copy: Path) -> None:
    (knowledge_copy / "tables" / "people.csv").chmod(0)
    (knowledge_copy / "topics").chmod(0)
    try:
        assert _errors(knowledge_copy)
    finally:
        (knowledge_copy / "topics").chmod(0o755)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_any_mutation_of_the_shipped_knowledge_loads_or_lists_its_problems(data: st.DataObject) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch) / "knowledge"
        shutil.copytree(DEFAULT_ROOT, root)
        done = [mutate_folder(data, root) for _ in range(data.draw(st.integers(1, 3)))]
        try:
            Engine.load(root)
        except KnowledgeError as error:
            assert error.problems and all(str(p) for p in error.problems), done


def test_a_whole_table_of_dates_in_an_answer_is_caught_at_load(knowledge_copy: Path) -> None:
    path = knowledge_copy / "topics" / "timeline.yaml"
    path.write_text(path.read_text().replace("{when}: {event}.", "{date}: {event}.", 1))
    assert any("event.about" in m and "{date} needs a tag" in m for m in _load_errors(knowledge_copy))


def test_where_finds_by_one_column_the_rows_a_scan_finds() -> None:
    """`Table.where` looks a string or integer up in a per-column index: the same rows, in
    table order, as comparing every row, for every value of every column and some no row has."""
    kb, _ = load_knowledge()
    for table in kb.tables.values():
        for column in table.columns:
            values = {row.values[column] for row in table.rows} | {"no such value", -1}
            for value in values:
                scanned = [row for row in table.rows if row.values[column] == value]
                assert table.where(**{column: value}) == scanned, (table.name, column, value)
    leaders = kb.table("leaders")
    assert leaders.where(no=1.0) == leaders.where(no=1) == [r for r in leaders.rows if r["no"] == 1]
    assert leaders.where(no=1, name=leaders.rows[0]["name"]) == [leaders.rows[0]]
