"""Question → ranked intents, built once per knowledge base.

The pipeline per question: fold and tokenise; correct misspelt words against the knowledge
base's own vocabulary (rapidfuzz); recognise entities from the tables' aliases; put slot
tokens in place of names; map synonyms; then score intents. Scoring is two-stage so that a
question costs microseconds: an inverted index picks a shortlist of intents by the weight of
the words they share with the question, then every phrasing of the shortlist is scored in
full (a weighted word overlap in both directions, plus rapidfuzz's character-level
`token_sort_ratio`), and entity evidence adjusts the result.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from bot.core.compose import generator_for
from bot.core.config import MatchConfig
from bot.core.generators import GENERATORS
from bot.core.knowledge import KnowledgeBase
from bot.core.lexicon import (
    CONTENT_QUESTION_WORDS,
    GENERIC_QUESTION_WORDS,
    GREETINGS,
    QUESTION_WORDS,
    STOPWORDS,
)
from bot.core.models import Entity, Intent
from bot.core.normalize import SLOT_PREFIX, SynonymMap, phrase_tokens, slot_token, stem, tokenize

# Names are replaced by slot tokens everywhere, so "when was X arrested" generalises over X
# and the entity rules (not the words) decide whether X fits. Topic entities (a policy area,
# a platform point) stay as words: they are also ordinary vocabulary.
NAME_KINDS = frozenset({"constituency", "person", "organisation"})
_YEAR = re.compile(r"^(1[89]\d\d|20\d\d)$")
_NUMBER = re.compile(r"^\d+(\.\d+)?$")
NUMBER_SLOT = slot_token("number")
YES_NO_OPENERS = frozenset({"is", "was", "are", "were", "did", "does", "do", "has", "have", "had",
                            "can", "could", "will", "would", "should"})
PRESENT_WORDS = frozenset({"now", "today", "currently", "current", "nowadays", "presently",
                           "anymore", "tonight", "yesterday", "recently", "latest"})
# "last year" counts from today, unless it is someone's ("the party's last year", "its last year").
RELATIVE_TIMES = frozenset({("last", "year"), ("this", "year"), ("next", "year"), ("last", "week"),
                            ("this", "week"), ("last", "month"), ("this", "month"), ("these", "day")})
OWNERS = frozenset({"the", "its", "their", "his", "her", "cnrp", "party", "cnrm"})


def _present_words(terms: Sequence[str]) -> set[str]:
    """The words that ask about the present ("now", "last year")."""
    words = {t for t in terms if t in PRESENT_WORDS}
    for i, pair in enumerate(itertools.pairwise(terms)):
        if pair in RELATIVE_TIMES and (i == 0 or terms[i - 1] not in OWNERS):
            words.add(" ".join(pair))
    return words


@dataclass(frozen=True)
class ScoredIntent:
    intent: Intent
    score: float
    lexical: float
    fuzzy: float
    best_phrasing: str
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Analysis:
    """Everything the matcher learnt about one question."""

    normalized: str
    terms: tuple[str, ...]
    entities: tuple[Entity, ...]
    corrections: tuple[tuple[str, str], ...]
    unknown_years: tuple[str, ...]
    ranked: tuple[ScoredIntent, ...]
    unknown_terms: tuple[str, ...] = ()
    numbers: tuple[float, ...] = ()


@dataclass
class _Phrasing:
    text: str
    terms: frozenset[str]
    weight: float
    content: str  # the phrasing's weighted words as one string, for rapidfuzz
    names: frozenset[tuple[str, str]] = frozenset()  # (kind, key) of the names it mentions


@dataclass
class _IntentIndex:
    intent: Intent
    phrasings: list[_Phrasing]
    bag: frozenset[str]
    keywords: frozenset[str]
    question_words: frozenset[str] = frozenset()
    named: dict[str, frozenset[str]] = field(default_factory=dict)  # kind -> keys it names
    phrased: dict[str, frozenset[str]] = field(default_factory=dict)  # named in its phrasings
    numeric: bool = False  # its generator reads numbers from the question
    entity_count: int = 1  # how many rows of its entity kind it takes ("kandal vs takeo": 2)
    present_tense: bool = False  # some phrasing asks about now ("is it still active")
    said: frozenset[str] = frozenset()  # word forms its answer or its table's rows contain


def _forms(term: str) -> set[str]:
    """A word and what it may be with an ending dropped: "mandated" and "mandate" meet."""
    forms = {term}
    for suffix in ("ing", "ed", "d", "s", "e"):
        if term.endswith(suffix) and len(term) - len(suffix) >= 4:
            forms.add(term[: -len(suffix)])
    return forms


_VOWELS = frozenset("aeiouy")


def _vowel_swap(a: str, b: str) -> bool:
    """Whether two words of one length differ in a single vowel only."""
    differ = [(x, y) for x, y in zip(a, b, strict=True) if x != y]
    return len(differ) == 1 and differ[0][0] in _VOWELS and differ[0][1] in _VOWELS


def _clip(text: str, limit: int) -> str:
    """The start of a long text, cut between words so no fragment reads as a word."""
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    return text[: cut if cut > 0 else limit]


class EntityIndex:
    """Recognises table rows in token sequences: exact aliases first, then fuzzy names."""

    def __init__(self, kb: KnowledgeBase, config: MatchConfig) -> None:
        self._config = config
        self.exact: dict[tuple[str, ...], tuple[str, str]] = {}
        self.by_kind: dict[str, list[str]] = defaultdict(list)
        self._fuzzy_names: dict[int, list[str]] = defaultdict(list)
        self._fuzzy_target: dict[str, tuple[str, str]] = {}
        for table in kb.entity_tables():
            assert table.entity and table.key
            seen: set[str] = set()
            for row in table.rows:
                key = str(row.values[table.key])
                names = [key, *(row.values[table.aliases] if table.aliases else ())]
                if key not in seen:
                    self.by_kind[table.entity].append(key)
                    seen.add(key)
                for name in names:
                    tokens = tuple(stem(t) for t in tokenize(name))
                    if not tokens:
                        continue
                    self.exact.setdefault(tokens, (table.entity, key))
                    joined = " ".join(tokens)
                    if table.entity in NAME_KINDS and len(joined) >= 5:
                        self._fuzzy_names[len(tokens)].append(joined)
                        self._fuzzy_target.setdefault(joined, (table.entity, key))
        self._sizes_by_first: dict[str, set[int]] = defaultdict(set)
        for alias in self.exact:
            self._sizes_by_first[alias[0]].add(len(alias))
        self._name_tokens = {t for key, (kind, _) in self.exact.items() if kind in NAME_KINDS
                             for t in key if len(t) >= 4 and t not in STOPWORDS}
        # Topic aliases by their content words, for questions that word them differently
        # ("minimum wage workers" for "minimum wage for workers").
        self._topic_aliases: dict[str, list[tuple[frozenset[str], str, str]]] = defaultdict(list)
        for alias, (kind, row_key) in self.exact.items():
            words = frozenset(t for t in alias if t not in STOPWORDS)
            if kind not in NAME_KINDS and len(words) >= 2:
                for word in words:  # found through any of its words
                    self._topic_aliases[word].append((words, kind, row_key))
        self._kind_terms: dict[str, set[str]] = defaultdict(set)
        for tokens, (kind, _) in self.exact.items():
            self._kind_terms[kind].update(tokens)
        self.tokens = {t for key in self.exact for t in key}

    def alias_terms(self, kind: str) -> frozenset[str]:
        return frozenset(self._kind_terms.get(kind, ()))

    def find(
        self, tokens: Sequence[str], raw: Sequence[str], unknown: set[int]
    ) -> list[Entity]:
        """Entities in `tokens` (corrected) — fuzzily only where `raw` had unknown words."""
        found: list[Entity] = []
        taken = [False] * len(tokens)
        # Every alias that starts at each position, then the longest first, left to right.
        spans = [(size, start) for start, token in enumerate(tokens)
                 for size in self._sizes_by_first.get(token, ())
                 if start + size <= len(tokens) and tuple(tokens[start:start + size]) in self.exact]
        for size, start in sorted(spans, key=lambda span: (-span[0], span[1])):
            if any(taken[start : start + size]):
                continue
            hit = self.exact[tuple(tokens[start : start + size])]
            exact_raw = tuple(raw[start : start + size]) == tuple(tokens[start : start + size])
            found.append(Entity(hit[0], hit[1], " ".join(raw[start : start + size]),
                                1.0 if exact_raw else 0.9, start, start + size))
            taken[start : start + size] = [True] * size
        for size in (3, 2, 1):
            candidates = self._fuzzy_names.get(size)
            if not candidates:
                continue
            for start in range(len(raw) - size + 1):
                span = range(start, start + size)
                # Misspelt names, and names that mix two spellings ("kompong chnang").
                if any(taken[i] for i in span) or not any(
                        i in unknown or raw[i] in self._name_tokens for i in span):
                    continue
                text = " ".join(raw[start : start + size])
                best = process.extractOne(text, candidates, scorer=fuzz.ratio,
                                          processor=None, score_cutoff=self._config.name_cutoff)
                if best is None:
                    continue
                kind, key = self._fuzzy_target[best[0]]
                found.append(Entity(kind, key, text, best[1] / 100.0, start, start + size))
                for i in span:
                    taken[i] = True
        found.extend(self._topic_partial(tokens, taken, {e.kind for e in found}))
        found.sort(key=lambda e: e.start)
        return found

    def _topic_partial(self, tokens: Sequence[str], taken: list[bool],
                       kinds_found: set[str]) -> list[Entity]:
        """Topic rows whose alias words all appear in the question, in any order."""
        free = {t: i for i, t in enumerate(tokens) if not taken[i]}
        best: dict[str, tuple[int, Entity]] = {}
        candidates = {alias for token in free for alias in self._topic_aliases.get(token, ())}
        for words, kind, key in sorted(candidates, key=lambda a: (a[1], a[2], sorted(a[0]))):
            if kind in kinds_found or not words <= free.keys():
                continue
            positions = sorted(free[w] for w in words)
            entity = Entity(kind, key, " ".join(tokens[p] for p in positions), 0.85,
                            positions[0], positions[-1] + 1)
            if kind not in best or len(words) > best[kind][0]:
                best[kind] = (len(words), entity)
        return [entity for _, entity in best.values()]


class Matcher:
    def __init__(self, kb: KnowledgeBase, config: MatchConfig | None = None) -> None:
        self.kb = kb
        self.config = config or MatchConfig()
        self.synonyms = SynonymMap(kb.synonyms)
        self.entities = EntityIndex(kb, self.config)
        self._correction_cache: dict[str, str | None] = {}
        self.known_years: set[str] = set()
        self._build(kb.intents.values())

    # ------------------------------------------------------------ load-time indexing

    def canonical_terms(self, text: str) -> list[str]:
        """A phrasing's words after synonyms, names kept: what makes two phrasings the same."""
        tokens = phrase_tokens(text)
        return self.synonyms.apply(tokens)

    def _phrase_terms(self, text: str, mask_numbers: bool = False) -> tuple[list[str], list[Entity]]:
        tokens = phrase_tokens(text)
        entities = self.entities.find(tokens, tokens, set())
        return self._terms(tokens, entities, NAME_KINDS, mask_numbers), entities

    def _terms(
        self, tokens: Sequence[str], entities: Iterable[Entity], mask_kinds: Iterable[str],
        mask_numbers: bool = False,
    ) -> list[str]:
        # For intents that compute with numbers ("above 40%", "top 5") a number is a value, not
        # a word; elsewhere "45 countries" or "118 officials" are facts to match literally.
        masked = [NUMBER_SLOT if mask_numbers and _NUMBER.match(t) and not _YEAR.match(t) else t
                  for t in tokens]
        kinds = set(mask_kinds)
        # Replace from the right so earlier spans keep their positions.
        for entity in sorted(entities, key=lambda e: e.start, reverse=True):
            if entity.kind in kinds:
                masked[entity.start : entity.end] = [slot_token(entity.kind)]
        return self.synonyms.apply(masked)

    def _build(self, intents: Iterable[Intent]) -> None:
        indexes: list[_IntentIndex] = []
        row_words: dict[str, frozenset[str]] = {}  # entity kind -> its rows' word forms
        for intent in intents:
            generator = GENERATORS.get(generator_for(intent) or "")
            numeric = generator is not None and generator.reads_numbers
            named: dict[str, set[str]] = defaultdict(set)
            term_lists: list[tuple[str, list[str]]] = []
            phrasing_names: list[frozenset[tuple[str, str]]] = []
            for text in dict.fromkeys((intent.question, *intent.phrasings)):
                terms, found = self._phrase_terms(text, numeric)
                for entity in found:
                    if entity.kind in NAME_KINDS:
                        named[entity.kind].add(entity.key)
                term_lists.append((text, terms))
                phrasing_names.append(frozenset((e.kind, e.key) for e in found if e.kind in NAME_KINDS))
            # Whoever the answer speaks of is who the intent is about, phrased or not; but only
            # what its phrasings name is what questions to it are asked about.
            phrased = {kind: frozenset(keys) for kind, keys in named.items()}
            answer_tokens = phrase_tokens(re.sub(r"\{\w+\}", " ", intent.answer))
            for entity in self.entities.find(answer_tokens, answer_tokens, set()):
                if entity.kind in NAME_KINDS:
                    named[entity.kind].add(entity.key)
            keyword_terms: set[str] = set()  # stopwords never count as keywords
            topic_kinds = set(generator.reads_kinds) if generator else set()
            if intent.entity and intent.entity not in NAME_KINDS:
                topic_kinds.add(intent.entity)
            for kind in topic_kinds:
                # Words of the entity's aliases are on topic even when the question words them
                # around the alias ("minimum wage for civil servants", "was X a cofounder").
                keyword_terms.update(self.entities.alias_terms(kind) - STOPWORDS)
            for keyword in intent.keywords:
                terms, _ = self._phrase_terms(keyword)
                keyword_terms.update(t for t in terms if t not in STOPWORDS)
            for _, terms in term_lists + [(k, phrase_tokens(k)) for k in intent.keywords]:
                self.known_years.update(t for t in terms if _YEAR.match(t))
            indexes.append(_IntentIndex(
                intent=intent,
                phrasings=[_Phrasing(text, frozenset(terms), 0.0, "", names)
                           for (text, terms), names in zip(term_lists, phrasing_names, strict=True)],
                question_words=frozenset(t for _, terms in term_lists for t in terms
                                         if t in QUESTION_WORDS),
                numeric=numeric,
                entity_count=generator.entity_count if generator else 1,
                present_tense=any(t in PRESENT_WORDS for _, terms in term_lists for t in terms),
                bag=frozenset(),
                keywords=frozenset(keyword_terms),
                named={k: frozenset(v) for k, v in named.items()},
                phrased=phrased,
                said=self._said(intent, answer_tokens, row_words),
            ))
        for table in self.kb.tables.values():
            for row in table.rows:
                for value in row.display.values():
                    self.known_years.update(re.findall(r"\b(?:1[89]|20)\d\d\b", value))
        for index in indexes:
            bag: set[str] = set(index.keywords)
            for phrasing in index.phrasings:
                bag.update(phrasing.terms)
            index.bag = frozenset(bag)
        document_frequency: dict[str, int] = defaultdict(int)
        for index in indexes:
            for term in index.bag:
                document_frequency[term] += 1
        total = max(len(indexes), 1)
        self._idf = {t: math.log(1.0 + total / df) for t, df in document_frequency.items()}
        self._unknown_weight = self.config.unknown_word_weight * math.log(1.0 + total)
        for index in indexes:
            for phrasing in index.phrasings:
                phrasing.weight = sum(self.weight(t) for t in phrasing.terms) or 1.0
                phrasing.content = " ".join(sorted(t for t in phrasing.terms if t not in STOPWORDS))
        self._indexes = indexes
        self._index_matrices(indexes)
        vocabulary: set[str] = set(document_frequency) | self.entities.tokens | STOPWORDS
        # Short variants are chat spellings ("wher", "wat"): matched as they are, never a
        # target for correcting another word ("wether" is not "wher").
        vocabulary |= QUESTION_WORDS | {t for t in self.synonyms.variant_tokens() if len(t) > 4}
        vocabulary |= self.synonyms.canonical_tokens()
        # Words of time are what they say: "week" is not a misspelt "weak".
        vocabulary |= PRESENT_WORDS | {word for pair in RELATIVE_TIMES for word in pair}
        for index in indexes:
            for text in (index.intent.question, *index.intent.phrasings, *index.intent.keywords):
                vocabulary.update(phrase_tokens(text))
        self.vocabulary = frozenset(vocabulary)
        frequency: dict[str, int] = defaultdict(int)
        for index in indexes:
            for phrasing in index.phrasings:
                for term in phrasing.terms:
                    frequency[term] += 1
        # Filler words are no correction targets: "king" must not become "kind".
        self._vocabulary_list = sorted((t for t in vocabulary - STOPWORDS
                                        if len(t) >= 3 and t.isalpha()),
                                       key=lambda t: (-frequency.get(t, 0), t))
        self._vocabulary_by_initial: dict[str, list[str]] = defaultdict(list)
        for term in self._vocabulary_list:
            self._vocabulary_by_initial[term[0]].append(term)

    def _said(self, intent: Intent, answer_tokens: list[str],
              row_words: dict[str, frozenset[str]]) -> frozenset[str]:
        """Every word form the intent's reply can contain: its answer, and for an intent about
        a table's rows ("what did the cnrp promise on rice"), every row of that table (computed
        once per entity kind in `row_words`)."""
        said = {form for term in self.synonyms.apply(answer_tokens) for form in _forms(term)}
        if intent.entity:
            if intent.entity not in row_words:
                tokens = [token for table in self.kb.entity_tables() if table.entity == intent.entity
                          for row in table.rows for value in row.display.values()
                          for token in phrase_tokens(value)]
                row_words[intent.entity] = frozenset(
                    form for term in self.synonyms.apply(tokens) for form in _forms(term))
            said |= row_words[intent.entity]
        return frozenset(said)

    # ------------------------------------------------------------ per question

    def _rare_words(self, terms: Sequence[str]) -> list[tuple[str, set[str]]]:
        """The question's words that only one intent uses, with their forms: any of them an
        intent never uses points away from it. Short words, numbers and slots are too generic
        to say so ("go", "50", a person)."""
        return [(term, _forms(term)) for term in dict.fromkeys(terms)
                if self._idf.get(term, 0.0) >= self.config.off_topic_word_idf
                and len(term) >= 4 and term.isalpha() and not term.startswith(SLOT_PREFIX)
                and term not in STOPWORDS and term not in QUESTION_WORDS
                and term not in CONTENT_QUESTION_WORDS]

    def _index_matrices(self, indexes: list[_IntentIndex]) -> None:
        """Phrasing x term matrices, so one question scores every phrasing in one product."""
        terms = sorted({t for index in indexes for t in index.bag})
        self._column = {t: i for i, t in enumerate(terms)}
        phrasings = [(position, p) for position, index in enumerate(indexes) for p in index.phrasings]
        self._phrasing_count = len(phrasings)
        present = np.zeros((len(phrasings), len(terms)), dtype=np.float32)
        explains = np.zeros_like(present)
        for row, (position, phrasing) in enumerate(phrasings):
            for term in phrasing.terms:
                present[row, self._column[term]] = 1.0
            # A keyword vouches for a word less than a phrasing that uses it in a question.
            for term in indexes[position].keywords:
                explains[row, self._column[term]] = self.config.keyword_credit
            for term in phrasing.terms:
                explains[row, self._column[term]] = 1.0
        # Column-major: a question reads a handful of whole columns.
        self._present = np.asfortranarray(present)
        self._explains = np.asfortranarray(explains)
        self._lengths = np.array([p.weight for _, p in phrasings], dtype=np.float32)
        self._phrasing_text = [p.text for _, p in phrasings]
        self._phrasing_content = [p.content for _, p in phrasings]
        self._phrasing_question_words = [p.terms & QUESTION_WORDS for _, p in phrasings]
        self._phrasing_yes_no = [p.text.split(maxsplit=1)[0].casefold() in YES_NO_OPENERS if p.text.strip()
                                 else False for _, p in phrasings]
        # Which phrasings name someone (or somewhere) of each kind, and whom: a phrasing that
        # names another person than the question does fits it less.
        self._names_kind: dict[str, np.ndarray] = {}
        self._names_key: dict[tuple[str, str], np.ndarray] = {}
        for row, (_, phrasing) in enumerate(phrasings):
            for kind, key in phrasing.names:
                self._names_kind.setdefault(kind, np.zeros(len(phrasings), dtype=bool))[row] = True
                self._names_key.setdefault((kind, key), np.zeros(len(phrasings), dtype=bool))[row] = True
        owners = np.array([position for position, _ in phrasings])
        self._starts = np.searchsorted(owners, np.arange(len(indexes)))
        self._ends = np.append(self._starts[1:], len(phrasings))
        by_kind: dict[str, list[int]] = defaultdict(list)
        for row, (position, _) in enumerate(phrasings):
            slot = indexes[position].intent.entity
            if slot and slot not in NAME_KINDS:
                by_kind[slot].append(row)
        self._phrasings_by_kind = {k: np.array(v) for k, v in by_kind.items()}
        self._slot_rows = {kind: np.array([indexes[position].intent.entity == kind
                                           for position, _ in phrasings]) for kind in NAME_KINDS}
        self._numeric_rows = np.array([row for row, (position, _) in enumerate(phrasings)
                                       if indexes[position].numeric], dtype=int)

    def _query_weights(self, terms: Sequence[str]) -> dict[str, float]:
        """Weights for one question: in a long, chatty message each unknown word says less
        about the topic than in a short question."""
        unique = list(dict.fromkeys(terms))
        content = [t for t in unique if t not in STOPWORDS and t not in QUESTION_WORDS]
        damping = min(1.0, self.config.long_question_words / max(len(content), 1))
        return {t: self.weight(t) * (damping if t not in self._idf and t not in QUESTION_WORDS
                                     and t not in STOPWORDS else 1.0) for t in unique}

    def weight(self, term: str) -> float:
        if term in QUESTION_WORDS:
            return self.config.question_word_weight
        if term in STOPWORDS or term in GREETINGS:
            return self.config.stopword_weight
        idf = self._idf.get(term)
        if idf is not None:
            return idf
        # An unknown word of two or three letters is more often chat noise ("im", "lol")
        # than the subject of an out-of-scope question.
        return self._unknown_weight * min(1.0, len(term) / 5)

    def correct(self, token: str) -> str | None:
        """The vocabulary word a misspelt token most likely meant, or None."""
        if token in self._correction_cache:
            return self._correction_cache[token]
        result: str | None = None
        if len(token) >= 4 and token.isalpha() and token.isascii():
            cutoff = (self.config.typo_cutoff_short if len(token) == 4
                      else self.config.typo_cutoff_medium if len(token) == 5
                      else self.config.typo_cutoff_long)
            # Optimal string alignment counts a swap of two letters as one edit; a typo seldom
            # changes the first letter; among equals the more common word wins (list order).
            # InDel ratio forgives a wrong vowel pair ("medicle") that OSA counts twice.
            for pool, floor in ((self._vocabulary_by_initial.get(token[0], []), cutoff),
                                (self._vocabulary_list, cutoff + 10)):
                hits = [process.extractOne(token, pool, scorer=scorer, processor=None,
                                           score_cutoff=floor / scale - 1e-9)
                        for scorer, scale in ((OSA.normalized_similarity, 100), (fuzz.ratio, 1))]
                scored = [(hit[1] * (100 if i == 0 else 1), -i, hit[0])
                          for i, hit in enumerate(hits) if hit is not None]
                if scored:
                    candidate = max(scored)[2]
                    # A ratio forgives length: "capital" is not "capitalism". At most one edit
                    # for a short word, two for a longer one.
                    cap = 1 if len(token) <= 5 else 2
                    if OSA.distance(token, candidate) <= cap:
                        result = self._likeliest(token, candidate, pool)
                    break
        if len(self._correction_cache) > 50_000:  # bounded: questions are user input
            self._correction_cache.clear()
        self._correction_cache[token] = result
        return result

    def _likeliest(self, token: str, candidate: str, pool: list[str]) -> str:
        """Among equally near words, one with a wrong vowel ("seet": seat, not set) beats one
        with a letter more or less: people spell vowels by ear."""
        if len(candidate) == len(token):
            return candidate
        for word in pool:
            if len(word) == len(token) and _vowel_swap(token, word):
                return word
        return candidate

    def analyse(self, question: str) -> Analysis:
        raw = [stem(t) for t in tokenize(_clip(question, self.config.max_question_chars))]
        tokens: list[str] = []
        corrections: list[tuple[str, str]] = []
        unknown: set[int] = set()
        for position, token in enumerate(raw):
            if token in self.vocabulary or token.isdigit():
                tokens.append(token)
                continue
            unknown.add(position)
            fixed = self.correct(token)
            if fixed is not None:
                corrections.append((token, fixed))
            tokens.append(fixed or token)
        entities = self.entities.find(tokens, raw, unknown)
        entities += [Entity("year", t, t, 1.0, i, i + 1) for i, t in enumerate(tokens)
                     if _YEAR.match(t) and t in self.known_years]
        entities.sort(key=lambda e: e.start)
        unknown_years = tuple(t for t in tokens if _YEAR.match(t) and t not in self.known_years)
        base_terms = self._terms(tokens, entities, NAME_KINDS)
        ranked = self._rank(tokens, entities, base_terms, unknown_years)
        unknown_terms = tuple(
            t for t in base_terms if t not in STOPWORDS and t not in self._idf
            and t not in QUESTION_WORDS
        )
        return Analysis(
            normalized=" ".join(raw),
            terms=tuple(base_terms),
            entities=tuple(entities),
            corrections=tuple(corrections),
            unknown_years=unknown_years,
            ranked=ranked,
            unknown_terms=unknown_terms,
            numbers=tuple(float(t) for t in tokens if _NUMBER.match(t) and not _YEAR.match(t)),
        )

    def _rank(
        self,
        tokens: Sequence[str],
        entities: Sequence[Entity],
        base_terms: Sequence[str],
        unknown_years: Sequence[str],
    ) -> tuple[ScoredIntent, ...]:
        config = self.config
        found_kinds = {e.kind for e in entities}
        scores = self._score_all(base_terms)
        # Intents about a topic entity read the question with that entity as a slot.
        for kind in found_kinds - NAME_KINDS:
            rows = self._phrasings_by_kind.get(kind)
            if rows is None:
                continue
            variant = self._terms(tokens, entities, NAME_KINDS | {kind})
            scores[rows] = self._score_all(variant, rows)
        for entity in entities:
            named_kind = self._names_kind.get(entity.kind)
            if named_kind is None:
                continue
            other = named_kind & ~self._names_key.get((entity.kind, entity.key), False)
            scores = np.where(other, scores * config.entity_conflict_factor, scores)
            if entity.kind in NAME_KINDS:
                # A phrasing that names no one of this kind, nor has a slot for one, was not
                # written for questions about a particular person or party.
                silent = ~named_kind & ~self._slot_rows.get(entity.kind, False)
                scores = np.where(silent, scores * config.unnamed_phrasing_factor, scores)
        numbers = [t for t in tokens if _NUMBER.match(t) and not _YEAR.match(t)]
        if numbers and len(self._numeric_rows):
            rows = self._numeric_rows
            variant = self._terms(tokens, entities, NAME_KINDS, mask_numbers=True)
            scores[rows] = self._score_all(variant, rows)
        best = np.maximum.reduceat(scores, self._starts)
        order = np.argsort(-best)[: config.shortlist]
        query_words = {t for t in base_terms if t in QUESTION_WORDS} - GENERIC_QUESTION_WORDS
        present_words = _present_words(base_terms)
        named_kinds = {e.kind for e in entities if e.kind in NAME_KINDS}
        query_text = " ".join(sorted(t for t in base_terms if t not in STOPWORDS))
        rare_words = self._rare_words(base_terms)
        results: list[ScoredIntent] = []
        for position in order:
            lexical = float(best[position])
            if lexical <= 0.0:
                break
            index = self._indexes[position]
            intent = index.intent
            lo, hi = self._starts[position], self._ends[position]
            best_row = lo + int(np.argmax(scores[lo:hi]))
            # Character-level similarity to the best phrasing catches what words miss (a split
            # or merged word, a typo too far for correction).
            fuzzy_score = fuzz.token_sort_ratio(query_text, self._phrasing_content[best_row]) / 100.0
            score = (1 - config.fuzzy_weight) * lexical + config.fuzzy_weight * fuzzy_score
            notes: list[str] = []
            for entity in entities:
                named = index.named.get(entity.kind)
                if named and entity.key not in named and entity.kind != intent.entity:
                    score *= config.entity_conflict_factor
                    notes.append(f"names {entity.key}, the intent is about {', '.join(sorted(named))}")
                    break
            stray = named_kinds - set(index.phrased) - {intent.entity}
            if stray:
                score *= config.stray_entity_factor
                notes.append(f"names a {', '.join(sorted(stray))} the intent never mentions")
            phrasing_words = self._phrasing_question_words[best_row]
            # The best phrasing asks "when" (or, wordless, no phrasing asks "who"): the question
            # wants another kind of answer than this intent gives. what/which fit anything.
            specific = (phrasing_words if phrasing_words else index.question_words) - GENERIC_QUESTION_WORDS
            # A yes/no phrasing ("is kem sokha in prison") does not answer "when" or "where".
            yes_no = not phrasing_words and self._phrasing_yes_no[best_row]
            if query_words and (yes_no or (specific and not query_words & specific)):
                score *= config.question_word_factor
                notes.append(f"asks {'/'.join(sorted(query_words))}, its phrasing does not")
            if present_words and not index.present_tense:
                # The sources end in 2018: "today" or "now" asks what they cannot tell.
                score *= config.present_tense_factor
                notes.append(f"asks about {'/'.join(sorted(present_words))}")
            off_topic = [t for t, forms in rare_words if t not in index.bag and not forms & index.said]
            if off_topic:
                score *= config.off_topic_word_factor
                notes.append(f"says {', '.join(off_topic)}, which this intent never covers")
            if unknown_years:
                score *= config.unknown_year_factor
                notes.append(f"year {', '.join(unknown_years)} is in no source")
            if intent.entity and intent.entity not in found_kinds:
                notes.append(f"needs a {intent.entity}")
            if intent.entity in NAME_KINDS:
                wanted = index.entity_count
                present = len({e.key for e in entities if e.kind == intent.entity})
                if present and present != wanted:
                    # One place asked about, and the intent compares two (or the reverse).
                    score *= config.entity_count_factor
                    notes.append(f"takes {wanted} {intent.entity}, the question names {present}")
            results.append(ScoredIntent(intent, min(score, 1.0), lexical, fuzzy_score,
                                        self._phrasing_text[best_row], tuple(notes)))
        results.sort(key=lambda r: r.score, reverse=True)
        return tuple(results)

    def _score_all(
        self, terms: Sequence[str], rows: np.ndarray | None = None
    ) -> np.ndarray:
        """F-beta of every phrasing (or of `rows`) against the question's terms, at once."""
        weighted = self._query_weights(terms)
        columns = [self._column[t] for t in weighted if t in self._column]
        weights = np.array([w for t, w in weighted.items() if t in self._column], dtype=np.float32)
        total = sum(weighted.values()) or 1.0
        size = self._phrasing_count if rows is None else len(rows)
        if not columns:
            return np.zeros(size, dtype=np.float32)
        # Read only the question's columns (and rows): the matrices themselves are large.
        pick = (slice(None), columns) if rows is None else np.ix_(rows, np.asarray(columns))
        present = self._present[pick]
        explains = self._explains[pick]
        lengths = self._lengths if rows is None else self._lengths[rows]
        beta2 = self.config.recall_beta ** 2
        # A finite guard: a numerical hiccup must read as "no match", never as one.
        with np.errstate(all="ignore"):
            shared = present @ weights
            recall = (explains @ weights) / total
            precision = shared / lengths
            denominator = beta2 * precision + recall
            score = np.where(denominator > 0, (1 + beta2) * precision * recall / denominator, 0.0)
        score[~np.isfinite(score)] = 0.0
        return score.astype(np.float32)
