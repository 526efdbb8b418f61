package aigov.evals_test

import rego.v1

import data.aigov.evals

settings := {"evals": {
	"required_tiers": ["medium", "high"],
	"min_cases": {"low": 10, "medium": 25, "high": 50},
	"runners": {"pytest": ["pytest"], "promptfoo": ["promptfoo eval"]},
}}

wf := ".github/workflows/evals.yml"

suite(cases, metrics) := {
	"name": "golden",
	"line": 6,
	"dataset": {"path": "svc/evals/golden.jsonl", "line": 8, "exists": true, "cases": cases, "error": null, "error_line": null},
	"metrics": metrics,
}

coverage := {"name": "coverage", "threshold": 0.85, "goal": "min", "range": [0, 1], "line": 10, "threshold_line": 10}

hallucination := {"name": "hallucination_rate", "threshold": 0.02, "goal": "max", "range": [0, 1], "line": 11, "threshold_line": 11}

good_evals := {
	"declared": true, "path": "svc/evals/config.yaml", "exists": true, "valid": true, "errors": [],
	"command": "python evals/run.py", "command_line": 4, "runner": "custom", "runner_line": 3,
	"runner_known": true, "runner_detected": null,
	"suites": [suite(40, [coverage, hallucination])],
}

trigger(overrides) := object.union(
	{"event": "pull_request", "line": 5, "targets_default_branch": true, "branch_line": 6, "runs_on_updates": true, "types_line": 5, "skipped_paths": []},
	overrides,
)

run(defeats) := {"workflow": wf, "job": "evals", "job_line": 15, "path": wf, "line": 25, "step_line": 24, "directories": ["svc"], "via": [], "defeats": defeats}

defeat(kind, line, events) := {"kind": kind, "path": wf, "line": line, "detail": sprintf("%s happens here", [kind]), "events": events, "directories": ["svc"]}

all_events := ["pull_request", "pull_request_target", "merge_group"]

gate(runs, triggers) := {
	"command": "python evals/run.py", "default_branch": "main", "runs": runs,
	"workflows": {wf: {"path": wf, "on_line": 4, "events": ["pull_request", "push"], "triggers": triggers}},
	"other_eval_steps": [], "unresolved": [],
}

good_gate := gate([run([])], [trigger({})])

feature(tier, ev, gt) := {"now": "2026-11-23T12:00:00Z", "feature": {
	"dir": "svc",
	"manifest_path": "svc/aigov.yaml",
	"lines": {"spec": 6, "spec.evals.config": 14},
	"manifest": {"spec": {"riskTier": tier}},
	"evals": ev,
	"eval_gate": gt,
}}

with_evals(overrides) := object.union(good_evals, overrides)

only(found, id) := [f | some f in found; f.id == id]

ids(found) := {f.id | some f in found}

test_complete_gate_passes if {
	found := evals.deny with input as feature("medium", good_evals, good_gate) with data.aigov.settings as settings
	count(found) == 0
}

test_medium_feature_without_evals_blocks if {
	found := evals.deny with input as feature("medium", {"declared": false}, {}) with data.aigov.settings as settings
	[f] := only(found, "AIGOV-EVAL-001")
	f.path == "svc/aigov.yaml"
	f.line == 6
}

test_low_feature_may_skip_evals if {
	found := evals.deny with input as feature("low", {"declared": false}, {}) with data.aigov.settings as settings
	count(found) == 0
}

test_missing_config_points_at_manifest if {
	found := evals.deny with input as feature("high", {"declared": true, "path": "svc/evals/config.yaml", "exists": false}, {}) with data.aigov.settings as settings
	ids(found) == {"AIGOV-EVAL-002"}
	[f] := only(found, "AIGOV-EVAL-002")
	f.line == 14
}

test_invalid_config_points_at_config_line if {
	ev := with_evals({"valid": false, "errors": [{"msg": "suites[0].metrics[0]: 'threshold' is a required property", "line": 10}], "suites": []})
	found := evals.deny with input as feature("medium", ev, {}) with data.aigov.settings as settings
	ids(found) == {"AIGOV-EVAL-003"}
	[f] := only(found, "AIGOV-EVAL-003")
	f.path == "svc/evals/config.yaml"
	f.line == 10
	contains(f.msg, "threshold")
}

test_unknown_runner_is_invalid if {
	ev := with_evals({"runner": "mystery", "runner_known": false})
	found := evals.deny with input as feature("medium", ev, good_gate) with data.aigov.settings as settings
	[f] := only(found, "AIGOV-EVAL-003")
	f.line == 3
	contains(f.msg, "custom, promptfoo, pytest")
}

