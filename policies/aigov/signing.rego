# METADATA
# title: Signed artefacts
# description: Every file a spec.artifacts glob matches has a Sigstore bundle beside it that verifies offline, for the artefact as it is now, signed by the expected identity through the expected OIDC issuer.
package aigov.signing

import rego.v1

import data.aigov.lib

# Each artefact file the manifest's spec.artifacts globs matched, with the entry that matched it.
# A glob that matches nothing yields no file here: the release-workflow rule covers that case.
artifact_files contains [entry, file] if {
	some entry in object.get(input.feature, "artifacts", [])
	some file in entry.files
}

expected_identity(entry) := entry.identity if is_string(entry.identity)

expected_identity(entry) := sprintf("an identity matching /%s/", [object.get(entry, "identity_pattern", "?")]) if not is_string(object.get(entry, "identity", null))

identity_flag(entry) := sprintf("--identity %s", [entry.identity]) if is_string(entry.identity)

identity_flag(entry) := sprintf("--identity-pattern '%s'", [object.get(entry, "identity_pattern", "?")]) if not is_string(object.get(entry, "identity", null))

bundle_name(file) := file.bundle if is_string(file.bundle)

# Messages must not go undefined when a fact is missing: that would silently drop the finding.
bundle_name(file) := name if {
	not is_string(object.get(file, "bundle", null))
	name := object.get(file, "expected_bundles", [])[0]
}

bundle_name(file) := sprintf("%s.sigstore.json", [file.path]) if {
	not is_string(object.get(file, "bundle", null))
	count(object.get(file, "expected_bundles", [])) == 0
}

how_to_sign(entry, file) := sprintf(
	"Sign %s in the release workflow (a job with `permissions: id-token: write`) with `python -m sigstore sign %s` or the sigstore/gh-action-sigstore-python action, keep %s beside it, and check it with `aigov verify-artifact %s %s --issuer %s`.",
	[file.path, file.path, bundle_name(file), file.path, identity_flag(entry), entry.issuer],
)

policy_failure(file) if file.failure in {"identity", "issuer"}

wrong_identity(file) if {
	policy_failure(file)
	file.identity_matches == false
}

wrong_issuer(file) if {
	policy_failure(file)
	file.issuer_matches == false
}

tampered(file) if file.failure == "artifact_mismatch"

# The artefact or its bundle is not a regular file inside the repository (a pipe, a device, a
# symlink out): aigov did not read it, so nothing about it is verified.
unreadable(file) if file.failure == "unreadable"

# A failed verification that a more specific rule below already reports.
explained(file) if wrong_identity(file)

explained(file) if wrong_issuer(file)

explained(file) if tampered(file)

failure_text := {
	"malformed": "it is not a valid Sigstore bundle",
	"untrusted": "its certificate or transparency-log proof is not trusted by the trust root",
	"signature": "its signature or attestation is invalid",
}

# Where an artefact is (a file, no line), with the fix for what is wrong with it.
artifact_at(file, remediation) := {"path": file.path, "remediation": remediation}

# METADATA
# title: Artefact has no Sigstore bundle
# description: A released artefact has no signature bundle beside it, so nobody can tell who built it or whether it was changed since.
# custom:
#   id: AIGOV-SIGN-001
#   severity: high
#   remediation: Sign the artefact in the release workflow with sigstore (python -m sigstore sign, or sigstore/gh-action-sigstore-python) and keep the <file>.sigstore.json bundle beside it.
deny contains finding if {
	some [entry, file] in artifact_files
	not file.bundle_found
	not unreadable(file)
	finding := lib.finding(
		rego.metadata.rule().custom.id,
		sprintf("%s has no Sigstore bundle (looked for %s)", [file.path, concat(", ", object.get(file, "expected_bundles", [bundle_name(file)]))]),
		artifact_at(file, how_to_sign(entry, file)),
	)
}

# METADATA
# title: Artefact signature does not verify
# description: The artefact's Sigstore bundle is malformed, its certificate does not chain to the trust root, its transparency-log proof or signature is invalid, or its attestation is not an in-toto statement; or the artefact or its bundle is not a regular file inside the repository (a pipe, a device, a symlink out), so it cannot be verified at all.
# custom:
#   id: AIGOV-SIGN-002
#   severity: critical
#   remediation: Re-sign the artefact in the release workflow and replace the bundle; for a private Sigstore instance pass its trusted root with aigov check --trusted-root.
deny contains finding if {
	some [msg, at] in unverified
	finding := lib.finding(rego.metadata.rule().custom.id, msg, at)
}

