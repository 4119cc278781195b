"""The evidence for one (question, intent) pair, as numbers the scoring model weighs.

Every feature is named and explained in `scoring.FEATURES`; this module computes them and a
short note for each one that fired, which `ask --explain` shows beside its weight.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np

from bot.core.answertypes import Asked
from bot.core.config import WORD_CACHE_SIZE
from bot.core.entities import NAME_KINDS
from bot.core.index import IntentProfile
from bot.core.models import Entity, ReplyKind
from bot.core.normalize import SLOT_PREFIX, slot_token, word_forms
from bot.core.scoring import FEATURE_NAMES

if TYPE_CHECKING:
    from bot.core.matching import Matcher

_COLUMN = {name: i for i, name in enumerate(FEATURE_NAMES)}
# A question asking for one kind of answer is also answered by these ("who co-signed" may be
# organisations; "how long" is told by a start and an end date).
_ALSO_ANSWERS = {"person": {"organisation"}, "organisation": {"person"}, "duration": {"date"},
                 "name": {"description"}}
_CHAT_KINDS = (ReplyKind.SMALLTALK, ReplyKind.REFUSAL)
PARTY_TERM = "cnrp"  # the synonym map folds every name of the party ("the rescue party") to it
_BODIES = frozenset({PARTY_TERM, slot_token("organisation")})
_PERSON, _DESCRIPTION = frozenset({"person"}), frozenset({"description"})
_NO_KINDS = _NO_WORDS = frozenset[str]()


# What `FeatureContext.of` reads of one term, none of it the question's: its word forms, whether
# it is a slot and of which kind ("" if none), whether no intent uses it (a word, not a number),
# the one intent that uses it if it is rare, whether it may count as uncovered (three letters or
# more, not a number), whether it has a word vector (a word of letters only that the matcher's
# table has), and which intents cover it (`_covers`). None for filler and greetings, which are
# no content.
_TermReading = tuple[frozenset[str], bool, str, bool, str | None, bool, bool, bytes]


class _IntentReading:
    """What `CandidateRows.row` reads of one intent, read once a matcher: each candidate reads
    the few facts its question needs by name from one small object, not through a chain of
    attributes of the profile and its intent."""

    __slots__ = ("about_facts", "answers", "bag", "entity_count", "entity_kind", "judged", "named",
                 "organisations_named", "phrased", "present_tense", "reply_column", "typed")

    def __init__(self, profile: IntentProfile) -> None:
        intent = profile.intent
        kind = intent.kind
        self.judged = kind is _ANSWER_KIND or kind is _GAP_KIND  # a judgement counts against it
        self.about_facts = kind is _ANSWER_KIND  # it answers about the party's facts
        self.named = profile.named  # the rows it concerns, by kind
        self.entity_kind = intent.entity  # the kind of row it needs
        self.bag = profile.bag  # read for slots: each word's `_covers` tells the rest
        self.entity_count = profile.traits.entity_count  # the rows of that kind it takes
        self.organisations_named = profile.named.get("organisation", frozenset())
        self.phrased = profile.phrased  # the kinds its phrasings name
        self.answers = intent.answers  # what its answer gives
        self.typed = bool(intent.answers) and kind not in _CHAT_KINDS  # checked against what is asked
        self.present_tense = profile.present_tense  # some phrasing asks about now
        self.reply_column = _CHAT if kind in _CHAT_KINDS else _GAP if kind is _GAP_KIND else -1


class MatcherReading:
    """What the features read of a matcher's index, lexicon and word vectors that no question
    changes: each term's reading, kept for the words asked most (bounded by WORD_CACHE_SIZE),
    and each intent's, by position. Made with the matcher (`Matcher.feature_reading`), so a
    cached engine carries it: made by the first question instead, it cost a fresh process's
    first answer 33 ms."""

    __slots__ = ("_bag_users", "_said_users", "intents", "terms")

    def __init__(self, profiles: Sequence[IntentProfile]) -> None:
        self.terms: dict[str, _TermReading | None] = {}
        self.intents = tuple(_IntentReading(profile) for profile in profiles)
        # The positions of the intents whose bag holds each word, and of those that say each
        # form (0.3 MB): a new word's covers are gathered from a few short lists instead of two
        # large sets of every intent, cold in place (some 25 us a word).
        bag_users: dict[str, list[int]] = {}
        said_users: dict[str, list[int]] = {}
        for position, profile in enumerate(profiles):
            for word in profile.bag:
                bag_users.setdefault(word, []).append(position)
            for form in profile.said:
                said_users.setdefault(form, []).append(position)
        self._bag_users = {word: tuple(users) for word, users in bag_users.items()}
        self._said_users = {form: tuple(users) for form, users in said_users.items()}

    def covers(self, term: str, forms: frozenset[str]) -> bytes:
        """`_covers` of the matcher's intents, from the users of the word and its forms."""
        covered = bytearray(len(self.intents))
        for position in self._bag_users.get(term, ()):
            covered[position] = 1
        for form in forms:
            for position in self._said_users.get(form, ()):
                covered[position] = 1
        return bytes(covered)


