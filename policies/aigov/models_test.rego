package aigov.models_test

import rego.v1

import data.aigov.models

registry := {"approvalProcess": "file a request", "models": [
	{"id": "good", "provider": "bedrock", "status": "approved", "approvedTiers": ["low", "medium", "high"]},
	{"id": "low-only", "provider": "openai", "status": "approved", "approvedTiers": ["low"], "aliases": ["low-only-2024-08-06", "openai/low-only"]},
	{"id": "reviewing", "provider": "bedrock", "status": "in-review", "approvedTiers": []},
	{"id": "evil", "provider": "hf", "status": "banned", "approvedTiers": [], "replacement": "good", "notes": "licence", "aliases": ["org/evil-7b"]},
	{"id": "old", "provider": "openai", "status": "deprecated", "approvedTiers": ["low"], "replacement": "good"},
	{"id": "gone", "provider": "openai", "status": "approved", "approvedTiers": ["medium"], "sunset": "2026-01-01"},
	{"id": "soon", "provider": "openai", "status": "approved", "approvedTiers": ["medium"], "sunset": "2027-01-15"},
	{"id": "later", "provider": "openai", "status": "approved", "approvedTiers": ["medium"], "sunset": "2027-12-31"},
]}

settings := {"sunset_warning_days": 90}

feature(tier, models) := {
	"now": "2026-11-23T12:00:00Z",
	"feature": {
		"manifest_path": "svc/aigov.yaml",
		"lines": {"spec.models[0].id": 11, "spec.models[0].provider": 12},
		"manifest": {"spec": {"riskTier": tier, "models": models}},
		"model_references": [],
		"unscanned_files": [],
	},
}

# `with` only works inside a rule body, so each test evaluates `models.deny` itself.

test_approved_model_passes if {
	found := models.deny with input as feature("high", [{"id": "good", "provider": "bedrock"}]) with data.aigov.registry as registry with data.aigov.settings as settings
	count(found) == 0
}

test_unknown_model_blocks_at_its_line if {
	found := models.deny with input as feature("low", [{"id": "mystery"}]) with data.aigov.registry as registry with data.aigov.settings as settings
	some f in found
	f.id == "AIGOV-MODEL-001"
	f.path == "svc/aigov.yaml"
	f.line == 11
	contains(f.remediation, "file a request")
}

test_in_review_says_how_to_get_approval if {
	found := models.deny with input as feature("medium", [{"id": "reviewing"}]) with data.aigov.registry as registry with data.aigov.settings as settings
	some f in found
	f.id == "AIGOV-MODEL-002"
	contains(f.remediation, "file a request")
	contains(f.remediation, "good")
}

test_banned_names_replacement if {
	found := models.deny with input as feature("low", [{"id": "evil"}]) with data.aigov.registry as registry with data.aigov.settings as settings
	some f in found
	f.id == "AIGOV-MODEL-003"
	contains(f.msg, "licence")
	contains(f.remediation, "use good instead")
}

test_deprecated_blocks if {
	found := models.deny with input as feature("low", [{"id": "old"}]) with data.aigov.registry as registry with data.aigov.settings as settings
	"AIGOV-MODEL-004" in {f.id | some f in found}
}

test_wrong_tier_blocks_and_lists_alternatives if {
	found := models.deny with input as feature("high", [{"id": "low-only"}]) with data.aigov.registry as registry with data.aigov.settings as settings
	some f in found
	f.id == "AIGOV-MODEL-005"
	contains(f.msg, "not for high")
	contains(f.remediation, "(good)")
}

test_right_tier_passes if {
	found := models.deny with input as feature("low", [{"id": "low-only"}]) with data.aigov.registry as registry with data.aigov.settings as settings
	count(found) == 0
}

test_past_sunset_blocks if {
	found := models.deny with input as feature("medium", [{"id": "gone"}]) with data.aigov.registry as registry with data.aigov.settings as settings
	{f.id | some f in found} == {"AIGOV-MODEL-006"}
}

test_sunset_within_window_warns if {
	found := models.deny with input as feature("medium", [{"id": "soon"}]) with data.aigov.registry as registry with data.aigov.settings as settings
	some f in found
	f.id == "AIGOV-MODEL-007"
	contains(f.msg, "in 52 days")
	count(found) == 1
}

test_sunset_far_away_is_quiet if {
	found := models.deny with input as feature("medium", [{"id": "later"}]) with data.aigov.registry as registry with data.aigov.settings as settings
	count(found) == 0
}

test_sunset_models_not_offered_as_alternatives if {
	found := models.deny with input as feature("medium", [{"id": "low-only"}]) with data.aigov.registry as registry with data.aigov.settings as settings
	some f in found
	f.id == "AIGOV-MODEL-005"
	not contains(f.remediation, "gone")
	contains(f.remediation, "later")
}

test_provider_mismatch_warns_at_provider_line if {
	found := models.deny with input as feature("high", [{"id": "good", "provider": "openai"}]) with data.aigov.registry as registry with data.aigov.settings as settings
	some f in found
	f.id == "AIGOV-MODEL-008"
	f.line == 12
}

test_missing_provider_is_not_a_mismatch if {
	found := models.deny with input as feature("high", [{"id": "good"}]) with data.aigov.registry as registry with data.aigov.settings as settings
	count(found) == 0
}

test_undeclared_model_in_code_is_found if {
	base := feature("low", [{"id": "good"}])
	refs := [
		{"model": "low-only", "spelled": "low-only", "registered": true, "path": "svc/app.py", "line": 7},
		{"model": "good", "spelled": "good", "registered": true, "path": "svc/app.py", "line": 9},
	]
	doc := json.patch(base, [{"op": "replace", "path": "/feature/model_references", "value": refs}])
	found := models.deny with input as doc with data.aigov.registry as registry with data.aigov.settings as settings
	some f in found
	f.id == "AIGOV-MODEL-009"
	f.path == "svc/app.py"
	f.line == 7
	count(found) == 1
}

