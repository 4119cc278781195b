"""The one API the adapters use: load once, then `ask()` as often as you like."""

from __future__ import annotations

import _thread
import math
import operator
import re
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz, process

from bot.core import enginecache
from bot.core.compose import Composed, compose, generator_for, number_citations
from bot.core.config import KnowledgeLimits, MatchConfig
from bot.core.context import Conversation, Turn
from bot.core.dialogue import (
    ANAPHORS,
    MAX_PARTS,
    deictic_kind,
    deictic_word,
    has_personal_pronoun,
    is_ellipsis,
    may_split,
    merge,
    name_the_pointed,
    replace_pronouns,
    split_questions,
    subject_person,
)
from bot.core.entities import NAME_KINDS
from bot.core.facts import FactGraph
from bot.core.features import gives_what_is_asked
from bot.core.followups import swap_rows, swap_words
from bot.core.generators import GENERATORS, Query
from bot.core.guard import clean_text
from bot.core.index import IntentTraits
from bot.core.knowledge import DEFAULT_ROOT, KnowledgeBase, KnowledgeError, Problem, Severity, load_knowledge
from bot.core.limits import check_folder
from bot.core.matching import ASKING_VERBS, Analysis, Matcher, Parsed, ScoredIntent
from bot.core.models import Answer, Candidate, CitationRef, Entity, Intent, ReplyKind
from bot.core.normalize import fold, lazy_pattern
from bot.core.programs import Operand, ProgramReader
from bot.core.programs import Reading as ProgramReading
from bot.core.records import record
from bot.core.scoring import FEATURE_NAMES

EMPTY_TEXT = ("Ask me anything about the Cambodia National Rescue Party: its leaders, "
              "policies, 2013 results, dissolution or the movement that followed.")
UNKNOWN_TEXT = "I don't know that: it isn't covered by my sources."
LANGUAGE_TEXT = ("I read questions in English, and simple ones in Khmer. Could you ask in English? "
                 "For example: \u201cWhen was the CNRP founded?\u201d")
KHMER_TEXT = ("I read only simple questions in Khmer, and this one I couldn't follow. "
              "Could you ask in English? \u179f\u17bc\u1798\u179f\u17bd\u179a\u1787\u17b6"
              "\u1797\u17b6\u179f\u17b6\u17a2\u1784\u17cb\u1782\u17d2\u179b\u17c1\u179f\u17d4 "
              "For example: \u201cWhen was the CNRP founded?\u201d")
AMBIGUOUS_TEXT = "I'm not sure which you mean. Did you mean one of these?"
WHO_TEXT = "Who do you mean? Name the person, e.g. \u201cwhen did Kem Sokha's term end?\u201d"
# Words by which a question picks from the last answer's list ("which of them", "anyone else").
_OF_A_LIST = frozenset({"them", "those", "these", "else"})
# A question ending on one of these may count the last answer's list ("how many is that").
_COUNT_BACK = frozenset({"that", "they", "there", "it", "all", "list"})
_POSSESSIVE_END = lazy_pattern(r"(?:'s|s')\W*$", re.IGNORECASE)
# Evidence that a question asks something its best intent does not cover: with any of it, the
# related intents' probabilities are not pooled with the best one's.
_DOUBTS = tuple(FEATURE_NAMES.index(name) for name in (
    "uncovered_word", "unknown_word", "evaluative", "names_other", "names_unrelated", "org_unrelated",
    "other_subject", "outside_party", "count_mismatch", "type_mismatch", "present", "unknown_year", "entity_missing"))
_doubts = operator.itemgetter(*_DOUBTS)
# What the sentences around a question may add that its answer leaves out: with any of it,
# the message is read whole.
_SCENE_DOUBTS = tuple(FEATURE_NAMES.index(name) for name in (
    "evaluative", "names_other", "names_unrelated", "org_unrelated", "other_subject", "outside_party", "present",
    "unknown_year"))
# Pointers a question on its own cannot resolve, which the scene before it may hold ("The
# letter came out in April. Who signed it?").
_SCENE_POINTERS = frozenset({"it", "its", "they", "them", "their", "theirs", "there", "this", "these", "those"})
# Content words a follow-up needs to read as a question of its own ("how many points did the
# platform have" has two; "and the weakest?" one).
_OWN_QUESTION_WORDS = 2
# "his organisation", "her group": a body named by whom it belongs to.
_THEIR_BODY = lazy_pattern(r"\b(?:his|her|their)\s+(?:organisation|organization|group|body|network|ngo)\b",
                         re.IGNORECASE)
# "it" and "its" as words, and how many organisations of the last answer "it" may stand for.
_IT = lazy_pattern(r"\b(?:it|its)\b", re.IGNORECASE)
_IT_CANDIDATES = 2


def _speaks_of(answer: Answer, rows: Sequence[Entity]) -> bool:
    """Whether an answer names every person, place and organisation a follow-up named: "what
    did Charles Santiago call the ruling?" is not answered by the last answer's figures."""
    return all(e.key in answer.text for e in rows if e.kind in NAME_KINDS)


def _name_it(text: str, name: str) -> str:
    """'what did it release' → 'what did APHR release'; 'its leader' → "APHR's leader"."""
    def swap(match: re.Match[str]) -> str:
        return f"{name}'s" if match.group(0).lower() == "its" else name

    return _IT().sub(swap, text)


# The parses of the message being answered, by text, on each thread: one message reads the same
# text more than once (a part's question again when the next part follows it up, a question
# after the scene around it, the scene again when the message is read whole). Made afresh by
# every `ask` and dropped when it returns, so nothing read for one message serves another.
# Beside them the message's analyses, for texts that differ only in what the ranking never
# reads (`_RANKED_FIELDS`).
# (`_thread`'s own class, which `threading.local` is: importing threading is some 1% of a start
# that answers one question on one thread.)
_CALL = _thread._local()

# What `Matcher.analyse` ranks a parse by: every field of it but those it only passes on to the
# analysis (the text as read, its words as typed, the corrections made). Two texts that parse
# alike in these ("who is kem sokha? 🤔" and its question without the emoji, the scene around
# it, which names nothing) are ranked alike, and the second ranking is not made again. A field
# added to `Parsed` counts unless it is listed here.
_PASSED_ON = frozenset({"reading", "raw", "corrections"})
_RANKED_FIELDS = tuple(f.name for f in fields(Parsed) if f.name not in _PASSED_ON)
_ranked_by = operator.attrgetter(*_RANKED_FIELDS)

# The conversation of a question asked without one: empty, and only ever read (`_resolve`
# remembers nothing), so one serves every such question.
_NO_TALK = Conversation()

# Rows an answer used that its question may have left to the conversation.
_CARRIED_KINDS = frozenset({"constituency", "person", "organisation", "election", "platform_point",
                            "policy_point", "committee"})
