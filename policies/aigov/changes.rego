# METADATA
# title: Changes
# description: Rules only a diff can see. They judge what a pull request changed about a feature against the feature at the base commit (input.change), so they stay silent in a check without --base or --pr.
package aigov.changes

import rego.v1

import data.aigov.approvals
import data.aigov.drafts
import data.aigov.lib

change := input.change

# The feature as it was at the base commit (found by its name, wherever its manifest was); the
# rules compare only a feature that existed there.
base := change.base_feature

# A feature whose manifest the change deleted is judged by these rules alone, as it was at the base.
removed if input.feature.removed

existed if {
	base.exists
	base.error == null
}

base_spec := base.spec

feature_path(rel) := rel if lib.feature.dir == "."

feature_path(rel) := concat("/", [lib.feature.dir, rel]) if lib.feature.dir != "."

changed_paths contains f.path if some f in change.files

changed_paths contains f.old_path if {
	some f in change.files
	f.old_path != null
}

# Every path the change touched, moves included (a prompt moved out of the prompts folder is a prompt change).
changed(path) if path in changed_paths

# A file moved without an edit (git's rename with no changed line) is the same content under another
# name: it is no evidence that a model card was updated or evals were re-run.
moved_only(f) if {
	f.status == "renamed"
	count(f.lines) == 0
}

edited(path) if {
	some f in change.files
	path in {f.path, f.old_path}
	not moved_only(f)
}

# --- What changed -----------------------------------------------------------------------------

prompts_dir := feature_path(object.get(lib.spec, "prompts", "prompts"))

# A removed feature's prompts went with it: that is the removal, judged as such.
changed_prompts := [] if {
	removed
} else := sort([p | some p in changed_paths; startswith(p, concat("", [prompts_dir, "/"]))])

# A model entry as the rules compare it: its free-text purpose is not a change of model.
model_key(m) := object.remove(m, ["purpose"])

models_changed if {
	existed
	[model_key(m) | some m in base_spec.models] != [model_key(m) | some m in lib.spec.models]
}

base_model_ids := {m.id | some m in base_spec.models}

added_models := sort([m.id | some m in lib.spec.models; not m.id in base_model_ids]) if existed

# --- The eval evidence: the recorded results of a re-baseline ----------------------------------

evals := object.get(lib.feature, "evals", {"declared": false})

# Null when the change touched neither the manifest nor a prompt: nothing then calls for a re-baseline.
results := r if {
	r := change.eval_baseline
	is_object(r)
} else := {"exists": false, "path": "(baseline.json beside the eval config)"}

recorded := results.recorded

actual := results.actual

# The edit a person made that calls for fresh evals, and where it is.
eval_trigger := {"what": "the model list or a model's parameters", "path": lib.feature.manifest_path, "line": lib.line("spec.models")} if {
	models_changed
} else := {"what": sprintf("prompt %s", [changed_prompts[0]]), "path": changed_prompts[0], "line": first_line(changed_prompts[0])} if {
	existed
	count(changed_prompts) > 0
}

first_line(path) := line if {
	some f in change.files
	f.path == path
	count(f.lines) > 0
	line := f.lines[0][0]
} else := 1

# Why the recorded eval results are not evidence of the change, one text each: they must have been
# produced on exactly the prompts, models, eval config and datasets of the head, over enough cases,
# meeting every threshold of the eval config. What the record claims is compared with the digests
# aigov read itself; the case count is aigov's own count of the datasets.
results_gaps contains "no results are recorded there" if not results.exists

results_gaps contains sprintf("it is not a results record (line %d: %s)", [results.line, results.error]) if {
	results.exists
	results.error != null
}

results_gaps contains sprintf("they were not produced on the prompts as they are now (%s)", [concat(", ", stale_prompts)]) if {
	count(stale_prompts) > 0
}

results_gaps contains sprintf("they were produced on models [%s], not on the manifest's [%s]", [models_text(recorded.models), models_text(declared_models)]) if {
	count(recorded.unrecorded_providers) == 0
	recorded.models != declared_models
}

# A record that names a model by its id alone (written by a runner that did not record providers)
# cannot show the run used the manifest's provider: fail closed until it is recorded again.
results_gaps contains sprintf("they name %s %s without a provider: record them again with an eval runner that records each model's provider (`aigov update` brings the paved road's)", [
	lib.noun(count(bare), "model"), concat(", ", bare),
]) if {
	bare := recorded.unrecorded_providers
	count(bare) > 0
}

results_gaps contains sprintf("the eval config %s changed since they were recorded", [evals.config]) if {
	recorded.config != actual.config
}

