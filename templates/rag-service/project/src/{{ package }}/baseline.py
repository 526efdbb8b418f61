"""The deterministic local baseline: an extractive "model" that reads the same prompt a real one gets.

It answers with the passage sentence that shares the most terms with the question, cites that
passage's source, and declines when nothing shares at least two terms. Offline runs, tests and
the eval gate use it, so they need no network and always give the same result.
"""

from __future__ import annotations

import json
import re

from .retrieval import terms

MIN_SHARED_TERMS = 2
_PASSAGE = re.compile(r"^\[(?P<source>[^\]]+)\]\s*(?P<text>.+)$")
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def respond(prompt: str) -> str:
    question = ""
    passages: list[tuple[str, str]] = []
    for line in prompt.splitlines():
        if line.startswith("Question:"):
            question = line.removeprefix("Question:").strip()
        elif match := _PASSAGE.match(line.strip()):
            passages.append((match["source"], match["text"]))
    wanted = set(terms(question))
    best = (0, "", "")
    for source, text in passages:
        for sentence in _SENTENCE.split(text):
            shared = len(wanted & set(terms(sentence)))
            if shared > best[0]:
                best = (shared, sentence, source)
    if best[0] < MIN_SHARED_TERMS:
        return json.dumps({"answer": "", "citations": []})
    return json.dumps({"answer": best[1], "citations": [best[2]]})
