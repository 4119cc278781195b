"""Every matching threshold in one place, tuned only against the labelled question files."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MatchConfig:
    # A reply states facts only at or above this confidence.
    threshold: float = 0.66
    # Two different intents closer than this are a guess, not an answer: ask which.
    ambiguity_margin: float = 0.03
    # Candidates below this are too weak even to suggest.
    suggestion_floor: float = 0.45
    max_suggestions: int = 3
    # Intents refined with rapidfuzz and the entity rules after the matrix pass.
    shortlist: int = 6
    # Share of the character-level (rapidfuzz) score in an intent's score.
    fuzzy_weight: float = 0.1
    # Weight of who/what/when/where/why/how/which: they separate "who founded" from
    # "when was it founded", but matter less than the words that carry the topic.
    question_word_weight: float = 0.7
    # How much of a question word an intent's keyword list explains (a phrasing: all of it).
    keyword_credit: float = 1.0
    # Filler words still count a little, so "what can you do" can match help at all.
    stopword_weight: float = 0.1
    # Recall (how much of the question an intent explains) counts beta times as much as
    # precision (how much of a phrasing the question repeats): unexplained words are what
    # out-of-scope questions are made of, while a short question may echo a long phrasing.
    recall_beta: float = 1.6
    # Weight of a word the knowledge base has never seen, relative to the rarest known word:
    # unknown words are what out-of-scope questions are made of.
    unknown_word_weight: float = 0.85
    # Multipliers for entity evidence.
    entity_conflict_factor: float = 0.45  # names one person/place, the intent is about another
    unknown_year_factor: float = 0.5  # a year no source mentions
    stray_entity_factor: float = 0.75  # names a person/place the intent never concerns
    question_word_factor: float = 0.85  # asks "who" where the intent only answers "when"
    unnamed_phrasing_factor: float = 0.8  # a phrasing naming no one, for a question naming someone
    present_tense_factor: float = 0.75  # "today"/"now" where no phrasing asks about the present
    # A rare word the intent never uses (nor its answer), though another intent does: the
    # question is about something else that shares the topic's words ("what was decided at
    # the summit": the court decided, the summit's intent never says what was decided).
    off_topic_word_factor: float = 0.85
    off_topic_word_idf: float = 4.0  # rare: used by one other intent only
    entity_count_factor: float = 0.7  # names one place where the intent compares two, or vice versa
    # Beyond this many content words, unknown words weigh proportionally less (long messages
    # carry context: "I'm writing a school report and I need to know …").
    long_question_words: int = 8
    # Typo correction: the lowest rapidfuzz ratio accepted, by word length.
    typo_cutoff_short: float = 75.0  # 4 letters: one edit
    typo_cutoff_medium: float = 80.0  # 5 letters
    typo_cutoff_long: float = 78.0  # 6 letters or more
    name_cutoff: float = 84.0  # a span of words against a person's or place's name
    # Follow-ups: how long and for how many questions an answer stays the context, and how
    # much a short question ("which court?") leans towards the last answer's topic.
    context_ttl_seconds: float = 600.0
    context_max_turns: int = 5
    context_short_question: int = 4  # content words at most
    context_boost: float = 0.12
    # Longer questions are cut here before matching; nothing is lost from the reply.
    max_question_chars: int = 600

    def __post_init__(self) -> None:
        for name in ("threshold", "ambiguity_margin", "suggestion_floor", "fuzzy_weight"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be within [0, 1], got {value}")


@dataclass(frozen=True)
class KnowledgeLimits:
    """The largest knowledge folder the bot loads; past any of these it is refused with a
    clear message before it is parsed or indexed, so a /reload cannot get the bot killed.
    Memory grows with phrasings × vocabulary: 4,000 extra intents took 1.6 GB, 20,000 over 20 GB.
    The shipped folder (28 files, 0.2 MB, 81 intents, 2,319 phrasings, 2.7 M index cells) fits
    each limit at least 17 times over."""

    # Every file is opened and parsed at load; a folder of thousands is a mistake (a wrong path).
    max_files: int = 500
    # PyYAML holds a parsed document at some 30 times its size: 20 MB of text is ~600 MB.
    max_bytes: int = 20_000_000
    # One file is parsed whole, so one file gets a share of the total, not all of it.
    max_file_bytes: int = 5_000_000
    # Each intent is validated by rendering its answer for every row it can be about.
    max_intents: int = 2_000
    # Each phrasing is a row of the matcher's index and is scored for every question.
    max_phrasings: int = 50_000
    # The matcher holds two float32 matrices of phrasings × distinct words (8 bytes a cell):
    # 50 M cells is 400 MB; the shipped knowledge uses 2.7 M (22 MB).
    max_index_cells: int = 50_000_000
