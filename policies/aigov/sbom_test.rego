package aigov.sbom_test

import rego.v1

import data.aigov.sbom

good_sbom := {
	"declared": true,
	"path": "svc/sbom.cdx.json",
	"exists": true,
	"parsed": true,
	"spec_version": "1.6",
	"spec_version_line": 4,
	"valid": true,
	"errors": [],
	"error_count": 0,
	"ml_components": [{"name": "m1", "group": null, "id": "m1", "bom_ref": "model:m1", "has_model_card": true, "line": 60}],
	"components": [{
		"name": "boto3", "group": null, "type": "library", "version": "1.35.36",
		"purl": "pkg:pypi/boto3@1.35.36", "purl_type": "pypi", "normalized": "boto3", "line": 30,
	}],
}

boto_pin := {"name": "boto3", "normalized": "boto3", "version": "1.35.36", "path": "svc/requirements.txt", "line": 2}

doc(tier, sbom_facts, pins) := {
	"now": "2026-11-23T12:00:00Z",
	"feature": {
		"dir": "svc",
		"manifest_path": "svc/aigov.yaml",
		"lines": {"spec": 7, "spec.sbom": 15},
		"manifest": {"spec": {"riskTier": tier, "models": [{"id": "m1"}], "sbom": "sbom.cdx.json"}},
		"sbom": sbom_facts,
		"python_dependencies": {"pinned": pins, "unpinned": [], "sources": ["svc/requirements.txt"]},
	},
}

ids(findings) := {f.id | some f in findings}

test_current_valid_sbom_passes if {
	count(sbom.deny) == 0 with input as doc("high", good_sbom, [boto_pin])
}

# AIGOV-SBOM-001

test_declared_sbom_file_missing if {
	findings := sbom.deny with input as doc("low", {"declared": true, "path": "svc/sbom.cdx.json", "exists": false}, [])
	some f in findings
	f.id == "AIGOV-SBOM-001"
	f.path == "svc/aigov.yaml"
	f.line == 15
	contains(f.remediation, "aigov sbom . -o sbom.cdx.json")
}

test_remediation_names_the_feature_folder if {
	findings := sbom.deny with input as doc("low", {"declared": true, "path": "svc/sbom.cdx.json", "exists": false}, [])
	some f in findings
	startswith(f.remediation, "In svc, run `aigov sbom .")
}

test_remediation_at_the_top_says_repository_root_not_dot if {
	at_root := json.patch(doc("low", {"declared": true, "path": "sbom.cdx.json", "exists": false}, []), [{"op": "replace", "path": "/feature/dir", "value": "."}])
	findings := sbom.deny with input as at_root
	some f in findings
	startswith(f.remediation, "In the repository root, run `aigov sbom .")
}

test_sbom_url_is_not_an_sbom_in_the_repository if {
	findings := sbom.deny with input as doc("low", {"declared": true, "path": "https://x/sbom.json", "url": true, "exists": false}, [])
	some f in findings
	f.id == "AIGOV-SBOM-001"
	contains(f.msg, "is a URL")
}

test_medium_and_high_tier_need_an_sbom if {
	ids(sbom.deny) == {"AIGOV-SBOM-001"} with input as doc("medium", {"declared": false}, [])
	ids(sbom.deny) == {"AIGOV-SBOM-001"} with input as doc("high", {"declared": false}, [])
}

test_required_tiers_come_from_data if {
	findings := sbom.deny with input as doc("medium", {"declared": false}, [])
		with data.aigov.settings.sbom as {"required_tiers": ["high"]}
	ids(findings) == {"AIGOV-SBOM-007"}
}

# AIGOV-SBOM-007

test_low_tier_without_sbom_is_a_warning if {
	findings := sbom.deny with input as doc("low", {"declared": false}, [])
	ids(findings) == {"AIGOV-SBOM-007"}
}

test_low_tier_with_sbom_passes if {
	count(sbom.deny) == 0 with input as doc("low", good_sbom, [boto_pin])
}

# AIGOV-SBOM-002

