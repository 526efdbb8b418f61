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
	"available": true, "error": null, "approvals": logins, "changes_requested": [], "codeowners_file": ".github/CODEOWNERS",
	"codeowners": {"svc/aigov.yaml": ["@alice", "@acme/ai-platform"]},
	"teams": {"@acme/ai-platform": {"members": ["carol"], "error": null}},
}

evals := {"declared": true, "config": "evals/config.yaml", "path": "svc/evals/config.yaml", "suites": [{
	"name": "golden", "dataset": {"path": "svc/evals/golden.jsonl", "declared": "evals/golden.jsonl", "cases": 120},
	"metrics": [{"name": "coverage", "threshold": 0.85, "goal": "min"}, {"name": "made_up", "threshold": 0.05, "goal": "max"}],
}]}

# One feature's input with the change: head spec, changed paths, base feature, review, recorded results.
doc(head_spec, paths, base, review, results) := {
	"now": "2026-11-23T12:00:00Z",
	"feature": {
		"name": "svc", "dir": "svc", "manifest_path": "svc/aigov.yaml",
		"lines": {"spec.models": 10, "spec.models[0].id": 11, "spec.models[1].id": 14, "spec.riskTier": 8, "spec.dataClassification": 9},
		"manifest": {"spec": head_spec},
		"model_card": {"path": "svc/MODEL_CARD.md", "exists": true},
		"evals": evals,
	},
	"change": {
		"base": "b", "head": "h", "pr": 7, "files": [file(p) | some p in paths],
		"base_feature": base, "eval_baseline": results, "review": review,
	},
}

# --- AIGOV-CHANGE-001: the recorded results of a re-baseline ---

# The digests aigov read at the head: the prompt as changed, the eval config, the dataset.
actual := {
	"prompts": {"prompts/summarize.yaml": "sha256:new-prompt"},
	"config": {"path": "evals/config.yaml", "digest": "sha256:config"},
	"datasets": {"evals/golden.jsonl": "sha256:golden"},
}

metric(name, score, threshold, goal) := {
	"suite": "golden", "metric": name, "score": score, "threshold": threshold, "goal": goal, "cases": 120,
	"score_text": sprintf("%v", [score]), "threshold_text": sprintf("%v", [threshold]),
}

# A record produced on exactly the head, over 120 cases, meeting both thresholds.
fresh := {
	"prompts": {"prompts/summarize.yaml": "sha256:new-prompt"}, "models": [recorded_model("m1")], "unrecorded_providers": [],
	"config": {"path": "evals/config.yaml", "digest": "sha256:config"}, "datasets": {"evals/golden.jsonl": "sha256:golden"},
	"cases": 120, "metrics": [metric("coverage", 0.9, 0.85, "min"), metric("made_up", 0.01, 0.05, "max")],
}

recorded_model(id) := {"id": id, "provider": "bedrock"}

results(recorded) := {"path": "svc/evals/baseline.json", "exists": true, "error": null, "line": 1, "recorded": recorded, "actual": actual}

no_results := {"path": "svc/evals/baseline.json", "exists": false, "error": null, "line": 1, "recorded": null, "actual": null}

recorded_with(patch) := results(json.patch(fresh, patch))

ids(found) := {f.id | some f in found}

with_models(models) := json.patch(spec, [{"op": "replace", "path": "/models", "value": models}])

change_001(found) := [f.msg | some f in found; f.id == "AIGOV-CHANGE-001"]

# `with` only works inside a rule body: each test evaluates changes.deny itself.
prompt_doc(recorded) := doc(spec, ["svc/prompts/summarize.yaml"], base_feature, null, recorded)

test_prompt_change_without_recorded_results_fires_at_the_prompt if {
	found := changes.deny with input as prompt_doc(no_results)
	ids(found) == {"AIGOV-CHANGE-001"}
	some f in found
	f.path == "svc/prompts/summarize.yaml"
	f.line == 3
	f.msg == "prompt svc/prompts/summarize.yaml changed in this pull request, but the recorded eval results svc/evals/baseline.json are not evidence of it: no results are recorded there"
}