test_missing_dataset_blocks if {
	ev := with_evals({"suites": [object.union(suite(null, [coverage]), {"dataset": {"path": "svc/evals/golden.jsonl", "line": 8, "exists": false, "cases": null, "error": null}})]})
	found := evals.deny with input as feature("medium", ev, good_gate) with data.aigov.settings as settings
	ids(found) == {"AIGOV-EVAL-004"}
	[f] := only(found, "AIGOV-EVAL-004")
	f.line == 8
}

test_unreadable_dataset_points_into_dataset if {
	broken := {"path": "svc/evals/golden.jsonl", "line": 8, "exists": true, "cases": null, "error": "line is not a JSON value", "error_line": 7}
	ev := with_evals({"suites": [object.union(suite(null, [coverage]), {"dataset": broken})]})
	found := evals.deny with input as feature("medium", ev, good_gate) with data.aigov.settings as settings
	ids(found) == {"AIGOV-EVAL-005"}
	[f] := only(found, "AIGOV-EVAL-005")
	f.path == "svc/evals/golden.jsonl"
	f.line == 7
}

test_too_few_cases_for_high_tier if {
	found := evals.deny with input as feature("high", good_evals, good_gate) with data.aigov.settings as settings
	[f] := only(found, "AIGOV-EVAL-006")
	f.line == 8
	contains(f.msg, "40 distinct cases")
	contains(f.msg, "at least 50")
}

test_enough_cases_for_medium_tier if {
	ev := with_evals({"suites": [suite(25, [coverage])]})
	found := evals.deny with input as feature("medium", ev, good_gate) with data.aigov.settings as settings
	count(found) == 0
}

test_zero_threshold_cannot_fail if {
	ev := with_evals({"suites": [suite(40, [object.union(coverage, {"threshold": 0, "threshold_line": 12})])]})
	found := evals.deny with input as feature("medium", ev, good_gate) with data.aigov.settings as settings
	[f] := only(found, "AIGOV-EVAL-007")
	f.line == 12
}

test_max_goal_threshold_at_top_cannot_fail if {
	ev := with_evals({"suites": [suite(40, [object.union(hallucination, {"threshold": 1})])]})
	found := evals.deny with input as feature("medium", ev, good_gate) with data.aigov.settings as settings
	[f] := only(found, "AIGOV-EVAL-007")
	f.line == 11
}

test_threshold_inside_declared_range_passes if {
	latency := {"name": "latency_ms", "threshold": 2000, "goal": "max", "range": [0, 60000], "line": 12, "threshold_line": 12}
	ev := with_evals({"suites": [suite(40, [latency])]})
	found := evals.deny with input as feature("medium", ev, good_gate) with data.aigov.settings as settings
	count(found) == 0
}

test_command_not_running_declared_runner_warns if {
	ev := with_evals({"runner": "promptfoo", "runner_detected": "pytest"})
	found := evals.deny with input as feature("medium", ev, good_gate) with data.aigov.settings as settings
	ids(found) == {"AIGOV-EVAL-014"}
}

test_command_running_declared_runner_passes if {
	ev := with_evals({"runner": "pytest", "runner_detected": "pytest"})
	found := evals.deny with input as feature("medium", ev, good_gate) with data.aigov.settings as settings
	count(found) == 0
}

test_noop_custom_command_is_not_an_eval if {
	found := evals.deny with input as feature("medium", with_evals({"command_noop": true, "command": "true"}), good_gate) with data.aigov.settings as settings
	ids(found) == {"AIGOV-EVAL-017"}
	[f] := only(found, "AIGOV-EVAL-017")
	f.line == 4
}

test_noop_command_of_a_named_runner_is_left_to_eval_014 if {
	ev := with_evals({"command_noop": true, "runner": "pytest", "runner_detected": null})
	found := evals.deny with input as feature("medium", ev, good_gate) with data.aigov.settings as settings
	ids(found) == {"AIGOV-EVAL-014"}
}

test_no_workflow_runs_command_names_hints if {
	gt := object.union(gate([], [trigger({})]), {"other_eval_steps": [{"path": wf, "line": 30, "runner": "pytest"}]})
	found := evals.deny with input as feature("medium", good_evals, gt) with data.aigov.settings as settings
	ids(found) == {"AIGOV-EVAL-008"}
	[f] := only(found, "AIGOV-EVAL-008")
	f.path == "svc/evals/config.yaml"
	f.line == 4
	contains(f.msg, ".github/workflows/evals.yml:30 runs pytest")
}