def _covers(profiles: Sequence[IntentProfile], term: str, forms: frozenset[str]) -> bytes:
    """For each profile in turn, 1 if it covers `term` (its bag holds the word, and so its
    keywords do, or it says one of the word's forms) and 0 if not: each candidate then reads
    its own byte, a small object every candidate of a question shares, instead of looking in two
    large sets of its own."""
    return bytes([term in profile.bag or not forms.isdisjoint(profile.said) for profile in profiles])


def _read_term(matcher: Matcher, matcher_reading: MatcherReading, term: str) -> _TermReading | None:
    """What `FeatureContext.of` reads of `term` (see `_TermReading`)."""
    index, lexicon = matcher.index, matcher.lexicon
    if term in lexicon.filler or term in lexicon.greetings:
        return None
    forms = frozenset(word_forms(term))
    numeric = term[:1].isdigit()
    countable = len(term) >= 3 and not numeric
    covers = matcher_reading.covers(term, forms)
    if term.startswith(SLOT_PREFIX):
        return forms, True, term[len(SLOT_PREFIX):], False, None, countable, False, covers
    # A word that only one intent uses points away from every other intent; short words,
    # numbers and slots are too generic to say so ("go", "50", a person).
    lettered = term.isalpha()
    owner = index.sole_user[term] if lettered and len(term) >= 4 and index.intents_using.get(term) == 1 else None
    return (forms, False, "", term not in index.idf and not numeric, owner, countable,
            lettered and matcher.semantic.has_vector(term), covers)


def answering(asked: Iterable[str]) -> frozenset[str]:
    """The kinds of answer (date, person, number …) that give a kind `asked` for: each asked
    kind and those that also answer it."""
    return frozenset(asked).union(*(_ALSO_ANSWERS.get(kind, ()) for kind in asked))


def gives_what_is_asked(gives: Iterable[str], asked: Iterable[str]) -> bool:
    """Whether an answer giving `gives` gives a kind `asked` for."""
    return not answering(asked).isdisjoint(gives)


