package aigov.config_test

import rego.v1

import data.aigov.config

refused(key, what, path, line) := {"key": key, "what": what, "path": path, "line": line}

test_a_repository_without_refusals_passes if {
	count(config.deny) == 0 with input as {"repository_config": {"path": ".aigov/config.yaml", "refused": []}}
}

test_no_repository_config_passes if {
	count(config.deny) == 0 with input as {"repository_config": {"path": null, "refused": []}}
}

test_each_refusal_is_a_finding_at_its_line if {
	found := config.deny with input as {"repository_config": {"path": ".aigov/config.yaml", "refused": [
		refused("registry", "replace the approved-model registry", ".aigov/config.yaml", 2),
		refused("data", "change data.aigov, which the shipped pack or the org owns", ".aigov/data.yaml", 1),
	]}}
	{[f.id, f.path, f.line] | some f in found} == {
		["AIGOV-CONFIG-001", ".aigov/config.yaml", 2],
		["AIGOV-CONFIG-001", ".aigov/data.yaml", 1],
	}
	some f in found
	startswith(f.msg, "registry: only the org config can replace the approved-model registry")
}