test_push_only_workflow_is_not_a_gate if {
	found := evals.deny with input as feature("medium", good_evals, gate([run([])], [])) with data.aigov.settings as settings
	ids(found) == {"AIGOV-EVAL-009"}
	[f] := only(found, "AIGOV-EVAL-009")
	f.path == wf
	f.line == 4
	contains(f.msg, "pull_request, push")
}

test_an_eval_step_taken_out_of_the_pull_request_workflow_is_reported_there if {
	gt := json.patch(gate([run([])], []), [{"op": "add", "path": "/pull_request_workflows", "value": [{"path": ".github/workflows/pr.yml", "line": 3}]}])
	found := evals.deny with input as feature("medium", good_evals, gt) with data.aigov.settings as settings
	[f] := only(found, "AIGOV-EVAL-009")
	[f.path, f.line] == [".github/workflows/pr.yml", 3]
	startswith(f.msg, sprintf("no job of .github/workflows/pr.yml, which pull requests run, runs the eval command; %s runs the eval command, but only on", [wf]))
}

test_branch_filter_leaving_out_default_branch if {
	gt := gate([run([])], [trigger({"targets_default_branch": false, "branch_line": 7})])
	found := evals.deny with input as feature("medium", good_evals, gt) with data.aigov.settings as settings
	[f] := only(found, "AIGOV-EVAL-009")
	f.line == 7
	contains(f.msg, "pull requests to main")
}

test_types_without_synchronize if {
	gt := gate([run([])], [trigger({"runs_on_updates": false, "types_line": 8})])
	found := evals.deny with input as feature("medium", good_evals, gt) with data.aigov.settings as settings
	[f] := only(found, "AIGOV-EVAL-009")
	f.line == 8
}

test_path_filter_skipping_prompts if {
	skipped := [{"path": "svc/prompts/a.yaml", "filter": "paths", "line": 9}, {"path": "svc/aigov.yaml", "filter": "paths", "line": 9}]
	gt := gate([run([])], [trigger({"skipped_paths": skipped})])
	found := evals.deny with input as feature("medium", good_evals, gt) with data.aigov.settings as settings
	ids(found) == {"AIGOV-EVAL-010"}
	[f] := only(found, "AIGOV-EVAL-010")
	f.path == wf
	f.line == 9
	contains(f.msg, "svc/prompts/a.yaml, svc/aigov.yaml")
}

test_merge_queue_without_path_filter_keeps_gate if {
	skipped := [{"path": "svc/aigov.yaml", "filter": "paths-ignore", "line": 9}]
	gt := gate([run([])], [trigger({"skipped_paths": skipped}), trigger({"event": "merge_group"})])
	found := evals.deny with input as feature("medium", good_evals, gt) with data.aigov.settings as settings
	count(found) == 0
}

test_if_false_defeats_gate if {
	gt := gate([run([defeat("if_false", 16, all_events)])], [trigger({})])
	found := evals.deny with input as feature("medium", good_evals, gt) with data.aigov.settings as settings
	ids(found) == {"AIGOV-EVAL-011"}
	[f] := only(found, "AIGOV-EVAL-011")
	f.path == wf
	f.line == 16
	contains(f.msg, "job evals of .github/workflows/evals.yml runs the eval command, but if_false happens here")
}

test_opt_in_condition_defeats_gate if {
	gt := gate([run([defeat("if_opt_in", 16, ["pull_request"])])], [trigger({})])
	found := evals.deny with input as feature("medium", good_evals, gt) with data.aigov.settings as settings
	ids(found) == {"AIGOV-EVAL-011"}
}

test_pull_request_target_is_not_a_gate if {
	gt := gate([run([])], [trigger({"event": "pull_request_target", "runs_base_workflow": true, "line": 5})])
	found := evals.deny with input as feature("medium", good_evals, gt) with data.aigov.settings as settings
	ids(found) == {"AIGOV-EVAL-009"}
	[f] := only(found, "AIGOV-EVAL-009")
	f.line == 5
	contains(f.msg, "pull_request_target")
}

test_pull_request_beside_pull_request_target_gates if {
	gt := gate([run([])], [trigger({"event": "pull_request_target", "runs_base_workflow": true}), trigger({})])
	found := evals.deny with input as feature("medium", good_evals, gt) with data.aigov.settings as settings
	count(found) == 0
}

