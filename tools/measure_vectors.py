"""Cosine similarities of the shipped word vectors on word pairs typical of questions here.

`make vectors-report` (or `.venv/bin/python tools/measure_vectors.py`). A measurement to
choose a threshold from, not a test: it prints, for synonym and paraphrase pairs, for pairs
of related words that must stay apart (founded/dissolved, won/lost) and for unrelated pairs,
each pair's cosine, then what share of each group clears a range of thresholds.

A phrase ("set up") is looked up whole; the table also gives the mean of its words' vectors,
printed beside it, which is what a phrase the table lacks would get.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.core.wordvectors import WordVectors, load

SYNONYMS = [
    ("leader", "chief"), ("leader", "head"), ("leader", "boss"), ("leader", "president"),
    ("leader", "in charge"), ("chairman", "president"), ("deputy", "vice"),
    ("banned", "outlawed"), ("banned", "prohibited"), ("banned", "shut down"), ("banned", "dissolved"),
    ("dissolved", "disbanded"),
    ("arrested", "jailed"), ("arrested", "detained"), ("arrested", "locked up"), ("jailed", "imprisoned"),
    ("prison", "jail"),
    ("pension", "pensioners"), ("pension", "retirement"), ("pensioners", "elderly"),
    ("farmers", "agriculture"), ("farmers", "peasants"),
    ("wage", "salary"), ("wage", "pay"), ("salary", "income"),
    ("founded", "set up"), ("founded", "established"), ("founded", "created"),
    ("votes", "ballots"), ("election", "poll"), ("voters", "electorate"),
    ("exiled", "fled"), ("protest", "demonstration"), ("corruption", "bribery"),
]

# Related words a matcher must not treat as the same question.
DISTINCT = [
    ("founded", "dissolved"), ("arrested", "released"), ("won", "lost"), ("president", "vice"),
    ("leader", "member"), ("election", "referendum"), ("pension", "salary"), ("farmers", "workers"),
    ("senate", "assembly"), ("banned", "allowed"), ("prison", "court"), ("votes", "seats"),
]

UNRELATED = [
    ("leader", "banana"), ("banned", "banana"), ("pension", "election"), ("farmers", "court"),
    ("wage", "exile"), ("founded", "weather"), ("votes", "prison"), ("arrested", "salary"),
    ("leader", "pension"), ("jailed", "agriculture"), ("ballots", "farmers"), ("salary", "constituency"),
    ("dissolved", "teachers"), ("chief", "rice"), ("boss", "ballots"), ("outlawed", "pension"),
    ("detained", "wage"), ("elderly", "votes"), ("founded", "jail"), ("president", "health"),
    ("protest", "salary"), ("exiled", "seats"), ("corruption", "farmers"), ("poll", "prison"),
    ("income", "leader"), ("party", "banana"), ("committee", "weather"), ("deputy", "rice"),
    ("election", "music"), ("court", "pensioners"),
]

THRESHOLDS = (0.25, 0.30, 0.35, 0.40, 0.45, 0.50, 0.55, 0.60)


def words_mean(table: WordVectors, a: str, b: str) -> float | None:
    """Cosine when each side that is a phrase is replaced by the mean of its words."""
    if " " not in a and " " not in b:
        return None
    va, vb = table.mean_vector(a.split()), table.mean_vector(b.split())
    if va is None or vb is None:
        return None
    return float(va @ vb)


def group(table: WordVectors, title: str, pairs: list[tuple[str, str]]) -> list[float]:
    print(f"\n{title} ({len(pairs)} pairs)")
    print(f"  {'word':<12} {'other':<14} {'cosine':>7}   note")
    scores: list[float] = []
    for a, b in pairs:
        missing = [w for w in (a, b) if w not in table]
        score = table.similarity(a, b)
        scores.append(score)
        note = f"not in table: {', '.join(missing)}" if missing else ""
        mean = words_mean(table, a, b)
        if mean is not None:
            note = f"mean of its words: {mean:+.3f}"
        print(f"  {a:<12} {b:<14} {score:+7.3f}   {note}")
    return scores


def main() -> None:
    table = load()
    print(f"word vectors: {len(table)} entries x {table.dims} dims")
    groups = {
        "synonyms": group(table, "Synonyms and paraphrases", SYNONYMS),
        "related, distinct": group(table, "Related but distinct (should stay apart)", DISTINCT),
        "unrelated": group(table, "Unrelated", UNRELATED),
    }
    print("\nSummary")
    for name, scores in groups.items():
        ordered = sorted(scores)
        print(
            f"  {name:<18} mean {sum(scores) / len(scores):+.3f}  min {ordered[0]:+.3f}  "
            f"median {ordered[len(ordered) // 2]:+.3f}  max {ordered[-1]:+.3f}"
        )
    print("\nShare of each group at or above a threshold")
    print(f"  {'threshold':>9}  " + "  ".join(f"{name:>18}" for name in groups))
    for t in THRESHOLDS:
        shares = [sum(s >= t for s in scores) / len(scores) for scores in groups.values()]
        print(f"  {t:>9.2f}  " + "  ".join(f"{share:>18.0%}" for share in shares))


if __name__ == "__main__":
    main()
