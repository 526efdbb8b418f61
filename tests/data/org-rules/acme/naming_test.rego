package acme.naming_test

import rego.v1

import data.acme.naming

feature(name, owner, description) := {"now": "2026-11-23T12:00:00Z", "feature": {
	"name": name, "manifest_path": "svc/aigov.yaml", "lines": {"metadata.name": 4},
	"manifest": {"metadata": {"owner": owner, "description": description}, "spec": {"riskTier": "high"}},
}}

ids(found) := {f.id | some f in found}

test_a_team_prefixed_name_passes if {
	found := naming.deny with input as feature("support-summarize", "team-support", "Summarises tickets for the agent.")
	count(found) == 0
}

test_a_name_without_its_team_is_named_at_its_line if {
	found := naming.deny with input as feature("summarize", "team-support", "tickets agent")
	[[f.id, f.line, f.msg] | some f in found] == [["ACME-NAME-001", 4, `feature summarize does not start with its team "support" (elevated risk)`]]
}

test_a_name_that_is_no_slug if {
	ids(naming.deny) == {"ACME-NAME-001", "ACME-NAME-002"} with input as feature("Support_X", "team-support", "tickets agent")
}

test_missing_words_are_listed_sorted if {
	found := naming.deny with input as feature("support-x", "team-support", "Nothing here")
	[f.msg | some f in found] == ["description lacks agent, tickets"]
}

test_strict_mode_comes_from_data if {
	i := feature("support-test", "team-support", "tickets agent")
	ids(naming.deny) == {"ACME-NAME-004"} with input as i
	count(naming.deny) == 0 with input as i with data.acme.policy.strict as false
}
