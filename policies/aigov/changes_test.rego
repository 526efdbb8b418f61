package aigov.changes_test

import rego.v1

import data.aigov.changes

model(id) := {"id": id, "provider": "bedrock", "purpose": "summarization"}

spec := {"riskTier": "medium", "dataClassification": "internal", "models": [model("m1")], "modelCard": "MODEL_CARD.md", "prompts": "prompts"}

base_feature := {"exists": true, "manifest_path": "svc/aigov.yaml", "error": null, "spec": {
	"riskTier": "medium", "dataClassification": "internal", "models": [model("m1")],
}}

file(path) := {"path": path, "status": "modified", "old_path": null, "lines": [[3, 4]]}

review_approved_by(logins) := {
	"available": true, "error": null, "approvals": logins, "codeowners_file": ".github/CODEOWNERS",
	"codeowners": {"svc/aigov.yaml": ["@alice", "@acme/ai-platform"]},
	"teams": {"@acme/ai-platform": {"members": ["carol"], "error": null}},
}

# One feature's input with the change: head spec, changed paths, base feature, review, baseline.
doc(head_spec, paths, base, review, baseline) := {
	"now": "2026-11-23T12:00:00Z",
	"feature": {
		"name": "svc", "dir": "svc", "manifest_path": "svc/aigov.yaml",
		"lines": {"spec.models": 10, "spec.models[0].id": 11, "spec.models[1].id": 14, "spec.riskTier": 8, "spec.dataClassification": 9},
		"manifest": {"spec": head_spec},
		"model_card": {"path": "svc/MODEL_CARD.md", "exists": true},
		"evals": {"declared": true, "path": "svc/evals/config.yaml", "suites": [{"dataset": {"path": "svc/evals/golden.jsonl"}}]},
	},
	"change": {
		"base": "b", "head": "h", "pr": 7, "files": [file(p) | some p in paths],
		"base_feature": base, "eval_baseline": baseline, "review": review,
	},
}

no_baseline := {"path": "svc/evals/baseline.json", "exists": false}

with_baseline := {"path": "svc/evals/baseline.json", "exists": true}

ids(found) := {f.id | some f in found}

with_models(models) := json.patch(spec, [{"op": "replace", "path": "/models", "value": models}])

# --- AIGOV-CHANGE-001 ---

test_prompt_change_without_eval_change_fires_at_the_prompt if {
	found := changes.deny with input as doc(spec, ["svc/prompts/summarize.yaml"], base_feature, null, no_baseline)
	ids(found) == {"AIGOV-CHANGE-001"}
	some f in found
	f.path == "svc/prompts/summarize.yaml"
	f.line == 3
	contains(f.msg, "neither the eval config nor any of its datasets")
}

test_prompt_change_with_dataset_change_passes if {
	found := changes.deny with input as doc(spec, ["svc/prompts/summarize.yaml", "svc/evals/golden.jsonl"], base_feature, null, no_baseline)
	count(found) == 0
}

test_prompt_change_with_eval_config_change_passes if {
	found := changes.deny with input as doc(spec, ["svc/prompts/summarize.yaml", "svc/evals/config.yaml"], base_feature, null, no_baseline)
	count(found) == 0
}

test_declared_baseline_must_be_re_recorded if {
	found := changes.deny with input as doc(spec, ["svc/prompts/summarize.yaml", "svc/evals/config.yaml"], base_feature, null, with_baseline)
	some f in found
	f.id == "AIGOV-CHANGE-001"
	contains(f.msg, "baseline svc/evals/baseline.json was not re-recorded")
}

test_re_recorded_baseline_passes if {
	found := changes.deny with input as doc(spec, ["svc/prompts/summarize.yaml", "svc/evals/baseline.json"], base_feature, null, with_baseline)
	count(found) == 0
}