@dataclass(slots=True)
class FeatureContext:
    """What depends only on the question, computed once for all its candidates. Not frozen: a
    frozen dataclass sets its two dozen fields one guarded call at a time, once a question,
    and nothing keeps a context past its question's ranking."""

    content: tuple[tuple[str, float, frozenset[str]], ...]  # (term, weight, its word forms)
    total: float
    unknown_share: float
    unknown_words: tuple[str, ...]
    top_weight: float  # the weight of a word only one intent uses: the scale of uncovered_rare
    evaluative: tuple[str, ...]  # words asking for a judgement
    names_party: bool  # the question names the CNRP
    outside_names: tuple[str, ...]  # parties and bodies the sources never mention ("funcinpec")
    rare: tuple[tuple[str, frozenset[str], str], ...]  # words only one intent uses: forms, that intent
    named_rows: tuple[tuple[str, str], ...]  # (kind, key) of each row it names, in order
    named_kinds: frozenset[str]
    rows_by_kind: dict[str, int]
    present_words: frozenset[str]
    unknown_years: tuple[str, ...]
    asked: Asked
    # The content words that have word vectors, in order, and how to find their vectors
    # (`SemanticIndex.query`): see `word_vectors`.
    vectored: tuple[str, ...]
    rows_of: Callable[[Sequence[str]], dict[str, np.ndarray]]
    # The content read once for every candidate, in its order (the sums of weights keep it):
    # (term, weight, forms, a slot's kind or "", whether a word may count as uncovered: three
    # letters or more, not a number, whether it has a word vector, and which intents cover it:
    # `_covers` of the index's profiles).
    reading: tuple[tuple[str, float, frozenset[str], str, bool, bool, bytes], ...] = ()
    organisations: tuple[str, ...] = ()  # the keys of the organisations it names
    # A question naming no person, place or organisation, about a body the sources never
    # name or an unknown word no English list knows: candidates about the CNRP's facts are
    # about someone else.
    strange: tuple[str, ...] = ()
    # What the rows read of each intent of the index, by position (`_IntentReading`).
    intents: tuple[_IntentReading, ...] = ()
    # The vectors of a set of uncovered words, gathered once a question: candidates that leave
    # the same words uncovered share them.
    gathered: dict[tuple[str, ...], np.ndarray] = field(default_factory=dict)
    _word_vectors: dict[str, np.ndarray] | None = field(default=None, init=False, compare=False, repr=False)

    @property
    def word_vectors(self) -> dict[str, np.ndarray]:
        """Content words that have word vectors, each with its vector (a matrix of one row), for
        the semantic feature. Found on first use: a candidate whose nearness is kept reads none,
        and on a question seen before no candidate needs them."""
        found = self._word_vectors
        if found is None:
            found = self._word_vectors = self.rows_of(self.vectored)
        return found

    def vectors_of(self, words: Sequence[str]) -> np.ndarray:
        """The vectors of words that have them, one row each, in the order given."""
        if len(words) == 1:
            return self.word_vectors[words[0]]  # as most candidates leave uncovered
        key = tuple(words)
        found = self.gathered.get(key)
        if found is None:
            found = self.gathered[key] = np.concatenate([self.word_vectors[w] for w in key])
        return found

    @classmethod
    def of(cls, matcher: Matcher, terms: Sequence[str], entities: Sequence[Entity],
           unknown_years: Sequence[str], asked: Asked, present_words: set[str],
           background: frozenset[str] = frozenset(), words: Sequence[str] | None = None) -> FeatureContext:
        """The question-level evidence, from the matcher's indexes. `words`: the question's
        words as typed (folded, not stemmed), where judgements are read; the terms otherwise."""
        index, lexicon = matcher.index, matcher.lexicon
        weights = index.query_weights(terms, background)
        matcher_reading = matcher.feature_reading
        known = matcher_reading.terms
        # One pass reads what each content word says, each list in the content's order.
        content: list[tuple[str, float, frozenset[str]]] = []
        reading: list[tuple[str, float, frozenset[str], str, bool, bool, bytes]] = []  # see `reading`
        unknown_words: list[str] = []  # words no intent uses (no slots, no numbers)
        rare: list[tuple[str, frozenset[str], str]] = []  # words only one intent uses, and that intent
        vectored_words: list[str] = []  # words that have a word vector
        # Summed by `sum` after the loop, not as it goes: since Python 3.12 `sum` compensates
        # its rounding, so a running total would differ from the plain reading by a last bit.
        content_weights: list[float] = []
        unknown_weights: list[float] = []
        for t, w in weights.items():
            try:
                term_reading = known[t]
            except KeyError:
                term_reading = _read_term(matcher, matcher_reading, t)
                if len(known) >= WORD_CACHE_SIZE:
                    known.clear()  # a bound on what a stream of new words can make it hold
                known[t] = term_reading
            if term_reading is None:
                continue
            forms, slotted, slot, unknown_word, owner, countable, vectored, covers = term_reading
            content.append((t, w, forms))
            reading.append((t, w, forms, slot, countable, vectored, covers))
            content_weights.append(w)
            if slotted:
                continue
            if unknown_word:
                unknown_words.append(t)
                unknown_weights.append(w)
            if vectored:
                vectored_words.append(t)
            if owner is not None:
                rare.append((t, forms, owner))
        named_rows: list[tuple[str, str]] = []
        rows: dict[str, set[str]] = {}
        for entity in entities:
            kind, key = entity.kind, entity.key
            named_rows.append((kind, key))
            rows.setdefault(kind, set()).add(key)
        if asked.types == _PERSON and content and all(t in _BODIES for t, _, _ in content):
            # "who are the CNRP?", "who is ASEAN?": who a body is asks what it is.
            asked = replace(asked, types=_DESCRIPTION)
        named_kinds = NAME_KINDS.intersection(rows) if rows else _NO_KINDS
        outside_names = () if lexicon.outside_names.isdisjoint(terms) else tuple(
            t for t in terms if t in lexicon.outside_names)
        unknown_words_kept = tuple(t for t in unknown_words if len(t) >= 3) if unknown_words else ()
        total = sum(content_weights)
        unknown_share = sum(unknown_weights) / total if total else 0.0
        evaluative = _judgements(terms if words is None else words, lexicon.evaluative)
        rows_by_kind = {kind: len(keys) for kind, keys in rows.items()} if rows else {}
        present = frozenset(present_words) if present_words else _NO_WORDS
        organisations = (tuple(key for kind, key in named_rows if kind == "organisation") if "organisation" in rows
                         else ())
        strange = () if named_kinds or not (unknown_words_kept or outside_names) else (
            *(w for w in unknown_words_kept if w not in vectored_words), *outside_names)
        # By place, in the fields' order: each keyword argument costs a search of the names.
        return cls(tuple(content), total, unknown_share, unknown_words_kept, index.top_idf, evaluative,
                   PARTY_TERM in terms, outside_names, tuple(rare), tuple(named_rows), named_kinds, rows_by_kind,
                   present, tuple(unknown_years), asked, tuple(vectored_words), matcher.semantic.query,
                   tuple(reading), organisations, strange, matcher_reading.intents)


