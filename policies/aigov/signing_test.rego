package aigov.signing_test

import rego.v1

import data.aigov.signing

workflow := "https://github.com/acme/app/.github/workflows/release.yml@refs/tags/v1.0.0"

github := "https://token.actions.githubusercontent.com"

verified_file := {
	"path": "svc/dist/model.onnx",
	"bundle": "svc/dist/model.onnx.sigstore.json",
	"bundle_found": true,
	"expected_bundles": ["svc/dist/model.onnx.sigstore.json", "svc/dist/model.onnx.sigstore"],
	"verified": true,
	"kind": "message_signature",
	"identity": workflow,
	"issuer": github,
	"identity_matches": true,
	"issuer_matches": true,
	"predicate_type": null,
	"failure": null,
	"error": null,
}

feature(files) := {"feature": {
	"manifest_path": "svc/aigov.yaml",
	"artifacts": [{
		"pattern": "dist/*.onnx",
		"index": 0,
		"identity": workflow,
		"identity_pattern": null,
		"issuer": github,
		"files": files,
	}],
}}

ids(found) := {f.id | some f in found}

test_verified_artefact_passes if {
	count(signing.deny) == 0 with input as feature([verified_file])
}

test_verified_attestation_passes if {
	attested := object.union(verified_file, {"kind": "dsse", "predicate_type": "https://slsa.dev/provenance/v1"})
	count(signing.deny) == 0 with input as feature([attested])
}

test_no_matching_files_is_silent if {
	count(signing.deny) == 0 with input as feature([])
}

test_no_artifacts_declared_is_silent if {
	count(signing.deny) == 0 with input as {"feature": {"manifest_path": "aigov.yaml"}}
}

test_missing_bundle_blocks_at_the_artefact if {
	missing := object.union(verified_file, {"bundle": null, "bundle_found": false, "verified": false, "error": "no bundle"})
	found := signing.deny with input as feature([missing])
	ids(found) == {"AIGOV-SIGN-001"}
	some f in found
	f.path == "svc/dist/model.onnx"
	contains(f.msg, "svc/dist/model.onnx.sigstore.json")
	contains(f.remediation, "sigstore sign svc/dist/model.onnx")
	contains(f.remediation, "gh-action-sigstore-python")
	contains(f.remediation, sprintf("aigov verify-artifact svc/dist/model.onnx --identity %s --issuer %s", [workflow, github]))
}

test_untrusted_bundle_fails_verification if {
	untrusted := object.union(verified_file, {"verified": false, "failure": "untrusted", "error": "failed to build timestamp certificate chain"})
	found := signing.deny with input as feature([untrusted])
	ids(found) == {"AIGOV-SIGN-002"}
	some f in found
	contains(f.msg, "certificate chain")
	contains(f.remediation, "--trusted-root")
}

test_malformed_bundle_fails_verification if {
	malformed := object.union(verified_file, {"verified": false, "failure": "malformed", "error": "bundle is not valid JSON", "identity": null})
	ids(signing.deny) == {"AIGOV-SIGN-002"} with input as feature([malformed])
}

test_unverified_without_reason_still_fails_closed if {
	odd := object.union(verified_file, {"verified": false, "failure": "identity"})
	ids(signing.deny) == {"AIGOV-SIGN-002"} with input as feature([odd])
}

test_missing_verified_fact_fails_closed if {
	odd := object.remove(verified_file, ["verified"])
	ids(signing.deny) == {"AIGOV-SIGN-002"} with input as feature([odd])
}

test_tampered_artefact_blocks if {
	tampered := object.union(verified_file, {"verified": false, "failure": "artifact_mismatch", "error": "Bundle message digest mismatch"})
	found := signing.deny with input as feature([tampered])
	ids(found) == {"AIGOV-SIGN-003"}
	some f in found
	f.path == "svc/dist/model.onnx"
	contains(f.msg, "digest mismatch")
}

test_wrong_identity_names_both_identities if {
	other := object.union(verified_file, {"verified": false, "failure": "identity", "identity": "mallory@example.com", "identity_matches": false})
	found := signing.deny with input as feature([other])
	ids(found) == {"AIGOV-SIGN-004"}
	some f in found
	contains(f.msg, "mallory@example.com")
	contains(f.msg, workflow)
	contains(f.remediation, "spec.artifacts[0]")
}

