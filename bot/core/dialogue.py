"""How a message relates to the talk around it: several questions in one message, pronouns
and ellipsis resolved against the last answer."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from bot.core.guard import escape_markdown
from bot.core.models import Answer, Citation, Entity
from bot.core.normalize import fold, lazy_pattern

MAX_PARTS = 3

# Whitespace is collapsed first, so no pattern below ever backtracks over a long run of it.
_SPACES = lazy_pattern(r"[^\S\n]+")
_SENTENCE_END = lazy_pattern(r"(?<=[?!;]) |\n+")
_WH = r"(?:who|whos|whose|what|whats|when|where|why|how|which)"
_AUX = r"(?:is|was|did|does|do|are|were|can|could|has|had|will|would)"
# "… founded and who founded it", "…, and is it still active": a conjunction, or a comma, that
# starts a new question. "how many also had a seat" is one question: "also" alone splits nothing.
_QUESTION_JOIN = lazy_pattern(
    rf" ?, ?(?:(?:and|&|also|plus|then) )?(?={_WH}\b)"
    rf"| (?:and|&) (?=(?:{_WH}|{_AUX})\b)"
    rf"| ?, ?(?:and|&|also|plus|then) (?={_AUX}\b)",
    re.IGNORECASE,
)
_ASKS = lazy_pattern(rf"\b{_WH}\b|^\W*(?:{_AUX}|tell|list|name|give|explain|describe|show|spell)\b|[?;]\s*$",
                   re.IGNORECASE)
_ONLY_ASKING = lazy_pattern(rf"^\W*(?:{_WH}\W*){{1,2}}$", re.IGNORECASE)
# What a message needs before either pattern above can split it: a sentence break, a comma, or
# "and" or "&" between spaces. Most messages have none of them and are one question.
_MAY_SPLIT = lazy_pattern(r"[?!;][^\S\n]|[\n,]|\s(?:and|&)\s", re.IGNORECASE)
_WORD = lazy_pattern(r"\w")
PERSONAL_PRONOUNS = frozenset({"he", "his", "him", "himself", "she", "her", "hers", "herself"})
# Words that open a follow-up about another row of the same kind: "and in takeo?", "what about X".
_ELLIPSIS_OPENERS = ("and ", "what about ", "how about ", "same for ", "also ", "or ", "and what about ", "by ",
                     "now ", "then ", "ok and ", "okay and ", "same question for ", "what of ")
_CITATION_MARK = lazy_pattern(r"\[(\d+)\]")
# "that province", "this person": a row pointed at, not named.
DEICTIC_KINDS = {
    "constituency": ("province", "constituency", "region", "district", "place"),
    "person": ("person", "man", "woman", "guy", "politician", "leader"),
    "platform_point": ("platform point", "platform pledge", "platform promise", "point", "pledge", "promise"),
    "policy_area": ("policy area", "area", "policy field"),
    "committee": ("committee",),
    "election": ("election", "elections", "vote", "poll"),
    "organisation": ("organisation", "organization", "group", "movement", "network", "body", "coalition",
                     "ngo"),
}
# Compiled when first asked for: only a question with one of `_POINT_WORDS` tries them.
_DEICTIC = {kind: r"\b(?:that|this|the same)\s+(?:" + "|".join(words) + r")\b" for kind, words in DEICTIC_KINDS.items()}
# "… in the province?" at the end points as "in that province" does where no province is named;
# "the constituency votes" or "the party" name no row.
_DEICTIC["constituency"] += r"|\b(?:in|for|from|at)\s+the\s+(?:" + "|".join(DEICTIC_KINDS["constituency"]) + r")\W*$"
_POINTED = {kind: lazy_pattern(pattern, re.IGNORECASE) for kind, pattern in _DEICTIC.items()}
# Words that lean on something said before ("where was it issued", "who headed it").
ANAPHORS = frozenset({"it", "its", "that", "this", "those", "these", "they", "them", "their", "there", "then",
                      "he", "him", "his", "she", "her", "hers"})


# "what did they get there?": a place pointed at, in a question about a result.
_THERE_AT_END = r"\bthere\W*$"
_THERE = lazy_pattern(_THERE_AT_END, re.IGNORECASE)
# What a question needs before any pattern above can find a row pointed at (most have none of it).
_MAY_POINT = lazy_pattern(r"(?:that|this|same)\s|(?:" + "|".join(DEICTIC_KINDS["constituency"]) + r")\W*$|"
                        + _THERE_AT_END, re.IGNORECASE)
# The words `_MAY_POINT` needs one of. In ASCII text (nearly every question) matching
# case-insensitively is matching the lowered text, where they are found in one quick pass: the
# pattern above, which no first letter narrows, is tried at every place of only the few with one.
_POINT_WORDS = re.compile("|".join(("that", "this", "same", *DEICTIC_KINDS["constituency"], "there")))
_RESULT_WORDS = lazy_pattern(r"\b(?:votes?|share|percent|percentage|result|results|do|did|get|got|win|won|score)\b",
                           re.IGNORECASE)


def deictic_kind(text: str) -> str | None:
    """The kind of row a question points at without naming it, if any."""
    if not _may_point(text):
        return None
    found = next((kind for kind, pattern in _POINTED.items() if pattern().search(text)), None)
    if found is None and _THERE().search(text) and _RESULT_WORDS().search(text):
        return "constituency"
    return found


def _may_point(text: str) -> bool:
    """Whether `_MAY_POINT` matches."""
    if text.isascii() and not _POINT_WORDS.search(text.lower()):
        return False
    return _MAY_POINT().search(text) is not None


def deictic_word(text: str, kind: str) -> str:
    """The noun a question points at a row of `kind` with ("that movement" → "movement")."""
    pattern = _POINTED.get(kind)
    found = pattern().search(text) if pattern else None
    return fold(found.group(0)).split()[-1] if found else ""


def name_the_pointed(text: str, kind: str, key: str) -> str:
    if not _POINTED[kind]().search(text):
        return _THERE().sub(f"in {key}", text)
    if kind == "organisation" and not key.lower().startswith("the "):
        key = f"the {key}"  # "that movement" → "the Cambodia National Rescue Movement"
    def named(match: re.Match[str]) -> str:
        said = match.group(0)
        preposition = re.match(r"(?:in|for|from|at)\s+(?=the\b)", said, re.IGNORECASE)
        tail = re.search(r"\W*$", said)
        # "in the province?" → "in Takéo?"; "that province" → "Takéo".
        return f"{preposition.group(0) if preposition else ''}{key}{tail.group(0) if preposition and tail else ''}"

    return _POINTED[kind]().sub(named, text, count=1)


def split_questions(text: str) -> list[str]:
    """The questions in a message, in order; one part when it asks one thing. A part that asks
    nothing ("Out of the 23 members, how many …") or only repeats a question word ("which?")
    stays with its neighbour."""
    if not may_split(text):
        # No comma and no line break: the spaces collapsed and trimmed as below, at a split.
        whole = " ".join(text.split())
        return [whole] if _WORD().search(whole) else []
    pieces: list[str] = []
    for sentence in _SENTENCE_END().split(_SPACES().sub(" ", text)):
        pieces.extend(p.strip(" ,") for p in _QUESTION_JOIN().split(sentence))
    parts: list[str] = []
    carried = ""
    for piece in (p for p in pieces if _WORD().search(p)):
        if _ONLY_ASKING().match(piece) and parts:
            parts[-1] = f"{parts[-1]} {piece}"
            continue
        piece = f"{carried}, {piece}" if carried else piece
        carried = ""
        if not _ASKS().search(piece):
            carried = piece
            continue
        parts.append(piece)
    if carried:
        parts.append(carried) if not parts else parts.__setitem__(-1, f"{parts[-1]} {carried}")
    return parts


def may_split(text: str) -> bool:
    """Whether a message may hold more than one question: whether `_MAY_SPLIT` matches. Each of
    its branches needs a comma, a line break, an "&", a "?", "!" or ";" before the last
    character, or the letters "and" (in any case: no other letter matches one of them when case
    is ignored), which `in` finds at once: most messages have none of them, and the pattern,
    which no first character narrows, is tried only on the few that do."""
    if not ("," in text or "\n" in text or "&" in text or "and" in text.lower()
            or "?" in text[:-1] or "!" in text[:-1] or ";" in text[:-1]):
        return False
    return _MAY_SPLIT().search(text) is not None


def has_personal_pronoun(tokens: Sequence[str]) -> bool:
    return not PERSONAL_PRONOUNS.isdisjoint(tokens)


def replace_pronouns(text: str, name: str) -> str:
    """'when did his term end' → "when did Kem Sokha's term end"."""

    def swap(match: re.Match[str]) -> str:
        word = match.group(0).lower()
        return f"{name}'s" if word in ("his", "hers") else name

    return re.sub(r"\b(?:he|his|him|himself|she|her|hers|herself)\b", swap, text, flags=re.IGNORECASE)


def is_ellipsis(text: str, max_words: int = 6) -> bool:
    folded = " ".join(text.casefold().split())
    return len(folded.split()) <= max_words and folded.startswith(_ELLIPSIS_OPENERS)


def subject_person(answer: Answer, rows_of: Callable[[str], Sequence[Entity]]) -> str | None:
    """Whom the last turn was about: its row if a person, else the person its question named
    (so the subject stays put over several turns), else the first person its answer names
    (`rows_of` reads the rows a text names: asked only then, as reading an answer costs)."""
    if answer.entity is not None and answer.entity.kind == "person":
        return answer.entity.key
    asked = [e.key for e in answer.entities if e.kind == "person"]
    if len(set(asked)) == 1:
        return asked[0]
    return next((e.key for e in rows_of(answer.text) if e.kind == "person"), None)


def merge(parts: Sequence[tuple[str, Answer]], leftover: Sequence[str]) -> tuple[str, tuple[Citation, ...]]:
    """One reply for several answers, with their citations renumbered into one list."""
    citations: list[Citation] = []
    blocks: list[str] = []
    for question, answer in parts:
        numbers: dict[int, int] = {}
        for local, citation in enumerate(answer.citations, 1):
            if citation not in citations:
                citations.append(citation)
            numbers[local] = citations.index(citation) + 1
        text = _renumber(answer.text, numbers)
        # The user's own words head each part: escaped, so a link or heading they typed
        # never renders under the bot's name.
        blocks.append(f"{escape_markdown(question.strip())}\n{text}")
    if leftover:
        blocks.append("I answer up to three questions at a time; ask the rest again: "
                      + "; ".join(f"\u201c{escape_markdown(q)}\u201d" for q in leftover))
    return "\n\n".join(blocks), tuple(citations)


def _renumber(text: str, numbers: dict[int, int]) -> str:
    def swap(match: re.Match[str]) -> str:
        local = int(match.group(1))
        return f"[{numbers.get(local, local)}]"

    return _CITATION_MARK().sub(swap, text)