test_model_parameter_change_points_at_models if {
	head := with_models([json.patch(model("m1"), [{"op": "add", "path": "/role", "value": "fallback"}])])
	found := changes.deny with input as doc(head, ["svc/aigov.yaml"], base_feature, null, no_baseline)
	some f in found
	f.id == "AIGOV-CHANGE-001"
	f.path == "svc/aigov.yaml"
	f.line == 10
	contains(f.msg, "model list")
}

test_purpose_wording_is_not_a_model_change if {
	head := with_models([json.patch(model("m1"), [{"op": "replace", "path": "/purpose", "value": "summaries"}])])
	found := changes.deny with input as doc(head, ["svc/aigov.yaml"], base_feature, null, no_baseline)
	count(found) == 0
}

test_feature_without_evals_is_left_to_the_eval_rules if {
	d := json.patch(doc(spec, ["svc/prompts/summarize.yaml"], base_feature, null, no_baseline), [{"op": "replace", "path": "/feature/evals", "value": {"declared": false}}])
	found := changes.deny with input as d
	count(found) == 0
}

test_no_change_facts_no_findings if {
	d := json.remove(doc(spec, [], base_feature, null, no_baseline), ["change"])
	found := changes.deny with input as d
	count(found) == 0
}

test_new_feature_is_not_compared if {
	found := changes.deny with input as doc(with_models([model("m2")]), ["svc/aigov.yaml", "svc/prompts/a.yaml"], {"exists": false, "error": null, "spec": {}}, null, no_baseline)
	count(found) == 0
}

# --- AIGOV-CHANGE-002 ---

test_model_added_without_card_change if {
	head := with_models([model("m1"), model("m2")])
	found := changes.deny with input as doc(head, ["svc/aigov.yaml", "svc/evals/golden.jsonl"], base_feature, review_approved_by(["alice"]), no_baseline)
	ids(found) == {"AIGOV-CHANGE-002"}
	some f in found
	f.line == 14
	contains(f.msg, "model m2 added")
}

test_a_model_card_moved_without_an_edit_is_no_card_update if {
	head := with_models([model("m1"), model("m2")])
	moved := {"path": "svc/MODEL_CARD.md", "status": "renamed", "old_path": "old/MODEL_CARD.md", "lines": []}
	d := json.patch(doc(head, ["svc/aigov.yaml", "svc/evals/golden.jsonl"], base_feature, review_approved_by(["alice"]), no_baseline), [{"op": "add", "path": "/change/files/-", "value": moved}])
	found := changes.deny with input as d
	"AIGOV-CHANGE-002" in ids(found)
}

test_a_model_card_moved_and_edited_is_a_card_update if {
	head := with_models([model("m1"), model("m2")])
	moved := {"path": "svc/MODEL_CARD.md", "status": "renamed", "old_path": "old/MODEL_CARD.md", "lines": [[3, 4]]}
	d := json.patch(doc(head, ["svc/aigov.yaml", "svc/evals/golden.jsonl"], base_feature, review_approved_by(["alice"]), no_baseline), [{"op": "add", "path": "/change/files/-", "value": moved}])
	found := changes.deny with input as d
	not "AIGOV-CHANGE-002" in ids(found)
}

test_model_swapped_with_card_change_passes if {
	head := with_models([model("m2")])
	paths := ["svc/aigov.yaml", "svc/MODEL_CARD.md", "svc/evals/golden.jsonl"]
	found := changes.deny with input as doc(head, paths, base_feature, review_approved_by(["alice"]), no_baseline)
	count(found) == 0
}

# --- AIGOV-CHANGE-003 ---

lowered := json.patch(spec, [{"op": "replace", "path": "/riskTier", "value": "low"}])

test_tier_lowered_without_review_facts_cannot_verify if {
	found := changes.deny with input as doc(lowered, ["svc/aigov.yaml"], base_feature, null, no_baseline)
	some f in found
	f.id == "AIGOV-CHANGE-003"
	f.line == 8
	contains(f.msg, "risk tier was lowered from medium to low")
	contains(f.msg, "cannot verify approval")
}

