"""Generators compute answers from table rows: each expected value here is recomputed from
the loaded tables (or is a fact plainly visible in knowledge/tables/*.csv)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from bot.core.engine import Engine
from bot.core.generators import (
    CITE_CLOSE,
    CITE_OPEN,
    ENTITY_GENERATORS,
    GENERATORS,
    Query,
    cite,
    committee_members,
    committee_position,
    constituency,
    constituency_compare,
    constituency_filter,
    constituency_majority,
    constituency_rank,
    constituency_total,
    election,
    event,
    leader,
    leader_duration,
    officers,
    organisation,
    organisation_name,
    party_lifespan,
    person,
    person_check,
    sources_list,
    timeline,
    timeline_events,
)
from bot.core.knowledge import KnowledgeBase, PartialDate, Row, join_names
from bot.core.models import CitationRef, Entity

ORGANIZATION = CitationRef("wikipedia", "Organization")


@pytest.fixture(scope="module")
def kb(engine: Engine) -> KnowledgeBase:
    return engine.kb


def _e(kind: str, key: str) -> Entity:
    return Entity(kind, key, key, 1.0)


def _query(*entities: Entity, numbers: tuple[float, ...] = (), terms: str = "") -> Query:
    return Query(entities=entities, numbers=numbers, terms=frozenset(terms.split()))


def _row(kb: KnowledgeBase, table: str, **where: Any) -> Row:
    (row,) = kb.table(table).where(**where)
    return row


def _line(row: Row) -> str:
    return f"{row['name']}: {row.display['votes']} votes ({row.display['share']}%)"


def _with_row(kb: KnowledgeBase, table: str, old: Row, **values: str) -> KnowledgeBase:
    """The knowledge base with some date cells of one row replaced."""
    parsed = {k: PartialDate.parse(v) for k, v in values.items()}
    new = replace(old, values={**old.values, **parsed},
                  display={**old.display, **{k: str(v) for k, v in parsed.items()}})
    original = kb.table(table)
    rows = tuple(new if r is old else r for r in original.rows)
    return replace(kb, tables={**kb.tables, table: replace(original, rows=rows)})


# ---------------------------------------------------------------- the registry


def test_every_entity_default_is_a_generator_for_that_kind() -> None:
    for kind, name in ENTITY_GENERATORS.items():
        assert GENERATORS[name].entity == kind


def test_cite_marks_a_reference_and_nothing_for_none() -> None:
    assert cite(ORGANIZATION) == f"{CITE_OPEN}wikipedia|Organization{CITE_CLOSE}"
    assert cite(None) == ""


# ---------------------------------------------------------------- constituencies


def test_a_constituencys_votes_share_and_rank(kb: KnowledgeBase) -> None:
    rows = kb.table("constituencies").rows
    row = _row(kb, "constituencies", name="Kandal")
    generated = constituency(kb, {}, _e("constituency", "Kandal"))
    assert generated.fields == {
        "name": "Kandal", "no": row.display["no"], "votes": "366,056", "share": "55.76%",
        "rank": str(1 + sum(r["share"] > row["share"] for r in rows)), "count": str(len(rows)),
        "national_share": "44.46%", "relation": "above",
    }
    assert generated.fields["rank"] == "2"  # only Phnom Penh (57.68%) is higher
    assert generated.citations == (CitationRef("wikipedia", "Regional strength"),)


def test_ranks_and_relations_hold_for_every_constituency(kb: KnowledgeBase) -> None:
    rows = kb.table("constituencies").rows
    national = float(kb.table("constituencies").meta["stated_totals"]["share"])
    fields = [constituency(kb, {}, _e("constituency", r["name"])).fields for r in rows]
    assert sorted(int(f["rank"]) for f in fields) == list(range(1, len(rows) + 1))
    for row, f in zip(rows, fields, strict=True):
        assert f["relation"] == ("above" if row["share"] > national else "below")


@pytest.mark.parametrize("entity", [None, Entity("person", "Kem Sokha", "kem sokha", 1.0)])
def test_a_constituency_answer_needs_a_constituency(kb: KnowledgeBase, entity: Entity | None) -> None:
    with pytest.raises(LookupError, match="needs a constituency"):
        constituency(kb, {}, entity)


def test_an_unknown_constituency_is_a_lookup_error(kb: KnowledgeBase) -> None:
    with pytest.raises(LookupError):
        constituency(kb, {}, _e("constituency", "Atlantis"))


def test_total_reports_the_stated_total_and_what_the_rows_add_up_to(kb: KnowledgeBase) -> None:
    table = kb.table("constituencies")
    row_sum = sum(r["votes"] for r in table.rows)
    stated = int(table.meta["stated_totals"]["votes"])
    fields = constituency_total(kb, {}, None).fields
    assert (fields["votes"], fields["row_sum"], fields["count"]) == ("2,946,176", f"{row_sum:,}", "24")
    assert fields["check"] == (f"The 24 constituency figures it lists add up to {row_sum:,}, "
                               f"{stated - row_sum:,} fewer than that stated total; both are shown as "
                               "the source gives them.")


def test_top_three_by_share_by_default(kb: KnowledgeBase) -> None:
    ranked = sorted(kb.table("constituencies").rows, key=lambda r: r["share"], reverse=True)
    fields = constituency_rank(kb, {}, None).fields
    assert fields["name"] == ranked[0]["name"] == "Phnom Penh"
    assert fields["heading"] == "The CNRP's top 3 constituencies by vote share, 2013:"
    assert fields["list"] == "\n".join(f"{i}. {_line(r)}" for i, r in enumerate(ranked[:3], 1))
    assert fields["others"] == f"{_line(ranked[1])}; {_line(ranked[2])}"


def test_bottom_n_by_votes_from_the_question(kb: KnowledgeBase) -> None:
    by_votes = sorted(kb.table("constituencies").rows, key=lambda r: r["votes"])
    fields = constituency_rank(kb, {"n": 3}, None, _query(numbers=(5.0,), terms="fewest vote")).fields
    assert fields["heading"] == "The CNRP's bottom 5 constituencies by votes, 2013:"
    assert [line.split(". ", 1)[1] for line in fields["list"].splitlines()] == [_line(r) for r in by_votes[:5]]
    assert fields["name"] == "Kep"  # 4,165 votes: fewer than Mondulkiri's 4,244, though a higher share


def test_bottom_order_from_params_and_a_number_out_of_range_is_ignored(kb: KnowledgeBase) -> None:
    weakest = min(kb.table("constituencies").rows, key=lambda r: r["share"])
    fields = constituency_rank(kb, {"order": "bottom", "n": 1}, None, _query(numbers=(99.0, 2.5))).fields
    assert (fields["name"], fields["count"], fields["others"]) == (weakest["name"], "1", "no other")
    assert fields["name"] == "Ratanakiri"


def test_filter_above_a_share_is_strict_and_sorted(kb: KnowledgeBase) -> None:
    rows = kb.table("constituencies").rows
    above = sorted((r for r in rows if r["share"] > 40), key=lambda r: r["share"], reverse=True)
    fields = constituency_filter(kb, {"above": 40}, None).fields
    assert fields["count"] == str(len(above)) and fields["total"] == str(len(rows))
    assert fields["names"] == join_names(f"{r['name']} ({r.display['share']}%)" for r in above)
    assert (fields["relation"], fields["limit"]) == ("above", "40%")
    # A share equal to the line is not above it.
    kandal = constituency_filter(kb, {"above": 40}, None, _query(numbers=(55.76,))).fields
    assert kandal["names"] == "Phnom Penh (57.68%)" and kandal["limit"] == "55.76%"


def test_filter_below_a_vote_count_from_the_question(kb: KnowledgeBase) -> None:
    rows = kb.table("constituencies").rows
    few = sorted((r for r in rows if r["votes"] < 10000), key=lambda r: r["votes"])
    fields = constituency_filter(kb, {"above": 40}, None, _query(numbers=(10000.0,), terms="fewer vote")).fields
    assert (fields["relation"], fields["limit"], fields["count"]) == ("below", "10,000 votes", str(len(few)))
    assert fields["names"].startswith("Kep (4,165), Mondulkiri (4,244)")


def test_the_number_of_constituencies_is_no_line(kb: KnowledgeBase) -> None:
    rows = kb.table("constituencies").rows
    count = float(len(rows))
    national = float(kb.table("constituencies").meta["stated_totals"]["share"])
    # "in how many of the 24 constituencies did it beat its national share?"
    fields = constituency_filter(kb, {"above": 40}, None, _query(numbers=(count,), terms="national")).fields
    assert fields["limit"] == f"its national share of {national:g}%"
    assert fields["count"] == str(sum(r["share"] > national for r in rows))
    # "how many of the 24 were above 40%?" and, alone, "above 24 percent" is a line.
    assert constituency_filter(kb, {}, None, _query(numbers=(count, 40.0))).fields["limit"] == "40%"
    assert constituency_filter(kb, {}, None, _query(numbers=(count,))).fields["limit"] == f"{count:g}%"


def test_filter_with_nothing_past_the_line_says_none(kb: KnowledgeBase) -> None:
    fields = constituency_filter(kb, {"below": 10}, None).fields
    assert (fields["count"], fields["names"], fields["relation"]) == ("0", "none", "below")


def test_majority_ignores_numbers_in_the_question(kb: KnowledgeBase) -> None:
    majority = [r["name"] for r in kb.table("constituencies").rows if r["share"] > 50]
    fields = constituency_majority(kb, {"above": 50}, None, _query(numbers=(30.0,))).fields
    assert fields["limit"] == "50%" and fields["count"] == str(len(majority)) == "3"
    assert sorted(majority) == ["Kampong Cham", "Kandal", "Phnom Penh"]


def test_compare_two_constituencies_by_share_whatever_the_order(kb: KnowledgeBase) -> None:
    kandal, takeo = _row(kb, "constituencies", name="Kandal"), _row(kb, "constituencies", name="Takéo")
    for pair in [("Kandal", "Takéo"), ("Takéo", "Kandal")]:
        fields = constituency_compare(kb, {}, None, _query(*(_e("constituency", p) for p in pair))).fields
        assert fields["better"] == "Kandal"
        assert fields["gap"] == f"{kandal['share'] - takeo['share']:.2f} percentage points higher" \
            == "10.03 percentage points higher"
    assert fields["left"] == _line(takeo) and fields["right"] == _line(kandal)


def test_compare_by_votes_when_the_question_counts_votes(kb: KnowledgeBase) -> None:
    query = _query(_e("constituency", "Kandal"), _e("constituency", "Kampong Cham"), terms="more vote")
    fields = constituency_compare(kb, {}, None, query).fields
    assert (fields["better"], fields["gap"]) == ("Kampong Cham", f"{457819 - 366056:,} more votes")


@pytest.mark.parametrize("places", [(), ("Kandal",), ("Kandal", "Kandal")])
def test_compare_needs_two_different_constituencies(kb: KnowledgeBase, places: tuple[str, ...]) -> None:
    with pytest.raises(LookupError, match="needs two constituencies"):
        constituency_compare(kb, {}, None, _query(*(_e("constituency", p) for p in places)))


# ---------------------------------------------------------------- people and offices


def test_officers_of_a_title(kb: KnowledgeBase) -> None:
    names = [r["name"] for r in kb.table("officers").where(title="Vice President")]
    generated = officers(kb, {"title": "Vice President"}, None)
    assert generated.fields == {"names": join_names(names), "count": str(len(names))}
    assert generated.fields["names"] == "Eng Chhai Eang, Mu Sochua and Pol Hom"
    assert generated.citations == (CitationRef("wikipedia", "Infobox"),)


def test_committee_members_in_rank_order_with_positions(kb: KnowledgeBase) -> None:
    fields = committee_members(kb, {"committee": "Executive"}, None).fields
    assert fields["count"] == str(len(kb.table("committees").where(committee="Executive")))
    assert fields["members"].startswith("Yim Sovann (President), Mao Monyvann (Vice President), "
                                        "Yem Ponhearith (Honorary Chairman), Kuoy Bunroeun")


def test_committee_position_and_a_position_nobody_holds(kb: KnowledgeBase) -> None:
    assert committee_position(kb, {"position": "Secretary-General"}, None).fields == {
        "names": "Yim Sovann (Standing Committee)"}
    assert committee_position(kb, {"position": "Treasurer"}, None).fields == {"names": "nobody"}


def test_a_persons_roles_are_gathered_from_every_table(kb: KnowledgeBase) -> None:
    fields = person(kb, {}, _e("person", "Mu Sochua")).fields
    expected = (len(kb.table("officers").where(name="Mu Sochua"))
                + sum("Mu Sochua" in r["deputies"] for r in kb.table("leaders").rows)
                + len(kb.table("committees").where(name="Mu Sochua"))
                + len(kb.table("roles").where(name="Mu Sochua")))
    lines = fields["roles"].splitlines()
    assert fields["count"] == str(len(lines)) == str(expected)
    assert lines[:3] == [
        f"• Vice President of the CNRP (infobox) {cite(CitationRef('wikipedia', 'Infobox'))}",
        "• deputy to party leader Kem Sokha (2 March 2017 to 16 November 2017) "
        f"{cite(CitationRef('wikipedia', 'List of party leaders'))}",
        f"• Vice President of the Standing Committee {cite(ORGANIZATION)}",
    ]
    assert all(line.endswith(CITE_CLOSE) for line in lines)  # each role cites its own row


def test_a_leaders_roles_give_the_term_and_its_length(kb: KnowledgeBase) -> None:
    roles = person(kb, {}, _e("person", "Sam Rainsy")).fields["roles"]
    assert "• co-founder of the CNRP (infobox)" in roles
    assert ("• party leader no. 1, 17 July 2012 to 11 February 2017 "
            "(1,670 days, about 4 years and 7 months (4.6 years))") in roles


def test_a_person_with_no_rows_has_no_role(kb: KnowledgeBase) -> None:
    assert person(kb, {}, _e("person", "Nobody Listed")).fields == {
        "name": "Nobody Listed", "roles": "No role is recorded.", "count": "0"}
    with pytest.raises(LookupError, match="needs a person"):
        person(kb, {}, _e("constituency", "Kandal"))


def test_an_organisation_lists_every_fact_of_its_rows_with_their_own_citations(kb: KnowledgeBase) -> None:
    rows = kb.table("organisation_roles").rows
    name = max({str(r["organisation"]) for r in rows}, key=lambda n: sum(r["organisation"] == n for r in rows))
    own = [r for r in rows if r["organisation"] == name]
    generated = organisation(kb, {}, _e("organisation", name))
    lines = generated.fields["roles"].split("\n")
    assert lines == [f"• {r['role']} {cite(r.citation)}" for r in own]
    assert generated.fields["count"] == str(len(own))


def test_an_organisation_is_shown_with_its_short_form(kb: KnowledgeBase) -> None:
    for row in kb.table("organisations").rows:
        shown = organisation_name(kb, str(row["name"]))
        assert shown.startswith(str(row["name"]))
        short = shown[len(str(row["name"])):]
        # Only a one-word alias written as an abbreviation or with a hyphen ("Forum-Asia").
        assert short == "" or (short.startswith(" (") and " " not in short[2:-1])


def test_an_organisation_the_tables_say_nothing_about_says_so(kb: KnowledgeBase) -> None:
    generated = organisation(kb, {}, _e("organisation", "An Organisation Nobody Named"))
    assert generated.fields["count"] == "0" and "say nothing more" in generated.fields["roles"]


def test_person_check_yes_for_a_committee_seat(kb: KnowledgeBase) -> None:
    verdict = person_check(kb, {}, _e("person", "Son Chhay"),
                           _query(_e("committee", "Standing"))).fields["verdict"]
    assert verdict == f"Yes. Son Chhay is listed as a member of the Standing Committee {cite(ORGANIZATION)}."


def test_person_check_no_lists_what_the_person_is(kb: KnowledgeBase) -> None:
    verdict = person_check(kb, {}, _e("person", "Son Chhay"),
                           _query(_e("committee", "Executive"))).fields["verdict"]
    assert verdict == ("No: the sources do not list Son Chhay as a member of the Executive Committee. "
                       f"They list Son Chhay as a member of the Standing Committee {cite(ORGANIZATION)}.")


def test_person_check_a_title_held_in_two_places(kb: KnowledgeBase) -> None:
    verdict = person_check(kb, {}, _e("person", "Mu Sochua"),
                           _query(_e("title", "Vice President"))).fields["verdict"]
    assert verdict.startswith("Yes. Mu Sochua is listed as Vice President of the CNRP ")
    assert f"and Vice President of the Standing Committee {cite(ORGANIZATION)}." in verdict


def test_person_check_an_office_near_the_one_asked_is_neither_yes_nor_no(kb: KnowledgeBase) -> None:
    # Whoever the leaders table names as a deputy, but no table titles Vice President.
    vice = {str(r["name"]) for r in kb.table("officers").where(title="Vice President")}
    vice |= {str(r["name"]) for r in kb.table("committees").rows if r["position"] == "Vice President"}
    leader, deputy = next((str(r["name"]), d) for r in kb.table("leaders").rows
                          for d in r["deputies"] if d not in vice)
    verdict = person_check(kb, {}, _e("person", deputy), _query(_e("title", "Vice President"))).fields["verdict"]
    assert verdict.startswith(f"The sources list {deputy} as deputy to party leader {leader} ")
    assert verdict.endswith("though not with the title Vice President.")


def test_person_check_needs_an_office_to_check(kb: KnowledgeBase) -> None:
    with pytest.raises(LookupError, match="needs an office or a committee"):
        person_check(kb, {}, _e("person", "Son Chhay"), _query(_e("person", "Son Chhay")))


def test_leader_by_number_and_a_number_with_no_leader(kb: KnowledgeBase) -> None:
    fields = leader(kb, {"number": 2}, None).fields
    row = _row(kb, "leaders", no=2)
    assert (fields["name"], fields["term_start"], fields["term_end"]) == (
        row["name"], row.display["term_start"], row.display["term_end"])
    assert (fields["name"], fields["duration"]) == ("Kem Sokha", "259 days, about 8 and a half months")
    assert fields["deputies"] == "Eng Chhai Eang, Mu Sochua and Pol Hom"
    with pytest.raises(LookupError, match="no leader number 9"):
        leader(kb, {"number": 9}, None)


def test_leader_duration_of_a_leader_and_of_someone_who_never_led(kb: KnowledgeBase) -> None:
    sokha = leader_duration(kb, {}, _e("person", "Kem Sokha"))
    assert sokha.fields["text"] == ("Kem Sokha led the CNRP from 2 March 2017 to 16 November 2017, "
                                    "259 days, about 8 and a half months.")
    leaders = join_names(str(r["name"]) for r in kb.table("leaders").rows)
    hom = leader_duration(kb, {}, _e("person", "Pol Hom"))
    assert hom.fields["text"] == f"Pol Hom is not in the list of party leaders (they were {leaders})."
    assert hom.citations == (CitationRef("wikipedia", "List of party leaders"),)
    with pytest.raises(LookupError):
        leader_duration(kb, {}, None)


@pytest.mark.parametrize(("end", "duration"), [
    ("2013-07-10", "358 days, about 1 year"),  # 11.8 months round up to a whole year
    ("2013-08-20", "399 days, about 1 year and 1 month"),
    ("2012-08-17", "31 days, about 1 month"),
    ("2014-09-17", "792 days, about 2 years and 2 months (2.2 years)"),
])
def test_durations_round_to_months(kb: KnowledgeBase, end: str, duration: str) -> None:
    changed = _with_row(kb, "leaders", _row(kb, "leaders", no=1), term_start="2012-07-17", term_end=end)
    assert leader(changed, {"number": 1}, None).fields["duration"] == duration


def test_party_lifespan_runs_from_the_first_term_to_the_dissolution(kb: KnowledgeBase) -> None:
    generated = party_lifespan(kb, {}, None)
    assert generated.fields == {"founded": "2012", "first_term": "17 July 2012",
                                "dissolved": "16 November 2017",
                                "duration": "1,948 days, about 5 years and 4 months (5.3 years)"}
    assert [c.section for c in generated.citations] == ["Lead", "List of party leaders", "Lead"]


def test_party_lifespan_never_says_twelve_months(kb: KnowledgeBase) -> None:
    changed = _with_row(kb, "timeline", _row(kb, "timeline", tag="dissolution"), date="2018-07-06")
    assert party_lifespan(changed, {}, None).fields["duration"] == "2,180 days, about 6 years"


# ---------------------------------------------------------------- elections, time, sources


def test_an_election_by_type_and_an_unknown_type(kb: KnowledgeBase) -> None:
    row = _row(kb, "elections", type="General")
    generated = election(kb, {"type": "General"}, None)
    assert generated.fields == {"type": "general", "year": "2013", "leader": "Sam Rainsy",
                                "votes": row.display["votes"], "share": "44.5%", "change": "+15.9"}
    assert generated.citations == (CitationRef("wikipedia", "General election"),)
    with pytest.raises(LookupError, match="no 'Presidential' election"):
        election(kb, {"type": "Presidential"}, None)


def test_timeline_events_are_in_date_order_with_figures_filled(kb: KnowledgeBase) -> None:
    events = timeline_events(kb)
    tables = kb.table("timeline"), kb.table("leaders"), kb.table("elections")
    assert len(events) == len(tables[0].rows) + 2 * len(tables[1].rows) + len(tables[2].rows)
    keys = [when.sort_key for when, _, _ in events]
    assert keys == sorted(keys)
    paris = next(what for _, what, _ in events if "Paris Peace Accord" in what)
    assert "{" not in paris and f"{kb.figures['war_years']}-year war" in paris


def test_timeline_for_a_year(kb: KnowledgeBase) -> None:
    events = timeline_events(kb, 2017)
    assert events and all(when.year == 2017 for when, _, _ in events)
    fields = timeline(kb, {}, _e("year", "2017")).fields
    lines = fields["events"].splitlines()
    assert (fields["year"], fields["count"], len(lines)) == ("2017", str(len(events)), len(events))
    assert "• 11 February 2017: Sam Rainsy's term as party leader ends " in fields["events"]
    assert (f"• 16 November 2017: The Supreme Court dissolves the CNRP "
            f"{cite(CitationRef('wikipedia', 'Lead'))}") in lines


def test_a_year_named_in_the_question_wins_over_the_default(kb: KnowledgeBase) -> None:
    fields = timeline(kb, {}, None, _query(_e("year", "2013"))).fields
    assert fields["year"] == "2013" and fields["count"] == str(len(timeline_events(kb, 2013)))
    assert timeline(kb, {}, None).fields["year"] == "all years"


def test_a_year_without_events_is_a_lookup_error(kb: KnowledgeBase) -> None:
    with pytest.raises(LookupError, match="no dated events in 2000"):
        timeline(kb, {}, _e("year", "2000"))


def test_sources_list_one_line_per_source(kb: KnowledgeBase) -> None:
    fields = sources_list(kb, {}, None).fields
    lines = fields["sources"].splitlines()
    assert fields["count"] == str(len(lines)) == str(len(kb.sources))
    wiki, press = kb.sources["wikipedia"], kb.sources["cnrm-2018"]
    assert f"• \u201c{wiki.title}\u201d, {wiki.publisher} \u2014 {wiki.url}" in lines  # no date: none shown
    assert f"• \u201c{press.title}\u201d, {press.publisher}, 2018-04-26" in lines  # no URL: no link


def test_a_number_too_long_for_a_float_is_no_count_and_no_line(kb: KnowledgeBase) -> None:
    # 309 digits or more read as inf: int(inf) raised OverflowError and the whole reply was lost.
    huge = float("9" * 309)
    assert huge == float("inf")
    fields = constituency_rank(kb, {"n": 3}, None, _query(numbers=(huge,))).fields
    assert fields["count"] == "3"
    fields = constituency_filter(kb, {"above": 40}, None, _query(numbers=(huge,))).fields
    assert fields["limit"] == "40%"


def test_a_long_number_in_a_question_is_answered(engine: Engine) -> None:
    for question in ("top " + "9" * 309 + " provinces", "constituencies above " + "9" * 400 + " votes",
                     "top " + "1" * 600):
        answer = engine.ask(question)
        assert answer.text and "inf" not in answer.text


def test_an_event_says_when_and_what_happened_as_the_timeline_states(kb: KnowledgeBase) -> None:
    for row in kb.table("timeline").rows:
        generated = event(kb, {}, _e("event", str(row["tag"])))
        assert generated.fields["when"] == str(row["date"])
        assert generated.fields["event"] == str(row["event"]).format_map({"figure": kb.figures})
        assert generated.citations == ((row.citation,) if row.citation else ())


def test_the_strongest_and_weakest_say_the_measure_they_rank_by(kb: KnowledgeBase) -> None:
    rows = kb.table("constituencies").rows
    by_votes = max(rows, key=lambda r: r["votes"])
    most = constituency_rank(kb, {"order": "top", "n": 3}, None, Query(terms=frozenset({"vote"})))
    assert (most.fields["best"], most.fields["name"]) == ("most votes", by_votes["name"])
    assert most.fields["lead"].startswith(f"{by_votes.display['votes']} votes")
    by_share = min(rows, key=lambda r: r["share"])
    lowest = constituency_rank(kb, {"order": "bottom", "n": 3}, None, Query())
    assert (lowest.fields["best"], lowest.fields["name"]) == ("lowest share", by_share["name"])
