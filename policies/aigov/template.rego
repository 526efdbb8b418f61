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

drift_finding(id, msg) := {
	"id": id,
	"msg": msg,
	"path": road.path,
	"line": road.line,
	"remediation": remediation,
}

# METADATA
# title: Template version is no longer supported
# description: The feature was generated from a paved-road template version older than the minimum the platform team supports; the deadline to update has not passed yet.
# custom:
#   id: AIGOV-TEMPLATE-001
#   severity: medium
#   remediation: Run `aigov update` in the feature directory before the deadline.
#   controls: [NIST-AI-RMF:GOVERN-1.2, NIST-AI-RMF:MANAGE-4.2, ISO42001:A.6.2.2, SOC2:CC8.1]
deny contains finding if {
	behind
	lib.days_until(supported.deadline) >= 0
	msg := sprintf(
		"feature is on %s template %s; the platform supports %s and later, and blocks older versions after %s",
		[road.name, road.version, supported.minimum, supported.deadline],
	)
	finding := drift_finding("AIGOV-TEMPLATE-001", msg)
}

# METADATA
# title: Template version is past its update deadline
# description: The feature is still on a paved-road template version older than the supported minimum after the deadline to update.
# custom:
#   id: AIGOV-TEMPLATE-002
#   severity: high
#   remediation: Run `aigov update` in the feature directory, resolve any conflicts and commit.
#   controls: [NIST-AI-RMF:GOVERN-1.2, NIST-AI-RMF:MANAGE-4.2, ISO42001:A.6.2.2, SOC2:CC8.1]
deny contains finding if {
	behind
	lib.days_until(supported.deadline) < 0
	msg := sprintf(
		"feature is on %s template %s; %s or later has been required since %s",
		[road.name, road.version, supported.minimum, supported.deadline],
	)
	finding := drift_finding("AIGOV-TEMPLATE-002", msg)
}
