"""The matcher as a whole: what it reads from a question and how it ranks intents."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

import numpy as np
import pytest

from bot.core.classifier import IntentClassifier
from bot.core.engine import Engine
from bot.core.evaluation import load_cases
from bot.core.index import NUMBER, YEAR
from bot.core.knowledge import KnowledgeBase
from bot.core.matching import Matcher, ScoredIntent
from bot.core.scoring import FEATURE_NAMES


@pytest.fixture(scope="module")
def matcher(engine: Engine) -> Matcher:
    return engine.matcher


def _features(matcher: Matcher, question: str, intent: str) -> dict[str, float]:
    scored = next(r for r in matcher.analyse(question).ranked if r.intent.id == intent)
    return dict(zip(FEATURE_NAMES, scored.features, strict=True))


def test_years_and_numbers_are_read_from_the_words_that_begin_with_a_digit(matcher: Matcher) -> None:
    """analyse tries the year and number patterns only on words beginning with a digit: the
    same as trying them on every word."""
    questions = [case.question for name in ("questions.yaml", "fresh.yaml")
                 for case in load_cases(Path(__file__).parent / name)]
    questions += ["seats in 2013, 1999 and 2150: 44.46 percent of ² and ٣٤ voters", "x1998 2017b 0.5 .5 007"]
    assert any(matcher.analyse(q).numbers for q in questions)
    assert any(matcher.analyse(q).unknown_years for q in questions)
    for question in questions:
        analysis = matcher.analyse(question)
        tokens = analysis.tokens
        assert analysis.unknown_years == tuple(t for t in tokens if YEAR.match(t) and t not in matcher.known_years)
        assert analysis.numbers == tuple(float(t) for t in tokens if NUMBER.match(t) and not YEAR.match(t))


def test_unknown_words_are_read_the_same_remembered_or_afresh(matcher: Matcher) -> None:
    """parse remembers what each unknown word was read as (`_fix`): the labelled questions parse
    the same with that memo full and emptied."""
    questions = [case.question for name in ("questions.yaml", "fresh.yaml", "holdout.yaml")
                 for case in load_cases(Path(__file__).parent / name)]
    remembered = [matcher.parse(q) for q in questions]
    assert any(p.corrections for p in remembered)
    matcher._fixes.clear()
    assert [matcher.parse(q) for q in questions] == remembered


def test_the_parse_records_are_built_as_their_dataclasses_would(matcher: Matcher) -> None:
    """Analysis, Parsed, Reading, Asked and Entity set their fields straight into the instance's
    dict (a question makes several, and the generated frozen __init__ costs 2.5x): every field,
    in order, still immutable, with equality, hash and `dataclasses.replace` as a dataclass's."""
    question = "was kem sokha arrested in 2017 in kampong cham? how many votes"
    parsed = matcher.parse(question)
    assert parsed.entities
    records: list[Any] = [parsed, matcher.analyse(question), parsed.reading, parsed.asked, *parsed.entities]
    for record in records:
        names = [f.name for f in dataclasses.fields(record)]
        assert list(vars(record)) == names
        copy = dataclasses.replace(record)
        assert copy == record and hash(copy) == hash(record) and copy is not record
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(record, names[0], None)
    # Defaults are the declared ones.
    for record in records[1:]:
        fields = dataclasses.fields(record)
        required = {f.name: getattr(record, f.name) for f in fields if f.default is dataclasses.MISSING}
        assert vars(type(record)(**required)) == {
            f.name: required.get(f.name, f.default) for f in fields}


@pytest.mark.parametrize(("typo", "meant"), [
    ("seet", "seat"),  # a wrong vowel, not a letter missing ("set")
    ("rivel", "rival"),
    ("baned", "banned"),
    ("prty", "party"),
    ("parliment", "parliament"),
])
def test_typos_are_corrected_to_knowledge_base_words(matcher: Matcher, typo: str, meant: str) -> None:
    assert dict(matcher.parse(f"{typo} cnrp").corrections).get(typo) == meant


@pytest.mark.parametrize("word", ["folk", "machine", "salary"])
def test_real_english_words_are_not_typos(matcher: Matcher, word: str) -> None:
    assert not matcher.parse(f"hello {word}").corrections


