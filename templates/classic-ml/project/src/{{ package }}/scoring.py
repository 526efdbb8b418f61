"""Batch scoring behind the provider interface: a remote model server when live, the local model file as fallback.

Every score passes through the same ``ModelChain`` as an LLM call: timeouts, retries, fallback,
and rejection of malformed output (anything but a probability between 0 and 1).
"""

from __future__ import annotations

import csv
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from .model import BoostedStumps, feature_vector
from .providers import AllModelsFailed, LocalProvider, MalformedOutput, ModelChain, ProviderError, parse_json_object
from .settings import ENV_PREFIX, Settings
from .training import load_model

MODEL_FILE = Path("models") / "churn-model.json"
THRESHOLD = 0.5
REVIEW_BAND = (0.4, 0.6)  # at high tier, scores this close to the threshold go to a person


@dataclass
class Score:
    customer_id: str
    churn_probability: float | None
    churn: bool | None
    status: str  # scored | invalid | failed | disabled
    model: str | None = None
    needs_review: bool = False
    error: str = ""


@dataclass
class HttpScoringProvider:
    """A model server that takes one record as JSON and returns {"churn_probability": p}."""

    model: str
    url: str

    def complete(self, prompt: str, *, system: str = "", timeout: float) -> str:
        request = urllib.request.Request(self.url, data=prompt.encode(), headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.read().decode("utf-8")
        except urllib.error.HTTPError as exc:
            raise ProviderError(f"HTTP {exc.code} from the model server", retryable=exc.code == 429 or exc.code >= 500) from exc
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise ProviderError(f"model server unreachable: {exc}") from exc


def local_responder(model: BoostedStumps):
    def respond(prompt: str) -> str:
        return json.dumps({"churn_probability": model.predict_proba(feature_vector(json.loads(prompt)))})

    return respond


def parse_probability(text: str) -> float:
    value = parse_json_object(text, {"churn_probability": (int, float)})["churn_probability"]
    if not 0.0 <= value <= 1.0:
        raise MalformedOutput(f"churn_probability {value} is not between 0 and 1")
    return float(value)


class Scorer:
    def __init__(self, settings: Settings, chain: ModelChain) -> None:
        self.settings, self.chain = settings, chain

    def score(self, record: dict[str, Any]) -> Score:
        customer = str(record.get("customer_id", ""))
        if self.settings.kill_switch:
            return Score(customer, None, None, "disabled")
        try:
            features = {k: record[k] for k in record if k not in ("customer_id", "churned", "label")}
            feature_vector(features)  # refuse bad input before any model sees it
        except ValueError as exc:
            return Score(customer, None, None, "invalid", error=str(exc))
        try:
            reply = self.chain.run(json.dumps(features), parse_probability)
        except AllModelsFailed as exc:
            return Score(customer, None, None, "failed", needs_review=True, error=str(exc))
        p = reply.value
        review = self.settings.tier == "high" and REVIEW_BAND[0] <= p <= REVIEW_BAND[1]
        return Score(customer, round(p, 6), p >= THRESHOLD, "scored", reply.model, review)

    def score_file(self, source: Path, target: Path) -> list[Score]:
        with source.open(newline="", encoding="utf-8") as handle:
            scores = [self.score(row) for row in csv.DictReader(handle)]
        _write_scores(scores, target)
        return scores


def build_scorer(settings: Settings) -> Scorer:
    model = settings.active_models[0] if settings.active_models else settings.models[0]
    local = LocalProvider(model.id, local_responder(load_model(settings.root / MODEL_FILE)))
    url = settings.env.get(f"{ENV_PREFIX}_SCORING_URL")
    providers = [HttpScoringProvider(model.id, url), local] if settings.mode == "live" and url else [local]
    return Scorer(settings, ModelChain(providers, timeout=settings.timeout, retries=settings.retries))


def _write_scores(scores: Iterable[Score], target: Path) -> None:
    fields = ["customer_id", "churn_probability", "churn", "status", "model", "needs_review", "error"]
    with target.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        for score in scores:
            writer.writerow({f: getattr(score, f) for f in fields})
