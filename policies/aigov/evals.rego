# METADATA
# title: Eval gate
# description: A feature's evals exist, can fail, and really block merges - CI runs the declared eval command on pull requests to the default branch and nothing lets a failing eval pass.
package aigov.evals

import rego.v1

import data.aigov.lib

settings := data.aigov.settings.evals

evals := object.get(input.feature, "evals", {"declared": false})

gate := object.get(input.feature, "eval_gate", {"runs": [], "workflows": {}})

tier := lib.spec.riskTier

# Where a line of the eval config is.
config_at(line) := {"path": evals.path, "line": line}

# --- The eval config -------------------------------------------------------------------------

# METADATA
# title: No eval config for a medium or high tier feature
# description: Features at these risk tiers must declare the evals that gate their changes.
# custom:
#   id: AIGOV-EVAL-001
#   severity: high
#   remediation: Add spec.evals.config to aigov.yaml, pointing at an eval config (schemas/eval-config.schema.json) with suites, datasets, thresholds and the command CI runs.
deny contains finding if {
	tier in settings.required_tiers
	not evals.declared
	finding := lib.finding(rego.metadata.rule().custom.id, sprintf("%s-tier feature declares no evals (spec.evals.config)", [tier]), lib.manifest_field("spec"))
}

# METADATA
# title: Eval config file is missing
# description: The manifest points at an eval config that does not exist.
# custom:
#   id: AIGOV-EVAL-002
#   severity: high
#   remediation: Commit the eval config at the path spec.evals.config names, or correct the path.
deny contains finding if {
	evals.declared
	not evals.exists
	finding := lib.finding(rego.metadata.rule().custom.id, sprintf("eval config %s does not exist", [evals.path]), lib.manifest_field("spec.evals.config"))
}

# METADATA
# title: Eval config is invalid
# description: The eval config is not valid YAML, does not follow schemas/eval-config.schema.json, or names a runner aigov does not know.
# custom:
#   id: AIGOV-EVAL-003
#   severity: high
#   remediation: Fix the eval config as the message says; its schema is schemas/eval-config.schema.json.
deny contains finding if {
	some [msg, at] in invalid_config
	finding := lib.finding(rego.metadata.rule().custom.id, msg, at)
}

invalid_config contains problem if {
	evals.exists
	some error in evals.errors
	problem := [sprintf("invalid eval config: %s", [error.msg]), config_at(error.line)]
}

invalid_config contains problem if {
	evals.valid
	not evals.runner_known
	known := concat(", ", sort({name | some name, _ in settings.runners} | {"custom"}))
	problem := [sprintf("runner %s is not a recognised eval runner (%s)", [evals.runner, known]), config_at(evals.runner_line)]
}

# METADATA
# title: Eval dataset is missing
# description: A suite's dataset file does not exist, so the suite evaluates nothing.
# custom:
#   id: AIGOV-EVAL-004
#   severity: high
#   remediation: Commit the dataset at the path the suite names (relative to the feature folder), or correct the path.
deny contains finding if {
	some suite in evals.suites
	not suite.dataset.exists
	finding := lib.finding(rego.metadata.rule().custom.id, sprintf("dataset %s of suite %s does not exist", [suite.dataset.path, suite.name]), config_at(suite.dataset.line))
}

# METADATA
# title: Eval dataset cannot be read
# description: A suite's dataset is not a well-formed .jsonl, .json array, .csv or .yaml list, so its cases cannot be counted.
# custom:
#   id: AIGOV-EVAL-005
#   severity: high
#   remediation: Fix the dataset file at the line named; .jsonl holds one JSON value per line, .json an array, .csv a header row and one case per row, .yaml a list.
deny contains finding if {
	some suite in evals.suites
	is_string(suite.dataset.error)
	finding := lib.finding(
		rego.metadata.rule().custom.id,
		sprintf("dataset of suite %s cannot be read: %s", [suite.name, suite.dataset.error]),
		{"path": suite.dataset.path, "line": suite.dataset.error_line},
	)
}

# METADATA
# title: Too few eval cases for the risk tier
# description: A suite's dataset holds fewer distinct cases than the feature's risk tier requires (repeated cases count once), so its scores say little.
# custom:
#   id: AIGOV-EVAL-006
#   severity: high
#   remediation: Add different cases to the dataset until it holds at least the minimum for the feature's risk tier; copies of a case do not count.
deny contains finding if {
	some suite in evals.suites
	minimum := settings.min_cases[tier]
	is_number(suite.dataset.cases)
	suite.dataset.cases < minimum
	msg := sprintf("suite %s has %d distinct cases in %s; %s tier needs at least %d", [suite.name, suite.dataset.cases, suite.dataset.path, tier, minimum])
	finding := lib.finding(rego.metadata.rule().custom.id, msg, config_at(suite.dataset.line))
}

