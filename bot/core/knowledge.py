"""Loading knowledge/ into frozen data, with problems that name file, entry and field.

Structural checks live here (schema, types, references, citations); checks that need the
matcher or the answer composer live in `validate.py`.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import field, replace
from datetime import date
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Any

from bot.core.boosting import TreeEnsemble
from bot.core.classifier import IntentClassifier
from bot.core.config import KnowledgeLimits
from bot.core.language import Lexicon, phrases, word_list
from bot.core.limits import check_counts, check_folder
from bot.core.models import ANSWER_TYPES, Citation, CitationRef, Intent, ReplyKind, Section, Source
from bot.core.normalize import fold, lazy_pattern, stem, tokenize
from bot.core.records import record
from bot.core.resources import packaged_knowledge
from bot.core.scoring import FEATURE_NAMES, TREES_FILE, ScoringModel, parse_model, untrained_model
from bot.core.yamlio import LineDict, YamlProblem, load_yaml

# The copy this program ships with: bot/_knowledge in a wheel, the checkout's knowledge/ otherwise.
DEFAULT_ROOT = packaged_knowledge()

_MONTHS = (
    "January February March April May June July August September October November December"
).split()


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@record
class Problem:
    """A problem found in a knowledge file, with where it is and how serious."""

    file: str
    entry: str
    field: str
    message: str
    line: int | None = None
    severity: Severity = Severity.ERROR

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        parts = [where]
        if self.entry:
            parts.append(f"entry {self.entry!r}")
        if self.field:
            parts.append(f"field {self.field!r}")
        label = "" if self.severity is Severity.ERROR else "warning: "
        return f"{', '.join(parts)}: {label}{self.message}"


class KnowledgeError(Exception):
    """The knowledge base cannot be served; `problems` says exactly why."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))

    @classmethod
    def unexpected(cls, root: Path | None, error: Exception) -> KnowledgeError:
        """A failure no check foresaw, reported like the problems the checks find, so start-up,
        validate and /reload still refuse with a message instead of a traceback (the property
        tests that mutate the shipped knowledge look for such failures; none is known)."""
        where = str(root or DEFAULT_ROOT)
        return cls([Problem(where, "", "", f"cannot be loaded: {type(error).__name__}: {error}")])


# ---------------------------------------------------------------- values


