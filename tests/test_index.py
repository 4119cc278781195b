"""The phrasing index: each intent's words, IDF weights over intents, and the phrasing × word
matrices that score every phrasing against a question at once."""

from __future__ import annotations

import copy
import math
import pickle
import re
from collections import defaultdict
from dataclasses import fields
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.config import MatchConfig
from bot.core.engine import Engine
from bot.core.entities import NAME_KINDS
from bot.core.evaluation import load_cases
from bot.core.index import NUMBER, NUMBER_SLOT, YEAR, Phrasing, PhrasingIndex, anchored_in_a_year
from bot.core.knowledge import KnowledgeBase
from bot.core.models import Entity
from bot.core.normalize import SLOT_PREFIX, phrase_tokens, slot_token, word_forms

PROPERTY = settings(max_examples=100, deadline=None, derandomize=True)


@pytest.fixture(scope="module")
def index(engine: Engine) -> PhrasingIndex:
    return engine.matcher.index


@pytest.fixture(scope="module")
def config(engine: Engine) -> MatchConfig:
    return engine.config


def _position(index: PhrasingIndex, intent: str) -> int:
    return index.position[intent]


def _known_word(index: PhrasingIndex, used_by: int) -> str:
    return next(t for t, n in sorted(index.intents_using.items()) if n == used_by and t.isalpha()
                and t not in index.lexicon.stopwords and t not in index.lexicon.question_words
                and t not in index.lexicon.greetings)


# ---------------------------------------------------------------- profiles


def test_a_phrasing_pickles_as_a_call_with_every_field(index: PhrasingIndex) -> None:
    # Phrasing.__reduce__ (the engine cache's layout) against the plain way: the same fields,
    # each equal and of the same type, for every phrasing of the index; copies agree too.
    for profile in index.profiles:
        for phrasing in profile.phrasings:
            for made in (pickle.loads(pickle.dumps(phrasing, protocol=5)), copy.copy(phrasing)):
                assert type(made) is Phrasing and made == phrasing
                assert [type(getattr(made, f.name)) for f in fields(Phrasing)] == \
                    [type(getattr(phrasing, f.name)) for f in fields(Phrasing)]


def test_every_intent_has_a_profile(kb: KnowledgeBase, index: PhrasingIndex) -> None:
    assert [p.intent.id for p in index.profiles] == list(kb.intents)
    assert all(index.profiles[index.position[i]].intent.id == i for i in kb.intents)


def test_a_profile_holds_each_phrasing_once(kb: KnowledgeBase, index: PhrasingIndex) -> None:
    for profile in index.profiles:
        intent = profile.intent
        assert [p.text for p in profile.phrasings] == list(dict.fromkeys((intent.question, *intent.phrasings)))


def test_the_bag_holds_every_phrasing_word_and_keyword(index: PhrasingIndex) -> None:
    for profile in index.profiles:
        assert profile.keywords <= profile.bag
        for phrasing in profile.phrasings:
            assert profile.bag.issuperset(phrasing.terms)


def test_names_in_phrasings_are_slots(index: PhrasingIndex) -> None:
    profile = index.profiles[_position(index, "results.constituency")]
    assert any(slot_token("constituency") in p.terms for p in profile.phrasings)
    assert not any("kandal" in p.terms for p in profile.phrasings)


def test_what_phrasings_name_is_part_of_what_the_intent_concerns(index: PhrasingIndex) -> None:
    for profile in index.profiles:
        for kind, keys in profile.phrased.items():
            assert keys <= profile.named[kind]
        for phrasing in profile.phrasings:
            for kind, key in phrasing.names:
                assert key in profile.phrased[kind]


def test_present_tense_phrasings_are_marked(index: PhrasingIndex) -> None:
    # A phrasing asks about now with a word of the present and no year to anchor it ("was he
    # still in prison in 2018" asks about 2018).
    present = index.lexicon.present_words
    for profile in index.profiles:
        asks_now = any(any(t in present for t in p.terms) and not anchored_in_a_year(phrase_tokens(p.text))
                       for p in profile.phrasings)
        assert profile.present_tense == asks_now


