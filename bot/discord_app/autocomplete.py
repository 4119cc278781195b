"""/ask autocomplete: the questions the bot knows it can answer, closest to what is typed first."""

from __future__ import annotations

from collections.abc import Sequence

from rapidfuzz import fuzz, process

from bot.core.knowledge import KnowledgeBase
from bot.core.models import ReplyKind
from bot.core.normalize import fold

CHOICE_LIMIT = 25  # Discord shows at most 25 choices
CHOICE_CUTOFF = 55.0  # below this a question is not worth offering for what was typed


def question_catalog(kb: KnowledgeBase) -> tuple[str, ...]:
    """Every answering intent's canonical question, the help intent's suggestions first."""
    help_intent = kb.intents.get("meta.help")
    first = [kb.intents[i].question for i in (help_intent.related if help_intent else ())
             if i in kb.intents]
    answering = [i.question for i in kb.intents.values() if i.kind is ReplyKind.ANSWER]
    return tuple(dict.fromkeys([*first, *answering]))


def complete_question(catalog: Sequence[str], typed: str, limit: int = CHOICE_LIMIT) -> list[str]:
    """Up to `limit` questions for what has been typed: those containing it first (in catalog
    order), then those rapidfuzz finds alike (typos, other word order)."""
    wanted = " ".join(fold(typed).split())
    if not wanted:
        return list(catalog[:limit])
    folded = {question: " ".join(fold(question).split()) for question in catalog}
    picked = [q for q, f in folded.items() if wanted in f]
    alike = process.extract(wanted, folded, scorer=fuzz.WRatio, processor=None,
                            score_cutoff=CHOICE_CUTOFF, limit=limit * 2)
    picked += [question for _, _, question in alike]
    return list(dict.fromkeys(picked))[:limit]