test_tier_lowered_api_failure_cannot_verify if {
	review := {"available": false, "error": "the GitHub API failed after 3 attempts: HTTP 500", "approvals": [], "codeowners": {}, "teams": {}}
	found := changes.deny with input as doc(lowered, ["svc/aigov.yaml"], base_feature, review, no_baseline)
	some f in found
	f.id == "AIGOV-CHANGE-003"
	contains(f.msg, "cannot verify approval: the GitHub API failed")
}

test_tier_lowered_approved_by_codeowner_passes if {
	found := changes.deny with input as doc(lowered, ["svc/aigov.yaml"], base_feature, review_approved_by(["alice"]), no_baseline)
	count(found) == 0
}

test_approval_by_team_member_passes if {
	found := changes.deny with input as doc(lowered, ["svc/aigov.yaml"], base_feature, review_approved_by(["carol"]), no_baseline)
	count(found) == 0
}

test_approval_by_someone_else_fires if {
	found := changes.deny with input as doc(lowered, ["svc/aigov.yaml"], base_feature, review_approved_by(["mallory"]), no_baseline)
	some f in found
	f.id == "AIGOV-CHANGE-003"
	contains(f.msg, "no approving review on the head commit from a CODEOWNER of svc/aigov.yaml (@alice, @acme/ai-platform)")
}

test_unreadable_team_says_unverifiable if {
	review := json.patch(review_approved_by(["carol"]), [{"op": "replace", "path": "/teams", "value": {"@acme/ai-platform": {"members": [], "error": "HTTP 403"}}}])
	found := changes.deny with input as doc(lowered, ["svc/aigov.yaml"], base_feature, review, no_baseline)
	some f in found
	contains(f.msg, "team membership unverifiable: @acme/ai-platform (HTTP 403)")
}

test_no_codeowner_nobody_can_approve if {
	review := json.patch(review_approved_by(["alice"]), [{"op": "replace", "path": "/codeowners", "value": {"svc/aigov.yaml": []}}])
	found := changes.deny with input as doc(lowered, ["svc/aigov.yaml"], base_feature, review, no_baseline)
	some f in found
	contains(f.msg, "no CODEOWNER owns svc/aigov.yaml")
}

test_classification_loosened_needs_approval if {
	head := json.patch(spec, [{"op": "replace", "path": "/dataClassification", "value": "public"}])
	found := changes.deny with input as doc(head, ["svc/aigov.yaml"], base_feature, null, no_baseline)
	some f in found
	f.id == "AIGOV-CHANGE-003"
	f.line == 9
	contains(f.msg, "dataClassification was loosened from internal to public")
}

test_tightening_needs_no_approval if {
	head := json.patch(spec, [{"op": "replace", "path": "/riskTier", "value": "high"}, {"op": "replace", "path": "/dataClassification", "value": "restricted"}])
	found := changes.deny with input as doc(head, ["svc/aigov.yaml"], base_feature, null, no_baseline)
	count(found) == 0
}

test_unreadable_base_manifest_needs_approval if {
	base := {"exists": true, "manifest_path": "svc/aigov.yaml", "error": "not UTF-8 text", "spec": {}}
	found := changes.deny with input as doc(spec, ["svc/aigov.yaml"], base, null, no_baseline)
	ids(found) == {"AIGOV-CHANGE-003"}
	some f in found
	contains(f.msg, "manifest at the base commit cannot be read (not UTF-8 text)")
}

test_prompt_moved_out_of_the_prompts_folder_counts_as_a_prompt_change if {
	moved := {"path": "svc/old/summarize.yaml", "status": "renamed", "old_path": "svc/prompts/summarize.yaml", "lines": []}
	d := json.patch(doc(spec, [], base_feature, null, no_baseline), [{"op": "add", "path": "/change/files/-", "value": moved}])
	found := changes.deny with input as d
	some f in found
	f.id == "AIGOV-CHANGE-001"
	f.line == 1
}

