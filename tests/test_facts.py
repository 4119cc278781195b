"""The fact graph: the tables as typed amounts, dated rows, terms of office and groups. Every
expected value is read back from the loaded tables (knowledge/tables/*.csv); constants appear
only for the pure formatting functions."""

from __future__ import annotations

import itertools
import re
from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.engine import Engine
from bot.core.facts import Amount, FactGraph, number_text, show, span_text
from bot.core.knowledge import KnowledgeBase, PartialDate, Row, Table
from bot.core.models import CitationRef

PROPERTY = settings(max_examples=200, deadline=None, derandomize=True)


@pytest.fixture(scope="module")
def graph(engine: Engine) -> FactGraph:
    return engine.facts


def _quantity_tables(kb: KnowledgeBase) -> list[Table]:
    return [t for t in kb.tables.values() if t.meta.get("quantities")]


def _day(d: date) -> PartialDate:
    return PartialDate(d.year, d.month, d.day)


def _terms_rows(kb: KnowledgeBase) -> list[Row]:
    return sorted(kb.table("leaders").rows, key=lambda r: r["term_start"].sort_key)


# ---------------------------------------------------------------- number_text, show


@pytest.mark.parametrize(("value", "text"), [
    (0.0, "0"),
    (5.0, "5"),
    (1234.0, "1,234"),
    (2946176.0, "2,946,176"),
    (1234.5, "1,234.5"),
    (55.76, "55.76"),
    (10.03, "10.03"),
    (0.1 + 0.2, "0.3"),  # no float noise, no trailing zeros
    (1.999, "2"),  # rounded to two places, then no trailing ".00"
    (-1234.5, "-1,234.5"),
    (123456789.123, "123,456,789.12"),
])
def test_number_text_writes_numbers_as_a_person_does(value: float, text: str) -> None:
    assert number_text(value) == text


def test_number_text_places_sets_the_decimals() -> None:
    assert number_text(1.23456, places=4) == "1.2346"
    assert number_text(1.5, places=1) == "1.5"
    assert number_text(1234.56, places=1) == "1,234.6"


def test_number_text_with_no_places_keeps_the_integers_zeros() -> None:
    assert number_text(10.4, places=0) == "10"
    assert number_text(100.3, places=0) == "100"


@given(st.floats(min_value=-1e12, max_value=1e12, allow_nan=False))
@PROPERTY
def test_number_text_is_the_value_rounded_to_two_places(value: float) -> None:
    text = number_text(value)
    assert re.fullmatch(r"-?\d{1,3}(,\d{3})*(\.\d{1,2})?", text)
    if "." in text:
        assert not text.endswith("0")  # no trailing zeros
    assert abs(float(text.replace(",", "")) - value) <= 0.005 + 1e-9 * abs(value)


def test_number_text_never_writes_minus_zero() -> None:
    assert number_text(-0.004) == "0"


@pytest.mark.parametrize(("value", "unit", "display", "text"), [
    (55.76, "percent", "", "55.76%"),
    (10.0, "US$", "", "US$10"),
    (366056.0, "votes", "", "366,056 votes"),
    (366056.0, "votes", "366,056", "366,056 votes"),
    (51.1, "percent", "51.10", "51.10%"),  # the source's display wins over the computed text
    (7.0, "", "", "7"),
])
def test_show_puts_the_unit_where_an_answer_says_it(value: float, unit: str, display: str, text: str) -> None:
    assert show(value, unit, display) == text


def test_amount_shown_adds_what_a_rate_is_per() -> None:
    monthly = Amount("platform_point", "x", "x", "riels", 40000.0, "riels", "40,000", per="month")
    assert monthly.shown() == "40,000 riels a month"
    assert replace(monthly, per="").shown() == "40,000 riels"


# ---------------------------------------------------------------- span_text