# METADATA
# title: Eval threshold cannot fail
# description: A metric's threshold is at the end of its range (zero for a score that must be high, the maximum for one that must be low), so the metric passes whatever the model does; or a promptfoo config's tests assert nothing, so every test passes.
# custom:
#   id: AIGOV-EVAL-007
#   severity: high
#   remediation: Set the threshold to the score the feature must reach, inside the metric's range; give promptfoo tests assertions (in each test or in defaultTest).
deny contains finding if {
	some [msg, at] in unfailable
	finding := lib.finding(rego.metadata.rule().custom.id, msg, at)
}

unfailable contains problem if {
	some suite in evals.suites
	some metric in suite.metrics
	cannot_fail(metric)
	msg := sprintf("metric %s of suite %s cannot fail: goal %s with threshold %v in range [%v, %v]", [metric.name, suite.name, metric.goal, metric.threshold, metric.range[0], metric.range[1]])
	problem := [msg, {"path": object.get(metric, "path", evals.path), "line": metric.threshold_line}]
}

unfailable contains problem if {
	some suite in evals.suites
	object.get(suite, "assertions", 1) == 0
	msg := sprintf("suite %s asserts nothing: promptfoo passes every test without an assertion, so it cannot fail on what the model says", [suite.name])
	problem := [msg, config_at(suite.dataset.line)]
}

cannot_fail(metric) if {
	metric.goal == "min"
	metric.threshold <= metric.range[0]
}

cannot_fail(metric) if {
	metric.goal == "max"
	metric.threshold >= metric.range[1]
}

# METADATA
# title: Eval command does not invoke the declared runner
# description: The config names a runner, but its command does not look like that runner's invocation.
# custom:
#   id: AIGOV-EVAL-014
#   severity: medium
#   remediation: Make the command run the declared runner, or set runner to the one it runs (custom for your own script).
deny contains finding if {
	evals.valid
	evals.runner_known
	not evals.runner in {null, "custom"}
	evals.runner_detected != evals.runner
	finding := lib.finding(rego.metadata.rule().custom.id, sprintf("command %q does not run %s", [evals.command, evals.runner]), config_at(evals.command_line))
}

# METADATA
# title: Eval command does nothing
# description: The eval command only runs no-ops (`true`, `:`, `echo`, `printf`, `exit 0`), so it passes whatever the model does; it is not an eval.
# custom:
#   id: AIGOV-EVAL-017
#   severity: high
#   remediation: Make the command run the eval suites and exit non-zero when a metric misses its threshold.
deny contains finding if {
	evals.valid
	object.get(evals, "command_noop", false)
	evals.runner in {null, "custom"}
	finding := lib.finding(rego.metadata.rule().custom.id, sprintf("command %q runs nothing that can fail, so it is not an eval", [evals.command]), config_at(evals.command_line))
}

# --- The gate in CI --------------------------------------------------------------------------

triggers(run) := gate.workflows[run.workflow].triggers

# The folder through which a run counts for this feature: the feature's own folder among those the
# run's matrix legs run in (working-directory or `cd`), or the repository root when the command
# itself names the feature's folder.
here_folder(run) := input.feature.dir if input.feature.dir in run.directories

here_folder(run) := "." if {
	not input.feature.dir in run.directories
	"." in run.directories
	contains(gate.command, concat("", [input.feature.dir, "/"]))
}

here := [run | some run in gate.runs; here_folder(run)]

elsewhere := concat("", [sprintf("; %s:%d runs it in %s, not in %s", [run.path, run.line, folders(run), input.feature.dir]) |
	some run in gate.runs
	not here_folder(run)
])

folders(run) := concat(", ", [folder(dir) | some dir in run.directories])

folder(dir) := dir if is_string(dir)

folder(dir) := "a folder aigov cannot tell" if not is_string(dir)

# What stops a failure in this feature's folder failing the run; a matrix leg's `continue-on-error`
# defeats only the folders that leg runs in.
run_defeats(run) := [defeat |
	some defeat in run.defeats
	here_folder(run) in defeat.directories
	not defeat.kind in not_swallowing
]