def test_the_comparatives_that_ask_for_a_computation_are_read_as_typed(matcher: Matcher, kb: KnowledgeBase) -> None:
    comparatives = sorted({w for phrases in kb.operations.words.values() for p in phrases for w in p
                           if w.endswith("er")})
    assert "shorter" in comparatives
    for word in comparatives:
        assert not matcher.parse(f"was it {word} or not").corrections, word


def test_a_question_of_pointers_alone_asks_about_the_sentence_before_it(matcher: Matcher) -> None:
    parsed = matcher.parse("My grandmother lives in a village. The open letter asked governments to watch "
                           "attacks on free speech. Which ones?")
    assert "village" in parsed.background
    assert not {"letter", "attack", "speech"} & parsed.background
    # A question with words of its own keeps the sentence before it as background.
    parsed = matcher.parse("The open letter was long. Which attacks did it name?")
    assert "long" in parsed.background


def test_khmer_is_read_through_the_lexicon(matcher: Matcher) -> None:
    parsed = matcher.parse("តើអ្នកណាជាប្រធានគណបក្សសង្គ្រោះជាតិ?")
    assert parsed.reading.language == "Khmer" and parsed.reading.understood
    assert {"who", "president", "cnrp"} <= set(parsed.terms)


def test_names_become_slots_and_synonyms_are_mapped(matcher: Matcher) -> None:
    parsed = matcher.parse("when was kem sokha locked up")
    assert "zzperson" in parsed.terms and "arrested" in parsed.terms
    assert "kem" not in parsed.terms


def test_sentences_around_the_question_are_background(matcher: Matcher) -> None:
    parsed = matcher.parse("My grandmother lived in a village near the border. When was the CNRP founded?")
    assert {"grandmother", "village"} <= parsed.background
    assert "founded" not in parsed.background
    assert not matcher.parse("when was the cnrp founded").background


@pytest.mark.parametrize(("message", "scene", "question"), [
    ("I'm writing an essay. When was the CNRP founded?", "I'm writing an essay.", "When was the CNRP founded?"),
    ("Who founded it? Thanks a lot.", "Thanks a lot.", "Who founded it?"),
    ("Some context first. Tell me about Kem Sokha.", "Some context first.", "Tell me about Kem Sokha."),
    ("Who founded it? When?", None, None),  # every sentence asks
    ("I like this bot. It is quick.", None, None),  # none does
    ("When was the CNRP founded?", None, None),
])
def test_a_message_splits_into_its_scene_and_its_question(matcher: Matcher, message: str, scene: str | None,
                                                          question: str | None) -> None:
    assert matcher.split_focus(message) == ((scene, question) if scene else None)


def test_probabilities_rank_the_candidates(matcher: Matcher) -> None:
    ranked = matcher.analyse("cnrp election results 2013").ranked
    scores = [r.score for r in ranked]
    assert scores == sorted(scores, reverse=True)
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert all(len(r.features) == len(FEATURE_NAMES) for r in ranked)


def test_each_intents_id_and_near_intents_are_read_by_its_position(matcher: Matcher) -> None:
    # The ranking reads them by the candidate's position in the index, not through its intent.
    profiles = matcher.index.profiles
    assert matcher._intent_ids == [profile.intent.id for profile in profiles]
    for position, profile in enumerate(profiles):
        intent = profile.intent
        named_by = {other.intent.id for other in profiles if intent.id in other.intent.related}
        assert matcher._near[position] == set(intent.related) | named_by, intent.id


def test_the_candidates_are_built_as_their_named_tuple_would(matcher: Matcher) -> None:
    # The ranking builds them with tuple.__new__ over their zipped fields, not ScoredIntent().
    ranked = matcher.analyse("who won the 2013 election in kampong cham").ranked
    assert ranked
    for r in ranked:
        assert type(r) is ScoredIntent and r == ScoredIntent(**r._asdict())
        assert type(r.features) is tuple and len(r.features) == len(FEATURE_NAMES)


def test_each_score_is_the_models_probability_of_its_feature_row(matcher: Matcher) -> None:
    # The ranking hands the model its rows packed as doubles, not as a list of lists.
    questions = [case.question for name in ("questions.yaml", "out_of_scope.yaml")
                 for case in load_cases(Path(__file__).parent / name)]
    for question in questions:
        ranked = matcher.analyse(question).ranked
        if ranked:
            plain = matcher.model.probabilities(np.array([r.features for r in ranked], dtype=np.float64))
            assert [r.score for r in ranked] == pytest.approx(plain.tolist(), rel=1e-12, abs=1e-15), question


