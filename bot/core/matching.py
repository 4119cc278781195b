"""Question → intents ranked by the probability that each one's reply answers it.

Per question: translate the Khmer the lexicon knows and tell the language (`language`); fold
and tokenise (`normalize`); correct misspelt words against the knowledge base's vocabulary
(`spelling`); recognise table rows (`entities`); put slot tokens in place of names and map
synonyms; read what the question asks for (`answertypes`). Then retrieval scores every
phrasing from the postings of the question's words (`index`), the best few intents get their features
(`features`), and one fitted model (`scoring`) turns each intent's features into a
probability. The engine decides on that probability; nothing here composes an answer.
"""

from __future__ import annotations

import functools
import itertools
import operator
import re
import struct
from collections.abc import Mapping, Sequence
from typing import NamedTuple

import numpy as np
from rapidfuzz import fuzz

from bot.core import enginecache, wordvectors
from bot.core.answertypes import NOTHING_ASKED, Asked, QuestionReader
from bot.core.classifier import NONE, IntentClassifier, QuestionFeatures
from bot.core.classifier import features as classifier_features
from bot.core.config import WORD_CACHE_SIZE, MatchConfig
from bot.core.entities import NAME_KINDS, EntityIndex
from bot.core.features import CandidateRows, FeatureContext, MatcherReading
from bot.core.index import NUMBER, YEAR, IntentTraits, PhrasingIndex, anchored_in_a_year
from bot.core.knowledge import KnowledgeBase
from bot.core.language import Reading, read
from bot.core.models import Entity, Intent
from bot.core.normalize import SLOT_PREFIX, SynonymMap, phrase_tokens, stem, stemmed_words, tokenize, words_and_stems
from bot.core.records import record
from bot.core.scoring import FEATURE_NAMES, ScoringModel
from bot.core.semantic import SemanticIndex
from bot.core.spelling import Speller


class ScoredIntent(NamedTuple):
    """One candidate intent of a question and what its probability rests on. A named tuple, not
    a frozen dataclass: every candidate of every question makes one, and a tuple is built in one
    call where a frozen dataclass sets each field through a guarded `object.__setattr__`. Change
    one with `_replace`."""

    intent: Intent
    score: float  # the probability that this intent's reply answers the question
    lexical: float  # word overlap with its best phrasing
    fuzzy: float
    best_phrasing: str
    notes: tuple[str, ...] = ()
    features: tuple[float, ...] = ()  # in FEATURE_NAMES order


@record
class Parsed:
    """A question read into the matcher's terms, before any intent is scored."""

    reading: Reading
    raw: tuple[str, ...]  # folded, stemmed tokens as typed
    tokens: tuple[str, ...]  # the same, misspellings corrected
    corrections: tuple[tuple[str, str], ...]
    entities: tuple[Entity, ...]
    terms: tuple[str, ...]  # names as slots, synonyms mapped
    asked: Asked
    background: frozenset[str]  # words only of the sentences around the question
    words: tuple[str, ...]  # folded as typed, not stemmed ("rights" is not "right")


# A candidate's fields as one tuple: what the named tuple's generated __new__ (a Python-level
# call taking each field by name) builds, with no call frame a candidate.
_scored_intent = functools.partial(tuple.__new__, ScoredIntent)
_by_score = operator.itemgetter(ScoredIntent._fields.index("score"))
# A candidate's features as native doubles, what the model's matrix holds: one call packs a
# row (array.fromlist parses each float through a format string).
_FEATURE_ROW = struct.Struct(f"{len(FEATURE_NAMES)}d")

# Immutable, so one instance serves as every analysis's default.
_NOTHING_READ = Reading("", "English", True)


@record
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
    asked: Asked = NOTHING_ASKED
    reading: Reading = _NOTHING_READ
    tokens: tuple[str, ...] = ()  # the normalised words with misspellings corrected


