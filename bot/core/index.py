"""The phrasing index, built once per knowledge base: each intent's words, the weight of every
word (IDF over intents), and an inverted index (each word's postings: the phrasings that use
it, and those that vouch for it) that scores every phrasing against a question by adding up
the postings of the question's own words. Its size grows with the phrasings, not with
phrasings × vocabulary, and a question's cost with how often its words are used.

Names in phrasings are replaced by slot tokens (`zzperson`), so "when was X arrested" covers
every X; the entity evidence, not the words, then says whether X fits.
"""

from __future__ import annotations

import functools
import math
import operator
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from bot.core.config import DENSE_POSTING_SHARE, WORD_CACHE_SIZE, MatchConfig
from bot.core.entities import NAME_KINDS, EntityIndex
from bot.core.knowledge import KnowledgeBase
from bot.core.language import Lexicon
from bot.core.models import Entity, Intent
from bot.core.normalize import SynonymMap, phrase_tokens, slot_token, word_forms
from bot.core.records import record

YEAR = re.compile(r"^(1[89]\d\d|20\d\d)$")
# Words before a year that count on from it to today ("since 2018").
_COUNTING_FROM = frozenset({"since", "after", "from"})


def anchored_in_a_year(terms: Sequence[str]) -> bool:
    """Whether words name a year they speak of: "was he still in prison in 2018" asks about
    2018, not today; "since 2018" counts on from it, to today."""
    return any(YEAR.match(t) and (i == 0 or terms[i - 1] not in _COUNTING_FROM) for i, t in enumerate(terms))
NUMBER = re.compile(r"^\d+(\.\d+)?$")
_DIGIT = re.compile(r"\d")  # what every NUMBER holds
def _constant(value: float) -> np.ndarray:
    """A float32 constant of the F-beta as a read-only 0-d array: the float32 a Python float
    becomes in a float32 operation (the same floats), without converting a scalar each call."""
    constant = np.array(value, dtype=np.float32)
    constant.flags.writeable = False
    return constant


_SMALLEST_NORMAL = _constant(float(np.finfo(np.float32).tiny))
NUMBER_SLOT = slot_token("number")
_START = operator.attrgetter("start")  # an entity's first token
# A set of rows' words (each word's column in the block), their 0/1 present and explains
# matrices (uint8), and their lengths.
RowBlock = tuple[dict[int, int], np.ndarray, np.ndarray, np.ndarray]
# What the sums of every phrasing add for a known word (see PhrasingIndex._word_sum).
WordSum = tuple[float, float, np.ndarray, np.ndarray | None]


@record
class IntentTraits:
    """What an intent's computation reads from a question, told by the engine (matching
    does not import answer generation)."""

    reads_numbers: bool = False  # "top 5", "above 40%": numbers are parameters, not words
    reads_kinds: frozenset[str] = frozenset()  # other rows it reads ("was X a vice president")
    entity_count: int = 1  # rows of its entity kind it takes ("kandal vs takeo": 2)


@dataclass(slots=True)  # thousands of them, each without a dict of its own: 0.4 MB less
class Phrasing:
    text: str
    terms: frozenset[str] | tuple[str, ...]  # a set while the index is built, a sorted tuple after
    names: frozenset[tuple[str, str]]  # (kind, key) of the names it mentions
    weight: float = 1.0
    content: str = ""  # its weighted words as one string, for rapidfuzz

    def __reduce__(self) -> tuple[type[Phrasing], tuple[Any, ...]]:
        # Pickled (the engine cache) as a call with its fields. The default for a class with
        # slots stores a dict of slot names to values for each of the thousands of phrasings,
        # which reading the cached engine builds and then sets one by one: this way a start
        # reads the engine about a tenth faster, from a file some 130 KB smaller.
        return Phrasing, tuple(getattr(self, item.name) for item in fields(self))


@dataclass
class IntentProfile:
    intent: Intent
    traits: IntentTraits
    phrasings: list[Phrasing]
    keywords: frozenset[str]
    bag: frozenset[str] = frozenset()  # every word of its phrasings and keywords
    said: frozenset[str] = frozenset()  # word forms its reply or its table's rows contain
    answer_words: frozenset[str] = frozenset()  # word forms of its own reply text (no rows)
    named: dict[str, frozenset[str]] = field(default_factory=dict)  # kind -> keys it concerns
    phrased: dict[str, frozenset[str]] = field(default_factory=dict)  # named in its phrasings
    present_tense: bool = False  # some phrasing asks about now ("is it still active")


