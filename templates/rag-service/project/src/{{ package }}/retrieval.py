"""BM25 retrieval over the document folder: deterministic, no index service, no embedding calls.

Each paragraph of each Markdown file is a passage; a passage's source is its file name, which is
what answers cite.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

_WORD = re.compile(r"[a-z0-9]+")
STOPWORDS = frozenset(
    "a an and are as at be by can do does for from how i if in is it its my of on or our the to"
    " we what when where which who why will with you your this that there they be been was".split()
)


def stem(word: str) -> str:
    """A deliberately small stemmer: enough for 'refunds'/'refundable' or 'change'/'changed' to meet."""
    for suffix in ("able", "ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    return word[:-1] if word.endswith("e") and len(word) > 4 else word


def terms(text: str) -> list[str]:
    return [stem(w) for w in _WORD.findall(text.lower()) if w not in STOPWORDS]


@dataclass(frozen=True)
class Passage:
    source: str
    text: str


def load_passages(folder: Path) -> list[Passage]:
    passages = []
    for path in sorted(folder.glob("*.md")):
        for block in path.read_text(encoding="utf-8").split("\n\n"):
            text = " ".join(line.strip() for line in block.splitlines() if not line.startswith("#")).strip()
            if text:
                passages.append(Passage(path.name, text))
    return passages


class Index:
    """Okapi BM25 (k1=1.5, b=0.75) over the passages."""

    def __init__(self, passages: list[Passage], k1: float = 1.5, b: float = 0.75) -> None:
        self.passages = passages
        self.k1, self.b = k1, b
        self.counts = [Counter(terms(p.text)) for p in passages]
        self.lengths = [sum(c.values()) for c in self.counts]
        self.average = sum(self.lengths) / max(len(passages), 1)
        df = Counter(term for counts in self.counts for term in counts)
        self.idf = {t: math.log(1 + (len(passages) - n + 0.5) / (n + 0.5)) for t, n in df.items()}

    def search(self, query: str, k: int = 3) -> list[tuple[float, Passage]]:
        scored = []
        for i, counts in enumerate(self.counts):
            score = 0.0
            for term in set(terms(query)):
                tf = counts.get(term, 0)
                if tf:
                    norm = tf + self.k1 * (1 - self.b + self.b * self.lengths[i] / self.average)
                    score += self.idf[term] * tf * (self.k1 + 1) / norm
            if score > 0:
                scored.append((score, self.passages[i]))
        scored.sort(key=lambda pair: (-pair[0], pair[1].source, pair[1].text))
        return scored[:k]