results_gaps contains sprintf("dataset %s changed since they were recorded", [path]) if {
	some path, digest in actual.datasets
	object.get(recorded.datasets, path, null) != digest
}

results_gaps contains sprintf("the datasets hold %s, fewer than the %d org data requires of a re-baseline at %s tier", [lib.counted(case_count, "case"), min_cases, approval_tier]) if {
	is_object(recorded)
	case_count < min_cases
}

results_gaps contains sprintf("metric %s/%s is not in them", [suite.name, metric.name]) if {
	is_object(recorded)
	some suite in config_suites
	some metric in suite.metrics
	not recorded_metric(suite, metric)
}

results_gaps contains sprintf("metric %s/%s was recorded against threshold %s (%s), not the eval config's", [suite.name, metric.name, r.threshold_text, r.goal]) if {
	some suite in config_suites
	some metric in suite.metrics
	r := recorded_metric(suite, metric)
	[r.threshold, r.goal] != [metric.threshold, metric.goal]
}

results_gaps contains sprintf("metric %s/%s scored %s, short of its threshold %s", [suite.name, metric.name, r.score_text, r.threshold_text]) if {
	some suite in config_suites
	some metric in suite.metrics
	r := recorded_metric(suite, metric)
	[r.threshold, r.goal] == [metric.threshold, metric.goal]
	not meets(r.score, metric)
}

# The models as the record names them: id and provider (null where the manifest names none).
declared_models := [{"id": m.id, "provider": object.get(m, "provider", null)} | some m in lib.spec.models]

models_text(models) := concat(", ", [model_text(m) | some m in models])

model_text(m) := sprintf("%s (%s)", [m.id, m.provider]) if is_string(m.provider) else := m.id

# Feature-relative prompt files whose digest at the head is not the one recorded, or recorded and gone.
stale_prompts := sort({path |
	some path, digest in actual.prompts
	object.get(recorded.prompts, path, null) != digest
} | {path |
	some path, _ in recorded.prompts
	not path in object.keys(actual.prompts)
})

config_suites := object.get(evals, "suites", [])

recorded_metric(suite, metric) := r if {
	some r in recorded.metrics
	r.suite == suite.name
	r.metric == metric.name
}

meets(score, metric) if {
	metric.goal == "min"
	score >= metric.threshold
}

meets(score, metric) if {
	metric.goal == "max"
	score <= metric.threshold
}

# Distinct cases over the distinct datasets, as aigov counted them (a dataset it could not count counts 0).
case_count := sum([cases |
	some path, cases in {s.dataset.path: count_of(s.dataset) | some s in object.get(evals, "suites", [])}
])

count_of(dataset) := dataset.cases if is_number(dataset.cases) else := 0

min_cases := object.get(object.get(data.aigov.settings.evals, "rebaseline_min_cases", {}), approval_tier, 0)

# METADATA
# title: Prompt or model changed without a re-baseline on it
# description: A pull request changed a prompt, the model list or a model's parameters, and the feature's recorded eval results (baseline.json beside its eval config, written by the eval runner) were not produced on exactly the prompts, models (their ids and providers), eval config and datasets of the pull request, over at least the cases org data requires at the feature's tier (data.aigov.settings.evals.rebaseline_min_cases), meeting every threshold of the eval config. A change to the eval config or a dataset alone is no evidence that the evals ran. aigov compares the digests the record names with those of the files it read.
# custom:
#   id: AIGOV-CHANGE-001
#   severity: high
#   waivable: false
#   remediation: "Re-run the evals on the changed prompts and models and commit the results record in this pull request (the paved road: python -m evals.run --config evals/config.yaml --record), with enough cases and every metric meeting its threshold."
deny contains finding if {
	evals.declared
	trigger := eval_trigger
	count(results_gaps) > 0
	finding := lib.finding(
		rego.metadata.rule().custom.id,
		sprintf("%s changed in this pull request, but the recorded eval results %s are not evidence of it: %s", [
			trigger.what, results.path, concat("; ", sort(results_gaps)),
		]),
		lib.place(trigger),
	)
}

# --- Prompt promotion --------------------------------------------------------------------------

# The prompt files the change touched (added, changed, moved, deleted), with their versions.
prompts := [] if removed else := object.get(change, "prompts", [])

# Why a versioned prompt's change did not increase its version (the prompt says: bump it on every change).
version_gap(p) := "its version was removed" if {
	p.head.version == null
} else := sprintf("its version %s cannot be compared with %s (give an integer, or dotted numbers such as 1.2.0)", [p.head.version, p.base.version]) if {
	null in {p.base.parts, p.head.parts}
} else := sprintf("its version stayed %s", [p.head.version]) if {
	p.head.parts == p.base.parts
} else := sprintf("its version went from %s to %s, which is not an increase", [p.base.version, p.head.version]) if {
	not version_greater(p.head.parts, p.base.parts)
}

