# METADATA
# title: Models
# description: Every model a feature calls is in the approved-model registry, approved for the feature's risk tier and not past its sunset.
package aigov.models

import rego.v1

import data.aigov.lib

registry := {m.id: m | some m in data.aigov.registry.models}

# Every spelling of a registered model, its id and its aliases (dated snapshots, Bedrock, Vertex
# AI, Azure, router ids), to its entry: an alias counts as the model. aigov refuses a registry in
# which one spelling names two models before evaluation.
by_name[name] := m if {
	some m in data.aigov.registry.models
	some name in array.concat([m.id], object.get(m, "aliases", []))
}

# The registry id of a model spelled as ``name`` (its id or an alias); ``name`` itself if unknown.
registry_id(name) := object.get(by_name, [name, "id"], name)

# "gpt-4o-2024-08-06 (gpt-4o in the registry)" for an alias, the id itself otherwise.
shown(name) := sprintf("%s (%s in the registry)", [name, registry_id(name)]) if registry_id(name) != name

shown(name) := name if registry_id(name) == name

tier := lib.spec.riskTier

declared := {registry_id(m.id) | some m in lib.spec.models}

approval_process := object.get(data.aigov.registry, "approvalProcess", "ask the AI platform team for a model approval")

# Approved models a team can move to at this tier, for remediation text.
alternatives := alternatives_of_kind("")

# Those of one kind (chat, embedding, ...; "" for any): an embedding model is no alternative to the
# model that writes the answers.
alternatives_of_kind(kind) := concat(", ", sort([id |
	some id, m in registry
	m.status == "approved"
	tier in m.approvedTiers
	not past_sunset(m)
	of_kind(m, kind)
]))

of_kind(_, kind) if kind == ""

of_kind(m, kind) if object.get(m, "kind", "") == kind

# The kind a declared model stands for: what the manifest says its role needs, else what the
# registry says the model is ("" when neither says).
needed_kind(model) := object.get(model, "kind", object.get(object.get(by_name, model.id, {}), "kind", ""))

# "a chat model" for remediation text; "a model" when the kind is not known.
kind_phrase(kind) := sprintf("a %s model", [kind]) if kind != ""

kind_phrase(kind) := "a model" if kind == ""

past_sunset(m) if lib.days_until(m.sunset) < 0

none_if_empty(list) := list if list != ""

none_if_empty(list) := "none" if list == ""

instead(m) := sprintf("use %s instead", [m.replacement]) if m.replacement

instead(m) := sprintf("use one approved for %s tier: %s", [tier, alternatives]) if not m.replacement

# Where the i-th declared model is in the manifest, with the fix for what is wrong with it.
declared_model(i, remediation) := object.union(lib.manifest_field(sprintf("spec.models[%d].id", [i])), {"remediation": remediation})

# METADATA
# title: Model is not in the approved-model registry
# description: The manifest declares a model the platform team has never reviewed.
# custom:
#   id: AIGOV-MODEL-001
#   severity: high
#   remediation: Use a model from the approved-model registry, or ask for this one to be reviewed and added.
deny contains finding if {
	some i, model in lib.spec.models
	not by_name[model.id]
	finding := lib.finding(
		"AIGOV-MODEL-001",
		sprintf("model %s is not in the approved-model registry", [model.id]),
		declared_model(i, sprintf("%s, or %s", [approval_process, instead({})])),
	)
}

# METADATA
# title: Model is still in review
# description: The model's approval has not been granted yet.
# custom:
#   id: AIGOV-MODEL-002
#   severity: high
#   remediation: Wait for the approval to complete, or switch to an approved model.
deny contains finding if {
	some i, model in lib.spec.models
	m := by_name[model.id]
	m.status == "in-review"
	finding := lib.finding(
		"AIGOV-MODEL-002",
		sprintf("model %s is in review and not yet approved", [shown(model.id)]),
		declared_model(i, sprintf("Follow up on its approval (%s), or %s", [approval_process, instead(m)])),
	)
}

# METADATA
# title: Model is banned
# description: The platform team has banned this model; it must not be called.
# custom:
#   id: AIGOV-MODEL-003
#   severity: critical
#   remediation: Remove the model and switch to an approved one.
deny contains finding if {
	some i, model in lib.spec.models
	m := by_name[model.id]
	m.status == "banned"
	reason := object.get(m, "notes", "banned by the platform team")
	finding := lib.finding(
		"AIGOV-MODEL-003",
		sprintf("model %s is banned (%s)", [shown(model.id), reason]),
		declared_model(i, sprintf("Remove %s and %s", [model.id, instead(m)])),
	)
}

# METADATA
# title: Model is deprecated
# description: The model is being retired and may not be used by features.
# custom:
#   id: AIGOV-MODEL-004
#   severity: high
#   remediation: Move to the replacement model named in the registry.
deny contains finding if {
	some i, model in lib.spec.models
	m := by_name[model.id]
	m.status == "deprecated"
	finding := lib.finding(
		"AIGOV-MODEL-004",
		sprintf("model %s is deprecated", [shown(model.id)]),
		declared_model(i, sprintf("Migrate off %s: %s", [model.id, instead(m)])),
	)
}

