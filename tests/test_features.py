"""The evidence for one (question, intent) pair: the feature row the scoring model weighs, and a
note for each piece of evidence that fired. Contexts are built as the matcher builds them."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

import numpy as np
import pytest

from bot.core.engine import Engine
from bot.core.entities import NAME_KINDS
from bot.core.features import _ALSO_ANSWERS, CandidateRows, FeatureContext, candidate_features, gives_what_is_asked
from bot.core.index import YEAR, IntentProfile
from bot.core.matching import Matcher
from bot.core.models import ReplyKind
from bot.core.normalize import SLOT_PREFIX, word_forms
from bot.core.scoring import FEATURE_NAMES
from tests.answers import question_sets

QUESTIONS = ["when was the cnrp founded", "who founded the cnrp", "how did the cnrp do in kandal",
             "compare kandal and takeo", "is it right that the cnrp was banned", "what would pensioners have got",
             "who won the 2023 election", "is the cnrp still active today", "population of vietnam",
             "when did asean praise the cnrp", "hello there", "what did they outlaw", ""]


@pytest.fixture(scope="module")
def matcher(engine: Engine) -> Matcher:
    return engine.matcher


def _context(matcher: Matcher, question: str) -> FeatureContext:
    parsed = matcher.parse(question)
    unknown_years = [t for t in parsed.tokens if YEAR.match(t) and t not in matcher.known_years]
    present = {t for t in parsed.terms if t in matcher.lexicon.present_words}
    return FeatureContext.of(matcher, parsed.terms, parsed.entities, unknown_years, parsed.asked, present,
                             parsed.background)


def _profile(matcher: Matcher, intent: str) -> IntentProfile:
    return matcher.index.profiles[matcher.index.position[intent]]


def _features(matcher: Matcher, question: str, intent: str, overlap: float = 0.5, fuzzy: float = 0.4,
              margin: float = 0.1, recall: float = 0.3, voted: float = 0.2) -> tuple[dict[str, float], tuple[str, ...]]:
    position = matcher.index.position[intent]
    row, notes = candidate_features(_context(matcher, question), matcher.index.profiles[position], overlap, fuzzy,
                                    margin, functools.partial(matcher.semantic.nearness, position), recall, voted)
    assert len(row) == len(FEATURE_NAMES)
    return dict(zip(FEATURE_NAMES, row, strict=True)), notes


# ---------------------------------------------------------------- the question's evidence


def test_content_leaves_out_filler_and_greetings(matcher: Matcher) -> None:
    context = _context(matcher, "hello, when was the cnrp founded")
    terms = [t for t, _, _ in context.content]
    assert "cnrp" in terms and "founded" in terms
    assert not set(terms) & (matcher.lexicon.filler | matcher.lexicon.greetings)
    assert context.total == pytest.approx(sum(w for _, w, _ in context.content))


@pytest.mark.parametrize("question", QUESTIONS)
def test_unknown_share_is_the_weight_of_unknown_words(matcher: Matcher, question: str) -> None:
    context = _context(matcher, question)
    unknown = sum(w for t, w, _ in context.content
                  if t not in matcher.index.idf and not t.startswith(SLOT_PREFIX) and not t[:1].isdigit())
    assert context.unknown_share == pytest.approx(unknown / context.total if context.total else 0.0)
    assert 0.0 <= context.unknown_share <= 1.0


def test_unknown_words_are_named(matcher: Matcher) -> None:
    context = _context(matcher, "population of vietnam")
    assert "population" not in matcher.index.idf
    assert "population" in context.unknown_words
    assert _context(matcher, "when was the cnrp founded").unknown_words == ()


def test_every_keyword_is_in_its_intents_bag(matcher: Matcher) -> None:
    # A candidate's row looks a word up in the bag alone, not in the keywords as well.
    assert all(profile.keywords <= profile.bag for profile in matcher.index.profiles)
    assert any(profile.keywords for profile in matcher.index.profiles)


def test_rare_words_are_those_only_one_intent_uses(matcher: Matcher) -> None:
    for question in QUESTIONS:
        for term, _, _ in _context(matcher, question).rare:
            assert matcher.index.intents_using[term] == 1 and len(term) >= 4 and term.isalpha()


def test_a_rare_word_of_a_related_intent_is_not_off_topic(matcher: Matcher) -> None:
    # Read from the index: a word only one intent uses, asked against an intent that names that
    # one as related and never uses the word itself ("the announcement" for the release's
    # details, where only the release's own intent says "announcement").
    index = matcher.index
    profile, word, owner = next(
        (p, t, other) for p in index.profiles for other in sorted(p.intent.related) if other in index.position
        for t in sorted(index.profiles[index.position[other]].bag)
        if index.sole_user.get(t) == other and len(t) >= 6 and t.isalpha() and not word_forms(t) & p.said)
    context = _context(matcher, f"what about the {word}")
    assert [(t, o) for t, _, o in context.rare] == [(word, owner)]
    position = index.position[profile.intent.id]

    def off_topic(related: frozenset[str]) -> float:
        row, _ = candidate_features(context, profile, 0.5, 0.4, 0.1,
                                    functools.partial(matcher.semantic.nearness, position), 0.3, 0.2,
                                    related=related)
        return dict(zip(FEATURE_NAMES, row, strict=True))["off_topic"]

    assert off_topic(frozenset()) == 1.0
    assert off_topic(frozenset({owner})) == 0.0


def test_rows_are_counted_by_kind_and_names_kept_apart(matcher: Matcher) -> None:
    context = _context(matcher, "compare kandal and takeo and kandal again with kem sokha")
    assert context.rows_by_kind["constituency"] == 2
    assert context.named_kinds == frozenset({"constituency", "person"})
    assert _context(matcher, "when was the ban").named_kinds <= NAME_KINDS


def test_judgement_words_are_read_but_human_rights_is_no_judgement(matcher: Matcher) -> None:
    assert _context(matcher, "is it right that the cnrp was banned").evaluative == ("right",)
    assert _context(matcher, "what human rights did the cnrp promise").evaluative == ()


@pytest.mark.parametrize(("question", "judged"), [
    ("were the bans proportionate", ("proportionate",)),
    ("was it wise to merge", ("wise",)),
    ("was the ban right", ("right",)),
    ("was the cnrp left or right", ()),
    ("was it a right-wing party", ()),
    ("was the cnrp on the right", ()),
    ("what did the cnrp say about women's rights", ()),
    ("did the cnrp believe in free and fair elections", ()),
    ("its worst constituencies, percentage-wise", ()),
    ("which goods would be cheaper", ()),
])
def test_a_judgement_is_read_from_the_words_as_typed(matcher: Matcher, question: str,
                                                     judged: tuple[str, ...]) -> None:
    # A plural is a noun, "right" beside left or wing a side, "free and fair" a description,
    # "-wise" after a noun no wisdom.
    parsed = matcher.parse(question)
    context = FeatureContext.of(matcher, parsed.terms, (), (), parsed.asked, set(), words=parsed.words)
    assert context.evaluative == judged


def test_each_word_with_a_vector_has_its_row(matcher: Matcher) -> None:
    context = _context(matcher, "what would the elderly have got after the dissolution")
    vectors = matcher.semantic.vectors
    expected = [t for t, _, _ in context.content if t.isalpha() and not t.startswith(SLOT_PREFIX) and t in vectors]
    assert expected and list(context.word_vectors) == expected
    for word, row in context.word_vectors.items():
        vector = matcher.semantic.vectors.vector(word)
        assert vector is not None and row.shape == (1, vectors.dims) and np.allclose(row[0], vector)


def test_the_vectors_of_some_words_are_gathered_once_a_question(matcher: Matcher) -> None:
    context = _context(matcher, "what would the elderly have got after the dissolution")
    words = list(context.word_vectors)[::-1][:2]
    gathered = context.vectors_of(words)
    assert np.array_equal(gathered, np.concatenate([context.word_vectors[w] for w in words]))
    assert context.vectors_of(words) is gathered
    assert context.vectors_of(words[:1]) is context.word_vectors[words[0]]


def test_each_word_of_the_reading_keeps_its_order_weight_and_kind(matcher: Matcher) -> None:
    context = _context(matcher, "how many votes did the cnrp win in kandal in 2013")
    assert [(t, w, forms) for t, w, forms, _, _, _, _ in context.reading] == list(context.content)
    for term, _, _, kind, countable, vectored, _ in context.reading:
        assert kind == (term[len(SLOT_PREFIX):] if term.startswith(SLOT_PREFIX) else "")
        assert countable == (len(term) >= 3 and not term[:1].isdigit())
        assert vectored == (term in context.word_vectors)


def test_the_kept_term_readings_give_the_plain_reading_on_the_labelled_questions(matcher: Matcher) -> None:
    # FeatureContext.of reads each term's forms, kind and rarity from a memo per index: the
    # content, sums and word lists must be those the plain definitions give, on a first reading
    # (the memo filled) and a second (read from it).
    index, lexicon = matcher.index, matcher.lexicon
    for (question,) in dict(question_sets())["questions.yaml"][::5]:
        parsed = matcher.parse(question)
        weights = index.query_weights(parsed.terms, parsed.background)
        content = [(t, w, frozenset(word_forms(t))) for t, w in weights.items()
                   if t not in lexicon.filler and t not in lexicon.greetings]
        words = [(t, w, forms) for t, w, forms in content if not t.startswith(SLOT_PREFIX)]
        unknown = [(t, w) for t, w, _ in words if t not in index.idf and not t[:1].isdigit()]
        total = sum(w for _, w, _ in content)
        share = sum(w for _, w in unknown) / total if total else 0.0
        vectored = [t for t, _, _ in words if t.isalpha() and t in matcher.semantic.vectors]
        for _ in range(2):
            context = _context(matcher, question)
            assert context.content == tuple(content), question
            assert (context.total, context.unknown_share) == (total, share)
            assert context.unknown_words == tuple(t for t, _ in unknown if len(t) >= 3)
            assert context.rare == tuple((t, forms, index.sole_user[t]) for t, _, forms in words
                                         if t.isalpha() and len(t) >= 4 and index.intents_using.get(t) == 1)
            assert list(context.word_vectors) == vectored
            # Which intents cover each word: one byte each, by position, where the candidates look.
            assert [entry[3:] for entry in context.reading] == [
                (t[len(SLOT_PREFIX):] if t.startswith(SLOT_PREFIX) else "", len(t) >= 3 and not t[:1].isdigit(),
                 t in vectored, bytes([t in p.bag or not forms.isdisjoint(p.said) for p in index.profiles]))
                for t, _, forms in content]


def test_an_empty_question_has_no_evidence(matcher: Matcher) -> None:
    context = _context(matcher, "")
    assert context.content == () and context.total == 0 and context.unknown_share == 0.0


# ---------------------------------------------------------------- one candidate's row


def test_the_retrieval_evidence_is_passed_through(matcher: Matcher) -> None:
    features, _ = _features(matcher, "when was the cnrp founded", "party.founding", overlap=0.7, fuzzy=0.6,
                            margin=-0.2, recall=0.45, voted=0.3)
    assert (features["overlap"], features["fuzzy"], features["margin"], features["classifier"]) == pytest.approx(
        (0.7, 0.6, -0.2, 0.3))
    assert features["relevance"] == pytest.approx(0.45)


def test_an_empty_question_gives_a_row_of_pass_through_evidence_only(matcher: Matcher) -> None:
    features, notes = _features(matcher, "", "party.founding", overlap=0.0, fuzzy=0.0, margin=0.0, recall=0.0,
                                voted=0.0)
    assert all(v == 0.0 for v in features.values()) and notes == ()


@pytest.mark.parametrize("intent", ["party.founding", "meta.greeting", "meta.opinion", "gap.after_2018"])
def test_chat_and_gap_say_what_kind_of_reply_the_intent_gives(engine: Engine, matcher: Matcher,
                                                             intent: str) -> None:
    kind = engine.kb.intents[intent].kind
    features, _ = _features(matcher, "when was the cnrp founded", intent)
    assert features["chat"] == (1.0 if kind in (ReplyKind.SMALLTALK, ReplyKind.REFUSAL) else 0.0)
    assert features["gap"] == (1.0 if kind is ReplyKind.GAP else 0.0)


def test_a_row_the_intent_needs_is_named_or_missing(matcher: Matcher) -> None:
    named, notes = _features(matcher, "how did the cnrp do in kandal", "results.constituency")
    assert (named["entity_fit"], named["entity_missing"]) == (1.0, 0.0)
    assert not any(n.startswith("needs a") for n in notes)
    missing, notes = _features(matcher, "how did the cnrp do", "results.constituency")
    assert (missing["entity_fit"], missing["entity_missing"]) == (0.0, 1.0)
    assert "needs a constituency" in notes


def test_an_intent_about_no_row_has_no_row_evidence(matcher: Matcher) -> None:
    features, _ = _features(matcher, "how did the cnrp do in kandal", "party.founding")
    assert features["entity_fit"] == features["entity_missing"] == features["count_mismatch"] == 0.0


def test_one_row_where_the_intent_compares_two(matcher: Matcher) -> None:
    assert _profile(matcher, "results.compare").traits.entity_count == 2
    one, notes = _features(matcher, "compare kandal", "results.compare")
    assert one["count_mismatch"] == 1.0
    assert "takes 2 constituency, the question names 1" in notes
    two, _ = _features(matcher, "compare kandal and takeo", "results.compare")
    assert two["count_mismatch"] == 0.0


@pytest.mark.parametrize(("question", "intent"), [("who founded the cnrp", "party.founding"),
                                                  ("when was the cnrp founded", "party.founding"),
                                                  ("when was the cnrp founded", "party.founders"),
                                                  ("who founded the cnrp", "party.founders")])
def test_the_kind_of_answer_asked_for_matches_or_not(engine: Engine, matcher: Matcher, question: str,
                                                     intent: str) -> None:
    asked = matcher.parse(question).asked.types
    gives = set(engine.kb.intents[intent].answers)
    assert asked
    features, notes = _features(matcher, question, intent)
    matches = bool(asked & gives)
    assert (features["type_match"], features["type_mismatch"]) == ((1.0, 0.0) if matches else (0.0, 1.0))
    assert any(n.startswith("asks for a") for n in notes) == (not matches)


def test_small_talk_is_never_a_type_mismatch(matcher: Matcher) -> None:
    features, _ = _features(matcher, "who founded the cnrp", "meta.greeting")
    assert features["type_match"] == features["type_mismatch"] == 0.0


def test_a_judgement_counts_against_a_factual_reply_only(matcher: Matcher) -> None:
    factual, notes = _features(matcher, "is it right that the cnrp was banned", "dissolution.ruling")
    assert factual["evaluative"] == 1.0 and "asks for a judgement (right)" in notes
    chat, _ = _features(matcher, "is it right that the cnrp was banned", "meta.opinion")
    assert chat["evaluative"] == 0.0


def test_a_question_about_today_against_an_intent_that_never_speaks_of_now(matcher: Matcher) -> None:
    assert not _profile(matcher, "party.founding").present_tense
    assert _profile(matcher, "dissolution.ruling").present_tense
    past, notes = _features(matcher, "is the cnrp still active today", "party.founding")
    assert past["present"] == 1.0 and any(n.startswith("asks about") and "today" in n for n in notes)
    now, _ = _features(matcher, "is the cnrp still active today", "dissolution.ruling")
    assert now["present"] == 0.0


def test_a_year_no_source_mentions(matcher: Matcher) -> None:
    assert "2023" not in matcher.known_years
    features, notes = _features(matcher, "who won the 2023 election", "elections.general")
    assert features["unknown_year"] == 1.0 and "year 2023 is in no source" in notes
    known, _ = _features(matcher, "who won the 2013 election", "elections.general")
    assert known["unknown_year"] == 0.0


def test_an_organisation_the_intent_never_mentions(matcher: Matcher) -> None:
    features, notes = _features(matcher, "when did asean praise the cnrp", "party.founding")
    assert features["org_unrelated"] == 1.0
    assert any("ASEAN" in n for n in notes)


def test_another_organisations_facts_asked_without_the_cnrp(matcher: Matcher) -> None:
    features, notes = _features(matcher, "who were the vice presidents of the cpp", "leaders.vice_presidents")
    assert features["other_subject"] == 1.0 and any("not the CNRP" in n for n in notes)
    # Naming the CNRP, or a person, makes the question the CNRP's own.
    assert _features(matcher, "who were the cnrp's vice presidents", "leaders.vice_presidents")[0][
        "other_subject"] == 0.0
    assert _features(matcher, "does zorblax have a youth wing", "party.youth_wing")[0]["other_subject"] == 1.0
    assert _features(matcher, "did mu sochua zorblax cambodia", "dissolution.exile")[0]["other_subject"] == 0.0


def test_a_party_the_sources_never_mention_is_another_subject(matcher: Matcher) -> None:
    outside = sorted(matcher.lexicon.outside_names)[0]
    features, notes = _features(matcher, f"does {outside} have a youth wing", "party.youth_wing")
    assert features["other_subject"] == 1.0 and any(outside in n for n in notes)
    assert features["outside_party"] == 1.0
    # Even beside a person: "did kem sokha ever join funcinpec" is about that party.
    assert _features(matcher, f"did kem sokha ever join {outside}", "person.roles")[0]["outside_party"] == 1.0
    assert _features(matcher, f"did the cnrp merge with {outside}", "party.merger")[0]["outside_party"] == 0.0


def test_the_classifiers_lead_and_its_no_intent_share_pass_through(matcher: Matcher) -> None:
    position = matcher.index.position["party.founding"]
    row, _ = candidate_features(_context(matcher, "who founded the cnrp"), matcher.index.profiles[position], 0.5,
                                0.4, 0.1, functools.partial(matcher.semantic.nearness, position), 0.3, 0.6,
                                voted_lead=0.25, voted_none=0.05)
    features = dict(zip(FEATURE_NAMES, row, strict=True))
    assert (features["classifier"], features["classifier_lead"], features["classifier_none"]) == pytest.approx(
        (0.6, 0.25, 0.05))


def test_a_word_near_the_intents_own_counts_less_as_uncovered(matcher: Matcher) -> None:
    # The same rare word: ignored by an intent whose words are near it, or by one far from it.
    near, _ = _features(matcher, "what would pensioners have got", "platform.point")
    far, _ = _features(matcher, "what would pensioners have got", "party.founding")
    assert near["uncovered_rare"] < far["uncovered_rare"]


def test_an_unknown_word_is_noted(matcher: Matcher) -> None:
    features, notes = _features(matcher, "population of vietnam", "party.founding")
    assert features["unknown_word"] == 1.0 and features["uncovered_word"] == 1.0
    assert "uses population, which no intent uses" in notes
    assert 0.0 < features["uncovered_rare"] <= 1.0


def test_a_fully_covered_question(matcher: Matcher) -> None:
    features, notes = _features(matcher, "when was the cnrp founded", "party.founding")
    assert features["coverage"] == pytest.approx(1.0)
    assert features["uncovered_word"] == features["uncovered_rare"] == features["unknown_word"] == 0.0
    assert not any("never" in n or "unknown" in n for n in notes)


def test_a_near_word_counts_towards_semantic_only(matcher: Matcher) -> None:
    features, notes = _features(matcher, "what would pensioners have got", "platform.point")
    assert features["semantic"] > features["coverage"]
    assert any("near this intent's words" in n for n in notes)


@pytest.mark.parametrize("question", QUESTIONS)
def test_every_row_is_bounded_and_semantic_never_below_coverage(matcher: Matcher, question: str) -> None:
    for profile in matcher.index.profiles[::7]:
        features, notes = _features(matcher, question, profile.intent.id)
        assert all(np.isfinite(v) for v in features.values())
        for name in FEATURE_NAMES:
            if name not in ("margin", "overlap", "fuzzy", "classifier", "relevance"):
                assert 0.0 <= features[name] <= 1.0 + 1e-9, (name, features[name])
        assert features["semantic"] >= features["coverage"] - 1e-9
        assert len(notes) == len(set(notes)) and all(notes)


def _plain_semantic_and_rare(context: FeatureContext, profile: IntentProfile,
                             nearness: Callable[[np.ndarray], Sequence[float]]) -> tuple[float, float, bool, int]:
    """semantic and uncovered_rare as `scoring.FEATURES` defines them, one word at a time, whether
    a near word was close, and how many uncovered words have vectors."""
    intent = profile.intent
    covered = 0.0
    uncovered: list[tuple[str, float, bool]] = []
    for term, weight, forms, slot, countable, vectored, _ in context.reading:
        if slot:
            if slot in profile.named or (bool(intent.entity) and slot == intent.entity) or term in profile.bag:
                covered += weight
        elif term in profile.bag or not forms.isdisjoint(profile.said):
            covered += weight
        elif countable:
            uncovered.append((term, weight, vectored))
    near = [t for t, _, vectored in uncovered if vectored]
    closeness = dict(zip(near, nearness(context.vectors_of(near)), strict=True)) if near else {}
    semantic = (covered + sum(w * closeness[t] for t, w, _ in uncovered if t in closeness)) / context.total
    rare = min(1.0, max(w * (1.0 - closeness.get(t, 0.0)) for t, w, _ in uncovered) / context.top_weight) \
        if uncovered else 0.0
    return semantic, rare, any(c > 0 for c in closeness.values()), len(near)


def test_semantic_uncovered_rare_and_off_topic_equal_the_plain_tests_on_the_labelled_questions(
        matcher: Matcher) -> None:
    # The row takes a shorter way where a candidate leaves one word with a vector uncovered (most
    # do): it must give the plain sums' floats, bit for bit, there and where it leaves several;
    # and off_topic reuses the word pass's coverage instead of testing each rare word again.
    semantic_column, rare_column = FEATURE_NAMES.index("semantic"), FEATURE_NAMES.index("uncovered_rare")
    off_topic_column = FEATURE_NAMES.index("off_topic")
    questions = dict(question_sets())["questions.yaml"]
    near_words: set[int] = set()
    for (question,) in questions[::5]:
        context = _context(matcher, question)
        if not context.total:
            continue
        for position, profile in enumerate(matcher.index.profiles):
            nearness = functools.partial(matcher.semantic.nearness, position)
            row, notes = candidate_features(context, profile, 0.5, 0.4, 0.1, nearness, 0.3, 0.2)
            semantic, rare, close, near = _plain_semantic_and_rare(context, profile, nearness)
            assert (row[semantic_column], row[rare_column]) == (semantic, rare), (question, profile.intent.id)
            assert any(n.endswith("near this intent's words") for n in notes) == (close and semantic > 0)
            # off_topic reads the coverage the word pass found: the rare words' own tests.
            off_topic = any(t not in profile.bag and forms.isdisjoint(profile.said) for t, forms, _ in context.rare)
            assert row[off_topic_column] == float(off_topic)
            near_words.add(min(near, 2))
    assert near_words == {0, 1, 2}  # every way was taken


def test_rows_read_at_a_position_equal_the_rows_of_the_profile_given_alone(matcher: Matcher) -> None:
    # The matcher's rows read each intent from the index's reading made once, and the words it
    # covers from each word's reading, by position, and nearness from the memo; a profile given
    # alone is read from itself, nearness computed.
    index, semantic = matcher.index, matcher.semantic
    for (question,) in dict(question_sets())["questions.yaml"][::5]:
        context = _context(matcher, question)
        rows = CandidateRows(context, semantic.nearness_of, 0.1)
        for position, profile in enumerate(index.profiles):
            assert rows.row(profile, position, 0.5, 0.4, 0.1, 0.3, 0.2, 0.05, False, frozenset()) == candidate_features(
                context, profile, 0.5, 0.4, 0.1, functools.partial(semantic.nearness, position), 0.3, 0.2, 0.05, 0.1), (
                question, profile.intent.id)


def test_an_answer_gives_what_is_asked_when_it_gives_an_asked_kind_or_one_that_also_answers_it(
        matcher: Matcher) -> None:
    # Rows read the kinds that answer a question once a question: the same verdict as asking, for
    # each asked kind, whether the answer gives it or a kind that also answers it.
    also = _ALSO_ANSWERS
    kinds = sorted({kind for p in matcher.index.profiles for kind in p.intent.answers} | set(also)
                   | {kind for more in also.values() for kind in more} | {"number"})
    answers = {p.intent.answers for p in matcher.index.profiles if p.intent.answers}
    for asked in [frozenset({a}) for a in kinds] + [frozenset({a, b}) for a in kinds for b in kinds if a < b]:
        for gives in answers:
            plain = any(kind in gives or also.get(kind, set()) & set(gives) for kind in asked)
            assert gives_what_is_asked(gives, asked) == plain, (gives, asked)
