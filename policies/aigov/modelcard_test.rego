package aigov.modelcard_test

import rego.v1

import data.aigov.modelcard

settings := {"model_card": {
	"max_review_age_days": {"low": 365, "medium": 180, "high": 90},
	"sections": {
		"intended_use": {"title": "intended use", "patterns": ["^(intended )?uses?\\b"]},
		"limitations": {"title": "limitations and risks", "patterns": ["limitations", "\\brisks?\\b"]},
		"evaluation": {"title": "evaluation", "patterns": ["^evaluations?\\b"]},
	},
}}

good_headings := [
	{"text": "Intended use", "level": 2, "line": 8, "has_content": true},
	{"text": "Limitations and risks", "level": 2, "line": 12, "has_content": true},
	{"text": "Evaluation", "level": 2, "line": 16, "has_content": true},
]

card(front, headings) := {
	"path": "svc/MODEL_CARD.md",
	"exists": true,
	"front_matter": front,
	"errors": [],
	"lines": {"models": 2, "last_reviewed": 4},
	"headings": headings,
}

good_front := {"models": ["m1"], "owners": ["team"], "last_reviewed": "2026-10-01"}

doc(tier, model_card) := {
	"now": "2026-11-23T12:00:00Z",
	"feature": {
		"manifest_path": "svc/aigov.yaml",
		"lines": {"spec.modelCard": 14},
		"manifest": {"spec": {"riskTier": tier, "models": [{"id": "m1"}]}},
		"model_card": model_card,
	},
}

test_complete_card_passes if {
	found := modelcard.deny with input as doc("medium", card(good_front, good_headings)) with data.aigov.settings as settings
	count(found) == 0
}

test_missing_card_points_at_manifest if {
	found := modelcard.deny with input as doc("low", {"path": "svc/MODEL_CARD.md", "exists": false}) with data.aigov.settings as settings
	some f in found
	f.id == "AIGOV-CARD-001"
	f.path == "svc/aigov.yaml"
	f.line == 14
	count(found) == 1
}

test_card_without_front_matter if {
	found := modelcard.deny with input as doc("low", card(null, good_headings)) with data.aigov.settings as settings
	{f.id | some f in found} == {"AIGOV-CARD-002"}
}

test_schema_errors_become_findings_at_their_line if {
	bad := json.patch(card({"owners": ["t"]}, good_headings), [{"op": "replace", "path": "/errors", "value": [{"field": "", "message": "'models' is a required property", "line": 1}, {"field": "owners[0]", "message": "too short", "line": 3}]}])
	found := modelcard.deny with input as doc("low", bad) with data.aigov.settings as settings
	lines := {f.line | some f in found; f.id == "AIGOV-CARD-003"}
	lines == {1, 3}
	some f in found
	f.line == 3
	contains(f.msg, "owners[0]: too short")
}

test_card_may_name_a_declared_model_by_an_alias if {
	registry := {"models": [{"id": "m1", "provider": "p", "status": "approved", "approvedTiers": ["low"], "aliases": ["m1-2025-01-01"]}]}
	front := json.patch(good_front, [{"op": "replace", "path": "/models", "value": ["m1-2025-01-01"]}])
	found := modelcard.deny with input as doc("low", card(front, good_headings)) with data.aigov.settings as settings with data.aigov.registry as registry
	count(found) == 0
}

test_card_must_cover_every_declared_model if {
	front := json.patch(good_front, [{"op": "replace", "path": "/models", "value": ["other"]}])
	found := modelcard.deny with input as doc("low", card(front, good_headings)) with data.aigov.settings as settings
	some f in found
	f.id == "AIGOV-CARD-004"
	contains(f.msg, "m1")
	f.line == 2
}

test_review_age_limit_depends_on_tier if {
	low := modelcard.deny with input as doc("low", card(good_front, good_headings)) with data.aigov.settings as settings
	count(low) == 0
	front := json.patch(good_front, [{"op": "replace", "path": "/last_reviewed", "value": "2026-07-01"}])
	high := modelcard.deny with input as doc("high", card(front, good_headings)) with data.aigov.settings as settings
	some f in high
	f.id == "AIGOV-CARD-005"
	f.line == 4
	contains(f.msg, "145 days ago; high tier allows 90 days")
}

