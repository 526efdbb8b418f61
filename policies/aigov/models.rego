# METADATA
# title: Models
# description: Every model a feature calls is in the approved-model registry, approved for the feature's risk tier and not past its sunset.
package aigov.models

import rego.v1

import data.aigov.lib

registry := {m.id: m | some m in data.aigov.registry.models}

# Every spelling of a registered model, its id and its aliases (dated snapshots, Bedrock, Vertex
# AI, Azure, router ids), to its entry: an alias counts as the model. aigov refuses a registry in
# which one spelling names two models before evaluation.
by_name[name] := m if {
	some m in data.aigov.registry.models
	some name in array.concat([m.id], object.get(m, "aliases", []))
}

# The collector resolves each declared id as it resolves the code's spellings: a router or
# provider prefix ("openrouter/anthropic/claude-sonnet-4", "anthropic:claude-...") names the model
# behind it (model: its registry id when registered; bare: the id without the prefix).
declared_facts := object.get(input.feature, "declared_models", [])

# The registry entry a declared or written name stands for: its id or an alias, or one behind a router prefix.
entry(name) := by_name[name]

entry(name) := registry[d.model] if {
	not by_name[name]
	some d in declared_facts
	d.id == name
	d.registered
}

# The registry id of a model spelled as ``name``; ``name`` itself if unknown.
registry_id(name) := entry(name).id

registry_id(name) := name if not entry(name)

# "gpt-4o-2024-08-06 (gpt-4o in the registry)" for an alias, the id itself otherwise.
shown(name) := sprintf("%s (%s in the registry)", [name, registry_id(name)]) if registry_id(name) != name

shown(name) := name if registry_id(name) == name

tier := lib.spec.riskTier

# What the manifest declares, by registry id, and by the bare id behind any router prefix: a
# declared "anthropic/claude-haiku-4.5" covers code calling "claude-haiku-4.5", and the reverse.
declared := {registry_id(m.id) | some m in lib.spec.models}

declared_bare := {d.bare | some d in declared_facts}

approval_process := object.get(data.aigov.registry, "approvalProcess", "ask the AI platform team for a model approval")

# A model a feature of this tier may call: approved for the tier and not past its sunset.
approved_here(m) if {
	m.status == "approved"
	tier in m.approvedTiers
	not past_sunset(m)
}

# Approved models a team can move to at this tier, for remediation text.
alternatives := alternatives_of_kind("")

# Those of one kind (chat, embedding, ...; "" for any): an embedding model is no alternative to the
# model that writes the answers.
alternatives_of_kind(kind) := concat(", ", sort([id |
	some id, m in registry
	approved_here(m)
	of_kind(m, kind)
]))

of_kind(_, kind) if kind == ""

of_kind(m, kind) if object.get(m, "kind", "") == kind

# The kind a declared model stands for: what the manifest says its role needs, else what the
# registry says the model is ("" when neither says).
needed_kind(model) := object.get(model, "kind", object.get(object.get(by_name, model.id, {}), "kind", ""))

# "a chat model" for remediation text; "a model" when the kind is not known.
kind_phrase(kind) := sprintf("a %s model", [kind]) if kind != ""

kind_phrase(kind) := "a model" if kind == ""

past_sunset(m) if lib.days_until(m.sunset) < 0

none_if_empty(list) := list if list != ""

none_if_empty(list) := "none" if list == ""

# The way out offered for a model that may not be used: its replacement when that one is approved
# for this tier, otherwise the approved models of its kind (an embedding model replaces no chat model).
instead(m) := sprintf("use %s instead", [m.replacement]) if {
	approved_here(registry[m.replacement])
} else := sprintf("use one approved for %s tier: %s", [tier, alternatives_of_kind(object.get(m, "kind", ""))]) if {
	alternatives_of_kind(object.get(m, "kind", "")) != ""
} else := sprintf("no %s is approved for %s tier yet: %s", [substring(kind_phrase(object.get(m, "kind", "")), 2, -1), tier, approval_process])

# Where the i-th declared model is in the manifest, with the fix for what is wrong with it.
declared_model(i, remediation) := object.union(lib.manifest_field(sprintf("spec.models[%d].id", [i])), {"remediation": remediation})

# METADATA
# title: Model is not in the approved-model registry
# description: The manifest declares a model the platform team has never reviewed.
# custom:
#   id: AIGOV-MODEL-001
#   severity: high
#   remediation: Use a model from the approved-model registry, or ask for this one to be reviewed and added.
deny contains finding if {
	some i, model in lib.spec.models
	not entry(model.id)
	finding := lib.finding(
		rego.metadata.rule().custom.id,
		sprintf("model %s is not in the approved-model registry", [model.id]),
		declared_model(i, sprintf("%s, or %s", [approval_process, instead({})])),
	)
}