class _RoundedVotes:
    """The knowledge base's classifier with its votes rounded to two places, so that many are
    equal, and its classes in the order given."""

    def __init__(self, classifier: IntentClassifier, order: list[int]) -> None:
        self._classifier, self._order = classifier, order
        self.classes = tuple(classifier.classes[i] for i in order)
        self.class_index = {name: i for i, name in enumerate(self.classes)}

    def shares(self, found: Sequence[str]) -> np.ndarray:
        return np.round(self._classifier.shares(found), 2)[self._order]


def test_the_order_of_equal_votes_changes_no_ranking(matcher: Matcher) -> None:
    # The ranking reads the classes by vote from an unstable sort: which of two equal votes
    # comes first must not matter.
    classes = range(len(matcher.classifier.classes))
    forward = cast(IntentClassifier, _RoundedVotes(matcher.classifier, list(classes)))
    backward = cast(IntentClassifier, _RoundedVotes(matcher.classifier, list(reversed(classes))))
    questions = [case.question for case in load_cases(Path(__file__).parent / "questions.yaml")]
    for question in questions:
        assert matcher.analyse(question, forward).ranked == matcher.analyse(question, backward).ranked, question


def test_a_detail_stated_only_in_an_answer_reaches_its_intent(matcher: Matcher, engine: Engine) -> None:
    # No phrasing of the press release's intent says "applauding"; its reply does, so the
    # reply's words bring the intent onto the shortlist.
    release = engine.kb.intents["cnrm.press_release"]
    assert "applauding" not in " ".join((*release.phrasings, *release.keywords)).lower()
    ids = [r.intent.id for r in matcher.analyse("who was the cnrm applauding").ranked]
    assert release.id in ids


def test_a_question_naming_a_year_asks_about_then_unless_it_counts_from_it(matcher: Matcher) -> None:
    # The arrest's answer speaks of 2018, never of today: "still" asks about today only where
    # no year anchors it.
    assert _features(matcher, "is kem sokha still in prison", "dissolution.arrest")["present"] == 1.0
    assert _features(matcher, "was kem sokha still in prison in 2018", "dissolution.arrest")["present"] == 0.0
    assert _features(matcher, "is kem sokha still in prison since 2018", "dissolution.arrest")["present"] == 1.0


def test_a_phrasing_anchored_in_a_year_does_not_speak_of_today(matcher: Matcher) -> None:
    arrest = matcher.index.profiles[matcher.index.position["dissolution.arrest"]]
    still = [p.text for p in arrest.phrasings if "still" in p.text.lower()]
    assert still and all(any(ch.isdigit() for ch in text) for text in still)
    assert not arrest.present_tense


def test_evidence_features_fire(matcher: Matcher) -> None:
    assert _features(matcher, "who founded the cnrp", "party.founding")["type_mismatch"] == 1.0
    assert _features(matcher, "when was the cnrp founded", "party.founding")["type_match"] == 1.0
    assert _features(matcher, "what did pol hom say in the press release",
                     "cnrm.mu_sochua_statement")["names_other"] == 1.0
    assert _features(matcher, "how many votes did the cnrp get this year", "results.total")["present"] == 1.0
    assert _features(matcher, "who won the 2023 election", "elections.general")["unknown_year"] == 1.0
    assert _features(matcher, "how did the cnrp do in kandal", "results.constituency")["entity_fit"] == 1.0


def test_an_unknown_word_counts_against_every_intent(matcher: Matcher) -> None:
    features = _features(matcher, "population of vietnam", matcher.analyse("population of vietnam").ranked[0].intent.id)
    assert features["unknown_word"] == 1.0 and features["unknown"] > 0.3


def test_a_near_word_counts_towards_the_semantic_feature(matcher: Matcher) -> None:
    # "pensioners" is no word of any phrasing; the vectors put it near "pension".
    with_vectors = _features(matcher, "what would pensioners have got", "platform.point")
    assert with_vectors["semantic"] > with_vectors["coverage"]


def test_one_clearly_leading_reading_is_confident(matcher: Matcher) -> None:
    top = matcher.analyse("when was the cnrp founded").ranked[0]
    assert top.intent.id == "party.founding" and top.score >= 0.5