# METADATA
# title: Model is not approved for this risk tier
# description: The model is approved, but not for features of this risk tier.
# custom:
#   id: AIGOV-MODEL-005
#   severity: high
#   remediation: Use a model approved for the feature's tier, or ask for this model to be approved for it.
deny contains finding if {
	some i, model in lib.spec.models
	m := by_name[model.id]
	m.status == "approved"
	not tier in m.approvedTiers
	tiers := concat(", ", m.approvedTiers)
	finding := lib.finding(
		"AIGOV-MODEL-005",
		sprintf("model %s is approved for tiers [%s], not for %s", [shown(model.id), tiers, tier]),
		declared_model(i, sprintf("Use %s approved for %s tier (%s), or request %s tier approval for %s: %s", [
			kind_phrase(needed_kind(model)), tier, none_if_empty(alternatives_of_kind(needed_kind(model))), tier, model.id, approval_process,
		])),
	)
}

# METADATA
# title: Model is past its sunset date
# description: The provider or the platform team retires the model on its sunset date.
# custom:
#   id: AIGOV-MODEL-006
#   severity: high
#   remediation: Move to a model that is not sunset.
deny contains finding if {
	some i, model in lib.spec.models
	m := by_name[model.id]
	past_sunset(m)
	finding := lib.finding(
		"AIGOV-MODEL-006",
		sprintf("model %s was sunset on %s", [shown(model.id), m.sunset]),
		declared_model(i, sprintf("Migrate off %s: %s", [model.id, instead(m)])),
	)
}

# METADATA
# title: Model sunset is near
# description: The model reaches its sunset date soon; plan the migration now.
# custom:
#   id: AIGOV-MODEL-007
#   severity: medium
#   remediation: Plan the migration to a model that is not being sunset.
deny contains finding if {
	some i, model in lib.spec.models
	m := by_name[model.id]
	days := lib.days_until(m.sunset)
	days >= 0
	days <= data.aigov.settings.sunset_warning_days
	finding := lib.finding(
		"AIGOV-MODEL-007",
		sprintf("model %s is sunset on %s, in %d days", [shown(model.id), m.sunset, days]),
		declared_model(i, sprintf("Plan the move off %s before %s: %s", [model.id, m.sunset, instead(m)])),
	)
}

# METADATA
# title: Model provider does not match the registry
# description: The manifest says the model is reached through a different provider than the one approved.
# custom:
#   id: AIGOV-MODEL-008
#   severity: medium
#   remediation: Call the model through the provider the registry approves, or correct the manifest.
deny contains finding if {
	some i, model in lib.spec.models
	m := by_name[model.id]
	model.provider
	model.provider != m.provider
	finding := lib.finding(
		"AIGOV-MODEL-008",
		sprintf("model %s is declared with provider %s; the registry approves it through %s", [shown(model.id), model.provider, m.provider]),
		lib.manifest_field(sprintf("spec.models[%d].provider", [i])),
	)
}

# METADATA
# title: Code calls a model the manifest does not declare
# description: A registered model (by its id or an alias) appears in the feature's source, prompt or config files but not in aigov.yaml, so the manifest does not tell the truth about what the code calls.
# custom:
#   id: AIGOV-MODEL-009
#   severity: high
#   remediation: Declare the model in spec.models of aigov.yaml (and in the model card), or remove it from the code.
deny contains finding if {
	some ref in input.feature.model_references
	ref.registered == true
	not ref.model in declared
	finding := lib.finding(
		"AIGOV-MODEL-009",
		sprintf("%s is used here but not declared in %s", [spelled(ref), input.feature.manifest_path]),
		lib.place(ref),
	)
}

spelled(ref) := sprintf("%s (%s in the registry)", [ref.spelled, ref.model]) if ref.spelled != ref.model

spelled(ref) := ref.model if ref.spelled == ref.model

# METADATA
# title: Code calls a model that is not in the registry
# description: A word in the feature's source, prompt or config files is spelled like a provider's model id (providerPatterns in the registry) but is neither a registered model nor one of its aliases, so the platform team has never reviewed it.
# custom:
#   id: AIGOV-MODEL-010
#   severity: high
#   remediation: Call an approved model, or ask for this one to be reviewed and added to the registry (a dated snapshot of a registered model is added as an alias of it).
deny contains finding if {
	some ref in input.feature.model_references
	ref.registered == false
	finding := lib.finding(
		"AIGOV-MODEL-010",
		sprintf("%s looks like a %s model id but is not in the approved-model registry", [ref.model, ref.provider]),
		{"path": ref.path, "line": ref.line, "remediation": sprintf("Use an approved model, or %s (a dated snapshot of a registered model is added as one of its aliases)", [approval_process])},
	)
}

# METADATA
# title: File cannot be checked for model references
# description: A file of the feature that aigov scans for model ids could not be read (not UTF-8, over the size limit, unreadable, a link out of the repository, a pipe or device), so aigov cannot verify which models it calls. It blocks at every tier - an unread file could call any model.
# custom:
#   id: AIGOV-MODEL-011
#   severity: high
#   remediation: Make the file a regular UTF-8 text file inside the repository under the size limit, or remove it from the feature (or from what git commits).
deny contains finding if {
	some file in input.feature.unscanned_files
	finding := lib.finding(
		"AIGOV-MODEL-011",
		sprintf("cannot verify which models %s calls: it %s", [file.path, file.reason]),
		lib.place(file),
	)
}