# METADATA
# title: Model is still in review
# description: The model's approval has not been granted yet.
# custom:
#   id: AIGOV-MODEL-002
#   severity: high
#   remediation: Wait for the approval to complete, or switch to an approved model.
deny contains finding if {
	some i, model in lib.spec.models
	m := entry(model.id)
	m.status == "in-review"
	finding := lib.finding(
		rego.metadata.rule().custom.id,
		sprintf("model %s is in review and not yet approved", [shown(model.id)]),
		declared_model(i, sprintf("Follow up on its approval (%s), or %s", [approval_process, instead(m)])),
	)
}

# METADATA
# title: Model is banned
# description: The platform team has banned this model; it must not be called.
# custom:
#   id: AIGOV-MODEL-003
#   severity: critical
#   remediation: Remove the model and switch to an approved one.
deny contains finding if {
	some i, model in lib.spec.models
	m := entry(model.id)
	m.status == "banned"
	reason := object.get(m, "notes", "banned by the platform team")
	finding := lib.finding(
		rego.metadata.rule().custom.id,
		sprintf("model %s is banned (%s)", [shown(model.id), reason]),
		declared_model(i, sprintf("Remove %s and %s", [model.id, instead(m)])),
	)
}

# METADATA
# title: Model is deprecated
# description: The model is being retired and may not be used by features.
# custom:
#   id: AIGOV-MODEL-004
#   severity: high
#   remediation: Move to the replacement model named in the registry.
deny contains finding if {
	some i, model in lib.spec.models
	m := entry(model.id)
	m.status == "deprecated"
	finding := lib.finding(
		rego.metadata.rule().custom.id,
		sprintf("model %s is deprecated", [shown(model.id)]),
		declared_model(i, sprintf("Migrate off %s: %s", [model.id, instead(m)])),
	)
}

# METADATA
# title: Model is not approved for this risk tier
# description: The model is approved, but not for features of this risk tier.
# custom:
#   id: AIGOV-MODEL-005
#   severity: high
#   remediation: Use a model approved for the feature's tier, or ask for this model to be approved for it.
deny contains finding if {
	some i, model in lib.spec.models
	m := entry(model.id)
	m.status == "approved"
	not tier in m.approvedTiers
	tiers := concat(", ", m.approvedTiers)
	finding := lib.finding(
		rego.metadata.rule().custom.id,
		sprintf("model %s is approved for tiers [%s], not for %s", [shown(model.id), tiers, tier]),
		declared_model(i, sprintf("Use %s approved for %s tier (%s), or request %s tier approval for %s: %s", [
			kind_phrase(needed_kind(model)), tier, none_if_empty(alternatives_of_kind(needed_kind(model))), tier, model.id, approval_process,
		])),
	)
}

# METADATA
# title: Model is past its sunset date
# description: The provider or the platform team retires the model on its sunset date.
# custom:
#   id: AIGOV-MODEL-006
#   severity: high
#   remediation: Move to a model that is not sunset.
deny contains finding if {
	some i, model in lib.spec.models
	m := entry(model.id)
	past_sunset(m)
	finding := lib.finding(
		rego.metadata.rule().custom.id,
		sprintf("model %s was sunset on %s", [shown(model.id), m.sunset]),
		declared_model(i, sprintf("Migrate off %s: %s", [model.id, instead(m)])),
	)
}

# METADATA
# title: Model sunset is near
# description: The model reaches its sunset date soon; plan the migration now.
# custom:
#   id: AIGOV-MODEL-007
#   severity: medium
#   remediation: Plan the migration to a model that is not being sunset.
deny contains finding if {
	some i, model in lib.spec.models
	m := entry(model.id)
	days := lib.days_until(m.sunset)
	days >= 0
	days <= data.aigov.settings.sunset_warning_days
	finding := lib.finding(
		rego.metadata.rule().custom.id,
		sprintf("model %s is sunset on %s, in %s", [shown(model.id), m.sunset, lib.counted(days, "day")]),
		declared_model(i, sprintf("Plan the move off %s before %s: %s", [model.id, m.sunset, instead(m)])),
	)
}

# METADATA
# title: Model provider does not match the registry
# description: The manifest says the model is reached through a different provider than the one approved.
# custom:
#   id: AIGOV-MODEL-008
#   severity: medium
#   remediation: Call the model through the provider the registry approves, or correct the manifest.
deny contains finding if {
	some i, model in lib.spec.models
	m := entry(model.id)
	model.provider
	model.provider != m.provider
	finding := lib.finding(
		rego.metadata.rule().custom.id,
		sprintf("model %s is declared with provider %s; the registry approves it through %s", [shown(model.id), model.provider, m.provider]),
		lib.manifest_field(sprintf("spec.models[%d].provider", [i])),
	)
}

