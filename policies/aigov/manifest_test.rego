package aigov.manifest_test

import rego.v1

import data.aigov.manifest

doc(spec, lines) := {"feature": {"manifest_path": "svc/aigov.yaml", "lines": lines, "manifest": {"spec": spec}, "paths": {"docs/risk.md": true, "docs/gone.md": false}}}

complete_oversight := {
	"humanOversight": "human-in-the-loop",
	"incidentContact": "#ai-oncall",
	"riskAssessment": "docs/risk.md",
}

test_high_tier_with_oversight_passes if {
	found := manifest.deny with input as doc({"riskTier": "high", "dataClassification": "internal", "oversight": complete_oversight}, {})
	count(found) == 0
}

test_high_tier_without_oversight_block_reports_all_three_at_spec if {
	found := manifest.deny with input as doc({"riskTier": "high", "dataClassification": "internal"}, {"spec": 6})
	{f.id | some f in found} == {"AIGOV-MANIFEST-001", "AIGOV-MANIFEST-002", "AIGOV-MANIFEST-003"}
	every f in found { f.line == 6 }
}

test_oversight_none_counts_as_missing_and_points_at_field if {
	o := json.patch(complete_oversight, [{"op": "replace", "path": "/humanOversight", "value": "none"}])
	found := manifest.deny with input as doc({"riskTier": "high", "dataClassification": "internal", "oversight": o}, {"spec.oversight": 20, "spec.oversight.humanOversight": 21})
	some f in found
	f.id == "AIGOV-MANIFEST-001"
	f.line == 21
	count(found) == 1
}

test_missing_field_points_at_oversight_block if {
	o := json.remove(complete_oversight, ["incidentContact"])
	found := manifest.deny with input as doc({"riskTier": "high", "dataClassification": "internal", "oversight": o}, {"spec": 6, "spec.oversight": 20})
	some f in found
	f.id == "AIGOV-MANIFEST-002"
	f.line == 20
}

test_low_tier_needs_no_oversight if {
	found := manifest.deny with input as doc({"riskTier": "low", "dataClassification": "public"}, {})
	count(found) == 0
}

test_missing_risk_assessment_file if {
	o := json.patch(complete_oversight, [{"op": "replace", "path": "/riskAssessment", "value": "docs/gone.md"}])
	found := manifest.deny with input as doc({"riskTier": "high", "dataClassification": "internal", "oversight": o}, {})
	{f.id | some f in found} == {"AIGOV-MANIFEST-004"}
}

test_risk_assessment_url_is_not_checked_on_disk if {
	o := json.patch(complete_oversight, [{"op": "replace", "path": "/riskAssessment", "value": "https://wiki.example.com/risk/42"}])
	found := manifest.deny with input as doc({"riskTier": "high", "dataClassification": "internal", "oversight": o}, {})
	count(found) == 0
}

test_confidential_data_at_low_tier if {
	found := manifest.deny with input as doc({"riskTier": "low", "dataClassification": "confidential"}, {"spec.dataClassification": 9})
	some f in found
	f.id == "AIGOV-MANIFEST-005"
	f.line == 9
}

kinded := {"models": [
	{"id": "writer", "provider": "openai", "kind": "chat", "status": "approved", "approvedTiers": ["low", "medium", "high"], "aliases": ["writer-2025"]},
	{"id": "embedder", "provider": "openai", "kind": "embedding", "status": "approved", "approvedTiers": ["low", "medium", "high"]},
	{"id": "trees", "provider": "internal", "kind": "classic-ml", "status": "approved", "approvedTiers": ["medium"]},
	{"id": "unsaid", "provider": "openai", "status": "approved", "approvedTiers": ["medium"]},
]}

kind_doc(models) := doc({"riskTier": "medium", "dataClassification": "internal", "models": models}, {"spec.models[1].id": 14})

test_a_model_of_the_kind_its_role_needs_passes if {
	found := manifest.deny with input as kind_doc([{"id": "writer", "kind": "chat"}, {"id": "writer-2025", "kind": "chat"}]) with data.aigov.registry as kinded
	count(found) == 0
}

test_an_embedding_model_as_the_chat_model_names_the_chat_models_of_the_tier if {
	found := manifest.deny with input as kind_doc([{"id": "writer", "kind": "chat"}, {"id": "embedder", "kind": "chat"}]) with data.aigov.registry as kinded
	count(found) == 1
	some f in found
	f.id == "AIGOV-MANIFEST-006"
	f.msg == "model embedder is an embedding model, but spec.models[1] needs a chat model"
	f.line == 14
	f.remediation == "Use a chat model approved for medium tier: writer"
}

test_a_model_the_registry_gives_no_kind_cannot_be_verified if {
	found := manifest.deny with input as kind_doc([{"id": "writer"}, {"id": "unsaid", "kind": "classic-ml"}]) with data.aigov.registry as kinded
	count(found) == 1
	some f in found
	contains(f.msg, "the registry does not say what kind of model unsaid is")
	f.remediation == "Use a classic-ml model approved for medium tier: trees"
}

test_a_model_without_a_declared_kind_is_not_judged_by_kind if {
	found := manifest.deny with input as kind_doc([{"id": "embedder"}]) with data.aigov.registry as kinded
	count(found) == 0
}