test_invalid_workflow_defeats_gate if {
	gt := gate([run([defeat("invalid_workflow", 19, all_events)])], [trigger({})])
	found := evals.deny with input as feature("medium", good_evals, gt) with data.aigov.settings as settings
	ids(found) == {"AIGOV-EVAL-016"}
	[f] := only(found, "AIGOV-EVAL-016")
	f.line == 19
}

test_needs_skipped_defeats_gate if {
	gt := gate([run([defeat("needs_skipped", 17, ["pull_request"])])], [trigger({})])
	found := evals.deny with input as feature("medium", good_evals, gt) with data.aigov.settings as settings
	ids(found) == {"AIGOV-EVAL-011"}
}

test_continue_on_error_defeats_gate if {
	gt := gate([run([defeat("continue_on_error", 18, all_events)])], [trigger({})])
	found := evals.deny with input as feature("medium", good_evals, gt) with data.aigov.settings as settings
	ids(found) == {"AIGOV-EVAL-012"}
	[f] := only(found, "AIGOV-EVAL-012")
	f.line == 18
}

test_promptfoo_suite_without_assertions_cannot_fail if {
	silent := object.union(suite(40, []), {"assertions": 0, "format": "promptfoo"})
	ev := object.union(good_evals, {"suites": [silent]})
	found := evals.deny with input as feature("medium", ev, good_gate) with data.aigov.settings as settings
	ids(found) == {"AIGOV-EVAL-007"}
	[f] := only(found, "AIGOV-EVAL-007")
	f.line == 8
	contains(f.msg, "asserts nothing")
}

test_threshold_in_a_tests_file_points_into_it if {
	similar := {"name": "similar", "threshold": 0, "goal": "min", "range": [0, 1], "line": 3, "threshold_line": 3, "path": "svc/tests.yaml"}
	ev := object.union(good_evals, {"suites": [object.union(suite(40, [similar]), {"assertions": 1})]})
	found := evals.deny with input as feature("medium", ev, good_gate) with data.aigov.settings as settings
	[f] := only(found, "AIGOV-EVAL-007")
	[f.path, f.line] == ["svc/tests.yaml", 3]
}

test_fork_condition_defeats_gate_on_pull_requests if {
	gt := gate([run([defeat("if_fork", 16, ["pull_request"])])], [trigger({})])
	found := evals.deny with input as feature("medium", good_evals, gt) with data.aigov.settings as settings
	ids(found) == {"AIGOV-EVAL-018"}
	[f] := only(found, "AIGOV-EVAL-018")
	f.line == 16
	contains(f.msg, "if_fork happens here")
}

test_fork_condition_leaves_a_merge_queue_gate if {
	gt := gate([run([defeat("if_fork", 16, ["pull_request"])])], [trigger({}), trigger({"event": "merge_group"})])
	found := evals.deny with input as feature("medium", good_evals, gt) with data.aigov.settings as settings
	count(found) == 0
}

test_action_skipping_unchanged_pull_requests_is_a_path_filter if {
	gt := gate([run([defeat("skips_unchanged", 30, ["pull_request", "pull_request_target"])])], [trigger({})])
	found := evals.deny with input as feature("medium", good_evals, gt) with data.aigov.settings as settings
	ids(found) == {"AIGOV-EVAL-010"}
	[f] := only(found, "AIGOV-EVAL-010")
	f.line == 30
}

test_each_swallowed_exit_status_defeats_gate if {
	kinds := ["or_true", "exit_zero", "errexit_off", "no_pipefail", "status_consumed", "unreadable_shell", "errors_ignored", "up_to_date"]
	every kind in kinds {
		found := evals.deny with input as feature("medium", good_evals, gate([run([defeat(kind, 26, all_events)])], [trigger({})])) with data.aigov.settings as settings
		ids(found) == {"AIGOV-EVAL-013"}
	}
}

test_exit_zero_after_a_stopping_command_only_warns if {
	gt := gate([run([defeat("exit_zero_after", 26, all_events)])], [trigger({})])
	found := evals.deny with input as feature("medium", good_evals, gt) with data.aigov.settings as settings
	ids(found) == {"AIGOV-EVAL-015"}
	[f] := only(found, "AIGOV-EVAL-015")
	f.line == 26
	contains(f.msg, "exit_zero_after happens here")
}

test_defeat_on_another_event_leaves_gate if {
	gt := gate([run([defeat("if_false", 16, ["merge_group"])])], [trigger({})])
	found := evals.deny with input as feature("medium", good_evals, gt) with data.aigov.settings as settings
	count(found) == 0
}

test_one_sound_job_is_enough if {
	gt := gate([run([defeat("or_true", 26, all_events)]), run([])], [trigger({})])
	found := evals.deny with input as feature("medium", good_evals, gt) with data.aigov.settings as settings
	count(found) == 0
}