CLARIFY_TEXT = {
    "constituency": "Which constituency do you mean? Name one of the 24, e.g. Kandal or Takéo.",
    "person": "Who do you mean? Give me a name, e.g. Kem Sokha or Mu Sochua.",
    "platform_point": "Which platform point do you mean? e.g. pensions, wages or rice prices.",
    "policy_area": "Which policy area do you mean? e.g. economy, healthcare or agriculture.",
    "policy_point": "Which policy do you mean? e.g. same-sex marriage or student loans.",
    "organisation": "Which organisation do you mean?",
    "committee": "Which committee do you mean, the Executive or the Standing Committee?",
    "election": "Which election do you mean, the 2013 general election or the 2017 communal elections?",
}


# A computation is read only when its words and every operand are in the question: as sure
# as the reading of its rows, short of certain.
COMPUTED_CONFIDENCE = 0.9
# The first letter of a sentence ("the 2013 general election: …" opens an answer).
_SENTENCE_START = lazy_pattern(r"(?:^|(?<=[.;:!?] ))[a-z]")

# The small talk for a reaction no small-talk phrasing knows ("haha tiny").
REACTION_INTENT = "meta.ack"

# Intents whose replies come from the knowledge base's facts (rather than small talk): a
# question needs a word of content before one of them may answer it.
FACTUAL = frozenset({ReplyKind.ANSWER, ReplyKind.GAP})


@record
class Explanation:
    """An answer with how the matcher reached it (`Engine.explain`)."""

    question: str
    answer: Answer
    analysis: Analysis
    reason: str


def intent_traits(kb: KnowledgeBase) -> dict[str, IntentTraits]:
    """What each intent's computation reads from a question, for the matcher (which does not
    import answer generation)."""
    traits: dict[str, IntentTraits] = {}
    for intent in kb.intents.values():
        spec = GENERATORS.get(generator_for(intent) or "")
        if spec is not None:
            traits[intent.id] = IntentTraits(spec.reads_numbers, spec.reads_kinds, spec.entity_count)
    return traits


def _coarse_dates(kb: KnowledgeBase) -> dict[str, str]:
    """Intents whose prose answer dates its events only to the month or year: intent id → the
    dates it gives. A question asking for the exact day is not answered by them."""
    table = kb.tables.get("timeline")
    precise = {str(r["tag"]): r["date"].day is not None for r in (table.rows if table else ())}
    coarse: dict[str, str] = {}
    for intent in kb.intents.values():
        if intent.generator or intent.entity or "date" not in intent.answers:
            continue
        tags = re.findall(r"\{date\[(\w+)\]\}", intent.answer)
        if tags and not any(precise.get(tag, False) for tag in tags):
            coarse[intent.id] = ", ".join(dict.fromkeys(kb.event_dates.get(t, t) for t in tags))
    return coarse


# How many readings an answer shows as its candidates.
_SHOWN_CANDIDATES = 5


def _candidates(ranked: Sequence[ScoredIntent]) -> tuple[Candidate, ...]:
    """The first readings as an answer shows them."""
    return tuple([Candidate(r.intent.id, r.score, r.intent.question, r.lexical, r.fuzzy, r.best_phrasing, r.notes)
                  for r in ranked[:_SHOWN_CANDIDATES]])