invalid_sbom := object.union(good_sbom, {
	"valid": false,
	"errors": [{"path": "$.metadata.timestamp", "message": "'2020-04-13' is not an RFC 3339 date-time", "line": 7}],
	"error_count": 1,
})

test_schema_error_is_reported_at_its_line if {
	findings := sbom.deny with input as doc("high", invalid_sbom, [boto_pin])
	some f in findings
	f.id == "AIGOV-SBOM-002"
	f.path == "svc/sbom.cdx.json"
	f.line == 7
	contains(f.msg, "CycloneDX 1.6: $.metadata.timestamp")
}

test_more_errors_than_reported_are_counted if {
	findings := sbom.deny with input as doc("high", object.union(invalid_sbom, {"error_count": 13}), [boto_pin])
	some f in findings
	contains(f.msg, "12 more schema errors")
}

test_sbom_that_is_not_json_is_invalid if {
	broken := {
		"declared": true, "path": "svc/sbom.cdx.json", "exists": true, "parsed": false, "valid": false,
		"errors": [{"path": "$", "message": "is not JSON: Expecting value (column 1)", "line": 3}], "error_count": 1,
	}
	findings := sbom.deny with input as doc("high", broken, [boto_pin])
	ids(findings) == {"AIGOV-SBOM-002"}
	some f in findings
	f.line == 3
	contains(f.msg, "not valid CycloneDX: $: is not JSON")
}

# AIGOV-SBOM-003

test_cyclonedx_1_4_is_too_old_for_models if {
	old := object.union(good_sbom, {"spec_version": "1.4", "ml_components": []})
	findings := sbom.deny with input as doc("high", old, [boto_pin])
	some f in findings
	f.id == "AIGOV-SBOM-003"
	f.line == 4
	ids(findings) == {"AIGOV-SBOM-003", "AIGOV-SBOM-004"}
}

test_unparseable_spec_version_is_left_to_the_schema_rule if {
	odd := object.union(good_sbom, {"spec_version": "one point six"})
	findings := sbom.deny with input as doc("high", odd, [boto_pin])
	not "AIGOV-SBOM-003" in ids(findings)
}

# AIGOV-SBOM-004

test_declared_model_missing_from_sbom if {
	findings := sbom.deny with input as doc("high", object.union(good_sbom, {"ml_components": []}), [boto_pin])
	some f in findings
	f.id == "AIGOV-SBOM-004"
	contains(f.msg, "model m1 declared in svc/aigov.yaml")
}

test_model_listed_as_library_is_named if {
	as_library := object.union(good_sbom, {
		"ml_components": [],
		"components": array.concat(good_sbom.components, [{"name": "m1", "type": "library", "version": null, "purl": null, "purl_type": null, "normalized": "m1", "line": 44}]),
	})
	findings := sbom.deny with input as doc("high", as_library, [boto_pin])
	some f in findings
	f.id == "AIGOV-SBOM-004"
	f.line == 44
	contains(f.msg, "as a library component")
}

test_hugging_face_group_and_name_match_the_model_id if {
	hf := object.union(good_sbom, {"ml_components": [{"name": "Llama-2-7b", "group": "meta-llama", "id": "meta-llama/Llama-2-7b", "has_model_card": true, "line": 9}]})
	input_doc := json.patch(doc("high", hf, [boto_pin]), [{"op": "replace", "path": "/feature/manifest/spec/models", "value": [{"id": "meta-llama/Llama-2-7b"}]}])
	count(sbom.deny) == 0 with input as input_doc
}

registry_with_alias := {"models": [{"id": "m1", "provider": "openai", "status": "approved", "approvedTiers": ["high"], "aliases": ["m1-2025-01-01"]}]}

test_a_model_listed_under_an_alias_of_the_same_registered_model_is_there if {
	dated := object.union(good_sbom, {"ml_components": [object.union(good_sbom.ml_components[0], {"name": "m1-2025-01-01", "id": "m1-2025-01-01"})]})
	count(sbom.deny) == 0 with input as doc("high", dated, [boto_pin]) with data.aigov.registry as registry_with_alias
}

