"""The frozen data the core hands to its adapters."""

from __future__ import annotations

from bot.core.models import Candidate


def test_a_candidate_rounds_and_words_its_score_when_read() -> None:
    candidate = Candidate("party.founding", 0.876543219, "When was the CNRP founded?", 0.5, 0.91234,
                          "when was it founded", ("asks one of its phrasings word for word", "same topic"))
    assert candidate.score == 0.8765
    assert candidate.why == ("overlap 0.50, fuzzy 0.91, via 'when was it founded'; asks one of its phrasings "
                             "word for word; same topic")
    assert Candidate("meta.help", 0.5, "What can you do?").why == "overlap 0.00, fuzzy 0.00, via ''"