# --- Models in the code ------------------------------------------------------------------------
#
# input.feature.model_references lists every reference in the feature's shipped files, each with
# how it was found (facts/model_calls.py): a call site or a config value decides; a mention (a
# comment, a docstring, prose, a description of a model) is listed and decides nothing. Each rule
# below reports one finding per model, at its first place, listing the others.

deciding contains ref if {
	some ref in input.feature.model_references
	ref.how in {"call", "config"}
}

# The deciding references of each model, grouped in one pass (a file may name thousands).
calls_of[model] contains ref if {
	some ref in deciding
	model := ref.model
}

# What each model is used by: the code's deciding references and the eval configs' (the models
# the evals send the feature's eval data to). Models the evals use need no declaration in the
# manifest (AIGOV-MODEL-009 is about the code), but must be ones the feature may use.
used_of[model] contains ref if {
	some ref in input.feature.model_references
	ref.how in {"call", "config", "eval"}
	model := ref.model
}

# The uses of each registered model the feature may not use. In its code and eval configs: a model
# not approved for the tier. In code the feature does not ship (input.feature.unshipped_calls: a dev
# script, an example, a migration; the collector lists only registered models there), which handles
# none of the tier's data: a model no feature may use, banned, deprecated, in review or past its sunset.
forbidden_uses_of[model] contains ref if {
	some ref in used_of[model]
	m := registry[model]
	not approved_here(m)
}

forbidden_uses_of[model] contains object.union(ref, {"how": "unshipped"}) if {
	some ref in object.get(input.feature, "unshipped_calls", [])
	model := ref.model
	m := registry[model]
	not usable(m)
}

usable(m) if {
	m.status == "approved"
	not past_sunset(m)
}

used_by(refs) := "the code calls it" if {
	some ref in refs
	ref.how in {"call", "config"}
} else := "its evals run it" if {
	some ref in refs
	ref.how == "eval"
} else := "code the feature does not ship calls it"

where_used(refs) := "in the code" if used_by(refs) == "the code calls it"

where_used(refs) := "in the eval config" if used_by(refs) == "its evals run it"

where_used(refs) := "in the code the feature does not ship" if used_by(refs) == "code the feature does not ship calls it"

# Every reference of each model, mentions included.
references_of[model] contains ref if {
	some ref in input.feature.model_references
	model := ref.model
}

# Declared: by registry id, or by the bare id behind a router or provider prefix.
covered(ref) if ref.model in declared

covered(ref) if ref.bare in declared_bare

all_covered(refs) if every ref in refs { covered(ref) }

registered_refs(refs) if {
	some ref in refs
	ref.registered == true
}

# The places of a model's references, in order: "src/app.py:12, src/llm.py:3 and 2 more".
max_places := 5

sorted_places(refs) := sort({[ref.path, ref.line] | some ref in refs})

shown_places(refs) := more(listed, count(places) - max_places) if {
	places := sorted_places(refs)
	listed := concat(", ", [sprintf("%s:%d", [p[0], p[1]]) | some p in array.slice(places, 0, max_places)])
}

more(listed, extra) := listed if extra <= 0

more(listed, extra) := sprintf("%s and %d more", [listed, extra]) if extra > 0

first_place(refs) := {"path": p[0], "line": p[1]} if p := sorted_places(refs)[0]

# A registered model as the code wrote it: "gpt-4o-2024-08-06 (gpt-4o in the registry)".
written(model, refs) := model if {
	{ref.spelled | some ref in refs} == {model}
} else := sprintf("%s (%s in the registry)", [concat(", ", sort({ref.spelled | some ref in refs})), model])

# METADATA
# title: Code calls a model the manifest does not declare
# description: The feature's shipped code calls or configures a registered model (by its id, an alias or a router spelling) that aigov.yaml does not declare, so the manifest does not tell the truth about what the code calls. One finding per model, listing where.
# custom:
#   id: AIGOV-MODEL-009
#   severity: high
#   remediation: Declare the model in spec.models of aigov.yaml (and in the model card), or remove it from the code.
deny contains finding if {
	some model, refs in calls_of
	registry[model]
	not all_covered(refs)
	approved_here(registry[model]) # one it may not use at all is AIGOV-MODEL-012
	finding := lib.finding(
		rego.metadata.rule().custom.id,
		sprintf("%s is called but not declared in %s (%s)", [written(model, refs), input.feature.manifest_path, shown_places(refs)]),
		first_place(refs),
	)
}

