package aigov.waivers_test

import rego.v1

import data.aigov.waivers

now := "2026-11-23T12:00:00Z"

# A waiver fact as the collector hands it over: approved by being unchanged since the base.
waiver(index, overrides) := object.union({
	"index": index, "file": ".aigov/waivers.yaml", "line": 2 + (9 * index),
	"lines": {"rule": 2 + (9 * index), "expires": 9 + (9 * index), "approver": 7 + (9 * index)},
	"rule": "AIGOV-EVAL-006", "severity": "medium", "feature": "support",
	"reason": "dataset grows next sprint", "ticket": "GOV-1", "approver": "alice",
	"created": "2026-11-01", "expires": "2027-01-15",
	"base": {"state": "unchanged", "ref": "main"},
}, overrides)

finding(index, id, feature, path) := {"index": index, "id": id, "severity": "medium", "feature": feature, "path": path, "line": 3}

eval_finding := finding(0, "AIGOV-EVAL-006", "support", "svc/evals/config.yaml")

features := [{"name": "support", "dir": "svc"}, {"name": "other", "dir": "other"}]

decide(ws, fs) := d if {
	d := waivers.decision with input as {"now": now, "waivers": ws, "findings": fs, "features": features, "scope": "svc"}
}

state_of(decision, index) := [s.state | some s in decision.states; s.waiver == index][0]

ids(decision) := {f.id | some f in decision.deny}

test_a_waiver_in_force_covers_its_finding if {
	d := decide([waiver(0, {})], [eval_finding, finding(1, "AIGOV-MODEL-001", "support", "svc/aigov.yaml")])
	d.applied == {{"finding": 0, "waiver": 0}}
	state_of(d, 0) == "active"
	count(d.deny) == 0
}

test_a_path_glob_matches_across_folders if {
	d := decide([object.remove(waiver(0, {"path": "svc/**"}), ["feature"])], [eval_finding])
	d.applied == {{"finding": 0, "waiver": 0}}
}

# The same on both engines (tests/test_engine_parity.py runs these on real OPA too): a "**/" stands for zero
# or more folders, however many of them the path holds.
test_a_double_star_folder_may_be_no_folder_at_all if {
	fs := [
		finding(0, "AIGOV-EVAL-006", "support", "svc/evals/config.yaml"),
		finding(1, "AIGOV-EVAL-006", "support", "svc/config.yaml"),
		finding(2, "AIGOV-EVAL-006", "support", "svc/a/b/config.yaml"),
		finding(3, "AIGOV-EVAL-006", "support", "svc/config.yml"),
	]
	every path in ["svc/**/config.yaml", "svc/**/**/config.yaml", "**/svc/**/config.yaml", "**/config.yaml"] {
		d := decide([object.remove(waiver(0, {"path": path}), ["feature"])], fs)
		{a.finding | some a in d.applied} == {0, 1, 2}
	}
}

test_a_waiver_without_feature_matches_by_path_only if {
	w := object.remove(waiver(0, {"path": "svc/*/config.yaml"}), ["feature"])
	d := decide([w], [eval_finding, finding(1, "AIGOV-EVAL-006", "other", "other/evals/config.yaml")])
	d.applied == {{"finding": 0, "waiver": 0}}
}

test_another_feature_is_not_covered if {
	d := decide([waiver(0, {"feature": "other"})], [eval_finding])
	count(d.applied) == 0
	state_of(d, 0) == "stale"
	ids(d) == {"AIGOV-WAIVER-003"}
}

test_the_first_waiver_in_the_file_wins if {
	d := decide([waiver(0, {}), waiver(1, {"ticket": "GOV-2"})], [eval_finding])
	d.applied == {{"finding": 0, "waiver": 0}}
}

test_an_expired_waiver_covers_nothing_and_blocks_at_its_expiry_line if {
	d := decide([waiver(0, {"expires": "2026-11-23"})], [eval_finding])
	count(d.applied) == 0
	state_of(d, 0) == "expired"
	[[f.id, f.line, f.msg] | some f in d.deny] == [["AIGOV-WAIVER-001", 9, "waiver for AIGOV-EVAL-006 (GOV-1) expired on 2026-11-23"]]
}

test_a_waiver_expiring_within_the_window_still_applies_with_a_warning if {
	d := decide([waiver(0, {"expires": "2026-12-01"})], [eval_finding])
	d.applied == {{"finding": 0, "waiver": 0}}
	state_of(d, 0) == "expiring"
	[f.msg | some f in d.deny] == ["waiver for AIGOV-EVAL-006 (GOV-1) expires on 2026-12-01, in 7 day(s)"]
}

