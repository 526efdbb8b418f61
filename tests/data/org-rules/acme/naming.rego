package acme.naming

import rego.v1

import data.acme.lib

name := input.feature.name

owner := object.get(input.feature.manifest.metadata, "owner", "")

# METADATA
# title: Feature name does not start with its team
# custom:
#   id: ACME-NAME-001
#   severity: medium
#   controls: [SOC2:CC1.3]
deny contains lib.finding(rego.metadata.rule().custom.id, msg, "metadata.name") if {
	team := lib.team(owner)
	team != ""
	not startswith(name, concat("-", [team, ""]))
	msg := sprintf("feature %s does not start with its team %q (%s risk)", [name, team, lib.risk_label(input.feature.manifest.spec.riskTier)])
}

# METADATA
# title: Feature name is not a slug
# custom:
#   id: ACME-NAME-002
#   severity: low
deny contains finding if {
	not regex.match(`^[a-z][a-z0-9-]{2,39}$`, name)
	finding := lib.finding(rego.metadata.rule().custom.id, sprintf("name %s is not 3-40 lowercase letters, digits and dashes", [name]), "metadata.name")
}

# METADATA
# title: Description misses the words the org requires
# custom:
#   id: ACME-NAME-003
#   severity: medium
deny contains finding if {
	described := lib.words(object.get(input.feature.manifest.metadata, "description", ""))
	missing := [word | some word in lib.policy.required_words; not word in described]
	count(missing) > 0
	not all_present(described)
	finding := lib.finding("ACME-NAME-003", sprintf("description lacks %s", [concat(", ", sort(missing))]), "metadata.description")
}

all_present(described) if {
	every word in lib.policy.required_words {
		word in described
	}
}

# METADATA
# title: Strict mode forbids a reserved word in the name
# custom:
#   id: ACME-NAME-004
#   severity: high
deny contains finding if {
	lib.strict
	some reserved in lib.policy.reserved
	contains(lower(name), reserved)
	start := indexof(lower(name), reserved)
	finding := lib.finding("ACME-NAME-004", sprintf("name %s holds %s at %d (%s...)", [name, reserved, start, substring(name, 0, start + count(reserved))]), "metadata.name")
}
