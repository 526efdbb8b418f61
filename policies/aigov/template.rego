# METADATA
# title: Paved-road template
# description: A feature generated from a paved-road template stays on a template version the platform team still supports.
package aigov.template

import rego.v1

import data.aigov.lib

road := input.feature.template

supported := object.get(data.aigov.templates, road.name, null)

# "1.2" -> [1, 2, 0]: the first three numbers of a dotted version.
release(version) := array.slice(array.concat([to_number(p) | some p in split(version, ".")], [0, 0, 0]), 0, 3)

# a < b, comparing [major, minor, patch] element by element.
older(a, b) if {
	some i in numbers.range(0, 2)
	a[i] < b[i]
	every j in [k | some k in numbers.range(0, 2); k < i] {
		a[j] == b[j]
	}
}

behind if {
	is_array(road.release)
	is_object(supported)
	older(road.release, release(supported.minimum))
}

remediation := sprintf("In %s, run `aigov update` (a 3-way merge that keeps your edits), resolve any conflicts, and commit.", [input.feature.dir])

# Where the template record is, with the fix for a feature behind its template.
drift_at := {"path": road.path, "line": road.line, "remediation": remediation}

# METADATA
# title: Template version is no longer supported
# description: The feature was generated from a paved-road template version older than the minimum the platform team supports; the deadline to update has not passed yet.
# custom:
#   id: AIGOV-TEMPLATE-001
#   severity: medium
#   remediation: Run `aigov update` in the feature directory before the deadline.
deny contains finding if {
	behind
	lib.days_until(supported.deadline) >= 0
	msg := sprintf(
		"feature is on %s template %s; the platform supports %s and later, and blocks older versions after %s",
		[road.name, road.version, supported.minimum, supported.deadline],
	)
	finding := lib.finding(rego.metadata.rule().custom.id, msg, drift_at)
}

# METADATA
# title: Template version is past its update deadline
# description: The feature is still on a paved-road template version older than the supported minimum after the deadline to update.
# custom:
#   id: AIGOV-TEMPLATE-002
#   severity: high
#   remediation: Run `aigov update` in the feature directory, resolve any conflicts and commit.
deny contains finding if {
	behind
	lib.days_until(supported.deadline) < 0
	msg := sprintf(
		"feature is on %s template %s; %s or later has been required since %s",
		[road.name, road.version, supported.minimum, supported.deadline],
	)
	finding := lib.finding(rego.metadata.rule().custom.id, msg, drift_at)
}

answers_fix := sprintf("In %s, restore .copier-answers.yml from the commit that `aigov new` or `aigov update` wrote (git log -p -- .copier-answers.yml), or regenerate the feature with `aigov new`.", [input.feature.dir])

# A bare git commit (an organisation's untagged template) is a record copier writes; aigov still cannot order it.
git_commit(commit) if regex.match(`^[0-9a-f]{7,40}$`, commit)

record_problem contains "it records no template source (_src_path), so `aigov update` cannot find the template" if {
	road.source == null
}

record_problem contains "it records no template version (_commit), so the template-drift rules cannot judge it" if {
	road.commit == null
}

record_problem contains msg if {
	is_string(road.commit)
	road.release == null
	not git_commit(road.commit)
	msg := sprintf("_commit %q is not a template version (a PEP 440 tag such as 1.2.0, or <tag>-<n>-g<hash>)", [road.commit])
}

record_problem contains msg if {
	is_string(road.commit)
	road.release == null
	git_commit(road.commit)
	is_object(supported)
	msg := sprintf("_commit %q is a bare commit, but the platform tracks %s by version (a PEP 440 tag such as 1.2.0)", [road.commit, road.name])
}

# METADATA
# title: Template record is incomplete or unreadable
# description: The feature's .copier-answers.yml does not say which template source and version it was generated from, so `aigov update` cannot update it and the template-drift rules cannot judge it (an edited record would otherwise slip past them).
# custom:
#   id: AIGOV-TEMPLATE-003
#   severity: high
#   remediation: Restore .copier-answers.yml as `aigov new` or `aigov update` wrote it (it records _src_path and _commit), or regenerate the feature.
deny contains finding if {
	some problem in record_problem
	finding := lib.finding(
		rego.metadata.rule().custom.id,
		sprintf("the template record %s is unusable: %s", [road.path, problem]),
		{"path": road.path, "line": road.line, "remediation": answers_fix},
	)
}