test_another_registered_model_does_not_stand_for_the_declared_one if {
	other := object.union(good_sbom, {"ml_components": [object.union(good_sbom.ml_components[0], {"name": "m2", "id": "m2"})]})
	registry := {"models": array.concat(registry_with_alias.models, [{"id": "m2", "provider": "openai", "status": "approved", "approvedTiers": ["high"]}])}
	findings := sbom.deny with input as doc("high", other, [boto_pin]) with data.aigov.registry as registry
	ids(findings) == {"AIGOV-SBOM-004"}
}

# AIGOV-SBOM-005

test_model_component_without_model_card if {
	no_card := object.union(good_sbom, {"ml_components": [object.union(good_sbom.ml_components[0], {"has_model_card": false})]})
	findings := sbom.deny with input as doc("high", no_card, [boto_pin])
	ids(findings) == {"AIGOV-SBOM-005"}
	some f in findings
	f.line == 60
}

# AIGOV-SBOM-006

test_pinned_dependency_missing_from_sbom if {
	pin := {"name": "pydantic", "normalized": "pydantic", "version": "2.9.2", "path": "svc/requirements.txt", "line": 3}
	findings := sbom.deny with input as doc("high", good_sbom, [boto_pin, pin])
	ids(findings) == {"AIGOV-SBOM-006"}
	some f in findings
	f.path == "svc/requirements.txt"
	f.line == 3
	contains(f.msg, "pydantic==2.9.2 pinned here is not in SBOM svc/sbom.cdx.json")
}

test_pinned_dependency_at_another_version_is_stale if {
	newer := object.union(boto_pin, {"version": "1.36.0"})
	findings := sbom.deny with input as doc("high", good_sbom, [newer])
	some f in findings
	f.id == "AIGOV-SBOM-006"
	f.line == 2
	contains(f.msg, "pinned here at 1.36.0 but SBOM svc/sbom.cdx.json lists 1.35.36")
}

test_names_compare_normalised if {
	pin := object.union(boto_pin, {"name": "Boto3"})
	count(sbom.deny) == 0 with input as doc("high", good_sbom, [pin])
}

test_a_same_named_package_of_another_ecosystem_does_not_count if {
	npm := object.union(good_sbom, {"components": [object.union(good_sbom.components[0], {"purl": "pkg:npm/boto3@1.35.36", "purl_type": "npm"})]})
	findings := sbom.deny with input as doc("high", npm, [boto_pin])
	ids(findings) == {"AIGOV-SBOM-006"}
}

test_stale_rules_wait_for_a_parsed_sbom if {
	findings := sbom.deny with input as doc("high", {"declared": true, "path": "svc/sbom.cdx.json", "exists": false}, [boto_pin])
	ids(findings) == {"AIGOV-SBOM-001"}
}

# AIGOV-SBOM-008

repeated_ref := {"path": "$.formulation[0].workspaces[0]['bom-ref']", "message": "bom-ref 'ws-1' is already used at $.components[0]['bom-ref']; bom-refs should be unique", "line": 251}

test_repeated_bom_ref_warns_at_its_line if {
	findings := sbom.deny with input as doc("high", object.union(good_sbom, {"repeated_bom_refs": [repeated_ref]}), [boto_pin])
	ids(findings) == {"AIGOV-SBOM-008"}
	some f in findings
	f.path == "svc/sbom.cdx.json"
	f.line == 251
	contains(f.msg, "bom-ref 'ws-1' is already used")
}

test_repeated_bom_ref_without_a_line_points_at_the_start if {
	findings := sbom.deny with input as doc("high", object.union(good_sbom, {"repeated_bom_refs": [object.remove(repeated_ref, ["line"])]}), [boto_pin])
	some f in findings
	f.id == "AIGOV-SBOM-008"
	f.line == 1
}

test_no_repeated_bom_refs_no_warning if {
	not "AIGOV-SBOM-008" in ids(sbom.deny) with input as doc("high", object.union(good_sbom, {"repeated_bom_refs": []}), [boto_pin])
}
