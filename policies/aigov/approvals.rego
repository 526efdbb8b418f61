# METADATA
# title: Approvals
# description: Whether a pull request's reviews hold the approval of an approver, for every rule that asks for one (the change rules, the waiver decision). An approver is a GitHub login, or an @org/team whose members approve through their own review. The review facts (input.change.review, facts/review.py) hold only approvals on the head commit by someone other than the pull request's author, and, per team, which of those reviewers GitHub says are members.
package aigov.approvals

import rego.v1

# An approver is written `alice` or `@alice` (a login, as waivers and CODEOWNERS write it) or
# `@org/team`.
is_team(approver) if {
	startswith(approver, "@")
	contains(approver, "/")
}

# The logins among the approvals that count for `approver`.
approved_by(review, approver) := {login |
	some approval in object.get(review, "approvals", [])
	login := lower(approval)
	is_approver(review, approver, login)
}

approved(review, approver) if count(approved_by(review, approver)) > 0

is_approver(_, approver, login) if {
	not is_team(approver)
	lower(trim_prefix(approver, "@")) == login
}

is_approver(review, approver, login) if {
	is_team(approver)
	login in {lower(member) | some member in object.get(team(review, approver), "members", [])}
}

team(review, approver) := object.get(object.get(review, "teams", {}), lower(approver), {})

# Why approval by `approver` cannot be verified, when it cannot: the reviews were not read, or
# someone approved and the team's membership could not be read. Undefined when the facts settle it.
unverifiable(review, _) := review_error(review) if not review.available

unverifiable(review, approver) := reason if {
	review.available
	is_team(approver)
	count(review.approvals) > 0
	reason := team_error(review, approver)
}

review_error(review) := review.error if is_string(review.error) else := "the reviews were not read"

team_error(review, approver) := team(review, approver).error if {
	is_string(team(review, approver).error)
} else := "its members were not read" if {
	not lower(approver) in object.keys(object.get(review, "teams", {}))
}

# --- Who must approve: a path's CODEOWNERS, and the reviewer groups org data requires ------------

# The CODEOWNERS of `path` (read at the base commit: the pull request cannot choose its approvers).
owners(review, path) := object.get(object.get(review, "codeowners", {}), path, [])

unverifiable_owners(review, path) := [sprintf("%s (%s)", [owner, reason]) |
	some owner in owners(review, path)
	reason := unverifiable(review, owner)
]

# Why approval by a CODEOWNER of `path` does not hold, as a set of texts (empty when it holds).
owner_gaps(review, path) := {sprintf("no CODEOWNER owns %s at the base commit, so nobody can approve it", [path])} if {
	count(owners(review, path)) == 0
} else := set() if {
	some owner in owners(review, path)
	approved(review, owner)
} else := {sprintf("cannot verify approval: no approving review on the head commit from a CODEOWNER of %s (%s); team membership unverifiable: %s", [
	path, concat(", ", owners(review, path)), concat(", ", unverifiable_owners(review, path)),
])} if {
	count(unverifiable_owners(review, path)) > 0
} else := {sprintf("no approving review on the head commit from a CODEOWNER of %s (%s)", [path, concat(", ", owners(review, path))])}

settings := object.get(data.aigov.settings, "approvals", {})

reviewers := object.get(settings, "reviewers", {})

# The reviewer groups org data requires for a change of `kind` (manifest, prompt, draft) at `tier`.
required_groups(kind, tier) := object.get(object.get(object.get(settings, "required", {}), kind, {}), tier, [])

# Why the approvals org data requires for a change of `kind` at `tier` do not hold, one text per
# required group (empty when each approved).
group_gaps(review, kind, tier) := {group_gap(review, kind, group, tier) |
	some group in required_groups(kind, tier)
	not approved(review, object.get(reviewers, group, ""))
}

group_gap(review, kind, group, tier) := sprintf("org data requires the approval of the %s reviewers %s, but data.aigov.settings.approvals.reviewers names no %s", [
	group, required_for(kind, tier), group,
]) if {
	not group in object.keys(reviewers)
} else := sprintf("cannot verify approval by the %s reviewers (%s): %s", [group, reviewers[group], reason]) if {
	reason := unverifiable(review, reviewers[group])
} else := sprintf("no approving review on the head commit from the %s reviewers (%s), whom org data requires %s", [group, reviewers[group], required_for(kind, tier)])

required_for(kind, tier) := sprintf("at %s tier", [tier]) if kind == "manifest"

required_for(kind, tier) := sprintf("for %s at %s tier", [object.get(kind_changes, kind, kind), tier]) if kind != "manifest"

kind_changes := {"prompt": "prompt changes", "draft": "making a draft final"}