# Observations that look like a defeat but are not one (the script stops before them).
warning_kinds := {"exit_zero_after"}

# What keeps a failing eval from failing the run: not the warnings, nor a command that rewrites the
# results record (its thresholds still fail it; AIGOV-EVAL-019 reports the record).
not_swallowing := warning_kinds | {"records_results"}

# A trigger that runs the workflow for every change to a pull request aimed at the default branch.
gating(trigger) if {
	trigger.targets_default_branch
	trigger.runs_on_updates
	not object.get(trigger, "runs_base_workflow", false)
}


defeated_on(run, event) if {
	some defeat in run_defeats(run)
	event in defeat.events
}

# The gate holds when one job runs the command on a gating trigger that skips no protected file,
# and nothing along the way lets its failure pass.
holds if {
	some run in here
	some trigger in triggers(run)
	gating(trigger)
	count(trigger.skipped_paths) == 0
	not defeated_on(run, trigger.event)
}

gated_runs contains run if {
	some run in here
	some trigger in triggers(run)
	gating(trigger)
}

# Each thing that defeats a job which would otherwise gate; reported only when no job gates.
defeats contains {"defeat": defeat, "run": run} if {
	not holds
	some run in gated_runs
	some trigger in triggers(run)
	gating(trigger)
	some defeat in run_defeats(run)
	trigger.event in defeat.events
}

defeated(item) := sprintf("job %s of %s runs the eval command, but %s", [item.run.job, item.run.workflow, item.defeat.detail])

hints := concat("", [sprintf("; %s:%d runs %s, not this command", [s.path, s.line, s.runner]) | some s in object.get(gate, "other_eval_steps", [])])

unread := concat("", [sprintf("; %s:%d cannot be read (%s)", [u.path, u.line, u.detail]) | some u in object.get(gate, "unresolved", [])])

# METADATA
# title: No workflow runs the eval command
# description: No GitHub Actions workflow job runs the command the eval config declares in the feature's folder, so the evals gate nothing.
# custom:
#   id: AIGOV-EVAL-008
#   severity: high
#   remediation: Add a workflow job triggered on pull_request to the default branch that runs the eval config's command in the feature's folder (working-directory, cd, or a runner's directory option such as make -C or pnpm --filter) - in a run step, through make, npm/pnpm/yarn scripts, tox, nox or docker compose, through a local composite action or reusable workflow, or with an eval action the org data names (promptfoo/promptfoo-action) on the eval config.
deny contains finding if {
	evals.valid
	count(here) == 0
	msg := sprintf("no workflow in .github/workflows runs the eval command %q%s%s%s", [evals.command, elsewhere, hints, unread])
	finding := lib.finding(rego.metadata.rule().custom.id, msg, config_at(evals.command_line))
}

# METADATA
# title: Eval command does not run on pull requests to the default branch
# description: Workflows run the eval command, but none on every change to a pull request that targets the default branch (pull_request or merge_group; pull_request_target runs the base branch's workflow on the base commit, not the change), so a failing eval cannot block a merge.
# custom:
#   id: AIGOV-EVAL-009
#   severity: high
#   remediation: Trigger the eval workflow on pull_request (and merge_group if you use a merge queue) for the default branch, with the default activity types or ones that include synchronize; pull_request_target does not evaluate the change.
deny contains finding if {
	some [msg, at] in not_on_pull_requests
	finding := lib.finding(rego.metadata.rule().custom.id, msg, at)
}

not_on_pull_requests contains problem if {
	count(gated_runs) == 0
	some run in here
	workflow := gate.workflows[run.workflow]
	count(workflow.triggers) == 0
	msg := sprintf("%s%s runs the eval command, but only on %s, never on pull requests", [no_gate_in, run.workflow, concat(", ", workflow.events)])
	problem := [msg, gate_place(run, workflow)]
}

# Where the gate belongs: the workflow pull requests run (the eval step was taken out of it, or never
# put in); without one, the workflow that runs the command on other events.
pull_request_workflows := object.get(gate, "pull_request_workflows", [])

gate_place(run, workflow) := pull_request_workflows[0] if {
	count(pull_request_workflows) > 0
} else := {"path": run.workflow, "line": workflow.on_line}

no_gate_in := sprintf("no job of %s, which pull requests run, runs the eval command; ", [pull_request_workflows[0].path]) if {
	count(pull_request_workflows) > 0
} else := ""