# Near "right", these make it a side or a moment, not a judgement ("left or right", "right
# wing", "the far right", "right away", "on the right").
_RIGHT_AS_SIDE = frozenset({"left", "wing", "far", "centre", "center", "away", "now", "human"})
# Before "wise", what makes it a judgement ("was it wise", "not wise"); otherwise it is the
# "-wise" of "percentage-wise".
_JUDGED_BY = frozenset({"is", "was", "were", "are", "be", "been", "it", "that", "this", "so", "very", "too",
                        "not", "really", "quite"})


def _judgements(words: Sequence[str], judging: frozenset[str]) -> tuple[str, ...]:
    """The question's words that ask for a judgement, read as typed: a plural is a noun
    ("rights", "goods"), "right" beside left, wing or far is a side, "free and fair" describes
    elections, and "-wise" after a noun is no wisdom."""
    if judging.isdisjoint(words):
        return ()  # as most questions ask for none
    words = list(words)  # its slices are compared with lists
    found = []
    for i, word in enumerate(words):
        if word not in judging:
            continue
        before = words[i - 1] if i else ""
        after = words[i + 1] if i + 1 < len(words) else ""
        if word == "right" and (before == "the" or after in _RIGHT_AS_SIDE
                                or _RIGHT_AS_SIDE.intersection(words[max(0, i - 2):i])):
            continue
        if word == "fair" and words[max(0, i - 2):i] == ["free", "and"]:
            continue
        if word == "wise" and before not in _JUDGED_BY:
            continue
        found.append(word)
    return tuple(found)


