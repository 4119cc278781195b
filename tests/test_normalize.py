from __future__ import annotations

import re
import unicodedata

from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.core.normalize import (
    SynonymMap,
    _fold_all,
    _fold_char_marks,
    _latin_marks_dropped,
    fold,
    kept_run,
    lazy_pattern,
    phrase_tokens,
    slot_token,
    stem,
    stemmed_words,
    tokenize,
    words_and_stems,
)


def test_a_lazy_pattern_is_the_plain_compiled_pattern_made_once() -> None:
    source = r"['\u2019](?<=\w['\u2019])(?=\w)|HTTPS?://\\S+"
    lazy = lazy_pattern(source, re.IGNORECASE)
    plain = re.compile(source, re.IGNORECASE)
    assert lazy() is lazy()
    assert (lazy().pattern, lazy().flags) == (plain.pattern, plain.flags)
    text = "Don\u2019t see https://x.org/a or o'clock"
    assert lazy().sub("", text) == plain.sub("", text)


def test_case_accents_and_punctuation_fold_away() -> None:
    assert tokenize("TAKÉO?!  Kratié...") == ["takeo", "kratie"]


def test_discord_markup_is_removed() -> None:
    text = "<@123456> <@!42> <@&7> <#99> <:cnrp:123> @everyone who founded it"
    assert tokenize(text) == ["who", "founded", "it"]


def test_stretched_letters_and_apostrophes() -> None:
    assert tokenize("whooooo's the leaderrrr") == ["whoos", "the", "leaderr"]
    assert tokenize("women's rights") == ["womens", "rights"]


def test_numbers_keep_their_value() -> None:
    assert tokenize("2,946,176 votes, 44.46%") == ["2946176", "votes", "44.46", "percent"]


def test_a_percent_sign_is_a_word() -> None:
    # "lowest cnrp % anywhere" asks about the share, whatever the sign stands beside.
    assert tokenize("lowest cnrp % anywhere") == ["lowest", "cnrp", "percent", "anywhere"]
    assert tokenize("above 40%") == tokenize("above 40 %") == ["above", "40", "percent"]
    # Spaces of every kind before the sign go with it, however many ("40 \t %", a run of 20,000).
    assert fold("40 \t\u3000%") == fold("40%") and tokenize("a" + " " * 20_000 + "%%") == ["a", "percent", "percent"]


def test_khmer_words_stay_whole() -> None:
    assert tokenize("សង្គ្រោះ បម្រើ ការពារ") == ["សង្គ្រោះ", "បម្រើ", "ការពារ"]


def test_an_adverb_in_ally_is_its_adjective() -> None:
    assert [stem(w) for w in ("internationally", "officially", "illegally", "nationally")] == [
        "international", "official", "illegal", "national"]
    # Short words are left alone: a rally is no "ral".
    assert [stem(w) for w in ("rally", "tally", "really")] == ["rally", "tally", "really"]


def test_stem_plurals() -> None:
    assert [stem(w) for w in ("votes", "policies", "leaders", "boss", "status", "cnrp")] == [
        "vote", "policy", "leader", "boss", "status", "cnrp"]


def test_slots_become_single_tokens() -> None:
    assert phrase_tokens("results in {policy_area}") == ["result", "in", slot_token("policy_area")]


def test_synonyms_longest_first() -> None:
    synonyms = SynonymMap({"sam rainsy party": "srp", "the party": "cnrp", "banned": "dissolved"})
    tokens = [stem(t) for t in tokenize("the party merged with the Sam Rainsy Party, then banned")]
    assert synonyms.apply(tokens) == ["cnrp", "merged", "with", "the", "srp", "then", "dissolved"]


@settings(max_examples=500, deadline=None, derandomize=True)
@given(st.text(max_size=300))
# A mark on a base the punctuation pass turns into a space: it survived the first fold only.
@example("\U00014647\u0591")
@example("x\U00014647\u094d y")
def test_fold_never_raises_and_is_idempotent(text: str) -> None:
    once = fold(text)
    assert fold(once).split() == once.split()


# Pieces that make fold's patterns match, glued together at random.
_TRICKY = ["http://x.co/a?b", "WWW.Foo.com", "httpſ://a", "<@123>", "<a:x:1>", "@everyone", "@heres", "1,000",
           "44.46", "v2.0", "don't", "it`s", " %", "%", "\u3000%", "40 \t %", "leaderrrr", "_", "\x00", "\x01",
           "\x1c", "\x7f", "\x85", "\xa0", ".", "? ", "\n", " ", "é", "\u0301", "ß", "٪", "％", "ក", "a", "2", "'", ","]


@given(st.one_of(st.lists(st.sampled_from(_TRICKY), max_size=20).map("".join),
                 st.text(alphabet=st.characters(max_codepoint=127), max_size=80), st.text(max_size=80)))
