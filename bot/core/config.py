"""Every matching setting in one place, each with its reason. The scoring model's weights and
its answer and suggestion thresholds are fitted data (knowledge/scoring.yaml, `make fit`);
what is here shapes the evidence it weighs."""

from __future__ import annotations

from bot.core.records import record


@record
class MatchConfig:
    """The matcher's settings: thresholds, weights, cut-offs, and how long a conversation is kept."""

    # None: the fitted model's thresholds (knowledge/scoring.yaml). A number overrides its
    # answer threshold (MATCH_THRESHOLD): replies state facts only at or above it.
    threshold: float | None = None
    # Two different intents whose probabilities are closer than this are a guess, not an
    # answer: the bot asks which one was meant.
    ambiguity_margin: float = 0.03
    max_suggestions: int = 3
    # Intents whose features are computed after the retrieval pass: enough that the right one
    # is almost always among them (measured on the labelled files), few enough to stay cheap.
    shortlist: int = 8
    # Besides, the few intents whose reply itself uses most of the question's content words
    # (weighted by rarity): a question about a detail finds the reply that states it.
    answer_shortlist: int = 3
    answer_recall_floor: float = 0.4
    # And the intents the word-level classifier gives a fair chance, whatever the overlap.
    classifier_shortlist: int = 3
    classifier_floor: float = 0.1
    # Weight of who/what/when/where/why/how/which in word overlap: they separate "who founded"
    # from "when was it founded", but matter less than the words that carry the topic.
    question_word_weight: float = 0.7
    # Filler words still count a little, so "what can you do" can match help at all.
    stopword_weight: float = 0.1
    # Recall (how much of the question an intent explains) counts beta times as much as
    # precision (how much of a phrasing the question repeats): unexplained words are what
    # out-of-scope questions are made of, while a short question may echo a long phrasing.
    recall_beta: float = 1.6
    # Weight of a word the knowledge base has never seen, relative to the rarest known word.
    unknown_word_weight: float = 0.85
    # Beyond this many content words, unknown words weigh proportionally less (long messages
    # carry context: "I'm writing a school report and I need to know …").
    long_question_words: int = 8
    # Words of the sentences around a question ("I'm writing an essay. Who founded …?") weigh
    # this much: they set the scene rather than say what is asked.
    background_weight: float = 0.3
    # Retrieval picks the phrasing that speaks for an intent: one naming another person or
    # place than the question does fits it less, and one naming no one of that kind (nor
    # holding a slot for one) was not written for questions about a particular person.
    entity_conflict_factor: float = 0.45
    unnamed_phrasing_factor: float = 0.8
    # Word vectors: a cosine below this says nothing (unrelated word pairs reach about 0.2 in
    # this table; synonyms such as banned/outlawed 0.55, pension/pensioners 0.75).
    semantic_floor: float = 0.35
    # Typo correction: the lowest rapidfuzz ratio accepted, by word length.
    typo_cutoff_short: float = 75.0  # 4 letters: one edit
    typo_cutoff_medium: float = 80.0  # 5 letters
    typo_cutoff_long: float = 78.0  # 6 letters or more
    name_cutoff: float = 84.0  # a span of words against a person's or place's name
    # A row found by the words of its text (tables with `search:`) needs at least this much
    # evidence: the IDF of one word that only one or two of its table's rows use.
    row_search_evidence: float = 2.5
    # When an intent is clear and only its row is missing, less will do: the IDF of one word
    # that a single row of a seven-row table uses (log 8 ≈ 2.08). The row must still lead the
    # next by a common word's IDF.
    slot_search_evidence: float = 2.0
    # Follow-ups: how long and for how many questions an answer stays the context, and how
    # much a short question ("which court?") leans towards the last answer's topic.
    context_ttl_seconds: float = 600.0
    context_max_turns: int = 5
    context_short_question: int = 4  # content words at most
    # Log-odds added to a candidate of the last answer's topic when a question is short or
    # leans on the last answer ("it", "that"): 1.5 multiplies its odds by about 4.5.
    context_boost: float = 1.5
    # Longer questions are cut here before matching; nothing is lost from the reply.
    max_question_chars: int = 600

    def __post_init__(self) -> None:
        for name in ("threshold", "ambiguity_margin"):
            value = getattr(self, name)
            if value is not None and not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be within [0, 1], got {value}")


@record
class KnowledgeLimits:
    """The largest knowledge folder the bot loads; past any of these it is refused with a
    clear message before it is parsed or indexed, so a /reload cannot get the bot killed.
    Memory grows with the phrasings (the matcher's index is postings, no longer phrasings ×
    vocabulary): 8 times the shipped knowledge, 33,000 phrasings, peaks at about 165 MB.
    The shipped folder (36 files, 1.4 MB of which the fitted classifier is 1.0 MB, 104 intents,
    4,104 phrasings, 8.7 M index cells) fits each limit at least 4 times over."""

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
    # Phrasings × distinct words. The matcher once held two dense float32 matrices of that size
    # (8 bytes a cell: 50 M cells was 400 MB); its postings now grow with the phrasings alone,
    # but the bound stays as it was, so a /reload takes in no larger knowledge than before.
    # The shipped knowledge has 8.7 M.
    max_index_cells: int = 50_000_000