@pytest.mark.parametrize(("words", "anchored"), [
    ("was he still in prison in 2018", True),
    ("2017 still", True),
    ("is he still in prison since 2018", False),
    ("what happened after 2017 until now", False),
    ("is he still in prison", False),
])
def test_a_year_anchors_words_unless_they_count_on_from_it(words: str, anchored: bool) -> None:
    assert anchored_in_a_year(words.split()) is anchored


# ---------------------------------------------------------------- weights


def test_idf_is_over_intents(index: PhrasingIndex) -> None:
    total = len(index.profiles)
    for term, using in list(index.intents_using.items())[:200]:
        assert index.idf[term] == pytest.approx(math.log(1.0 + total / using))
        assert using == sum(1 for p in index.profiles if term in p.bag)


def test_a_word_only_one_intent_uses_weighs_the_most(index: PhrasingIndex) -> None:
    rare = _known_word(index, 1)
    assert index.weight(rare) == pytest.approx(index.top_idf)
    assert max(index.idf.values()) == pytest.approx(index.top_idf)


def test_question_words_and_stopwords_weigh_as_configured(index: PhrasingIndex, config: MatchConfig) -> None:
    question_word = sorted(index.lexicon.question_words)[0]
    stopword = sorted(index.lexicon.stopwords - index.lexicon.question_words)[0]
    assert index.weight(question_word) == config.question_word_weight
    assert index.weight(stopword) == config.stopword_weight


def test_an_unknown_word_weighs_by_its_length_up_to_five_letters(index: PhrasingIndex, config: MatchConfig) -> None:
    full = config.unknown_word_weight * index.top_idf
    assert index.weight("qzxvwk") == pytest.approx(full)
    assert index.weight("qzxvw") == pytest.approx(full)
    assert index.weight("qz") == pytest.approx(full * 2 / 5)
    assert index.weight("qz") < index.weight("qzx") < index.weight("qzxv") < index.weight("qzxvw")


def test_unknown_words_weigh_less_in_a_long_chatty_message(index: PhrasingIndex, config: MatchConfig) -> None:
    short = index.query_weights(["qzxvwk"])
    chatter = [f"qz{chr(97 + i)}vwk" for i in range(config.long_question_words * 2)]
    long = index.query_weights(["qzxvwk", *chatter])
    content = len(chatter) + 1
    assert long["qzxvwk"] == pytest.approx(short["qzxvwk"] * config.long_question_words / content)
    known = _known_word(index, 1)
    assert index.query_weights([known, *chatter])[known] == pytest.approx(index.weight(known))  # known words keep


def test_background_words_weigh_less(index: PhrasingIndex, config: MatchConfig) -> None:
    word = _known_word(index, 1)
    weights = index.query_weights([word, "founded"], background=frozenset({word}))
    assert weights[word] == pytest.approx(index.weight(word) * config.background_weight)
    assert weights["founded"] == pytest.approx(index.weight("founded"))


def test_query_weights_are_each_words_weight_damped_and_as_background(index: PhrasingIndex, config: MatchConfig,
                                                                      asked_terms: list[list[str]]) -> None:
    """One look-up a word and the non-filler words counted by a set operation give, float for
    float and in the same order, each word's weight times the damping (a word neither the index's
    nor filler) and the background weight (a word around the question)."""
    filler = index.lexicon.filler
    chatty = ["hi", "cheers", "the", "the", "founded", *(f"qz{a}{b}" for a in "abcdef" for b in "ghijkl")]
    for terms in [*asked_terms, chatty]:
        for background in (frozenset(), frozenset(terms[::2])):
            unique = list(dict.fromkeys(terms))
            content = [t for t in unique if t not in filler and t not in background]
            damping = min(1.0, config.long_question_words / max(len(content), 1))
            plain = {t: index.weight(t) * (damping if t not in index.idf and t not in filler else 1.0)
                     * (config.background_weight if t in background else 1.0) for t in unique}
            assert list(index.query_weights(terms, background).items()) == list(plain.items())


# ---------------------------------------------------------------- terms