test_touching_the_eval_config_or_a_dataset_is_no_re_baseline if {
	paths := ["svc/prompts/summarize.yaml", "svc/evals/config.yaml", "svc/evals/golden.jsonl"]
	found := changes.deny with input as doc(spec, paths, base_feature, null, no_results)
	ids(found) == {"AIGOV-CHANGE-001"}
}

test_results_recorded_on_exactly_the_change_pass if {
	count(changes.deny) == 0 with input as prompt_doc(results(fresh))
}

test_results_recorded_on_the_old_prompt_are_stale if {
	found := changes.deny with input as prompt_doc(recorded_with([{"op": "replace", "path": "/prompts/prompts~1summarize.yaml", "value": "sha256:old-prompt"}]))
	contains(change_001(found)[0], "evidence of it: they were not produced on the prompts as they are now (prompts/summarize.yaml)")
}

test_a_prompt_recorded_and_deleted_since_is_stale if {
	found := changes.deny with input as prompt_doc(recorded_with([{"op": "add", "path": "/prompts/prompts~1gone.yaml", "value": "sha256:gone"}]))
	contains(change_001(found)[0], "(prompts/gone.yaml)")
}

test_results_of_other_models_are_not_evidence if {
	found := changes.deny with input as prompt_doc(recorded_with([{"op": "replace", "path": "/models", "value": [recorded_model("m0")]}]))
	contains(change_001(found)[0], "they were produced on models [m0 (bedrock)], not on the manifest's [m1 (bedrock)]")
}

test_results_of_the_same_model_on_another_provider_are_not_evidence if {
	anthropic := with_models([json.patch(model("m1"), [{"op": "replace", "path": "/provider", "value": "anthropic"}])])
	found := changes.deny with input as doc(anthropic, ["svc/aigov.yaml"], base_feature, null, results(fresh))
	change_001(found) == ["the model list or a model's parameters changed in this pull request, but the recorded eval results svc/evals/baseline.json are not evidence of it: they were produced on models [m1 (bedrock)], not on the manifest's [m1 (anthropic)]"]
}

test_a_record_naming_models_without_providers_is_no_evidence if {
	bare := recorded_with([
		{"op": "replace", "path": "/models", "value": [{"id": "m1", "provider": null}]},
		{"op": "replace", "path": "/unrecorded_providers", "value": ["m1"]},
	])
	found := changes.deny with input as prompt_doc(bare)
	contains(change_001(found)[0], "evidence of it: they name model m1 without a provider: record them again with an eval runner that records each model's provider")
}

test_a_model_the_manifest_gives_no_provider_is_recorded_with_none if {
	no_provider := with_models([object.remove(model("m1"), ["provider"])])
	recorded := recorded_with([{"op": "replace", "path": "/models", "value": [{"id": "m1", "provider": null}]}])
	count(changes.deny) == 0 with input as doc(no_provider, ["svc/prompts/summarize.yaml"], base_feature, null, recorded)
}

test_a_changed_eval_config_or_dataset_makes_them_stale if {
	found := changes.deny with input as prompt_doc(recorded_with([
		{"op": "replace", "path": "/config/digest", "value": "sha256:old-config"},
		{"op": "replace", "path": "/datasets/evals~1golden.jsonl", "value": "sha256:old-golden"},
	]))
	msg := change_001(found)[0]
	contains(msg, "dataset evals/golden.jsonl changed since they were recorded; the eval config evals/config.yaml changed since they were recorded")
}

test_too_few_cases_for_the_tier_are_no_re_baseline if {
	small := json.patch(doc(spec, ["svc/prompts/summarize.yaml"], base_feature, null, results(fresh)), [
		{"op": "replace", "path": "/feature/evals/suites/0/dataset/cases", "value": 20},
	])
	found := changes.deny with input as small
	contains(change_001(found)[0], "the datasets hold 20 cases, fewer than the 25 org data requires of a re-baseline at medium tier")
	count(changes.deny) == 0 with input as small with data.aigov.settings.evals.rebaseline_min_cases as {"medium": 20}
}

test_a_missed_threshold_is_no_re_baseline if {
	found := changes.deny with input as prompt_doc(recorded_with([{"op": "replace", "path": "/metrics/1", "value": metric("made_up", 0.08, 0.05, "max")}]))
	contains(change_001(found)[0], "metric golden/made_up scored 0.08, short of its threshold 0.05")
}

