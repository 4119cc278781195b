"""Checks that need the matcher or the composer: phrasings, answers, limits, privacy."""

from __future__ import annotations

import re
import string
from collections import defaultdict

from rapidfuzz import fuzz

from bot.core.compose import SHARED_PLACEHOLDERS, compose, generator_for
from bot.core.generators import GENERATORS, Query, timeline_events
from bot.core.knowledge import KnowledgeBase, Problem, Severity
from bot.core.matching import Matcher
from bot.core.models import TABLE_NAMES, Entity, Intent, ReplyKind
from bot.core.render import render_table

EMBED_DESCRIPTION_LIMIT = 4096
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
_PHONE = re.compile(r"\b\d{3}[-. ]\d{3}[-. ]\d{4}\b|\+\d[\d ()-]{7,}\d")
# Character-level: high enough that "cnrp" vs "cnrm" (a real difference) is not flagged.
NEAR_DUPLICATE = 97.0


def _problem(intent: Intent, field: str, message: str,
             severity: Severity = Severity.ERROR) -> Problem:
    return Problem(intent.file, intent.id, field, message, None, severity)


def _placeholders(text: str) -> set[str]:
    """Field names of a template: {votes} and {date[arrest]} give votes and date."""
    return {re.split(r"[.\[]", name)[0] for _, name, _, _ in string.Formatter().parse(text) if name}


def check_intents(kb: KnowledgeBase) -> list[Problem]:
    problems: list[Problem] = []
    for intent in kb.intents.values():
        name = generator_for(intent)
        if intent.generator and intent.generator not in GENERATORS:
            problems.append(_problem(intent, "generator", f"unknown generator {intent.generator!r} "
                                     f"(known: {', '.join(sorted(GENERATORS))})"))
            continue
        if intent.entity and name is None:
            problems.append(_problem(intent, "entity", f"no generator answers about a {intent.entity}"))
            continue
        if name is None and _placeholders(intent.answer) - SHARED_PLACEHOLDERS:
            problems.append(_problem(intent, "answer", "placeholders need a generator or an entity: "
                                     + ", ".join(sorted(_placeholders(intent.answer) - SHARED_PLACEHOLDERS))))
            continue
        if name is not None:
            spec = GENERATORS[name]
            unknown = set(intent.param_dict) - spec.params
            if unknown:
                names = ", ".join(sorted(map(str, unknown)))  # a key may read as a number
                problems.append(_problem(intent, "params", f"{name} takes no {names}"))
                continue
            if spec.entity and spec.entity != intent.entity:
                problems.append(_problem(intent, "entity", f"{name} needs entity: {spec.entity}"))
                continue
        for phrasing in intent.phrasings:
            foreign = set(re.findall(r"\{(\w+)\}", phrasing)) - {intent.entity}
            if foreign:
                problems.append(_problem(intent, "phrasings", f"{phrasing!r} uses a slot the "
                                         f"intent does not have: {', '.join(sorted(foreign))}"))
        if len(intent.phrasings) < 3:
            problems.append(_problem(intent, "phrasings", "fewer than 3 phrasings",
                                     Severity.WARNING))
        problems.extend(_check_renders(kb, intent))
    return problems


def _entities_for(kb: KnowledgeBase, intent: Intent) -> list[Entity | None]:
    if not intent.entity:
        return [None]
    if intent.entity == "year":
        years = sorted({when.year for when, _, _ in timeline_events(kb)})
        return [Entity("year", str(y), str(y), 1.0) for y in years]
    keys: dict[str, None] = {}
    for table in kb.entity_tables():
        if table.entity == intent.entity and table.key:
            keys.update((str(r.values[table.key]), None) for r in table.rows)
    return [Entity(intent.entity, key, key, 1.0) for key in keys]


def _sample_query(kb: KnowledgeBase, entity: Entity | None) -> Query:
    """A question naming a row of every kind (two of the intent's own), for test renders."""
    entities: list[Entity] = [entity] if entity else []
    for table in kb.entity_tables():
        assert table.entity and table.key
        keys = list(dict.fromkeys(str(r.values[table.key]) for r in table.rows))
        entities += [Entity(table.entity, key, key, 1.0) for key in keys[:2]
                     if not (entity and entity.kind == table.entity and key == entity.key)]
    return Query(entities=tuple(entities), terms=frozenset())


