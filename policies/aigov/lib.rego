# METADATA
# title: Shared helpers for aigov rules
# description: Building findings that point at the manifest line a person has to edit.
package aigov.lib

import rego.v1

feature := input.feature

manifest := input.feature.manifest

spec := input.feature.manifest.spec

# The 1-based line of a manifest field such as "spec.models[0].id" (line 1 if unknown).
line(field) := object.get(feature.lines, field, 1)

# What every deny rule adds: a finding with the id its METADATA declares, which the rule passes as
# rego.metadata.rule().custom.id (a helper rule or function has no METADATA of its own, so a helper
# set yields [msg, at] pairs and the deny rule builds the findings), what is wrong, and where: `at`
# holds the path and line, and whatever else the finding carries (its own remediation, the feature
# a repository-level finding concerns).
finding(id, msg, at) := object.union(at, {"id": id, "msg": msg})

# Where a field of the feature's manifest is.
manifest_field(field) := {"path": feature.manifest_path, "line": line(field)}

# Where a fact that has a path and a line is.
place(fact) := {"path": fact.path, "line": fact.line}

now_ns := time.parse_rfc3339_ns(input.now)

day_ns := ((24 * 60) * 60) * 1000000000

# Whole days from now until a YYYY-MM-DD date (negative once it has passed).
days_until(date) := floor((time.parse_ns("2006-01-02", date) - now_ns) / day_ns)

# Whole days since a YYYY-MM-DD date.
days_since(date) := floor((now_ns - time.parse_ns("2006-01-02", date)) / day_ns)

# A date has begun somewhere on Earth until 14 hours after it began in UTC (UTC+14 is the
# easiest time zone): a review written down in Auckland this morning is not in the future.
latest_zone_offset_ns := ((14 * 60) * 60) * 1000000000

# Whether a YYYY-MM-DD date has not begun anywhere yet on the check's clock.
in_future(date) if time.parse_ns("2006-01-02", date) > now_ns + latest_zone_offset_ns

is_url(value) if contains(value, "://")

# A noun for n things, and a count in words: "day", "days"; "1 day", "2 days" (nouns whose plural
# takes an s).
noun(n, one) := one if n == 1 else := concat("", [one, "s"])

counted(n, one) := sprintf("%d %s", [n, noun(n, one)])
