package acme.models

import rego.v1

import data.acme.lib

spec := input.feature.manifest.spec

models := object.get(spec, "models", [])

providers := {model.provider | some model in models}

purposes := {purpose | some model in models; purpose := object.get(model, "purpose", "unspecified")}

# METADATA
# title: High-risk feature relies on one model
# custom:
#   id: ACME-MODEL-001
#   severity: medium
deny contains finding if {
	lib.at_least(spec.riskTier, lib.policy.fallback_from_tier)
	count(models) < 2
	finding := lib.finding("ACME-MODEL-001", sprintf("%s-tier feature declares %d model(s); declare a fallback", [spec.riskTier, count(models)]), "spec.models")
}

# METADATA
# title: Model id does not carry its provider's prefix
# custom:
#   id: ACME-MODEL-002
#   severity: high
deny contains finding if {
	some i, model in models
	prefixes := object.get(lib.policy.prefixes, model.provider, [])
	count(prefixes) > 0
	not any_prefix(model.id, prefixes)
	finding := lib.finding("ACME-MODEL-002", sprintf("model %s (%s) starts with none of %v", [model.id, model.provider, prefixes]), sprintf("spec.models[%d].id", [i]))
}

any_prefix(id, prefixes) if {
	some prefix in prefixes
	startswith(id, prefix)
}

# METADATA
# title: Model purpose is not one the org knows
# custom:
#   id: ACME-MODEL-003
#   severity: low
deny contains finding if {
	unknown := purposes - {purpose | some purpose in lib.policy.purposes}
	count(unknown) > 0
	by_purpose := {purpose: [model.id | some model in models; object.get(model, "purpose", "unspecified") == purpose] | some purpose in unknown}
	listed := [sprintf("%s (%s)", [purpose, concat(", ", by_purpose[purpose])]) | some purpose in sort(unknown)]
	finding := lib.finding("ACME-MODEL-003", sprintf("unknown purposes: %s", [concat("; ", listed)]), "spec.models")
}

# METADATA
# title: Too many providers for the tier
# custom:
#   id: ACME-MODEL-004
#   severity: medium
deny contains finding if {
	allowed := object.get(lib.policy.max_providers, spec.riskTier, 1)
	count(providers) > allowed
	shown := array.slice(sort([p | some p in providers]), 0, 3)
	finding := lib.finding("ACME-MODEL-004", sprintf("%d providers (%s), %s tier allows %d", [count(providers), concat(", ", shown), spec.riskTier, allowed]), "spec.models")
}
