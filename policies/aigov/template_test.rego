package aigov.template_test

import rego.v1

import data.aigov.template

templates := {"rag-service": {"minimum": "1.2.0", "deadline": "2027-01-31"}}

feature(name, version, release) := {
	"name": "support-bot",
	"dir": "services/support-bot",
	"manifest_path": "services/support-bot/aigov.yaml",
	"lines": {},
	"manifest": {"spec": {"riskTier": "medium"}},
	"template": {
		"path": "services/support-bot/.copier-answers.yml",
		"name": name,
		"source": "/cache/aigov/templates/rag-service",
		"commit": version,
		"version": version,
		"release": release,
		"line": 4,
	},
}

ids(findings) := {f.id | some f in findings}

deny_at(now, f) := findings if {
	findings := template.deny with input as {"now": now, "feature": f} with data.aigov.templates as templates
}

test_older_version_before_the_deadline_warns if {
	findings := deny_at("2026-11-23T12:00:00Z", feature("rag-service", "1.1.9", [1, 1, 9]))
	ids(findings) == {"AIGOV-TEMPLATE-001"}
	some f in findings
	f.path == "services/support-bot/.copier-answers.yml"
	f.line == 4
	contains(f.msg, "rag-service template 1.1.9")
}

test_older_version_after_the_deadline_blocks if {
	ids(deny_at("2027-02-01T00:00:00Z", feature("rag-service", "1.0.0", [1, 0, 0]))) == {"AIGOV-TEMPLATE-002"}
}

test_minimum_or_newer_passes if {
	count(deny_at("2027-02-01T00:00:00Z", feature("rag-service", "1.2.0", [1, 2, 0]))) == 0
	count(deny_at("2027-02-01T00:00:00Z", feature("rag-service", "2.0.0", [2, 0, 0]))) == 0
	count(deny_at("2027-02-01T00:00:00Z", feature("rag-service", "1.10.0", [1, 10, 0]))) == 0
}

test_major_version_decides_before_minor if {
	ids(deny_at("2026-11-23T12:00:00Z", feature("rag-service", "0.9.9", [0, 9, 9]))) == {"AIGOV-TEMPLATE-001"}
}

test_template_the_platform_does_not_track_passes if {
	count(deny_at("2027-02-01T00:00:00Z", feature("home-grown", "0.1.0", [0, 1, 0]))) == 0
}

test_untracked_template_at_a_bare_commit_passes if {
	f := feature("home-grown", null, null)
	g := object.union(f, {"template": object.union(f.template, {"commit": "1a2b3c4"})})
	count(deny_at("2027-02-01T00:00:00Z", g)) == 0
}

test_feature_not_generated_from_a_template_passes if {
	f := object.union(feature("rag-service", "1.0.0", [1, 0, 0]), {"template": null})
	count(deny_at("2027-02-01T00:00:00Z", f)) == 0
}

test_short_minimum_versions_are_padded if {
	count(template.deny) == 1 with input as {"now": "2026-11-23T12:00:00Z", "feature": feature("agent", "1.0.0", [1, 0, 0])}
		with data.aigov.templates as {"agent": {"minimum": "1.1", "deadline": "2027-01-31"}}
}

record(overrides) := object.union(current, {"template": object.union(current.template, overrides)})

current := feature("rag-service", "1.2.0", [1, 2, 0])

test_a_complete_record_passes if {
	count(deny_at("2026-11-23T12:00:00Z", record({}))) == 0
}

test_a_record_without_source_blocks if {
	findings := deny_at("2026-11-23T12:00:00Z", record({"source": null}))
	ids(findings) == {"AIGOV-TEMPLATE-003"}
	some f in findings
	contains(f.msg, "_src_path")
	f.path == "services/support-bot/.copier-answers.yml"
}

test_a_record_without_version_blocks if {
	ids(deny_at("2026-11-23T12:00:00Z", record({"commit": null, "version": null, "release": null}))) == {"AIGOV-TEMPLATE-003"}
}

test_a_version_that_is_not_a_version_blocks if {
	findings := deny_at("2026-11-23T12:00:00Z", record({"commit": "banana", "version": null, "release": null}))
	ids(findings) == {"AIGOV-TEMPLATE-003"}
	some f in findings
	contains(f.msg, `_commit "banana" is not a template version`)
}

test_a_bare_commit_of_a_tracked_road_blocks if {
	ids(deny_at("2026-11-23T12:00:00Z", record({"commit": "1a2b3c4d", "version": null, "release": null}))) == {"AIGOV-TEMPLATE-003"}
}

test_a_bare_commit_of_an_untracked_template_passes if {
	f := record({"commit": "1a2b3c4d", "version": null, "release": null})
	g := object.union(f, {"template": object.union(f.template, {"name": "home-grown"})})
	count(deny_at("2026-11-23T12:00:00Z", g)) == 0
}