# Built engines kept on disk (bot/core/enginecache.py): each is about 11 MB, and a few let
# two checkouts or a knowledge edit and its undo share the folder without rebuilding.
ENGINE_CACHE_KEEP = 4

# (intent, uncovered words) pairs whose word-vector nearness is kept: a word left uncovered meets
# a few candidate intents, so twice the bound on words below; each intent's table holds its share
# (a 104th here); some 105 bytes a pair (the 16,099 pairs of the labelled questions take 1.7 MB),
# 4.2 MB at most.
NEARNESS_CACHE_SIZE = 40_000

# Words and pairs of neighbouring words whose classifier feature rows are kept (a question's
# words are a few more pairs than words): some 100 bytes an entry, 4 MB at most.
FEATURE_ROW_CACHE_SIZE = 40_000

# Words whose per-word lookups are kept (a word's reach among the replies, its word-vector row,
# an unknown word's reading or spelling fix, its forms, a run of text's words by clause and
# whether one marks another language, what the features read of it): more than a day of a busy
# channel's distinct words, a few hundred kilobytes a memo at most, but for the features' term
# readings (forms, rarity, the intents covering it: some 450 bytes a word, 0.5 MB for the 1,231
# words of the labelled questions); past it a memo starts over (an lru_cache drops its least
# recently used).
WORD_CACHE_SIZE = 20_000

# Sentences with something outside ASCII (an emoji, an accent, another script) whose folded words
# are kept: such a sentence is folded whole, and one message's reading folds each of its
# sentences three or four times (its words, their stems, its answer types). A message holds a
# few sentences, so a few messages' worth; each entry is at most a message long.
FOLDED_TEXT_CACHE_SIZE = 32

# A word whose postings (the phrasings that use it and those that vouch for it, as one column of
# twice the phrasings) fill more than this share (1/8) of the column is also kept as a whole
# column, already times its own weight: adding the 8,200-cell column costs about what scattering
# into 1,000 of its cells does (summing the labelled questions' words, 1/8 took 11.7 µs a
# question, 1/16 12.9, 1/32 16.8; with pre-weighted columns 1/16 would save about 1 µs for
# 0.35 MB more, too little to pay). Some 6 words pass it; the columns take about 0.2 MB.
DENSE_POSTING_SHARE = 8

# The Discord adapter waits this long for an answer from its worker thread with the event loop's
# own thread blocked (bot/discord_app/worker.py): an answer takes about a millisecond (p99 under
# 1.5 ms), so nearly every one arrives within it, and a slower one holds the loop no longer than
# this before it is awaited like any I/O, within ANSWER_BUDGET_SECONDS. Awaiting every answer
# instead let the loop and the worker take the GIL from each other at each socket call: 20 to 28
# thread switches an answer instead of about 7, and 0.1-0.3 ms more of the bot's CPU an answer
# (python -m tests.bench_e2e on a shared 2-core machine).
ENGINE_WAIT_SECONDS = 0.01

# Ids whose log pseudonyms (a keyed hash, bot/discord_app/logsafe.py) are kept: the servers and
# channels an answer's log line names come back on every line; some 150 bytes an entry.
LOG_PSEUDONYM_CACHE_SIZE = 4096

# The Discord bot's youngest generation of the garbage collector is collected after this many
# more objects made than freed (Python's default is 700). The replies in flight hold some
# thousands of objects at a time (requests, responses, messages, tasks), so at 700 the collector
# ran some 20 times a second in the end-to-end bench, each time walking the replies in flight
# and finding nothing to free (they are freed by reference counting once sent), and moving them
# to the older generations, whose passes then walked them again: 33 ms of the bot's CPU a
# second, about 0.2 ms an answer. At 10,000 it runs about once in 5 s: 2.5 ms a second
# (collections counted with gc.callbacks in the bot during python -m tests.bench_e2e; 2,000
# gave 15 ms a second, 4,000 5.4 ms).
BOT_GC_YOUNG_THRESHOLD = 10_000

# Threads OpenBLAS starts when numpy loads (bot/__init__.py sets OPENBLAS_NUM_THREADS to this
# unless it is already set). By default it starts one a core, and each spins for about 0.1 s
# waiting for work: some 110 ms of CPU at every start, taken from whatever else runs on the
# machine (on this 2-core machine with another process busy, a one-question start took 0.32 s
# wall and 0.40 s CPU at the default, 0.30 s and 0.29 s with one thread; `import numpy` alone
# 0.27 s and 0.36 s against 0.22 s and 0.22 s, medians of 13-15 alternated runs). The engine's
# matrix products are single vectors against small matrices, which OpenBLAS runs on one thread
# anyway: answers and ask()'s CPU are the same either way.
BLAS_THREADS = 1