@pytest.mark.parametrize(("start", "end", "text"), [
    (PartialDate(2017, 11, 16), PartialDate(2017, 11, 16), "0 days"),
    (PartialDate(2017, 11, 16), PartialDate(2017, 11, 17), "1 day"),
    (PartialDate(2018, 4, 26), PartialDate(2018, 5, 14), "18 days"),
    (PartialDate(2017, 1, 1), PartialDate(2017, 1, 29), "28 days, about 1 month"),
    (PartialDate(2017, 1, 1), PartialDate(2017, 2, 15), "45 days, about 1 and a half months"),
    (PartialDate(2017, 3, 2), PartialDate(2017, 11, 16), "259 days, about 8 and a half months"),
    (PartialDate(2016, 1, 1), PartialDate(2017, 1, 1), "366 days, about 1 year"),
    (PartialDate(2000, 1, 1), PartialDate(2001, 12, 25), "724 days, about 2 years"),
    (PartialDate(2000, 1, 1), PartialDate(2002, 7, 1), "912 days, about 2 years and 6 months (2.5 years)"),
    (PartialDate(2012, 7, 17), PartialDate(2017, 2, 11), "1,670 days, about 4 years and 7 months (4.6 years)"),
])
def test_span_in_days_when_both_dates_are_to_the_day(start: PartialDate, end: PartialDate, text: str) -> None:
    assert span_text(start, end) == text


@pytest.mark.parametrize(("start", "end", "text"), [
    (PartialDate(2017, 9), PartialDate(2017, 11, 16), "about 2 months"),
    (PartialDate(2017, 9), PartialDate(2017, 10), "about 1 month"),
    (PartialDate(2017, 9), PartialDate(2018, 7), "about 10 months"),
    (PartialDate(2012), PartialDate(2017, 11, 16), "about 5 years"),
    (PartialDate(1991), PartialDate(2012), "about 21 years"),
    (PartialDate(2012), PartialDate(2013), "about 1 year"),
])
def test_span_no_more_exact_than_its_least_exact_date(start: PartialDate, end: PartialDate, text: str) -> None:
    assert span_text(start, end) == text


_DAYS = st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31))


@st.composite
def _partial_dates(draw: st.DrawFn) -> PartialDate:
    day = draw(_DAYS)
    precision = draw(st.sampled_from(("year", "month", "day")))
    if precision == "year":
        return PartialDate(day.year)
    if precision == "month":
        return PartialDate(day.year, day.month)
    return _day(day)


@given(_partial_dates(), _partial_dates())
@PROPERTY
def test_span_text_is_symmetric(first: PartialDate, second: PartialDate) -> None:
    assert span_text(first, second) == span_text(second, first)


@given(_DAYS, _DAYS)
@PROPERTY
def test_span_in_days_states_the_exact_number_of_days(first: date, second: date) -> None:
    text = span_text(_day(first), _day(second))
    days = abs((second - first).days)
    assert text.startswith(f"{days:,} day")
    assert ("about" in text) == (days >= 28)


# ---------------------------------------------------------------- amounts


def test_every_stated_quantity_is_an_amount(kb: KnowledgeBase, graph: FactGraph) -> None:
    checked = 0
    for table in _quantity_tables(kb):
        kind = table.entity or table.name
        for row in table.rows:
            key = str(row.values[table.key]) if table.key else str(row.line)
            stated = {a.attribute: a for a in graph.amounts[(kind, key)]}
            for column, unit in table.meta["quantities"].items():
                value = row.values.get(column)
                if value is None:
                    assert column not in stated  # an empty cell states nothing
                    continue
                amount = stated[column]
                assert amount.value == float(value)
                assert amount.display == row.display[column]
                assert amount.unit == (str(row.values[unit[1:]]) if str(unit).startswith("@") else str(unit))
                assert amount.citation == row.citation
                checked += 1
    assert checked > 0


def test_amounts_are_named_as_an_answer_names_them(kb: KnowledgeBase, graph: FactGraph) -> None:
    for row in kb.table("constituencies").rows:
        assert {a.name for a in graph.amounts[("constituency", row["name"])]} == {row["name"]}
    for row in kb.table("figures").rows:
        assert {a.name for a in graph.amounts[("figure", row["tag"])]} == {row["about"]}
    for row in kb.table("elections").rows:
        (name,) = {a.name for a in graph.amounts[("election", row["type"])]}
        assert str(row["year"]) in name and str(row["type"]).lower() in name


def test_platform_rates_say_what_they_are_per(kb: KnowledgeBase, graph: FactGraph) -> None:
    for row in kb.table("platform").rows:
        for amount in graph.amounts.get(("platform_point", row["topic"]), []):
            assert amount.per == row["per"]