def test_names_become_slots_and_numbers_only_when_asked(index: PhrasingIndex) -> None:
    tokens = ["top", "5", "in", "2013", "in", "kandal"]
    kandal = Entity("constituency", "Kandal", "kandal", 1.0, 5, 6)
    assert index.terms(tokens, [kandal], {"constituency"}) == ["top", "5", "in", "2013", "in",
                                                               slot_token("constituency")]
    # A year is a fact, never a parameter.
    masked = index.terms(tokens, [kandal], {"constituency"}, mask_numbers=True)
    assert masked == ["top", NUMBER_SLOT, "in", "2013", "in", slot_token("constituency")]
    assert index.terms(tokens, [kandal], set()) == tokens  # only the kinds asked are masked


def test_a_multi_word_name_is_one_slot(index: PhrasingIndex) -> None:
    tokens = ["when", "was", "kem", "sokha", "arrested"]
    person = Entity("person", "Kem Sokha", "kem sokha", 1.0, 2, 4)
    assert index.terms(tokens, [person], {"person"}) == ["when", "was", slot_token("person"), "arrested"]


def test_phrase_terms_keeps_slot_markers(index: PhrasingIndex) -> None:
    terms, _ = index.phrase_terms("when was {person} arrested")
    assert terms == ["when", "was", slot_token("person"), "arrested"]


def test_synonyms_are_mapped(index: PhrasingIndex) -> None:
    terms, _ = index.phrase_terms("when was Kem Sokha locked up")
    assert "arrested" in terms and slot_token("person") in terms


# ---------------------------------------------------------------- years


def test_every_year_in_the_tables_is_known(kb: KnowledgeBase, index: PhrasingIndex) -> None:
    for table in kb.tables.values():
        for row in table.rows:
            for value in row.display.values():
                assert set(re.findall(r"\b(?:1[89]|20)\d\d\b", value)) <= index.known_years


def test_known_years_are_those_of_answers_and_rows_never_of_phrasings(kb: KnowledgeBase,
                                                                       index: PhrasingIndex) -> None:
    years = re.compile(r"\b(?:1[89]|20)\d\d\b")
    stated = {y for i in kb.intents.values() for y in years.findall(re.sub(r"\{[^}]*\}", " ", i.answer))}
    stated |= {y for t in kb.tables.values() for r in t.rows for v in r.display.values() for y in years.findall(v)}
    stated |= {y for when in kb.event_dates.values() for y in years.findall(when)}
    # A phrasing may ask about a year no source speaks of ("who won in 2023"): not a known year.
    assert index.known_years == stated


# ---------------------------------------------------------------- scoring


def test_each_phrasing_scores_one_against_its_own_words(index: PhrasingIndex) -> None:
    for position, profile in enumerate(index.profiles):
        terms, _ = index.phrase_terms(profile.intent.question, profile.traits.reads_numbers)
        scores = index.score_all(terms)
        row = index.starts[position]  # the question is an intent's first phrasing
        assert index.phrasing_text[row] == profile.intent.question
        assert scores[row] == pytest.approx(1.0, abs=1e-5)
        assert scores.max() == pytest.approx(1.0, abs=1e-5)


def test_score_all_of_words_no_intent_uses_is_zero(index: PhrasingIndex) -> None:
    assert index.score_all([]).shape == (index.phrasing_count,)
    assert not index.score_all([]).any()
    assert not index.score_all(["qzxvwk", "wvxzq"]).any()


def test_score_all_of_some_rows_is_those_rows_of_all(index: PhrasingIndex) -> None:
    terms = ["when", "was", "cnrp", "founded"]
    rows = np.array([0, 3, index.phrasing_count - 1])
    assert np.allclose(index.score_all(terms, rows), index.score_all(terms)[rows])
    assert index.score_all(terms, np.array([], dtype=int)).shape == (0,)


def test_a_non_finite_product_reads_as_no_match(index: PhrasingIndex, monkeypatch: pytest.MonkeyPatch) -> None:
    """The guard on the rows' product: a score its sum finds not finite is no match."""
    rows = index.rows_by_topic_kind["policy_area"]
    assert index.score_all(["what", "the", "policy", "on"], rows).any()
    monkeypatch.setitem(index._undamped_weights, "the", math.nan)
    monkeypatch.setattr(index, "_last_weights", None)
    scores = index.score_all(["what", "the", "policy", "on"], rows)
    assert np.isfinite(scores).all() and not scores.any()


