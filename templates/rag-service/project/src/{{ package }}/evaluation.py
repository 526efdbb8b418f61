"""How the eval runner (evals/run.py) scores one golden case against the answer service.

Answerable cases name the key facts the answer must contain and the source it must cite;
unanswerable ones (``answerable: false``) must be declined.
"""

from __future__ import annotations

from typing import Any

from .service import AnswerService, build_service
from .settings import Settings


def build_system(settings: Settings) -> AnswerService:
    return build_service(settings)


def score_case(service: AnswerService, case: dict[str, Any]) -> dict[str, float | None]:
    answer = service.answer(case["question"])
    answered = answer.status == "answered"
    if not case.get("answerable", True):
        return {"key_fact_coverage": None, "citation_accuracy": None, "hallucination_rate": float(answered)}
    text = answer.text.lower()
    facts = case["key_facts"]
    coverage = sum(fact.lower() in text for fact in facts) / len(facts)
    return {
        "key_fact_coverage": coverage,
        "citation_accuracy": float(case["source"] in answer.citations),
        # A confident answer holding none of the expected facts is counted as made up.
        "hallucination_rate": float(answered and coverage == 0),
    }