test_critical_rules_and_rules_whose_metadata_says_so_cannot_be_waived if {
	d := decide(
		[
			waiver(0, {"severity": "critical", "rule": "AIGOV-MODEL-003"}),
			waiver(1, {"rule": "AIGOV-CONFIG-001", "severity": "high", "waivable": false}),
			waiver(2, {"rule": "AIGOV-CHANGE-003", "severity": "high", "waivable": false}),
		],
		[finding(0, "AIGOV-MODEL-003", "support", "a"), finding(1, "AIGOV-CONFIG-001", "support", "b"), finding(2, "AIGOV-CHANGE-003", "support", "c")],
	)
	count(d.applied) == 0
	{s.state | some s in d.states} == {"refused"}
	{[f.id, f.line, f.msg] | some f in d.deny} == {
		["AIGOV-WAIVER-005", 2, "waiver for AIGOV-MODEL-003 (GOV-1): a critical rule cannot be waived"],
		["AIGOV-WAIVER-005", 11, "waiver for AIGOV-CONFIG-001 (GOV-1): AIGOV-CONFIG-001 cannot be waived (its METADATA says waivable: false)"],
		["AIGOV-WAIVER-005", 20, "waiver for AIGOV-CHANGE-003 (GOV-1): AIGOV-CHANGE-003 cannot be waived (its METADATA says waivable: false)"],
	}
}

test_the_data_cannot_make_a_critical_rule_waivable if {
	d := waivers.decision with input as {"now": now, "waivers": [waiver(0, {"severity": "critical"})], "findings": [eval_finding], "features": features}
		with data.aigov.settings.waivers.not_waivable.severities as []
	count(d.applied) == 0
	ids(d) == {"AIGOV-WAIVER-005"}
}

test_a_severity_the_data_lists_cannot_be_waived if {
	d := waivers.decision with input as {"now": now, "waivers": [waiver(0, {})], "findings": [eval_finding], "features": features}
		with data.aigov.settings.waivers.not_waivable.severities as ["medium"]
	[f.msg | some f in d.deny] == ["waiver for AIGOV-EVAL-006 (GOV-1): a medium rule cannot be waived"]
}

test_a_rule_the_data_lists_cannot_be_waived if {
	d := waivers.decision with input as {"now": now, "waivers": [waiver(0, {})], "findings": [eval_finding], "features": features}
		with data.aigov.settings.waivers.not_waivable.rules as ["AIGOV-EVAL-006"]
	count(d.applied) == 0
	[f.msg | some f in d.deny] == ["waiver for AIGOV-EVAL-006 (GOV-1): AIGOV-EVAL-006 cannot be waived (data.aigov.settings.waivers.not_waivable)"]
}

test_an_over_long_waiver_is_refused if {
	d := decide([waiver(0, {"created": "2026-11-01", "expires": "2027-03-01"})], [eval_finding])
	count(d.applied) == 0
	[f.msg | some f in d.deny] == ["waiver for AIGOV-EVAL-006 (GOV-1) lasts 120 days; a waiver of a medium rule may last at most 90"]
}

test_a_waiver_created_in_the_future_is_refused if {
	d := decide([waiver(0, {"created": "2026-12-01", "expires": "2027-01-15"})], [eval_finding])
	count(d.applied) == 0
	[f.msg | some f in d.deny] == ["waiver for AIGOV-EVAL-006 (GOV-1) is created on 2026-12-01, in the future"]
}

# --- Approval ----------------------------------------------------------------------------------

added := {"base": {"state": "added", "ref": "abc123"}}

test_a_waiver_added_without_pr_context_is_unapproved if {
	d := decide([waiver(0, added)], [eval_finding])
	count(d.applied) == 0
	state_of(d, 0) == "unapproved"
	[f.msg | some f in d.deny] == ["waiver for AIGOV-EVAL-006 (GOV-1) was added since abc123 and no pull-request review is available to approve it; only waivers already on the default branch count as approved"]
}

review_input(ws, review) := {"now": now, "waivers": ws, "findings": [eval_finding], "features": features, "change": {"base": "abc123", "review": review}}

test_the_approvers_review_approves_an_added_waiver if {
	d := waivers.decision with input as review_input([waiver(0, added)], {"available": true, "approvals": ["Alice"]})
	d.applied == {{"finding": 0, "waiver": 0}}
}