@record
class PartialDate:
    """A date as precise as the source gives it: a year, a month or a day."""

    year: int
    month: int | None = None
    day: int | None = None

    @classmethod
    def parse(cls, text: str) -> PartialDate:
        match = re.fullmatch(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", text.strip())
        if not match:
            raise ValueError(f"expected YYYY, YYYY-MM or YYYY-MM-DD, got {text!r}")
        year, month, day = (int(g) if g else None for g in match.groups())
        assert year is not None
        if month is not None and not 1 <= month <= 12:
            raise ValueError(f"month out of range in {text!r}")
        if day is not None and month is not None:
            date(year, month, day)  # raises ValueError for an impossible day
        return cls(year, month, day)

    @property
    def sort_key(self) -> tuple[int, int, int]:
        return (self.year, self.month or 0, self.day or 0)

    def as_date(self) -> date:
        return date(self.year, self.month or 1, self.day or 1)

    def __str__(self) -> str:
        if self.month is None:
            return str(self.year)
        if self.day is None:
            return f"{_MONTHS[self.month - 1]} {self.year}"
        return f"{self.day} {_MONTHS[self.month - 1]} {self.year}"


_COLUMN_TYPES = ("str", "int", "float", "date", "list", "int?", "float?")
# Entity kinds recognised without a table: a year the sources mention.
BUILTIN_ENTITY_KINDS = frozenset({"year"})


def _parse_cell(kind: str, raw: str) -> Any:
    text = raw.strip()
    if kind.endswith("?"):
        return _parse_cell(kind[:-1], text) if text else None
    if kind == "str":
        return text
    if kind == "list":
        return tuple(part.strip() for part in text.split("|") if part.strip())
    if not text:
        raise ValueError("a value is required")
    if kind == "int":
        return int(text)
    if kind == "float":
        return float(text)
    return PartialDate.parse(text)


def _display(kind: str, raw: str, value: Any) -> str:
    if value is None:
        return ""
    kind = kind.rstrip("?")
    if kind == "int":
        return f"{value:,}"
    if kind == "float":
        return raw.strip()  # as the source states it: "51.10", not "51.1"
    if kind == "list":
        return join_names(value)
    return str(value)


def join_names(items: Iterable[str]) -> str:
    """'a', 'a and b', 'a, b and c' — the way a person lists names."""
    names = list(items)
    if len(names) <= 2:
        return " and ".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


@record
class Row:
    """A table's row: its typed values, their text as shown, and its citation."""

    values: Mapping[str, Any]
    display: Mapping[str, str]
    line: int
    citation: CitationRef | None

    def __getitem__(self, column: str) -> Any:
        return self.values[column]


@record
class Table:
    """A table (knowledge/tables.yaml and its file under tables/): columns, rows, the entity they are."""

    name: str
    file: str
    title: str
    columns: Mapping[str, str]
    rows: tuple[Row, ...]
    meta: Mapping[str, Any]
    entity: str | None = None
    key: str | None = None
    aliases: str | None = None

    def where(self, **conditions: Any) -> list[Row]:
        if len(conditions) == 1:
            ((column, value),) = conditions.items()
            # A string or integer finds in a dict exactly the values equal to it (equal values
            # hash alike); the rows of each value are kept in table order.
            if type(value) in (str, int):
                index = self._rows_by_value.get(column)
                if index is None:
                    index = self._rows_by_value[column] = self._index(column)  # one assignment: thread safe
                return list(index.get(value, ()))
        return [r for r in self.rows if all(r.values[k] == v for k, v in conditions.items())]

    @cached_property
    def _rows_by_value(self) -> dict[str, dict[Any, tuple[Row, ...]]]:
        """The rows by their value in each column `where` has looked up: answers look rows up
        by one column again and again, and scanned tables of up to ~800 rows to do it."""
        return {}

    def _index(self, column: str) -> dict[Any, tuple[Row, ...]]:
        rows_of: dict[Any, list[Row]] = {}
        for row in self.rows:
            rows_of.setdefault(row.values[column], []).append(row)
        return {value: tuple(rows) for value, rows in rows_of.items()}


@record
class OperationWords:
    """knowledge/operations.yaml: per computation, the phrases that ask for it (as folded,
    stemmed token tuples, longest first) and the template of its reply."""

    words: Mapping[str, tuple[tuple[str, ...], ...]]
    number_words: Mapping[str, float]
    replies: Mapping[str, str]
    alternatives: tuple[frozenset[str], ...] = ()


@record
class KnowledgeBase:
    """Everything read from the knowledge folder, validated."""

    root: Path
    sources: Mapping[str, Source]
    tables: Mapping[str, Table]
    intents: Mapping[str, Intent]
    synonyms: Mapping[str, str]  # variant phrase -> canonical phrase, both normalised later
    language: Lexicon = field(default_factory=Lexicon)
    # The fitted scoring model (knowledge/scoring.yaml); an untrained one until `make fit`.
    scoring: ScoringModel = field(default_factory=untrained_model)
    # The word-level intent classifier (knowledge/classifier.npz); None until `make fit`.
    classifier: IntentClassifier | None = None
    # The words that ask for computations, number words, and how computed answers are worded.
    operations: OperationWords = field(default_factory=lambda: OperationWords({}, {}, {}))
    warnings: tuple[Problem, ...] = field(default=())

    def table(self, name: str) -> Table:
        return self.tables[name]

    def entity_tables(self) -> list[Table]:
        return [t for t in self.tables.values() if t.entity]

    def entity_names(self, kind: str) -> dict[str, str]:
        """Every name and alias of an entity kind, mapped to its row's key."""
        names: dict[str, str] = {}
        for table in self.entity_tables():
            if table.entity != kind or table.key is None:
                continue
            for row in table.rows:
                key = str(row.values[table.key])
                names.setdefault(key, key)
                for alias in row.values[table.aliases] if table.aliases else ():
                    names.setdefault(alias, key)
        return names

    @cached_property
    def event_dates(self) -> dict[str, str]:
        """Tagged events of the timeline by tag, their dates as a person writes them; computed
        once per loaded knowledge base (answers read them as {date[tag]})."""
        table = self.tables.get("timeline")
        rows = table.rows if table else ()
        return {str(row["tag"]): str(row["date"]) for row in rows if row.values.get("tag")}

    @cached_property
    def event_weekdays(self) -> dict[str, str]:
        """The day of the week of each tagged event the sources date to the day."""
        table = self.tables.get("timeline")
        rows = table.rows if table else ()
        return {str(row["tag"]): row["date"].as_date().strftime("%A") for row in rows
                if row.values.get("tag") and row["date"].day is not None}

    @cached_property
    def figures(self) -> dict[str, str]:
        """Stated counts by tag (answers read them as {figure[tag]})."""
        table = self.tables.get("figures")
        return {str(row["tag"]): row.display["value"] for row in (table.rows if table else ())}

    @cached_property
    def citations(self) -> dict[CitationRef, Citation]:
        """Every section of every source as an answer cites it, resolved once per loaded
        knowledge base: answers cite the same few sections again and again."""
        return {CitationRef(source.id, section.name): Citation(source.id, source.title, section.name,
                                                               source.link(section.name))
                for source in self.sources.values() for section in source.sections}

    def fact_count(self) -> int:
        answering = sum(1 for i in self.intents.values() if i.kind is ReplyKind.ANSWER)
        return answering + sum(len(t.rows) for t in self.tables.values())


# ---------------------------------------------------------------- loading


class _Collector:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.problems: list[Problem] = []

    def rel(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.root.parent))
        except ValueError:
            return str(path)

    def add(
        self,
        path: Path,
        entry: str,
        field_name: str,
        message: str,
        line: int | None = None,
        severity: Severity = Severity.ERROR,
    ) -> None:
        self.problems.append(Problem(self.rel(path), entry, field_name, message, line, severity))

    def yaml(self, path: Path) -> Any:
        if not path.is_file():
            self.add(path, "", "", "file not found")
            return None
        try:
            return load_yaml(path)
        except YamlProblem as exc:
            self.add(path, "", "", exc.message, exc.line)
            return None


