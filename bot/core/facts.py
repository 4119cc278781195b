"""The tables as typed facts, built once at load: amounts, dated events, terms of office and
groups of people, each with its citation. Computed answers (`operations`) read only these,
so a new row in a CSV is a new fact with no code.

What a table holds is read from knowledge/tables.yaml: `quantities` name its amounts (and
their units), an entity table with a date column dates its rows, a table with `term_start`
and `term_end` gives terms of office, and a table whose key repeats (`key_repeats`) groups the
people it lists.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable

from bot.core.knowledge import KnowledgeBase, PartialDate, Row, Table
from bot.core.models import CitationRef
from bot.core.records import record


@record
class Amount:
    """One number a source states about one row."""

    kind: str  # the row's entity kind (constituency, election, platform_point, figure)
    key: str  # the row's key
    name: str  # how an answer names the row ("Kandal", "the 2013 general election")
    attribute: str  # the column (votes, share, riels, value)
    value: float
    unit: str  # votes, percent, riels, US$, MPs, …
    display: str  # as the source writes it ("366,056", "55.76")
    per: str = ""  # "month", "kilo": what the amount is per, when it is a rate
    citation: CitationRef | None = None

    def shown(self) -> str:
        """The amount with its unit, as an answer states it: "366,056 votes", "55.76%"."""
        return show(self.value, self.unit, self.display) + (f" a {self.per}" if self.per else "")


def show(value: float, unit: str, display: str = "") -> str:
    number = display or number_text(value)
    if unit == "percent":
        return f"{number}%"
    if unit == "US$":
        return f"US${number}"
    return f"{number} {unit}" if unit else number


def number_text(value: float, places: int = 2) -> str:
    """A computed number as a person writes it: thousands separated, no trailing zeros."""
    if not math.isfinite(value):
        return str(value)  # never from the tables' figures; said, not raised
    if abs(value - round(value)) < 1e-9 or places <= 0:
        return f"{round(value) or 0:,}"
    text = f"{value:,.{places}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "0") else text


_MONTHS = 30.44  # days in an average month, to say a span of days in months
_MONTH_DAYS = 28  # below a month's length a span is said in days alone


def span_text(start: PartialDate, end: PartialDate) -> str:
    """A span as exact as its dates: days when both are to the day, months otherwise."""
    if start.day is not None and end.day is not None:
        days = abs((end.as_date() - start.as_date()).days)
        months = days / _MONTHS
        if days < _MONTH_DAYS:
            return f"{days} day{'s' if days != 1 else ''}"
        if months < 11.75:
            return f"{days:,} days, about {_months_text(months)}"
        years, rest = divmod(round(months), 12)
        tail = f" and {rest} month{'s' if rest != 1 else ''}" if rest else ""
        # A decimal helps compare multi-year spans; for one year, or a whole number, it only repeats.
        decimal = f" ({days / 365.25:.1f} years)" if years >= 2 and rest else ""
        return f"{days:,} days, about {years} year{'s' if years != 1 else ''}{tail}{decimal}"
    if start.month is not None and end.month is not None:
        months_apart = abs((end.year - start.year) * 12 + end.month - start.month)
        return f"about {months_apart} month{'s' if months_apart != 1 else ''}"
    years = abs(end.year - start.year)
    return f"about {years} year{'s' if years != 1 else ''}"


def _months_text(months: float) -> str:
    whole = int(months)
    half = months - whole >= 0.25 and months - whole < 0.75
    rounded = whole + (1 if months - whole >= 0.75 else 0)
    if half:
        return f"{whole} and a half months"
    return f"{rounded} month{'s' if rounded != 1 else ''}"



@record
class Dated:
    """A row dated by the sources: an event of the timeline, or an election's year."""

    kind: str
    key: str
    name: str
    date: PartialDate
    citation: CitationRef | None = None


@record
class Term:
    """Someone's term in an office, from a table with term_start and term_end."""

    person: str
    office: str  # "party leader"
    start: PartialDate
    end: PartialDate
    row: Row
    citation: CitationRef | None = None


@record
class Member:
    """A person's place in one of the party's groups (a committee), with its rank."""

    person: str
    group: str  # the group's key ("Standing")
    position: str  # "" for an ordinary member
    rank: int
    citation: CitationRef | None = None


