# METADATA
# title: Models
# description: Every model a feature calls is in the approved-model registry, approved for the feature's risk tier and not past its sunset.
package aigov.models

import rego.v1

import data.aigov.lib

registry := {m.id: m | some m in data.aigov.registry.models}

tier := lib.spec.riskTier

declared := {m.id | some m in lib.spec.models}

approval_process := object.get(data.aigov.registry, "approvalProcess", "ask the AI platform team for a model approval")

# Approved models a team can move to at this tier, for remediation text.
alternatives := concat(", ", sort([id |
	some id, m in registry
	m.status == "approved"
	tier in m.approvedTiers
	not past_sunset(m)
]))

past_sunset(m) if lib.days_until(m.sunset) < 0

instead(m) := sprintf("use %s instead", [m.replacement]) if m.replacement

instead(m) := sprintf("use one approved for %s tier: %s", [tier, alternatives]) if not m.replacement

# METADATA
# title: Model is not in the approved-model registry
# description: The manifest declares a model the platform team has never reviewed.
# custom:
#   id: AIGOV-MODEL-001
#   severity: high
#   remediation: Use a model from the approved-model registry, or ask for this one to be reviewed and added.
#   controls: [NIST-AI-RMF:GOVERN-1.6, NIST-AI-RMF:MAP-4.1, ISO42001:A.6.2.3, EU-AI-Act:Art.9, SOC2:CC8.1]
deny contains finding if {
	some i, model in lib.spec.models
	not registry[model.id]
	finding := object.union(
		lib.manifest_finding("AIGOV-MODEL-001", sprintf("model %s is not in the approved-model registry", [model.id]), sprintf("spec.models[%d].id", [i])),
		{"remediation": sprintf("%s, or %s", [approval_process, instead({})])},
	)
}

# METADATA
# title: Model is still in review
# description: The model's approval has not been granted yet.
# custom:
#   id: AIGOV-MODEL-002
#   severity: high
#   remediation: Wait for the approval to complete, or switch to an approved model.
#   controls: [NIST-AI-RMF:GOVERN-1.6, ISO42001:A.6.2.3, EU-AI-Act:Art.9, SOC2:CC8.1]
deny contains finding if {
	some i, model in lib.spec.models
	registry[model.id].status == "in-review"
	finding := object.union(
		lib.manifest_finding("AIGOV-MODEL-002", sprintf("model %s is in review and not yet approved", [model.id]), sprintf("spec.models[%d].id", [i])),
		{"remediation": sprintf("Follow up on its approval (%s), or %s", [approval_process, instead(registry[model.id])])},
	)
}

# METADATA
# title: Model is banned
# description: The platform team has banned this model; it must not be called.
# custom:
#   id: AIGOV-MODEL-003
#   severity: critical
#   remediation: Remove the model and switch to an approved one.
#   controls: [NIST-AI-RMF:GOVERN-1.6, NIST-AI-RMF:MANAGE-2.4, ISO42001:A.6.2.3, EU-AI-Act:Art.9]
deny contains finding if {
	some i, model in lib.spec.models
	m := registry[model.id]
	m.status == "banned"
	reason := object.get(m, "notes", "banned by the platform team")
	finding := object.union(
		lib.manifest_finding("AIGOV-MODEL-003", sprintf("model %s is banned (%s)", [model.id, reason]), sprintf("spec.models[%d].id", [i])),
		{"remediation": sprintf("Remove %s and %s", [model.id, instead(m)])},
	)
}

# METADATA
# title: Model is deprecated
# description: The model is being retired and may not be used by features.
# custom:
#   id: AIGOV-MODEL-004
#   severity: high
#   remediation: Move to the replacement model named in the registry.
#   controls: [NIST-AI-RMF:MANAGE-2.4, ISO42001:A.6.2.6, SOC2:CC8.1]
deny contains finding if {
	some i, model in lib.spec.models
	m := registry[model.id]
	m.status == "deprecated"
	finding := object.union(
		lib.manifest_finding("AIGOV-MODEL-004", sprintf("model %s is deprecated", [model.id]), sprintf("spec.models[%d].id", [i])),
		{"remediation": sprintf("Migrate off %s: %s", [model.id, instead(m)])},
	)
}