with_facts(tier, models, key, value) := json.patch(feature(tier, models), [{"op": "replace", "path": sprintf("/feature/%s", [key]), "value": value}])

test_alias_in_manifest_is_the_model_for_its_tier if {
	found := models.deny with input as feature("high", [{"id": "low-only-2024-08-06"}]) with data.aigov.registry as registry with data.aigov.settings as settings
	count(found) == 1
	some f in found
	f.id == "AIGOV-MODEL-005"
	f.msg == "model low-only-2024-08-06 (low-only in the registry) is approved for tiers [low], not for high"
}

test_alias_of_approved_model_passes_at_its_tier if {
	found := models.deny with input as feature("low", [{"id": "openai/low-only"}]) with data.aigov.registry as registry with data.aigov.settings as settings
	count(found) == 0
}

test_alias_of_banned_model_is_banned if {
	found := models.deny with input as feature("low", [{"id": "org/evil-7b"}]) with data.aigov.registry as registry with data.aigov.settings as settings
	"AIGOV-MODEL-003" in {f.id | some f in found}
}

test_code_spelling_an_alias_of_a_declared_model_is_declared if {
	refs := [{"model": "low-only", "spelled": "low-only-2024-08-06", "registered": true, "path": "svc/app.py", "line": 3}]
	found := models.deny with input as with_facts("low", [{"id": "low-only"}], "model_references", refs) with data.aigov.registry as registry with data.aigov.settings as settings
	count(found) == 0
}

test_manifest_alias_covers_code_using_the_id if {
	refs := [{"model": "low-only", "spelled": "low-only", "registered": true, "path": "svc/app.py", "line": 3}]
	found := models.deny with input as with_facts("low", [{"id": "openai/low-only"}], "model_references", refs) with data.aigov.registry as registry with data.aigov.settings as settings
	count(found) == 0
}

test_undeclared_alias_in_code_names_the_registry_model if {
	refs := [{"model": "low-only", "spelled": "low-only-2024-08-06", "registered": true, "path": "svc/app.py", "line": 3}]
	found := models.deny with input as with_facts("low", [{"id": "good"}], "model_references", refs) with data.aigov.registry as registry with data.aigov.settings as settings
	count(found) == 1
	some f in found
	f.id == "AIGOV-MODEL-009"
	f.msg == "low-only-2024-08-06 (low-only in the registry) is used here but not declared in svc/aigov.yaml"
}

test_unregistered_model_in_code_blocks_at_its_line if {
	refs := [{"model": "gpt-9-turbo", "spelled": "gpt-9-turbo", "registered": false, "provider": "openai", "path": "svc/app.py", "line": 12}]
	found := models.deny with input as with_facts("low", [{"id": "good"}], "model_references", refs) with data.aigov.registry as registry with data.aigov.settings as settings
	count(found) == 1
	some f in found
	f.id == "AIGOV-MODEL-010"
	f.path == "svc/app.py"
	f.line == 12
	f.msg == "gpt-9-turbo looks like a openai model id but is not in the approved-model registry"
	contains(f.remediation, "file a request")
}

test_unscanned_file_cannot_be_verified if {
	files := [{"path": "svc/big.json", "reason": "is not UTF-8 text", "line": 4}]
	found := models.deny with input as with_facts("low", [{"id": "good"}], "unscanned_files", files) with data.aigov.registry as registry with data.aigov.settings as settings
	count(found) == 1
	some f in found
	f.id == "AIGOV-MODEL-011"
	f.path == "svc/big.json"
	f.line == 4
	f.msg == "cannot verify which models svc/big.json calls: it is not UTF-8 text"
}

kinded := {"models": [
	{"id": "writer", "provider": "openai", "kind": "chat", "status": "approved", "approvedTiers": ["low", "medium", "high"]},
	{"id": "small-writer", "provider": "openai", "kind": "chat", "status": "approved", "approvedTiers": ["low"]},
	{"id": "embedder", "provider": "openai", "kind": "embedding", "status": "approved", "approvedTiers": ["low", "medium", "high"]},
	{"id": "trees", "provider": "internal", "kind": "classic-ml", "status": "approved", "approvedTiers": ["low", "medium", "high"]},
]}

test_alternatives_for_the_wrong_tier_are_of_the_same_kind if {
	found := models.deny with input as feature("high", [{"id": "small-writer"}]) with data.aigov.registry as kinded with data.aigov.settings as settings
	some f in found
	f.id == "AIGOV-MODEL-005"
	startswith(f.remediation, "Use a chat model approved for high tier (writer), or request")
}

test_the_kind_the_manifest_declares_chooses_the_alternatives if {
	found := models.deny with input as feature("high", [{"id": "small-writer", "kind": "classic-ml"}]) with data.aigov.registry as kinded with data.aigov.settings as settings
	some f in found
	f.id == "AIGOV-MODEL-005"
	startswith(f.remediation, "Use a classic-ml model approved for high tier (trees)")
}

test_no_alternative_of_the_kind_says_none if {
	only_low := {"models": [{"id": "small-writer", "provider": "openai", "kind": "chat", "status": "approved", "approvedTiers": ["low"]}]}
	found := models.deny with input as feature("high", [{"id": "small-writer"}]) with data.aigov.registry as only_low with data.aigov.settings as settings
	some f in found
	startswith(f.remediation, "Use a chat model approved for high tier (none)")
}