# Where to bump the version: its line at the head, else the first changed line.
version_line(p) := p.head.line if is_number(p.head.line) else := p.line

# Whether dotted version numbers a are greater than b (1.10 > 1.9; 1.2.1 > 1.2).
version_greater(a, b) if {
	some i, n in a
	i < count(b)
	n > b[i]
	array.slice(a, 0, i) == array.slice(b, 0, i)
}

version_greater(a, b) if {
	count(a) > count(b)
	array.slice(a, 0, count(b)) == b
}

# METADATA
# title: Prompt changed without a version increase
# description: A versioned prompt (one whose file has a version) changed its content in a pull request and its version did not increase. The version is how a prompt promotion is named in reviews, releases and the evidence bundle; comments and layout do not count as content.
# custom:
#   id: AIGOV-CHANGE-004
#   severity: high
#   waivable: false
#   remediation: Increase the prompt's version (an integer, or dotted numbers such as 1.2.0) in the same pull request.
deny contains finding if {
	some p in prompts
	p.status in {"modified", "renamed"}
	p.content_changed
	p.base.version != null
	gap := version_gap(p)
	finding := lib.finding(rego.metadata.rule().custom.id, sprintf("prompt %s changed in this pull request, but %s", [p.path, gap]), {"path": p.path, "line": version_line(p)})
}

prompt_paths := concat(", ", sort([p.path | some p in prompts]))

# METADATA
# title: Prompt promotion without the approvals it needs
# description: A pull request changes a prompt of the feature (adds, edits, moves or deletes a file under its prompts folder) and org data requires reviewer groups to approve prompt changes at the feature's tier (data.aigov.settings.approvals.required.prompt; the shipped data asks the risk reviewers at high tier, the higher of the base's and the head's). Each group must approve the pull request on its head commit, by the named login or a verified team member, never the author. When the reviews cannot be read, approval cannot be verified and the finding stands. No waiver can replace the approval.
# custom:
#   id: AIGOV-CHANGE-005
#   severity: high
#   waivable: false
#   remediation: Ask the reviewers the message names to review and approve the pull request after its last push (the prompt review committee), and run the check with a token that can read pull request reviews (read:org for team approvers).
deny contains finding if {
	existed
	count(prompts) > 0
	gaps := approvals.group_gaps(review, "prompt", approval_tier)
	count(gaps) > 0
	finding := lib.finding(
		rego.metadata.rule().custom.id,
		sprintf("prompt %s changed in this pull request; %s", [prompt_paths, concat("; ", sort(gaps))]),
		{"path": prompts[0].path, "line": prompts[0].line},
	)
}

# METADATA
# title: Model added or swapped without a model card update
# description: A pull request adds a model to the feature (or swaps one for another) and leaves the model card as it was, so the card no longer describes what runs.
# custom:
#   id: AIGOV-CHANGE-002
#   severity: high
#   waivable: false
#   remediation: "Update the model card in the same pull request: its models list, intended use, limitations and evaluation for the new model."
deny contains finding if {
	count(added_models) > 0
	card := input.feature.model_card.path
	not edited(card)
	finding := lib.finding(
		rego.metadata.rule().custom.id,
		sprintf("model %s added in this pull request, but the model card %s did not change", [concat(", ", added_models), card]),
		lib.manifest_field(model_field(added_models[0])),
	)
}

model_field(id) := sprintf("spec.models[%d].id", [i]) if {
	some i, m in lib.spec.models
	m.id == id
}

# --- Changes that need approval -----------------------------------------------------------------

tier_rank := {"low": 0, "medium": 1, "high": 2}

tier_names := ["low", "medium", "high"]

classification_rank := {"public": 0, "internal": 1, "confidential": 2, "restricted": 3}

# Why this change needs an approving review, each with the manifest field it is about.
needs_approval contains {"why": sprintf("the risk tier was lowered from %s to %s", [base_spec.riskTier, lib.spec.riskTier]), "field": "spec.riskTier"} if {
	existed
	tier_rank[lib.spec.riskTier] < tier_rank[base_spec.riskTier]
}

needs_approval contains {"why": sprintf("model %s was added", [id]), "field": model_field(id)} if some id in added_models

needs_approval contains {"why": "the feature was removed (its manifest deleted)", "field": "metadata.name"} if removed