test_a_threshold_other_than_the_configs_is_no_re_baseline if {
	found := changes.deny with input as prompt_doc(recorded_with([{"op": "replace", "path": "/metrics/0", "value": metric("coverage", 0.7, 0.6, "min")}]))
	msg := change_001(found)[0]
	contains(msg, "metric golden/coverage was recorded against threshold 0.6 (min), not the eval config's")
	not contains(msg, "short of")
}

test_a_metric_missing_from_the_record_is_no_re_baseline if {
	found := changes.deny with input as prompt_doc(recorded_with([{"op": "remove", "path": "/metrics/1"}]))
	contains(change_001(found)[0], "metric golden/made_up is not in them")
}

test_a_record_that_is_not_one_says_why if {
	broken := {"path": "svc/evals/baseline.json", "exists": true, "error": "metrics: 'metrics' is a required property", "line": 3, "recorded": null, "actual": null}
	found := changes.deny with input as prompt_doc(broken)
	contains(change_001(found)[0], "it is not a results record (line 3: metrics: 'metrics' is a required property)")
}

test_model_parameter_change_points_at_models if {
	head := with_models([json.patch(model("m1"), [{"op": "add", "path": "/role", "value": "fallback"}])])
	found := changes.deny with input as doc(head, ["svc/aigov.yaml"], base_feature, null, no_results)
	some f in found
	f.id == "AIGOV-CHANGE-001"
	f.path == "svc/aigov.yaml"
	f.line == 10
	contains(f.msg, "model list")
}

test_purpose_wording_is_not_a_model_change if {
	head := with_models([json.patch(model("m1"), [{"op": "replace", "path": "/purpose", "value": "summaries"}])])
	found := changes.deny with input as doc(head, ["svc/aigov.yaml"], base_feature, null, no_results)
	count(found) == 0
}

test_feature_without_evals_is_left_to_the_eval_rules if {
	d := json.patch(doc(spec, ["svc/prompts/summarize.yaml"], base_feature, null, no_results), [{"op": "replace", "path": "/feature/evals", "value": {"declared": false}}])
	found := changes.deny with input as d
	count(found) == 0
}

test_no_change_facts_no_findings if {
	d := json.remove(doc(spec, [], base_feature, null, no_results), ["change"])
	found := changes.deny with input as d
	count(found) == 0
}

test_new_feature_is_not_compared if {
	found := changes.deny with input as doc(with_models([model("m2")]), ["svc/aigov.yaml", "svc/prompts/a.yaml"], {"exists": false, "error": null, "spec": {}}, null, no_results)
	count(found) == 0
}

# --- AIGOV-CHANGE-002 ---

test_model_added_without_card_change if {
	head := with_models([model("m1"), model("m2")])
	recorded := recorded_with([{"op": "replace", "path": "/models", "value": [recorded_model("m1"), recorded_model("m2")]}])
	found := changes.deny with input as doc(head, ["svc/aigov.yaml", "svc/evals/golden.jsonl"], base_feature, review_approved_by(["alice"]), recorded)
	ids(found) == {"AIGOV-CHANGE-002"}
	some f in found
	f.line == 14
	contains(f.msg, "model m2 added")
}

test_a_model_card_moved_without_an_edit_is_no_card_update if {
	head := with_models([model("m1"), model("m2")])
	moved := {"path": "svc/MODEL_CARD.md", "status": "renamed", "old_path": "old/MODEL_CARD.md", "lines": []}
	d := json.patch(doc(head, ["svc/aigov.yaml", "svc/evals/golden.jsonl"], base_feature, review_approved_by(["alice"]), no_results), [{"op": "add", "path": "/change/files/-", "value": moved}])
	found := changes.deny with input as d
	"AIGOV-CHANGE-002" in ids(found)
}

test_a_model_card_moved_and_edited_is_a_card_update if {
	head := with_models([model("m1"), model("m2")])
	moved := {"path": "svc/MODEL_CARD.md", "status": "renamed", "old_path": "old/MODEL_CARD.md", "lines": [[3, 4]]}
	d := json.patch(doc(head, ["svc/aigov.yaml", "svc/evals/golden.jsonl"], base_feature, review_approved_by(["alice"]), no_results), [{"op": "add", "path": "/change/files/-", "value": moved}])
	found := changes.deny with input as d
	not "AIGOV-CHANGE-002" in ids(found)
}