def _forms_of(token: str) -> list[str]:
    """What a word may be without an ending: "illegally" → illegal, "praising" → praise/prais."""
    forms: list[str] = []
    for suffix, replacement in (("ly", ""), ("ally", "al"), ("ing", "e"), ("ing", ""), ("ed", "e"), ("ed", ""),
                                ("ies", "y"), ("es", ""), ("er", ""), ("ment", "")):
        if token.endswith(suffix) and len(token) - len(suffix) >= 4:
            forms.append(token[: -len(suffix)] + replacement)
    return forms


_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
# Where a message may hold a second sentence (without it, _SENTENCE finds no break).
_SENTENCE_END = re.compile(r"[.!?]\s")
# Verbs that open a question of their own ("tell me about …", "list …").
ASKING_VERBS = frozenset({"tell", "give", "show", "explain", "list", "describe", "name", "summarise", "summarize"})


def _clip(text: str, limit: int) -> str:
    """The start of a long text, cut between words so no fragment reads as a word."""
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    return text[: cut if cut > 0 else limit]


class Matcher:
    def __init__(self, kb: KnowledgeBase, config: MatchConfig | None = None,
                 traits: Mapping[str, IntentTraits] | None = None, model: ScoringModel | None = None,
                 reference: bool = False) -> None:
        self.kb = kb
        self.reference = reference  # the straightforward computations, for equivalence tests
        self.config = config or MatchConfig()
        self.lexicon = kb.language
        self.model = model or kb.scoring
        self.synonyms = SynonymMap(kb.synonyms)
        self.entities = EntityIndex(kb, self.config)
        self.index = PhrasingIndex(kb, self.config, self.lexicon, self.synonyms, self.entities, traits or {})
        if reference:
            self.index.use_dense()
        # Two intents are near when either names the other as related: they answer much the
        # same question, so neither is the other's rival. Kept both ways round for one lookup.
        near: dict[str, set[str]] = {i.id: set(i.related) for i in kb.intents.values()}
        for intent in kb.intents.values():
            for other in intent.related:
                near.setdefault(other, set()).add(intent.id)
        # Both read by position in the index, as the ranking finds its candidates: each
        # intent's id, and the intents near it.
        self._intent_ids = [profile.intent.id for profile in self.index.profiles]
        self._near = [frozenset(near[intent_id]) for intent_id in self._intent_ids]
        self.reader = QuestionReader(self.lexicon)
        # The first words of "last year", "these days": a question without one has none of them.
        self._time_openers = frozenset(first for first, _ in self.lexicon.relative_times)
        self.classifier = kb.classifier
        self.semantic = SemanticIndex(self.index.profiles, wordvectors.load(), self.lexicon,
                                      self.config.semantic_floor)
        lexicon = self.lexicon
        vocabulary: set[str] = set(self.index.idf) | self.entities.tokens | lexicon.stopwords
        # Short variants are chat spellings ("wher", "wat"): matched as they are, never a
        # target for correcting another word ("wether" is not "wher").
        vocabulary |= lexicon.question_words | {t for t in self.synonyms.variant_tokens() if len(t) > 4}
        vocabulary |= self.synonyms.canonical_tokens()
        # Words of time are what they say: "week" is not a misspelt "weak".
        vocabulary |= lexicon.present_words | {word for pair in lexicon.relative_times for word in pair}
        for intent in kb.intents.values():
            for text in (intent.question, *intent.phrasings, *intent.keywords):
                vocabulary.update(phrase_tokens(text))
        # A comparative that asks for a computation is read as typed: "shorter or longer" is no
        # "short or longer". (Only comparatives: other computing words keep their usual forms.)
        vocabulary |= {word for phrases in kb.operations.words.values() for phrase in phrases for word in phrase
                       if word.endswith("er")}
        self.vocabulary = frozenset(vocabulary)
        # Filler words are no correction targets: "king" must not become "kind". A real English
        # word is no typo either ("salutations" is not a misspelt "sanitation"): the word-vector
        # table's vocabulary serves as the dictionary.
        self.english = wordvectors.SortedWords(stem(w) for w in wordvectors.load().words if w.isalpha())
        self.speller = Speller(vocabulary - lexicon.stopwords, self.index.frequency, self.config)
        # Unknown words and what `_fix` read each as; a plain dict, emptied when full.
        self._fixes: dict[str, str | None] = {}
        self.feature_reading = MatcherReading(self.index.profiles)

    @property
    def known_years(self) -> set[str]:
        return self.index.known_years

    def canonical_terms(self, text: str) -> list[str]:
        """A phrasing's words after synonyms, names kept: what makes two phrasings the same."""
        return self.synonyms.apply(phrase_tokens(text))

    def correct(self, token: str) -> str | None:
        return self.speller.correct(token)

    def parse(self, question: str) -> Parsed:
        """Everything the matcher reads from a question before it scores any intent."""
        clipped = _clip(question, self.config.max_question_chars)
        reading = read(clipped, self.lexicon)
        words, raw = words_and_stems(reading.text)
        corrections: list[tuple[str, str]] = []
        unknown: set[int] = set()
        vocabulary = self.vocabulary
        if vocabulary.issuperset(raw):  # most questions: every word known, none to correct
            tokens = raw
        else:
            tokens = []
            fixes = self._fixes
            for position, token in enumerate(raw):
                if token in vocabulary or token.isdigit():
                    tokens.append(token)
                    continue
                unknown.add(position)
                fixed = fixes[token] if token in fixes else self._fix(token)
                if fixed is not None:
                    corrections.append((token, fixed))
                tokens.append(fixed or token)
        entities = self.entities.find(tokens, raw, unknown)
        known_years = self.index.known_years  # looked up before the pattern: most questions name no year
        years = ([Entity("year", t, t, 1.0, i, i + 1) for i, t in enumerate(tokens)
                  if t in known_years and YEAR.match(t)] if not known_years.isdisjoint(tokens) else [])
        if years:  # find's entities come in order already
            entities += years
            entities.sort(key=lambda e: e.start)
        terms = self.index.terms(tokens, entities, NAME_KINDS)
        text = reading.text
        # One sentence, as most messages are, has no background: _background is not called.
        background = (self._background(text, terms) if "\n" in text or _SENTENCE_END.search(text)
                      else frozenset())
        typed = tuple(raw)
        return Parsed(reading, typed, typed if tokens is raw else tuple(tokens), tuple(corrections), tuple(entities),
                      tuple(terms), self.reader.read(text), background, tuple(words))

    def _fix(self, token: str) -> str | None:
        """The known word an unknown word stands for, or None, remembered per word: most unknown
        words of a question ("cnrp's", chat spellings) were seen before. A form of a known word
        ("illegally", "praising") is that word; a real English word is no typo ("salutations" is
        not a misspelt "sanitation"); anything else may be."""
        fixed = next((form for form in _forms_of(token) if form in self.vocabulary), None)
        if fixed is None:
            # Searched a block at a time with pread where the engine cache maps it (asked once).
            self.english.read_in_place(enginecache.file_region)
            if token not in self.english:
                fixed = self.speller.correct(token)
        if len(self._fixes) >= WORD_CACHE_SIZE:
            self._fixes.clear()
        self._fixes[token] = fixed
        return fixed

    def phrasing_features(self, text: str, reads_numbers: bool = False) -> list[str]:
        """A curated phrasing's classifier features (its {slots} and names as slot words)."""
        terms, found = self.index.phrase_terms(text, reads_numbers)
        kinds = {e.kind for e in found} | {t[len(SLOT_PREFIX):] for t in terms if t.startswith(SLOT_PREFIX)}
        asked = self.reader.read(text)
        types = set(asked.types) | ({"yesno"} if asked.yes_no else set())
        return classifier_features(terms, self.lexicon.stopwords, frozenset(), sorted(types), sorted(kinds))

    def classifier_features(self, parsed: Parsed) -> QuestionFeatures:
        types = parsed.asked.types
        return QuestionFeatures(parsed.terms, self.lexicon.stopwords, parsed.background,
                                sorted(types | {"yesno"} if parsed.asked.yes_no else types),
                                sorted({e.kind for e in parsed.entities}))

    def analyse(self, question: str, classifier: IntentClassifier | None = None,
                parsed: Parsed | None = None) -> Analysis:
        """The question read and its intents ranked; `classifier` stands in for the knowledge
        base's own (training scores questions with a classifier that never saw them); `parsed`
        is `parse(question)` when the caller has it already."""
        if parsed is None:
            parsed = self.parse(question)
        tokens, terms = parsed.tokens, parsed.terms
        # Years and numbers begin with a digit (what \d matches is a digit to isdigit too): most
        # questions have none, and no pattern is tried on their words.
        digits = [t for t in tokens if t[:1].isdigit()]
        known_years = self.known_years
        unknown_years = tuple([t for t in digits if YEAR.match(t) and t not in known_years]) if digits else ()
        ranked = self._rank(parsed, unknown_years, classifier or self.classifier)
        filler, idf = self.lexicon.filler, self.index.idf
        return Analysis(
            normalized=" ".join(parsed.raw),
            terms=terms,
            entities=parsed.entities,
            corrections=parsed.corrections,
            unknown_years=unknown_years,
            ranked=ranked,
            unknown_terms=tuple([t for t in terms if t not in filler and t not in idf]),
            numbers=tuple([float(t) for t in digits if NUMBER.match(t) and not YEAR.match(t)]) if digits else (),
            asked=parsed.asked,
            reading=parsed.reading,
            tokens=tokens,
        )

    def _asks(self, sentence: str) -> bool:
        """A sentence that asks: a question mark, or a question word, a yes/no opener or a
        request ("tell me …", "list …") at its start."""
        words = tokenize(sentence)
        lexicon = self.lexicon
        return sentence.rstrip().endswith("?") or (bool(words) and (
            words[0] in lexicon.question_words or words[0] in lexicon.yes_no_openers or words[0] in ASKING_VERBS))

    def split_focus(self, text: str) -> tuple[str, str] | None:
        """(the sentences around the question, the question) when a message sets the scene
        before or after asking ("I'm writing about Cambodian politics. When was …?"); None
        when every sentence asks or none does."""
        sentences = [s.strip() for s in _SENTENCE.split(text) if s.strip()]
        if len(sentences) < 2:
            return None
        asking = [self._asks(s) for s in sentences]
        if all(asking) or not any(asking):
            return None
        return (" ".join(s for s, a in zip(sentences, asking, strict=True) if not a),
                " ".join(s for s, a in zip(sentences, asking, strict=True) if a))

    def _background(self, text: str, terms: Sequence[str]) -> frozenset[str]:
        """Words only of the sentences around the question ("I'm writing about Cambodian
        politics. When was …?"): they tell what the asker is doing, not what is asked. `parse`
        calls it only for a text with a line break or a sentence's end before a space (without
        one, _SENTENCE finds no break)."""
        sentences = [s for s in _SENTENCE.split(text) if s.strip()]
        if len(sentences) < 2:
            return frozenset()
        focus = [s for s in sentences if self._asks(s)] or sentences[-1:]
        filler = self.lexicon.filler
        # Each sentence's words, read once: a sentence is looked at up to three times below.
        words = {s: stemmed_words(s) for s in sentences}
        if not any(t not in filler for s in focus for t in words[s]):
            # "Which ones?", "what is it?": a question of pointers alone asks about the sentence
            # just before it ("The letter asked them to watch certain attacks. Which ones?").
            first = sentences.index(focus[0])
            focus = sentences[max(0, first - 1):first] + focus
        if len(focus) == len(sentences):
            return frozenset()
        focus_words = {t for s in focus for t in words[s]}
        around = {t for s in sentences if s not in focus for t in words[s]} - focus_words
        # Compared as the matcher's terms: a word of the background keeps its synonym's form.
        mapped = set(self.synonyms.apply(sorted(around)))
        return frozenset(t for t in terms if t in around or t in mapped)

    def _retrieve(self, tokens: Sequence[str], entities: Sequence[Entity],
                  base_terms: Sequence[str], background: frozenset[str]) -> np.ndarray:
        """Every phrasing's word overlap with the question, with the phrasing-level evidence
        that picks which phrasing of an intent speaks for it."""
        index = self.index
        # Intents about a topic row read the question with that row as a slot.
        topics = [(rows, index.matches(index.terms(tokens, entities, NAME_KINDS | {kind}), rows, background))
                  for kind in {e.kind for e in entities} - NAME_KINDS
                  if (rows := index.rows_by_topic_kind.get(kind)) is not None]
        numeric = (index.score_all(index.terms(tokens, entities, NAME_KINDS, mask_numbers=True), index.numeric_rows,
                                   background) if index.reads_numbers_in(tokens) else None)
        # The question's own words last: the index keeps the last words' weights, which the
        # features weigh them by next.
        shared, recall, from_products = index.matches(base_terms, background=background)
        # The topic rows' matches in place of theirs, and one F-beta for all: the same floats as
        # each set's own, for one set of calls.
        for rows, (topic_shared, topic_recall, _) in topics:
            shared[rows] = topic_shared
            recall[rows] = topic_recall
        scores = index.f_beta(shared, recall, from_products=from_products or bool(topics))
        for entity in entities:
            # A phrasing that names someone else speaks less for the question; one that names
            # no one of a name kind, nor has a slot for one, was not written for such questions.
            index.scale_by_conflicts(scores, entity.kind, entity.key)
        if numeric is not None:
            scores[index.numeric_rows] = numeric
        return scores

    def _rank(self, parsed: Parsed, unknown_years: Sequence[str],
              classifier: IntentClassifier | None) -> tuple[ScoredIntent, ...]:
        if not parsed.terms:
            # Nothing was said: a classifier given no words still votes its priors, and those
            # are no evidence for any intent.
            return ()
        index = self.index
        tokens, entities, base_terms = parsed.tokens, parsed.entities, parsed.terms
        asked, background = parsed.asked, parsed.background
        scores = self._retrieve(tokens, entities, base_terms, background)
        best = index.best_per_intent(scores)
        context = FeatureContext.of(self, base_terms, entities, unknown_years, asked,
                                    present_words=self._present_words(base_terms), background=background,
                                    words=parsed.words)
        recall = index.answer_recall([(t, forms) for t, _, forms in context.content
                                      if not t.startswith(SLOT_PREFIX)])
        best_of = best.tolist()
        # The ndarray methods: what np.argsort calls, minus its Python-level wrapper.
        order = [p for p in (-best).argsort()[: self.config.shortlist].tolist() if best_of[p] > 0.0]
        # Replies that state what the question asks about join the shortlist, however their
        # phrasings word it.
        # The highest recall first; a stable sort keeps equal recalls in the order of `recall`,
        # reversed or not.
        by_answer = sorted([p for p, r in recall.items() if r >= self.config.answer_recall_floor],
                           key=recall.__getitem__, reverse=True)
        order += [p for p in by_answer[: self.config.answer_shortlist] if p not in order]
        # The classifier's vote for each class, in the order of its classes, as Python floats
        # (the float32 values of its softmax).
        shares = classifier.shares(self.classifier_features(parsed)) if classifier else np.zeros(0, np.float32)
        classes = classifier.classes if classifier else ()
        votes: list[float] = shares.tolist()
        class_index = classifier.class_index if classifier else {}
        # An intent the classifier has no class for reads the vote past the last class, 0.0: one
        # look-up a vote, with no test and no call.
        unvoted = len(votes)
        votes.append(0.0)
        # Classes from the highest vote down, where each candidate looks for its rival. Equal votes
        # come in any order: both readers below take every vote above a floor, or the value of the
        # first that qualifies, so the plain ascending sort, reversed, serves.
        by_vote = shares.argsort()[::-1].tolist()
        # And those the classifier favours, however few words they share with the question: the
        # first of `by_vote`, compared as Python floats (float64), as the votes are read everywhere
        # else. Sorted by (vote, position), as which are found first does not matter.
        positions, floor = index.position, self.config.classifier_floor
        favoured: list[tuple[float, int]] = []
        for i in by_vote:
            if not votes[i] >= floor:
                break
            if (c := classes[i]) in positions:
                favoured.append((votes[i], positions[c]))
        favoured.sort(reverse=True)
        order += [position for p, position in favoured[: self.config.classifier_shortlist] if position not in order]
        if not order:
            return ()
        query_text = " ".join(sorted([t for t in base_terms if t not in self.lexicon.stopwords]))
        question_terms = tuple(sorted(set(base_terms)))  # as the index holds a phrasing's words
        none = votes[class_index.get(NONE, unvoted)]

        lexical = [best_of[p] for p in order]
        chosen = [index.profiles[p] for p in order]
        intents = [profile.intent for profile in chosen]
        ids = [self._intent_ids[p] for p in order]
        by_overlap = sorted(range(len(order)), key=lexical.__getitem__, reverse=True)
        # Each candidate's fields that need no other candidate's, one list a field (a
        # comprehension each, not an append a field a candidate).
        # The phrasing that speaks for an intent: the first of its best.
        best_rows = index.best_rows(scores, order)
        # Character-level similarity to the best phrasing catches what words miss (a split or
        # merged word, a typo too far for correction).
        # Both sides are already sorted words joined by single spaces, so the plain ratio is
        # rapidfuzz's token_sort_ratio without its splitting and sorting.
        ratio, content = fuzz.ratio, index.phrasing_content
        fuzzies = [ratio(query_text, content[row]) / 100.0 for row in best_rows]
        phrasing_terms = index.phrasing_terms
        candidate_row = CandidateRows(context, self.semantic.nearness_of, none).row
        near_of = self._near
        notes_of: list[tuple[str, ...]] = []
        rows: list[tuple[float, ...]] = []
        for rank, position in enumerate(order):
            # The lead over the best rival: an intent this one names as related answers much
            # the same question, so being close to it is no doubt. Plain loops, not generators:
            # the rival is nearly always among the first looked at.
            intent_id = ids[rank]
            near = near_of[position]
            overlap = lexical[rank]
            runner_up = 0.0
            for i in by_overlap:
                if i != rank and ids[i] not in near:
                    runner_up = lexical[i]
                    break
            mine = votes[class_index.get(intent_id, unvoted)]
            # The best vote for another intent, not counting those that answer much the same
            # question ("total votes in 2013": the election and the results total). Only the
            # vote is read, so the order among equal votes does not matter.
            rival = 0.0
            for i in by_vote:
                if (c := classes[i]) != NONE and c != intent_id and c not in near:
                    rival = votes[i]
                    break
            row, notes = candidate_row(chosen[rank], position, overlap, fuzzies[rank], overlap - runner_up,
                                       recall.get(position, 0.0), mine, mine - rival,
                                       question_terms == phrasing_terms[best_rows[rank]], near)
            notes_of.append(notes)
            rows.append(tuple(row))
        # The rows one after another, as native doubles: the model's matrix, with no list of
        # lists for numpy to walk. Packed from the tuples the results keep (a tuple is passed
        # to pack as it is, where a list is copied into one first).
        matrix = np.ndarray((len(order), len(FEATURE_NAMES)), np.float64,
                            b"".join(itertools.starmap(_FEATURE_ROW.pack, rows)))
        probabilities = self.model.probabilities(matrix).tolist()
        # The rows hold Python floats, which the matrix holds exactly: the values the model saw.
        results = list(map(_scored_intent, zip(intents, probabilities, lexical, fuzzies,
                                               map(index.phrasing_text.__getitem__, best_rows), notes_of,
                                               rows, strict=True)))
        results.sort(key=_by_score, reverse=True)
        return tuple(results)

    def _present_words(self, terms: Sequence[str]) -> set[str]:
        """The words that ask about the present ("now", "last year"). A question that names a
        year asks about then ("was he still in prison in 2018"), unless it counts from it
        ("since 2018", "after 2017")."""
        lexicon = self.lexicon
        found = {t for t in terms if t in lexicon.present_words}
        if not self._time_openers.isdisjoint(terms):
            for i, pair in enumerate(itertools.pairwise(terms)):
                if pair in lexicon.relative_times and (i == 0 or terms[i - 1] not in lexicon.time_owners):
                    found.add(" ".join(pair))
        # The year is looked for only in a question that asks about the present, as few do.
        if found and anchored_in_a_year(terms):
            return set()
        return found

    def feature_names(self) -> tuple[str, ...]:
        return FEATURE_NAMES

