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
