"""What counts as a miss and what is kept of it, the grouping a curator reads, and the JSON lines
export and import."""

from __future__ import annotations

import json
import random
import string
from datetime import UTC, datetime

from bot.core.misses import (
    Feedback,
    Miss,
    Vote,
    answer_votes,
    cluster,
    format_report,
    miss_to_json,
    misses_from_jsonl,
    report,
)

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def miss(text: str, *, id_: int | None = None, leaning: str = "party.founders") -> Miss:
    return Miss(NOW, text, "unknown", 0.4, ((leaning, 0.4),), id=id_)


def test_similar_wordings_group_and_the_biggest_group_comes_first() -> None:
    found = [miss(t) for t in ("what is the weather like", "what is the weather like today",
                               "how is the weather", "who is the king of cambodia",
                               "what is the weather like")]  # fmt: skip
    groups = cluster(found)
    assert [g.count for g in groups] == [4, 1]
    assert groups[0].text == "what is the weather like", "the most frequent wording leads"
    assert groups[0].intents == (("party.founders", 4),)


def test_wordings_sharing_only_common_words_are_not_compared() -> None:
    # "what is the" opens 60 wordings: words that common make no two questions alike.
    rng = random.Random(3)
    words = {"".join(rng.choices(string.ascii_lowercase, k=8)) for _ in range(60)}
    found = [miss(f"what is the {word}") for word in sorted(words)]
    assert len(cluster(found)) == len(words)


def test_grouping_thousands_of_unrelated_misses_stays_exact_for_the_related() -> None:
    rng = random.Random(7)
    words = ["".join(rng.choice(string.ascii_lowercase) for _ in range(7)) for _ in range(2000)]
    found = [miss(" ".join(rng.sample(words, 5))) for _ in range(3000)]
    found += [miss("how many seats did cnrp win in 2013"), miss("how many seats did the cnrp win 2013")]
    groups = cluster(found)
    assert groups[0].count == 2 and sum(g.count for g in groups) == len(found)


def test_feedback_joins_its_miss_and_votes_on_answers_are_tallied() -> None:
    found = [miss("who made the cnrp", id_=1), miss("who made cnrp", id_=2), miss("weather", id_=3)]
    feedback = [
        Feedback(NOW, Vote.CLICKED, miss_id=1, suggestion="Who founded the CNRP?"),
        Feedback(NOW, Vote.CLICKED, miss_id=2, suggestion="Who founded the CNRP?"),
        Feedback(NOW, Vote.DOWN, miss_id=3, intent="party.logo"),
        Feedback(NOW, Vote.UP, intent="party.founders"),
        Feedback(NOW, Vote.DOWN, intent="party.logo"),
        Feedback(NOW, Vote.DOWN, intent="party.logo"),
    ]
    groups = {g.text: g for g in cluster(found, feedback=feedback)}
    assert groups["who made the cnrp"].clicked == (("Who founded the CNRP?", 2),)
    assert groups["weather"].votes == (0, 1)
    assert answer_votes(feedback) == {"party.logo": (0, 2), "party.founders": (1, 0)}
    text = format_report(report(found, feedback))
    assert "clicked: 'Who founded the CNRP?' ×2" in text and "votes: 👍 0 👎 1" in text
    assert "party.logo: 0 / 2" in text


def test_the_report_fits_its_limit_and_says_what_it_left_out() -> None:
    rng = random.Random(5)
    found = [miss(f"{''.join(rng.choices(string.ascii_lowercase, k=9))} question") for _ in range(200)]
    text = format_report(report(found), limit_chars=500)
    assert len(text) <= 500 and text.endswith("more groups")


def test_json_lines_round_trip_and_old_lines_import_once() -> None:
    kept = Miss(NOW, "what is the weather", "unknown", 0.3, (("party.logo", 0.3),), None, 42, 99)
    (back,) = misses_from_jsonl([json.dumps(miss_to_json(kept))])
    assert back == kept
    old = json.dumps({"at": "2026-10-01T10:00:00+00:00", "text": "old question", "kind": "unknown",
                      "confidence": 0.2, "candidates": []})  # fmt: skip
    first, second = list(misses_from_jsonl([old, "{cut short", old]))
    assert first.server is None and first.id == second.id, "same line, same id: imported once"