test_model_swapped_with_card_change_passes if {
	head := with_models([model("m2")])
	paths := ["svc/aigov.yaml", "svc/MODEL_CARD.md", "svc/evals/golden.jsonl"]
	recorded := recorded_with([{"op": "replace", "path": "/models", "value": [recorded_model("m2")]}])
	found := changes.deny with input as doc(head, paths, base_feature, review_approved_by(["alice"]), recorded)
	count(found) == 0
}

# --- AIGOV-CHANGE-003 ---

lowered := json.patch(spec, [{"op": "replace", "path": "/riskTier", "value": "low"}])

test_tier_lowered_without_review_facts_cannot_verify if {
	found := changes.deny with input as doc(lowered, ["svc/aigov.yaml"], base_feature, null, no_results)
	some f in found
	f.id == "AIGOV-CHANGE-003"
	f.line == 8
	contains(f.msg, "risk tier was lowered from medium to low")
	contains(f.msg, "cannot verify approval")
}

test_tier_lowered_api_failure_cannot_verify if {
	review := {"available": false, "error": "the GitHub API failed after 3 attempts: HTTP 500", "approvals": [], "changes_requested": [], "codeowners": {}, "teams": {}}
	found := changes.deny with input as doc(lowered, ["svc/aigov.yaml"], base_feature, review, no_results)
	some f in found
	f.id == "AIGOV-CHANGE-003"
	contains(f.msg, "cannot verify approval: the GitHub API failed")
}

test_tier_lowered_approved_by_codeowner_passes if {
	found := changes.deny with input as doc(lowered, ["svc/aigov.yaml"], base_feature, review_approved_by(["alice"]), no_results)
	count(found) == 0
}

test_approval_by_team_member_passes if {
	found := changes.deny with input as doc(lowered, ["svc/aigov.yaml"], base_feature, review_approved_by(["carol"]), no_results)
	count(found) == 0
}

test_approval_by_someone_else_fires if {
	found := changes.deny with input as doc(lowered, ["svc/aigov.yaml"], base_feature, review_approved_by(["mallory"]), no_results)
	some f in found
	f.id == "AIGOV-CHANGE-003"
	contains(f.msg, "no approving review on the head commit from a CODEOWNER of svc/aigov.yaml (@alice, @acme/ai-platform)")
}

test_unreadable_team_says_unverifiable if {
	review := json.patch(review_approved_by(["carol"]), [{"op": "replace", "path": "/teams", "value": {"@acme/ai-platform": {"members": [], "error": "HTTP 403"}}}])
	found := changes.deny with input as doc(lowered, ["svc/aigov.yaml"], base_feature, review, no_results)
	some f in found
	contains(f.msg, "team membership unverifiable: @acme/ai-platform (HTTP 403)")
}

test_no_codeowner_nobody_can_approve if {
	review := json.patch(review_approved_by(["alice"]), [{"op": "replace", "path": "/codeowners", "value": {"svc/aigov.yaml": []}}])
	found := changes.deny with input as doc(lowered, ["svc/aigov.yaml"], base_feature, review, no_results)
	some f in found
	contains(f.msg, "no CODEOWNER owns svc/aigov.yaml")
}

test_classification_loosened_needs_approval if {
	head := json.patch(spec, [{"op": "replace", "path": "/dataClassification", "value": "public"}])
	found := changes.deny with input as doc(head, ["svc/aigov.yaml"], base_feature, null, no_results)
	some f in found
	f.id == "AIGOV-CHANGE-003"
	f.line == 9
	contains(f.msg, "dataClassification was loosened from internal to public")
}

test_tightening_needs_no_approval if {
	head := json.patch(spec, [{"op": "replace", "path": "/riskTier", "value": "high"}, {"op": "replace", "path": "/dataClassification", "value": "restricted"}])
	found := changes.deny with input as doc(head, ["svc/aigov.yaml"], base_feature, null, no_results)
	count(found) == 0
}

