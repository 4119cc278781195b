"""Several questions in one message, pronouns and ellipsis against the last answer."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core import dialogue
from bot.core.context import Conversation
from bot.core.dialogue import (
    deictic_kind,
    deictic_word,
    is_ellipsis,
    name_the_pointed,
    replace_pronouns,
    split_questions,
    subject_person,
)
from bot.core.engine import Engine
from bot.core.knowledge import KnowledgeBase
from bot.core.models import Entity, ReplyKind
from tests.answers import question_sets
from tests.test_guard import renders
from tests.watchdog import returns


def test_split_questions() -> None:
    assert split_questions("when was it founded and who founded it?") == [
        "when was it founded", "who founded it?"]
    assert split_questions("kandal and takeo results") == ["kandal and takeo results"]
    assert split_questions("who led it? when was it banned; what was its logo") == [
        "who led it?", "when was it banned;", "what was its logo"]


# Messages made of the words and marks the patterns look for, in any case and spacing (with the
# letters that match others when case is ignored: the long s, the dotless i, the Kelvin sign).
_PIECES = st.sampled_from(["that", "THIS", "the same", "thi\u017f", "th\u0131s", "and", "AND", "&", "or", "who",
                           "what", "is", "was", "province", "Place", "in the", "there", "Takeo", "\u212aandal",
                           "votes", "did", "?", "!", ";", ",", ".", "\n", " ", "  ", "\t", "\u00a0", "x",
                           "the same province", "that body", "this person", "in the province", ", who", " and what",
                           "? when", "\u00a0and\u00a0is", ",and was", " & who", "aNd", "\u0391ND", "?\u3000", "!x"])
_MESSAGES = st.lists(_PIECES, max_size=12).map(lambda pieces: " ".join(pieces)) | st.lists(_PIECES, max_size=12).map(
    "".join)


@settings(max_examples=400, deadline=None, derandomize=True)
@given(_MESSAGES)
def test_a_message_the_quick_checks_pass_over_has_nothing_to_split_or_point_at(text: str) -> None:
    """`split_questions` and `deictic_kind` skip their patterns when a quicker one finds nothing
    any of them needs: then none of them matches."""
    assert dialogue.may_split(text) == bool(dialogue._MAY_SPLIT().search(text))
    if not dialogue._MAY_SPLIT().search(text):
        collapsed = dialogue._SPACES().sub(" ", text)
        assert len(dialogue._SENTENCE_END().split(collapsed)) == 1 and not dialogue._QUESTION_JOIN().search(collapsed)
        # The whole message as one question: its spaces collapsed and trimmed the plain way.
        assert split_questions(text) == ([collapsed.strip(" ,")] if dialogue._WORD().search(collapsed) else [])
    assert dialogue._may_point(text) == bool(dialogue._MAY_POINT().search(text))
    if not dialogue._MAY_POINT().search(text):
        assert not any(p().search(text) for p in dialogue._POINTED.values()) and not dialogue._THERE().search(text)


def test_the_quick_checks_agree_with_the_patterns_on_the_labelled_questions() -> None:
    """The shortcuts of `split_questions` and `deictic_kind` on the questions users ask."""
    for _, conversations in question_sets():
        for text in (question for turns in conversations for question in turns):
            assert dialogue._may_point(text) == bool(dialogue._MAY_POINT().search(text)), text
            assert dialogue.may_split(text) == bool(dialogue._MAY_SPLIT().search(text)), text
            if not dialogue._MAY_SPLIT().search(text):
                whole = dialogue._SPACES().sub(" ", text).strip(" ,")
                assert split_questions(text) == ([whole] if dialogue._WORD().search(whole) else []), text


def test_pronouns_and_ellipsis_helpers() -> None:
    assert replace_pronouns("when did his term end", "Kem Sokha") == "when did Kem Sokha's term end"
    assert is_ellipsis("and in takeo?") and is_ellipsis("what about mu sochua")
    assert not is_ellipsis("and what else did the party do in its five years of existence")


def test_two_questions_get_two_cited_answers(engine: Engine) -> None:
    answer = engine.ask("when was it founded and who founded it?")
    assert answer.matched and len(answer.parts) == 2
    assert [p.intent for p in answer.parts] == ["party.founding", "party.founders"]
    assert "2012" in answer.text and "Sam Rainsy" in answer.text
    assert "[1]" in answer.text and "[2]" in answer.text and len(answer.citations) == 2


def test_more_than_three_questions_offer_the_rest(engine: Engine) -> None:
    answer = engine.ask("who founded it? when was it banned? what was its logo? what was its slogan?")
    assert len(answer.parts) == 3
    assert "what was its slogan?" in answer.suggestions


def test_pronoun_follows_the_last_answer(engine: Engine) -> None:
    conversation = Conversation()
    engine.ask("who was the party's second leader?", conversation)
    answer = engine.ask("when did his term end?", conversation)
    assert answer.matched and "16 November 2017" in answer.text


def test_ellipsis_reuses_the_last_question(engine: Engine) -> None:
    conversation = Conversation()
    engine.ask("cnrp share in kandal", conversation)
    answer = engine.ask("and in takeo?", conversation)
    assert answer.intent == "results.constituency" and "45.73%" in answer.text


def test_ellipsis_carries_the_rest_of_the_question(engine: Engine) -> None:
    conversation = Conversation()
    engine.ask("is son chhay on the standing committee", conversation)
    answer = engine.ask("what about mu sochua?", conversation)
    assert answer.intent == "person.check" and answer.text.startswith("Yes. Mu Sochua")


def test_short_question_leans_on_the_last_topic(engine: Engine) -> None:
    conversation = Conversation()
    engine.ask("tell me about the dissolution", conversation)
    assert engine.ask("which court?", conversation).intent == "dissolution.court"


def test_context_never_leaks_between_conversations(engine: Engine) -> None:
    alice, bob = Conversation(), Conversation()
    engine.ask("who was the party's second leader?", alice)
    assert engine.ask("when did his term end?", bob).kind is ReplyKind.CLARIFY


def test_a_row_pointed_at_resolves_or_is_asked_for(engine: Engine) -> None:
    assert engine.ask("how did the cnrp do in that province").kind is ReplyKind.CLARIFY
    conversation = Conversation()
    engine.ask("cnrp share in kandal", conversation)
    answer = engine.ask("how many votes did it get in that province?", conversation)
    assert answer.intent == "results.constituency" and "366,056" in answer.text


def test_a_whitespace_run_does_not_freeze_the_splitter() -> None:
    # 800 spaces cost 3.2 s and 1,800 cost 35 s when the cost grew with the cube of the run.
    assert returns("from bot.core.dialogue import split_questions\n"
                   "for blank in (' ' * 20_000, '\\t \\u3000' * 7_000, ', ' * 10_000):\n"
                   "    split_questions(blank + 'and who' + blank)\n"
                   "split_questions('a' + ' ' * 20_000 + 'and who b')")
    text = "when was it founded" + " " * 20_000 + "and who founded it?"
    assert split_questions(text) == ["when was it founded", "who founded it?"]


def test_a_message_of_spaces_is_answered_at_once() -> None:
    assert returns("from bot.core.engine import Engine\n"
                   "assert Engine.load().ask('a' + ' ' * 1_790 + 'b').text")


def test_a_run_of_spaces_splits_as_one_space_does() -> None:
    assert split_questions("who led it , and when was it banned") == ["who led it", "when was it banned"]
    # A part that asks nothing stays with its neighbour, however the two are joined.
    assert split_questions("founded and and who founded it") == ["founded and, who founded it"]
    assert split_questions("a ,and who b") == ["a, who b"]
    for text in ("who led it , and when was it banned", "when was it founded and who founded it?",
                 "a ,and who b", "how many also had a seat, and is it still active?"):
        assert split_questions(text.replace(" ", " \t" * 500)) == split_questions(text), text


def test_the_users_words_in_a_multi_part_reply_are_escaped(engine: Engine) -> None:
    answer = engine.ask("when was it founded [see](https://evil.example/login)? and who founded it?")
    assert len(answer.parts) == 2
    assert not renders(answer.text) and "https://evil.example/login" in answer.text
    answer = engine.ask("# BIG? <@1> **who** founded it? when was the party banned? what was its logo? "
                        "||see|| [x](http://y) what was its slogan?")
    assert not renders(answer.text)


def test_in_the_province_at_the_end_points_but_the_constituency_votes_do_not() -> None:
    assert deictic_kind("how many votes did they get in the province?") == "constituency"
    assert deictic_kind("do the constituency votes add up to the total?") is None
    assert name_the_pointed("how many votes did they get in the province?", "constituency", "Takéo") == (
        "how many votes did they get in Takéo?")


def _constituency(kb: KnowledgeBase, name: str) -> dict[str, float]:
    (row,) = kb.table("constituencies").where(name=name)
    return {"votes": float(row["votes"]), "share": float(row["share"])}


def test_a_rank_follow_up_ranks_the_measure_the_talk_asked_for(engine: Engine) -> None:
    kb = engine.kb
    votes = sorted((float(r["votes"]) for r in kb.table("constituencies").rows), reverse=True)
    battambang = _constituency(kb, "Battambang")
    conversation = Conversation()
    engine.ask("how many votes did the cnrp get in battambang", conversation)
    ranked = engine.ask("where does that rank among the 24?", conversation)
    assert ranked.intent == "computed.rank" and f"Number {votes.index(battambang['votes']) + 1} " in ranked.text
    # "that" is still Battambang, whose row the rank used though its words never named it.
    share = engine.ask("what share was that", conversation)
    assert share.matched and f"{battambang['share']:.2f}%" in share.text


def test_a_gap_follow_up_keeps_the_measure_and_the_rows(engine: Engine) -> None:
    kandal, kampot = _constituency(engine.kb, "Kandal"), _constituency(engine.kb, "Kampot")
    conversation = Conversation()
    engine.ask("how many votes did the cnrp get in kandal", conversation)
    engine.ask("and in kampot?", conversation)
    gap = engine.ask("what's the gap?", conversation)
    assert gap.intent == "computed.difference" and f"{abs(kandal['votes'] - kampot['votes']):,.0f} votes" in gap.text
    assert {e.key for e in gap.entities} >= {"Kandal", "Kampot"}


def test_it_leans_on_the_last_question_not_on_the_moment_it_named(engine: Engine) -> None:
    conversation = Conversation()
    engine.ask("which court banned the cnrp?", conversation)
    answer = engine.ask("who headed it?", conversation)
    # "it" is the court; the party's leader at the ruling would answer another question.
    assert answer.intent == "dissolution.court" and "Dith Munty" in answer.text
    engine.ask("which court banned the cnrp?", conversation)
    assert engine.ask("who led the party at that time?", conversation).intent == "computed.leader_at"


def test_it_two_turns_back_is_not_a_moment_either(engine: Engine) -> None:
    conversation = Conversation()
    engine.ask("when was the cnrp dissolved?", conversation)
    engine.ask("which court ruled on it?", conversation)
    # Borrowing the first question's words must not make its date the moment asked about.
    assert engine.ask("who headed it?", conversation).intent != "computed.leader_at"


def test_then_is_the_latest_turns_moment(engine: Engine) -> None:
    elections = {str(r["type"]): r for r in engine.kb.table("elections").rows}
    conversation = Conversation()
    engine.ask("how many votes did the cnrp get in the general election?", conversation)
    engine.ask("sorry, the communal election", conversation)
    answer = engine.ask("who led the party then?", conversation)
    assert answer.intent == "computed.leader_at" and str(elections["Communal"]["year"]) in answer.text


def test_a_reaction_after_an_answer_is_small_talk_not_a_follow_up(engine: Engine) -> None:
    conversation = Conversation()
    engine.ask("how many commune chiefs did the cnrp lose", conversation)
    for reaction in ("lol that's a lot", "haha tiny", "wow"):
        reply = engine.ask(reaction, conversation)
        assert not reply.matched and reply.kind is ReplyKind.SMALLTALK, reaction
    # A reaction that goes on to ask is a question.
    assert engine.ask("ok and in kampot, how many votes?", conversation).matched


def test_how_many_is_that_counts_the_organisations_just_listed(engine: Engine) -> None:
    conversation = Conversation()
    listing = engine.ask("which organisations co-signed the open letter to asean?", conversation)
    assert listing.intent == "cnrm.letter_signatories"
    named = {e.key for e in engine.matcher.parse(listing.text).entities if e.kind == "organisation"}
    answer = engine.ask("how many organisations is that?", conversation)
    assert answer.intent == "computed.count_listed" and f" {len(named)} " in answer.text
    assert answer.citations == listing.citations


def test_that_is_the_row_the_last_answer_was_about(engine: Engine) -> None:
    # The question names a policy by the way ("guaranteed"); the answer is about the rice price.
    conversation = Conversation()
    first = engine.ask("and what was the guaranteed minimum rice price?", conversation)
    assert first.intent == "platform.point" and first.entity is not None
    row = next(r for r in engine.kb.table("platform").rows if r["topic"] == first.entity.key)
    answer = engine.ask("how much is that per tonne", conversation)
    assert answer.intent == "computed.per_tonne"
    assert f"{row['riels'] * 1000:,}" in answer.text


def test_it_is_the_organisation_the_last_answer_was_about(engine: Engine) -> None:
    conversation = Conversation()
    about = engine.ask("what is APHR?", conversation)
    assert about.intent == "organisation.about"
    answer = engine.ask("what else did it release?", conversation)
    alone = engine.ask("what else did ASEAN Parliamentarians for Human Rights release?")
    assert answer.matched and answer.intent == alone.intent
    # An "it" no organisation of the last answer makes answerable stays unanswered.
    assert not engine.ask("what colour was it painted?", conversation).matched


def test_a_question_asking_for_rows_borrows_no_row_a_check_used(engine: Engine) -> None:
    rows = engine.kb.table("constituencies").rows
    below = next(r for r in rows if r["share"] < 50)
    majority = sorted(str(r["name"]) for r in rows if r["share"] > 50)
    conversation = Conversation()
    engine.ask(f"what % did cnrp get in {below['name']}", conversation)
    check = engine.ask("is that more than half?", conversation)
    assert check.intent == "computed.against"
    answer = engine.ask("which constituencies did they actually win more than half in?", conversation)
    assert answer.intent == "results.majority"
    assert all(name in answer.text for name in majority)


def test_a_measure_named_in_a_follow_up_replaces_the_one_asked_before(engine: Engine) -> None:
    rows = engine.kb.table("constituencies").rows
    lowest_share = min(rows, key=lambda r: r["share"])
    fewest_votes = min(rows, key=lambda r: r["votes"])
    conversation = Conversation()
    first = engine.ask("where did the cnrp do worst in 2013 by vote share?", conversation)
    assert str(lowest_share["name"]) in first.text.split(",")[0]
    answer = engine.ask("and where did it get the fewest votes?", conversation)
    assert answer.matched and f"{fewest_votes['name']}, with {fewest_votes.display['votes']} votes" in answer.text


def test_that_movement_is_the_one_the_last_answer_named(engine: Engine) -> None:
    conversation = Conversation()
    successors = engine.ask("what succeeded the cnrp after it was banned?", conversation)
    named = [e.key for e in engine.matcher.parse(successors.text).entities if e.kind == "organisation"]
    movement = next(key for key in named if "Movement" in key)
    answer = engine.ask("what did that movement call on hun sen to do?", conversation)
    assert answer.matched and answer.intent == engine.ask(f"what did the {movement} call on hun sen to do?").intent


def test_that_platform_pledge_points_at_a_platform_point() -> None:
    assert deictic_kind("what was the amount in that platform pledge?") == "platform_point"
    assert deictic_word("what was the amount in that platform pledge?", "platform_point") == "pledge"


def test_deictic_word_is_the_noun_pointed_with() -> None:
    assert deictic_word("what did that movement demand?", "organisation") == "movement"
    assert deictic_word("how did it do in that province", "constituency") == "province"
    assert deictic_word("who led it", "organisation") == ""


def test_a_follow_up_naming_someone_is_not_answered_with_the_last_answers_figures(engine: Engine) -> None:
    conversation = Conversation()
    figures = engine.ask("how many commune chiefs and MPs lost their positions altogether", conversation)
    assert figures.matched
    answer = engine.ask("what did charles santiago call the ruling?", conversation)
    assert answer.intent != figures.intent
    assert not answer.matched or "Charles Santiago" in answer.text


def test_his_organisation_is_the_one_his_answer_names(engine: Engine) -> None:
    conversation = Conversation()
    roles = engine.ask("who is charles santiago?", conversation)
    (body,) = {e.key for e in engine.matcher.parse(roles.text).entities if e.kind == "organisation"}
    answer = engine.ask("did his organisation sign the letter the CNRM praised?", conversation)
    named = engine.ask(f"did the {body} sign the letter the CNRM praised?")
    assert answer.matched and answer.intent == named.intent
    # And "it" next is that organisation, not the first of those the answer lists.
    again = engine.ask("what else did it release?", conversation)
    assert again.matched and body in again.text


def test_a_follow_up_asking_when_is_not_answered_with_a_list_of_names(engine: Engine) -> None:
    conversation = Conversation()
    listing = engine.ask("who signed the open letter to asean?", conversation)
    assert listing.matched and "date" not in engine.kb.intents[listing.intent or ""].answers
    answer = engine.ask("and when did they sign it?", conversation)
    assert not (answer.matched and answer.intent == listing.intent)


def test_a_follow_up_pointing_at_nothing_is_a_question_of_its_own(engine: Engine) -> None:
    conversation = Conversation()
    engine.ask("the minimum wage for workers", conversation)
    yearly = engine.ask("how much is that per year?", conversation)
    assert yearly.intent == "computed.per_year"
    answer = engine.ask("and how many points did the platform have in all?", conversation)
    assert answer.intent != yearly.intent
    assert not answer.matched or answer.intent == "platform.overview"


def test_which_of_them_picks_from_the_last_list(engine: Engine) -> None:
    rows = engine.kb.table("committees").rows
    vice = [str(r["name"]) for r in rows if r["committee"] == "Executive" and r["position"] == "Vice President"]
    conversation = Conversation()
    engine.ask("who is on the executive committee?", conversation)
    answer = engine.ask("which of them was vice president?", conversation)
    assert answer.intent == "computed.of_them" and all(name in answer.text for name in vice)
    assert answer.citations


def test_that_after_a_ranking_is_the_row_it_leads_with(engine: Engine) -> None:
    rows = sorted(engine.kb.table("constituencies").rows, key=lambda r: r["votes"], reverse=True)
    first, other = rows[0], rows[-1]
    conversation = Conversation()
    engine.ask("which constituencies gave the cnrp the most votes?", conversation)
    answer = engine.ask(f"how many more votes is that than {other['name']}?", conversation)
    assert answer.intent == "computed.difference"
    assert f"{first['votes'] - other['votes']:,}" in answer.text and str(first["name"]) in answer.text


def test_a_correction_takes_the_last_row_back(engine: Engine) -> None:
    rows = {str(r["name"]): r for r in engine.kb.table("constituencies").rows}
    first, meant = sorted(rows)[0], sorted(rows)[1]
    conversation = Conversation()
    engine.ask(f"what share did the cnrp get in {first}?", conversation)
    corrected = engine.ask(f"no, I meant {meant}", conversation)
    assert f"{rows[meant]['share']:.2f}" in corrected.text
    check = engine.ask("is that more than half?", conversation)
    # The check is about the row meant, alone: the one taken back is no operand.
    assert check.intent == "computed.against" and meant in check.text and first not in check.text


def test_a_follow_up_asking_for_rows_is_a_new_question_over_the_table(engine: Engine) -> None:
    majority = sorted(str(r["name"]) for r in engine.kb.table("constituencies").rows if r["share"] > 50)
    conversation = Conversation()
    engine.ask("what share did the cnrp get in kep?", conversation)
    answer = engine.ask("which constituencies did they win more than half in?", conversation)
    assert answer.intent == "results.majority" and all(name in answer.text for name in majority)


def test_she_is_the_person_an_earlier_turn_was_about(engine: Engine) -> None:
    conversation = Conversation()
    engine.ask("what was mu sochua's position in the cnrp?", conversation)
    engine.ask("when was the cnrm press release dated?", conversation)  # names no one
    answer = engine.ask("did she flee cambodia?", conversation)
    assert answer.matched and "Mu Sochua" in answer.text


def test_the_row_named_in_reply_to_which_one_answers_about_such_a_row(engine: Engine) -> None:
    area = str(engine.kb.table("policy_areas").rows[0]["area"])
    conversation = Conversation()
    asked = engine.ask("what did they propose in that policy area", conversation)
    assert asked.kind is ReplyKind.CLARIFY
    answer = engine.ask(area.lower(), conversation)
    assert answer.matched and answer.intent is not None
    assert engine.kb.intents[answer.intent].entity == "policy_area" and area in answer.text


def test_that_is_the_latest_row_not_every_row_of_the_talk(engine: Engine) -> None:
    rows = engine.kb.table("constituencies").rows
    by_votes = min(rows, key=lambda r: r["votes"])
    other = sorted(rows, key=lambda r: r["votes"])[1]
    conversation = Conversation()
    engine.ask("where was the cnrp's lowest share?", conversation)
    fewest = engine.ask("and the fewest votes?", conversation)
    assert str(by_votes["name"]) in fewest.text.split(",")[0]
    answer = engine.ask(f"how does that compare with {other['name']}?", conversation)
    assert answer.intent == "computed.compare"
    named = {str(r["name"]) for r in rows if str(r["name"]) in answer.text}
    assert named == {str(by_votes["name"]), str(other["name"])}


def test_and_when_asks_the_last_question_for_a_date(engine: Engine) -> None:
    founding = engine.kb.intents["party.founding"]
    conversation = Conversation()
    engine.ask("who founded the cnrp?", conversation)
    answer = engine.ask("and when?", conversation)
    # The opening "and" is chatter: the borrowed question is "when founded the cnrp".
    assert answer.intent == founding.id and answer.matched


def test_the_subject_person_reads_an_answers_text_only_when_its_rows_do_not_tell(engine: Engine) -> None:
    read: list[str] = []

    def rows_of(text: str) -> tuple[Entity, ...]:
        read.append(text)
        return engine.matcher.parse(text).entities

    about_her = engine.ask("who is mu sochua")
    assert subject_person(about_her, rows_of) == "Mu Sochua" and not read
    # An answer about no one in particular names its people in its text, read then.
    listing = engine.ask("who founded the cnrp")
    named = next(e.key for e in engine.matcher.analyse(listing.text).entities if e.kind == "person")
    assert subject_person(replace(listing, entity=None, entities=()), rows_of) == named
    assert read == [listing.text]
