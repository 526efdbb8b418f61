# METADATA
# title: SBOM and ML-BOM
# description: The feature keeps a current, valid CycloneDX SBOM (1.5 or later) that lists every declared model as a machine-learning-model component with a model card, and every pinned Python dependency at the pinned version.
package aigov.sbom

import rego.v1

import data.aigov.lib
import data.aigov.models

sbom := input.feature.sbom

pins := object.get(object.get(input.feature, "python_dependencies", {}), "pinned", [])

# Defaults an organisation can override with data: {aigov: {settings: {sbom: {...}}}}.
settings := object.union(
	{"required_tiers": ["medium", "high"], "min_spec_version": "1.5"},
	object.get(data.aigov.settings, "sbom", {}),
)

tier := lib.spec.riskTier

sbom_file := object.get(lib.spec, "sbom", "sbom.cdx.json")

feature_dir := object.get(input.feature, "dir", ".")

# Where to run `aigov sbom .`: a person reads "In the repository root", not "In .".
feature_folder := "the repository root" if feature_dir == "."

feature_folder := feature_dir if feature_dir != "."

regenerate := sprintf("In %s, run `aigov sbom . -o %s` and commit the result; run it in CI whenever the manifest, the model card or the requirements change.", [feature_folder, sbom_file])

# Where a line of the SBOM is; the fix is always to regenerate it.
sbom_at(line) := {"path": sbom.path, "line": line, "remediation": regenerate}

line_or_start(entry) := entry.line if is_number(entry.line)

line_or_start(entry) := 1 if not is_number(object.get(entry, "line", null))

cyclonedx_label := sprintf("CycloneDX %s", [sbom.spec_version]) if is_string(sbom.spec_version)

cyclonedx_label := "CycloneDX" if not is_string(object.get(sbom, "spec_version", null))

# "1.6" -> 1006; undefined for anything that is not major.minor.
version_rank(version) := rank if {
	is_string(version)
	regex.match(`^[0-9]+\.[0-9]+$`, version)
	parts := split(version, ".")
	rank := (to_number(parts[0]) * 1000) + to_number(parts[1])
}

# A machine-learning-model component stands for a declared model when its name, or group/name
# (Hugging Face style), names the same model: the id itself or another spelling of the same
# registered model (an alias), as the model rules count an alias as the model.
same_model(a, b) if models.registry_id(a) == models.registry_id(b)

ml_component(id) := [c | some c in sbom.ml_components; same_model(c.id, id)]

other_components(id) := [c | some c in sbom.components; same_model(c.name, id)]

# Components that can be the Python package a pin names: PyPI purls, or no purl at all.
python_component(c) if c.purl_type == "pypi"

python_component(c) if c.purl_type == null

sbom_versions(pin) := {c.version |
	some c in sbom.components
	python_component(c)
	c.normalized == pin.normalized
}

# METADATA
# title: SBOM is missing
# description: The feature declares an SBOM that does not exist, or declares none although its risk tier requires one (medium and high by default).
# custom:
#   id: AIGOV-SBOM-001
#   severity: high
#   remediation: Generate the SBOM with `aigov sbom . -o sbom.cdx.json` in the feature directory, commit it, and name it in spec.sbom.
deny contains finding if {
	some [msg, at] in missing
	finding := lib.finding(rego.metadata.rule().custom.id, msg, at)
}

missing contains problem if {
	sbom.declared
	not sbom.exists
	not sbom.url
	problem := [
		sprintf("SBOM %s named in spec.sbom does not exist", [sbom.path]),
		object.union(lib.manifest_field("spec.sbom"), {"remediation": regenerate}),
	]
}

missing contains problem if {
	sbom.url
	problem := [
		sprintf("spec.sbom %s is a URL; the SBOM must be a file in the repository so it can be checked", [sbom.path]),
		object.union(lib.manifest_field("spec.sbom"), {"remediation": sprintf("Commit the SBOM to the repository: %s", [regenerate])}),
	]
}

missing contains problem if {
	not sbom.declared
	tier in settings.required_tiers
	problem := [
		sprintf("%s-tier feature declares no SBOM (spec.sbom)", [tier]),
		object.union(lib.manifest_field("spec"), {"remediation": sprintf("In %s, run `aigov sbom . -o sbom.cdx.json`, commit it, and add `sbom: sbom.cdx.json` under spec in the manifest.", [feature_folder])}),
	]
}

# METADATA
# title: SBOM is not valid CycloneDX
# description: The SBOM is not JSON, or does not validate against the official CycloneDX schema for its specVersion (formats, hashes, license ids and unique bom-refs included).
# custom:
#   id: AIGOV-SBOM-002
#   severity: high
#   remediation: Fix the SBOM at the JSON path in the message (`aigov sbom --validate FILE` lists every error), or regenerate it with `aigov sbom . -o FILE`.
deny contains finding if {
	some [msg, at] in invalid
	finding := lib.finding(rego.metadata.rule().custom.id, msg, at)
}

invalid contains problem if {
	sbom.exists
	not sbom.valid
	some err in sbom.errors
	problem := [sprintf("SBOM is not valid %s: %s: %s", [cyclonedx_label, err.path, err.message]), sbom_at(line_or_start(err))]
}

invalid contains problem if {
	sbom.exists
	not sbom.valid
	hidden := sbom.error_count - count(sbom.errors)
	hidden > 0
	problem := [
		sprintf("SBOM has %d more schema errors; `aigov sbom --validate %s` lists them all", [hidden, sbom.path]),
		sbom_at(1),
	]
}