test_unreadable_base_manifest_needs_approval if {
	base := {"exists": true, "manifest_path": "svc/aigov.yaml", "error": "not UTF-8 text", "spec": {}}
	found := changes.deny with input as doc(spec, ["svc/aigov.yaml"], base, null, no_results)
	ids(found) == {"AIGOV-CHANGE-003"}
	some f in found
	contains(f.msg, "manifest at the base commit cannot be read (not UTF-8 text)")
}

test_prompt_moved_out_of_the_prompts_folder_counts_as_a_prompt_change if {
	moved := {"path": "svc/old/summarize.yaml", "status": "renamed", "old_path": "svc/prompts/summarize.yaml", "lines": []}
	d := json.patch(doc(spec, [], base_feature, null, no_results), [{"op": "add", "path": "/change/files/-", "value": moved}])
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
	found := changes.deny with input as doc(lowered, ["svc/aigov.yaml"], base_feature, review, no_results)
		with data.aigov.settings.approvals as risk_settings({"medium": ["risk"]})
	change_003(found) == ["the risk tier was lowered from medium to low; no approving review on the head commit from the risk reviewers (@acme/risk), whom org data requires at medium tier"]
	approved := with_risk(review_approved_by(["alice", "rita"]), ["rita"])
	count(changes.deny) == 0 with input as doc(lowered, ["svc/aigov.yaml"], base_feature, approved, no_results)
		with data.aigov.settings.approvals as risk_settings({"medium": ["risk"]})
}

test_the_tier_for_reviewers_is_the_higher_of_base_and_head if {
	high_base := json.patch(base_feature, [{"op": "replace", "path": "/spec/riskTier", "value": "high"}])
	found := changes.deny with input as doc(lowered, ["svc/aigov.yaml"], high_base, with_risk(review_approved_by(["alice"]), []), no_results)
		with data.aigov.settings.approvals as risk_settings({"high": ["risk"]})
	contains(change_003(found)[0], "whom org data requires at high tier")
}

test_an_unreadable_base_is_judged_as_high_tier if {
	base := {"exists": true, "manifest_path": "svc/aigov.yaml", "error": "not UTF-8 text", "spec": {}}
	found := changes.deny with input as doc(spec, ["svc/aigov.yaml"], base, with_risk(review_approved_by(["alice"]), []), no_results)
		with data.aigov.settings.approvals as risk_settings({"high": ["risk"]})
	contains(change_003(found)[0], "whom org data requires at high tier")
}

test_a_required_group_without_reviewers_blocks if {
	found := changes.deny with input as doc(lowered, ["svc/aigov.yaml"], base_feature, review_approved_by(["alice"]), no_results)
		with data.aigov.settings.approvals as {"reviewers": {}, "required": {"manifest": {"medium": ["legal"]}}}
	contains(change_003(found)[0], "org data requires the approval of the legal reviewers at medium tier, but data.aigov.settings.approvals.reviewers names no legal")
}

test_a_required_team_that_cannot_be_read_is_named if {
	review := json.patch(review_approved_by(["alice", "rita"]), [{"op": "add", "path": "/teams/@acme~1risk", "value": {"members": [], "error": "HTTP 403"}}])
	found := changes.deny with input as doc(lowered, ["svc/aigov.yaml"], base_feature, review, no_results)
		with data.aigov.settings.approvals as risk_settings({"medium": ["risk"]})
	contains(change_003(found)[0], "cannot verify approval by the risk reviewers (@acme/risk): HTTP 403")
}

test_a_moved_manifest_is_approved_by_its_owners_at_the_base if {
	moved := json.patch(base_feature, [{"op": "replace", "path": "/manifest_path", "value": "old/aigov.yaml"}])
	review := json.patch(review_approved_by(["alice"]), [{"op": "replace", "path": "/codeowners", "value": {"old/aigov.yaml": ["@bob"]}}])
	found := changes.deny with input as doc(lowered, ["svc/aigov.yaml"], moved, review, no_results)
	contains(change_003(found)[0], "no approving review on the head commit from a CODEOWNER of old/aigov.yaml (@bob)")
}

# --- A model's declared kind ---

kinded(kind) := [json.patch(model("m1"), [{"op": "add", "path": "/kind", "value": kind}])]