class Engine:
    """A loaded, validated, indexed knowledge base that answers questions."""

    def __init__(self, kb: KnowledgeBase, config: MatchConfig | None = None,
                 warnings: tuple[Problem, ...] = (), reference: bool = False) -> None:
        self.kb = kb
        self.config = config or MatchConfig()
        # `reference`: every fast path off (the straightforward computations they replace),
        # for tests/test_equivalence.py to prove that they change no answer.
        self.reference = reference
        self.matcher = Matcher(kb, self.config, intent_traits(kb), reference=reference)
        self.lexicon = kb.language
        self.model = self.matcher.model
        self.threshold = self.config.threshold if self.config.threshold is not None else self.model.answer
        self._coarse_dates = _coarse_dates(kb)
        self.facts = FactGraph(kb)
        self.programs = ProgramReader(kb, self.facts)
        self.warnings = warnings
        self.loaded_at = time.time()
        self._examples = self._example_rows()
        self._static, self._row_replies = ({}, {}) if reference else self._static_replies()
        # The rows each of those replies names, read when a follow-up first needs them ("what did
        # she say?" reads the last answer's people): a reply is long, and reading it cost half a
        # ranking. Only for those replies, so it holds at most one entry each.
        self._fixed_texts = frozenset(c.text for c in (*self._static.values(), *self._row_replies.values()))
        self._rows_of_replies: dict[str, tuple[Entity, ...]] = {}
        # What a reply names as related, read once per intent: for pooling, the other intents
        # it names or that name it (either way they answer together); for suggesting, the
        # questions it names.
        named_by: dict[str, set[str]] = {}
        for intent in kb.intents.values():
            for related_id in intent.related:
                named_by.setdefault(related_id, set()).add(intent.id)
        self._pooled_with = {i.id: (frozenset(i.related) | named_by.get(i.id, set())) - {i.id}
                             for i in kb.intents.values()}
        self._related_questions = {
            i.id: tuple(kb.intents[r].question for r in i.related if r in kb.intents) for i in kb.intents.values()}
        # The openings that take a question back, joined once ("no i meant ").
        self._correction_openings = tuple(f"{' '.join(phrase)} " for phrase in self.lexicon.corrections)
        help_intent = kb.intents.get("meta.help")
        self._default_suggestions = tuple(
            kb.intents[i].question for i in (help_intent.related if help_intent else ())
            if i in kb.intents and kb.intents[i].kind is ReplyKind.ANSWER
        ) or tuple(i.question for i in list(kb.intents.values())[:3])

    @classmethod
    def load(cls, root: Path | None = None, config: MatchConfig | None = None,
             thorough: bool = False, reference: bool = False, cache: bool = False) -> Engine:
        """Load and validate knowledge/; raise KnowledgeError on any error (not on warnings).
        `thorough` adds the slower curator's checks (near-duplicate phrasings); `reference`
        turns every fast path off (tests only); `cache` reads the engine built last time from
        disk when neither the knowledge nor the code has changed, and stores it otherwise
        (`enginecache`: the adapters use it, an engine read is the engine built)."""
        key = None
        if cache and not thorough and not reference:
            key = cls._cache_key(root, config or MatchConfig())
            cached = enginecache.read(key) if key else None
            if isinstance(cached, Engine):
                cached.loaded_at = time.time()
                return cached
        engine = cls._build(root, config, thorough, reference)
        if key:
            enginecache.write(key, engine)
        if cache:
            # Out of the collector's sight as a read engine is: a full collection over a built
            # engine's objects cost an answer some 47 ms (0.7 ms over a frozen one), until the
            # next start read it from the cache.
            enginecache.settle()
        return engine

    @staticmethod
    def _cache_key(root: Path | None, config: MatchConfig) -> str | None:
        base = (root or DEFAULT_ROOT).resolve()
        # A folder past the size limits, or unreadable, is refused by the build with its own
        # message, before any file is read whole.
        if not base.is_dir() or check_folder(base, KnowledgeLimits()):
            return None
        try:
            return enginecache.cache_key(base, config)
        except OSError:
            return None

    @classmethod
    def _build(cls, root: Path | None, config: MatchConfig | None, thorough: bool, reference: bool) -> Engine:
        kb, problems = load_knowledge(root)
        if any(p.severity is Severity.ERROR for p in problems):
            raise KnowledgeError([p for p in problems if p.severity is Severity.ERROR])
        # Only a build checks the knowledge: a start that reads its engine never imports this.
        from bot.core.validate import check_knowledge

        engine = cls(kb, config, reference=reference)
        problems += check_knowledge(kb, engine.matcher, thorough)
        errors = [p for p in problems if p.severity is Severity.ERROR]
        if errors:
            raise KnowledgeError(errors)
        engine.warnings = tuple(problems)
        return engine

    # ------------------------------------------------------------ asking

    def ask(self, question: str, context: Conversation | None = None) -> Answer:
        """Answer a message. With a conversation, follow-ups resolve against its last answer
        and the answer is remembered. Never raises for any text a user can type."""
        text = clean_text(question, self.config.max_question_chars * MAX_PARTS)
        # `_one_message` written out: a generator's context manager cost 2% of a question
        # (five Python-level calls around the one that matters).
        outer = self._open_message()
        try:
            # Split only a message that may hold several (most are one question, asked as written).
            if may_split(text):
                parts = split_questions(text)
                if len(parts) > 1:
                    return self._ask_several(text, parts, context)
            return self._ask_one(text, context)
        finally:
            _CALL.parses, _CALL.analyses = outer

    def explain(self, question: str, context: Conversation | None = None) -> Explanation:
        text = clean_text(question, self.config.max_question_chars * MAX_PARTS)
        with self._one_message():
            analysis, answer = self._resolve(text, context)
        return Explanation(question, answer, analysis, self._reason(answer, analysis))

    @contextmanager
    def _one_message(self) -> Iterator[None]:
        """The parses and analyses of one message (see `_CALL`): made empty on entry (none for
        the reference engine, which parses and ranks afresh), and the caller's, if any, given
        back on exit."""
        outer = self._open_message()
        try:
            yield
        finally:
            _CALL.parses, _CALL.analyses = outer

    def _open_message(self) -> tuple[Any, Any]:
        """Opens a message's parses and analyses (see `_one_message`), and gives back the
        caller's, which the message's end restores."""
        outer = getattr(_CALL, "parses", None), getattr(_CALL, "analyses", None)
        _CALL.parses, _CALL.analyses = (None, None) if self.reference else ({}, [])
        return outer

    def _parse(self, text: str) -> Parsed:
        """`Matcher.parse(text)`, read once per message answered (see `_CALL`): a parse is a
        function of the text alone, and the message's parses are dropped with it."""
        parses: dict[str, Parsed] | None = getattr(_CALL, "parses", None)
        if parses is None:
            return self.matcher.parse(text)
        parsed = parses.get(text)
        if parsed is None:
            parsed = parses[text] = self.matcher.parse(text)
        return parsed

    def _rows_in(self, text: str) -> tuple[Entity, ...]:
        """The rows a text names (`Parsed.entities`), an answer's fixed reply's kept (see
        `_rows_of_replies`): a parse is a function of the text alone."""
        rows = self._rows_of_replies.get(text)
        if rows is None:
            rows = self._parse(text).entities
            if text in self._fixed_texts:
                self._rows_of_replies[text] = rows
        return rows

    def _analyse(self, text: str) -> Analysis:
        """`Matcher.analyse(text)`, its ranking made once per message for texts that parse alike
        in all it reads (`_RANKED_FIELDS`): most messages are analysed once, and those read more
        than once are the slowest (a part, a question after its scene, a follow-up asked again)."""
        parsed = self._parse(text)
        analyses: list[tuple[tuple[Any, ...], Analysis]] | None = getattr(_CALL, "analyses", None)
        if analyses is None:
            return self.matcher.analyse(text, parsed=parsed)
        ranked_by = _ranked_by(parsed)
        for known_by, known in analyses:
            if known_by == ranked_by:
                # The analysis of this text in all but what the ranking never read.
                return replace(known, normalized=" ".join(parsed.raw), corrections=parsed.corrections,
                               reading=parsed.reading)
        analysis = self.matcher.analyse(text, parsed=parsed)
        analyses.append((ranked_by, analysis))
        return analysis

    def _ask_one(self, text: str, context: Conversation | None) -> Answer:
        _, answer = self._resolve(text, context)
        if context is not None:
            context.remember(text, answer)
        return answer

    def _ask_several(self, text: str, parts: list[str], context: Conversation | None) -> Answer:
        # Later parts may lean on earlier ones ("… and who founded it?"), so they share a
        # conversation even when the caller keeps none.
        scratch = context if context is not None else Conversation(
            self.config.context_ttl_seconds, self.config.context_max_turns)
        answered = [(part, self._ask_one(part, scratch)) for part in parts[:MAX_PARTS]]
        # "Hi! … question …? Thanks!": pleasantries around real questions are not answers.
        if any(a.kind is not ReplyKind.SMALLTALK for _, a in answered):
            answered = [(p, a) for p, a in answered if a.kind is not ReplyKind.SMALLTALK] or answered
        useful = [a for _, a in answered if a.kind in (ReplyKind.ANSWER, ReplyKind.GAP,
                                                        ReplyKind.SMALLTALK, ReplyKind.REFUSAL)]
        if not useful:  # none of the parts is understood: perhaps the whole message is
            return self._ask_one(text, context)
        merged_text, citations = merge(answered, parts[MAX_PARTS:])
        matched = [a for _, a in answered if a.matched]
        lead = matched[0] if matched else useful[0]
        related = tuple(dict.fromkeys(q for a in useful for q in a.related))
        return replace(
            lead,
            matched=bool(matched),
            confidence=min(a.confidence for a in (matched or useful)),
            text=merged_text,
            citations=citations,
            suggestions=(*parts[MAX_PARTS:], *related)[: self.config.max_suggestions],
            related=related,
            parts=tuple(a for _, a in answered),
        )

    def _resolve(self, text: str, context: Conversation | None) -> tuple[Analysis, Answer]:
        """Analyse and answer one question, using the conversation where it needs one."""
        split = self.matcher.split_focus(text)
        # Read whole before any focus on its question: the focus weighs it too, and a focus
        # given up falls back on it.
        analysis = self._analyse(text)
        if split is not None:
            focused = self._resolve_focus(analysis, *split, context)
            if focused is not None:
                return focused
        if self._is_chatter(analysis):
            # A reaction or a pleasantry ("lol", "thanks") never leans on the last answer.
            return analysis, self._chat(text, analysis)
        if context is None:
            # A one-off question still needs "his" or "that province" asked back, so it is a
            # conversation with nothing in it yet: no turn to read.
            context, last, pending = _NO_TALK, None, None
        else:
            last, pending = context.last_answered(), context.last_turn()
        if pending is not None and pending.answer.kind is ReplyKind.CLARIFY:
            completed = self._complete(text, analysis, pending)
            if completed is not None:
                return completed
        if last is not None and (owned := _THEIR_BODY().search(text)):
            # "did his organisation sign the letter?" after Charles Santiago's roles: the one
            # organisation the last answer names (looked for only after one).
            bodies = {e.key for e in self._rows_in(last.answer.text) if e.kind == "organisation"}
            if len(bodies) == 1:
                text = f"{text[:owned.start()]}the {bodies.pop()}{text[owned.end():]}"
                analysis = self._analyse(text)
        if has_personal_pronoun(analysis.normalized.split()) and not any(
                e.kind == "person" for e in analysis.entities):
            subject = None
            # The last answer's person, else the one an earlier turn was about ("what did she
            # say?", "when was that release put out?", "did she leave Cambodia?").
            for turn in context.recent_about_rows():
                # The rows an answer names are read from its words alone: parsed, not ranked
                # against every intent (answers are long, and ranking them cost ~15 times more).
                subject = subject_person(turn.answer, self._rows_in)
                if subject is not None:
                    break
            if subject is None:
                answer = self._answer(text, analysis)
                return analysis, replace(
                    answer, matched=False, intent=None, kind=ReplyKind.CLARIFY, citations=(),
                    text=WHO_TEXT, suggestions=self._candidate_suggestions(analysis))
            analysis = self._analyse(replace_pronouns(text, subject))
        pointed = deictic_kind(text)
        if pointed and not any(e.kind == pointed for e in analysis.entities):
            # "in that province": the row of that kind the talk was last about, or a question back.
            row = self._recent_row(context, pointed, text)
            if row is not None:
                analysis = self._analyse(name_the_pointed(text, pointed, row.key))
            else:
                answer = self._answer(text, analysis)
                return analysis, replace(
                    answer, matched=False, intent=None, kind=ReplyKind.CLARIFY, citations=(),
                    text=CLARIFY_TEXT.get(pointed, f"Which {pointed.replace('_', ' ')} do you mean?"),
                    suggestions=self._candidate_suggestions(analysis))
        # No turn that answered is fresh when the last one is not (turns only expire meanwhile).
        computed = self._compute(analysis, context.recent_answered() if last is not None else ())
        if computed is not None:
            return analysis, computed
        if last is not None:
            previous = self.kb.intents.get(last.answer.intent or "")
            before = last.answer.entity
            # Read once for the tests below ("and in takeo?"; "where was it issued from?").
            ellipsis = is_ellipsis(text)
            leans = not ANAPHORS.isdisjoint(analysis.tokens)
            if previous is not None and previous.entity and ellipsis and any(
                    e.kind == previous.entity and (before is None or e.key != before.key)
                    for e in analysis.entities):
                # "and in takeo?": the same question about another row ("and who was his
                # deputy?" names the same row, and asks something else).
                scored = ScoredIntent(previous, last.answer.confidence, 1.0, 1.0, "(follow-up)",
                                      ("follow-up: the same question about another row",))
                # The rest of the last question carries over ("… on the standing committee").
                carried = tuple(e for e in last.answer.entities if e.kind != previous.entity)
                analysis = replace(analysis, ranked=(scored, *analysis.ranked),
                                   entities=(*analysis.entities, *carried))
                base = self._answer(text, replace(analysis, ranked=()))
                return analysis, self._reply(base, previous, scored.score, analysis)
            content = [t for t in analysis.terms if t not in self.lexicon.filler]
            best = analysis.ranked[0] if analysis.ranked else None
            # "what about its logo?" after the motto asks its own clear question; "and by
            # vote share?" asks the last one again.
            clear = best is not None and best.score >= self.threshold
            # "and sam rainsy's?" names only a row's own something: the last question about it,
            # however clear a question about the row alone would be.
            bare = ellipsis and self._bare_reply(analysis) and _POSSESSIVE_END().search(text) is not None
            # "and how many points did the platform have?" after a yearly wage points at nothing
            # before it and reads as a question of its own: not the last question again.
            own = (best is not None and best.score >= self.model.suggest and not ellipsis
                   and not leans and len(content) >= _OWN_QUESTION_WORDS
                   and (previous is None or best.intent.topic != previous.topic))
            # What was tried below and came to nothing: it is not tried again further down,
            # where it would come to nothing again (the topic boost in between changes only the
            # ranking, which neither reads; the talk only loses turns as they expire).
            named_tried = asked_again = False
            if not clear and _IT().search(text) and not analysis.entities:
                # "What else did it release?" after an answer about APHR: "it" is what the talk
                # named, tried before the last question is asked again with these words.
                named = self._it_is_named(text, last)
                if named is not None:
                    return named
                named_tried = True
            if (bare or not clear) and not own and (
                    ellipsis or len(content) <= self.config.context_short_question):
                again = self._ask_again(analysis, context.recent_answered())
                if again is not None:
                    return again
                asked_again = True
            if previous is not None and not clear:
                # A question clear on its own keeps its reading; one in doubt leans on the talk.
                analysis = self._boost_topic(analysis, previous)
            answer = self._answer(text, analysis)
            if not answer.matched and answer.kind is not ReplyKind.REFUSAL and leans:
                # "where was it issued from?" after a question about the press release: what
                # "it" stands for is in the last question.
                again = None if asked_again else self._ask_again(analysis, context.recent_answered())
                if again is not None:
                    return again
                named = None if named_tried else self._it_is_named(text, last)
                if named is not None:
                    return named
            return analysis, answer
        return analysis, self._answer(text, analysis)

    def _it_is_named(self, text: str, last: Turn) -> tuple[Analysis, Answer] | None:
        """"What else did it release?" after an answer about APHR: "it" is the organisation the
        last question or answer named first that makes the question one the sources answer."""
        if not _IT().search(text):
            return None
        # The organisation the last question was about first, then those its answer names.
        named = (*last.answer.entities, *self._rows_in(last.answer.text))
        for key in list(dict.fromkeys(e.key for e in named if e.kind == "organisation"))[:_IT_CANDIDATES]:
            question = _name_it(text, key)
            analysis = self._analyse(question)
            answer = self._compute(analysis, ()) or self._answer(question, analysis)
            if answer.matched:
                return analysis, answer
        return None

    def _resolve_focus(self, whole: Analysis, scene: str, question: str,
                       context: Conversation | None) -> tuple[Analysis, Answer] | None:
        """"My grandparents are from Takéo. What did the CNRP get there?": the question read on
        its own, with the rows the scene names in place of its pointers, when that answers it
        and the scene adds nothing the answer leaves out (another party, a year no source
        covers …). The scene's own words would otherwise drown the question's."""
        rows = self._parse(scene).entities
        asked = self._parse(question)
        named = {e.kind for e in asked.entities}
        tokens = set(asked.tokens)
        if has_personal_pronoun(asked.tokens) and "person" not in named:
            people = {e.key for e in rows if e.kind == "person"}
            if len(people) != 1:
                return None
            question = replace_pronouns(question, people.pop())
            tokens = set(self._parse(question).tokens)
        pointed = deictic_kind(question)
        if pointed and pointed not in named:
            keys = {e.key for e in rows if e.kind == pointed}
            if len(keys) != 1:
                return None
            question = name_the_pointed(question, pointed, keys.pop())
            tokens = set(self._parse(question).tokens)
        if _SCENE_POINTERS & tokens:
            return None  # "it" may be what the scene is about: read the message whole
        analysis, answer = self._resolve(question, context)
        if not answer.matched or answer.intent is None:
            return None
        in_whole = next((r for r in whole.ranked if r.intent.id == answer.intent), None)
        alone = next((r for r in analysis.ranked if r.intent.id == answer.intent), None)
        if in_whole is None:
            # No reading of the whole message has that intent to weigh: the scene may name
            # nothing the question does not.
            focus_rows = {(e.kind, e.key) for e in analysis.entities}
            if whole.unknown_years or any((e.kind, e.key) not in focus_rows for e in rows):
                return None
        elif any(in_whole.features[i] and not (alone is not None and alone.features[i]) for i in _SCENE_DOUBTS):
            return None
        return analysis, answer

    def _chat(self, text: str, analysis: Analysis) -> Answer:
        """A reaction or pleasantry gets small talk: the closest small-talk intent, even below the
        threshold a fact needs (a wrong "you're welcome" harms no one), else a plain reaction."""
        answer = self._answer(text, analysis)
        if analysis.ranked and answer.kind is ReplyKind.ANSWER:
            return answer  # the words were a question after all
        chat = next((r for r in analysis.ranked if r.intent.kind is ReplyKind.SMALLTALK), None)
        if chat is None:
            ack = self.kb.intents.get(REACTION_INTENT)
            if ack is None:
                return answer
            chat = ScoredIntent(ack, 0.5, 0.0, 0.0, "(a reaction)")
        base = replace(answer, matched=False, intent=None, text="", kind=ReplyKind.UNKNOWN)
        return self._reply(base, chat.intent, chat.score, analysis)

    def _is_chatter(self, analysis: Analysis) -> bool:
        """A reaction, thanks or a greeting: small talk, or nothing but filler words."""
        top = analysis.ranked[0] if analysis.ranked else None
        if top is not None and top.intent.kind is ReplyKind.SMALLTALK and top.score >= self.threshold:
            return True
        # "when?" asks (the last question again, about its date) and "and under 25%?" sets a new
        # line; "ok", "lol" only react.
        lexicon = self.lexicon
        if analysis.entities:
            return False
        tokens = analysis.tokens
        if tokens and tokens[0] in lexicon.reactions and not any(
                t in lexicon.question_words or t in lexicon.yes_no_openers for t in tokens[1:]):
            return True  # "lol that's a lot", "haha tiny": a reaction, whatever follows it
        return bool(analysis.terms) and all(
            (t in lexicon.stopwords or t in lexicon.greetings) and not t[:1].isdigit() for t in analysis.terms)

    def _complete(self, text: str, analysis: Analysis, pending: Turn) -> tuple[Analysis, Answer] | None:
        """The reply to the bot's own question back ("Which constituency do you mean?" →
        "takeo"): the pending question, completed with the row the reply names."""
        if not self._bare_reply(analysis):
            return None  # "tell me about Mu Sochua" is a new question, not the missing piece
        intent = self.kb.intents.get(pending.answer.intent or "")
        if intent is not None and intent.entity:
            rows = [e for e in analysis.entities if e.kind == intent.entity]
            if not rows:
                return None
            scored = ScoredIntent(intent, pending.answer.confidence, 1.0, 1.0, "(completed)",
                                  ("the reply to a question back",))
            entities = (*pending.answer.entities, *rows)
            completed = replace(analysis, entities=entities)
            base = self._answer(text, replace(completed, ranked=()))
            return completed, self._reply(base, intent, scored.score, completed)
        pointed = deictic_kind(pending.question)
        rows = [e for e in analysis.entities if e.kind == pointed]
        if pointed and rows and pending.answer.intent is None:
            # "which constituency do you mean?" after "… in that province?" → "takeo"
            again = self._analyse(name_the_pointed(pending.question, pointed, rows[0].key))
            question = name_the_pointed(pending.question, pointed, rows[0].key)
            answer = self._compute(again, ()) or self._answer(question, again)
            about_row = next((r for r in again.ranked if r.intent.entity == pointed), None)
            if not answer.matched and about_row is not None and about_row.score >= self.model.suggest:
                # The bot asked which row; the reply named one: of the readings, the one about
                # such a row, however short of sure the question alone was.
                answer = self._reply(replace(answer, kind=ReplyKind.UNKNOWN), about_row.intent, about_row.score, again)
            return again, answer
        people = [e for e in analysis.entities if e.kind == "person"]
        if pending.answer.text == WHO_TEXT and people:
            # "Who do you mean?" → "Mu Sochua": the pronoun question about her.
            again = self._analyse(replace_pronouns(pending.question, people[0].key))
            return again, self._compute(again, ()) or self._answer(pending.question, again)
        return None

    def _recent_row(self, context: Conversation, kind: str, question: str = "") -> Entity | None:
        """The row of `kind` the talk was last about: a question's or an answer's own row, else
        (from the last answer only) the first of that kind its text names, preferring one whose
        name has the word the question points with ("that movement" after the successors: the
        Cambodia National Rescue Movement)."""
        for turn in context.recent_about_rows(context.max_turns):
            if turn.answer.entity is not None and turn.answer.entity.kind == kind:
                return turn.answer.entity
            row = next((e for e in turn.answer.entities if e.kind == kind), None)
            if row is not None:
                return row
        last = context.last_answered()
        if last is None:
            return None
        named = [e for e in self._rows_in(last.answer.text) if e.kind == kind]
        pointer = deictic_word(question, kind)
        return next((e for e in named if pointer and pointer in fold(e.key).split()), named[0] if named else None)

    def _corrects(self, question: str) -> bool:
        """Whether a question takes the one before it back ("no, I meant Svay Rieng")."""
        opening = f"{' '.join(fold(question).split()[:6])} "
        return opening.startswith(self._correction_openings)

    def _bare_reply(self, analysis: Analysis) -> bool:
        """A reply that gives only the missing piece ("takeo", "I meant Mu Sochua"): a few
        words besides the rows it names, none of them asking."""
        named = {i for e in analysis.entities for i in range(e.start, e.end)}
        rest = [t for i, t in enumerate(analysis.tokens) if i not in named]
        lexicon = self.lexicon
        asking = lexicon.question_words | lexicon.yes_no_openers | ASKING_VERBS
        return bool(named) and len(rest) <= 4 and not any(t in asking for t in rest)

    def _ask_again(self, analysis: Analysis, recent: Sequence[Turn]) -> tuple[Analysis, Answer] | None:
        """"and in Takéo?", "and the weakest?", "and by votes?": the last question asked again
        with the follow-up's rows or words in place of its own (or, failing that, the one before:
        "what share was that?" after a computed rank asks about the row ranked)."""
        for turn in recent:
            again = self._ask_turn_again(analysis, turn)
            if again is not None:
                return again
        return None

    def _ask_turn_again(self, analysis: Analysis, last: Turn) -> tuple[Analysis, Answer] | None:
        # Only the last question's words and rows are read again, never its ranking: parsed,
        # not analysed (the ranking was most of the cost).
        earlier = self._parse(last.question)
        # Only a computation's rows: an answer's own lead row ("Ratanakiri" of "where was it
        # weakest?") is what it found, not what was asked.
        # "Which constituencies did they win more than half in?" asks for rows of its own: the
        # row a computed answer checked ("is that more than half?") is not one of its words.
        computed = (last.answer.intent or "").startswith("computed.") and not self.programs.asks_for_rows(
            analysis.tokens)
        carried = [e.key for e in last.answer.entities if computed and e.kind in _CARRIED_KINDS
                   and all((x.kind, x.key) != (e.kind, e.key) for x in earlier.entities)]
        if carried:
            # A computed follow-up ("where does that rank?") used rows its own words never named.
            earlier = self._parse(f"{last.question} {' '.join(carried)}")
        lexicon = self.lexicon
        new_words = [t for t in analysis.tokens if t not in lexicon.stopwords]
        # A word the follow-up names an alternative of gives way ("and the fewest votes?" after
        # "… lowest share": votes, not share; after "… by vote share", too).
        replaced = {t for group in self.kb.operations.alternatives if group & set(analysis.tokens)
                    for t in group} - set(analysis.tokens)
        readings = [swap_rows(earlier.tokens, earlier.entities, analysis.entities)]
        if not analysis.entities:
            swapped = swap_words(earlier.tokens, new_words, lexicon, self.matcher.semantic.vectors,
                                 self.kb.operations.alternatives)
            readings.append(None if swapped is None else [t for t in swapped if t not in replaced])
        # Else the follow-up's words first, then the last question's, less its question words
        # when the follow-up asks its own ("when?" after "why was it banned").
        asks = any(t in lexicon.question_words for t in analysis.tokens)
        kept = [t for t in earlier.tokens if not (asks and t in lexicon.question_words)
                and not (analysis.numbers and t[:1].isdigit()) and t not in replaced]
        # The follow-up's own words, less the chatter that opens it ("and", "so", "ok").
        opening = [t for t in analysis.tokens if t not in lexicon.stopwords or t in lexicon.question_words]
        readings.append([*opening, *kept])
        for position, words in enumerate(readings):
            if words is None:
                continue
            again = self._analyse(" ".join(words))
            # The last reading puts the follow-up's own words first and borrows the rest.
            own = len(opening) if position == len(readings) - 1 else None
            answer = self._compute(again, (), own) or self._answer(" ".join(words), again)
            if answer.matched and _speaks_of(answer, analysis.entities) and self._gives_asked(analysis, answer):
                return again, answer
        return None

    def _gives_asked(self, analysis: Analysis, answer: Answer) -> bool:
        """"And when did they sign it?" after the signatories is not answered by the list again:
        a follow-up asking for a kind of answer (a date) gets an intent that gives it."""
        intent = self.kb.intents.get(answer.intent or "")
        asked = analysis.asked.types
        return intent is None or not asked or not intent.answers or gives_what_is_asked(intent.answers, asked)

    def _compute(self, analysis: Analysis, recent: Sequence[Turn], own: int | None = None) -> Answer | None:
        """A question that combines facts, computed from the tables: its figures stated and
        cited. None when it asks for no computation or lacks an operand. `recent` are the last
        answered turns, latest first: their rows and dates complete a follow-up."""
        if not analysis.reading.understood or not self.programs.may_compute(analysis.tokens):
            return None  # no words, or none a computation needs: the talk before cannot add one
        context: list[Entity] = []
        context_dates: list[Operand] = []
        for position, turn in enumerate(recent):
            # The kinds of row the turn after this one replaced ("no, I meant …"): asked of a
            # turn only when an earlier one follows it, as folding its question is what costs.
            later = recent[position - 1] if position else None
            void = ({e.kind for e in later.answer.entities} if later is not None and self._corrects(later.question)
                    else set())
            # The row the answer was about first: "that" is its figure ("how much is that per
            # tonne?" after the rice price), whatever else its question happened to name.
            kept = tuple(sorted((e for e in turn.answer.entities if e.kind not in void),
                                key=lambda e: e != turn.answer.entity))
            for entity in kept:
                if all((e.kind, e.key) != (entity.kind, entity.key) for e in context):
                    context.append(entity)
            earlier = ProgramReading(turn.answer.normalized.split(), kept)
            context_dates += [d for d in self.programs.dates(earlier) if d not in context_dates]
        listed: tuple[str, ...] = ()
        listed_kind = "person"
        listed_refs: tuple[CitationRef, ...] = ()
        if recent and (_OF_A_LIST & set(analysis.tokens) or _COUNT_BACK & set(analysis.tokens[-1:])):
            # "which of them …", "how many is that": the people the last answer named, in its
            # order, or failing two of them its organisations.
            named = self._rows_in(recent[0].answer.text)
            listed = tuple(dict.fromkeys(e.key for e in named if e.kind == "person"))
            if len(listed) < 2:
                organisations = tuple(dict.fromkeys(e.key for e in named if e.kind == "organisation"))
                if len(organisations) >= 2:
                    listed, listed_kind = organisations, "organisation"
            last = self.kb.intents.get(recent[0].answer.intent or "")
            listed_refs = last.citations if last else ()
        reading = ProgramReading(analysis.tokens, analysis.entities, context=tuple(context), listed=listed,
                                 listed_kind=listed_kind, listed_refs=listed_refs, own=own,
                                 context_tokens=tuple(turn.answer.normalized.split() for turn in recent),
                                 context_dates=context_dates)
        computed = self.programs.read(reading)
        if computed is None:
            return None
        template = self.kb.operations.replies.get(computed.op)
        if template is None:
            return None
        text = _SENTENCE_START().sub(lambda m: m.group(0).upper(), template.format_map(computed.fields))
        composed = number_citations(self.kb, text, computed.refs)
        # The rows the talk supplied and the reply names are the answer's rows too, so that the
        # next follow-up ("and in percentage points?") can use them.
        used = tuple(e for e in context if e.key in composed.text
                     and all((x.kind, x.key) != (e.kind, e.key) for x in analysis.entities))
        # A row the computation found is what the answer is about: "what was his role?" next.
        found = Entity(computed.subject[0], computed.subject[1], computed.subject[1], 1.0) if computed.subject else None
        return Answer(matched=True, intent=f"computed.{computed.op}", confidence=COMPUTED_CONFIDENCE,
                      text=composed.text, citations=composed.citations,
                      entities=(*analysis.entities, *used, *((found,) if found else ())),
                      normalized=analysis.normalized, kind=ReplyKind.ANSWER, entity=found)

    def _boost_topic(self, analysis: Analysis, previous: Intent) -> Analysis:
        """A short question after an answer leans towards that answer's topic ("which court?")."""
        content = [t for t in analysis.terms if t not in self.lexicon.stopwords]
        leans = bool(ANAPHORS & set(analysis.tokens))  # "where was it issued from?"
        if (len(content) > self.config.context_short_question and not leans) or not analysis.ranked:
            return analysis
        near = {previous.id, *previous.related}
        bonus = math.exp(self.config.context_boost)

        def boost(p: float) -> float:
            # In odds: a likely reading gains little, a doubtful one much.
            odds = p / (1.0 - p) * bonus if p < 1.0 else math.inf
            return 1.0 if math.isinf(odds) else odds / (1.0 + odds)

        boosted = [r._replace(score=boost(r.score),
                                notes=(*r.notes, "same topic as the last answer"))
                   if r.intent.topic == previous.topic or r.intent.id in near else r
                   for r in analysis.ranked]
        boosted.sort(key=lambda r: r.score, reverse=True)
        return replace(analysis, ranked=tuple(boosted))

    def _candidate_suggestions(self, analysis: Analysis) -> tuple[str, ...]:
        questions = [r.intent.question for r in analysis.ranked
                     if r.intent.kind is ReplyKind.ANSWER][: self.config.max_suggestions]
        return tuple(questions) or self._default_suggestions[: self.config.max_suggestions]

    def _topical(self, analysis: Analysis) -> bool:
        """Filler, question words and numbers alone ("what's 2+2") name no fact to look up."""
        filler = self.lexicon.filler
        return any(t not in filler and not t[:1].isdigit() for t in analysis.terms)

    def _answer(self, question: str, analysis: Analysis) -> Answer:
        config = self.config
        candidates = _candidates(analysis.ranked)
        if not analysis.reading.understood:
            text = KHMER_TEXT if analysis.reading.language == "Khmer" else LANGUAGE_TEXT
            return self._unanswered(analysis, candidates, ReplyKind.LANGUAGE, text, 0.0,
                                    self._default_suggestions[: config.max_suggestions])
        if not analysis.terms:
            return self._unanswered(analysis, candidates, ReplyKind.EMPTY, EMPTY_TEXT, 0.0,
                                    self._default_suggestions[: config.max_suggestions])
        ranked = analysis.ranked
        top = ranked[0] if ranked else None
        if top is not None and top.intent.kind in FACTUAL and not self._topical(analysis):
            top = None
        if top is None or top.score < self.model.suggest:
            return self._unanswered(analysis, candidates, ReplyKind.UNKNOWN, UNKNOWN_TEXT,
                                    top.score if top else 0.0, self._suggest(ranked, entities=analysis.entities))
        # The confidence said is the one the decision used.
        confidence = self._pooled(top, ranked)
        if confidence < self.threshold:
            return self._unanswered(analysis, candidates, ReplyKind.AMBIGUOUS, AMBIGUOUS_TEXT, top.score,
                                    self._suggest(ranked, entities=analysis.entities))
        intent = top.intent
        runner_up = None
        for reading in ranked:  # the best reading of another intent (a loop: cheaper than next())
            if reading.intent.id != intent.id:
                runner_up = reading
                break
        if (runner_up is not None and runner_up.score >= self.threshold
                and confidence - runner_up.score < config.ambiguity_margin
                and runner_up.intent.id not in intent.related
                and intent.id not in runner_up.intent.related):
            return self._unanswered(analysis, candidates, ReplyKind.AMBIGUOUS, AMBIGUOUS_TEXT, confidence,
                                    self._suggest(ranked, 2, analysis.entities))
        reply = self._reply(None, intent, confidence, analysis, candidates)
        coarse = self._coarse_dates.get(intent.id)
        if coarse and analysis.asked.to_the_day and reply.kind is ReplyKind.ANSWER:
            # "On which day in September …": the sources give only the month.
            return replace(reply, matched=False, kind=ReplyKind.GAP,
                           text=f"The sources don't give the exact day, only {coarse}. {reply.text}")
        return reply

    @staticmethod
    def _unanswered(analysis: Analysis, candidates: tuple[Candidate, ...], kind: ReplyKind, text: str,
                    confidence: float, suggestions: tuple[str, ...]) -> Answer:
        """A reply that answers nothing: what it says, and the questions it suggests instead."""
        return Answer(matched=False, intent=None, confidence=confidence, text=text, suggestions=suggestions,
                      candidates=candidates, entities=analysis.entities, kind=kind, normalized=analysis.normalized)

    def _pooled(self, top: ScoredIntent, ranked: Sequence[ScoredIntent]) -> float:
        """The chance that the top intent or one it names as related answers the question: "who
        was the leader of the cnrp?" is surely about the leaders, split between the first leader
        and the list of them, each of which answers it."""
        features = top.features
        if not features or any(_doubts(features)):
            return top.score  # a word it never covers, another subject, a judgement …: no pooling
        pooled_with = self._pooled_with[top.intent.id]
        # The chance that at least one of them answers it, each weighed on its own.
        missed = 1.0 - top.score
        for r in ranked:
            if r.intent.id in pooled_with:
                missed *= 1.0 - r.score
        return 1.0 - missed

    def _reply(self, base: Answer | None, intent: Intent, confidence: float, analysis: Analysis,
               candidates: tuple[Candidate, ...] = ()) -> Answer:
        """The intent's reply. `base` is the answer whose other fields it keeps (a question back
        keeps them all); None for a question's own reply, which has only its `candidates` and
        rows (the blank answer a question back keeps is then made only for one)."""
        entity = self._entity_for(intent, analysis.entities)
        if intent.entity and entity is None:
            entity = self.matcher.entities.row_by_text(intent.entity, analysis.tokens)
        if intent.entity and entity is None:
            return replace(base if base is not None else self._blank(analysis, candidates),
                           intent=intent.id, confidence=confidence, kind=ReplyKind.CLARIFY,
                           text=CLARIFY_TEXT.get(intent.entity, f"Which {intent.entity} do you mean?"),
                           suggestions=self._entity_examples(intent))
        composed = self._static.get(intent.id)
        if composed is None and entity is not None:
            composed = self._row_replies.get((intent.id, entity.key))
        if composed is None:
            query = Query(entities=analysis.entities, numbers=analysis.numbers, terms=frozenset(analysis.terms))
            try:
                composed = compose(self.kb, intent, entity, query)
            except LookupError:
                # The intent is clear but the question lacks what it computes with
                # ("compare kandal with …?", "is son chhay … what?").
                return replace(base if base is not None else self._blank(analysis, candidates),
                               intent=intent.id, confidence=confidence, kind=ReplyKind.CLARIFY,
                               text=CLARIFY_TEXT.get(f"{intent.id}", "Could you say a little more? "
                                                     "For example:"),
                               suggestions=self._entity_examples(intent))
        entities = analysis.entities
        if composed.rows:
            led = tuple(Entity(kind, key, key, 1.0) for kind, key in composed.rows
                        if all((e.kind, e.key) != (kind, key) for e in entities))
            entities = (*entities, *led)
        related = self._related_questions[intent.id]
        if base is not None:
            candidates, normalized, parts = base.candidates, base.normalized, base.parts
        else:
            normalized, parts = analysis.normalized, ()
        # Every field given, rather than `replace(base, …)`: half the cost, the same answer.
        return Answer(matched=intent.kind is ReplyKind.ANSWER, intent=intent.id, confidence=confidence,
                      text=composed.text, citations=composed.citations,
                      suggestions=related[: self.config.max_suggestions], candidates=candidates,
                      entities=entities, entity=entity, related=related, kind=intent.kind,
                      normalized=normalized, parts=parts)

    def _blank(self, analysis: Analysis, candidates: tuple[Candidate, ...]) -> Answer:
        """A question's answer before any reply fills it: its candidates and rows."""
        return self._unanswered(analysis, candidates, ReplyKind.UNKNOWN, "", 0.0, ())

    @staticmethod
    def _entity_for(intent: Intent, entities: tuple[Entity, ...]) -> Entity | None:
        if not intent.entity:
            return None
        matching = [e for e in entities if e.kind == intent.entity]
        return max(matching, key=lambda e: (e.score, e.end - e.start)) if matching else None

    def _entity_examples(self, intent: Intent) -> tuple[str, ...]:
        return (intent.question,)

    def _static_replies(self) -> tuple[dict[str, Composed], dict[tuple[str, str], Composed]]:
        """The replies no question changes, composed once: an intent without a generator, or
        whose generator reads nothing of the question (`GeneratorSpec.reads_query`), has the same
        text and sources whatever the question says, the per-row ones for each row of their kind
        (intent id, row key). One that fails here is left to fail, as before, when it is asked."""
        static: dict[str, Composed] = {}
        by_row: dict[tuple[str, str], Composed] = {}
        for intent in self.kb.intents.values():
            name = generator_for(intent)
            spec = GENERATORS.get(name) if name is not None else None
            if name is not None and (spec is None or spec.reads_query):
                continue  # composed when asked, from the question (or to report the unknown name)
            if name is None or not intent.entity:
                with suppress(Exception):  # composed again, and reported, when it is asked
                    static[intent.id] = compose(self.kb, intent)
            else:
                for key in dict.fromkeys(self.kb.entity_names(intent.entity).values()):
                    with suppress(Exception):
                        by_row[intent.id, key] = compose(self.kb, intent, Entity(intent.entity, key, key, 1.0))
        return static, by_row

    def _example_rows(self) -> dict[str, str]:
        """For each per-row intent, the pattern of where its canonical question names its example
        row (case aside): its source, compiled when a suggestion is about another row (re's own
        memo), not each time a cached engine is read."""
        examples: dict[str, str] = {}
        for intent in self.kb.intents.values():
            if not intent.entity:
                continue
            for name in sorted(self.kb.entity_names(intent.entity), key=len, reverse=True):
                pattern = re.compile(rf"\b{re.escape(name)}\b", re.IGNORECASE)
                if pattern.search(intent.question):
                    examples[intent.id] = pattern.pattern
                    break
        return examples

    def _question_about(self, intent: Intent, entities: tuple[Entity, ...]) -> str:
        """The intent's question, about the row the user named if it is one of its kind."""
        named = next((e for e in entities if e.kind == intent.entity), None)
        example = self._examples.get(intent.id)
        if named is None or example is None:
            return intent.question
        return re.sub(example, named.key, intent.question, count=1, flags=re.IGNORECASE)

    def _suggest(self, ranked: tuple[ScoredIntent, ...], limit: int | None = None,
                 entities: tuple[Entity, ...] = ()) -> tuple[str, ...]:
        wanted = limit or self.config.max_suggestions
        kinds = {e.kind for e in entities}
        # About a row the user named first ("is son chhay married?" → "Who is Son Chhay?"),
        # then whatever came close.
        about_row = [r for r in ranked if r.intent.entity in kinds and r.intent.kind is ReplyKind.ANSWER]
        floor = self.model.suggest / 2
        close = [r for r in ranked if r.score >= floor and r.intent.kind is ReplyKind.ANSWER]
        # The first `wanted` different questions, each written only until they are found.
        picks: list[str] = []
        for reading in (*about_row[:1], *close):
            question = self._question_about(reading.intent, entities)
            if question not in picks:
                picks.append(question)
                if len(picks) == wanted:
                    break
        if len(picks) < wanted and limit is None:
            picks += [q for q in self._default_suggestions if q not in picks]
        return tuple(picks[:wanted])

    @staticmethod
    def _reason(answer: Answer, analysis: Analysis) -> str:
        if answer.kind is ReplyKind.EMPTY:
            return "nothing left to match once markup, punctuation and filler words were removed"
        top = analysis.ranked[0] if analysis.ranked else None
        if top is None:
            return "no intent shares a word with the question"
        if answer.kind is ReplyKind.LANGUAGE:
            return f"written in {analysis.reading.language}, which the bot does not read"
        if answer.kind is ReplyKind.UNKNOWN:
            return f"best candidate {top.intent.id} has probability {top.score:.2f}, below the suggestion band"
        if answer.kind is ReplyKind.AMBIGUOUS:
            return (f"best candidate {top.intent.id} has probability {top.score:.2f}: a guess, so the bot "
                    "asks which was meant")
        if answer.kind is ReplyKind.CLARIFY:
            return f"{top.intent.id} needs a {top.intent.entity} and the question names none"
        second = analysis.ranked[1] if len(analysis.ranked) > 1 else None
        lead = f", {top.score - second.score:.2f} ahead of {second.intent.id}" if second else ""
        return f"{top.intent.id} has probability {top.score:.2f} via {top.best_phrasing!r}{lead}"

    # ------------------------------------------------------------ adapters' helpers

    def complete(self, kind: str, prefix: str, limit: int = 25) -> list[str]:
        """Row keys of an entity kind for autocomplete: prefix matches first, then fuzzy."""
        names = self.kb.entity_names(kind)
        keys = list(dict.fromkeys(names.values()))
        wanted = " ".join(fold(prefix).split())
        if not wanted:
            return keys[:limit]
        folded = {name: " ".join(fold(name).split()) for name in names}
        picked = [names[n] for n, f in folded.items() if f.startswith(wanted)]
        picked += [names[n] for n, f in folded.items() if wanted in f]
        fuzzy = process.extract(wanted, folded, scorer=fuzz.WRatio, processor=None,
                                score_cutoff=60, limit=limit * 2)
        picked += [names[name] for _, _, name in fuzzy]
        return list(dict.fromkeys(picked))[:limit]

    def stats(self) -> dict[str, Any]:
        return {
            "intents": len(self.kb.intents),
            "phrasings": sum(len(i.phrasings) for i in self.kb.intents.values()),
            "facts": self.kb.fact_count(),
            "sources": len(self.kb.sources),
            "tables": len(self.kb.tables),
            "rows": sum(len(t.rows) for t in self.kb.tables.values()),
            "warnings": len(self.warnings),
        }