def test_rows_of_kind_lists_every_row_in_table_order(kb: KnowledgeBase, graph: FactGraph) -> None:
    assert graph.rows_of_kind["constituency"] == [r["name"] for r in kb.table("constituencies").rows]
    assert graph.rows_of_kind["figure"] == [r["tag"] for r in kb.table("figures").rows]


def test_amount_picks_the_first_attribute_the_row_has(kb: KnowledgeBase, graph: FactGraph) -> None:
    row = kb.table("constituencies").rows[0]
    name = row["name"]
    votes = graph.amount("constituency", name, ("votes", "share"))
    share = graph.amount("constituency", name, ("nothing", "share", "votes"))
    assert votes is not None and votes.value == row["votes"]
    assert share is not None and share.value == row["share"]


def test_amount_falls_back_to_the_rows_first_amount(kb: KnowledgeBase, graph: FactGraph) -> None:
    table = kb.table("constituencies")
    row = table.rows[0]
    first_column = next(iter(table.meta["quantities"]))
    fallback = graph.amount("constituency", row["name"], ("no such column",))
    assert fallback is not None and fallback.attribute == first_column
    assert fallback == graph.amount("constituency", row["name"])


def test_amount_of_an_unknown_row_is_none(graph: FactGraph) -> None:
    assert graph.amount("constituency", "Atlantis") is None
    assert graph.amount("no such kind", "Kandal") is None


def test_all_of_gives_one_amount_per_row(kb: KnowledgeBase, graph: FactGraph) -> None:
    rows = kb.table("constituencies").rows
    votes = graph.all_of("constituency", "votes")
    assert [a.key for a in votes] == [r["name"] for r in rows]
    assert [a.value for a in votes] == [float(r["votes"]) for r in rows]
    assert graph.all_of("constituency", "no such column") == []
    assert graph.all_of("no such kind", "votes") == []


# ---------------------------------------------------------------- dates


def test_every_timeline_event_is_dated(kb: KnowledgeBase, graph: FactGraph) -> None:
    for row in kb.table("timeline").rows:
        dated = graph.dated[("event", row["tag"])]
        assert dated.date == row["date"]
        assert dated.name == row["name"]
        assert dated.citation == row.citation


def test_an_election_is_dated_by_its_year(kb: KnowledgeBase, graph: FactGraph) -> None:
    for row in kb.table("elections").rows:
        dated = graph.dated[("election", row["type"])]
        assert dated.date == PartialDate(row["year"])
        assert str(row["year"]) in dated.name


def test_only_entity_rows_are_dated(kb: KnowledgeBase, graph: FactGraph) -> None:
    entity_kinds = {t.entity for t in kb.entity_tables()}
    assert {kind for kind, _ in graph.dated} <= entity_kinds


# ---------------------------------------------------------------- terms


def test_every_leader_has_a_term(kb: KnowledgeBase, graph: FactGraph) -> None:
    rows = kb.table("leaders").rows
    assert len(graph.terms) == len(rows)
    for row in rows:
        term = graph.term_of(row["name"])
        assert term is not None
        assert (term.start, term.end) == (row["term_start"], row["term_end"])
        assert term.office == "party leader"  # the table's title, singular
        assert term.row == row


def test_term_of_someone_who_never_led_is_none(kb: KnowledgeBase, graph: FactGraph) -> None:
    leaders = {r["name"] for r in kb.table("leaders").rows}
    others = [r["name"] for r in kb.table("people").rows if r["name"] not in leaders]
    assert others
    assert all(graph.term_of(name) is None for name in others)


def test_terms_during_is_inclusive_at_both_ends(kb: KnowledgeBase, graph: FactGraph) -> None:
    for row in kb.table("leaders").rows:
        for day in (row["term_start"], row["term_end"]):
            assert row["name"] in {t.person for t in graph.terms_during(day, day)}


def test_terms_during_reads_a_partial_date_as_its_whole_period(kb: KnowledgeBase, graph: FactGraph) -> None:
    for row in kb.table("leaders").rows:
        for day in (row["term_start"], row["term_end"]):
            year, month = PartialDate(day.year), PartialDate(day.year, day.month)
            assert row["name"] in {t.person for t in graph.terms_during(year, year)}
            assert row["name"] in {t.person for t in graph.terms_during(month, month)}


