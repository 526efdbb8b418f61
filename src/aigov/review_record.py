"""What a decision record keeps of a check's reviews: prompt promotions and drafts.

A diff-aware check that saw a feature's prompts change records the promotion (which prompt files,
from which version to which, the pull request, who approved its head commit, whether anyone sent
it back); every check records the governed documents still drafts (which, since when, how old on
the check's clock, whether they block). Both are projections of the facts the policies judged,
never new judgements, so the evidence bundle can aggregate them (aigov.evidence.reviews) from the
decision records alone: promotions per feature per quarter with their approvers, the share sent
back (the review committee's reject rate), drafts and their age.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

OVERDUE_DRAFT = "AIGOV-DRAFT-002"


def prompt_promotions(inputs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One entry per feature whose prompts the change under review touched."""
    out = []
    for doc in inputs:
        change = doc.get("change") or {}
        if not change.get("prompts"):
            continue
        review = change.get("review") or {}
        read = bool(review.get("available"))
        out.append({
            "feature": doc["feature"]["name"],
            "tier": doc["feature"]["manifest"]["spec"].get("riskTier"),
            "pr": change.get("pr"),
            "prompts": [{"path": p["path"], "status": p["status"], "from": p["base"]["version"], "to": p["head"]["version"]}
                        for p in change["prompts"]],
            "reviews_read": read,
            # Only what was read: without the reviews, nobody is named and nothing is said of a send-back.
            "approvers": list(review.get("approvals") or []) if read else [],
            "sent_back": bool(review.get("changes_requested")) if read else None,
        })
    return out


def draft_documents(inputs: list[dict[str, Any]], findings: list[Any], clock: str) -> list[dict[str, Any]]:
    """Every governed document still a draft, with its age in days on the check's clock."""
    today = dt.date.fromisoformat(clock[:10])
    overdue = {(f.feature, f.path) for f in findings if f.id == OVERDUE_DRAFT}
    out = []
    for doc in inputs:
        name = doc["feature"]["name"]
        for document in doc["feature"].get("documents") or []:
            if not document.get("exists") or document.get("status") != "draft":
                continue
            out.append({"feature": name, "tier": doc["feature"]["manifest"]["spec"].get("riskTier"),
                        "document": document["key"], "path": document["path"], "drafted": document.get("drafted"),
                        "age_days": _age(document.get("drafted"), today), "blocking": (name, document["path"]) in overdue})
    return out


def _age(drafted: Any, today: dt.date) -> int | None:
    try:
        return (today - dt.date.fromisoformat(str(drafted))).days
    except ValueError:
        return None
