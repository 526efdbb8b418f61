# METADATA
# title: Trust boundary
# description: The checked repository is judged, it does not judge itself. Its own .aigov/config.yaml may add rules, data under its own keys and blocking severities; everything that would weaken the gate belongs to the org config.
package aigov.config

import rego.v1

import data.aigov.lib

# METADATA
# title: Repository config tries to change what only the org config may
# description: The repository's own .aigov/config.yaml (or a data or policy file it names) asked to replace or extend the approved-model registry, change shipped or org data, add rules to a package the shipped pack or the org owns, exclude a feature's folder, or change the evaluation time limit. aigov ignored the request; the repository is non-compliant until it is removed.
# custom:
#   id: AIGOV-CONFIG-001
#   severity: high
#   waivable: false
#   remediation: "Remove it from the repository. Registries, settings and exclusions come from the org config, given from outside the repository (--config, AIGOV_CONFIG or the Action's config input); ask the platform team to change it there."
deny contains finding if {
	some refused in input.repository_config.refused
	finding := lib.finding(
		rego.metadata.rule().custom.id,
		sprintf("%s: only the org config can %s; the repository's own config may only add rules, data under its own keys and blocking severities", [refused.key, refused.what]),
		lib.place(refused),
	)
}