# METADATA
# title: Code calls a model that is not in the registry
# description: The feature's shipped code calls or configures a model id (a string that reaches a model parameter, or a word spelled like a provider's model ids, providerPatterns in the registry), or its eval config runs or grades with one, that is neither a registered model nor one of its aliases, and the manifest does not declare it (a declared one is AIGOV-MODEL-001), so the platform team has never reviewed it. One finding per model, listing where.
# custom:
#   id: AIGOV-MODEL-010
#   severity: high
#   remediation: Call an approved model, or ask for this one to be reviewed and added to the registry (a dated snapshot of a registered model is added as an alias of it).
deny contains finding if {
	some model, refs in used_of
	not registered_refs(refs)
	not all_covered(refs)
	spellings := concat(", ", sort({ref.spelled | some ref in refs}))
	finding := lib.finding(
		rego.metadata.rule().custom.id,
		sprintf("%s is not in the approved-model registry%s; %s (%s)", [spellings, family(refs), used_by(refs), shown_places(refs)]),
		object.union(first_place(refs), {"remediation": sprintf("Use an approved model, or %s (a dated snapshot of a registered model is added as one of its aliases)", [approval_process])}),
	)
}

# " (an openai model id)" when a provider prefix or pattern says whose id it is.
family(refs) := sprintf(" (%s model id)", [concat(", ", sort(providers))]) if {
	providers := {ref.provider | some ref in refs; ref.provider}
	count(providers) > 0
} else := ""

# METADATA
# title: Code calls a model it may not use
# description: The feature's code calls or configures a registered model, or its eval config runs or grades with one (the feature's eval data goes to it), that is banned, past its sunset, deprecated, still in review or not approved for the feature's risk tier - whether the manifest declares it or not. Code the feature does not ship (dev scripts, examples, migrations; not tests) may not call a model that is banned, deprecated, in review or past its sunset either. No waiver covers it; the finding offers the models approved for the tier.
# custom:
#   id: AIGOV-MODEL-012
#   severity: critical
#   waivable: false
#   remediation: Switch the code to a model approved for the feature's risk tier (the finding names them), or have this model approved for the tier.
deny contains finding if {
	some model, refs in forbidden_uses_of
	m := registry[model]
	finding := lib.finding(
		rego.metadata.rule().custom.id,
		sprintf("%s is %s; %s (%s); %s", [written(model, refs), why_not(m), used_by(refs), shown_places(refs), instead(m)]),
		object.union(first_place(refs), {"remediation": sprintf("Replace %s %s: %s", [model, where_used(refs), instead(m)])}),
	)
}

why_not(m) := sprintf("banned (%s)", [object.get(m, "notes", "by the platform team")]) if {
	m.status == "banned"
} else := sprintf("past its sunset (%s)", [m.sunset]) if {
	past_sunset(m)
} else := "deprecated" if {
	m.status == "deprecated"
} else := "in review, not yet approved" if {
	m.status == "in-review"
} else := sprintf("approved for tiers [%s], not for %s", [concat(", ", m.approvedTiers), tier])

# METADATA
# title: Model named in the code but not called
# description: A registered model, or a word spelled like a provider's model id, appears in the feature's shipped files only where it calls nothing - a comment, a docstring, prose, a price or capability table - and the manifest does not declare it. Listed so that no model hides from the report; it blocks nothing. One finding per model, listing where.
# custom:
#   id: AIGOV-MODEL-013
#   severity: info
#   remediation: Nothing, if it only describes a model. If the code does call it by a path aigov cannot follow, declare it in aigov.yaml.
deny contains finding if {
	some model, refs in references_of
	not used_of[model]
	not all_covered(refs)
	finding := lib.finding(
		rego.metadata.rule().custom.id,
		sprintf("%s is named but never called (%s)", [concat(", ", sort({ref.spelled | some ref in refs})), shown_places(refs)]),
		first_place(refs),
	)
}

# METADATA
# title: File cannot be checked for model references
# description: A shipped file of the feature could not be read to its end (not UTF-8, over the size limit to read or to parse, too slow to parse, unreadable, a link out of the repository, a pipe or device), so aigov cannot verify which models it calls. It blocks at every tier - an unread file could call any model.
# custom:
#   id: AIGOV-MODEL-011
#   severity: high
#   remediation: Make the file a regular UTF-8 text file inside the repository under the size limits (5 MB to read; 1 MB to parse source and config), or remove it from the feature (or from what git commits).
deny contains finding if {
	some file in input.feature.unscanned_files
	finding := lib.finding(
		rego.metadata.rule().custom.id,
		sprintf("cannot verify which models %s calls: it %s", [file.path, file.reason]),
		lib.place(file),
	)
}