def test_unexplained_words_lower_the_score(index: PhrasingIndex) -> None:
    # Recall counts: a question with words no phrasing explains matches less well.
    plain = index.score_all(["when", "was", "cnrp", "founded"]).max()
    noisy = index.score_all(["when", "was", "cnrp", "founded", "qzxvwk", "wvxzqk"]).max()
    assert noisy < plain


@pytest.fixture(scope="module")
def asked_terms(engine: Engine) -> list[list[str]]:
    """The words of the labelled questions, as retrieval reads them."""
    questions = [case.question for name in ("questions.yaml", "out_of_scope.yaml")
                 for case in load_cases(Path(__file__).parent / name)]
    return [engine.matcher.parse(question).terms for question in questions]


def test_postings_score_as_the_plain_sums_and_f_beta(index: PhrasingIndex, asked_terms: list[list[str]]) -> None:
    """Both sums through one column of postings (frequent words as whole columns, already times
    their weight, with the question's words or as words around it) and the F-beta worked out in
    place give, bit for bit, the plain word-by-word sums over the phrasings' own words and
    keywords, and the F-beta as written."""
    keywords = [index.profiles[owner].keywords for owner in index._owner]
    vouching: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    beta2 = index._beta2
    for terms, background in [(asked, around) for asked in asked_terms
                              for around in (frozenset(), frozenset(asked[::2]))]:
        weighted = index.query_weights(terms, background)
        shared = np.zeros(index.phrasing_count, dtype=np.float32)
        explained = np.zeros(index.phrasing_count, dtype=np.float32)
        for term, weight in weighted.items():
            if term not in vouching:
                present = np.array([term in own for own in index.phrasing_terms])
                vouching[term] = (present, present | np.array([term in words for words in keywords]))
            present, explains = vouching[term]
            shared[present] += np.float32(weight)
            explained[explains] += np.float32(weight)
        recall = explained / (sum(weighted.values()) or 1.0)
        precision = shared / index._lengths
        with np.errstate(divide="ignore", invalid="ignore"):
            plain = (1 + beta2) * precision * recall / (beta2 * precision + recall)
        plain[~np.isfinite(plain)] = 0.0
        assert index.score_all(terms, background=background).tobytes() == plain.tobytes()


def test_some_rows_matches_put_among_all_score_as_each_set_alone(engine: Engine, index: PhrasingIndex) -> None:
    """One F-beta over every phrasing's matches, a topic kind's rows' own in their place (as
    retrieval reads a question naming a topic row), gives bit for bit each set's own scores."""
    questions = [case.question for name in ("questions.yaml", "fresh.yaml")
                 for case in load_cases(Path(__file__).parent / name)]
    checked = 0
    for question in questions:
        parsed = engine.matcher.parse(question)
        for kind in sorted({e.kind for e in parsed.entities} - NAME_KINDS):
            rows = index.rows_by_topic_kind.get(kind)
            if rows is None:
                continue
            topic_terms = index.terms(parsed.tokens, parsed.entities, NAME_KINDS | {kind})
            expected = index.score_all(parsed.terms, background=parsed.background)
            expected[rows] = index.score_all(topic_terms, rows, parsed.background)
            shared, recall, _ = index.matches(parsed.terms, background=parsed.background)
            topic_shared, topic_recall, _ = index.matches(topic_terms, rows, parsed.background)
            shared[rows] = topic_shared
            recall[rows] = topic_recall
            assert index.f_beta(shared, recall, from_products=True).tobytes() == expected.tobytes()
            checked += 1
    assert checked > 100


