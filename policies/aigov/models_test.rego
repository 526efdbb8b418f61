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

test_a_sunset_tomorrow_is_in_one_day if {
	found := models.deny with input as json.patch(feature("medium", [{"id": "soon"}]), [{"op": "replace", "path": "/now", "value": "2027-01-14T00:00:00Z"}])
		with data.aigov.registry as registry with data.aigov.settings as settings
	some f in found
	endswith(f.msg, "is sunset on 2027-01-15, in 1 day")
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

# A reference as the collector reports it (how: call, config or mention).
ref(model, spelled, registered, how, path, line) := {"model": model, "spelled": spelled, "bare": spelled, "registered": registered, "how": how, "path": path, "line": line}

# `with` only applies in a rule body, so each test evaluates models.deny on code_input(...) itself.
code_input(tier, models, refs) := with_facts(tier, models, "model_references", refs)


test_undeclared_model_in_code_is_one_finding_listing_its_places if {
	refs := [
		ref("low-only", "low-only", true, "call", "svc/b.py", 9),
		ref("low-only", "low-only", true, "config", "svc/a.py", 7),
		ref("good", "good", true, "call", "svc/app.py", 9),
	]
	found := models.deny with input as code_input("low", [{"id": "good"}], refs) with data.aigov.registry as registry with data.aigov.settings as settings
	[f] := [x | some x in found]
	f.id == "AIGOV-MODEL-009"
	[f.path, f.line] == ["svc/a.py", 7]
	f.msg == "low-only is called but not declared in svc/aigov.yaml (svc/a.py:7, svc/b.py:9)"
}

test_places_past_five_are_counted if {
	refs := [ref("low-only", "low-only", true, "call", sprintf("svc/m%d.py", [i]), 1) | some i in numbers.range(1, 8)]
	found := models.deny with input as code_input("low", [{"id": "good"}], refs) with data.aigov.registry as registry with data.aigov.settings as settings
	[f] := [x | some x in found]
	endswith(f.msg, "svc/m5.py:1 and 3 more)")
}

test_a_mention_decides_nothing_and_is_listed_as_info if {
	refs := [ref("low-only", "low-only", true, "mention", "svc/app.py", 2), ref("gpt-9", "gpt-9", false, "mention", "svc/app.py", 3)]
	found := models.deny with input as code_input("low", [{"id": "good"}], refs) with data.aigov.registry as registry with data.aigov.settings as settings
	{[f.id, f.msg] | some f in found} == {
		["AIGOV-MODEL-013", "low-only is named but never called (svc/app.py:2)"],
		["AIGOV-MODEL-013", "gpt-9 is named but never called (svc/app.py:3)"],
	}
}

test_a_mention_of_a_called_or_declared_model_is_not_listed_again if {
	refs := [ref("good", "good", true, "mention", "svc/app.py", 2), ref("low-only", "low-only", true, "mention", "svc/app.py", 3), ref("low-only", "low-only", true, "call", "svc/app.py", 4)]
	found := models.deny with input as code_input("low", [{"id": "good"}, {"id": "low-only"}], refs) with data.aigov.registry as registry with data.aigov.settings as settings
	count(found) == 0
}

test_code_spelling_an_alias_of_a_declared_model_is_declared if {
	refs := [ref("low-only", "low-only-2024-08-06", true, "call", "svc/app.py", 3)]
	found := models.deny with input as code_input("low", [{"id": "low-only"}], refs) with data.aigov.registry as registry with data.aigov.settings as settings
	count(found) == 0
}

test_manifest_alias_covers_code_using_the_id if {
	refs := [ref("low-only", "low-only", true, "call", "svc/app.py", 3)]
	found := models.deny with input as code_input("low", [{"id": "openai/low-only"}], refs) with data.aigov.registry as registry with data.aigov.settings as settings
	count(found) == 0
}

test_undeclared_alias_in_code_names_the_registry_model if {
	refs := [ref("low-only", "low-only-2024-08-06", true, "call", "svc/app.py", 3)]
	found := models.deny with input as code_input("low", [{"id": "good"}], refs) with data.aigov.registry as registry with data.aigov.settings as settings
	[f] := [x | some x in found]
	f.id == "AIGOV-MODEL-009"
	f.msg == "low-only-2024-08-06 (low-only in the registry) is called but not declared in svc/aigov.yaml (svc/app.py:3)"
}

test_unregistered_model_in_code_is_one_finding_across_files if {
	refs := [
		object.union(ref("gpt-9-turbo", "gpt-9-turbo", false, "config", "svc/app.py", 12), {"provider": "openai"}),
		object.union(ref("gpt-9-turbo", "openai:gpt-9-turbo", false, "call", "svc/llm.py", 4), {"provider": "openai", "bare": "gpt-9-turbo"}),
	]
	found := models.deny with input as code_input("low", [{"id": "good"}], refs) with data.aigov.registry as registry with data.aigov.settings as settings
	[f] := [x | some x in found]
	f.id == "AIGOV-MODEL-010"
	[f.path, f.line] == ["svc/app.py", 12]
	f.msg == "gpt-9-turbo, openai:gpt-9-turbo is not in the approved-model registry (openai model id); the code calls it (svc/app.py:12, svc/llm.py:4)"
	contains(f.remediation, "file a request")
}

test_unregistered_model_without_a_known_provider if {
	found := models.deny with input as code_input("low", [{"id": "good"}], [ref("acme-7b", "acme-7b", false, "call", "svc/app.py", 1)]) with data.aigov.registry as registry with data.aigov.settings as settings
	[f] := [x | some x in found]
	f.msg == "acme-7b is not in the approved-model registry; the code calls it (svc/app.py:1)"
}

test_a_declared_unregistered_model_is_not_reported_again_in_the_code if {
	found := models.deny with input as code_input("low", [{"id": "gpt-9-turbo"}], [ref("gpt-9-turbo", "gpt-9-turbo", false, "call", "svc/app.py", 1)]) with data.aigov.registry as registry with data.aigov.settings as settings
	{f.id | some f in found} == {"AIGOV-MODEL-001"}
}

# The collector resolves declared ids as it resolves the code's (declared_models facts).
with_declared(tier, models, declared, refs) := json.patch(feature(tier, models), [
	{"op": "replace", "path": "/feature/model_references", "value": refs},
	{"op": "add", "path": "/feature/declared_models", "value": declared},
])

test_a_declared_router_id_reconciles_with_the_bare_id_in_the_code_and_the_reverse if {
	declared := [{"id": "openrouter/acme/acme-7b", "model": "acme-7b", "registered": false, "bare": "acme-7b"}]
	doc := with_declared("low", [{"id": "openrouter/acme/acme-7b"}], declared, [ref("acme-7b", "acme-7b", false, "call", "svc/app.py", 1)])
	found := models.deny with input as doc with data.aigov.registry as registry with data.aigov.settings as settings
	{f.id | some f in found} == {"AIGOV-MODEL-001"}
	bare := [{"id": "acme-7b", "model": "acme-7b", "registered": false, "bare": "acme-7b"}]
	routed := object.union(ref("acme-7b", "openrouter/acme/acme-7b", false, "call", "svc/app.py", 1), {"router": "openrouter"})
	doc2 := with_declared("low", [{"id": "acme-7b"}], bare, [routed])
	found2 := models.deny with input as doc2 with data.aigov.registry as registry with data.aigov.settings as settings
	{f.id | some f in found2} == {"AIGOV-MODEL-001"}
}

test_a_declared_router_spelling_of_a_registered_model_is_that_model if {
	declared := [{"id": "openrouter/openai/low-only", "model": "low-only", "registered": true, "bare": "low-only"}]
	doc := with_declared("low", [{"id": "openrouter/openai/low-only"}], declared, [ref("low-only", "low-only", true, "call", "svc/app.py", 1)])
	count(models.deny) == 0 with input as doc with data.aigov.registry as registry with data.aigov.settings as settings
	doc_high := with_declared("high", [{"id": "openrouter/openai/low-only"}], declared, [])
	found := models.deny with input as doc_high with data.aigov.registry as registry with data.aigov.settings as settings
	some f in found
	f.id == "AIGOV-MODEL-005"
	f.msg == "model openrouter/openai/low-only (low-only in the registry) is approved for tiers [low], not for high"
}

test_banned_model_called_is_critical_declared_or_not if {
	refs := [ref("evil", "org/evil-7b", true, "call", "svc/app.py", 5)]
	undeclared := models.deny with input as code_input("low", [{"id": "good"}], refs) with data.aigov.registry as registry with data.aigov.settings as settings
	[f] := [x | some x in undeclared]
	f.id == "AIGOV-MODEL-012"
	f.msg == "org/evil-7b (evil in the registry) is banned (licence); the code calls it (svc/app.py:5); use good instead"
	f.remediation == "Replace evil in the code: use good instead"
	declared := models.deny with input as code_input("low", [{"id": "evil"}], refs) with data.aigov.registry as registry with data.aigov.settings as settings
	{g.id | some g in declared} == {"AIGOV-MODEL-003", "AIGOV-MODEL-012"}
}

test_model_not_approved_for_the_tier_called_is_critical_and_offers_the_tiers_models if {
	found := models.deny with input as code_input("medium", [{"id": "later"}], [ref("low-only", "low-only", true, "config", "svc/app.py", 2)]) with data.aigov.registry as registry with data.aigov.settings as settings
	[f] := [x | some x in found]
	f.id == "AIGOV-MODEL-012"
	f.msg == "low-only is approved for tiers [low], not for medium; the code calls it (svc/app.py:2); use one approved for medium tier: good, later, soon"
	f.remediation == "Replace low-only in the code: use one approved for medium tier: good, later, soon"
}

test_sunset_deprecated_and_in_review_models_called_are_critical if {
	refs := [ref("gone", "gone", true, "call", "svc/a.py", 1), ref("old", "old", true, "call", "svc/b.py", 1), ref("reviewing", "reviewing", true, "call", "svc/c.py", 1)]
	found := models.deny with input as code_input("low", [{"id": "good"}], refs) with data.aigov.registry as registry with data.aigov.settings as settings
	{f.msg | some f in found; f.id == "AIGOV-MODEL-012"} == {
		"gone is past its sunset (2026-01-01); the code calls it (svc/a.py:1); use one approved for low tier: good, low-only",
		"old is deprecated; the code calls it (svc/b.py:1); use good instead",
		"reviewing is in review, not yet approved; the code calls it (svc/c.py:1); use one approved for low tier: good, low-only",
	}
}

test_a_replacement_not_approved_for_the_tier_is_not_offered if {
	reg := json.patch(registry, [{"op": "add", "path": "/models/-", "value": {"id": "retired", "provider": "openai", "status": "deprecated", "approvedTiers": [], "replacement": "low-only"}}])
	found := models.deny with input as with_facts("medium", [{"id": "good"}], "model_references", [ref("retired", "retired", true, "call", "svc/a.py", 1)]) with data.aigov.registry as reg with data.aigov.settings as settings
	[f] := [x | some x in found]
	f.remediation == "Replace retired in the code: use one approved for medium tier: good, later, soon"
}

test_no_model_approved_for_the_tier_says_how_to_get_one if {
	reg := {"approvalProcess": "file a request", "models": [{"id": "evil", "provider": "hf", "status": "banned", "approvedTiers": []}]}
	found := models.deny with input as with_facts("high", [], "model_references", [ref("evil", "evil", true, "call", "svc/a.py", 1)]) with data.aigov.registry as reg with data.aigov.settings as settings
	[f] := [x | some x in found]
	f.remediation == "Replace evil in the code: no model is approved for high tier yet: file a request"
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

test_a_model_only_the_evals_run_needs_no_declaration if {
	refs := [ref("low-only", "low-only", true, "eval", "svc/promptfooconfig.yaml", 3)]
	found := models.deny with input as code_input("low", [{"id": "good"}], refs) with data.aigov.registry as registry with data.aigov.settings as settings
	count(found) == 0
}

test_a_model_the_evals_run_may_not_be_one_the_tier_may_not_use if {
	refs := [ref("low-only", "low-only", true, "eval", "svc/promptfooconfig.yaml", 3)]
	found := models.deny with input as code_input("high", [{"id": "good"}], refs) with data.aigov.registry as registry with data.aigov.settings as settings
	[f] := [x | some x in found; x.id == "AIGOV-MODEL-012"]
	contains(f.msg, "its evals run it (svc/promptfooconfig.yaml:3)")
	startswith(f.remediation, "Replace low-only in the eval config: ")
}

# Code the feature does not ship (unshipped_calls, beside the shipped code's references): only a model no
# feature may use is judged there (one approved for another tier, or for this one, is not); its places
# join those of the shipped code.
unshipped_input(tier, models, refs) := json.patch(code_input(tier, models, [ref("old", "old", true, "call", "svc/app.py", 3)]),
	[{"op": "add", "path": "/feature/unshipped_calls", "value": refs}])

test_code_the_feature_does_not_ship_may_not_call_a_model_no_feature_may_use if {
	refs := [
		ref("evil", "org/evil-7b", true, "call", "svc/scripts/backfill.py", 4),
		ref("gone", "gone", true, "call", "svc/scripts/backfill.py", 7),
		ref("reviewing", "reviewing", true, "call", "svc/examples/demo.py", 2),
		ref("low-only", "low-only", true, "call", "svc/scripts/seed.py", 1),
		ref("good", "good", true, "call", "svc/scripts/seed.py", 2),
		ref("old", "old", true, "call", "svc/scripts/seed.py", 5),
	]
	found := models.deny with input as unshipped_input("high", [{"id": "good"}], refs) with data.aigov.registry as registry with data.aigov.settings as settings
	{[f.id, f.path, f.line] | some f in found} == {
		["AIGOV-MODEL-012", "svc/scripts/backfill.py", 4],
		["AIGOV-MODEL-012", "svc/scripts/backfill.py", 7],
		["AIGOV-MODEL-012", "svc/examples/demo.py", 2],
		["AIGOV-MODEL-012", "svc/app.py", 3],
	}
	some old in found
	old.path == "svc/app.py"
	contains(old.msg, "; the code calls it (svc/app.py:3, svc/scripts/seed.py:5);")
	some f in found
	f.path == "svc/scripts/backfill.py"
	f.line == 4
	f.msg == "org/evil-7b (evil in the registry) is banned (licence); code the feature does not ship calls it (svc/scripts/backfill.py:4); use good instead"
	f.remediation == "Replace evil in the code the feature does not ship: use good instead"
}
