"""Reading a question into a computation over the facts. Questions go through the real matcher
(tokens and rows as the engine reads them); every expected figure is recomputed from the table
rows the question names."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.engine import Engine
from bot.core.evaluation import is_conversation_file, load_cases, load_conversations
from bot.core.facts import number_text, show, span_text
from bot.core.generators import cite
from bot.core.knowledge import KnowledgeBase, PartialDate, Row
from bot.core.models import CitationRef, Entity, ReplyKind
from bot.core.normalize import fold
from bot.core.operations import Computed
from bot.core.programs import _RULES, _SENTENCE_END, _STANDS_FOR_SOMEONE, Operand, ProgramReader, Reading
from tests.answers import question_sets

TESTS = Path(__file__).parent
PROPERTY = settings(max_examples=150, deadline=None, derandomize=True)


@pytest.fixture(scope="module")
def reader(engine: Engine) -> ProgramReader:
    return engine.programs


def _reading(engine: Engine, question: str, context: Sequence[Entity] = (),
             context_dates: Sequence[Operand] = ()) -> Reading:
    analysis = engine.matcher.analyse(question)
    return Reading(analysis.tokens, analysis.entities, context=context, context_dates=context_dates)


def _read(engine: Engine, question: str, context: Sequence[Entity] = (),
          context_dates: Sequence[Operand] = ()) -> Computed | None:
    return engine.programs.read(_reading(engine, question, context, context_dates))


def _computed(engine: Engine, question: str, op: str, context: Sequence[Entity] = (),
              context_dates: Sequence[Operand] = ()) -> Computed:
    computed = _read(engine, question, context, context_dates)
    assert computed is not None, question
    assert computed.op == op, (question, computed.op)
    return computed


def _row(kb: KnowledgeBase, table: str, **where: object) -> Row:
    (row,) = kb.table(table).where(**where)
    return row


def _leaders_during(kb: KnowledgeBase, start: PartialDate, end: PartialDate) -> set[str]:
    """Who led at some time from start to end, read from the leaders table."""
    low = start.sort_key
    high = (end.year, end.month or 12, end.day or 31)
    return {r["name"] for r in kb.table("leaders").rows
            if r["term_start"].sort_key <= high and (r["term_end"].year, r["term_end"].month or 12,
                                                     r["term_end"].day or 31) >= low}


# ---------------------------------------------------------------- amounts


def test_ratio_of_two_constituencies(engine: Engine, kb: KnowledgeBase) -> None:
    computed = _computed(engine, "how many times more votes did the cnrp get in kandal than in takeo", "ratio")
    kandal, takeo = _row(kb, "constituencies", name="Kandal"), _row(kb, "constituencies", name="Takéo")
    times = max(kandal["votes"], takeo["votes"]) / min(kandal["votes"], takeo["votes"])
    assert computed.value == pytest.approx(times)
    assert kandal.display["votes"] in computed.fields["items"] and takeo.display["votes"] in computed.fields["items"]


def test_a_vote_share_is_a_share_not_votes(engine: Engine, kb: KnowledgeBase) -> None:
    computed = _computed(engine, "how many times bigger was the vote share in kandal than in takeo", "ratio")
    kandal, takeo = _row(kb, "constituencies", name="Kandal"), _row(kb, "constituencies", name="Takéo")
    assert computed.value == pytest.approx(max(kandal["share"], takeo["share"]) / min(kandal["share"], takeo["share"]))


def test_total_of_two_constituencies(engine: Engine, kb: KnowledgeBase) -> None:
    computed = _computed(engine, "what were the total votes in kandal and takeo combined", "total")
    expected = _row(kb, "constituencies", name="Kandal")["votes"] + _row(kb, "constituencies", name="Takéo")["votes"]
    assert computed.value == expected
    assert computed.fields["total"] == f"{number_text(expected)} votes"


def test_a_part_and_its_whole_are_never_added(engine: Engine, kb: KnowledgeBase) -> None:
    # A province's votes are part of the general election's: their sum counts them twice. The
    # difference (the votes outside the province) still means something.
    assert _read(engine, "total votes in phnom penh and in the 2013 election together") is None
    computed = _computed(engine, "what's the difference in votes between phnom penh and the 2013 election",
                         "difference")
    election = _row(kb, "elections", year=2013)["votes"]
    assert computed.value == abs(election - _row(kb, "constituencies", name="Phnom Penh")["votes"])


def test_two_named_constituencies_compared_are_left_to_the_intents(engine: Engine, kb: KnowledgeBase) -> None:
    # The intents' own comparison says it with both figures; a gap asked for is computed here,
    # in the measure asked.
    assert _read(engine, "which did better, kandal or takeo") is None
    computed = _computed(engine, "what's the difference in votes between kandal and takeo", "difference")
    kandal = _row(kb, "constituencies", name="Kandal")
    takeo = _row(kb, "constituencies", name="Takéo")
    assert computed.value == abs(kandal["votes"] - takeo["votes"])


def test_difference_of_platform_points_in_riels_and_dollars(engine: Engine, kb: KnowledgeBase) -> None:
    computed = _computed(engine, "what's the difference between the pension and the workers minimum wage",
                         "difference")
    pension = _row(kb, "platform", topic="Pension")
    wage = _row(kb, "platform", topic="Workers' minimum wage")
    assert computed.value == abs(pension["riels"] - wage["riels"])
    assert computed.fields["difference"] == (f"{show(abs(pension['riels'] - wage['riels']), 'riels')} "
                                             f"({show(abs(pension['usd'] - wage['usd']), 'US$')}) a {pension['per']}")


def test_amounts_per_different_things_are_not_combined(engine: Engine, kb: KnowledgeBase) -> None:
    pension, prices = _row(kb, "platform", topic="Pension"), _row(kb, "platform", topic="Farm prices")
    assert pension["per"] != prices["per"]
    assert _read(engine, "what is the difference between the pension and the farm prices") is None


def test_elections_named_by_their_years_are_compared(engine: Engine, kb: KnowledgeBase) -> None:
    computed = _computed(engine, "compare the votes in 2013 and 2017", "compare")
    rows = kb.table("elections").rows
    top = max(rows, key=lambda r: r["votes"])
    assert computed.value == max(r["votes"] for r in rows) - min(r["votes"] for r in rows)
    assert str(top["year"]) in computed.fields["verdict"] and "higher" in computed.fields["verdict"]


@pytest.mark.parametrize(("question", "above"), [
    ("was the share in kandal more than half", True),
    ("is kep over half", True),
    ("did kampong cham get a majority", True),
])
def test_a_share_against_half(engine: Engine, kb: KnowledgeBase, question: str, above: bool) -> None:
    computed = _computed(engine, question, "against")
    entity = next(e for e in engine.matcher.analyse(question).entities if e.kind == "constituency")
    share = _row(kb, "constituencies", name=entity.key)["share"]
    assert computed.fields["line"] == "half of the vote (50%)"
    assert computed.fields["verdict"] == ("Yes" if (share > 50) == above and share != 50 else "No")
    assert computed.value == pytest.approx(share - 50)


def test_half_of_the_vote_is_met_by_the_share_though_the_question_counts_votes(engine: Engine,
                                                                              kb: KnowledgeBase) -> None:
    election = next(r for r in kb.table("elections").rows if r["share"] is not None)
    computed = _computed(engine, f"did the cnrp win more than half the votes in {election['year']}?", "against")
    assert computed.value == pytest.approx(election["share"] - 50)
    assert "votes" not in computed.fields["item"].split("]")[0].split(":")[-1]
    # Constituencies as a kind, with the election's year: which of them, not a check.
    assert _read(engine, f"majority constituencies cnrp {election['year']}") is None


def test_the_year_of_a_named_province_is_no_second_amount_to_check(engine: Engine, kb: KnowledgeBase) -> None:
    # "in Prey Veng in 2013": the year says which election the result is of.
    year = _row(kb, "elections", year=2013)["year"]
    computed = _computed(engine, f"did more than 50% in prey veng go for the cnrp in {year}?", "against")
    share = _row(kb, "constituencies", name="Prey Veng")["share"]
    assert computed.value == pytest.approx(share - 50)
    assert computed.fields["verdict"] == ("Yes" if share > 50 else "No")


@pytest.mark.parametrize(("question", "upper", "lower"), [
    ("was kampot better or worse than the national average", "better", "worse"),
    ("was kandal's share lower or higher than half", "higher", "lower"),
])
def test_a_question_offering_both_sides_is_answered_with_the_side(engine: Engine, kb: KnowledgeBase, question: str,
                                                                 upper: str, lower: str) -> None:
    computed = _computed(engine, question, "against")
    entity = next(e for e in engine.matcher.analyse(question).entities if e.kind == "constituency")
    share = _row(kb, "constituencies", name=entity.key)["share"]
    line = 50.0 if "half" in question else float(kb.table("constituencies").meta["stated_totals"]["share"])
    assert computed.fields["verdict"] == (upper if share > line else lower).capitalize()
    assert computed.value == pytest.approx(share - line)


def _year_figures(kb: KnowledgeBase) -> list[Row]:
    rows = [r for r in kb.table("figures").rows if r["unit"] == "years"]
    assert rows
    return rows


def test_a_stated_length_against_a_stated_number(engine: Engine, kb: KnowledgeBase) -> None:
    for row in _year_figures(kb):
        alias = next(a for a in row["aliases"] if not any(c.isdigit() for c in a))
        value = row["value"]
        for line, verdict in ((value - 1, "Yes"), (value + 1, "No")):
            computed = _computed(engine, f"was the {alias} longer than {line} years?", "against")
            assert computed.fields["verdict"] == verdict, (alias, line)
            assert computed.value == value - line
        computed = _computed(engine, f"was the {alias} shorter or longer than {value + 1} years?", "against")
        assert computed.fields["verdict"] == "Shorter"


def test_a_number_in_a_figures_own_name_is_no_line(engine: Engine, kb: KnowledgeBase) -> None:
    # "the twelve-year war": twelve names the war; the line is the decade the question states.
    number_words = {v: k for k, v in kb.operations.number_words.items()}
    named = [(r, a) for r in _year_figures(kb) for a in r["aliases"]
             if a.split("-")[0] == number_words.get(r["value"])]
    assert named
    row, alias = named[0]
    computed = _computed(engine, f"was the {alias} longer than a decade?", "against")
    assert computed.value == row["value"] - 10


def test_a_figure_with_no_stated_number_is_not_checked(engine: Engine, kb: KnowledgeBase) -> None:
    alias = next(a for a in _year_figures(kb)[0]["aliases"] if not any(c.isdigit() for c in a))
    computed = _read(engine, f"was the {alias} longer?")
    assert computed is None or computed.op != "against"


@pytest.mark.parametrize("words", ["where did the cnrp win a majority in {year}",
                                   "did the cnrp get a majority anywhere in {year}"])
def test_a_majority_asked_of_places_is_no_check_of_the_election(engine: Engine, kb: KnowledgeBase,
                                                                words: str) -> None:
    year = next(r for r in kb.table("elections").rows if r["share"] is not None)["year"]
    assert _read(engine, words.format(year=year)) is None


def test_no_rank_among_fewer_than_three_rows(engine: Engine) -> None:
    # Read from the fact graph: a kind with too few rows to rank is compared, not ranked; one
    # with enough is ranked.
    kinds = engine.facts.rows_of_kind
    for kind, question in (("election", "where did the cnrp rank in the 2017 communal elections"),
                           ("constituency", "where does kandal rank")):
        computed = _read(engine, question)
        if len(kinds[kind]) < 3:
            assert computed is None, question
        else:
            assert computed is not None and computed.op == "rank", question


def test_a_share_against_the_national_share(engine: Engine, kb: KnowledgeBase) -> None:
    computed = _computed(engine, "was kampong cham above the national share", "against")
    national = float(kb.table("constituencies").meta["stated_totals"]["share"])
    share = _row(kb, "constituencies", name="Kampong Cham")["share"]
    assert computed.fields["verdict"] == ("Yes" if share > national else "No")
    assert computed.value == pytest.approx(share - national)


@pytest.mark.parametrize(("question", "above"), [("was kandal share above 40", True),
                                                 ("was kandal share below 40", False)])
def test_a_share_against_a_stated_number(engine: Engine, kb: KnowledgeBase, question: str, above: bool) -> None:
    computed = _computed(engine, question, "against")
    share = _row(kb, "constituencies", name="Kandal")["share"]
    assert computed.fields["line"] == "40%"
    assert computed.fields["verdict"] == ("Yes" if (share > 40) == above else "No")


def test_how_far_short_of_a_majority(engine: Engine, kb: KnowledgeBase) -> None:
    computed = _computed(engine, "how far short of a majority was the cnrp in kandal", "short_of")
    share = _row(kb, "constituencies", name="Kandal")["share"]
    assert computed.fields["direction"] == ("short of" if share < 50 else "above")
    assert computed.value == pytest.approx(abs(50 - share))


def test_rank_among_all_constituencies(engine: Engine, kb: KnowledgeBase) -> None:
    computed = _computed(engine, "how does kandal rank by share", "rank")
    rows = kb.table("constituencies").rows
    share = _row(kb, "constituencies", name="Kandal")["share"]
    higher = sum(1 for r in rows if r["share"] > share)
    ties = sum(1 for r in rows if r["share"] == share)
    assert higher + 1 <= int(computed.fields["position"]) <= higher + ties
    assert computed.fields["total"] == str(len(rows))


def test_a_monthly_amount_over_a_year(engine: Engine, kb: KnowledgeBase) -> None:
    computed = _computed(engine, "what would the pension come to per year", "per_year")
    assert computed.value == _row(kb, "platform", topic="Pension")["riels"] * 12


def test_what_a_promise_costs_its_payer_is_no_amount_a_year(engine: Engine) -> None:
    # One pensioner's year is not what the pensions would cost the state: that needs how many
    # would receive it, which no source gives.
    assert _read(engine, "how much would the pension have cost the state each year") is None
    assert _read(engine, "what would the pension cost the government per year") is None


def test_the_exchange_rate_from_the_paired_figures(engine: Engine, kb: KnowledgeBase) -> None:
    computed = _computed(engine, "what was the exchange rate", "exchange")
    rates = [r["riels"] / r["usd"] for r in kb.table("platform").rows if r["riels"] and r["usd"]]
    assert computed.fields["rate"] == number_text(round(sum(rates) / len(rates), 2))


def test_the_present_is_not_computed_from_sources_that_end_in_2018(engine: Engine) -> None:
    assert _read(engine, "what was the exchange rate") is not None
    assert _read(engine, "what is the exchange rate today") is None


@pytest.mark.parametrize("question", ["who founded the cnrp", "how did the cnrp do in kandal", "hello", ""])
def test_a_question_asking_for_no_computation_reads_as_none(engine: Engine, question: str) -> None:
    assert _read(engine, question) is None


# ---------------------------------------------------------------- dates


def test_days_between_two_events(engine: Engine, kb: KnowledgeBase) -> None:
    computed = _computed(engine, "how many days between the press release and the deadline", "between")
    release, deadline = _row(kb, "timeline", tag="press_release"), _row(kb, "timeline", tag="deadline")
    assert computed.fields["span"] == span_text(release["date"], deadline["date"])
    assert computed.value == abs((deadline["date"].as_date() - release["date"].as_date()).days)


def _two_events(kb: KnowledgeBase) -> tuple[Row, Row]:
    """Two events whose dates tell which came first, earlier first (from the timeline)."""
    statement, release = _row(kb, "timeline", tag="joint_statement"), _row(kb, "timeline", tag="press_release")
    earlier, later = sorted((statement, release), key=lambda r: r["date"].sort_key)
    assert earlier["date"].sort_key[:2] < later["date"].sort_key[:2]  # months apart: knowably ordered
    return earlier, later


@pytest.mark.parametrize("order", ["before or after", "after or before"])
def test_both_sides_of_time_are_answered_with_the_side(engine: Engine, kb: KnowledgeBase, order: str) -> None:
    earlier, later = _two_events(kb)
    for named_first, side in ((earlier, "Before"), (later, "After")):
        other = later if named_first is earlier else earlier
        question = f"was {named_first['name']} {order} {other['name']}?"
        computed = _computed(engine, question, "order")
        assert computed.fields["verdict"] == side, question
        assert (computed.fields["first"], computed.fields["second"]) == (earlier["name"], later["name"])


def test_which_came_first_names_the_earlier(engine: Engine, kb: KnowledgeBase) -> None:
    earlier, later = _two_events(kb)
    computed = _computed(engine, f"which came first, {later['name']} or {earlier['name']}?", "came_first")
    assert computed.fields["first"] == earlier["name"]
    assert computed.fields["span"] == span_text(earlier["date"], later["date"])


@pytest.mark.parametrize(("words", "earlier_first", "verdict"), [
    ("did {a} come before {b}?", True, "Yes"),
    ("did {a} come before {b}?", False, "No"),
    ("was {a} after {b}?", False, "Yes"),
    ("was {a} after {b}?", True, "No"),
])
def test_one_side_of_time_asked_is_a_yes_or_no(engine: Engine, kb: KnowledgeBase, words: str, earlier_first: bool,
                                               verdict: str) -> None:
    earlier, later = _two_events(kb)
    a, b = (earlier, later) if earlier_first else (later, earlier)
    assert _computed(engine, words.format(a=a["name"], b=b["name"]), "order").fields["verdict"] == verdict


def test_order_is_not_read_where_a_span_or_someone_is_asked(engine: Engine, kb: KnowledgeBase) -> None:
    earlier, later = _two_events(kb)
    assert _computed(engine, f"how long after {earlier['name']} was {later['name']}?", "between")
    computed = _read(engine, f"who led the party after {earlier['name']} and before {later['name']}?")
    assert computed is None or computed.op not in ("order", "came_first")


def test_days_between_the_end_of_one_term_and_the_start_of_the_next(engine: Engine, kb: KnowledgeBase) -> None:
    computed = _computed(engine, "how many days passed between sam rainsy stepped down and kem sokha took over",
                         "between")
    end = _row(kb, "leaders", name="Sam Rainsy")["term_end"]
    start = _row(kb, "leaders", name="Kem Sokha")["term_start"]
    assert computed.fields["span"] == span_text(end, start)
    assert computed.fields["first"] == "the end of Sam Rainsy's term"
    assert computed.fields["second"] == "the start of Kem Sokha's term"


def test_a_price_a_kilo_over_a_tonne(engine: Engine, kb: KnowledgeBase) -> None:
    row = next(r for r in kb.table("platform").rows if r["per"] == "kilo")
    entity = Entity("platform_point", str(row["topic"]), str(row["topic"]), 1.0, 0, 0)
    computed = _computed(engine, "how much is that per tonne?", "per_tonne", context=[entity])
    assert computed.value == row["riels"] * 1000
    # A monthly amount has no tonne.
    monthly = next(r for r in kb.table("platform").rows if r["per"] == "month")
    other = Entity("platform_point", str(monthly["topic"]), str(monthly["topic"]), 1.0, 0, 0)
    assert _read(engine, "how much is that per tonne?", context=[other]) is None


def test_days_apart_of_the_two_dates_the_talk_gave(engine: Engine, kb: KnowledgeBase, reader: ProgramReader) -> None:
    """"How many days apart are those?" after two dated answers: the span between them, not a
    count of what the last answer listed."""
    release, ruling = _row(kb, "timeline", tag="press_release"), _row(kb, "timeline", tag="dissolution")
    analysis = engine.matcher.analyse("how many days apart are those?")
    later, earlier = (reader.dates(_reading(engine, q))[0] for q in ("when was the press release put out",
                                                                      "when was the party dissolved"))
    reading = Reading(analysis.tokens, analysis.entities, listed=["ASEAN", "CNRM"], context_dates=[later, earlier])
    computed = engine.programs.read(reading)
    assert computed is not None and computed.op == "between"
    assert computed.fields["span"] == span_text(ruling["date"], release["date"])
    # One date and no pointer back: nothing to span.
    assert engine.programs.read(Reading(analysis.tokens, analysis.entities, context_dates=[later])) is None


def test_the_gap_between_the_two_terms_of_the_leaders_the_talk_named(engine: Engine, kb: KnowledgeBase) -> None:
    leaders = sorted(kb.table("leaders").rows, key=lambda r: r["term_start"].sort_key)
    first, second = leaders[0], leaders[1]
    expected = span_text(first["term_end"], second["term_start"])
    for named in ([first], [second], [first, second]):
        context = [Entity("person", str(r["name"]), str(r["name"]), 1.0, 0, 0) for r in named]
        computed = _computed(engine, "how long was the gap between the two terms?", "between", context=context)
        assert computed.fields["span"] == expected
        assert computed.fields["first"] == f"the end of {first['name']}'s term"


def test_dates_tells_the_start_of_a_term_from_its_end(engine: Engine, reader: ProgramReader,
                                                     kb: KnowledgeBase) -> None:
    (ended,) = reader.dates(_reading(engine, "when did kem sokha step down"))
    (began,) = reader.dates(_reading(engine, "when sam rainsy took over"))
    assert ended.date == _row(kb, "leaders", name="Kem Sokha")["term_end"]
    assert began.date == _row(kb, "leaders", name="Sam Rainsy")["term_start"]
    assert reader.dates(_reading(engine, "kem sokha")) == []  # neither asked
    assert reader.dates(_reading(engine, "when did mu sochua start")) == []  # no term of office


def test_dates_come_in_the_questions_order(engine: Engine, reader: ProgramReader, kb: KnowledgeBase) -> None:
    dates = reader.dates(_reading(engine, "the deadline and the press release"))
    assert [d.date for d in dates] == [_row(kb, "timeline", tag="deadline")["date"],
                                       _row(kb, "timeline", tag="press_release")["date"]]
    assert dates[0].at < dates[1].at


def test_a_stated_figure_moves_its_events_year(engine: Engine, kb: KnowledgeBase) -> None:
    for question, op, tag in (("when would the five-year ban run until", "until", "politics_ban_years"),
                              ("what year did the twelve-year war begin", "since", "war_years")):
        figure = _row(kb, "figures", tag=tag)
        base = _row(kb, "timeline", tag=figure["event"])["date"].year
        computed = _computed(engine, question, op)
        assert computed.value == (base + figure["value"] if op == "until" else base - figure["value"])


def test_a_stated_number_of_years_moves_a_stated_year(engine: Engine) -> None:
    computed = _computed(engine, "what year would 10 years after 2013 be", "until")
    assert computed.value == 2023


def test_who_led_in_a_year(engine: Engine, kb: KnowledgeBase) -> None:
    for row in kb.table("leaders").rows:
        year = row["term_start"].year
        computed = _computed(engine, f"who led the party in {year}", "leader_at")
        expected = _leaders_during(kb, PartialDate(year), PartialDate(year))
        assert {r["name"] for r in kb.table("leaders").rows if r["name"] in computed.fields["leaders"]} == expected
        assert computed.fields["leaders"].startswith("more than one leader") == (len(expected) > 1)


def test_who_led_at_an_event(engine: Engine, kb: KnowledgeBase) -> None:
    computed = _computed(engine, "who was the leader at the time of the arrest", "leader_at")
    arrest = _row(kb, "timeline", tag="arrest")
    expected = _leaders_during(kb, arrest["date"], arrest["date"])
    assert {r["name"] for r in kb.table("leaders").rows if r["name"] in computed.fields["leaders"]} == expected
    assert arrest.citation in computed.refs


@pytest.mark.parametrize("question", ["who was the head of the supreme court in 2017",  # another body's head
                                      "who led the party at the 2013 election"])  # the election's row says
def test_who_led_is_not_computed_where_another_answer_says(engine: Engine, question: str) -> None:
    assert _read(engine, question) is None


def test_what_else_happened_that_day(engine: Engine, kb: KnowledgeBase) -> None:
    computed = _computed(engine, "what else happened that same day as the ban", "same_day")
    ban = _row(kb, "timeline", tag="dissolution")
    assert computed.fields["when"] == f"On {ban['date']}"
    assert ban["name"] in computed.fields["events"]
    for row in kb.table("leaders").rows:
        assert (row["name"] in computed.fields["events"]) == (ban["date"] in (row["term_start"], row["term_end"]))


# ---------------------------------------------------------------- groups and people


def test_members_of_both_committees(engine: Engine, kb: KnowledgeBase) -> None:
    computed = _computed(engine, "how many people were on both committees", "both")
    rows = kb.table("committees").rows
    executive = {r["name"] for r in rows if r["committee"] == "Executive"}
    standing = {r["name"] for r in rows if r["committee"] == "Standing"}
    assert computed.value == len(executive & standing)


def _committee_list(kb: KnowledgeBase, committee: str) -> list[Row]:
    return sorted(kb.table("committees").where(committee=committee), key=lambda r: r["rank"])


def test_who_is_listed_right_after_or_before_a_member(engine: Engine, kb: KnowledgeBase) -> None:
    for committee in ("Executive", "Standing"):
        listed = _committee_list(kb, committee)
        for earlier, later in itertools.pairwise(listed):
            computed = _computed(engine, f"on the {committee} Committee list, who comes right after "
                                         f"{earlier['name']}?", "neighbour")
            assert computed.fields["name"] == later["name"] and computed.fields["rank"] == str(later["rank"])
            assert computed.subject == ("person", later["name"])
            computed = _computed(engine, f"who is listed before {later['name']} on the {committee} Committee?",
                                 "neighbour")
            assert computed.fields["name"] == earlier["name"]
            if earlier["position"]:
                assert earlier["position"] in computed.fields["position"]


def test_the_ends_of_a_list_have_no_neighbour_beyond(engine: Engine, kb: KnowledgeBase) -> None:
    listed = _committee_list(kb, "Executive")
    computed = _computed(engine, f"who comes after {listed[-1]['name']} on the Executive Committee list?",
                         "list_end")
    assert computed.fields["end"] == "last" and computed.fields["total"] == str(len(listed))
    computed = _computed(engine, f"who comes before {listed[0]['name']} on the Executive Committee list?",
                         "list_end")
    assert computed.fields["end"] == "first"


def test_no_list_neighbour_without_the_list_or_with_two_lists_possible(engine: Engine, kb: KnowledgeBase) -> None:
    rows = kb.table("committees").rows
    executive = {r["name"] for r in rows if r["committee"] == "Executive"}
    on_both = sorted(executive & {r["name"] for r in rows if r["committee"] == "Standing"})
    assert on_both
    # No list spoken of: a question about what happened after someone.
    computed = _read(engine, f"what happened after {on_both[0]} was arrested?")
    assert computed is None or computed.op not in ("neighbour", "list_end")
    # On both lists and neither named: which list is meant is unclear.
    computed = _read(engine, f"who is listed right after {on_both[0]}?")
    assert computed is None or computed.op not in ("neighbour", "list_end")


def test_untitled_members_of_a_committee(engine: Engine, kb: KnowledgeBase) -> None:
    computed = _computed(engine, "how many members of the standing committee have no title", "untitled")
    rows = kb.table("committees").where(committee="Standing")
    assert computed.value == sum(1 for r in rows if not r["position"])
    assert computed.fields["total"] == str(len(rows))


def test_sizes_of_two_committees(engine: Engine, kb: KnowledgeBase) -> None:
    computed = _computed(engine, "which committee is bigger, the executive or the standing", "sizes")
    sizes = [len(kb.table("committees").where(committee=c)) for c in ("Executive", "Standing")]
    assert computed.value == max(sizes) - min(sizes)


def test_roles_of_two_people(engine: Engine, kb: KnowledgeBase) -> None:
    computed = _computed(engine, "what roles did mu sochua and pol hom have", "roles")
    for name in ("Mu Sochua", "Pol Hom"):
        for row in kb.table("committees").where(name=name):
            title = f"{row['position']} of" if row["position"] else "member of"
            assert f"{title} the {row['committee']} Committee" in computed.fields["people"]


def test_roles_of_someone_the_tables_give_no_role_is_left_to_the_intents(engine: Engine, kb: KnowledgeBase) -> None:
    listed = {r["name"] for r in kb.table("committees").rows} | {r["name"] for r in kb.table("leaders").rows}
    assert "Hun Sen" not in listed
    assert _read(engine, "what roles did mu sochua and hun sen have") is None


# ---------------------------------------------------------------- follow-ups


def test_a_follow_up_takes_its_rows_from_the_last_answer(engine: Engine, kb: KnowledgeBase) -> None:
    rows = engine.matcher.analyse("kandal and takeo").entities
    computed = _computed(engine, "which gave it a bigger share?", "compare", context=rows)
    shares = [_row(kb, "constituencies", name=n)["share"] for n in ("Kandal", "Takéo")]
    assert computed.value == pytest.approx(max(shares) - min(shares))


def test_a_follow_up_compares_a_new_row_with_the_last_answers(engine: Engine, kb: KnowledgeBase) -> None:
    last = engine.matcher.analyse("how did the cnrp do in kandal").entities
    computed = _computed(engine, "and how does that compare with kampot?", "compare", context=last)
    shares = [_row(kb, "constituencies", name=n)["share"] for n in ("Kandal", "Kampot")]
    assert computed.value == pytest.approx(max(shares) - min(shares))
    assert computed.fields["items"].index("Kandal") < computed.fields["items"].index("Kampot")


def test_a_follow_up_takes_its_date_from_the_last_answer(engine: Engine, reader: ProgramReader,
                                                        kb: KnowledgeBase) -> None:
    last = reader.dates(_reading(engine, "when was the ban"))
    ban, deadline = _row(kb, "timeline", tag="dissolution"), _row(kb, "timeline", tag="deadline")
    same = _computed(engine, "what else happened that same day", "same_day", context_dates=last)
    assert ban["name"] in same.fields["events"]
    between = _computed(engine, "how many days between that and the deadline", "between", context_dates=last)
    assert between.fields["span"] == span_text(ban["date"], deadline["date"])


# ---------------------------------------------------------------- any reading


_WORDS = st.sampled_from(["how", "many", "times", "more", "difference", "total", "between", "days", "same", "day",
                          "until", "since", "year", "above", "below", "half", "national", "rank", "both",
                          "committee", "no", "title", "who", "led", "exchange", "rate", "per", "short", "of",
                          "role", "and", "or", "0", "5", "40", "2013", "2017", "1850", "99999", "twelve", "-1"])


@st.composite
def _readings(draw: st.DrawFn, rows: Sequence[tuple[str, str]]) -> Reading:
    tokens = draw(st.lists(_WORDS | st.text(max_size=6), max_size=12))

    def entities() -> list[Entity]:
        found = []
        for kind, key in draw(st.lists(st.sampled_from(rows), max_size=4)):
            start = draw(st.integers(0, max(len(tokens), 1)))
            found.append(Entity(kind, key, key, 1.0, start, start + draw(st.integers(0, 3))))
        return found

    return Reading(tokens, entities(), context=entities())


def _rows(engine: Engine) -> list[tuple[str, str]]:
    rows = [(kind, key) for kind in ("constituency", "election", "platform_point", "figure")
            for key in engine.facts.rows_of_kind[kind]]
    rows += list(engine.facts.dated)
    rows += [("person", t.person) for t in engine.facts.terms] + [("person", "Mu Sochua"), ("person", "Nobody")]
    rows += [("committee", g) for g in engine.facts.groups] + [("year", "2013"), ("year", "2017")]
    return rows


def test_read_never_raises_on_any_reading(engine: Engine) -> None:
    @given(_readings(_rows(engine)))
    @PROPERTY
    def check(reading: Reading) -> None:
        computed = engine.programs.read(reading)
        if computed is not None:
            assert computed.op in engine.kb.operations.replies
            assert all(isinstance(v, str) for v in computed.fields.values())
            engine.kb.operations.replies[computed.op].format_map(computed.fields)  # every field the reply needs

    check()


def test_anyone_else_with_that_role_lists_the_others_with_the_persons_office(engine: Engine,
                                                                            kb: KnowledgeBase) -> None:
    officers = kb.table("officers")
    office = next(str(r["title"]) for r in officers.rows if len(officers.where(title=r["title"])) >= 2)
    holders = [str(r["name"]) for r in officers.where(title=office)]
    person = Entity("person", holders[0], holders[0], 1.0, 0, 0)
    computed = _computed(engine, "anyone else with that role?", "same_office", context=[person])
    assert computed.value == len(holders) - 1
    assert all(name in computed.fields["names"] for name in holders[1:])
    assert (computed.fields["person"], computed.fields["office"]) == (holders[0], office)
    # No person to start from, or one the infobox gives no office: nothing to compute.
    assert _read(engine, "anyone else with that role?") is None
    untitled = next(str(r["name"]) for r in kb.table("committees").rows if not officers.where(name=r["name"]))
    assert _read(engine, "anyone else with that role?",
                 context=[Entity("person", untitled, untitled, 1.0, 0, 0)]) is None


def test_how_many_is_that_counts_the_last_list(engine: Engine, kb: KnowledgeBase) -> None:
    members = [str(r["name"]) for r in kb.table("committees").rows if r["committee"] == "Standing"]
    ref = CitationRef("wikipedia", "Organization")
    question = engine.matcher.analyse("how many people is that?")
    computed = engine.programs.read(Reading(question.tokens, question.entities, listed=members, listed_refs=(ref,)))
    assert computed is not None and computed.op == "count_listed"
    assert computed.fields["count"] == str(len(members)) and computed.refs == (ref,)
    # A measure to compare, or rows of its own, ask for something else; no list, nothing to count.
    for other in ("how many more votes is that than kep?", "how many votes is that in kampot?"):
        analysis = engine.matcher.analyse(other)
        result = engine.programs.read(Reading(analysis.tokens, analysis.entities, listed=members))
        assert result is None or result.op != "count_listed", other
    assert engine.programs.read(Reading(question.tokens, question.entities, listed=members[:1])) is None


def test_which_of_them_picks_the_listed_people_holding_the_office(engine: Engine, kb: KnowledgeBase) -> None:
    members = [str(r["name"]) for r in kb.table("committees").rows if r["committee"] == "Executive"]
    holders = [str(r["name"]) for r in kb.table("committees").rows
               if r["committee"] == "Executive" and r["position"] == "Vice President"]
    analysis = engine.matcher.analyse("which of them was vice president?")
    reading = Reading(analysis.tokens, analysis.entities, listed=members)
    computed = engine.programs.read(reading)
    assert computed is not None and computed.op == "of_them"
    assert computed.fields["count"] == str(len(holders)) and computed.fields["total"] == str(len(members))
    assert all(name in computed.fields["names"] for name in holders)
    # Without a list, or without an office to pick by, there is nothing to pick.
    unlisted = engine.programs.read(Reading(analysis.tokens, analysis.entities))
    assert unlisted is None or unlisted.op != "of_them"
    vague = engine.matcher.analyse("which of them was nice?")
    assert engine.programs.read(Reading(vague.tokens, vague.entities, listed=members)) is None


def test_one_persons_role_on_a_committee_is_that_seat(engine: Engine, kb: KnowledgeBase) -> None:
    committees = {str(r["committee"]) for r in kb.table("committees").rows}
    row = next(r for r in kb.table("committees").rows if r["position"]
               and len({str(x["committee"]) for x in kb.table("committees").where(name=r["name"])}) < len(committees))
    person, committee, position = str(row["name"]), str(row["committee"]), str(row["position"])
    computed = _computed(engine, f"what was {person}'s role on the {committee.lower()} committee?", "roles")
    assert computed.fields["people"].startswith(f"{person}: {position} of the {committee} Committee")
    # Asked yes or no, or about a committee the person is not on, it is person.check's.
    assert _read(engine, f"is {person} on the {committee.lower()} committee?") is None
    other = next(c for c in committees if not kb.table("committees").where(name=person, committee=c))
    assert _read(engine, f"what was {person}'s role on the {other.lower()} committee?") is None


def test_what_a_source_says_of_someone(engine: Engine, kb: KnowledgeBase) -> None:
    release = next(s for s in kb.sources.values() if s.kind == "press release")
    row = next(r for r in kb.table("roles").rows if r.citation and r.citation.source == release.id)
    computed = _computed(engine, f"does the press release mention {row['name']}?", "in_source")
    assert computed.fields["verdict"].startswith(f"The press release names {row['name']}: ")
    assert any(ref.source == release.id for ref in computed.refs)
    # Someone only the article's tables hold, and no answer from the release alone names.
    answers = " ".join(i.answer for i in kb.intents.values()
                       if i.citations and all(c.source == release.id for c in i.citations))
    member = next(str(r["name"]) for r in kb.table("committees").rows
                  if str(r["name"]) not in answers and str(r["name"]).split()[-1] not in answers
                  and not any(x.citation and x.citation.source == release.id
                              for x in kb.table("roles").where(name=r["name"])))
    absent = _computed(engine, f"does the press release mention {member}?", "in_source")
    assert absent.fields["verdict"].startswith(f"Nothing the bot holds from the press release names {member}.")
    assert all(ref.source != release.id for ref in absent.refs)
    # A contact question that names a source and an organisation stays the refusal's.
    contact = _read(engine, "what office number is listed for the cnrm's press contact in the release?")
    assert contact is None or contact.op != "in_source"
    # Two sources, or none, or two people: not this computation.
    for question in (f"does the article or the press release mention {member}?", f"does it mention {member}?",
                     f"does the press release mention {member} and {row['name']}?"):
        other = _read(engine, question)
        assert other is None or other.op != "in_source", question


def test_what_each_source_says_of_someone(engine: Engine, kb: KnowledgeBase) -> None:
    release = next(s for s in kb.sources.values() if s.kind == "press release")
    article = next(s for s in kb.sources.values() if s.id != release.id)
    row = next(r for r in kb.table("roles").rows if r.citation and r.citation.source == release.id
               and kb.table("officers").where(name=r["name"]))
    computed = _computed(engine, f"what role did {row['name']} have in the article and in the press release?",
                         "in_source")
    verdict = computed.fields["verdict"]
    assert f"In the {article.kind}: " in verdict and f"In the {release.kind}: " in verdict
    assert {ref.source for ref in computed.refs} == {release.id, article.id}


def _phrase_words(engine: Engine) -> list[str]:
    return sorted({word for phrases in engine.kb.operations.words.values() for phrase in phrases for word in phrase})


@given(st.data())
@settings(max_examples=200, deadline=None, derandomize=True)
def test_the_operations_a_question_names_are_those_whose_phrases_it_contains(engine: Engine,
                                                                              data: st.DataObject) -> None:
    """One pass over the words finds exactly the operations a phrase search per operation
    finds: a phrase counts where its words stand side by side."""
    words = data.draw(st.lists(st.sampled_from([*_phrase_words(engine), "kandal", "the", "2013"]), max_size=12))
    reader = engine.programs
    joined = f" {' '.join(words)} "
    expected = {op for op, phrases in engine.kb.operations.words.items()
                if any(f" {' '.join(phrase)} " in joined for phrase in phrases)}
    assert reader._operations_in(tuple(words)) == expected


def test_a_rule_is_skipped_only_for_a_question_it_computes_nothing_for(engine: Engine, kb: KnowledgeBase) -> None:
    """`_first` skips a rule when the question lacks every word it needs: called anyway, on
    every labelled question with a list, rows and dates from the talk to complete it (the rows
    also as the question's own, as a follow-up's are carried), each such rule computes nothing."""
    members = [str(r["name"]) for r in kb.table("committees").rows if r["committee"] == "Executive"]
    dates = engine.programs.dates(_reading(engine, "when was the party dissolved and when was the press release"))
    talk = engine.matcher.analyse("kem sokha and sam rainsy in kandal, takeo and the 2013 election").entities
    questions = {case.question for path in sorted(TESTS.glob("*.yaml")) for case in (
        [turn for turns in load_conversations(path) for turn in turns] if is_conversation_file(path)
        else load_cases(path))}
    skipped = 0
    for question in sorted(questions):
        analysis = engine.matcher.analyse(question)
        end = len(analysis.tokens)
        carried = [replace(e, start=end, end=end) for e in talk]
        for entities in (analysis.entities, (*analysis.entities, *carried)):
            reading = Reading(analysis.tokens, entities, context=talk, context_dates=dates, listed=members)
            reading.numbers = engine.programs._numbers(reading.tokens)
            said = engine.programs._operations(reading.tokens)
            for rule, operations, words in _RULES:
                if operations.isdisjoint(said) and words.isdisjoint(reading.tokens):
                    skipped += 1
                    assert rule(engine.programs, reading) is None, (question, rule.__name__)
    assert skipped


def test_the_rules_gathered_for_a_question_are_those_whose_needs_it_meets(engine: Engine) -> None:
    """`_rules_for` gathers the rules from the question's operations and words: the rules, in
    order, that testing each one's needs lets through, on the labelled questions."""
    programs = engine.programs
    for _, conversations in question_sets():
        for question in (q for turns in conversations for q in turns):
            tokens = engine.matcher.parse(question).tokens
            said = programs._operations(tokens)
            tested = [rule for rule, operations, words in _RULES
                      if not (operations.isdisjoint(said) and words.isdisjoint(tokens))]
            assert programs._rules_for(tokens) == tested, question