# --- AIGOV-CHANGE-003: reviewers org data requires ---

risk_settings(tiers) := {"reviewers": {"risk": "@acme/risk"}, "required": {"manifest": tiers}}

with_risk(review, members) := json.patch(review, [{"op": "add", "path": "/teams/@acme~1risk", "value": {"members": members, "error": null}}])

change_003(found) := [f.msg | some f in found; f.id == "AIGOV-CHANGE-003"]

test_org_data_requires_its_reviewers_besides_a_codeowner if {
	review := with_risk(review_approved_by(["alice"]), [])
	found := changes.deny with input as doc(lowered, ["svc/aigov.yaml"], base_feature, review, no_baseline)
		with data.aigov.settings.approvals as risk_settings({"medium": ["risk"]})
	change_003(found) == ["the risk tier was lowered from medium to low; no approving review on the head commit from the risk reviewers (@acme/risk), whom org data requires at medium tier"]
	approved := with_risk(review_approved_by(["alice", "rita"]), ["rita"])
	count(changes.deny) == 0 with input as doc(lowered, ["svc/aigov.yaml"], base_feature, approved, no_baseline)
		with data.aigov.settings.approvals as risk_settings({"medium": ["risk"]})
}

test_the_tier_for_reviewers_is_the_higher_of_base_and_head if {
	high_base := json.patch(base_feature, [{"op": "replace", "path": "/spec/riskTier", "value": "high"}])
	found := changes.deny with input as doc(lowered, ["svc/aigov.yaml"], high_base, with_risk(review_approved_by(["alice"]), []), no_baseline)
		with data.aigov.settings.approvals as risk_settings({"high": ["risk"]})
	contains(change_003(found)[0], "whom org data requires at high tier")
}

test_an_unreadable_base_is_judged_as_high_tier if {
	base := {"exists": true, "manifest_path": "svc/aigov.yaml", "error": "not UTF-8 text", "spec": {}}
	found := changes.deny with input as doc(spec, ["svc/aigov.yaml"], base, with_risk(review_approved_by(["alice"]), []), no_baseline)
		with data.aigov.settings.approvals as risk_settings({"high": ["risk"]})
	contains(change_003(found)[0], "whom org data requires at high tier")
}

test_a_required_group_without_reviewers_blocks if {
	found := changes.deny with input as doc(lowered, ["svc/aigov.yaml"], base_feature, review_approved_by(["alice"]), no_baseline)
		with data.aigov.settings.approvals as {"reviewers": {}, "required": {"manifest": {"medium": ["legal"]}}}
	contains(change_003(found)[0], "org data requires the approval of the legal reviewers at medium tier, but data.aigov.settings.approvals.reviewers names no legal")
}

test_a_required_team_that_cannot_be_read_is_named if {
	review := json.patch(review_approved_by(["alice", "rita"]), [{"op": "add", "path": "/teams/@acme~1risk", "value": {"members": [], "error": "HTTP 403"}}])
	found := changes.deny with input as doc(lowered, ["svc/aigov.yaml"], base_feature, review, no_baseline)
		with data.aigov.settings.approvals as risk_settings({"medium": ["risk"]})
	contains(change_003(found)[0], "cannot verify approval by the risk reviewers (@acme/risk): HTTP 403")
}

test_a_moved_manifest_is_approved_by_its_owners_at_the_base if {
	moved := json.patch(base_feature, [{"op": "replace", "path": "/manifest_path", "value": "old/aigov.yaml"}])
	review := json.patch(review_approved_by(["alice"]), [{"op": "replace", "path": "/codeowners", "value": {"old/aigov.yaml": ["@bob"]}}])
	found := changes.deny with input as doc(lowered, ["svc/aigov.yaml"], moved, review, no_baseline)
	contains(change_003(found)[0], "no approving review on the head commit from a CODEOWNER of old/aigov.yaml (@bob)")
}
