"""Train the churn model from data/train.csv and write models/churn-model.json (deterministic)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from .model import BoostedStumps, feature_vector, train

LABEL = "churned"


def read_training_rows(path: Path) -> tuple[list[list[float]], list[int]]:
    xs, ys = [], []
    with path.open(newline="", encoding="utf-8") as handle:
        for number, row in enumerate(csv.DictReader(handle), start=2):
            try:
                xs.append(feature_vector(row))
                ys.append(int(row[LABEL]))
            except (KeyError, ValueError) as exc:
                raise ValueError(f"{path.name}:{number}: {exc}") from None
    return xs, ys


def train_model(root: Path) -> BoostedStumps:
    xs, ys = read_training_rows(root / "data" / "train.csv")
    return train(xs, ys)


def save_model(model: BoostedStumps, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(model.to_dict(), indent=1) + "\n", encoding="utf-8")


def load_model(path: Path) -> BoostedStumps:
    return BoostedStumps.from_dict(json.loads(path.read_text(encoding="utf-8")))
