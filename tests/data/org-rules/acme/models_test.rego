package acme.models_test

import rego.v1

import data.acme.models

feature(tier, declared) := {"feature": {
	"manifest_path": "svc/aigov.yaml", "lines": {"spec.models": 9, "spec.models[0].id": 10, "spec.models[1].id": 13},
	"manifest": {"spec": {"riskTier": tier, "models": declared}},
}}

claude := {"id": "anthropic.claude-sonnet-4", "provider": "bedrock", "purpose": "summarization"}

test_a_medium_feature_with_one_known_model_passes if {
	count(models.deny) == 0 with input as feature("medium", [claude])
}

test_a_high_feature_needs_a_fallback if {
	[f.msg | some f in models.deny] == ["high-tier feature declares 1 model(s); declare a fallback"] with input as feature("high", [claude])
}

test_a_model_without_its_provider_prefix if {
	found := models.deny with input as feature("medium", [claude, {"id": "claude-3", "provider": "bedrock", "purpose": "summarization"}])
	[[f.id, f.line] | some f in found] == [["ACME-MODEL-002", 13]]
}

test_unknown_purposes_are_grouped if {
	found := models.deny with input as feature("low", [object.union(claude, {"purpose": "chat"}), {"id": "gpt-4o", "provider": "openai"}])
	{f.msg | some f in found; f.id == "ACME-MODEL-003"} == {"unknown purposes: chat (anthropic.claude-sonnet-4); unspecified (gpt-4o)"}
	{f.msg | some f in found; f.id == "ACME-MODEL-004"} == {"2 providers (bedrock, openai), low tier allows 1"}
}