def test_tokenize_is_the_words_of_fold(text: str) -> None:
    # ASCII text is folded a run of non-space characters at a time (and the runs remembered).
    assert tokenize(text) == fold(text).split()
    assert tokenize(text) == fold(text).split()


@given(st.one_of(st.lists(st.sampled_from([*_TRICKY, "Parties", "internationally", "classes", "45s", "Leaderr" * 10]),
                          max_size=20).map(" ".join),
                 st.text(alphabet=st.characters(max_codepoint=127), max_size=80), st.text(max_size=80)))
def test_stemmed_words_are_the_stems_of_the_words(text: str) -> None:
    # Each run's stems are remembered with it: the second call reads them from there.
    assert stemmed_words(text) == [stem(t) for t in tokenize(text)]
    assert stemmed_words(text) == [stem(t) for t in tokenize(text)]
    # Words and stems together, a run's both remembered in one place.
    assert words_and_stems(text) == (tokenize(text), [stem(t) for t in tokenize(text)])
    assert words_and_stems(text) == (tokenize(text), [stem(t) for t in tokenize(text)])


@given(st.one_of(st.lists(st.sampled_from([*_TRICKY, "Party", "sooo", "CNRP2013", "?!", ":", ";", "2013", "www", "ww"]),
                          max_size=6).map("".join),
                 st.text(alphabet=st.characters(max_codepoint=127), max_size=20), st.text(max_size=20)))
def test_a_word_of_ascii_letters_and_digits_folds_as_every_step_folds_it(text: str) -> None:
    # The short way for letters and digits with marks after them: the same text as every step.
    assert fold(text) == _fold_all(text)


@given(st.one_of(st.lists(st.sampled_from([*_TRICKY, "😀", "🤔", "—", "là", "quién", "ﬁ", "Å", "ǅ", "\u0e01\u0e34"]),
                          max_size=12).map("".join), st.text(max_size=60)))
def test_marks_are_dropped_as_a_walk_over_every_character_drops_them(text: str) -> None:
    # Text without combining marks (an emoji, a dash) skips the walk: the same text either way.
    walked = unicodedata.normalize("NFC", _latin_marks_dropped(unicodedata.normalize("NFKD", text)))
    assert _fold_char_marks(text) == walked


def test_the_words_of_the_questions_fold_as_every_step_folds_them() -> None:
    from tests.bench import mixed_questions

    runs = {run for question in mixed_questions() for run in question.split()}
    assert all(fold(run) == _fold_all(run) for run in runs)
    assert sum(run.rstrip("?!.,;:").isalnum() for run in runs) > len(runs) / 2  # the short way is the usual one


def test_the_memos_of_runs_keep_one_string_for_a_run() -> None:
    from bot.core import answertypes
    from bot.core.language import Lexicon, _run_marks

    run = "".join(["kept", "-run?"])  # made at run time: no constant of the code is this string
    again = "".join(["kept-", "run?"])
    assert again == run and again is not run
    kept = kept_run(run)
    assert kept == run and kept_run(again) is kept
    assert words_and_stems(again) == (tokenize(run), stemmed_words(run))
    answertypes.clause_words(again)
    _run_marks(again, lexicon := Lexicon())
    assert any(key is kept for key in answertypes._RUN_CLAUSES)
    assert any(key is kept for key in lexicon.run_marks)
    long_run = "x" * 100
    assert kept_run(long_run) is long_run  # folded as it comes, not kept


def test_a_runs_stems_are_kept_with_its_forms_not_in_the_memo_of_stems() -> None:
    stem.cache_clear()
    run = "".join(["unheard", "-parties?"])
    assert stemmed_words(run) == ["unheard", "party"] == [stem.__wrapped__(t) for t in tokenize(run)]
    assert stem.cache_info().currsize == 0
    assert stem("parties") == "party" and stem.cache_info().currsize == 1  # other readers keep theirs


def test_a_long_run_is_folded_whole() -> None:
    run = "Leaderrrr'" * 50
    assert tokenize(f"who {run} 40%") == ["who", "leaderr" * 50, "40", "percent"]


@given(st.lists(st.sampled_from(["the", "party", "sam", "rainsy", "banned", "a", "b", "c", "x"]), max_size=12))
def test_synonyms_replace_the_longest_variant_at_each_word(tokens: list[str]) -> None:
    variants = {"sam rainsy party": "srp", "the party": "cnrp", "banned": "dissolved", "a b c": "x", "a": "the"}
    table = {tuple(k.split()): v.split() for k, v in variants.items()}
    expected: list[str] = []
    i = 0
    while i < len(tokens):
        size = next((n for n in range(3, 0, -1) if tuple(tokens[i : i + n]) in table), 0)
        expected.extend(table[tuple(tokens[i : i + size])] if size else [tokens[i]])
        i += size or 1
    assert SynonymMap(variants).apply(tokens) == expected