# Column positions, bound once: the feature row is filled by index, not by name.
(_OVERLAP, _FUZZY, _EXACT, _CLASSIFIER, _CLASSIFIER_LEAD, _CLASSIFIER_NONE, _COVERAGE, _RELEVANCE,
 _SEMANTIC, _UNKNOWN, _UNKNOWN_WORD, _UNCOVERED_WORD, _UNCOVERED_RARE, _EVALUATIVE, _ENTITY_FIT,
 _ENTITY_MISSING, _COUNT_MISMATCH, _NAMES_OTHER, _ORG_UNRELATED, _OTHER_SUBJECT, _OUTSIDE_PARTY,
 _NAMES_UNRELATED, _TYPE_MATCH, _TYPE_MISMATCH, _OFF_TOPIC, _PRESENT, _UNKNOWN_YEAR, _MARGIN, _CHAT,
 _GAP) = (_COLUMN[name] for name in (
    "overlap", "fuzzy", "exact", "classifier", "classifier_lead", "classifier_none", "coverage", "relevance",
    "semantic", "unknown", "unknown_word", "uncovered_word", "uncovered_rare", "evaluative", "entity_fit",
    "entity_missing", "count_mismatch", "names_other", "org_unrelated", "other_subject", "outside_party",
    "names_unrelated", "type_match", "type_mismatch", "off_topic", "present", "unknown_year", "margin", "chat",
    "gap"))
_ANSWER_KIND, _GAP_KIND = ReplyKind.ANSWER, ReplyKind.GAP


def candidate_features(context: FeatureContext, profile: IntentProfile, overlap: float, fuzzy: float,
                       margin: float, nearness: Callable[[np.ndarray], Sequence[float]], answer_recall: float,
                       voted: float, voted_lead: float = 0.0, voted_none: float = 0.0,
                       exact: bool = False,
                       related: frozenset[str] = frozenset()) -> tuple[list[float], tuple[str, ...]]:
    """The feature row of one candidate (in FEATURE_NAMES order), and a note for each piece of
    evidence that fired: one candidate's `CandidateRows.row`, for a caller that scores one
    (`nearness(vectors)` is the intent's own). The profile is read as the one intent of an index
    of its own: its reading, and which words it covers."""
    alone = replace(context, intents=(_IntentReading(profile),), reading=tuple(
        (t, w, forms, slot, countable, vectored, _covers((profile,), t, forms))
        for t, w, forms, slot, countable, vectored, _ in context.reading))
    rows = CandidateRows(alone, lambda _position, words, vectors_of: nearness(vectors_of(words)), voted_none)
    return rows.row(profile, 0, overlap, fuzzy, margin, answer_recall, voted, voted_lead, exact, related)


# The nearness of an intent's words to some words (`SemanticIndex.nearness_of`): (the intent's
# position, the words, how to gather their vectors) → one value a word.
Nearness = Callable[[int, Sequence[str], Callable[[Sequence[str]], np.ndarray]], Sequence[float]]