def test_some_rows_matches_are_the_blocks_matrix_products(engine: Engine, index: PhrasingIndex) -> None:
    """`dot` over a row set's block gives, bit for bit, the `@` products of the same matrices
    (the sums the rows' scores are made of) for every topic kind's rows, and the numeric rows,
    on the labelled questions' words."""
    questions = [case.question for name in ("questions.yaml", "fresh.yaml")
                 for case in load_cases(Path(__file__).parent / name)]
    for question in questions:
        parsed = engine.matcher.parse(question)
        for rows in (*index.rows_by_topic_kind.values(), index.numeric_rows):
            shared, recall, _ = index.matches(parsed.terms, rows, parsed.background)
            weighted = index.query_weights(parsed.terms, parsed.background)
            local, present, explains, _ = index._row_block(rows)
            known = [term for term in weighted if term in index.column]
            picked = [local.get(index.column[term], -1) for term in known]
            weights = np.array([weighted[term] for term in known], dtype=np.float32)
            # The blocks hold 0s and 1s as bytes; the products are of the float32 0/1 matrices.
            assert present.dtype == explains.dtype == np.uint8 and max(present.max(), explains.max()) == 1
            present, explains = present.astype(np.float32), explains.astype(np.float32)
            with np.errstate(invalid="ignore"):
                assert shared.tobytes() == (present.take(picked, axis=1) @ weights).tobytes()
                explained = explains.take(picked, axis=1) @ weights
            assert recall.tobytes() == (explained / (sum(weighted.values()) or 1.0)).tobytes()


def test_the_fixed_row_sets_blocks_are_made_with_the_index(index: PhrasingIndex) -> None:
    """A topic kind's rows and the numeric rows find the block made with the index (the same
    arrays a block made now has); any other set of rows gets one made when asked for."""
    for rows in (*index.rows_by_topic_kind.values(), index.numeric_rows):
        kept = index._row_block(rows)
        assert index._row_block(rows)[1] is kept[1]
        made = index._made_row_block(rows)
        assert made[0] == kept[0]
        assert [a.tobytes() for a in made[1:]] == [a.tobytes() for a in kept[1:]]
    other = index.numeric_rows.copy()
    assert index._row_block(other)[1] is not index._row_block(index.numeric_rows)[1]
    assert index._row_block(other)[1].tobytes() == index._row_block(index.numeric_rows)[1].tobytes()


def test_phrasing_rows_are_grouped_by_intent(index: PhrasingIndex) -> None:
    assert index.starts[0] == 0 and index.ends[-1] == index.phrasing_count
    assert list(index.starts[1:]) == list(index.ends[:-1])
    for position, profile in enumerate(index.profiles):
        assert index.ends[position] - index.starts[position] == len(profile.phrasings)


def test_best_per_intent_is_the_float_maximum_of_each_intents_rows(engine: Engine, index: PhrasingIndex) -> None:
    """The maximum over the scores' bits read as integers is the float maximum, bit for bit, on
    the scores retrieval gives the labelled questions: none of them negative nor -0.0."""
    questions = [case.question for name in ("questions.yaml", "fresh.yaml", "out_of_scope.yaml")
                 for case in load_cases(Path(__file__).parent / name)]
    for question in questions:
        parsed = engine.matcher.parse(question)
        scores = engine.matcher._retrieve(parsed.tokens, parsed.entities, parsed.terms, parsed.background)
        assert not np.signbit(scores).any()
        plain = np.maximum.reduceat(scores, index.starts)
        assert index.best_per_intent(scores).tobytes() == plain.tobytes()


def test_numeric_rows_are_those_of_intents_that_read_numbers(index: PhrasingIndex) -> None:
    expected = [row for position, profile in enumerate(index.profiles) if profile.traits.reads_numbers
                for row in range(index.starts[position], index.ends[position])]
    assert list(index.numeric_rows) == expected


def test_numbers_are_read_where_a_token_is_a_number_but_no_year(engine: Engine, index: PhrasingIndex) -> None:
    """The one search for a digit first tells as testing each token does."""
    questions = [case.question for name in ("questions.yaml", "fresh.yaml", "out_of_scope.yaml")
                 for case in load_cases(Path(__file__).parent / name)]
    asked = [engine.matcher.parse(question).tokens for question in questions]
    made = [["top", "5"], ["in", "2013"], ["2013", "5.5"], ["x1", "1x"], ["3rd"], [], ["１２"]]
    for tokens in asked + made:
        plain = any(NUMBER.match(t) and not YEAR.match(t) for t in tokens)
        assert index.reads_numbers_in(tokens) == plain
    assert index.reads_numbers_in(["top", "5"]) and index.reads_numbers_in(["１２"])
    assert not index.reads_numbers_in(["in", "2013"])


