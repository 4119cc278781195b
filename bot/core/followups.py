"""Follow-ups: a question that leans on the last one, re-read with what it leaves out.

One mechanism for the ways a follow-up is short: the last question is asked again with the
follow-up's rows in place of the last question's rows of the same kind ("and in Takéo?",
"what about the Standing Committee?"), or with the follow-up's word in place of the last
question's word it stands against ("and the weakest?" after "where was it strongest",
"and by votes?" after "top 5 by share"). Which word a new word replaces is told by the word
vectors (antonyms and siblings lie close) and by the lists of alternatives in
knowledge/operations.yaml.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from bot.core.language import Lexicon
from bot.core.models import Entity
from bot.core.wordvectors import WordVectors

# Two words this close in the vectors stand for alternatives of one slot ("weakest" for
# "strongest" is 0.67; unrelated words stay under 0.25).
SWAP_SIMILARITY = 0.4
# Kinds of row that stand for one another: an election is named by its year ("in 2013") or by
# its name ("the communal elections").
_STANDS_FOR = {"election": ("year",), "year": ("election",)}


def swap_rows(tokens: Sequence[str], old: Sequence[Entity], new: Sequence[Entity]) -> list[str] | None:
    """The last question's words with each of its rows replaced by the follow-up's row of the
    same kind; None when no row of the follow-up's kinds was in the last question."""
    by_kind: dict[str, list[Entity]] = {}
    for entity in new:
        by_kind.setdefault(entity.kind, []).append(entity)
        for kind in _STANDS_FOR.get(entity.kind, ()):
            by_kind.setdefault(kind, []).append(entity)
    words = list(tokens)
    replacements: dict[int, str] = {}  # an old row's position → the rows taking its place
    for kind, incoming in by_kind.items():
        olds = sorted((e for e in old if e.kind == kind and e.end <= len(words)), key=lambda e: e.start)
        if not olds:
            continue
        # A row standing for another kind is put as the follow-up said it: "in 2013" becomes
        # "in the communal elections", not "in communal" (an election's key is one word).
        named = [e.key if e.kind == kind else e.text for e in incoming]
        if len(incoming) == len(olds):
            # "kandal and takeo" → "and kampot and kep?": each row in turn.
            pairs = zip(olds, ([n] for n in named), strict=True)
        elif len(olds) == 1:
            # One row asked about, now several: the question is asked of them all.
            pairs = zip(olds, [named], strict=True)
        else:
            continue  # one new row for two old ones: which it replaces is anyone's guess
        for entity, keys in pairs:
            replacements.setdefault(entity.start, " and ".join(keys))
    if not replacements:
        return None
    for entity in sorted(old, key=lambda e: e.start, reverse=True):
        if entity.start in replacements and entity.end <= len(words):
            words[entity.start : entity.end] = replacements.pop(entity.start).casefold().split()
    return words


_QUANTITY_WORDS = frozenset({"many", "much"})  # "how many", "how much": how a question counts


def swap_words(tokens: Sequence[str], new_words: Iterable[str], lexicon: Lexicon, vectors: WordVectors,
               alternatives: Sequence[frozenset[str]]) -> list[str] | None:
    """The last question's words with the word each new word stands against replaced by it;
    None when no new word has a counterpart there."""
    words = list(tokens)
    replaced = False
    for word in new_words:
        if word in words or word in lexicon.filler:
            continue
        best, best_score = -1, SWAP_SIMILARITY
        for position, old in enumerate(words):
            # How the last question asked ("how much", "when") is no word to swap a topic into:
            # "how many points …" after "how much is that per year?" is not "how points is that".
            if old in lexicon.filler or old == word or old in lexicon.question_words or old in _QUANTITY_WORDS:
                continue
            numbers = word[:1].isdigit() and old[:1].isdigit()
            if numbers or any(word in group and old in group for group in alternatives):
                best, best_score = position, 1.0
                break
            score = vectors.similarity(old, word)
            if score > best_score:
                best, best_score = position, score
        if best >= 0:
            words[best] = word
            replaced = True
    return words if replaced else None