test_someone_elses_review_does_not_approve if {
	d := waivers.decision with input as review_input([waiver(0, added)], {"available": true, "approvals": ["mallory"]})
	count(d.applied) == 0
	[f.msg | some f in d.deny] == ["waiver for AIGOV-EVAL-006 (GOV-1) was added since abc123 and has no approving review by alice"]
}

test_unavailable_reviews_say_approval_cannot_be_verified if {
	d := waivers.decision with input as review_input([waiver(0, {"base": {"state": "changed", "ref": "abc123"}})], {"available": false, "error": "no token", "approvals": []})
	[f.msg | some f in d.deny] == ["waiver for AIGOV-EVAL-006 (GOV-1) was changed since abc123; cannot verify approval by alice: no token"]
}

test_a_team_approves_through_a_members_review if {
	w := waiver(0, object.union(added, {"approver": "@Acme/ai-gov"}))
	d := waivers.decision with input as review_input([w], {"available": true, "approvals": ["bob"], "teams": {"@acme/ai-gov": {"members": ["bob"], "error": null}}})
	d.applied == {{"finding": 0, "waiver": 0}}
	d2 := waivers.decision with input as review_input([w], {"available": true, "approvals": ["carol"], "teams": {"@acme/ai-gov": {"members": ["bob"], "error": null}}})
	[f.msg | some f in d2.deny] == ["waiver for AIGOV-EVAL-006 (GOV-1) was added since abc123 and has no approving review by @Acme/ai-gov"]
}

test_a_team_whose_members_cannot_be_read_cannot_approve if {
	w := waiver(0, object.union(added, {"approver": "@acme/ai-gov"}))
	d := waivers.decision with input as review_input([w], {"available": true, "approvals": ["bob"], "teams": {"@acme/ai-gov": {"members": [], "error": "403: needs read:org"}}})
	[f.msg | some f in d.deny] == ["waiver for AIGOV-EVAL-006 (GOV-1) was added since abc123; cannot verify approval by @acme/ai-gov: 403: needs read:org"]
	d2 := waivers.decision with input as review_input([w], {"available": true, "approvals": ["bob"]})
	[f.msg | some f in d2.deny] == ["waiver for AIGOV-EVAL-006 (GOV-1) was added since abc123; cannot verify approval by @acme/ai-gov: its members were not read"]
}

test_a_waiver_whose_feature_became_another_says_why if {
	renamed := {"state": "changed", "ref": "main", "why": "feature support is now svc2/aigov.yaml, which at main was feature legacy"}
	d := decide([waiver(0, {"base": renamed})], [eval_finding])
	count(d.applied) == 0
	state_of(d, 0) == "unapproved"
	[f.msg | some f in d.deny] == ["waiver for AIGOV-EVAL-006 (GOV-1) was changed since main (feature support is now svc2/aigov.yaml, which at main was feature legacy) and no pull-request review is available to approve it; only waivers already on the default branch count as approved"]
}

test_a_change_without_review_facts_approves_only_unchanged_waivers if {
	i := object.union(review_input([waiver(0, {}), waiver(1, added)], {}), {"change": {"base": "abc123", "review": null}})
	d := waivers.decision with input as i
	d.applied == {{"finding": 0, "waiver": 0}}
	state_of(d, 1) == "unapproved"
}

test_an_unknown_base_cannot_approve if {
	d := decide([waiver(0, {"base": {"state": "unknown", "ref": "main", "error": "no such commit"}})], [eval_finding])
	[f.msg | some f in d.deny] == ["waiver for AIGOV-EVAL-006 (GOV-1) cannot be verified: base main is not available (no such commit)"]
}

test_an_unchanged_waiver_needs_no_review_in_a_pr if {
	d := waivers.decision with input as review_input([waiver(0, {})], {"available": false, "error": "no token", "approvals": []})
	d.applied == {{"finding": 0, "waiver": 0}}
}

test_waivers_of_features_this_check_did_not_judge_are_not_stale if {
	d := decide([waiver(0, {"feature": "billing"}), object.remove(waiver(1, {"path": "billing/**"}), ["feature"])], [eval_finding])
	{s.state | some s in d.states} == {"active"}
	count(d.deny) == 0
}

test_a_path_waiver_under_a_judged_feature_can_be_stale if {
	d := decide([object.remove(waiver(0, {"path": "other/evals/*.yaml"}), ["feature"])], [eval_finding])
	state_of(d, 0) == "stale"
	d2 := decide([object.remove(waiver(0, {"path": "*/evals/*.yaml", "rule": "AIGOV-EVAL-001"}), ["feature"])], [eval_finding])
	state_of(d2, 0) == "stale"
}

