# METADATA
# title: Helpers the org's rules share
package acme.lib

import rego.v1

policy := data.acme.policy

tier_rank := {"low": 1, "medium": 2, "high": 3}

at_least(tier, minimum) if tier_rank[tier] >= tier_rank[minimum]

team(owner) := trim_prefix(owner, "team-")

words(text) := [word | some part in split(lower(text), " "); word := trim(part, ".,;:!?()"); word != ""]

risk_label(tier) := "elevated" if tier == "high" else := "normal" if tier == "medium" else := "minimal"

default strict := false

strict if policy.strict == true

finding(id, msg, field) := {"id": id, "msg": msg, "path": input.feature.manifest_path, "line": object.get(input.feature.lines, field, 1)}