def _said_in_plainly(kb: KnowledgeBase, subject: Entity, source_id: str) -> list[tuple[str, CitationRef]]:
    """`ProgramReader._said_in` the plain way: every answer's sentences folded on every call."""
    table = kb.table("people" if subject.kind == "person" else "organisations")
    rows = table.where(name=subject.key)
    names = {fold(subject.key), *(fold(str(a)) for row in rows for a in row["aliases"])} - {""}
    found: list[tuple[str, CitationRef]] = []
    leaning: list[tuple[str, CitationRef]] = []
    for intent in kb.intents.values():
        if (intent.kind is not ReplyKind.ANSWER or not intent.citations
                or any(c.source != source_id for c in intent.citations)):
            continue
        ref = intent.citations[0]
        for sentence in _SENTENCE_END().split(intent.answer):
            words = fold(sentence).split()
            if not any(f" {name} " in f" {' '.join(words)} " for name in names):
                continue
            if words[0] in _STANDS_FOR_SOMEONE or "{" in sentence:
                leaning.append(("", ref))
            else:
                found.append((f"{sentence.strip().rstrip('.')} {cite(ref)}", ref))
                break
    return found or leaning[:1]


def test_what_a_source_says_of_someone_is_read_from_its_answers_folded_once(reader: ProgramReader,
                                                                            kb: KnowledgeBase) -> None:
    """Each source's answers are folded once (`_answers_from`): what `_said_in` finds in them is
    what folding them again for every question finds, for every person and organisation."""
    said = 0
    for kind, table in (("person", "people"), ("organisation", "organisations")):
        for row in kb.table(table).rows:
            subject = Entity(kind, str(row["name"]), str(row["name"]), 1.0)
            for source_id in kb.sources:
                expected = _said_in_plainly(kb, subject, source_id)
                assert reader._said_in(subject, source_id) == expected, (subject.key, source_id)
                said += bool(expected)
    assert said > 10
