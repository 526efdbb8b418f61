# METADATA
# title: Changes
# description: Rules only a diff can see. They judge what a pull request changed about a feature against the feature at the base commit (input.change), so they stay silent in a check without --base or --pr.
package aigov.changes

import rego.v1

import data.aigov.approvals
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

# --- The eval evidence: config, datasets and the recorded baseline ------------------------------

evals := object.get(lib.feature, "evals", {"declared": false})

eval_files contains evals.path if evals.declared

eval_files contains suite.dataset.path if some suite in object.get(evals, "suites", [])

baseline := object.get(change, "eval_baseline", {"exists": false})

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

# METADATA
# title: Prompt or model changed without fresh evals
# description: A pull request changed a prompt, the model list or a model's parameters, and nothing of the feature's eval evidence changed with it. When the feature records an eval baseline (baseline.json beside its eval config), that baseline must be re-recorded in the same pull request; otherwise the eval config or a dataset must change.
# custom:
#   id: AIGOV-CHANGE-001
#   severity: high
#   waivable: false
#   remediation: Re-run the evals against the changed prompt or model and commit the result in this pull request (the recorded baseline, or the eval config and datasets that cover the change).
deny contains finding if {
	evals.declared
	trigger := eval_trigger
	gap := eval_gap
	finding := lib.finding(
		"AIGOV-CHANGE-001",
		sprintf("%s changed in this pull request, but %s", [trigger.what, gap]),
		lib.place(trigger),
	)
}

# What of the eval evidence should have changed and did not.
eval_gap := sprintf("the recorded eval baseline %s was not re-recorded", [baseline.path]) if {
	baseline.exists
	not edited(baseline.path)
} else := "neither the eval config nor any of its datasets did" if {
	not baseline.exists
	not some_eval_file_changed
}

some_eval_file_changed if {
	some path in eval_files
	edited(path)
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
		"AIGOV-CHANGE-002",
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

needs_approval contains {"why": sprintf("dataClassification was loosened from %s to %s", [base_spec.dataClassification, lib.spec.dataClassification]), "field": "spec.dataClassification"} if {
	existed
	classification_rank[lib.spec.dataClassification] < classification_rank[base_spec.dataClassification]
}

# A base manifest aigov cannot read might have said anything: fail closed.
needs_approval contains {"why": sprintf("the manifest at the base commit cannot be read (%s)", [base.error]), "field": "spec"} if {
	base.error != null
}

# The review facts; null when the manifest did not change in the pull request (no reviews were read).
review := r if {
	r := change.review
	is_object(r)
} else := {"available": false, "error": "the reviews were not read", "approvals": [], "codeowners": {}, "teams": {}}

# Who may approve is read where the pull request cannot change it: CODEOWNERS at the base commit,
# for the manifest's path there (a moved manifest keeps the owners it had), and the org's data.
owners := object.get(review.codeowners, base.manifest_path, [])

codeowner_approved if {
	some owner in owners
	approvals.approved(review, owner)
}

unverifiable_owners := [sprintf("%s (%s)", [owner, reason]) |
	some owner in owners
	reason := approvals.unverifiable(review, owner)
]

# The tier whose reviewers must approve: the higher of the base's and the head's, so lowering the
# tier is judged at the tier it had (an unreadable base, or a tier aigov does not know, as high).
rank(tier) := tier_rank[tier] if tier in object.keys(tier_rank) else := 2

base_rank := rank(base_spec.riskTier) if existed else := 2

approval_tier := tier_names[max({rank(lib.spec.riskTier), base_rank})]

settings := data.aigov.settings.approvals

# The reviewer groups org data requires for a risk-relevant manifest change at this tier.
required_groups := object.get(object.get(settings.required, "manifest", {}), approval_tier, [])

# What is missing, one text per approval that does not hold (the reviews were read).
missing contains sprintf("no CODEOWNER owns %s at the base commit, so nobody can approve it", [base.manifest_path]) if {
	count(owners) == 0
}

missing contains sprintf("cannot verify approval: no approving review on the head commit from a CODEOWNER of %s (%s); team membership unverifiable: %s", [
	base.manifest_path, concat(", ", owners), concat(", ", unverifiable_owners),
]) if {
	count(owners) > 0
	not codeowner_approved
	count(unverifiable_owners) > 0
}

missing contains sprintf("no approving review on the head commit from a CODEOWNER of %s (%s)", [base.manifest_path, concat(", ", owners)]) if {
	count(owners) > 0
	not codeowner_approved
	count(unverifiable_owners) == 0
}

missing contains group_missing(group) if {
	some group in required_groups
	not group_approved(group)
}

group_approved(group) if approvals.approved(review, settings.reviewers[group])

group_missing(group) := sprintf("org data requires the approval of the %s reviewers at %s tier, but data.aigov.settings.approvals.reviewers names no %s", [group, approval_tier, group]) if {
	not group in object.keys(settings.reviewers)
} else := sprintf("cannot verify approval by the %s reviewers (%s): %s", [group, settings.reviewers[group], reason]) if {
	reason := approvals.unverifiable(review, settings.reviewers[group])
} else := sprintf("no approving review on the head commit from the %s reviewers (%s), whom org data requires at %s tier", [group, settings.reviewers[group], approval_tier])

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
	finding := lib.finding("AIGOV-CHANGE-003", sprintf("%s; %s", [approval_reasons, reason]), lib.manifest_field(approval_field))
}
