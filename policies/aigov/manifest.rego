# METADATA
# title: Manifest
# description: What a feature of a given risk tier has to declare about oversight, incidents and risk assessment.
package aigov.manifest

import rego.v1

import data.aigov.lib
import data.aigov.models

oversight := object.get(lib.spec, "oversight", {})

high_tier if lib.spec.riskTier == "high"

# METADATA
# title: High-tier feature declares no human oversight
# description: A high-risk AI feature needs a human who can review, override or stop it.
# custom:
#   id: AIGOV-MANIFEST-001
#   severity: high
#   remediation: "Set spec.oversight.humanOversight (human-in-the-loop, human-on-the-loop or human-in-command) and describe it in spec.oversight.description."
deny contains finding if {
	high_tier
	object.get(oversight, "humanOversight", "none") == "none"
	finding := lib.finding(rego.metadata.rule().custom.id, "high-tier feature declares no human oversight", lib.manifest_field(field("humanOversight")))
}

# METADATA
# title: High-tier feature has no incident contact
# description: Someone must be reachable when a high-risk AI feature misbehaves.
# custom:
#   id: AIGOV-MANIFEST-002
#   severity: high
#   remediation: Set spec.oversight.incidentContact to an on-call alias, channel or paging URL.
deny contains finding if {
	high_tier
	not oversight.incidentContact
	finding := lib.finding(rego.metadata.rule().custom.id, "high-tier feature has no incident contact", lib.manifest_field(field("incidentContact")))
}

# METADATA
# title: High-tier feature has no risk assessment
# description: A high-risk AI feature references its risk assessment.
# custom:
#   id: AIGOV-MANIFEST-003
#   severity: high
#   remediation: Set spec.oversight.riskAssessment to the URL or repository path of the feature's risk assessment.
deny contains finding if {
	high_tier
	not oversight.riskAssessment
	finding := lib.finding(rego.metadata.rule().custom.id, "high-tier feature references no risk assessment", lib.manifest_field(field("riskAssessment")))
}

# METADATA
# title: Risk assessment file is missing
# description: The manifest points at a risk assessment in the repository that does not exist.
# custom:
#   id: AIGOV-MANIFEST-004
#   severity: medium
#   remediation: Commit the risk assessment as a file at that path inside the repository, or give the URL where it lives.
deny contains finding if {
	ref := oversight.riskAssessment
	not lib.is_url(ref)
	input.feature.paths[ref] == false
	finding := lib.finding(rego.metadata.rule().custom.id, sprintf("risk assessment %s is not a file in the repository", [ref]), lib.manifest_field("spec.oversight.riskAssessment"))
}

# METADATA
# title: Sensitive data at low risk tier
# description: Confidential or restricted data cannot be handled by a feature classed as low risk.
# custom:
#   id: AIGOV-MANIFEST-005
#   severity: high
#   remediation: Raise spec.riskTier to medium or high, or stop sending confidential data to the model.
deny contains finding if {
	lib.spec.riskTier == "low"
	lib.spec.dataClassification in {"confidential", "restricted"}
	finding := lib.finding(
		rego.metadata.rule().custom.id,
		sprintf("%s data handled by a low-tier feature", [lib.spec.dataClassification]),
		lib.manifest_field("spec.dataClassification"),
	)
}

# METADATA
# title: Model is of the wrong kind for its role
# description: A model entry declares the kind of model its role needs (kind in spec.models, written by the paved-road templates) and the registry says the model is of another kind, or does not say what it is. An embedding model cannot write the answers, nor a chat model stand in for a trained classifier.
# custom:
#   id: AIGOV-MANIFEST-006
#   severity: high
#   remediation: Use an approved model of the kind the role needs (the message names those approved for the tier), or ask the platform team to record the model's kind in the registry.
deny contains finding if {
	some i, model in lib.spec.models
	needed := model.kind
	entry := models.by_name[model.id]
	object.get(entry, "kind", "") != needed
	alternatives := models.none_if_empty(models.alternatives_of_kind(needed))
	finding := lib.finding(rego.metadata.rule().custom.id, kind_mismatch(model, entry, i), object.union(
		lib.manifest_field(sprintf("spec.models[%d].id", [i])),
		{"remediation": sprintf("Use a %s model approved for %s tier: %s", [needed, lib.spec.riskTier, alternatives])},
	))
}

kind_mismatch(model, entry, i) := sprintf("model %s is %s model, but spec.models[%d] needs a %s model", [
	models.shown(model.id), article(entry.kind), i, model.kind,
]) if is_string(entry.kind)

kind_mismatch(model, entry, i) := sprintf("the registry does not say what kind of model %s is, so it cannot be verified as the %s model spec.models[%d] needs", [
	models.shown(model.id), model.kind, i,
]) if not is_string(object.get(entry, "kind", null))

article(kind) := sprintf("an %s", [kind]) if substring(kind, 0, 1) in {"a", "e", "i", "o", "u"}

article(kind) := sprintf("a %s", [kind]) if not substring(kind, 0, 1) in {"a", "e", "i", "o", "u"}

# The oversight field's line if present, else the oversight block's, else spec's.
field(name) := sprintf("spec.oversight.%s", [name]) if input.feature.lines[sprintf("spec.oversight.%s", [name])]

field(name) := "spec.oversight" if {
	not input.feature.lines[sprintf("spec.oversight.%s", [name])]
	input.feature.lines["spec.oversight"]
}

field(name) := "spec" if not input.feature.lines["spec.oversight"]