class PhrasingIndex:
    def __init__(self, kb: KnowledgeBase, config: MatchConfig, lexicon: Lexicon, synonyms: SynonymMap,
                 entities: EntityIndex, traits: Mapping[str, IntentTraits]) -> None:
        self.config = config
        self.lexicon = lexicon
        self.synonyms = synonyms
        self.entities = entities
        # Each kind's slot token, made once: every question's names are masked with them.
        kinds = {*NAME_KINDS, *(table.entity for table in kb.tables.values() if table.entity)}
        self._slot_tokens = {kind: slot_token(kind) for kind in kinds}
        self.known_years: set[str] = set()
        self.profiles = [self._profile(kb, intent, traits.get(intent.id, IntentTraits()))
                         for intent in kb.intents.values()]
        self.position = {profile.intent.id: i for i, profile in enumerate(self.profiles)}
        for table in kb.tables.values():
            for row in table.rows:
                for value in row.display.values():
                    self.known_years.update(re.findall(r"\b(?:1[89]|20)\d\d\b", value))
        for when in kb.event_dates.values():
            self.known_years.update(re.findall(r"\b(?:1[89]|20)\d\d\b", when))
        document_frequency: dict[str, int] = defaultdict(int)
        for profile in self.profiles:
            for term in profile.bag:
                document_frequency[term] += 1
        total = max(len(self.profiles), 1)
        self.idf = {t: math.log(1.0 + total / df) for t, df in document_frequency.items()}
        self.intents_using = dict(document_frequency)
        # The one intent that uses a word only one intent uses.
        self.sole_user = {term: profile.intent.id for profile in self.profiles for term in profile.bag
                          if document_frequency[term] == 1}
        self._unknown_weight = config.unknown_word_weight * math.log(1.0 + total)
        self._beta2 = config.recall_beta ** 2
        self._beta2_f32, self._one_plus_beta2_f32 = _constant(self._beta2), _constant(1 + self._beta2)
        # The weight of every word no message's length damps (the index's own words and filler):
        # one look-up a term tells both.
        self._undamped_weights = {t: self.weight(t) for t in (*self.idf, *lexicon.filler)}
        filler = lexicon.stopwords
        for profile in self.profiles:
            for phrasing in profile.phrasings:
                phrasing.weight = sum(self.weight(t) for t in phrasing.terms) or 1.0
                phrasing.content = " ".join(sorted(t for t in phrasing.terms if t not in filler))
        # The answers as a second index: a question about a detail a reply states ("what did
        # Mu Sochua say free elections could achieve") finds the reply by its words.
        self.answer_postings: dict[str, list[int]] = defaultdict(list)
        for position, profile in enumerate(self.profiles):
            for form in profile.answer_words:
                self.answer_postings[form].append(position)
        self.answer_idf = {t: math.log(1.0 + total / len(p)) for t, p in self.answer_postings.items()}
        self._reach: dict[str, tuple[float, tuple[int, ...]]] = {}
        self.frequency: dict[str, int] = defaultdict(int)
        for profile in self.profiles:
            for phrasing in profile.phrasings:
                for term in phrasing.terms:
                    self.frequency[term] += 1
        self._matrices()
        # From here on each phrasing's words are read only whole (is a question's words the
        # very words of its best phrasing?) or one by one: as a sorted tuple, some 100 bytes
        # where a set of eight words is 700 (1.4 MiB of a running bot's memory for the 4,104
        # phrasings). Everything the index derives from the sets was made from them above.
        for profile in self.profiles:
            for phrasing in profile.phrasings:
                phrasing.terms = tuple(sorted(phrasing.terms))
        self.phrasing_terms: list[frozenset[str] | tuple[str, ...]] = [
            p.terms for profile in self.profiles for p in profile.phrasings]

    # ------------------------------------------------------------ load time

    def terms(self, tokens: Sequence[str], entities: Sequence[Entity], mask_kinds: Set[str],
              mask_numbers: bool = False) -> list[str]:
        """Tokens with names as slots and synonyms mapped. For intents that compute with numbers
        ("above 40%", "top 5") a number is a value, not a word; elsewhere "45 countries" or
        "118 officials" are facts to match literally."""
        masked = ([NUMBER_SLOT if NUMBER.match(t) and not YEAR.match(t) else t for t in tokens] if mask_numbers
                  else list(tokens))
        if entities:
            slots = self._slot_tokens
            for entity in sorted(entities, key=_START, reverse=True):
                if (kind := entity.kind) in mask_kinds:
                    masked[entity.start : entity.end] = [slots.get(kind) or slot_token(kind)]
        return self.synonyms.apply(masked)

    def phrase_terms(self, text: str, mask_numbers: bool = False) -> tuple[list[str], list[Entity]]:
        tokens = phrase_tokens(text)
        found = self.entities.find(tokens, tokens, set())
        return self.terms(tokens, found, NAME_KINDS, mask_numbers), found

    def _profile(self, kb: KnowledgeBase, intent: Intent, traits: IntentTraits) -> IntentProfile:
        lexicon = self.lexicon
        named: dict[str, set[str]] = defaultdict(set)
        phrasings: list[Phrasing] = []
        for text in dict.fromkeys((intent.question, *intent.phrasings)):
            terms, found = self.phrase_terms(text, traits.reads_numbers)
            names = frozenset((e.kind, e.key) for e in found if e.kind in NAME_KINDS)
            for kind, key in names:
                named[kind].add(key)
            phrasings.append(Phrasing(text, frozenset(terms), names))
        # Whoever the answer speaks of is who the intent is about, phrased or not; but only
        # what its phrasings name is what questions to it are asked about.
        phrased = {kind: frozenset(keys) for kind, keys in named.items()}
        answer_tokens = phrase_tokens(re.sub(r"\{\w+(?:\[\w+\])?\}", " ", intent.answer))
        for entity in self.entities.find(answer_tokens, answer_tokens, set()):
            if entity.kind in NAME_KINDS:
                named[entity.kind].add(entity.key)
        # The publisher of a cited source speaks in every fact taken from it: "the letter the
        # CNRM praised" asks about the press release's letter, not about another party.
        for citation in intent.citations:
            source = kb.sources.get(citation.source)
            publisher_tokens = phrase_tokens(source.publisher) if source else []
            for entity in self.entities.find(publisher_tokens, publisher_tokens, set()):
                if entity.kind == "organisation":
                    named[entity.kind].add(entity.key)
        keywords: set[str] = set()
        topic_kinds = set(traits.reads_kinds)
        if intent.entity and intent.entity not in NAME_KINDS:
            topic_kinds.add(intent.entity)
        for kind in topic_kinds:
            # Words of the entity's aliases are on topic even when the question words them
            # around the alias ("minimum wage for civil servants", "was X a cofounder").
            keywords.update(self.entities.alias_terms(kind) - lexicon.stopwords)
        for keyword in intent.keywords:
            terms, _ = self.phrase_terms(keyword)
            keywords.update(t for t in terms if t not in lexicon.stopwords)
        # Years the sources speak of are those of the answers and the tables' rows, never those
        # of phrasings (a phrasing may ask about a year the sources lack: "who won in 2023").
        self.known_years.update(t for t in answer_tokens if YEAR.match(t))
        bag = set(keywords)
        for phrasing in phrasings:
            bag.update(phrasing.terms)
        return IntentProfile(
            intent=intent,
            traits=traits,
            phrasings=phrasings,
            keywords=frozenset(keywords),
            bag=frozenset(bag),
            said=self._said(kb, intent, answer_tokens),
            answer_words=frozenset(form for term in self.synonyms.apply(answer_tokens)
                                   if term not in lexicon.filler for form in word_forms(term)),
            named={k: frozenset(v) for k, v in named.items()},
            phrased=phrased,
            present_tense=any(any(t in lexicon.present_words for t in p.terms)
                              and not anchored_in_a_year(phrase_tokens(p.text)) for p in phrasings),
        )

    _row_words: dict[str, frozenset[str]]

    def _said(self, kb: KnowledgeBase, intent: Intent, answer_tokens: list[str]) -> frozenset[str]:
        """Every word form the intent's reply can contain: its answer, and for an intent about
        a table's rows ("what did the cnrp promise on rice"), every row of that table."""
        said = {form for term in self.synonyms.apply(answer_tokens) for form in word_forms(term)}
        if intent.entity:
            cache = self.__dict__.setdefault("_row_words", {})
            if intent.entity not in cache:
                tokens = [token for table in kb.entity_tables() if table.entity == intent.entity
                          for row in table.rows for value in row.display.values()
                          for token in phrase_tokens(value)]
                cache[intent.entity] = frozenset(
                    form for term in self.synonyms.apply(tokens) for form in word_forms(term))
            said |= cache[intent.entity]
        return frozenset(said)

    def _matrices(self) -> None:
        """Postings: for each word, the phrasings that use it (`present`) and those that vouch
        for it (`explains`: its own words and its intent's keywords). A question reads the
        postings of its own few words, so its cost follows how often they are used, not the
        number of phrasings × the vocabulary (dense matrices of that size took 67 MB here and
        1.2 GB at 8× the knowledge)."""
        profiles = self.profiles
        terms = sorted({t for profile in profiles for t in profile.bag})
        self.column = {t: i for i, t in enumerate(terms)}
        rows = [(position, p) for position, profile in enumerate(profiles) for p in profile.phrasings]
        self.phrasing_count = len(rows)
        present: list[list[int]] = [[] for _ in terms]
        explains: list[list[int]] = [[] for _ in terms]
        for row, (position, phrasing) in enumerate(rows):
            # A keyword vouches for a word of the question as a phrasing that uses it does.
            vouched = {self.column[term] for term in profiles[position].keywords}
            for term in phrasing.terms:
                present[self.column[term]].append(row)
                vouched.add(self.column[term])
            for column in vouched:
                explains[column].append(row)
        # One posting list per word over one column of both sums, the phrasings that use it and
        # then (shifted by the phrasing count) those that vouch for it: a question adds each
        # word's weight to both sums at once.
        self._postings = [np.array(p + [len(rows) + row for row in e], dtype=np.intp)
                          for p, e in zip(present, explains, strict=True)]
        # Everything a question's word adds to the sums, found by one look-up of the word.
        frequent = max(1, 2 * len(rows) // DENSE_POSTING_SHARE)
        self._word_sums = {term: self._word_sum(term, postings, 2 * len(rows), frequent)
                           for term, postings in zip(terms, self._postings, strict=True)}
        self._last_weights: tuple[tuple[tuple[str, ...], frozenset[str]], dict[str, float]] | None = None
        self._lengths = np.array([p.weight for _, p in rows], dtype=np.float32)
        self._dense: tuple[np.ndarray, np.ndarray] | None = None
        self.phrasing_text = [p.text for _, p in rows]
        self.phrasing_content = [p.content for _, p in rows]
        self.phrasing_terms = [p.terms for _, p in rows]
        self._owner = [position for position, _ in rows]  # each phrasing's intent
        owners = np.array([position for position, _ in rows])
        self.starts = np.searchsorted(owners, np.arange(len(profiles)))
        self.ends = np.append(self.starts[1:], len(rows))
        # The same as Python ints, for the shortlist's per-intent slices.
        self.bounds = list(zip(self.starts.tolist(), self.ends.tolist(), strict=True))
        # Each intent's rows, padded to the longest intent's count with its first row again:
        # `best_rows` gathers the scores of a shortlist's intents in one call (a padding place
        # repeats the first score, so it is never the first maximum).
        width = max((hi - lo for lo, hi in self.bounds), default=0)
        self._padded_rows = np.array([[*range(lo, hi), *[lo] * (width - (hi - lo))] for lo, hi in self.bounds],
                                     dtype=np.intp).reshape(len(self.bounds), width)
        self.names_kind: dict[str, np.ndarray] = {}
        self.names_key: dict[tuple[str, str], np.ndarray] = {}
        for row, (_, phrasing) in enumerate(rows):
            for kind, key in phrasing.names:
                self.names_kind.setdefault(kind, np.zeros(len(rows), dtype=bool))[row] = True
                self.names_key.setdefault((kind, key), np.zeros(len(rows), dtype=bool))[row] = True
        by_kind: dict[str, list[int]] = defaultdict(list)
        for row, (position, _) in enumerate(rows):
            slot = profiles[position].intent.entity
            if slot and slot not in NAME_KINDS:
                by_kind[slot].append(row)
        self.rows_by_topic_kind = {k: np.array(v) for k, v in by_kind.items()}
        self.slot_rows = {kind: np.array([profiles[position].intent.entity == kind for position, _ in rows])
                          for kind in NAME_KINDS}
        # What `scale_by_conflicts` reads, made with the index so that a cached engine carries
        # them: each name kind's factors for a row no phrasing names, and the phrasings that
        # name each row (a few each), which keep their scores.
        self._conflict_base = {kind: self._factors(kind, None) for kind in self.names_kind}
        self._naming_rows = {named: np.flatnonzero(rows_naming) for named, rows_naming in self.names_key.items()}
        self.numeric_rows = np.array([row for row, (position, _) in enumerate(rows)
                                      if profiles[position].traits.reads_numbers], dtype=int)
        # The fixed row sets' blocks (`_row_block`), made with the index so that a cached engine
        # carries them: made on first use instead, a fresh process's first questions that name
        # a topic kind or a number paid 3-20 ms a set (40 ms for all six sets of the knowledge).
        self._row_blocks = [(fixed, self._made_row_block(fixed))
                            for fixed in (*self.rows_by_topic_kind.values(), self.numeric_rows)]

    def reads_numbers_in(self, tokens: Sequence[str]) -> bool:
        """Whether the intents that read numbers read them in these tokens: some intent does, and
        a token is a number that is not a year ("top 5", "above 40")."""
        # Most questions hold no digit at all: one search of their text tells, for half the
        # cost of matching each token.
        return (len(self.numeric_rows) > 0 and _DIGIT.search(" ".join(tokens)) is not None
                and any(NUMBER.match(t) and not YEAR.match(t) for t in tokens))

    def conflict_factors(self, kind: str, key: str) -> np.ndarray | None:
        """For a named row of a name kind, what a question naming it scales each phrasing's score
        by: the conflict factor for a phrasing that names another row of its kind, the unnamed
        factor (people, places and organisations only) for one that names no one of its kind
        nor has a slot for one, 1 for the rest; None when no phrasing names that kind. As one
        float32 column (each factor the float32 the scores are multiplied by), made afresh:
        `scale_by_conflicts` scales by it without making it."""
        return self._factors(kind, self.names_key.get((kind, key)))

    def _factors(self, kind: str, naming: np.ndarray | None) -> np.ndarray | None:
        """`conflict_factors` for the phrasings `naming` (a 0/1 column; None: none) name."""
        named_kind = self.names_kind.get(kind)
        found: np.ndarray | None = None
        if named_kind is not None:
            other = named_kind if naming is None else named_kind & ~naming
            found = np.ones(len(named_kind), dtype=np.float32)
            found[other] = self.config.entity_conflict_factor
            if kind in NAME_KINDS:
                slots = self.slot_rows.get(kind)
                found[~named_kind if slots is None else ~named_kind & ~slots] = self.config.unnamed_phrasing_factor
        return found

    def scale_by_conflicts(self, scores: np.ndarray, kind: str, key: str) -> None:
        """`scores *= conflict_factors(kind, key)` (when there are factors), in place, the same
        floats: the rows' factors differ from those of a row no phrasing names (the kind's,
        kept with the index) only where a phrasing names this row, where they are 1, and a
        score times 1 is itself, so those scores are put back as they were. One column a kind
        instead of one a row named (a column of every phrasing each: 1.1 MiB for the 149 rows
        the labelled questions name), for a gather and a scatter of a few scores."""
        base = self._conflict_base.get(kind)
        if base is None:
            return
        naming = self._naming_rows.get((kind, key))
        if naming is None:
            scores *= base
            return
        kept = scores[naming]
        scores *= base
        scores[naming] = kept

    # ------------------------------------------------------------ per question

    @functools.cached_property
    def top_idf(self) -> float:
        """The weight of a word only one intent uses: the most a known word weighs."""
        return math.log(1.0 + max(len(self.profiles), 1))

    def weight(self, term: str) -> float:
        if term in self.lexicon.question_words:
            return self.config.question_word_weight
        if term in self.lexicon.stopwords or term in self.lexicon.greetings:
            return self.config.stopword_weight
        idf = self.idf.get(term)
        if idf is not None:
            return idf
        # An unknown word of two or three letters is more often chat noise ("im", "lol")
        # than the subject of an out-of-scope question.
        return self._unknown_weight * min(1.0, len(term) / 5)

    def query_weights(self, terms: Sequence[str], background: frozenset[str] = frozenset()) -> dict[str, float]:
        """Weights for one question: in a long, chatty message each unknown word says less
        about the topic than in a short question, and the words of the sentences around the
        question itself ("my aunt was a councillor in Prey Veng. What happened …?") less still."""
        key = (tuple(terms), background)
        last = self._last_weights
        if last is not None and last[0] == key:
            return last[1]  # a question's own terms are weighed for retrieval and for features
        undamped = self._undamped_weights
        # The factors of 1.0 that the full product would multiply by are left out: the same
        # floats, for a fraction of the cost.
        try:
            # Most questions (six in seven) hold only words no length damps: the message's
            # length is not needed. A repeated word keeps its first place, as in a dict of the
            # distinct words.
            weights = {t: undamped[t] for t in terms}
        except KeyError:
            unique = dict.fromkeys(terms)
            filler = self.lexicon.filler
            # The words that are not filler, counted by one set operation unless some are background.
            content = (len([t for t in unique if t not in filler and t not in background]) if background
                       else len(unique) - len(filler.intersection(unique)))
            damping = min(1.0, self.config.long_question_words / max(content, 1))
            weights = {t: self.weight(t) * damping if (weight := undamped.get(t)) is None else weight
                       for t in unique}
        if background:
            background_weight = self.config.background_weight
            for t in weights:
                if t in background:
                    weights[t] *= background_weight
        self._last_weights = (key, weights)  # one assignment: safe with several worker threads
        return weights

    def _word_sum(self, term: str, postings: np.ndarray, size: int, frequent: int) -> WordSum:
        """What `matches` adds for a known word: its weight where no length damps it (the
        weight most questions give it), that weight as the float32 the sums add (as a Python
        float, which numpy casts back without a change), its postings, and for the few words
        more than `frequent` phrasings use ("the", "cnrp") its 0/1 column over both sums already
        times that weight: adding such a column is cheaper than scattering into thousands of
        rows, or than scaling a 0/1 column first, and gives the same sums (the product a
        question's 0/1 column times its weight made)."""
        weight = self._undamped_weights[term]
        weight32: float = np.float32(weight).item()
        if len(postings) <= frequent:
            return weight, weight32, postings, None
        column = np.zeros(size, dtype=np.float32)
        column[postings] = 1.0
        return weight, weight32, postings, column * weight32

    def use_dense(self) -> None:
        """Score with phrasing × word matrices and one matrix product, as the index did before
        it had postings: the reference the equivalence test checks the postings against."""
        present = np.zeros((self.phrasing_count, len(self.column)), dtype=np.float32)
        explains = np.zeros_like(present)
        count = self.phrasing_count
        for column, postings in enumerate(self._postings):
            present[postings[postings < count], column] = 1.0
            explains[postings[postings >= count] - count, column] = 1.0
        self._dense = (np.asfortranarray(present), np.asfortranarray(explains))

    def _row_block(self, rows: np.ndarray) -> RowBlock:
        """For a set of rows (a topic kind's, the numeric ones): the words they use (each word's
        column in the block), their 0/1 present and explains matrices over those words, with a
        last all-zero column for every other word, and their lengths. The fixed sets' are made
        with the index, found by the set itself (a handful, compared by identity); any other
        set's are made when asked for."""
        for fixed, block in self._row_blocks:
            if fixed is rows:
                return block
        return self._made_row_block(rows)

    def _made_row_block(self, rows: np.ndarray) -> RowBlock:
        # A phrasing's own words are present; they and its intent's keywords vouch for a word.
        present_terms = [self.phrasing_terms[row] for row in rows.tolist()]
        explains_terms = [self.profiles[self._owner[row]].keywords.union(terms)
                          for row, terms in zip(rows.tolist(), present_terms, strict=True)]
        local: dict[int, int] = {}
        for terms in explains_terms:
            for term in sorted(terms):
                local.setdefault(self.column[term], len(local))
        # One byte a 0 or 1, where float32 took four (0.6 MiB of the fixed sets' blocks, which
        # a few thousand questions read whole): a product takes the question's columns and
        # makes them float32 first, the same matrix as before.
        blocks = []
        for rows_terms in (present_terms, explains_terms):
            block = np.zeros((len(rows), len(local) + 1), dtype=np.uint8)
            for i, terms in enumerate(rows_terms):
                block[i, [local[self.column[term]] for term in terms]] = 1
            blocks.append(block)
        return local, blocks[0], blocks[1], self._lengths[rows]

    def score_all(self, terms: Sequence[str], rows: np.ndarray | None = None,
                  background: frozenset[str] = frozenset()) -> np.ndarray:
        """F-beta of every phrasing (or of `rows`) against the question's terms, at once."""
        shared, recall, from_products = self.matches(terms, rows, background)
        return self.f_beta(shared, recall, rows, from_products)

    def matches(self, terms: Sequence[str], rows: np.ndarray | None = None,
                background: frozenset[str] = frozenset()) -> tuple[np.ndarray, np.ndarray, bool]:
        """For every phrasing (or each of `rows`): the weight of the question's words it uses and
        the share of the question's weight it explains (`f_beta`'s inputs), and whether a BLAS
        product summed them. A caller may put some rows' matches into every phrasing's (their
        F-beta is worked out element by element, so the same floats)."""
        weighted = self.query_weights(terms, background)
        total = sum(weighted.values()) or 1.0
        if rows is None and self._dense is None:
            # Summed word by word in float32, in the question's order: the sums the dense
            # reference's matrix product gives, but for a last float32 unit on a few
            # questions (its BLAS may pair the additions differently), which no answer feels.
            size = self.phrasing_count
            sums: np.ndarray | None = None
            word_sums = self._word_sums
            for term, weight in weighted.items():
                known = word_sums.get(term)
                if known is None:
                    continue
                undamped, weight32, postings, dense = known
                if weight != undamped and (given := np.float32(weight).item()) != weight32:
                    # A word around the question (its weight times the background weight, in
                    # one message in a hundred): its own float32, scattered, to the same sums.
                    weight32, dense = given, None
                if sums is None:
                    # The first known word's sums are its own (0 + w is w: every weight is
                    # positive): its column copied, or its weight put in its rows, with no
                    # additions.
                    if dense is not None:
                        sums = dense.copy()
                    else:
                        sums = np.zeros(2 * size, dtype=np.float32)
                        sums[postings] = weight32
                elif dense is not None:
                    sums += dense  # + 0 where the word is absent: the same sums
                else:
                    sums[postings] += weight32
            if sums is None:
                sums = np.zeros(2 * size, dtype=np.float32)  # an F-beta of 0 for every phrasing
            explained = sums[size:]
            # In place, in the sums' own array.
            return sums[:size], np.divide(explained, total, out=explained), False
        column_of = self.column
        columns: list[int] = []
        column_weights: list[float] = []
        for term, weight in weighted.items():
            column = column_of.get(term)
            if column is not None:
                columns.append(column)
                column_weights.append(weight)
        # float32 as the scores are summed; back to Python floats holding those float32 values,
        # which numpy casts back without a change.
        weights = np.array(column_weights, dtype=np.float32)
        size = self.phrasing_count if rows is None else len(rows)
        if not columns:
            nothing = np.zeros(2 * size, dtype=np.float32)  # an F-beta of 0 for every phrasing
            return nothing[:size], nothing[size:], False
        if self._dense is not None:
            pick = (slice(None), columns) if rows is None else np.ix_(rows, np.asarray(columns))
            # The same additions in the same order as the fast paths, so that no BLAS build
            # decides the last float32 unit: over every phrasing, word by word in the question's
            # order (as the postings sum); over a few rows, the same C-ordered product as
            # theirs. A BLAS product of the column-major matrix paired its additions otherwise
            # on some machines (AVX2 OpenBLAS kernels): a last unit on some fifty answers'
            # confidences, which the equivalence test rightly reported.
            with np.errstate(invalid="ignore"):  # see the small-rows product below
                if rows is None:
                    shared = _summed_by_column(self._dense[0][pick], weights)
                    explained = _summed_by_column(self._dense[1][pick], weights)
                else:
                    shared = np.ascontiguousarray(self._dense[0][pick]).dot(weights)
                    explained = np.ascontiguousarray(self._dense[1][pick]).dot(weights)
        else:
            # A few rows (every phrasing's are summed above): their small row-major matrix and
            # the same product as before (its sums run in another order, which the word-by-word
            # sum would not reproduce).
            assert rows is not None
            local, present, explains, _ = self._row_block(rows)
            # The same C-ordered rows × words matrices as built word by word before, so
            # the product gives the same floats.
            picked = [local.get(column, -1) for column in columns]
            # `dot`, the same BLAS product as `@` (the same floats), does not read the
            # floating-point flags after it as the `@` ufunc does: that one could report an
            # "invalid value" left there by an earlier operation, though its inputs are finite
            # 0/1s and weights (seen for a few of some 3,000 questions, never when asked alone),
            # and silencing it cost more than both products. The scores are checked for
            # finiteness (see `f_beta`).
            shared = present.take(picked, axis=1).astype(np.float32).dot(weights)
            explained = explains.take(picked, axis=1).astype(np.float32).dot(weights)
        return shared, np.divide(explained, total, out=explained), True

    def f_beta(self, shared: np.ndarray, recall: np.ndarray, rows: np.ndarray | None = None,
               from_products: bool = False) -> np.ndarray:
        """The F-beta of `matches` (of every phrasing, or of `rows`), worked out in `shared`'s
        array; `from_products`: some were summed by a BLAS product."""
        lengths = self._lengths if rows is None else self._row_block(rows)[3]
        # Every length is positive and the total too, so only a phrasing that shares no word
        # has a zero denominator (its precision and recall are 0). A positive one is at least
        # a word's weight over a phrasing's length or over the question's total weight (some
        # 1e-5 at the very least), far above the smallest normal float, which is added to every
        # denominator: the zeros become it and divide into the 0 they score, with no division
        # by zero to silence, and every other denominator is kept as it is (the smallest normal
        # is less than half the float32 spacing of any number above 2 ** -101). An addition,
        # not a maximum: the same floats, for a fifth of the cost.
        # In place, in the sums' own arrays: the same operations on the same floats, with no
        # temporary arrays (a product of two floats is the same either way round).
        precision = np.divide(shared, lengths, out=shared)
        denominator = np.multiply(self._beta2_f32, precision)
        denominator += recall
        denominator += _SMALLEST_NORMAL
        score: np.ndarray = np.multiply(precision, self._one_plus_beta2_f32, out=precision)
        score *= recall
        score /= denominator
        # A finite guard on the BLAS products' scores: a numerical hiccup must read as "no match",
        # never as one. Their sum (at most one a phrasing: no overflow) is finite if and only if
        # they all are: one call where most questions end. The postings' sums need none (1.4 of
        # their 20 µs): finite weights added, then divided by positive lengths, totals and
        # denominators of at least the smallest normal, stay finite.
        if from_products and not math.isfinite(np.add.reduce(score)):
            score[~np.isfinite(score)] = 0.0
        return score

    def best_per_intent(self, scores: np.ndarray) -> np.ndarray:
        """Each intent's best phrasing score. Scores are finite and never negative (nor -0.0), and
        such float32s are ordered as their bits read as int32s: the maximum of each run of those
        integers is the same float32, found in half the time of the float maximum (which checks
        for NaN at every element)."""
        best: np.ndarray = np.maximum.reduceat(scores.view(np.int32), self.starts).view(np.float32)
        return best

    def best_rows(self, scores: np.ndarray, positions: list[int]) -> list[int]:
        """The phrasing that speaks for each intent at `positions`: the first of its best, as
        `lo + scores[lo:hi].argmax()` finds it for each, by one gather and one argmax for all
        (two slices and an argmax a candidate cost three times as much)."""
        local: list[int] = scores.take(self._padded_rows.take(positions, axis=0)).argmax(axis=1).tolist()
        starts = self._starts
        return [starts[p] + local[i] for i, p in enumerate(positions)]

    @functools.cached_property
    def _starts(self) -> list[int]:
        return [lo for lo, _ in self.bounds]

    def answer_recall(self, content: Sequence[tuple[str, frozenset[str]]]) -> dict[int, float]:
        """For each intent whose reply uses a content word of the question: the IDF-weighted
        share of those words its reply uses."""
        weights = [self._answer_reach(term, forms) for term, forms in content]
        total = sum(w for w, _ in weights)
        recall: dict[int, float] = {}
        for weight, owners in weights:
            share = weight / total
            if not recall:
                # The first owners all at once, in their order: 0 + share is share.
                recall = dict.fromkeys(owners, share)
                continue
            for position in owners:
                recall[position] = recall.get(position, 0.0) + share
        return recall

    def _answer_reach(self, term: str, forms: frozenset[str]) -> tuple[float, tuple[int, ...]]:
        """A word's weight among the replies and the intents whose replies use it (in any of
        its forms): a property of the word alone, kept for the words asked most."""
        known = self._reach.get(term)
        if known is not None:
            return known
        owners: set[int] = set()
        weight = 0.0
        for form in forms:
            postings = self.answer_postings.get(form)
            if postings:
                owners.update(postings)
                weight = max(weight, self.answer_idf[form])
        # A word no reply uses still counts against every reply, at the rarest weight.
        # The owners in the order the set gives them: the reply's order among equal recalls.
        reach = (weight or self._rarest_answer_idf, tuple(owners))
        if len(self._reach) >= WORD_CACHE_SIZE:
            self._reach.clear()  # a bound on what a stream of new words can make it hold
        self._reach[term] = reach
        return reach

    @functools.cached_property
    def _rarest_answer_idf(self) -> float:
        return math.log(1.0 + max(len(self.profiles), 1))


def _summed_by_column(matrix: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """`matrix @ weights` in float32, its columns added one after another in the weights'
    order: the postings' order of additions, whatever the machine's BLAS."""
    total: np.ndarray = matrix[:, 0] * weights[0]
    for column in range(1, len(weights)):
        total += matrix[:, column] * weights[column]
    return total