test_changing_a_models_declared_kind_needs_approval if {
	base := json.patch(base_feature, [{"op": "replace", "path": "/spec/models", "value": kinded("chat")}])
	recorded := results(fresh)
	found := changes.deny with input as doc(with_models(kinded("embedding")), ["svc/aigov.yaml"], base, null, recorded)
	contains(change_003(found)[0], "the kind declared for model m1 was changed from chat to embedding")
	count(changes.deny) == 0 with input as doc(with_models(kinded("chat")), ["svc/aigov.yaml"], base_feature, null, recorded)
}

# --- AIGOV-CHANGE-004: a prompt's version ---

side(version, parts) := {"exists": true, "version": version, "parts": parts, "error": null}

prompt(base, head, changed) := {"path": "svc/prompts/answer.yaml", "old_path": null, "status": "modified", "line": 2,
	"base": base, "head": head, "content_changed": changed}

with_prompts(list) := json.patch(doc(spec, ["svc/prompts/answer.yaml"], base_feature, null, results(fresh)), [
	{"op": "add", "path": "/change/prompts", "value": list},
	{"op": "replace", "path": "/change/eval_baseline/actual/prompts", "value": {}},
	{"op": "replace", "path": "/change/eval_baseline/recorded/prompts", "value": {}},
])

change_004(found) := [f.msg | some f in found; f.id == "AIGOV-CHANGE-004"]

test_a_prompt_changed_without_a_version_increase if {
	found := changes.deny with input as with_prompts([prompt(side("1", [1]), side("1", [1]), true)])
	change_004(found) == ["prompt svc/prompts/answer.yaml changed in this pull request, but its version stayed 1"]
	some f in found
	[f.path, f.line] == ["svc/prompts/answer.yaml", 2]
}

test_a_prompt_whose_version_increased_passes if {
	count(changes.deny) == 0 with input as with_prompts([prompt(side("1.9", [1, 9]), side("1.10", [1, 10]), true)])
	count(changes.deny) == 0 with input as with_prompts([prompt(side("1.2", [1, 2]), side("1.2.1", [1, 2, 1]), true)])
}

test_a_lower_removed_or_unreadable_version_is_no_increase if {
	lower := changes.deny with input as with_prompts([prompt(side("2", [2]), side("1", [1]), true)])
	change_004(lower) == ["prompt svc/prompts/answer.yaml changed in this pull request, but its version went from 2 to 1, which is not an increase"]
	gone := changes.deny with input as with_prompts([prompt(side("2", [2]), side(null, null), true)])
	contains(change_004(gone)[0], "its version was removed")
	words := changes.deny with input as with_prompts([prompt(side("2", [2]), side("two", null), true)])
	contains(change_004(words)[0], "its version two cannot be compared with 2")
}

test_layout_changes_and_unversioned_prompts_need_no_version if {
	count(changes.deny) == 0 with input as with_prompts([prompt(side("1", [1]), side("1", [1]), false)])
	count(changes.deny) == 0 with input as with_prompts([prompt(side(null, null), side(null, null), true)])
}

# --- AIGOV-CHANGE-005: who approves a prompt promotion ---

high(d) := json.patch(d, [
	{"op": "replace", "path": "/feature/manifest/spec/riskTier", "value": "high"},
	{"op": "replace", "path": "/change/base_feature/spec/riskTier", "value": "high"},
])

promotion(review) := json.patch(high(with_prompts([prompt(side("1", [1]), side("2", [2]), true)])), [{"op": "replace", "path": "/change/review", "value": review}])

change_005(found) := [f.msg | some f in found; f.id == "AIGOV-CHANGE-005"]

test_a_high_tier_prompt_promotion_needs_the_risk_reviewers if {
	found := changes.deny with input as promotion(with_risk(review_approved_by(["alice"]), []))
		with data.aigov.settings.approvals as {"reviewers": {"risk": "@acme/risk"}, "required": {"prompt": {"high": ["risk"]}}}
	change_005(found) == ["prompt svc/prompts/answer.yaml changed in this pull request; no approving review on the head commit from the risk reviewers (@acme/risk), whom org data requires for prompt changes at high tier"]
	count(changes.deny) == 0 with input as promotion(with_risk(review_approved_by(["rita"]), ["rita"]))
		with data.aigov.settings.approvals as {"reviewers": {"risk": "@acme/risk"}, "required": {"prompt": {"high": ["risk"]}}}
}

