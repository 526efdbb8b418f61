package aigov.release_test

import rego.v1

import data.aigov.release

artifact_entry(files) := {"pattern": "dist/*.whl", "index": 0, "files": files}

signing_job(overrides) := object.union(
	{
		"workflow": ".github/workflows/release.yml", "job": "publish", "job_line": 12,
		"path": ".github/workflows/release.yml", "line": 20, "method": "python -m sigstore sign",
		"id_token_write": true, "permissions_path": ".github/workflows/release.yml", "permissions_line": 14,
		"events": ["push"],
	},
	overrides,
)

feature(artifacts, files, jobs) := {"now": "2026-11-23T12:00:00Z", "feature": {
	"manifest_path": "svc/aigov.yaml",
	"lines": {"spec": 6, "spec.artifacts": 15},
	"manifest": {"spec": {"riskTier": "medium", "artifacts": artifacts}},
	"artifacts": [artifact_entry(files)],
	"release_signing": {"workflows": 1, "jobs": jobs},
}}

declared := [{"path": "dist/*.whl", "identity": "x", "issuer": "y"}]

ids(found) := {f.id | some f in found}

test_release_workflow_signing_with_token_passes if {
	found := release.deny with input as feature(declared, [], [signing_job({})])
	count(found) == 0
}

test_no_signing_workflow_before_first_release_blocks if {
	found := release.deny with input as feature(declared, [], [])
	ids(found) == {"AIGOV-RELEASE-001"}
	some f in found
	f.path == "svc/aigov.yaml"
	f.line == 15
}

test_signing_only_on_pull_requests_is_not_a_release_workflow if {
	found := release.deny with input as feature(declared, [], [signing_job({"events": ["pull_request"]})])
	ids(found) == {"AIGOV-RELEASE-001"}
	some f in found
	contains(f.msg, ".github/workflows/release.yml:20 sign only on pull requests")
}

test_signing_without_id_token_points_at_permissions if {
	found := release.deny with input as feature(declared, [], [signing_job({"id_token_write": false})])
	ids(found) == {"AIGOV-RELEASE-002"}
	some f in found
	f.path == ".github/workflows/release.yml"
	f.line == 14
	contains(f.msg, "python -m sigstore sign")
}

test_one_job_with_token_is_enough if {
	jobs := [signing_job({"id_token_write": false, "job": "draft"}), signing_job({})]
	found := release.deny with input as feature(declared, [], jobs)
	count(found) == 0
}

test_existing_artefacts_are_judged_by_their_bundles_instead if {
	found := release.deny with input as feature(declared, [{"path": "svc/dist/a.whl"}], [])
	count(found) == 0
}

test_no_artifacts_declared_needs_no_release_workflow if {
	found := release.deny with input as feature([], [], [])
	count(found) == 0
}

test_missing_artefact_facts_count_as_not_released if {
	inp := {"now": "2026-11-23T12:00:00Z", "feature": {
		"manifest_path": "svc/aigov.yaml", "lines": {"spec.artifacts": 15},
		"manifest": {"spec": {"artifacts": declared}},
	}}
	found := release.deny with input as inp
	ids(found) == {"AIGOV-RELEASE-001"}
}

# --- AIGOV-RELEASE-003: on a release, every declared glob matches a built file ---

on_release(inp) := object.union(inp, {"release": {"active": true, "why": "GITHUB_REF refs/tags/v1.2.0"}})

test_a_release_whose_glob_matches_nothing_blocks_at_the_glob if {
	found := release.deny with input as on_release(feature(declared, [], [signing_job({})]))
	ids(found) == {"AIGOV-RELEASE-003"}
	some f in found
	f.path == "svc/aigov.yaml"
	contains(f.msg, "refs/tags/v1.2.0")
	contains(f.msg, "dist/*.whl matches no file")
}

test_a_release_with_its_artefacts_built_is_judged_by_their_bundles if {
	found := release.deny with input as on_release(feature(declared, [{"path": "svc/dist/a.whl"}], [signing_job({})]))
	count(found) == 0
}

test_a_pull_request_before_the_first_release_is_not_asked_for_artefacts if {
	found := release.deny with input as object.union(feature(declared, [], [signing_job({})]), {"release": {"active": false, "why": null}})
	count(found) == 0
}