def _check_keys(
    c: _Collector,
    path: Path,
    entry: str,
    data: LineDict,
    required: Iterable[str],
    optional: Iterable[str] = (),
) -> bool:
    ok = True
    allowed = set(required) | set(optional)
    for key in data:
        if key not in allowed:
            c.add(path, entry, str(key), f"unknown key (allowed: {', '.join(sorted(allowed))})",
                  data.line_of(str(key)))
            ok = False
    for key in required:
        if key not in data:
            c.add(path, entry, key, "missing required field", data.line)
            ok = False
    return ok


def _text_fields(c: _Collector, path: Path, entry: str, data: LineDict, keys: Iterable[str]) -> bool:
    """Fields that name something (an id, a file, a column, a kind) must be text: a list or a
    mapping there is a curator's slip, reported instead of failing later as unhashable."""
    ok = True
    for key in keys:
        value = data.get(key)
        if value is not None and not isinstance(value, str):
            c.add(path, entry, key, f"expected text, found a {_type_name(value)}", data.line_of(key))
            ok = False
    return ok


def _type_name(value: Any) -> str:
    return {list: "list", dict: "mapping", LineDict: "mapping", bool: "true/false"}.get(
        type(value), type(value).__name__)


def _load_sources(c: _Collector) -> dict[str, Source]:
    path = c.root / "sources.yaml"
    data = c.yaml(path)
    if data is None:
        return {}
    if not isinstance(data, LineDict) or not isinstance(data.get("sources"), list):
        c.add(path, "", "sources", "expected a top-level 'sources:' list")
        return {}
    sources: dict[str, Source] = {}
    for index, item in enumerate(data["sources"]):
        entry = f"#{index + 1}"
        if not isinstance(item, LineDict):
            c.add(path, entry, "", "each source must be a mapping")
            continue
        entry = str(item.get("id", entry))
        if not _check_keys(c, path, entry, item,
                           ("id", "title", "publisher", "kind", "date", "url", "sections")):
            continue
        if not _text_fields(c, path, entry, item, ("id", "title", "publisher", "kind", "url")):
            continue
        if not isinstance(item["sections"], list | None):
            c.add(path, entry, "sections", "expected a list of sections", item.line_of("sections"))
            continue
        if entry in sources:
            c.add(path, entry, "id", "duplicate source id", item.line_of("id"))
            continue
        sections: list[Section] = []
        for sec in item["sections"] or []:
            if not isinstance(sec, LineDict) or not isinstance(sec.get("name"), str):
                c.add(path, entry, "sections", "each section needs a 'name'", item.line_of("sections"))
                continue
            _check_keys(c, path, entry, sec, ("name",), ("anchor",))
            sections.append(Section(sec["name"], str(sec.get("anchor") or "")))
        if not sections:
            c.add(path, entry, "sections", "a source needs at least one section", item.line)
        date_value = item["date"]
        sources[entry] = Source(
            id=entry,
            title=str(item["title"]),
            publisher=str(item["publisher"]),
            kind=str(item["kind"]),
            date=None if date_value is None else str(date_value),
            url=str(item["url"] or ""),
            sections=tuple(sections),
        )
    return sources


def _check_citation(
    c: _Collector, path: Path, entry: str, field_name: str, source: Any, section: Any,
    sources: Mapping[str, Source], line: int | None,
) -> CitationRef | None:
    if not sources:
        return None  # sources.yaml itself is broken: that one problem is already reported
    if not isinstance(source, str) or not isinstance(section, str | int | float):
        c.add(path, entry, field_name, "a citation is a source id and a section, each as text", line)
        return None
    if source not in sources:
        c.add(path, entry, field_name, f"unknown source id {source!r} (known: "
              f"{', '.join(sorted(sources))})", line)
        return None
    if sources[source].section(str(section)) is None:
        names = ", ".join(s.name for s in sources[source].sections)
        c.add(path, entry, field_name, f"source {source!r} has no section {section!r} "
              f"(its sections: {names})", line)
        return None
    return CitationRef(str(source), str(section))


_TABLE_KEYS = ("file", "title", "columns")
_TABLE_OPTIONAL = ("citation", "entity", "key", "aliases", "refs", "stated_totals", "key_repeats", "search",
                   "quantities")


def _load_tables(c: _Collector, sources: Mapping[str, Source]) -> dict[str, Table]:
    path = c.root / "tables.yaml"
    data = c.yaml(path)
    if data is None:
        return {}
    if not isinstance(data, LineDict) or not isinstance(data.get("tables"), LineDict):
        c.add(path, "", "tables", "expected a top-level 'tables:' mapping")
        return {}
    specs: LineDict = data["tables"]
    tables: dict[str, Table] = {}
    for name, spec in specs.items():
        if not isinstance(spec, LineDict):
            c.add(path, name, "", "each table must be a mapping", specs.line_of(name))
            continue
        if not _check_keys(c, path, name, spec, _TABLE_KEYS, _TABLE_OPTIONAL):
            continue
        if not _text_fields(c, path, name, spec, ("file", "title", "entity", "key", "aliases")):
            continue
        not_mappings = [part for part in ("citation", "refs", "stated_totals")
                        if spec.get(part) is not None and not isinstance(spec[part], LineDict)]
        for part in not_mappings:
            c.add(path, name, part, f"expected a mapping, found a {_type_name(spec[part])}",
                  spec.line_of(part))
        if not_mappings:
            continue
        table = _load_table(c, path, name, spec, sources)
        if table is not None:
            tables[name] = table
    _check_refs(c, path, specs, tables)
    return tables