class CandidateRows:
    """`candidate_features` for each candidate of one question, the fast way: the columns and
    notes that depend only on the question are worked out once here, and each candidate fills
    in only what its intent changes. Rows and notes equal `candidate_features`'s, bit for bit
    and word for word (tests/test_features.py checks every candidate of the labelled files);
    `candidate_features` stays the readable account of each feature."""

    __slots__ = (
        "_answering",
        "_asked",
        "_asked_text",
        "_judgement",
        "_nearness",
        "_outside",
        "_present",
        "_template",
        "_unknown_notes",
        "_year",
        "context",
    )

    def __init__(self, context: FeatureContext, nearness: Nearness,
                 voted_none: float) -> None:
        """`nearness(position, words, vectors_of)`: `SemanticIndex.nearness_of`, one call a
        candidate with uncovered words that have vectors."""
        self.context = context
        self._nearness = nearness
        template = [0.0] * len(FEATURE_NAMES)
        template[_CLASSIFIER_NONE] = voted_none
        template[_UNKNOWN] = unknown_share = context.unknown_share
        unknown_notes: list[str] = []
        if unknown_share >= 0.2:
            unknown_notes.append(f"{unknown_share:.0%} of its content words are unknown")
        if context.unknown_words:
            template[_UNKNOWN_WORD] = 1.0
            unknown_notes.append(f"uses {', '.join(context.unknown_words)}, which no intent uses")
        if context.unknown_years:
            template[_UNKNOWN_YEAR] = 1.0
        self._template = template
        self._unknown_notes = unknown_notes
        self._judgement = f"asks for a judgement ({', '.join(context.evaluative)})" if context.evaluative else ""
        self._outside = (f"names {', '.join(context.outside_names)}, which no source mentions"
                         if context.outside_names else "")
        self._asked = asked = context.asked.types
        # Worked out once a question: each candidate then only looks for one of its answer kinds.
        # Read only where something is asked (570 of the 1,984 labelled questions).
        self._answering = answering(asked) if asked else asked
        self._asked_text = '/'.join(sorted(asked)) if asked else ""
        self._present = f"asks about {'/'.join(sorted(context.present_words))}" if context.present_words else ""
        self._year = f"year {', '.join(context.unknown_years)} is in no source" if context.unknown_years else ""

    def row(self, profile: IntentProfile, position: int, overlap: float, fuzzy: float, margin: float,
            answer_recall: float, voted: float, voted_lead: float, exact: bool,
            related: frozenset[str]) -> tuple[list[float], tuple[str, ...]]:
        """What `candidate_features` gives for `profile`, the index's at `position`, read through
        the context (its intent's reading, and the words each intent covers) by that position."""
        context = self.context
        intent = context.intents[position]
        entity_kind = intent.entity_kind
        row = self._template.copy()
        notes: list[str] = []
        if exact:
            row[_EXACT] = 1.0
            notes.append("asks one of its phrasings word for word")
        row[_OVERLAP] = overlap
        row[_FUZZY] = fuzzy
        row[_CLASSIFIER] = voted
        row[_CLASSIFIER_LEAD] = voted_lead
        row[_MARGIN] = margin
        covered = 0.0
        uncovered: list[str] = []
        weights: list[float] = []  # of the uncovered words, in their order
        near: list[str] = []  # the uncovered words with word vectors, and their weights
        near_weights: list[float] = []
        for term, weight, _, slot, countable, vectored, covers in context.reading:
            if slot:
                # A slot's kind is never "", so it equals the entity kind only where there is one.
                if slot in intent.named or slot == entity_kind or term in intent.bag:
                    covered += weight
            elif covers[position]:
                covered += weight
            elif countable:
                uncovered.append(term)
                weights.append(weight)
                if vectored:
                    near.append(term)
                    near_weights.append(weight)
        total = context.total
        # The uncovered words' weights, each less its nearness: the weight of the rarest.
        discounted = weights
        if total:
            row[_COVERAGE] = covered / total
            row[_RELEVANCE] = answer_recall
            if near:
                closeness = self._nearness(position, near, context.vectors_of)
                if len(near) == 1:
                    # As most candidates leave one such word: `sum` of its one product is the
                    # product (the nearness is never negative), and its weight less its nearness
                    # is the one entry of `discounted` that changes.
                    nearness = closeness[0]
                    near_weight = near_weights[0]
                    row[_SEMANTIC] = value = (covered + near_weight * nearness) / total
                    if nearness > 0 and value:
                        notes.append(f"{near[0]} near this intent's words")
                    if len(uncovered) == 1:
                        discounted = [near_weight * (1.0 - nearness)]
                    else:
                        discounted = [w * (1.0 - nearness) if t == near[0] else w
                                      for t, w in zip(uncovered, weights, strict=True)]
                else:
                    # One pass: what they add (summed by `sum`, in the same order as
                    # `candidate_features`'s), which are close, and their weights less their nearness.
                    products: list[float] = []
                    close: list[str] = []
                    less: list[float] = []
                    # By place, as a zip(strict=True) costs a keyword call a candidate.
                    for i, c in enumerate(closeness):
                        w = near_weights[i]
                        products.append(w * c)
                        less.append(w * (1.0 - c))
                        if c > 0:
                            close.append(near[i])
                    row[_SEMANTIC] = value = (covered + sum(products)) / total
                    if close and value:
                        notes.append(f"{', '.join(close)} near this intent's words")
                    # In the order of the uncovered words, as `candidate_features` takes their maximum.
                    if len(near) == len(uncovered):
                        discounted = less
                    else:
                        close_to = dict(zip(near, closeness, strict=True))
                        discounted = [w * (1.0 - close_to.get(t, 0.0))
                                      for t, w in zip(uncovered, weights, strict=True)]
            else:
                row[_SEMANTIC] = covered / total
        if self._unknown_notes:
            notes += self._unknown_notes
        if uncovered:
            row[_UNCOVERED_WORD] = 1.0
            notes.append(f"says {', '.join(uncovered)}, which this intent never does")
            if total:
                # `min(1.0, share)` without the call: `min` keeps its first argument unless
                # the second is smaller.
                share = (discounted[0] if len(discounted) == 1 else max(discounted)) / context.top_weight
                row[_UNCOVERED_RARE] = share if share < 1.0 else 1.0
        if intent.judged and self._judgement:
            row[_EVALUATIVE] = 1.0
            notes.append(self._judgement)
        if entity_kind:
            present = context.rows_by_kind.get(entity_kind, 0)
            if present:
                row[_ENTITY_FIT] = 1.0
            else:
                row[_ENTITY_MISSING] = 1.0
                notes.append(f"needs a {entity_kind}")
            if entity_kind in NAME_KINDS and present and present != (entity_count := intent.entity_count):
                row[_COUNT_MISMATCH] = 1.0
                notes.append(f"takes {entity_count} {entity_kind}, the question names {present}")
        for kind_named, key in context.named_rows:
            named = intent.named.get(kind_named)
            if named and key not in named and kind_named != entity_kind:
                row[_NAMES_OTHER] = 1.0
                notes.append(f"names {key}, the intent is about {', '.join(sorted(named))}")
                break
        orgs = [key for key in context.organisations if key not in intent.organisations_named] \
            if context.organisations and entity_kind != "organisation" else None
        if orgs:
            row[_ORG_UNRELATED] = 1.0
            notes.append(f"names {', '.join(orgs)}, which the intent never mentions")
        if intent.about_facts and not context.names_party:
            strange = context.strange
            if orgs or strange:
                row[_OTHER_SUBJECT] = 1.0
                notes.append(f"asks about {', '.join(orgs or strange)}, not the CNRP")
            if self._outside:
                row[_OUTSIDE_PARTY] = 1.0
                notes.append(self._outside)
        if context.named_kinds:
            # Plain loops here and below: a comprehension is a function made and called (Python 3.11).
            stray: list[str] = []
            phrased = intent.phrased
            for named_kind in context.named_kinds:
                if named_kind not in phrased and named_kind != entity_kind:
                    stray.append(named_kind)
            if stray:
                row[_NAMES_UNRELATED] = 1.0
                notes.append(f"names a {', '.join(sorted(stray))} the intent never mentions")
        if intent.typed and self._asked:
            answers = intent.answers
            if not self._answering.isdisjoint(answers):
                row[_TYPE_MATCH] = 1.0
            else:
                row[_TYPE_MISMATCH] = 1.0
                notes.append(f"asks for a {self._asked_text}, the intent gives {'/'.join(answers)}")
        if context.rare:
            # A rare word is a countable word the reading above found uncovered or not.
            off_topic: list[str] = []
            for t, _, owner in context.rare:
                if t in uncovered and owner not in related:
                    off_topic.append(t)
            if off_topic:
                row[_OFF_TOPIC] = 1.0
                notes.append(f"says {', '.join(off_topic)}, which this intent never covers")
        if self._present and not intent.present_tense:
            row[_PRESENT] = 1.0
            notes.append(self._present)
        if self._year:
            notes.append(self._year)
        if (reply_column := intent.reply_column) >= 0:
            row[reply_column] = 1.0
        return row, tuple(notes)
