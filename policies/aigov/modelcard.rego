# METADATA
# title: Model card
# description: A current model card with valid metadata covers every model the feature declares and documents intended use, limitations and risks, and evaluation.
package aigov.modelcard

import rego.v1

import data.aigov.lib
import data.aigov.models

card := input.feature.model_card

settings := data.aigov.settings.model_card

front := card.front_matter

# Where a line of the model card is.
card_at(line) := {"path": card.path, "line": line}

# The line of a front matter field (1, the opening '---', if unknown).
card_line(field) := object.get(object.get(card, "lines", {}), field, 1)

# METADATA
# title: Model card is missing
# description: The manifest names a model card that does not exist.
# custom:
#   id: AIGOV-CARD-001
#   severity: high
#   remediation: Create the model card at the path in spec.modelCard (aigov new writes a filled-in MODEL_CARD.md to start from).
deny contains finding if {
	not card.exists
	finding := lib.finding(rego.metadata.rule().custom.id, sprintf("model card %s does not exist", [card.path]), lib.manifest_field("spec.modelCard"))
}

# METADATA
# title: Model card has no metadata
# description: The model card has no YAML front matter, so its models, owners and review date cannot be checked.
# custom:
#   id: AIGOV-CARD-002
#   severity: high
#   remediation: "Start the model card with YAML front matter between '---' lines holding models, owners and last_reviewed."
deny contains finding if {
	card.exists
	front == null
	count(card.errors) == 0
	finding := lib.finding(rego.metadata.rule().custom.id, "model card has no YAML front matter", card_at(1))
}

# METADATA
# title: Model card metadata is invalid
# description: The model card's front matter does not match schemas/model-card.schema.json.
# custom:
#   id: AIGOV-CARD-003
#   severity: high
#   remediation: Fix the field named in the message; see schemas/model-card.schema.json for the expected shape.
deny contains finding if {
	card.exists
	some err in card.errors
	field := object.get(err, "field", "")
	msg := concat("", [sprintf("model card metadata %s", [field]), ": ", err.message])
	finding := lib.finding(rego.metadata.rule().custom.id, trim_space(replace(msg, "metadata :", "metadata:")), card_at(err.line))
}

# METADATA
# title: Model card does not cover a declared model
# description: Every model in the manifest must be listed in the model card's `models` metadata (by its registry id or one of its aliases).
# custom:
#   id: AIGOV-CARD-004
#   severity: high
#   remediation: Add the model id to `models` in the model card's front matter and document it.
deny contains finding if {
	is_array(front.models)
	covered := {models.registry_id(m) | some m in front.models}
	some model in lib.spec.models
	not models.registry_id(model.id) in covered
	finding := lib.finding(rego.metadata.rule().custom.id, sprintf("model card does not cover model %s declared in %s", [model.id, input.feature.manifest_path]), card_at(card_line("models")))
}

# METADATA
# title: Model card review is overdue
# description: The model card's last_reviewed date is older than the limit for the feature's risk tier.
# custom:
#   id: AIGOV-CARD-005
#   severity: high
#   remediation: Review the model card with the feature's owners and update last_reviewed.
deny contains finding if {
	reviewed := front.last_reviewed
	is_string(reviewed) # blank or not text is AIGOV-CARD-003; regex.match on a non-string is an engine error
	regex.match(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`, reviewed)
	limit := settings.max_review_age_days[lib.spec.riskTier]
	age := lib.days_since(reviewed)
	age > limit
	finding := lib.finding(
		rego.metadata.rule().custom.id,
		sprintf("model card was last reviewed on %s, %s ago; %s tier allows %s", [reviewed, lib.counted(age, "day"), lib.spec.riskTier, lib.counted(limit, "day")]),
		card_at(card_line("last_reviewed")),
	)
}

# METADATA
# title: Model card review date is in the future
# description: A last_reviewed date that has not begun anywhere yet cannot be true, and would postpone the next review; the model card metadata is invalid.
# custom:
#   id: AIGOV-CARD-006
#   severity: high
#   remediation: Set last_reviewed to the date the review actually happened.
deny contains finding if {
	reviewed := front.last_reviewed
	is_string(reviewed) # blank or not text is AIGOV-CARD-003; regex.match on a non-string is an engine error
	regex.match(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`, reviewed)
	lib.in_future(reviewed)
	finding := lib.finding(rego.metadata.rule().custom.id, sprintf("model card last_reviewed %s is in the future", [reviewed]), card_at(card_line("last_reviewed")))
}

# The card's headings (their indices) that name each required section: those matching any of its
# patterns, case-insensitively. One value per evaluation, and one expression per section (the patterns
# as alternatives): regex.match compiles its pattern on every call, and matching per rule, per section
# and per pattern cost more than every other rule of the pack together.
section_headings := {key: headings |
	some key, section in settings.sections
	headings := {i |
		count(section.patterns) > 0 # no alternatives would match every heading: no pattern, no heading names it
		any_pattern := concat("", ["(?i)", concat("|", [sprintf("(?:%s)", [pattern]) | some pattern in section.patterns])])
		some i, heading in card.headings
		regex.match(any_pattern, trim_space(heading.text))
	}
}

# METADATA
# title: Model card lacks a required section
# description: The model card must document intended use, limitations and risks, and evaluation (plain or Hugging Face template headings).
# custom:
#   id: AIGOV-CARD-007
#   severity: high
#   remediation: "Add the section as a Markdown heading (for example '## Intended use', '## Limitations and risks', '## Evaluation') with real content."
deny contains finding if {
	card.exists
	some key, section in settings.sections
	count(section_headings[key]) == 0
	finding := lib.finding(rego.metadata.rule().custom.id, sprintf("model card has no %s section", [section.title]), card_at(1))
}

# METADATA
# title: Model card section is empty
# description: A required section exists but holds no content, or only a placeholder such as "[More Information Needed]".
# custom:
#   id: AIGOV-CARD-008
#   severity: medium
#   remediation: Write the section; placeholders do not count.
deny contains finding if {
	card.exists
	some key, section in settings.sections
	every i in section_headings[key] {
		not card.headings[i].has_content
	}
	some i in section_headings[key]
	heading := card.headings[i]
	finding := lib.finding(rego.metadata.rule().custom.id, sprintf("model card section '%s' (%s) is empty", [heading.text, section.title]), card_at(heading.line))
}