def _read_csv_text(c: _Collector, path: Path) -> str | None:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        c.add(path, "", "", f"cannot read file: {exc.strerror or exc}")
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        c.add(path, f"row {line}" if line > 1 else "header", "",
              f"not valid UTF-8 (byte {raw[exc.start]:#04x}); save the file as UTF-8", line)
        return None


def _csv_rows(c: _Collector, path: Path, handle: io.StringIO) -> Iterator[list[str]]:
    """The file's records; one csv cannot read (a field past its size limit) ends them with a
    problem instead of an exception."""
    import csv  # a build reads the tables: an engine read from its cache never needs it

    reader = csv.reader(handle)
    try:
        yield from reader
    except csv.Error as exc:
        c.add(path, f"row {reader.line_num}", "", f"not a readable CSV record: {exc}", reader.line_num)


def _load_table(
    c: _Collector, spec_path: Path, name: str, spec: LineDict, sources: Mapping[str, Source]
) -> Table | None:
    columns = spec["columns"]
    if not isinstance(columns, LineDict) or not columns:
        c.add(spec_path, name, "columns", "expected a mapping of column name to type",
              spec.line_of("columns"))
        return None
    for column, kind in columns.items():
        if kind not in _COLUMN_TYPES:
            c.add(spec_path, name, f"columns.{column}",
                  f"unknown type {kind!r} (use {', '.join(_COLUMN_TYPES)})", columns.line_of(column))
            return None
    for role in ("key", "aliases", "search"):
        if role in spec and spec[role] not in columns:
            c.add(spec_path, name, role, f"no column named {spec[role]!r}", spec.line_of(role))
            return None
    quantities = spec.get("quantities", LineDict())
    if not isinstance(quantities, LineDict):
        c.add(spec_path, name, "quantities", "expected a mapping of column to unit", spec.line_of("quantities"))
        return None
    for column, unit in quantities.items():
        numeric = columns.get(column, "").rstrip("?") in ("int", "float")
        if not numeric:
            c.add(spec_path, name, f"quantities.{column}", "not a numeric column", quantities.line_of(column))
            return None
        if not isinstance(unit, str) or (unit.startswith("@") and unit[1:] not in columns):
            c.add(spec_path, name, f"quantities.{column}", "the unit is a word, or @column naming a column",
                  quantities.line_of(column))
            return None
    if "entity" in spec and "key" not in spec:
        c.add(spec_path, name, "entity", "an entity table needs a 'key' column", spec.line_of("entity"))
        return None

    citation_spec = spec.get("citation")
    row_cites = {"source", "section"} <= set(columns)
    # A table without a citation (people.csv) only names things; its rows are never cited.
    table_citation: CitationRef | None = None
    section_column: str | None = None
    if isinstance(citation_spec, LineDict):
        _check_keys(c, spec_path, name, citation_spec, ("source",), ("section", "section_column"))
        if not _text_fields(c, spec_path, name, citation_spec, ("source", "section_column")):
            return None
        section_column = citation_spec.get("section_column")
        if section_column is not None and section_column not in columns:
            c.add(spec_path, name, "citation.section_column", f"no column named {section_column!r}",
                  citation_spec.line)
            return None
        if section_column is None:
            table_citation = _check_citation(
                c, spec_path, name, "citation", citation_spec.get("source"),
                citation_spec.get("section"), sources, citation_spec.line)

    csv_path = c.root / "tables" / str(spec["file"])
    if not csv_path.is_file():
        c.add(spec_path, name, "file", f"no such file: tables/{spec['file']}", spec.line_of("file"))
        return None
    text = _read_csv_text(c, csv_path)
    if text is None:
        return None
    with io.StringIO(text, newline="") as handle:
        reader = _csv_rows(c, csv_path, handle)
        header = next(reader, [])
        if header != list(columns):
            c.add(csv_path, "header", "", f"columns are {header}, tables.yaml says {list(columns)}", 1)
            return None
        rows: list[Row] = []
        seen_keys: dict[str, int] = {}
        for line_no, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue
            entry = f"row {line_no}"
            if len(cells) != len(columns):
                c.add(csv_path, entry, "", f"expected {len(columns)} cells, found {len(cells)}",
                      line_no)
                continue
            values: dict[str, Any] = {}
            display: dict[str, str] = {}
            ok = True
            for (column, kind), raw in zip(columns.items(), cells, strict=True):
                try:
                    values[column] = _parse_cell(kind, raw)
                except ValueError as exc:
                    c.add(csv_path, entry, column, f"{exc} (type {kind})", line_no)
                    ok = False
                    continue
                display[column] = _display(kind, raw, values[column])
            if not ok:
                continue
            if "key" in spec and not spec.get("key_repeats", False):
                key = str(values[spec["key"]]).casefold()
                if key in seen_keys:
                    c.add(csv_path, entry, spec["key"],
                          f"duplicate key {values[spec['key']]!r} (also row {seen_keys[key]})", line_no)
                seen_keys[key] = line_no
            citation = table_citation
            if section_column is not None:
                citation = _check_citation(c, csv_path, entry, section_column,
                                           citation_spec.get("source"),  # type: ignore[union-attr]
                                           values[section_column], sources, line_no)
            elif row_cites:
                citation = _check_citation(c, csv_path, entry, "source", values["source"],
                                           values["section"], sources, line_no)
            rows.append(Row(values, display, line_no, citation))
    meta = {k: v for k, v in spec.items() if k not in ("columns", "file")}
    return Table(
        name=name,
        file=f"tables/{spec['file']}",
        title=str(spec["title"]),
        columns=dict(columns),
        rows=tuple(rows),
        meta=meta,
        entity=spec.get("entity"),
        key=spec.get("key"),
        aliases=spec.get("aliases"),
    )


