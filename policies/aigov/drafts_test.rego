package aigov.drafts_test

import rego.v1

import data.aigov.drafts

card(status, drafted) := {"key": "model_card", "kind": "model card", "path": "svc/MODEL_CARD.md", "exists": true,
	"status": status, "drafted": drafted, "last_reviewed": null, "line": 5}

doc(tier, documents, now) := {"now": now, "feature": {"manifest_path": "svc/aigov.yaml", "lines": {}, "manifest": {"spec": {"riskTier": tier}}, "documents": documents}}

ids(found) := [f.id | some f in found]

test_a_fresh_draft_does_not_block_and_says_when_it_will if {
	found := drafts.deny with input as doc("medium", [card("draft", "2026-11-20")], "2026-11-23T12:00:00Z")
	ids(found) == ["AIGOV-DRAFT-001"]
	some f in found
	f.msg == "the model card svc/MODEL_CARD.md is a draft generated on 2026-11-20 that nobody has reviewed yet; it blocks from 2026-12-20 (30 days after it was drafted) at medium tier"
	[f.path, f.line] == ["svc/MODEL_CARD.md", 5]
}

test_past_the_grace_period_a_draft_blocks_at_medium_and_high if {
	found := drafts.deny with input as doc("high", [card("draft", "2026-10-24")], "2026-11-23T00:00:00Z")
	ids(found) == ["AIGOV-DRAFT-002"]
	some f in found
	contains(f.msg, "its 30-day grace period ended on 2026-11-23")
	ids(drafts.deny) == ["AIGOV-DRAFT-001"] with input as doc("high", [card("draft", "2026-10-24")], "2026-11-22T23:59:59Z")
}

test_at_low_tier_a_draft_never_blocks if {
	found := drafts.deny with input as doc("low", [card("draft", "2025-01-01")], "2026-11-23T12:00:00Z")
	ids(found) == ["AIGOV-DRAFT-001"]
	some f in found
	contains(f.msg, "at low tier a draft does not block")
}

test_the_grace_period_and_tiers_come_from_org_data if {
	found := drafts.deny with input as doc("low", [card("draft", "2026-11-20")], "2026-11-23T12:00:00Z")
		with data.aigov.settings.drafts as {"grace_days": 2, "blocking_tiers": ["low"]}
	ids(found) == ["AIGOV-DRAFT-002"]
}

test_a_draft_without_a_date_has_no_grace_period if {
	found := drafts.deny with input as doc("medium", [card("draft", null)], "2026-11-23T12:00:00Z")
	ids(found) == ["AIGOV-DRAFT-002"]
	some f in found
	contains(f.msg, "a draft without a drafted date")
}

test_a_final_or_missing_document_is_no_draft if {
	missing := json.patch(card("draft", "2026-11-20"), [{"op": "replace", "path": "/exists", "value": false}])
	found := drafts.deny with input as doc("high", [card(null, null), card("final", "2026-01-01"), missing], "2026-11-23T12:00:00Z")
	count(found) == 0
}

test_a_draft_dated_in_the_future_has_no_grace_period if {
	found := drafts.deny with input as doc("high", [card("draft", "2099-01-01")], "2027-03-01T00:00:00Z")
	ids(found) == ["AIGOV-DRAFT-002"]
	some f in found
	f.msg == "the model card svc/MODEL_CARD.md is a draft dated in the future (2099-01-01), so no grace period applies; at high tier a draft blocks until a reviewed pull request makes it final"
}

test_a_draft_dated_today_somewhere_on_earth_is_in_its_grace_period if {
	# 10:00 UTC on 2026-11-23 is already the 24th in UTC+14.
	ids(drafts.deny) == ["AIGOV-DRAFT-001"] with input as doc("high", [card("draft", "2026-11-24")], "2026-11-23T10:00:00Z")
	ids(drafts.deny) == ["AIGOV-DRAFT-002"] with input as doc("high", [card("draft", "2026-11-25")], "2026-11-23T10:00:00Z")
}

test_at_a_tier_where_drafts_never_block_a_future_date_is_said_as_such if {
	found := drafts.deny with input as doc("low", [card("draft", "2099-01-01")], "2027-03-01T00:00:00Z")
	some f in found
	f.msg == "the model card svc/MODEL_CARD.md is a draft dated in the future (2099-01-01) that nobody has reviewed yet; at low tier a draft does not block"
}

test_a_grace_period_of_one_day_is_said_in_the_singular if {
	found := drafts.deny with input as doc("medium", [card("draft", "2026-11-23")], "2026-11-23T12:00:00Z")
		with data.aigov.settings.drafts as {"grace_days": 1, "blocking_tiers": ["medium"]}
	some f in found
	endswith(f.msg, "it blocks from 2026-11-24 (1 day after it was drafted) at medium tier")
}