test_the_shipped_data_requires_risk_reviewers_it_does_not_name if {
	found := changes.deny with input as promotion(review_approved_by(["alice"]))
	contains(change_005(found)[0], "org data requires the approval of the risk reviewers for prompt changes at high tier, but data.aigov.settings.approvals.reviewers names no risk")
}

test_a_prompt_promotion_without_reviews_cannot_be_verified if {
	unread := {"available": false, "error": "no GitHub token", "approvals": [], "changes_requested": [], "codeowners": {}, "teams": {}}
	found := changes.deny with input as promotion(unread)
		with data.aigov.settings.approvals as {"reviewers": {"risk": "@acme/risk"}, "required": {"prompt": {"high": ["risk"]}}}
	contains(change_005(found)[0], "cannot verify approval by the risk reviewers (@acme/risk): no GitHub token")
}

test_a_medium_tier_prompt_needs_no_reviewers_by_default if {
	found := changes.deny with input as json.patch(with_prompts([prompt(side("1", [1]), side("2", [2]), true)]), [
		{"op": "replace", "path": "/change/review", "value": review_approved_by([])},
	])
	count(found) == 0
}

# --- AIGOV-CHANGE-006: a draft made final ---

document(status, reviewed) := {"key": "model_card", "kind": "model card", "path": "svc/MODEL_CARD.md", "exists": true,
	"status": status, "drafted": "2026-10-01", "last_reviewed": reviewed, "line": 1}

finalising(review, reviewed) := json.patch(doc(spec, ["svc/MODEL_CARD.md"], base_feature, review, results(fresh)), [
	{"op": "add", "path": "/feature/documents", "value": [document(null, reviewed)]},
	{"op": "add", "path": "/change/documents", "value": {"base": [document("draft", null)], "base_date": "2026-11-20"}},
])

card_owned(logins) := json.patch(with_risk(review_approved_by(logins), ["rita"]), [
	{"op": "add", "path": "/codeowners/svc~1MODEL_CARD.md", "value": ["@alice"]},
])

risk_for_drafts := {"reviewers": {"risk": "@acme/risk"}, "required": {"draft": {"medium": ["risk"]}}}

change_006(found) := [f.msg | some f in found; f.id == "AIGOV-CHANGE-006"]

test_making_a_draft_final_needs_its_owner_and_the_reviewers_org_data_names if {
	found := changes.deny with input as finalising(card_owned(["alice"]), "2026-11-22") with data.aigov.settings.approvals as risk_for_drafts
	change_006(found) == ["the model card svc/MODEL_CARD.md was a draft and this pull request makes it final; no approving review on the head commit from the risk reviewers (@acme/risk), whom org data requires for making a draft final at medium tier"]
	owner := changes.deny with input as finalising(card_owned(["rita"]), "2026-11-22") with data.aigov.settings.approvals as risk_for_drafts
	contains(change_006(owner)[0], "no approving review on the head commit from a CODEOWNER of svc/MODEL_CARD.md (@alice)")
	count(changes.deny) == 0 with input as finalising(card_owned(["alice", "rita"]), "2026-11-22") with data.aigov.settings.approvals as risk_for_drafts
}

test_last_reviewed_of_a_draft_made_final_is_the_date_of_its_review if {
	found := changes.deny with input as finalising(card_owned(["alice", "rita"]), "2026-10-01") with data.aigov.settings.approvals as risk_for_drafts
	change_006(found) == ["the model card svc/MODEL_CARD.md was a draft and this pull request makes it final; its last_reviewed 2026-10-01 is before this pull request's base commit (2026-11-20): set it to the date of this review"]
}

test_making_a_draft_final_without_reviews_cannot_be_verified if {
	found := changes.deny with input as finalising(null, "2026-11-22")
	contains(change_006(found)[0], "makes it final; cannot verify approval: the reviews were not read")
}

test_a_draft_no_longer_named_was_not_reviewed_either if {
	d := json.patch(finalising(card_owned([]), "2026-11-22"), [{"op": "replace", "path": "/feature/documents", "value": []}])
	found := changes.deny with input as d
	contains(change_006(found)[0], "the model card svc/MODEL_CARD.md was a draft and this pull request makes it final")
}