test_wrong_identity_against_pattern if {
	other := object.union(verified_file, {"verified": false, "failure": "identity", "identity": "mallory@example.com", "identity_matches": false})
	patterned := {"feature": {"manifest_path": "aigov.yaml", "artifacts": [{
		"pattern": "dist/*", "index": 2, "identity": null, "identity_pattern": "https://github.com/acme/.+", "issuer": github,
		"files": [other],
	}]}}
	found := signing.deny with input as patterned
	some f in found
	f.id == "AIGOV-SIGN-004"
	contains(f.msg, "an identity matching /https://github.com/acme/.+/")
	contains(f.remediation, "--identity-pattern 'https://github.com/acme/.+'")
}

test_wrong_issuer_blocks if {
	other := object.union(verified_file, {"verified": false, "failure": "issuer", "issuer": "https://accounts.google.com", "issuer_matches": false})
	found := signing.deny with input as feature([other])
	ids(found) == {"AIGOV-SIGN-005"}
	some f in found
	contains(f.msg, "https://accounts.google.com")
}

test_wrong_identity_and_issuer_reports_both if {
	other := object.union(verified_file, {
		"verified": false, "failure": "identity", "identity": "me@example.com", "issuer": "https://accounts.google.com",
		"identity_matches": false, "issuer_matches": false,
	})
	ids(signing.deny) == {"AIGOV-SIGN-004", "AIGOV-SIGN-005"} with input as feature([other])
}

test_untrusted_certificate_with_other_identity_is_a_verification_failure if {
	# An untrusted certificate's identity is only a claim: report the trust failure, not the identity.
	other := object.union(verified_file, {"verified": false, "failure": "untrusted", "error": "chain", "identity_matches": false})
	ids(signing.deny) == {"AIGOV-SIGN-002"} with input as feature([other])
}

test_each_file_is_judged_on_its_own if {
	missing := object.union(verified_file, {"path": "svc/dist/b.onnx", "bundle": null, "bundle_found": false, "verified": false})
	found := signing.deny with input as feature([verified_file, missing])
	{f.path | some f in found} == {"svc/dist/b.onnx"}
}

test_bare_facts_still_block if {
	# Findings must not vanish when the collector leaves a fact out.
	ids(signing.deny) == {"AIGOV-SIGN-001"} with input as feature([{"path": "svc/dist/a.onnx"}])
	ids(signing.deny) == {"AIGOV-SIGN-002"} with input as feature([{"path": "svc/dist/a.onnx", "bundle_found": true}])
}

test_artefact_that_is_a_pipe_cannot_be_verified if {
	pipe := object.union(verified_file, {
		"bundle": null, "bundle_found": false, "verified": false, "failure": "unreadable",
		"error": "svc/dist/model.onnx is not a regular file (a pipe, socket or device); aigov does not read it",
	})
	found := signing.deny with input as feature([pipe])
	ids(found) == {"AIGOV-SIGN-002"}
	some f in found
	f.path == "svc/dist/model.onnx"
	f.msg == "svc/dist/model.onnx cannot be verified: svc/dist/model.onnx is not a regular file (a pipe, socket or device); aigov does not read it"
	contains(f.remediation, "regular files inside the repository")
}

test_bundle_linked_out_of_the_repository_cannot_be_verified if {
	linked := object.union(verified_file, {
		"verified": false, "failure": "unreadable",
		"error": "svc/dist/model.onnx.sigstore.json is a symlink that points outside the repository; aigov does not follow it",
	})
	found := signing.deny with input as feature([linked])
	ids(found) == {"AIGOV-SIGN-002"}
	some f in found
	contains(f.msg, "cannot be verified: svc/dist/model.onnx.sigstore.json is a symlink")
}

test_unreadable_without_an_error_still_blocks if {
	odd := object.remove(object.union(verified_file, {"verified": false, "failure": "unreadable"}), ["error"])
	ids(signing.deny) == {"AIGOV-SIGN-002"} with input as feature([odd])
}