class FactGraph:
    def __init__(self, kb: KnowledgeBase) -> None:
        self.amounts: dict[tuple[str, str], list[Amount]] = defaultdict(list)
        self.rows_of_kind: dict[str, list[str]] = defaultdict(list)
        self.dated: dict[tuple[str, str], Dated] = {}
        self.terms: list[Term] = []
        self.groups: dict[str, list[Member]] = defaultdict(list)
        self.group_kind: str | None = None
        for table in kb.tables.values():
            self._amounts(table)
            self._dates(table)
            self._terms(table)
            self._groups(table)

    # ------------------------------------------------------------ building

    @staticmethod
    def _kind(table: Table) -> str:
        return table.entity or table.name

    @staticmethod
    def _name(table: Table, row: Row) -> str:
        if table.name == "elections":
            return f"the {row['year']} {str(row['type']).lower()} election{'s' if row['type'] == 'Communal' else ''}"
        if table.name == "figures":
            return str(row["about"])
        key = table.key or next(iter(table.columns))
        return str(row.values[key])

    def _amounts(self, table: Table) -> None:
        quantities = table.meta.get("quantities") or {}
        if not quantities:
            return
        kind = self._kind(table)
        for row in table.rows:
            key = str(row.values[table.key]) if table.key else str(row.line)
            self.rows_of_kind[kind].append(key)
            for column, unit in quantities.items():
                value = row.values.get(column)
                if value is None:
                    continue
                unit_text = str(row.values[unit[1:]]) if str(unit).startswith("@") else str(unit)
                self.amounts[(kind, key)].append(Amount(
                    kind, key, self._name(table, row), column, float(value), unit_text,
                    row.display[column], str(row.values.get("per", "") or ""), row.citation))

    def _dates(self, table: Table) -> None:
        if not table.entity or not table.key:
            return
        date_columns = [c for c, t in table.columns.items() if t == "date"]
        for row in table.rows:
            key = str(row.values[table.key])
            when: PartialDate | None = None
            if date_columns:
                when = row.values[date_columns[0]]
            elif "year" in table.columns and isinstance(row.values.get("year"), int):
                when = PartialDate(int(row.values["year"]))
            if when is not None:
                name = str(row.values.get("name") or self._name(table, row))
                self.dated[(table.entity, key)] = Dated(table.entity, key, name, when, row.citation)

    def _terms(self, table: Table) -> None:
        if not {"term_start", "term_end", "name"} <= set(table.columns):
            return
        office = table.title.casefold().removesuffix("s")  # "Party leaders": a party leader's term
        for row in table.rows:
            self.terms.append(Term(str(row["name"]), office, row["term_start"], row["term_end"], row, row.citation))

    def _groups(self, table: Table) -> None:
        if not table.meta.get("key_repeats") or not table.key or "name" not in table.columns:
            return
        self.group_kind = table.entity
        for row in sorted(table.rows, key=lambda r: int(r.values.get("rank") or 0)):
            self.groups[str(row.values[table.key])].append(Member(
                str(row["name"]), str(row.values[table.key]), str(row.values.get("position") or ""),
                int(row.values.get("rank") or 0), row.citation))

    # ------------------------------------------------------------ reading

    def amount(self, kind: str, key: str, attributes: Iterable[str] = ()) -> Amount | None:
        """The row's amount in the first of `attributes` it has, or its first amount."""
        found = self.amounts.get((kind, key), [])
        for attribute in attributes:
            for amount in found:
                if amount.attribute == attribute:
                    return amount
        return found[0] if found else None

    def all_of(self, kind: str, attribute: str) -> list[Amount]:
        return [a for key in self.rows_of_kind.get(kind, []) for a in self.amounts[(kind, key)]
                if a.attribute == attribute]

    def term_of(self, person: str) -> Term | None:
        return next((t for t in self.terms if t.person == person), None)

    def terms_during(self, start: PartialDate, end: PartialDate) -> list[Term]:
        """Terms that overlap a period (both ends inclusive, to the precision given)."""
        low, high = start.sort_key, _end_key(end)
        return [t for t in self.terms if t.start.sort_key <= high and _end_key(t.end) >= low]

    def groups_of(self, person: str) -> list[Member]:
        return [m for members in self.groups.values() for m in members if m.person == person]


def _end_key(date: PartialDate) -> tuple[int, int, int]:
    """The last day a partial date can mean: 2017 runs to the end of December."""
    return (date.year, date.month or 12, date.day or 31)
