"""A plain BM25 baseline for `make bench`: the speed a textbook retriever reaches on the same
questions, through the same kind of command as `cnrp-bot ask --json`.

    python -m tests.bm25 < questions.txt    # one JSON object per line, like ask --json

Okapi BM25 (k1 = 1.2, b = 0.75) over every phrasing of every intent as a document, words
lower-cased and split on non-word characters (no stemming, no stop words, no spelling, no
entities), an inverted index of plain dicts; the intent of the best phrasing answers, with
its answer text as written and its citations. It is a yardstick for speed, not a matcher:
its answers are not checked.
"""

from __future__ import annotations

import json
import math
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import yaml

KNOWLEDGE = Path(__file__).resolve().parent.parent / "knowledge"
K1 = 1.2
B = 0.75
THRESHOLD = 5.0  # a best score below this is "I don't know"
_WORD = re.compile(r"\w+")


def tokens(text: str) -> list[str]:
    return _WORD.findall(text.lower())


class BM25:
    def __init__(self, intents: list[dict[str, Any]]) -> None:
        self.intents = intents
        self.owner: list[int] = []
        lengths: list[int] = []
        self.postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for position, intent in enumerate(intents):
            for text in (intent["question"], *intent.get("phrasings", [])):
                document = len(self.owner)
                words = tokens(str(text))
                for word, count in Counter(words).items():
                    self.postings[word].append((document, count))
                self.owner.append(position)
                lengths.append(len(words))
        total = len(lengths)
        average = sum(lengths) / max(total, 1)
        self.norm = [K1 * (1 - B + B * length / average) for length in lengths]
        self.idf = {w: math.log(1 + (total - len(p) + 0.5) / (len(p) + 0.5)) for w, p in self.postings.items()}

    def best(self, question: str) -> tuple[int, float] | None:
        scores: dict[int, float] = defaultdict(float)
        for word in set(tokens(question)):
            idf = self.idf.get(word)
            if idf is None:
                continue
            for document, count in self.postings[word]:
                scores[document] += idf * count * (K1 + 1) / (count + self.norm[document])
        if not scores:
            return None
        document = max(scores, key=scores.__getitem__)
        return self.owner[document], scores[document]


def load_intents(root: Path = KNOWLEDGE) -> list[dict[str, Any]]:
    intents: list[dict[str, Any]] = []
    for path in sorted((root / "topics").glob("*.yaml")):
        intents.extend(yaml.safe_load(path.read_text(encoding="utf-8"))["intents"])
    return intents


def answer(index: BM25, question: str) -> dict[str, Any]:
    found = index.best(question)
    if found is None or found[1] < THRESHOLD:
        return {"matched": False, "intent": None, "confidence": 0.0,
                "answer": "I don't know that: it isn't covered by my sources.", "citations": [],
                "suggestions": []}
    intent = index.intents[found[0]]
    return {"matched": True, "intent": intent["id"], "confidence": round(found[1] / (found[1] + THRESHOLD), 4),
            "answer": " ".join(str(intent["answer"]).split()),
            "citations": [{"source": c["source"], "section": c["section"]} for c in intent.get("citations", [])],
            "suggestions": []}


def main() -> int:
    index = BM25(load_intents())
    for line in sys.stdin:
        print(json.dumps(answer(index, line.rstrip("\n")), ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