def _check_refs(c: _Collector, path: Path, specs: LineDict, tables: Mapping[str, Table]) -> None:
    for name, table in tables.items():
        refs: LineDict = specs[name].get("refs") or LineDict()
        for column, target in refs.items():
            if not isinstance(target, str):
                c.add(path, name, f"refs.{column}", f"expected a table name, found a {_type_name(target)}",
                      refs.line_of(column))
                continue
            if column not in table.columns:
                c.add(path, name, f"refs.{column}", "no such column", refs.line_of(column))
                continue
            target_table = tables.get(target)
            if target_table is None or target_table.key is None:
                c.add(path, name, f"refs.{column}", f"{target!r} is not a keyed table",
                      refs.line_of(column))
                continue
            known = {str(r.values[target_table.key]) for r in target_table.rows}
            for row in table.rows:
                value = row.values[column]
                for item in value if isinstance(value, tuple) else (value,):
                    if item and item not in known:
                        c.add(c.root / table.file, f"row {row.line}", column,
                              f"{item!r} is not a row of {target_table.file}", row.line)


_INTENT_REQUIRED = ("id", "question", "phrasings", "answer")
# The kinds an intent may declare; only `answer` states facts (`matched`), `gap` says what the
# sources lack and what they do hold, with citations.
INTENT_KINDS = (ReplyKind.ANSWER, ReplyKind.GAP, ReplyKind.SMALLTALK, ReplyKind.REFUSAL)
_INTENT_OPTIONAL = ("keywords", "citations", "related", "kind", "entity", "generator", "params", "answers")
_ID_PATTERN = lazy_pattern(r"[a-z][a-z0-9_]*(\.[a-z0-9_]+)+")


def _string_list(c: _Collector, path: Path, entry: str, item: LineDict, key: str) -> tuple[str, ...]:
    value = item.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str | int) for v in value):
        c.add(path, entry, key, "expected a list of strings", item.line_of(key))
        return ()
    strings = tuple(str(v).strip() for v in value)
    if any(not s for s in strings):
        c.add(path, entry, key, "empty string in list", item.line_of(key))
    return tuple(s for s in strings if s)