not_on_pull_requests contains problem if {
	count(gated_runs) == 0
	some run in here
	some trigger in triggers(run)
	not trigger.targets_default_branch
	msg := sprintf("%s runs the eval command on %s, but its branch filter leaves out pull requests to %s", [run.workflow, trigger.event, gate.default_branch])
	problem := [msg, {"path": run.workflow, "line": trigger.branch_line}]
}

not_on_pull_requests contains problem if {
	count(gated_runs) == 0
	some run in here
	some trigger in triggers(run)
	object.get(trigger, "runs_base_workflow", false)
	msg := sprintf("%s runs the eval command on pull_request_target, which runs the workflow and code of the base branch, never the pull request's changes", [run.workflow])
	problem := [msg, {"path": run.workflow, "line": trigger.line}]
}

not_on_pull_requests contains problem if {
	count(gated_runs) == 0
	some run in here
	some trigger in triggers(run)
	trigger.targets_default_branch
	not trigger.runs_on_updates
	msg := sprintf("%s runs the eval command on %s, but its types leave out new commits pushed to the pull request", [run.workflow, trigger.event])
	problem := [msg, {"path": run.workflow, "line": trigger.types_line}]
}

# METADATA
# title: Path filter skips the evals when prompts, models or evals change
# description: The eval workflow's paths or paths-ignore filter, or the eval action's own filter on changed files (promptfoo-action's prompts input), means a pull request that only changes the feature's prompts, manifest (its models), eval config or datasets does not run the evals.
# custom:
#   id: AIGOV-EVAL-010
#   severity: high
#   remediation: Add the feature's prompts, aigov.yaml, eval config and datasets to the workflow's paths filter (or remove them from paths-ignore), or drop the filter; for an eval action that skips unchanged pull requests, set its force input (promptfoo-action's force-run) to true.
deny contains finding if {
	some [msg, at] in path_filtered
	finding := lib.finding(rego.metadata.rule().custom.id, msg, at)
}

path_filtered contains problem if {
	some item in defeats
	item.defeat.kind == "skips_unchanged"
	problem := [defeated(item), lib.place(item.defeat)]
}

path_filtered contains problem if {
	not holds
	some run in gated_runs
	some trigger in triggers(run)
	gating(trigger)
	count(trigger.skipped_paths) > 0
	some filter in {s.filter | some s in trigger.skipped_paths}
	skipped := [s | some s in trigger.skipped_paths; s.filter == filter]
	paths := concat(", ", [s.path | some s in skipped])
	msg := sprintf("the %s `%s` filter of %s means a change to %s alone does not run the evals", [trigger.event, filter, run.workflow, paths])
	problem := [msg, {"path": run.workflow, "line": skipped[0].line}]
}

# METADATA
# title: Eval job or step never runs on pull requests
# description: The job or step that runs the eval command has an `if:` that is never true on pull requests (such as `false` or `github.event_name == 'push'`) or that depends on state a pull request opts into (labels, actor, inputs, vars) or on a value computed while the workflow runs (a job's or step's outputs, such as a changed-files filter's), or needs such a job; a skipped check reports success and does not block a merge.
# custom:
#   id: AIGOV-EVAL-011
#   severity: high
#   remediation: Remove the condition (or the needs on a job that is skipped), or make it true on every pull request without labels, actors, inputs, variables or outputs of other jobs and steps deciding; to run evals only when relevant files change, use the workflow's own paths filter, which aigov reads.
deny contains finding if {
	some item in defeats
	item.defeat.kind in {"if_false", "if_opt_in", "needs_skipped"}
	finding := lib.finding(rego.metadata.rule().custom.id, defeated(item), lib.place(item.defeat))
}

# METADATA
# title: Eval failures are allowed by continue-on-error
# description: The job or step that runs the eval command has continue-on-error set to true (or to an expression that may be true), so a failing eval does not fail the run.
# custom:
#   id: AIGOV-EVAL-012
#   severity: high
#   remediation: Remove continue-on-error from the eval job and step (or set it to false).
deny contains finding if {
	some item in defeats
	item.defeat.kind == "continue_on_error"
	finding := lib.finding(rego.metadata.rule().custom.id, defeated(item), lib.place(item.defeat))
}