# METADATA
# title: Model is not approved for this risk tier
# description: The model is approved, but not for features of this risk tier.
# custom:
#   id: AIGOV-MODEL-005
#   severity: high
#   remediation: Use a model approved for the feature's tier, or ask for this model to be approved for it.
#   controls: [NIST-AI-RMF:MAP-4.1, NIST-AI-RMF:GOVERN-1.6, ISO42001:A.6.2.3, EU-AI-Act:Art.9]
deny contains finding if {
	some i, model in lib.spec.models
	m := registry[model.id]
	m.status == "approved"
	not tier in m.approvedTiers
	tiers := concat(", ", m.approvedTiers)
	finding := object.union(
		lib.manifest_finding("AIGOV-MODEL-005", sprintf("model %s is approved for tiers [%s], not for %s", [model.id, tiers, tier]), sprintf("spec.models[%d].id", [i])),
		{"remediation": sprintf("Use a model approved for %s tier (%s), or request %s tier approval for %s: %s", [tier, alternatives, tier, model.id, approval_process])},
	)
}

# METADATA
# title: Model is past its sunset date
# description: The provider or the platform team retires the model on its sunset date.
# custom:
#   id: AIGOV-MODEL-006
#   severity: high
#   remediation: Move to a model that is not sunset.
#   controls: [NIST-AI-RMF:MANAGE-2.4, ISO42001:A.6.2.6, SOC2:CC8.1]
deny contains finding if {
	some i, model in lib.spec.models
	m := registry[model.id]
	past_sunset(m)
	finding := object.union(
		lib.manifest_finding("AIGOV-MODEL-006", sprintf("model %s was sunset on %s", [model.id, m.sunset]), sprintf("spec.models[%d].id", [i])),
		{"remediation": sprintf("Migrate off %s: %s", [model.id, instead(m)])},
	)
}

# METADATA
# title: Model sunset is near
# description: The model reaches its sunset date soon; plan the migration now.
# custom:
#   id: AIGOV-MODEL-007
#   severity: medium
#   remediation: Plan the migration to a model that is not being sunset.
#   controls: [NIST-AI-RMF:MANAGE-2.4, ISO42001:A.6.2.6]
deny contains finding if {
	some i, model in lib.spec.models
	m := registry[model.id]
	days := lib.days_until(m.sunset)
	days >= 0
	days <= data.aigov.settings.sunset_warning_days
	finding := object.union(
		lib.manifest_finding("AIGOV-MODEL-007", sprintf("model %s is sunset on %s, in %d days", [model.id, m.sunset, days]), sprintf("spec.models[%d].id", [i])),
		{"remediation": sprintf("Plan the move off %s before %s: %s", [model.id, m.sunset, instead(m)])},
	)
}

# METADATA
# title: Model provider does not match the registry
# description: The manifest says the model is reached through a different provider than the one approved.
# custom:
#   id: AIGOV-MODEL-008
#   severity: medium
#   remediation: Call the model through the provider the registry approves, or correct the manifest.
#   controls: [NIST-AI-RMF:MAP-4.1, ISO42001:A.10.3]
deny contains finding if {
	some i, model in lib.spec.models
	m := registry[model.id]
	model.provider
	model.provider != m.provider
	finding := lib.manifest_finding(
		"AIGOV-MODEL-008",
		sprintf("model %s is declared with provider %s; the registry approves it through %s", [model.id, model.provider, m.provider]),
		sprintf("spec.models[%d].provider", [i]),
	)
}

# METADATA
# title: Code calls a model the manifest does not declare
# description: A model id from the registry appears in the feature's source, prompt or config files but not in aigov.yaml, so the manifest does not tell the truth about what the code calls.
# custom:
#   id: AIGOV-MODEL-009
#   severity: high
#   remediation: Declare the model in spec.models of aigov.yaml (and in the model card), or remove it from the code.
#   controls: [NIST-AI-RMF:MAP-4.1, NIST-AI-RMF:GOVERN-1.6, ISO42001:A.6.2.3, EU-AI-Act:Art.11]
deny contains finding if {
	some ref in input.feature.model_references
	not ref.model in declared
	finding := {
		"id": "AIGOV-MODEL-009",
		"msg": sprintf("%s is used here but not declared in %s", [ref.model, input.feature.manifest_path]),
		"path": ref.path,
		"line": ref.line,
	}
}