def _load_intents(
    c: _Collector, sources: Mapping[str, Source], tables: Mapping[str, Table]
) -> dict[str, Intent]:
    intents: dict[str, Intent] = {}
    declared_uncited: set[str] = set()  # a citation that failed its check is reported once
    lines: dict[str, tuple[Path, LineDict]] = {}
    entity_kinds = {t.entity for t in tables.values() if t.entity} | BUILTIN_ENTITY_KINDS
    topic_files = sorted((c.root / "topics").glob("*.yaml"))
    if not topic_files:
        c.add(c.root / "topics", "", "", "no topic files (*.yaml) found")
    for path in topic_files:
        data = c.yaml(path)
        if data is None:
            continue
        if not isinstance(data, LineDict) or not isinstance(data.get("intents"), list):
            c.add(path, "", "intents", "expected a top-level 'intents:' list")
            continue
        for index, item in enumerate(data["intents"]):
            entry = f"#{index + 1}"
            if not isinstance(item, LineDict):
                c.add(path, entry, "", "each intent must be a mapping")
                continue
            entry = str(item.get("id", entry))
            if not _check_keys(c, path, entry, item, _INTENT_REQUIRED, _INTENT_OPTIONAL):
                continue
            if not _text_fields(c, path, entry, item, ("id", "entity", "generator")):
                continue
            if not _ID_PATTERN().fullmatch(entry):
                c.add(path, entry, "id", "ids look like 'topic.name' (lowercase, dots, underscores)",
                      item.line_of("id"))
            if entry in intents:
                other = c.rel(lines[entry][0])
                c.add(path, entry, "id", f"duplicate intent id (also in {other})", item.line_of("id"))
                continue
            try:
                kind = ReplyKind(item.get("kind", "answer"))
            except ValueError:
                c.add(path, entry, "kind", f"kind is one of {', '.join(INTENT_KINDS)}",
                      item.line_of("kind"))
                continue
            if kind not in INTENT_KINDS:
                c.add(path, entry, "kind", f"kind is one of {', '.join(INTENT_KINDS)}",
                      item.line_of("kind"))
            phrasings = _string_list(c, path, entry, item, "phrasings")
            if not phrasings:
                c.add(path, entry, "phrasings", "an intent needs at least one phrasing",
                      item.line_of("phrasings"))
            answer = item["answer"]
            if not isinstance(answer, str) or not answer.strip():
                c.add(path, entry, "answer", "the answer must be non-empty text", item.line_of("answer"))
                answer = ""
            citations: list[CitationRef] = []
            raw_citations = item.get("citations") or []
            if not isinstance(raw_citations, list):
                c.add(path, entry, "citations", "expected a list", item.line_of("citations"))
                raw_citations = []
            for cite in raw_citations:
                if not isinstance(cite, LineDict):
                    c.add(path, entry, "citations", "each citation is {source, section}",
                          item.line_of("citations"))
                    continue
                _check_keys(c, path, entry, cite, ("source", "section"))
                ref = _check_citation(c, path, entry, "citations", cite.get("source"),
                                      cite.get("section"), sources, cite.line)
                if ref:
                    citations.append(ref)
            entity = item.get("entity")
            if entity is not None and tables and entity not in entity_kinds:
                c.add(path, entry, "entity", f"unknown entity kind {entity!r} (known: "
                      f"{', '.join(sorted(entity_kinds))})", item.line_of("entity"))
            answer_types = _string_list(c, path, entry, item, "answers")
            for unknown_type in sorted(set(answer_types) - set(ANSWER_TYPES)):
                c.add(path, entry, "answers", f"unknown answer type {unknown_type!r} (known: "
                      f"{', '.join(ANSWER_TYPES)})", item.line_of("answers"))
            if kind in (ReplyKind.ANSWER, ReplyKind.GAP) and not answer_types:
                c.add(path, entry, "answers", "say what the answer gives, e.g. [date] or "
                      "[person, description]: without it no question is told apart by what it asks",
                      item.line, Severity.WARNING)
            params = item.get("params") or {}
            if not isinstance(params, dict):
                c.add(path, entry, "params", "expected a mapping", item.line_of("params"))
                params = {}
            if not raw_citations:
                declared_uncited.add(entry)
            intents[entry] = Intent(
                id=entry,
                topic=path.stem,
                question=str(item["question"]).strip(),
                phrasings=phrasings,
                keywords=_string_list(c, path, entry, item, "keywords"),
                answer=answer.strip(),
                citations=tuple(citations),
                related=_string_list(c, path, entry, item, "related"),
                kind=kind,
                entity=entity,
                generator=item.get("generator"),
                # Keys may read as numbers too; sorted as text, mixed keys still compare.
                params=tuple(sorted(params.items(), key=lambda kv: str(kv[0]))),
                file=c.rel(path),
                answers=tuple(t for t in answer_types if t in ANSWER_TYPES),
            )
            lines[entry] = (path, item)
    for intent_id, intent in intents.items():
        path, item = lines[intent_id]
        for related in intent.related:
            if related not in intents:
                c.add(path, intent_id, "related", f"unknown intent id {related!r}",
                      item.line_of("related"))
        # Computed answers cite the rows they use; validate.py checks each renders a citation.
        computed = intent.generator is not None or intent.entity is not None
        if intent.kind in (ReplyKind.ANSWER, ReplyKind.GAP) and intent_id in declared_uncited and not computed:
            c.add(path, intent_id, "citations", "an answer needs at least one citation",
                  item.line_of("answer"))
    return intents


def _load_synonyms(c: _Collector) -> dict[str, str]:
    path = c.root / "synonyms.yaml"
    data = c.yaml(path)
    if data is None:
        return {}
    if not isinstance(data, LineDict) or not isinstance(data.get("synonyms"), LineDict):
        c.add(path, "", "synonyms", "expected a top-level 'synonyms:' mapping")
        return {}
    groups: LineDict = data["synonyms"]
    variants: dict[str, str] = {}
    for canonical, words in groups.items():
        if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
            c.add(path, str(canonical), "", "expected a list of variants", groups.line_of(canonical))
            continue
        for word in words:
            key = word.strip().casefold()
            if key in variants and variants[key] != canonical:
                c.add(path, str(canonical), word,
                      f"variant already maps to {variants[key]!r}", groups.line_of(canonical))
            variants[key] = str(canonical)
    return variants


_WORD_LISTS = ("stopwords", "question_words", "generic_question_words", "greetings", "present_words",
               "time_owners", "yes_no_openers", "evaluative", "reactions", "outside_names")
_PHRASE_LISTS = ("relative_times", "day_precision", "corrections")


