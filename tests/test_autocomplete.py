"""/ask autocomplete: known questions only, at most 25, the closest to what is typed first."""

from __future__ import annotations

from bot.core.engine import Engine
from bot.core.models import ReplyKind
from bot.discord_app.autocomplete import CHOICE_LIMIT, complete_question, question_catalog


def test_the_catalog_is_the_answering_intents_canonical_questions(engine: Engine) -> None:
    catalog = question_catalog(engine.kb)
    answering = {i.question for i in engine.kb.intents.values() if i.kind is ReplyKind.ANSWER}
    assert set(catalog) == answering and len(catalog) == len(set(catalog))
    help_intent = engine.kb.intents["meta.help"]
    first = [engine.kb.intents[i].question for i in help_intent.related]
    assert list(catalog[: len(first)]) == first, "the help intent's suggestions come first"


def test_nothing_typed_offers_the_first_25(engine: Engine) -> None:
    catalog = question_catalog(engine.kb)
    assert complete_question(catalog, "  ") == list(catalog[:CHOICE_LIMIT])


def test_typed_words_and_typos_find_their_question(engine: Engine) -> None:
    catalog = question_catalog(engine.kb)
    for typed in ("who founded", "WHO FOUNDED", "who foundd the cnrp"):
        offered = complete_question(catalog, typed)
        assert 1 <= len(offered) <= CHOICE_LIMIT
        assert offered[0] == engine.kb.intents["party.founders"].question, typed
    assert complete_question(catalog, "zzzzqqqq xxyy") == []
