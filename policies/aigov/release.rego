# METADATA
# title: Release signing
# description: "Before a feature's first release there are no artefacts to verify; then a release workflow must be set up to sign them with Sigstore keyless signing (an OIDC token from `permissions: id-token: write`)."
package aigov.release

import rego.v1

import data.aigov.lib

declared := object.get(lib.spec, "artifacts", [])

# Files the manifest's spec.artifacts globs matched (facts from the artefact collector).
released if {
	some entry in object.get(input.feature, "artifacts", [])
	count(object.get(entry, "files", [])) > 0
}

signing_jobs := object.get(object.get(input.feature, "release_signing", {}), "jobs", [])

pr_events := {"pull_request", "pull_request_target", "merge_group"}

# A signing job that runs for something other than a pull request: a tag, a release, a dispatch.
release_jobs contains job if {
	some job in signing_jobs
	some event in job.events
	not event in pr_events
}

signs_with_token if {
	some job in release_jobs
	job.id_token_write
}

awaiting_first_release if {
	count(declared) > 0
	not released
}

# METADATA
# title: No release workflow signs the artefacts
# description: The manifest declares release artefacts, none exist yet, and no workflow that runs on releases signs anything, so the first release will ship unsigned.
# custom:
#   id: AIGOV-RELEASE-001
#   severity: high
#   remediation: "Add a release workflow job with `permissions: id-token: write` that signs each artefact, for example `python -m sigstore sign dist/*`, sigstore/gh-action-sigstore-python, actions/attest-build-provenance or `cosign sign-blob`."
deny contains finding if {
	awaiting_first_release
	count(release_jobs) == 0
	pr_only := [sprintf("%s:%d", [j.path, j.line]) | some j in signing_jobs]
	note := signed_on_prs(pr_only)
	finding := lib.finding(
		rego.metadata.rule().custom.id,
		sprintf("spec.artifacts is declared but no artefact exists yet and no release workflow signs one%s", [note]),
		lib.manifest_field("spec.artifacts"),
	)
}

signed_on_prs(places) := "" if count(places) == 0

signed_on_prs(places) := sprintf(" (%s sign only on pull requests)", [concat(", ", places)]) if count(places) > 0

# METADATA
# title: Release workflow signs without an OIDC token
# description: "A release job signs artefacts but does not get `id-token: write` (at job or workflow level, and from the caller of a reusable workflow), so Sigstore keyless signing cannot get a certificate."
# custom:
#   id: AIGOV-RELEASE-002
#   severity: high
#   remediation: "Give the signing job `permissions: id-token: write` (plus what else it needs, such as contents: read); a reusable workflow also needs it granted by the calling job."
deny contains finding if {
	awaiting_first_release
	not signs_with_token
	some job in release_jobs
	finding := lib.finding(
		rego.metadata.rule().custom.id,
		sprintf("job %s of %s signs with %s but has no `id-token: write` permission", [job.job, job.workflow, job.method]),
		{"path": job.permissions_path, "line": job.permissions_line},
	)
}

# METADATA
# title: A release without its declared artefacts
# description: This check judges a release (the release workflow passed --release, or GitHub Actions runs it for a tag), and a spec.artifacts glob matches no built file, so nothing of what the manifest says is released was verified. Declared artefacts are looked for wherever the build wrote them, ignored files included.
# custom:
#   id: AIGOV-RELEASE-003
#   severity: critical
#   remediation: Build the artefacts before the check in the release workflow (and sign them), or correct the spec.artifacts glob so it names the files the release ships.
deny contains finding if {
	object.get(input, ["release", "active"], false)
	some i, entry in object.get(input.feature, "artifacts", [])
	count(object.get(entry, "files", [])) == 0
	finding := lib.finding(
		rego.metadata.rule().custom.id,
		sprintf("this is a release (%s), but spec.artifacts[%d] %s matches no file, so the release's artefacts were not verified", [object.get(input.release, "why", "release"), i, entry.pattern]),
		lib.manifest_field(sprintf("spec.artifacts[%d].path", [i])),
	)
}