# The kind a model's role needs is what the manifest rules hold the model to: dropping or changing it
# changes what the feature may call there (declaring one where there was none only tightens).
needs_approval contains {"why": sprintf("the kind declared for model %s was changed from %s to %s", [m.id, was, now]), "field": model_field(m.id)} if {
	existed
	some m in lib.spec.models
	some b in base_spec.models
	b.id == m.id
	was := object.get(b, "kind", "none")
	now := object.get(m, "kind", "none")
	was != "none"
	was != now
}

needs_approval contains {"why": sprintf("dataClassification was loosened from %s to %s", [base_spec.dataClassification, lib.spec.dataClassification]), "field": "spec.dataClassification"} if {
	existed
	classification_rank[lib.spec.dataClassification] < classification_rank[base_spec.dataClassification]
}

# A base manifest aigov cannot read might have said anything: fail closed.
needs_approval contains {"why": sprintf("the manifest at the base commit cannot be read (%s)", [base.error]), "field": "spec"} if {
	base.error != null
}

# The review facts; null when nothing in the change needed them (no reviews were read).
review := r if {
	r := change.review
	is_object(r)
} else := {"available": false, "error": "the reviews were not read", "approvals": [], "changes_requested": [], "codeowners": {}, "teams": {}}

# The tier whose reviewers must approve: the higher of the base's and the head's, so lowering the
# tier is judged at the tier it had (an unreadable base, or a tier aigov does not know, as high).
rank(tier) := tier_rank[tier] if tier in object.keys(tier_rank) else := 2

base_rank := rank(base_spec.riskTier) if existed else := 2

approval_tier := tier_names[max({rank(lib.spec.riskTier), base_rank})]

# What is missing, one text per approval that does not hold (the reviews were read): a CODEOWNER
# of the manifest at the base commit, and each reviewer group org data requires at this tier.
missing contains gap if some gap in approvals.owner_gaps(review, base.manifest_path)

missing contains gap if some gap in approvals.group_gaps(review, "manifest", approval_tier)

approval_reasons := concat("; ", sort([n.why | some n in needs_approval]))

approval_field := sort([n.field | some n in needs_approval])[0]

# Why there is no approval, as the end of the finding's message.
missing_approval := sprintf("cannot verify approval: %s", [approvals.review_error(review)]) if {
	not review.available
} else := concat("; ", sort(missing)) if count(missing) > 0

# METADATA
# title: Risk-relevant manifest change without the approvals it needs
# description: Lowering the risk tier, adding a model or loosening dataClassification changes what the feature is allowed to do. A CODEOWNER of its aigov.yaml (from CODEOWNERS at the base commit, for the manifest's path there) must approve the pull request on its head commit, and so must each reviewer group org data requires at the feature's tier (data.aigov.settings.approvals; the higher of the base's and the head's tier). An approval counts from a review by the named login or a verified member of the named team, never by the pull request's author. When the reviews or a team's membership cannot be read (no token, no read:org, the API unreachable or failing), approval cannot be verified and the finding stands. No waiver can replace the approval.
# custom:
#   id: AIGOV-CHANGE-003
#   severity: high
#   waivable: false
#   remediation: Ask a CODEOWNER of the feature's aigov.yaml, and the reviewers the message names, to review and approve the pull request (after the last push), and run the check with a token that can read pull request reviews (GITHUB_TOKEN with pull-requests read; read:org for team approvers).
deny contains finding if {
	count(needs_approval) > 0
	reason := missing_approval
	finding := lib.finding(rego.metadata.rule().custom.id, sprintf("%s; %s", [approval_reasons, reason]), lib.manifest_field(approval_field))
}

# --- A draft made final ------------------------------------------------------------------------

# The governed documents (model card, risk assessment) as they were at the base; empty when the
# change touched none of them (they are as at the head).
change_documents := d if {
	d := change.documents
	is_object(d)
} else := {"base": [], "base_date": null}

base_documents := change_documents.base

base_date := change_documents.base_date

# Each document that was a draft at the base and is not one now (or is no longer named).
finalised contains {"was": was, "now": now} if {
	some was in base_documents
	was.status == "draft"
	some now in object.get(lib.feature, "documents", [])
	now.key == was.key
	now.status != "draft"
}

finalised contains {"was": was, "now": {"path": was.path, "last_reviewed": null}} if {
	some was in base_documents
	was.status == "draft"
	not was.key in {d.key | some d in object.get(lib.feature, "documents", [])}
}