def _check_renders(kb: KnowledgeBase, intent: Intent) -> list[Problem]:
    """Render the answer for every row it can be about: a template error shows at load."""
    problems: list[Problem] = []
    for _, field_name, _, _ in string.Formatter().parse(intent.answer):
        if field_name in SHARED_PLACEHOLDERS:
            # "{date}" would print every date the sources give; one is "{date[tag]}".
            problems.append(_problem(intent, "answer", f"{{{field_name}}} needs a tag: {{{field_name}[tag]}}"))
    if problems:
        return problems
    try:
        entities = _entities_for(kb, intent)
    except (KeyError, LookupError, ValueError) as exc:
        return [_problem(intent, "answer", f"cannot list the rows it answers about: {exc!r}")]
    for entity in entities:
        about = f" (for {entity.key})" if entity else ""
        try:
            composed = compose(kb, intent, entity, _sample_query(kb, entity))
        except KeyError as exc:
            problems.append(_problem(intent, "answer", f"unknown placeholder {exc}{about}"))
            return problems
        except (LookupError, ValueError, TypeError) as exc:
            problems.append(_problem(intent, "answer", f"cannot be composed{about}: {exc}"))
            return problems
        if len(composed.text) > EMBED_DESCRIPTION_LIMIT - 200:
            problems.append(_problem(intent, "answer", f"{len(composed.text)} characters{about}: "
                                     f"too long for a Discord embed ({EMBED_DESCRIPTION_LIMIT})"))
        if _EMAIL.search(composed.text) or _PHONE.search(composed.text):
            problems.append(_problem(intent, "answer", f"contains contact details{about}"))
        if intent.kind is ReplyKind.ANSWER and not composed.citations:
            problems.append(_problem(intent, "citations", f"the answer cites nothing{about}"))
    return problems


def check_phrasings(kb: KnowledgeBase, matcher: Matcher, near_duplicates: bool = True) -> list[Problem]:
    """The same phrasing under two intents is an error; a near-duplicate a warning (the
    pairwise comparison is the slow part, so start-up and /reload skip it)."""
    problems: list[Problem] = []
    owners: dict[str, list[tuple[Intent, str]]] = defaultdict(list)
    for intent in kb.intents.values():
        for phrasing in dict.fromkeys((intent.question, *intent.phrasings)):
            owners[" ".join(matcher.canonical_terms(phrasing))].append((intent, phrasing))
    seen_pairs: set[tuple[str, str]] = set()
    for users in owners.values():
        ids = {i.id for i, _ in users}
        if len(ids) > 1:
            intent, phrasing = users[-1]
            others = ", ".join(sorted(ids - {intent.id}))
            problems.append(_problem(intent, "phrasings",
                                     f"{phrasing!r} reads the same as a phrasing of {others}"))
            seen_pairs.update((a, b) for a in ids for b in ids)
    keys = [k for k in owners if k] if near_duplicates else []
    # A near-duplicate is a slip (a typo, a dropped letter): some word of it is used nowhere
    # else. Two real words that happen to look alike ("founded", "funded") are a distinction.
    uses: dict[str, int] = defaultdict(int)
    for key in keys:
        for token in set(key.split()):
            uses[token] += 1
    for i, left in enumerate(keys):
        for right in keys[i + 1:]:
            if abs(len(left) - len(right)) > 8:
                continue
            a, b = owners[left][0][0], owners[right][0][0]
            if a.id == b.id or (a.id, b.id) in seen_pairs:
                continue
            differing = set(left.split()) ^ set(right.split())
            if fuzz.ratio(left, right) >= NEAR_DUPLICATE and any(uses[t] == 1 for t in differing):
                seen_pairs.add((a.id, b.id))
                problems.append(_problem(b, "phrasings", f"{owners[right][0][1]!r} is nearly the same "
                                         f"as {owners[left][0][1]!r} in {a.id}", Severity.WARNING))
    return problems


def check_tables(kb: KnowledgeBase) -> list[Problem]:
    problems: list[Problem] = []
    for name in TABLE_NAMES:
        try:
            rendered = render_table(kb, name)
        except (KeyError, LookupError, ValueError) as exc:
            problems.append(Problem("knowledge/tables.yaml", name, "", f"cannot be rendered: {exc}"))
            continue
        for page in rendered.pages:
            if _EMAIL.search(page) or _PHONE.search(page):
                problems.append(Problem("knowledge/tables.yaml", name, "", "contains contact details"))
    return problems


def check_knowledge(kb: KnowledgeBase, matcher: Matcher, thorough: bool = False) -> list[Problem]:
    return [*check_intents(kb), *check_phrasings(kb, matcher, thorough), *check_tables(kb)]