# METADATA
# title: SBOM specVersion is too old for an ML-BOM
# description: Machine-learning-model components and model cards exist in CycloneDX 1.5 and later; an older SBOM cannot describe the feature's models.
# custom:
#   id: AIGOV-SBOM-003
#   severity: high
#   remediation: Regenerate the SBOM with `aigov sbom . -o FILE`, which writes CycloneDX 1.6.
deny contains finding if {
	sbom.parsed
	version_rank(sbom.spec_version) < version_rank(settings.min_spec_version)
	finding := lib.finding(
		rego.metadata.rule().custom.id,
		sprintf("SBOM is CycloneDX %s; machine-learning-model components need %s or later", [sbom.spec_version, settings.min_spec_version]),
		sbom_at(sbom.spec_version_line),
	)
}

# METADATA
# title: Declared model is missing from the SBOM
# description: Every model in the manifest must appear in the SBOM as a component of type machine-learning-model, named by its model id.
# custom:
#   id: AIGOV-SBOM-004
#   severity: high
#   remediation: Regenerate the SBOM with `aigov sbom . -o FILE` so it lists every model in the manifest.
deny contains finding if {
	some [msg, at] in model_missing
	finding := lib.finding(rego.metadata.rule().custom.id, msg, at)
}

model_missing contains problem if {
	sbom.parsed
	some model in lib.spec.models
	count(ml_component(model.id)) == 0
	count(other_components(model.id)) == 0
	problem := [
		sprintf("model %s declared in %s is not in the SBOM as a machine-learning-model component (stale SBOM?)", [model.id, input.feature.manifest_path]),
		sbom_at(1),
	]
}

model_missing contains problem if {
	sbom.parsed
	some model in lib.spec.models
	count(ml_component(model.id)) == 0
	some c in other_components(model.id)
	problem := [
		sprintf("model %s is in the SBOM as a %s component, not as a machine-learning-model", [model.id, c.type]),
		sbom_at(c.line),
	]
}

# METADATA
# title: Model component has no model card
# description: Each declared model's machine-learning-model component must carry a modelCard (filled from the feature's model card).
# custom:
#   id: AIGOV-SBOM-005
#   severity: high
#   remediation: List the model in the model card's `models` front matter and regenerate the SBOM with `aigov sbom . -o FILE`, which adds the modelCard.
deny contains finding if {
	sbom.parsed
	some model in lib.spec.models
	some c in ml_component(model.id)
	not c.has_model_card
	finding := lib.finding(rego.metadata.rule().custom.id, sprintf("SBOM component for model %s has no modelCard", [model.id]), sbom_at(c.line))
}

# METADATA
# title: SBOM is stale against a pinned dependency
# description: Every Python dependency the feature pins (requirements*.txt, pyproject.toml, uv.lock, poetry.lock, pylock.toml) must be in the SBOM at the pinned version.
# custom:
#   id: AIGOV-SBOM-006
#   severity: high
#   remediation: Regenerate the SBOM with `aigov sbom . -o FILE` after changing dependencies, and commit both together.
deny contains finding if {
	some [msg, at] in stale
	finding := lib.finding(rego.metadata.rule().custom.id, msg, at)
}

stale contains problem if {
	sbom.parsed
	some pin in pins
	count(sbom_versions(pin)) == 0
	problem := [
		sprintf("%s==%s pinned here is not in SBOM %s (stale SBOM)", [pin.name, pin.version, sbom.path]),
		{"path": pin.path, "line": pin.line, "remediation": regenerate},
	]
}

stale contains problem if {
	sbom.parsed
	some pin in pins
	listed := sbom_versions(pin)
	count(listed) > 0
	not pin.version in listed
	problem := [
		sprintf("%s is pinned here at %s but SBOM %s lists %s (stale SBOM)", [pin.name, pin.version, sbom.path, concat(", ", sort(listed))]),
		{"path": pin.path, "line": pin.line, "remediation": regenerate},
	]
}

# METADATA
# title: Feature has no SBOM
# description: A feature at a tier that does not require an SBOM (low by default) should still keep one, so its models and dependencies are on record.
# custom:
#   id: AIGOV-SBOM-007
#   severity: medium
#   remediation: "In the feature directory, run `aigov sbom . -o sbom.cdx.json`, commit it, and add `sbom: sbom.cdx.json` under spec in the manifest."
deny contains finding if {
	not sbom.declared
	not tier in settings.required_tiers
	finding := lib.finding(rego.metadata.rule().custom.id, sprintf("%s-tier feature declares no SBOM (spec.sbom)", [tier]), lib.manifest_field("spec"))
}

# METADATA
# title: SBOM repeats a bom-ref
# description: Two elements of the SBOM carry the same bom-ref, so a reference to it (a dependency, a composition, a vulnerability) is ambiguous. The CycloneDX specification asks for unique bom-refs, but its own test suite has a valid document that repeats one, so this warns rather than calling the SBOM invalid.
# custom:
#   id: AIGOV-SBOM-008
#   severity: low
#   remediation: Give each element its own bom-ref (for example by suffixing the repeated one), or regenerate the SBOM with `aigov sbom . -o FILE`.
deny contains finding if {
	sbom.parsed
	some repeat in object.get(sbom, "repeated_bom_refs", [])
	finding := lib.finding(rego.metadata.rule().custom.id, sprintf("SBOM %s: %s", [repeat.path, repeat.message]), sbom_at(line_or_start(repeat)))
}