def _load_language(c: _Collector) -> Lexicon:
    """English's word lists, what questions ask for, other languages, and the Khmer lexicon."""
    path = c.root / "language.yaml"
    data = c.yaml(path)
    if data is None:
        return Lexicon()
    if not isinstance(data, LineDict):
        c.add(path, "", "", "expected a mapping of word lists")
        return Lexicon()
    _check_keys(c, path, "", data, (*_WORD_LISTS, *_PHRASE_LISTS, "question_types", "other_languages"))
    lists: dict[str, frozenset[str]] = {}
    for key in _WORD_LISTS:
        value = data.get(key)
        if not isinstance(value, str) or not value.split():
            c.add(path, key, "", "expected words separated by spaces", data.line_of(key))
            value = ""
        # Each word as written and as the matcher reads it ("actually" is read "actual").
        lists[key] = frozenset(w for word in word_list(value.casefold()) for w in (word, stem(word)))
    phrase_lists: dict[str, tuple[tuple[str, ...], ...]] = {}
    for key in _PHRASE_LISTS:
        value = data.get(key)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            c.add(path, key, "", "expected a list of phrases", data.line_of(key))
            value = []
        phrase_lists[key] = phrases(value)
    question_types: dict[str, tuple[tuple[str, ...], ...]] = {}
    types = data.get("question_types")
    if isinstance(types, LineDict):
        for answer_type, items in types.items():
            if answer_type not in ANSWER_TYPES:
                c.add(path, "question_types", str(answer_type), f"unknown answer type (known: "
                      f"{', '.join(ANSWER_TYPES)})", types.line_of(answer_type))
            elif not isinstance(items, list) or not all(isinstance(i, str) for i in items):
                c.add(path, "question_types", str(answer_type), "expected a list of phrases",
                      types.line_of(answer_type))
            else:
                question_types[answer_type] = phrases(items)
    else:
        c.add(path, "question_types", "", "expected a mapping of answer type to phrases",
              data.line_of("question_types"))
    others: dict[str, frozenset[str]] = {}
    languages = data.get("other_languages")
    if isinstance(languages, LineDict):
        for name, markers in languages.items():
            if not isinstance(markers, list) or not all(isinstance(m, str) for m in markers):
                c.add(path, "other_languages", str(name), "expected a list of words",
                      languages.line_of(name))
                continue
            others[str(name)] = frozenset(str(m).casefold() for m in markers)
    else:
        c.add(path, "other_languages", "", "expected a mapping of language to words",
              data.line_of("other_languages"))
    pairs = phrase_lists["relative_times"]
    for pair in pairs:
        if len(pair) != 2:
            c.add(path, "relative_times", " ".join(pair), "each entry is two words, e.g. 'last year'",
                  data.line_of("relative_times"))
    return Lexicon(
        stopwords=lists["stopwords"] - lists["question_words"],
        question_words=lists["question_words"],
        generic_question_words=lists["generic_question_words"],
        greetings=lists["greetings"],
        present_words=lists["present_words"],
        relative_times=frozenset((p[0], p[1]) for p in pairs if len(p) == 2),
        time_owners=lists["time_owners"],
        yes_no_openers=lists["yes_no_openers"],
        evaluative=lists["evaluative"],
        reactions=lists["reactions"],
        outside_names=lists["outside_names"],
        question_types=question_types,
        day_precision=phrase_lists["day_precision"],
        corrections=phrase_lists["corrections"],
        other_languages=others,
        khmer=_load_khmer(c),
    )


def _load_khmer(c: _Collector) -> dict[str, str]:
    """Khmer words and the English words they stand for (optional: without the file, Khmer
    questions get the reply that says which languages the bot reads)."""
    path = c.root / "khmer.yaml"
    if not path.exists():
        return {}
    data = c.yaml(path)
    if data is None:
        return {}
    if not isinstance(data, LineDict) or not isinstance(data.get("khmer"), LineDict):
        c.add(path, "", "khmer", "expected a top-level 'khmer:' mapping of Khmer text to English words")
        return {}
    entries: LineDict = data["khmer"]
    lexicon: dict[str, str] = {}
    for khmer, english in entries.items():
        if not isinstance(english, str) or not english.strip():
            c.add(path, str(khmer), "", "expected the English words it stands for", entries.line_of(khmer))
            continue
        # Spaces inside Khmer are optional (words run together): keys are kept without them.
        key = "".join(str(khmer).replace("\u200b", "").split())
        if not key or any(not "\u1780" <= ch <= "\u17ff" and not "\u19e0" <= ch <= "\u19ff" for ch in key):
            c.add(path, str(khmer), "", "a key is Khmer script only", entries.line_of(khmer))
            continue
        english_words = " ".join(english.casefold().split())
        if lexicon.get(key, english_words) != english_words:
            c.add(path, str(khmer), "", f"also given as {lexicon[key]!r}", entries.line_of(khmer))
        lexicon[key] = english_words
    return lexicon