test_a_draft_that_stays_a_draft_needs_no_approval if {
	d := json.patch(finalising(null, null), [{"op": "replace", "path": "/feature/documents", "value": [document("draft", null)]}])
	count(changes.deny) == 0 with input as d
}

# --- AIGOV-CHANGE-007: a draft re-dated ---

draft_dated(drafted) := json.patch(document("draft", null), [{"op": "replace", "path": "/drafted", "value": drafted}])

redating(was, now) := json.patch(doc(spec, ["svc/MODEL_CARD.md"], base_feature, null, results(fresh)), [
	{"op": "add", "path": "/feature/documents", "value": [draft_dated(now)]},
	{"op": "add", "path": "/change/documents", "value": {"base": [draft_dated(was)], "base_date": "2026-11-20"}},
])

change_007(found) := [[f.msg, f.path, f.line] | some f in found; f.id == "AIGOV-CHANGE-007"]

test_a_draft_dated_later_than_at_the_base_is_postponed if {
	found := changes.deny with input as redating("2026-10-01", "2026-11-20")
	change_007(found) == [["the model card svc/MODEL_CARD.md was drafted on 2026-10-01, and this pull request dates it 2026-11-20, which postpones the day it blocks; a draft's grace period counts from the day it was drafted", "svc/MODEL_CARD.md", 1]]
}

test_dating_a_draft_that_had_no_grace_period_postpones_it_too if {
	undated := changes.deny with input as redating(null, "2026-11-20")
	contains(change_007(undated)[0][0], "was a draft without a drafted date (YYYY-MM-DD) at the base, with no grace period, and this pull request dates it 2026-11-20")
	future := changes.deny with input as redating("2099-01-01", "2026-11-20")
	contains(change_007(future)[0][0], "was a draft dated in the future (2099-01-01) at the base, with no grace period")
}

test_a_draft_dated_into_the_future_is_postponed_too if {
	found := changes.deny with input as redating("2026-10-01", "2099-01-01")
	contains(change_007(found)[0][0], "was drafted on 2026-10-01, and this pull request dates it 2099-01-01")
}

test_a_draft_whose_date_stays_or_moves_earlier_or_away_is_not_postponed if {
	count(changes.deny) == 0 with input as redating("2026-10-01", "2026-10-01")
	count(changes.deny) == 0 with input as redating("2026-10-01", "2026-09-01")
	count(changes.deny) == 0 with input as redating("2026-10-01", null) # undated: it blocks at once (AIGOV-DRAFT-002)
	count(changes.deny) == 0 with input as redating(null, "2099-01-01") # still no date it was drafted on: it blocks at once
	count(changes.deny) == 0 with input as redating("2100-01-01", "2099-01-01")
}

reopening(status) := json.patch(doc(spec, ["svc/MODEL_CARD.md"], base_feature, null, results(fresh)), [
	{"op": "add", "path": "/feature/documents", "value": [draft_dated("2026-11-20")]},
	{"op": "add", "path": "/change/documents", "value": {"base": [document(status, "2026-01-21")], "base_date": "2026-11-20"}},
])

test_a_reviewed_document_made_a_draft_again_is_postponed if {
	found := changes.deny with input as reopening(null)
	change_007(found) == [["the model card svc/MODEL_CARD.md was final (reviewed) at the base, and this pull request dates it 2026-11-20, which postpones the day it blocks; a draft's grace period counts from the day it was drafted", "svc/MODEL_CARD.md", 1]]
	undated := changes.deny with input as json.patch(reopening(null), [{"op": "replace", "path": "/feature/documents/0/drafted", "value": null}])
	contains(change_007(undated)[0][0], "was final (reviewed) at the base, and this pull request makes it a draft again")
}

test_a_document_new_in_this_pull_request_or_a_draft_at_the_base_is_not_reopened if {
	same_draft := json.patch(reopening("draft"), [{"op": "replace", "path": "/feature/documents/0/drafted", "value": "2026-10-01"}])
	count(changes.deny) == 0 with input as same_draft # a draft at the base too, its date kept
	missing := json.patch(reopening(null), [{"op": "replace", "path": "/change/documents/base/0/exists", "value": false}])
	count(changes.deny) == 0 with input as missing
}