# METADATA
# title: Eval command's exit status is swallowed
# description: The run script, or a script it runs (a Makefile recipe, a package.json script, a tox or nox command), keeps a failing eval command from failing the step - `|| true`, `|| exit 0`, `; exit 0`, `set +e` (or a shell without -e) followed by more commands, a pipe without pipefail, `if`/`!` consuming the status, a recipe line make ignores (`-`, `-i`, `.IGNORE`), a make target that is a file and not .PHONY (make may find it up to date and run nothing), tox's ignore_outcome, or an eval action input that lets failed tests pass.
# custom:
#   id: AIGOV-EVAL-013
#   severity: high
#   remediation: "Run the eval command so its exit status fails the step - drop the fallback, the `exit 0` and `set +e`, use `shell: bash` (which sets pipefail) for pipes, or end with `exit $status`; in a Makefile drop the `-` prefix and mark the target .PHONY; in tox drop ignore_outcome."
deny contains finding if {
	some item in defeats
	item.defeat.kind in {"or_true", "exit_zero", "errexit_off", "no_pipefail", "status_consumed", "unreadable_shell", "errors_ignored", "up_to_date"}
	finding := lib.finding(rego.metadata.rule().custom.id, defeated(item), lib.place(item.defeat))
}

# METADATA
# title: Eval workflow is invalid
# description: The workflow that runs the eval command is one GitHub refuses to run - a job without runs-on, needs naming no job or forming a cycle, a matrix over GitHub's 256-job cap, an expression nested too deep - so the evals gate nothing.
# custom:
#   id: AIGOV-EVAL-016
#   severity: high
#   remediation: Fix the workflow at the line named so that GitHub accepts it.
deny contains finding if {
	some item in defeats
	item.defeat.kind == "invalid_workflow"
	finding := lib.finding(rego.metadata.rule().custom.id, defeated(item), lib.place(item.defeat))
}

# METADATA
# title: Eval gate skipped on pull requests from forks
# description: The job or step that runs the eval command has an `if:` that is false on pull requests from forks - it tests a secret (through env, as secrets are empty there) or the fork status of the head repository - or needs a job that does; a skipped check reports success, so a fork's pull request merges without running the evals.
# custom:
#   id: AIGOV-EVAL-018
#   severity: high
#   remediation: Drop the condition so the eval step fails when its secret is missing (a fork's pull request then waits for a maintainer to run the evals), or also trigger the workflow on merge_group, where secrets are available, and require it in the merge queue.
deny contains finding if {
	some item in defeats
	item.defeat.kind == "if_fork"
	finding := lib.finding(rego.metadata.rule().custom.id, defeated(item), lib.place(item.defeat))
}

# METADATA
# title: Eval script ends with exit 0
# description: The run script follows the eval command with `exit 0`. Under bash -e (GitHub's default) a failing eval stops the script first, so the gate holds, but the line reads as if failures were swallowed and stops gating the moment errexit is turned off.
# custom:
#   id: AIGOV-EVAL-015
#   severity: low
#   remediation: Drop the `exit 0` after the eval command; the step's status should be the command's.
deny contains finding if {
	some run in here
	some defeat in run.defeats
	defeat.kind in warning_kinds
	here_folder(run) in defeat.directories
	finding := lib.finding(
		rego.metadata.rule().custom.id,
		sprintf("job %s of %s: %s", [run.job, run.workflow, defeat.detail]),
		lib.place(defeat),
	)
}

# The results record the eval runner writes and CI checks: baseline.json beside the eval config.
record_path := regex.replace(evals.path, `[^/]*$`, "baseline.json")

# METADATA
# title: Eval gate rewrites the results record
# description: "A job that pull requests to the default branch run runs the eval command with --record: the runner then writes the results record (baseline.json beside the eval config) instead of reproducing it and comparing it with the committed one, so a record edited by hand or not re-recorded after a change passes CI, and AIGOV-CHANGE-001 takes its scores on trust. Wherever a pull request's job runs it (also in a step before the one that checks), the check compares the record with itself."
# custom:
#   id: AIGOV-EVAL-019
#   severity: high
#   remediation: Drop --record from the eval command in CI, so that every run compares the committed record with what it reproduces; record the results on your machine (python -m evals.run --config evals/config.yaml --record) and commit them with the change.
deny contains finding if {
	some run in gated_runs
	some defeat in run.defeats
	defeat.kind == "records_results"
	here_folder(run) in defeat.directories
	finding := lib.finding(
		rego.metadata.rule().custom.id,
		sprintf("job %s of %s: %s, which rewrites the results record %s instead of checking the committed one against the run, so a record edited by hand passes the eval gate", [
			run.job, run.workflow, defeat.detail, record_path,
		]),
		lib.place(defeat),
	)
}