def test_terms_during_the_whole_span_finds_every_term(kb: KnowledgeBase, graph: FactGraph) -> None:
    rows = _terms_rows(kb)
    found = graph.terms_during(rows[0]["term_start"], rows[-1]["term_end"])
    assert {t.person for t in found} == {r["name"] for r in rows}


def test_terms_during_finds_nobody_outside_every_term(kb: KnowledgeBase, graph: FactGraph) -> None:
    rows = _terms_rows(kb)
    before = PartialDate(rows[0]["term_start"].year - 1)
    after = PartialDate(rows[-1]["term_end"].year + 1)
    assert graph.terms_during(before, before) == []
    assert graph.terms_during(after, after) == []
    for earlier, later in itertools.pairwise(rows):
        gap_start = earlier["term_end"].as_date() + timedelta(days=1)
        gap_end = later["term_start"].as_date() - timedelta(days=1)
        if gap_start <= gap_end:  # a day on which nobody led
            assert graph.terms_during(_day(gap_start), _day(gap_end)) == []


# ---------------------------------------------------------------- groups


def test_groups_list_their_members_by_rank(kb: KnowledgeBase, graph: FactGraph) -> None:
    table = kb.table("committees")
    assert graph.group_kind == table.entity
    assert set(graph.groups) == {r["committee"] for r in table.rows}
    for group, members in graph.groups.items():
        rows = sorted(table.where(committee=group), key=lambda r: r["rank"])
        assert [m.person for m in members] == [r["name"] for r in rows]
        assert [m.position for m in members] == [r["position"] for r in rows]
        assert [m.rank for m in members] == [r["rank"] for r in rows]


def test_groups_of_someone_lists_each_group_they_sit_in(kb: KnowledgeBase, graph: FactGraph) -> None:
    rows = kb.table("committees").rows
    for person in {r["name"] for r in rows}:
        assert sorted(m.group for m in graph.groups_of(person)) == sorted(
            r["committee"] for r in rows if r["name"] == person)
    assert graph.groups_of("Nobody At All") == []


# ---------------------------------------------------------------- building from any tables


def _table(name: str, columns: dict[str, str], rows: list[dict[str, object]], **meta: object) -> Table:
    built = tuple(Row(values, {k: str(v) for k, v in values.items()}, i + 2, CitationRef("src", name))
                  for i, values in enumerate(rows))
    options = {k: meta.pop(k) for k in ("entity", "key", "aliases") if k in meta}
    return Table(name, f"{name}.csv", name.title(), columns, built, dict(meta), **options)


def test_a_new_row_is_a_new_fact_with_no_code(kb: KnowledgeBase) -> None:
    tables = {
        "gauges": _table("gauges", {"label": "str", "depth": "float", "per": "str"},
                         [{"label": "north", "depth": 3.5, "per": "day"},
                          {"label": "south", "depth": None, "per": ""}],
                         entity="gauge", key="label", quantities={"depth": "metres"}),
        "wardens": _table("wardens", {"name": "str", "term_start": "date", "term_end": "date"},
                          [{"name": "A", "term_start": PartialDate(2001), "term_end": PartialDate(2003, 5)}]),
        "crews": _table("crews", {"crew": "str", "rank": "int", "name": "str", "position": "str"},
                        [{"crew": "Red", "rank": 2, "name": "B", "position": ""},
                         {"crew": "Red", "rank": 1, "name": "C", "position": "Chief"}],
                        entity="crew", key="crew", key_repeats=True),
    }
    graph = FactGraph(replace(kb, tables=tables))
    (depth,) = graph.amounts[("gauge", "north")]
    assert (depth.value, depth.unit, depth.per, depth.shown()) == (3.5, "metres", "day", "3.5 metres a day")
    assert graph.amounts.get(("gauge", "south"), []) == []  # an empty cell is no amount
    assert graph.rows_of_kind["gauge"] == ["north", "south"]
    (term,) = graph.terms
    assert (term.person, term.office) == ("A", "warden")
    assert [m.person for m in graph.groups["Red"]] == ["C", "B"]
    assert graph.group_kind == "crew"