test_command_run_in_another_feature_folder_does_not_count if {
	gt := gate([object.union(run([]), {"directories": ["other"]})], [trigger({})])
	found := evals.deny with input as feature("medium", good_evals, gt) with data.aigov.settings as settings
	ids(found) == {"AIGOV-EVAL-008"}
	[f] := only(found, "AIGOV-EVAL-008")
	contains(f.msg, ".github/workflows/evals.yml:25 runs it in other, not in svc")
}

test_command_in_unknown_folder_does_not_count if {
	gt := gate([object.union(run([]), {"directories": [null]})], [trigger({})])
	found := evals.deny with input as feature("medium", good_evals, gt) with data.aigov.settings as settings
	[f] := only(found, "AIGOV-EVAL-008")
	contains(f.msg, "a folder aigov cannot tell")
}

test_command_naming_the_feature_folder_may_run_from_root if {
	gt := object.union(gate([object.union(run([]), {"directories": ["."]})], [trigger({})]), {"command": "python svc/evals/run.py"})
	found := evals.deny with input as feature("medium", good_evals, gt) with data.aigov.settings as settings
	count(found) == 0
}

# A matrix job runs the command in several folders; a leg's defeat counts only for its own folders.
matrix_run(defeats) := object.union(run(defeats), {"directories": ["other", "svc"]})

test_matrix_run_counts_for_each_of_its_folders if {
	found := evals.deny with input as feature("medium", good_evals, gate([matrix_run([])], [trigger({})])) with data.aigov.settings as settings
	count(found) == 0
}

test_matrix_run_without_the_feature_folder_does_not_count if {
	gt := gate([object.union(matrix_run([]), {"directories": ["other", "third"]})], [trigger({})])
	found := evals.deny with input as feature("medium", good_evals, gt) with data.aigov.settings as settings
	[f] := only(found, "AIGOV-EVAL-008")
	contains(f.msg, "runs it in other, third, not in svc")
}

test_defeat_of_another_folders_leg_keeps_the_gate if {
	elsewhere := object.union(defeat("continue_on_error", 20, all_events), {"directories": ["other"]})
	found := evals.deny with input as feature("medium", good_evals, gate([matrix_run([elsewhere])], [trigger({})])) with data.aigov.settings as settings
	count(found) == 0
}

test_defeat_of_this_folders_leg_defeats_the_gate if {
	here := object.union(defeat("continue_on_error", 20, all_events), {"directories": ["svc"]})
	found := evals.deny with input as feature("medium", good_evals, gate([matrix_run([here])], [trigger({})])) with data.aigov.settings as settings
	[f] := only(found, "AIGOV-EVAL-012")
	f.line == 20
}

# --- AIGOV-EVAL-019: CI rewrites the results record ---

record_rewrite := object.union(defeat("records_results", 27, all_events), {"detail": "the eval command runs with --record"})

test_an_eval_step_that_rewrites_the_results_record_is_a_finding_though_another_job_checks if {
	gt := gate([run([record_rewrite]), run([])], [trigger({})])
	found := evals.deny with input as feature("medium", good_evals, gt) with data.aigov.settings as settings
	ids(found) == {"AIGOV-EVAL-019"}
	[f] := only(found, "AIGOV-EVAL-019")
	f.msg == "job evals of .github/workflows/evals.yml: the eval command runs with --record, which rewrites the results record svc/evals/baseline.json instead of checking the committed one against the run, so a record edited by hand passes the eval gate"
	[f.path, f.line] == [wf, 27]
}

test_rewriting_the_record_still_gates_the_thresholds if {
	# the only job that runs the evals rewrites the record, but its failing metrics still fail it
	found := evals.deny with input as feature("medium", good_evals, gate([run([record_rewrite])], [trigger({})])) with data.aigov.settings as settings
	ids(found) == {"AIGOV-EVAL-019"}
}

test_a_record_rewritten_off_pull_requests_or_in_another_folder_is_not_a_finding if {
	on_push := gate([run([record_rewrite])], [trigger({"targets_default_branch": false})])
	not "AIGOV-EVAL-019" in ids(evals.deny) with input as feature("medium", good_evals, on_push) with data.aigov.settings as settings
	elsewhere := object.union(record_rewrite, {"directories": ["other"]})
	count(evals.deny) == 0 with input as feature("medium", good_evals, gate([matrix_run([elsewhere])], [trigger({})])) with data.aigov.settings as settings
}