test_review_date_in_future_is_invalid if {
	front := json.patch(good_front, [{"op": "replace", "path": "/last_reviewed", "value": "2027-01-01"}])
	found := modelcard.deny with input as doc("low", card(front, good_headings)) with data.aigov.settings as settings
	{f.id | some f in found} == {"AIGOV-CARD-006"}
	some f in found
	f.line == 4
}

# The clock is 2026-11-23T12:00:00Z: the 24th has begun east of UTC+12, the 25th nowhere.
test_review_date_already_begun_somewhere_is_not_in_the_future if {
	days := ["2026-11-23", "2026-11-24"]
	every day in days {
		front := json.patch(good_front, [{"op": "replace", "path": "/last_reviewed", "value": day}])
		found := modelcard.deny with input as doc("low", card(front, good_headings)) with data.aigov.settings as settings
		count(found) == 0
	}
	front := json.patch(good_front, [{"op": "replace", "path": "/last_reviewed", "value": "2026-11-25"}])
	found := modelcard.deny with input as doc("low", card(front, good_headings)) with data.aigov.settings as settings
	{f.id | some f in found} == {"AIGOV-CARD-006"}
}

test_review_date_that_is_not_text_is_left_to_the_schema if {
	every value in [null, 5, ["2026-10-01"], true] {
		front := json.patch(good_front, [{"op": "replace", "path": "/last_reviewed", "value": value}])
		found := modelcard.deny with input as doc("high", card(front, good_headings)) with data.aigov.settings as settings
		count(found) == 0
	}
}

test_missing_sections_each_reported if {
	found := modelcard.deny with input as doc("low", card(good_front, [good_headings[0]])) with data.aigov.settings as settings
	msgs := {f.msg | some f in found; f.id == "AIGOV-CARD-007"}
	msgs == {"model card has no limitations and risks section", "model card has no evaluation section"}
}

test_hugging_face_headings_count if {
	hf := [
		{"text": "Uses", "level": 2, "line": 5, "has_content": true},
		{"text": "Bias, Risks, and Limitations", "level": 2, "line": 9, "has_content": true},
		{"text": "Evaluation", "level": 2, "line": 20, "has_content": true},
	]
	found := modelcard.deny with input as doc("low", card(good_front, hf)) with data.aigov.settings as settings
	count(found) == 0
}

test_empty_section_warns_at_heading if {
	empty := json.patch(good_headings, [{"op": "replace", "path": "/2/has_content", "value": false}])
	found := modelcard.deny with input as doc("low", card(good_front, empty)) with data.aigov.settings as settings
	some f in found
	f.id == "AIGOV-CARD-008"
	f.line == 16
	count(found) == 1
}

test_a_section_is_named_by_any_of_its_patterns_and_never_by_an_empty_list if {
	alternatives := json.patch(settings, [{"op": "replace", "path": "/model_card/sections/evaluation/patterns", "value": ["^benchmarks?$", "^evaluations?\\b"]}])
	found := modelcard.deny with input as doc("low", card(good_front, good_headings)) with data.aigov.settings as alternatives
	count(found) == 0
	none := json.patch(settings, [{"op": "replace", "path": "/model_card/sections/evaluation/patterns", "value": []}])
	missing := modelcard.deny with input as doc("low", card(good_front, good_headings)) with data.aigov.settings as none
	{f.msg | some f in missing} == {"model card has no evaluation section"}
}

test_an_empty_section_is_reported_at_each_heading_naming_it_unless_one_has_content if {
	two := array.concat(good_headings, [{"text": "Evaluation results", "level": 2, "line": 30, "has_content": false}])
	count(modelcard.deny) == 0 with input as doc("low", card(good_front, two)) with data.aigov.settings as settings
	empty := json.patch(two, [{"op": "replace", "path": "/2/has_content", "value": false}])
	found := modelcard.deny with input as doc("low", card(good_front, empty)) with data.aigov.settings as settings
	{[f.id, f.line] | some f in found} == {["AIGOV-CARD-008", 16], ["AIGOV-CARD-008", 30]}
}
