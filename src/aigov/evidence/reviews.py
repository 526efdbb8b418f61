"""The review committee's quarter, from decision records: prompt promotions and drafts.

Decision records carry ``prompts`` (each prompt promotion a pull request's check saw: files,
versions, approvers of the head commit, whether anyone requested changes) and ``drafts`` (documents
still drafts, with their age); aigov.review_record writes both. This module aggregates them per
feature and quarter for the evidence bundle:

- promotions: how many pull requests promoted the feature's prompts, which prompt files, who
  approved them, and the share sent back (changes requested at least once): the committee's reject
  rate. A pull request checked several times (every push, the merge queue) counts once, as its last
  check saw it; one whose reviews were not read is counted apart and left out of the rate, which is
  None when no review was read (nothing verified, nothing claimed);
- drafts: each document still a draft at the feature's last record of the quarter, its draft date,
  age and whether it blocked.

In a bundle (:func:`bundle_reviews`) the two come from different decisions. Drafts come from the
replay of the branch (its commits and the clock alone): aigov's own judgement of every commit, so
a repository that recorded nothing still shows its drafts, and a draft that starts to block with
nobody committing shows as blocking. Promotions come only from the pull-request decisions CI
recorded (git notes): a replay has no base, so no change and no review to read. A note is
anyone's to write: one that names another commit or disagrees with the replay is left out, and
each promotion it holds is taken only in the shape aigov writes it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

_CLOCK = re.compile(r"\d{4}-(0[1-9]|1[0-2])-\d{2}T")


def quarter(clock: str) -> str:
    """``2026Q3`` for a clock such as ``2026-08-14T10:00:00Z``."""
    return f"{clock[:4]}Q{(int(clock[5:7]) - 1) // 3 + 1}"


def review_summary(records: Iterable[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Promotions and drafts per repository, feature and quarter, from decision records."""
    ordered = sorted(records, key=lambda r: str(r.get("clock") or ""))
    return {"promotions": _promotions(ordered), "drafts": _drafts(ordered)}


def _promotions(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    last: dict[tuple[str, str, str, Any], dict[str, Any]] = {}
    for record in records:
        for promotion in record.get("prompts") or []:
            change = promotion["pr"] if promotion.get("pr") is not None else f"commit {record.get('commit')}"
            key = (str(record.get("repository") or ""), promotion["feature"], quarter(record["clock"]), change)
            last[key] = promotion  # the latest check of the pull request in the quarter decides
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for (repository, feature, period, _), promotion in last.items():
        groups.setdefault((repository, feature, period), []).append(promotion)
    return [_promotion_row(key, promotions) for key, promotions in sorted(groups.items())]


def _promotion_row(key: tuple[str, str, str], promotions: list[dict[str, Any]]) -> dict[str, Any]:
    repository, feature, period = key
    read = [p for p in promotions if p.get("reviews_read")]
    sent_back = sum(1 for p in read if p.get("sent_back"))
    return {
        "repository": repository, "feature": feature, "quarter": period,
        "promotions": len(promotions),
        "prompts": sorted({f["path"] for p in promotions for f in p.get("prompts") or []}),
        "approvers": sorted({login for p in read for login in p.get("approvers") or []}),
        "sent_back": sent_back,
        "reviews_not_read": len(promotions) - len(read),
        "reject_rate": round(sent_back / len(read), 4) if read else None,
    }


def _drafts(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    latest: dict[tuple[str, str, str], dict[str, Any]] = {}
    for record in records:
        features = record.get("features") or sorted({d["feature"] for d in record.get("drafts") or []})
        key_of = (str(record.get("repository") or ""), quarter(record["clock"]))
        for feature in features:  # a feature's last record of the quarter says which drafts remain
            latest[(*key_of, feature)] = {"clock": record["clock"],
                                          "drafts": [d for d in record.get("drafts") or [] if d["feature"] == feature]}
    rows = []
    for (repository, period, feature), seen in sorted(latest.items()):
        for draft in seen["drafts"]:
            rows.append({"repository": repository, "feature": feature, "quarter": period, "document": draft["document"],
                         "path": draft["path"], "drafted": draft["drafted"], "age_days": draft["age_days"],
                         "blocking": draft["blocking"], "as_of": seen["clock"]})
    return rows


def bundle_reviews(judged: Iterable[dict[str, Any]], recorded: Iterable[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """review_summary of one repository's decisions in a bundle: drafts from ``judged`` (the replay
    of the branch: commits, the clock, removals), promotions from ``recorded`` (notes)."""
    return review_summary([*_draft_records(judged), *_promotion_records(recorded)])


def _draft_records(judged: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for decision in judged:
        if decision["verdict"] != "error":  # nothing was decided: the drafts seen before still stand
            yield {"repository": decision["repository"], "clock": decision["clock"], "commit": decision["commit"],
                   "features": decision["features"], "drafts": decision.get("drafts") or []}


def _promotion_records(recorded: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for decision in recorded:
        record = decision.get("recorded")
        if not isinstance(record, dict) or decision.get("agrees") is False or not _CLOCK.match(decision["clock"]):
            continue
        judged = set(decision["features"])  # a promotion of a feature the record did not judge is not one
        prompts = record.get("prompts")
        if not isinstance(prompts, list):
            prompts = []
        promotions = [p for p in prompts if _is_promotion(p) and p["feature"] in judged]
        if promotions:
            yield {"repository": decision["repository"], "clock": decision["clock"], "commit": decision["commit"], "prompts": promotions}


def _is_promotion(value: Any) -> bool:
    """A prompt promotion as aigov.review_record writes it (the fields review_summary reads)."""
    if not isinstance(value, dict):
        return False
    approvers, files = value.get("approvers"), value.get("prompts")
    return (isinstance(value.get("feature"), str) and type(value.get("pr")) in (int, type(None))
            and isinstance(value.get("reviews_read"), bool) and value.get("sent_back") in (True, False, None)
            and isinstance(approvers, list) and all(isinstance(login, str) for login in approvers)
            and isinstance(files, list) and all(isinstance(f, dict) and isinstance(f.get("path"), str) for f in files))