@given(st.lists(st.sampled_from(["when", "was", "cnrp", "founded", "who", "kandal", "vote", "zzperson", "the",
                                 "qzxv", "2013", "5", "banned"]) | st.text(max_size=6), max_size=12))
@PROPERTY
def test_scores_are_finite_and_within_zero_and_one(index: PhrasingIndex, terms: list[str]) -> None:
    scores = index.score_all(terms)
    assert np.isfinite(scores).all()
    assert (scores >= 0).all() and (scores <= 1 + 1e-5).all()


# ---------------------------------------------------------------- the answers as an index


def test_a_word_only_one_reply_uses_points_to_that_reply(index: PhrasingIndex) -> None:
    release = index.position["cnrm.press_release"]
    recall = index.answer_recall([("applauding", frozenset({"applauding"}))])
    assert recall == {release: pytest.approx(1.0)}


def test_answer_recall_is_the_plain_sum_of_shares(index: PhrasingIndex, asked_terms: list[list[str]]) -> None:
    """The recalls, and their order (the shortlist's among equal recalls), are those of adding
    each word's share to each of its owners in turn."""
    for terms in asked_terms:
        content = [(t, frozenset(word_forms(t))) for t in dict.fromkeys(terms)
                   if t not in index.lexicon.filler and not t.startswith(SLOT_PREFIX)]
        reaches = [index._answer_reach(term, forms) for term, forms in content]
        plain: dict[int, float] = defaultdict(float)
        for weight, owners in reaches:
            for position in owners:
                plain[position] += weight / sum(w for w, _ in reaches)
        assert list(index.answer_recall(content).items()) == list(plain.items())


def test_answer_recall_is_a_share(index: PhrasingIndex) -> None:
    content = [(w, frozenset({w})) for w in ("cnrp", "founded", "banned", "qzxvwk")]
    recall = index.answer_recall(content)
    assert recall and all(0.0 < r <= 1.0 + 1e-9 for r in recall.values())
    assert index.answer_recall([]) == {}
    assert index.answer_recall([("qzxvwk", frozenset({"qzxvwk"}))]) == {}


def test_slot_words_weigh_as_unknown_words(index: PhrasingIndex) -> None:
    # A slot no phrasing uses is an unknown word, not a free match.
    slot = f"{SLOT_PREFIX}nothing"
    assert slot not in index.idf
    assert index.weight(slot) == pytest.approx(index.weight("qzxvwkq"))


# ---------------------------------------------------------------- precomputed per row and per word


def _conflicting(index: PhrasingIndex, kind: str, key: str) -> tuple[np.ndarray, np.ndarray]:
    """The phrasings that name another row of the kind, and those that name no one of a name
    kind nor have a slot for one."""
    named_kind = index.names_kind[kind]
    naming = index.names_key.get((kind, key), np.zeros_like(named_kind))
    silent = (~named_kind & ~index.slot_rows[kind]) if kind in NAME_KINDS else np.zeros_like(named_kind)
    return np.flatnonzero(named_kind & ~naming), np.flatnonzero(silent)


def test_conflict_factors_scale_the_phrasings_naming_another_row_or_none(index: PhrasingIndex,
                                                                       config: MatchConfig) -> None:
    for kind, key in list(index.names_key)[:40]:
        factors = index.conflict_factors(kind, key)
        assert factors is not None and factors.dtype == np.float32
        other, silent = _conflicting(index, kind, key)
        expected = np.ones(index.phrasing_count, dtype=np.float32)
        expected[other] = config.entity_conflict_factor
        expected[silent] = config.unnamed_phrasing_factor
        assert factors.tolist() == expected.tolist()
    assert index.conflict_factors("no such kind", "x") is None