# Why making `item` final is not a reviewed change: a CODEOWNER of the draft (CODEOWNERS at the
# base) and each group org data requires must approve, and last_reviewed is that review's date.
finalise_gaps(item) := {sprintf("cannot verify approval: %s", [approvals.review_error(review)])} if {
	not review.available
} else := approvals.owner_gaps(review, item.was.path) | approvals.group_gaps(review, "draft", approval_tier) | review_date_gaps(item)

review_date_gaps(item) := {sprintf("its last_reviewed %s is before this pull request's base commit (%s): set it to the date of this review", [item.now.last_reviewed, base_date])} if {
	is_string(item.now.last_reviewed)
	is_string(base_date)
	item.now.last_reviewed < base_date
} else := set()

# METADATA
# title: Draft made final without the review it needs
# description: "The paved road generates the model card and the risk assessment as drafts (status: draft in their front matter). The pull request that makes one final (or stops naming it) is the review of its content: a CODEOWNER of the document (CODEOWNERS at the base commit) and each reviewer group org data requires for making a draft final at the feature's tier (data.aigov.settings.approvals.required.draft) must approve it on its head commit, never its author; and the document's last_reviewed is the date of that review, not earlier than the pull request's base commit. When the reviews cannot be read, approval cannot be verified and the finding stands. No waiver can replace the approval."
# custom:
#   id: AIGOV-CHANGE-006
#   severity: high
#   waivable: false
#   remediation: Have the document's owners and the reviewers the message names review its content and approve the pull request after its last push, with last_reviewed set to the date of that review; run the check with a token that can read pull request reviews.
deny contains finding if {
	some item in finalised
	gaps := finalise_gaps(item)
	count(gaps) > 0
	finding := lib.finding(
		rego.metadata.rule().custom.id,
		sprintf("the %s %s was a draft and this pull request makes it final; %s", [item.was.kind, item.was.path, concat("; ", sort(gaps))]),
		{"path": item.now.path, "line": 1},
	)
}

# --- A draft re-dated ----------------------------------------------------------------------------

# Each document that is a draft at the base and at the head, whose drafted date this change moved
# later, or gave one where the base had none it could be in a grace period from (no date, or a date
# that has not begun yet): either way the day it starts to block comes later.
redated contains {"was": was, "now": now} if {
	some was in base_documents
	was.status == "draft"
	some now in object.get(lib.feature, "documents", [])
	now.key == was.key
	now.status == "draft"
	postponed(was, now)
}

postponed(was, now) if {
	drafts.well_formed(was)
	drafts.well_formed(now)
	now.drafted > was.drafted
}

postponed(was, now) if {
	not drafts.dated(was)
	drafts.dated(now)
}

# A reviewed document made a draft again: its grace period would start afresh, and the age of its
# review (AIGOV-CARD-005) would stop counting, until a new reviewed pull request makes it final.
redated contains {"was": was, "now": now} if {
	some was in base_documents
	was.exists == true
	was.status != "draft"
	some now in object.get(lib.feature, "documents", [])
	now.key == was.key
	now.status == "draft"
}

redated_from(was) := "was final (reviewed) at the base" if {
	was.status != "draft"
} else := sprintf("was drafted on %s", [was.drafted]) if {
	drafts.dated(was)
} else := sprintf("was a draft %s at the base, with no grace period", [drafts.undated_why(was)])

redated_to(now) := sprintf("dates it %s", [now.drafted]) if {
	is_string(now.drafted)
} else := "makes it a draft again"

# METADATA
# title: Draft re-dated to postpone its review
# description: "A pull request moves the drafted date of a document that stays a draft (the model card, the risk assessment) later than it was at the base commit, or dates a draft that had no date it could be in a grace period from, or makes a document that was final (reviewed) at the base a draft again. The grace period after which a draft blocks counts from the day it was drafted (AIGOV-DRAFT-002); a later date, once a month, would postpone its review for ever. A draft is cleared by a reviewed pull request that makes it final (AIGOV-CHANGE-006), and the grace period itself is org data (data.aigov.settings.drafts.grace_days)."
# custom:
#   id: AIGOV-CHANGE-007
#   severity: high
#   waivable: false
#   remediation: "Keep the drafted date the document had at the base commit. To clear the draft, review the document and make it final in a pull request its reviewers approve (AIGOV-CHANGE-006)."
deny contains finding if {
	some item in redated
	finding := lib.finding(
		rego.metadata.rule().custom.id,
		sprintf("the %s %s %s, and this pull request %s, which postpones the day it blocks; a draft's grace period counts from the day it was drafted", [
			item.was.kind, item.now.path, redated_from(item.was), redated_to(item.now),
		]),
		{"path": item.now.path, "line": item.now.line},
	)
}
