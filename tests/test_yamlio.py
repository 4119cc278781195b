"""The strict YAML loader: duplicate and boolean keys are refused, every error has a line."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.yamlio import LineDict, YamlProblem, load_yaml


def _write(tmp_path: Path, text: str, name: str = "file.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _problem(path: Path) -> YamlProblem:
    with pytest.raises(YamlProblem) as caught:
        load_yaml(path)
    return caught.value


def test_mappings_remember_their_own_line_and_each_keys_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "# a comment\ntop:\n  first: 1\n\n  second:\n    inner: x\nother: [a, b]\n")
    data = load_yaml(path)
    assert isinstance(data, LineDict)
    assert data == {"top": {"first": 1, "second": {"inner": "x"}}, "other": ["a", "b"]}
    assert (data.line, data.key_lines) == (2, {"top": 2, "other": 7})
    top = data["top"]
    assert isinstance(top, LineDict)
    assert (top.line, top.line_of("first"), top.line_of("second")) == (3, 3, 5)
    assert top["second"].line == 6
    # A key the mapping does not hold points at the mapping itself (where it should have been).
    assert top.line_of("missing") == 3


def test_each_item_of_a_list_knows_its_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "items:\n  - id: a\n    name: A\n  - {id: b}\n\n  - id: c\n")
    items = load_yaml(path)["items"]
    assert [item["id"] for item in items] == ["a", "b", "c"]
    assert [item.line for item in items] == [2, 4, 6]
    assert items[0].line_of("name") == 3


def test_a_top_level_list_and_an_empty_file(tmp_path: Path) -> None:
    data = load_yaml(_write(tmp_path, "- {q: one}\n- {q: two}\n"))
    assert data == [{"q": "one"}, {"q": "two"}] and [d.line for d in data] == [1, 2]
    assert load_yaml(_write(tmp_path, "", "empty.yaml")) is None


@pytest.mark.parametrize(("text", "key", "line"), [
    ("a: 1\nb: 2\na: 3\n", "a", 3),
    ("outer:\n  x: 1\n  y: 2\n  x: 9\n", "x", 4),
    ("- id: one\n  title: T\n  id: two\n", "id", 3),
    ("flow: {k: 1, k: 2}\n", "k", 1),
])
def test_a_duplicate_key_is_refused_at_its_second_line(tmp_path: Path, text: str, key: str, line: int) -> None:
    problem = _problem(_write(tmp_path, text))
    assert problem.message == f"duplicate key {key!r}"
    assert problem.line == line
    assert str(problem) == problem.message


@pytest.mark.parametrize(("word", "reads_as"), [
    ("no", False), ("yes", True), ("on", True), ("off", False), ("True", True), ("false", False),
])
def test_a_bare_boolean_key_is_refused(tmp_path: Path, word: str, reads_as: bool) -> None:
    problem = _problem(_write(tmp_path, f"columns:\n  name: str\n  {word}: int\n"))
    assert problem.message == f"key {word!r} reads as {reads_as}; quote it"
    assert problem.line == 3


def test_a_quoted_boolean_key_and_boolean_values_are_fine(tmp_path: Path) -> None:
    data = load_yaml(_write(tmp_path, 'columns: {"no": int, "yes": str}\nflag: yes\n'))
    assert data == {"columns": {"no": "int", "yes": "str"}, "flag": True}
    assert list(data["columns"]) == ["no", "yes"]


def test_non_string_keys_are_kept_and_their_lines_indexed_by_text(tmp_path: Path) -> None:
    data = load_yaml(_write(tmp_path, "1: one\n2013: year\n"))
    assert data == {1: "one", 2013: "year"}
    assert data.line_of("2013") == 2


@pytest.mark.parametrize(("text", "line"), [
    ("synonyms:\n  a: [b\n  c: d\n", 3),  # an unclosed flow sequence, noticed at the next key
    ("a: 1\nb: 'open\n", 3),  # an unclosed quote runs to the end of the file
    ("a:\n\tb: 1\n", 2),  # a tab used as indentation
    ("a: 1\n- b\n", 2),  # a list item where a key was expected
    ("a: 1\n  b: 2\n", 2),  # a mapping under a scalar
])
def test_invalid_yaml_names_the_line(tmp_path: Path, text: str, line: int) -> None:
    problem = _problem(_write(tmp_path, text))
    assert problem.message.startswith("invalid YAML: ")
    assert problem.line == line


def test_a_missing_file_is_a_problem_without_a_line(tmp_path: Path) -> None:
    problem = _problem(tmp_path / "absent.yaml")
    assert problem.message.startswith("cannot read file: ")
    assert "absent.yaml" in problem.message and problem.line is None


def test_a_file_that_is_not_utf8_is_a_problem(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: Takéo\n".encode("latin-1"))
    problem = _problem(path)
    assert problem.message.startswith("cannot read file: ") and "utf-8" in problem.message
    assert problem.line is None


def test_an_unhashable_key_is_a_problem(tmp_path: Path) -> None:
    problem = _problem(_write(tmp_path, "a: 1\n[x, y]: 2\n"))
    assert problem.line == 2
    assert "quote it" in problem.message