def test_a_row_never_named_conflicts_with_every_phrasing_naming_its_kind(index: PhrasingIndex,
                                                                        config: MatchConfig) -> None:
    kind = next(iter(index.names_kind))
    factors = index.conflict_factors(kind, "nobody the knowledge names")
    assert factors is not None
    named = np.flatnonzero(factors == np.float32(config.entity_conflict_factor))
    assert named.tolist() == np.flatnonzero(index.names_kind[kind]).tolist()


def test_scaling_by_the_conflict_factors_is_scaling_the_conflicting_rows(index: PhrasingIndex,
                                                                        config: MatchConfig) -> None:
    """One multiplication by the column gives, bit for bit, the scores of scaling each set of
    conflicting phrasings by position."""
    scores = index.score_all(["when", "was", slot_token("person"), "arrested", "in", "kandal", "the", "cnrp"])
    assert scores.any()
    for kind, key in [*list(index.names_key)[:40], (next(iter(index.names_kind)), "nobody the knowledge names")]:
        factors = index.conflict_factors(kind, key)
        assert factors is not None
        other, silent = _conflicting(index, kind, key)
        by_position = scores.copy()
        by_position[other] *= config.entity_conflict_factor
        by_position[silent] *= config.unnamed_phrasing_factor
        assert (scores * factors).tobytes() == by_position.tobytes()


def test_scaling_in_place_by_the_conflicts_is_multiplying_by_the_factors(index: PhrasingIndex) -> None:
    """The scaling that keeps one column a kind gives, bit for bit, the scores times the row's
    own column, for every row named, a row no phrasing names, and a kind none names."""
    scores = index.score_all(["when", "was", slot_token("person"), "arrested", "in", "kandal", "the", "cnrp"])
    assert scores.any()
    named = next(iter(index.names_kind))
    for kind, key in [*index.names_key, (named, "nobody the knowledge names"), ("no such kind", "x")]:
        factors = index.conflict_factors(kind, key)
        scaled = scores.copy()
        index.scale_by_conflicts(scaled, kind, key)
        expected = scores if factors is None else scores * factors
        assert scaled.tobytes() == expected.tobytes(), (kind, key)


@given(st.lists(st.sampled_from(["when", "was", "cnrp", "founded", "pension", "wage", "qzxvwk", "vote",
                                 "kandal", "rice", "price", "promise", "zzplatform_point", "the", "did"]),
                min_size=1, max_size=8))
@PROPERTY
def test_a_row_sets_block_scores_as_its_words_postings_do(index: PhrasingIndex, terms: list[str]) -> None:
    """The block of a fixed set of rows holds, for each word they use, the same 0/1 cells as
    the postings: scored through it, they score as the whole index scores them."""
    for rows in (*index.rows_by_topic_kind.values(), index.numeric_rows):
        assert np.allclose(index.score_all(terms, rows), index.score_all(terms)[rows], atol=1e-6)


def test_a_words_reach_among_the_replies_is_kept_within_a_bound(index: PhrasingIndex,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("bot.core.index.WORD_CACHE_SIZE", 3)
    monkeypatch.setattr(index, "_reach", {})
    words = ["pension", "wage", "rice", "vote", "kandal"]
    first = index.answer_recall([(w, frozenset({w})) for w in words])
    assert len(index._reach) <= 3
    assert index.answer_recall([(w, frozenset({w})) for w in words]) == first


def test_best_rows_are_each_intents_first_best_phrasing(index: PhrasingIndex) -> None:
    """The gathered argmax against the plain one, slice by slice: ties (scores of 0, equal
    scores at the end of a run, a run's first score the best) pick the same first row."""
    rng = np.random.default_rng(3)
    positions = list(range(len(index.profiles)))
    for draw in range(20):
        # Few distinct values, so most runs hold ties, and a fifth of them all zeros.
        scores = (rng.integers(0, 4, index.phrasing_count) / 4).astype(np.float32)
        scores[rng.random(index.phrasing_count) < 0.2] = 0.0
        if draw % 2:
            scores[index.starts] = 1.0  # every run's first score its best
        picked = [p for p in positions if rng.random() < 0.3] or [0]
        plain = [lo + int(scores[lo:hi].argmax()) for lo, hi in map(index.bounds.__getitem__, picked)]
        assert index.best_rows(scores, picked) == plain
