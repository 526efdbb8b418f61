"""A gradient-boosted decision-stump classifier in plain Python: small, deterministic, inspectable.

It is the model behind ``sklearn-gradient-boosting`` in the registry, reduced to what a batch
churn score needs (log-loss boosting of one-split trees), so the repository needs no numeric
stack. Swap in scikit-learn's GradientBoostingClassifier behind the same ``predict_proba`` when
the data outgrows it.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, Mapping, Sequence

FEATURES = ("tenure_months", "monthly_spend", "support_tickets", "late_payments", "plan_pro")
PLANS = ("basic", "pro")


def feature_vector(row: Mapping[str, Any]) -> list[float]:
    """The model's inputs from one record; ValueError names the field that is missing or bad."""
    values = []
    for name in FEATURES[:-1]:
        try:
            value = float(row[name])
        except (KeyError, TypeError, ValueError):
            raise ValueError(f"{name} must be a number") from None
        if value < 0 or math.isnan(value) or math.isinf(value):
            raise ValueError(f"{name} must be a non-negative number")
        values.append(value)
    plan = str(row.get("plan", "")).strip().lower()
    if plan not in PLANS:
        raise ValueError(f"plan must be one of {', '.join(PLANS)}")
    return [*values, 1.0 if plan == "pro" else 0.0]


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


@dataclass
class Stump:
    feature: int
    threshold: float
    left: float  # added to the log-odds when x[feature] <= threshold
    right: float

    def value(self, x: Sequence[float]) -> float:
        return self.left if x[self.feature] <= self.threshold else self.right


@dataclass
class BoostedStumps:
    base: float
    learning_rate: float
    stumps: list[Stump] = field(default_factory=list)
    features: tuple[str, ...] = FEATURES

    def predict_proba(self, x: Sequence[float]) -> float:
        return sigmoid(self.base + self.learning_rate * sum(s.value(x) for s in self.stumps))

    def to_dict(self) -> dict[str, Any]:
        return {"base": self.base, "learning_rate": self.learning_rate, "features": list(self.features),
                "stumps": [asdict(s) for s in self.stumps]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BoostedStumps:
        if tuple(data["features"]) != FEATURES:
            raise ValueError(f"model was trained on features {data['features']}, this code uses {list(FEATURES)}")
        return cls(data["base"], data["learning_rate"], [Stump(**s) for s in data["stumps"]])


def train(xs: list[list[float]], ys: list[int], rounds: int = 40, learning_rate: float = 0.3, l2: float = 1.0) -> BoostedStumps:
    """Boost ``rounds`` stumps on the log-loss; each leaf takes a regularised Newton step."""
    prior = min(max(sum(ys) / len(ys), 1e-6), 1 - 1e-6)
    model = BoostedStumps(math.log(prior / (1 - prior)), learning_rate)
    logits = [model.base] * len(xs)
    candidates = [_thresholds([x[f] for x in xs]) for f in range(len(FEATURES))]
    for _ in range(rounds):
        probs = [sigmoid(z) for z in logits]
        grads = [y - p for y, p in zip(ys, probs)]
        hess = [p * (1 - p) for p in probs]
        stump = _best_stump(xs, grads, hess, candidates, l2)
        model.stumps.append(stump)
        logits = [z + learning_rate * stump.value(x) for z, x in zip(logits, xs)]
    return model


def _thresholds(values: list[float], most: int = 16) -> list[float]:
    distinct = sorted(set(values))
    if len(distinct) <= most:
        return [(a + b) / 2 for a, b in zip(distinct, distinct[1:])]
    step = len(distinct) / most
    return [distinct[int(i * step)] for i in range(1, most)]


def _best_stump(xs: list[list[float]], grads: list[float], hess: list[float], candidates: list[list[float]], l2: float) -> Stump:
    total_g, total_h = sum(grads), sum(hess)
    best: tuple[float, Stump] | None = None
    for feature, thresholds in enumerate(candidates):
        for threshold in thresholds:
            left_g = left_h = 0.0
            for x, g, h in zip(xs, grads, hess):
                if x[feature] <= threshold:
                    left_g += g
                    left_h += h
            right_g, right_h = total_g - left_g, total_h - left_h
            gain = left_g**2 / (left_h + l2) + right_g**2 / (right_h + l2)
            if best is None or gain > best[0]:
                best = (gain, Stump(feature, threshold, left_g / (left_h + l2), right_g / (right_h + l2)))
    assert best is not None, "no feature has two distinct values to split on"
    return best[1]
