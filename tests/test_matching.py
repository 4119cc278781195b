"""The matcher on its own: typo correction, entities, and the rules that move a score."""

from __future__ import annotations

import pytest

from bot.core.engine import Engine
from bot.core.matching import Matcher, _forms, _vowel_swap


@pytest.fixture(scope="module")
def matcher(engine: Engine) -> Matcher:
    return engine.matcher


def _top(matcher: Matcher, question: str) -> tuple[str, float, tuple[str, ...]]:
    best = matcher.analyse(question).ranked[0]
    return best.intent.id, best.score, best.notes


@pytest.mark.parametrize(("typo", "meant"), [
    ("seet", "seat"),  # a wrong vowel, not a letter missing ("set")
    ("rivel", "rival"),
    ("baned", "banned"),  # a letter missing
    ("prty", "party"),
    ("parliment", "parliament"),
])
def test_typos_are_corrected_to_knowledge_base_words(matcher: Matcher, typo: str, meant: str) -> None:
    assert matcher.correct(typo) == meant


def test_unknown_words_far_from_any_known_word_stay_as_they_are(matcher: Matcher) -> None:
    assert matcher.correct("zxqvbn") is None
    assert matcher.correct("xq") is None  # too short to guess at


def test_vowel_swap() -> None:
    assert _vowel_swap("seet", "seat")
    assert not _vowel_swap("prise", "price")  # s for c is no vowel
    assert not _vowel_swap("seet", "soot")  # two letters differ


def test_word_forms_drop_an_ending() -> None:
    assert "mandate" in _forms("mandated")
    assert "release" in _forms("released") or "releas" in _forms("release")
    assert _forms("war") == {"war"}  # too short to shorten


@pytest.mark.parametrize(("question", "kind", "key"), [
    ("how did cnrp do in kompong cham", "constituency", "Kampong Cham"),
    ("cnrp votes in pp", "constituency", "Phnom Penh"),
    ("what did sam rainsey do", "person", "Sam Rainsy"),
])
def test_entities_are_found_under_their_aliases_and_misspellings(
    matcher: Matcher, question: str, kind: str, key: str
) -> None:
    found = {(e.kind, e.key) for e in matcher.analyse(question).entities}
    assert (kind, key) in found


def test_a_rare_word_the_intent_never_uses_lowers_its_score(matcher: Matcher) -> None:
    # "decided" belongs to the court's ruling; the summit's intent says nothing of what was
    # decided there, so the question shares its topic words but asks about something else.
    intent, score, notes = _top(matcher, "what was decided at the 32nd asean summit")
    assert intent == "cnrm.asean_summit"
    assert any("decided" in note and "never covers" in note for note in notes)
    assert score < matcher.config.threshold


def test_a_word_of_the_answer_is_not_off_topic(matcher: Matcher, engine: Engine) -> None:
    # No phrasing or keyword says "crackdown", but the answer does: it is what the intent tells.
    intent = engine.kb.intents["cnrm.mu_sochua_statement"]
    assert "crackdown" not in " ".join((*intent.phrasings, *intent.keywords))
    analysis = matcher.analyse("what did mu sochua say about the crackdown")
    statement = next(r for r in analysis.ranked if r.intent.id == intent.id)
    assert statement is analysis.ranked[0]
    assert not any("never covers" in note for note in statement.notes)
    # The same word is off topic for an intent whose reply never says it.
    roles = next(r for r in analysis.ranked if r.intent.id == "person.roles")
    assert any("crackdown" in note for note in roles.notes)


def test_a_word_of_the_table_rows_is_not_off_topic(matcher: Matcher) -> None:
    # "market" is only in the platform table's rice point, which platform.point answers from.
    intent, score, notes = _top(matcher, "what did the cnrp promise about the rice market price")
    assert intent == "platform.point"
    assert not notes
    assert score >= matcher.config.threshold


def test_asking_who_of_an_intent_that_answers_when_lowers_its_score(matcher: Matcher) -> None:
    assert _top(matcher, "when was the cnrp founded")[0] == "party.founding"
    assert _top(matcher, "who founded the cnrp")[0] == "party.founders"


def test_a_year_no_source_mentions_is_noted(matcher: Matcher) -> None:
    _, score, notes = _top(matcher, "who won the 2023 election")
    assert any("2023" in note for note in notes)
    assert score < matcher.config.threshold


def test_naming_another_person_than_the_intent_is_about_is_penalised(matcher: Matcher) -> None:
    analysis = matcher.analyse("what did pol hom say in the press release")
    statement = next(r for r in analysis.ranked if r.intent.id == "cnrm.mu_sochua_statement")
    assert statement.score < matcher.config.threshold
    assert any("Pol Hom" in note or "names" in note for note in statement.notes)


def test_scores_are_ranked_and_bounded(matcher: Matcher) -> None:
    ranked = matcher.analyse("cnrp election results 2013").ranked
    scores = [r.score for r in ranked]
    assert scores == sorted(scores, reverse=True)
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert len(ranked) <= matcher.config.shortlist


@pytest.mark.parametrize("question", [
    "who won the nba finals last year",
    "how many votes did cnrp get this year",
    "what did mu sochua say this week",
])
def test_time_counted_from_today_is_asking_about_the_present(matcher: Matcher, question: str) -> None:
    _, score, notes = _top(matcher, question)
    assert any(note.startswith("asks about") for note in notes)
    assert score < matcher.config.threshold


def test_a_partys_last_year_is_not_today(matcher: Matcher) -> None:
    _, _, notes = _top(matcher, "who led the party in its last year")
    assert not any(note.startswith("asks about") for note in notes)