unverified contains problem if {
	some [entry, file] in artifact_files
	file.bundle_found == true
	not file.verified == true
	not explained(file)
	not unreadable(file)
	problem := [
		sprintf("the Sigstore bundle %s does not verify, %s: %s", [bundle_name(file), object.get(failure_text, object.get(file, "failure", null), "no reason recorded"), object.get(file, "error", null)]),
		artifact_at(file, sprintf("%s If it was signed by a private Sigstore instance, pass its trusted root: `aigov check --trusted-root trusted_root.json`.", [how_to_sign(entry, file)])),
	]
}

unverified contains problem if {
	some [entry, file] in artifact_files
	unreadable(file)
	problem := [
		sprintf("%s cannot be verified: %s", [file.path, object.get(file, "error", "it is not a readable regular file")]),
		artifact_at(file, sprintf("Keep %s and its bundle as regular files inside the repository (not pipes, devices or symlinks out of it), or narrow the spec.artifacts glob so it does not match them. %s", [file.path, how_to_sign(entry, file)])),
	]
}

# METADATA
# title: Artefact was changed after signing
# description: The artefact's bytes are not the ones its bundle signs (or, for an attestation, its SHA-256 is not a subject of the in-toto statement).
# custom:
#   id: AIGOV-SIGN-003
#   severity: critical
#   remediation: Find out why the artefact changed; restore the released file, or rebuild and re-sign it in the release workflow.
deny contains finding if {
	some [entry, file] in artifact_files
	tampered(file)
	finding := lib.finding(
		rego.metadata.rule().custom.id,
		sprintf("%s does not match what %s signed (%s)", [file.path, bundle_name(file), object.get(file, "error", null)]),
		artifact_at(file, sprintf("Find out why %s changed after signing: restore the released file, or rebuild it and sign it again in the release workflow. %s", [file.path, how_to_sign(entry, file)])),
	)
}

# METADATA
# title: Artefact is signed by an unexpected identity
# description: The bundle verifies, but the signing certificate's identity is not the one the manifest expects (for example another repository's workflow, or a person instead of CI).
# custom:
#   id: AIGOV-SIGN-004
#   severity: critical
#   remediation: Sign the artefact from the expected identity (the release workflow named in spec.artifacts), or correct spec.artifacts if the signer legitimately changed.
deny contains finding if {
	some [entry, file] in artifact_files
	wrong_identity(file)
	finding := lib.finding(
		rego.metadata.rule().custom.id,
		sprintf("%s is signed by %s; the manifest expects %s", [file.path, file.identity, expected_identity(entry)]),
		artifact_at(file, sprintf("Sign %s from %s, or, if the signer legitimately changed, update spec.artifacts[%d] in %s after review. %s", [file.path, expected_identity(entry), entry.index, input.feature.manifest_path, how_to_sign(entry, file)])),
	)
}

# METADATA
# title: Artefact is signed through an unexpected OIDC issuer
# description: The bundle verifies, but the signing certificate was issued for a login at another OIDC issuer than the one the manifest expects.
# custom:
#   id: AIGOV-SIGN-005
#   severity: critical
#   remediation: Sign the artefact from CI with the expected OIDC issuer (for GitHub Actions https://token.actions.githubusercontent.com), or correct spec.artifacts if the issuer legitimately changed.
deny contains finding if {
	some [entry, file] in artifact_files
	wrong_issuer(file)
	finding := lib.finding(
		rego.metadata.rule().custom.id,
		sprintf("%s is signed through OIDC issuer %s; the manifest expects %s", [file.path, file.issuer, entry.issuer]),
		artifact_at(file, sprintf("Sign %s with an identity from %s, or, if the issuer legitimately changed, update spec.artifacts[%d].issuer in %s after review. %s", [file.path, entry.issuer, entry.index, input.feature.manifest_path, how_to_sign(entry, file)])),
	)
}