test_a_feature_at_the_repository_root_holds_every_path if {
	w := object.remove(waiver(0, {"path": "docs/*.md"}), ["feature"])
	d := waivers.decision with input as {"now": now, "waivers": [w], "findings": [], "features": [{"name": "support", "dir": "."}]}
	state_of(d, 0) == "stale"
}

test_a_whole_repository_check_judges_every_waiver if {
	d := waivers.decision with input as {"now": now, "waivers": [waiver(0, {"feature": "suport"})], "findings": [eval_finding], "features": features, "scope": "."}
	state_of(d, 0) == "stale"
	d2 := waivers.decision with input as object.union(review_input([waiver(0, {"feature": "suport"})], {"available": true, "approvals": []}), {"scope": "."})
	state_of(d2, 0) == "active"
}

# --- Each waiver rule by its id, at the line of the field to fix -------------------------------

test_a_waiver_expiring_soon_is_waiver_002_at_its_expiry_line if {
	d := decide([waiver(0, {"expires": "2026-12-01"})], [eval_finding])
	[[f.id, f.line, f.path, f.feature] | some f in d.deny] == [["AIGOV-WAIVER-002", 9, ".aigov/waivers.yaml", "support"]]
}

test_a_waiver_far_from_expiry_is_not_waiver_002 if {
	d := decide([waiver(0, {})], [eval_finding])
	not "AIGOV-WAIVER-002" in ids(d)
}

test_an_unapproved_waiver_is_waiver_004_at_its_approver_line if {
	d := waivers.decision with input as review_input([waiver(0, added)], {"available": true, "approvals": ["mallory"]})
	[[f.id, f.line, f.path] | some f in d.deny] == [["AIGOV-WAIVER-004", 7, ".aigov/waivers.yaml"]]
}

test_an_approved_waiver_is_not_waiver_004 if {
	d := waivers.decision with input as review_input([waiver(0, added)], {"available": true, "approvals": ["alice"]})
	not "AIGOV-WAIVER-004" in ids(d)
}

test_an_over_long_or_future_waiver_is_waiver_006_at_its_expiry_line if {
	too_long := decide([waiver(0, {"created": "2026-11-01", "expires": "2027-03-01"})], [eval_finding])
	[[f.id, f.line] | some f in too_long.deny] == [["AIGOV-WAIVER-006", 9]]
	future := decide([waiver(0, {"created": "2026-12-01", "expires": "2027-01-15"})], [eval_finding])
	[[f.id, f.line] | some f in future.deny] == [["AIGOV-WAIVER-006", 9]]
}

test_a_waiver_within_its_maximum_is_not_waiver_006 if {
	d := decide([waiver(0, {"created": "2026-11-01", "expires": "2027-01-30"})], [eval_finding])
	not "AIGOV-WAIVER-006" in ids(d)
}

# --- A waiver covers the features it was approved for ---------------------------------------------

test_an_unchanged_waiver_covers_only_the_features_of_the_base if {
	w := object.remove(waiver(0, {"path": "svc/**", "base": {"state": "unchanged", "ref": "main", "features": ["support"]}}), ["feature"])
	newcomer := finding(1, "AIGOV-EVAL-006", "newcomer", "svc/new/evals/config.yaml")
	d := decide([w], [eval_finding, newcomer])
	d.applied == {{"finding": 0, "waiver": 0}}
	state_of(d, 0) == "active"
}

test_a_waiver_matching_only_newer_features_is_stale_and_says_why if {
	w := object.remove(waiver(0, {"path": "svc/**", "base": {"state": "unchanged", "ref": "main", "features": ["support"]}}), ["feature"])
	d := decide([w], [finding(0, "AIGOV-EVAL-006", "newcomer", "svc/new/evals/config.yaml")])
	count(d.applied) == 0
	[f.msg | some f in d.deny] == ["waiver for AIGOV-EVAL-006 (GOV-1) matches no finding of the features it was approved for; it does not cover newcomer, which did not exist at main when it was approved (change the waiver in a pull request its approver approves)"]
}

test_a_waiver_approved_in_the_pull_request_covers_the_features_as_they_are if {
	w := object.remove(waiver(0, {"path": "svc/**", "base": {"state": "added", "ref": "abc123"}}), ["feature"])
	newcomer := finding(1, "AIGOV-EVAL-006", "newcomer", "svc/new/evals/config.yaml")
	d := waivers.decision with input as object.union(review_input([w], {"available": true, "approvals": ["alice"]}), {"findings": [eval_finding, newcomer]})
	d.applied == {{"finding": 0, "waiver": 0}, {"finding": 1, "waiver": 0}}
}