def _load_scoring(c: _Collector) -> ScoringModel:
    path = c.root / "scoring.yaml"
    data = c.yaml(path)
    if data is None:
        return untrained_model()
    model, problems = parse_model(data)
    for field_name, message in problems:
        line = data.line_of(field_name.split(".")[0]) if isinstance(data, LineDict) else None
        c.add(path, "", field_name, message, line)
    if model is None:
        return untrained_model()
    trees_path = c.root / TREES_FILE
    if not trees_path.is_file():
        c.add(trees_path, "", "", "no fitted trees: the weighted sum alone scores (run `make fit`)",
              severity=Severity.WARNING)
        return model
    try:
        return replace(model, trees=TreeEnsemble.load(trees_path, len(FEATURE_NAMES)))
    except (OSError, ValueError, KeyError) as exc:
        c.add(trees_path, "", "", f"cannot be read ({exc}): run `make fit`")
        return model


def _load_classifier(c: _Collector, intents: Mapping[str, Intent]) -> IntentClassifier | None:
    path = c.root / "classifier.npz"
    if not path.is_file():
        c.add(path, "", "", "no fitted classifier: run `make fit`", severity=Severity.WARNING)
        return None
    try:
        classifier = IntentClassifier.load(path)
    except (OSError, ValueError, KeyError) as exc:
        c.add(path, "", "", f"cannot be read ({exc}): run `make fit`")
        return None
    missing = sorted(set(intents) - set(classifier.classes))
    if missing:
        c.add(path, "", "classes", f"fitted before {', '.join(missing[:5])}"
              f"{' …' if len(missing) > 5 else ''} existed: run `make fit`", severity=Severity.WARNING)
    return classifier


def _load_operations(c: _Collector) -> OperationWords:
    path = c.root / "operations.yaml"
    data = c.yaml(path)
    empty = OperationWords({}, {}, {})
    if data is None:
        return empty
    if not isinstance(data, LineDict):
        c.add(path, "", "", "expected a mapping with words, number_words and replies")
        return empty
    _check_keys(c, path, "", data, ("words", "number_words", "replies"), ("alternatives",))
    sections: dict[str, LineDict] = {}
    for section in ("words", "number_words", "replies"):
        value = data.get(section)
        if value is not None and not isinstance(value, LineDict):
            c.add(path, section, "", f"expected a mapping, found a {_type_name(value)}", data.line_of(section))
        sections[section] = value if isinstance(value, LineDict) else LineDict()
    words: dict[str, tuple[tuple[str, ...], ...]] = {}
    for name, items in sections["words"].items():
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            c.add(path, "words", str(name), "expected a list of phrases", sections["words"].line_of(name))
            continue
        words[str(name)] = tuple(sorted({tuple(stem(t) for t in tokenize(i)) for i in items if tokenize(i)},
                                        key=lambda p: (-len(p), p)))
    numbers: dict[str, float] = {}
    for word, value in sections["number_words"].items():
        if not isinstance(value, int | float) or isinstance(value, bool):
            c.add(path, "number_words", str(word), "expected a number", sections["number_words"].line_of(word))
            continue
        numbers[str(word).casefold()] = float(value)
    replies: dict[str, str] = {}
    for name, template in sections["replies"].items():
        if not isinstance(template, str) or not template.strip():
            c.add(path, "replies", str(name), "expected a template", sections["replies"].line_of(name))
            continue
        replies[str(name)] = template.strip()
    alternatives: list[frozenset[str]] = []
    groups = data.get("alternatives") or []
    if not isinstance(groups, list) or not all(isinstance(g, list) and all(isinstance(w, str) for w in g)
                                               for g in groups):
        c.add(path, "alternatives", "", "expected a list of word lists", data.line_of("alternatives"))
        groups = []
    for group in groups:
        alternatives.append(frozenset(stem(t) for word in group for t in tokenize(word)))
    return OperationWords(words, numbers, replies, tuple(alternatives))


def load_knowledge(root: Path | None = None,
                   limits: KnowledgeLimits | None = None) -> tuple[KnowledgeBase, list[Problem]]:
    """Read every file under `root`; return the knowledge base and the problems found.

    The caller decides what to do with problems: the engine refuses any error. A folder past
    `limits` is refused before it is parsed (files, bytes) or indexed (intents, phrasings).
    """
    base = (root or DEFAULT_ROOT).resolve()
    c = _Collector(base)
    empty = KnowledgeBase(base, {}, {}, {}, {})
    if not base.is_dir():
        c.add(base, "", "", "knowledge directory not found")
        return empty, c.problems
    limits = limits or KnowledgeLimits()
    for where, message in check_folder(base, limits):
        c.add(Path(where), "", "", message)
    if c.problems:
        return empty, c.problems
    sources = _load_sources(c)
    tables = _load_tables(c, sources)
    intents = _load_intents(c, sources, tables)
    synonyms = _load_synonyms(c)
    for message in check_counts(intents, limits):
        c.add(base, "", "", message)
    kb = KnowledgeBase(base, sources, tables, intents, synonyms, _load_language(c), _load_scoring(c),
                       _load_classifier(c, intents), _load_operations(c))
    return kb, c.problems


def resolve_alias(kb: KnowledgeBase, kind: str, text: str) -> str | None:
    """The key of the `kind` row that `text` names, ignoring case and accents, or None."""
    wanted = " ".join(fold(text).split())
    for name, key in kb.entity_names(kind).items():
        if " ".join(fold(name).split()) == wanted:
            return key
    return None
