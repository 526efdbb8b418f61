"""How the eval runner (evals/run.py) scores one golden case against the batch scorer.

A case is one held-out customer record with its true ``label`` (1: churned).
"""

from __future__ import annotations

from typing import Any

from .scoring import Scorer, build_scorer
from .settings import Settings


def build_system(settings: Settings) -> Scorer:
    return build_scorer(settings)


def score_case(scorer: Scorer, case: dict[str, Any]) -> dict[str, float | None]:
    score = scorer.score(case)
    predicted = bool(score.churn)
    actual = bool(int(case["label"]))
    return {
        "accuracy": float(score.status == "scored" and predicted == actual),
        # Of the customers who did churn, the share the model missed.
        "missed_churn_rate": float(not predicted) if actual else None,
        "invalid_rate": float(score.status != "scored"),
    }
