package aigov.approvals_test

import rego.v1

import data.aigov.approvals

# Review facts as facts/review.py gives them: approvals on the head commit (never the author's),
# and per team which of those reviewers GitHub says are members.
review := {
	"available": true, "error": null, "author": "dev", "approvals": ["alice", "carol"],
	"teams": {"@acme/risk": {"members": ["carol"], "error": null}, "@acme/locked": {"members": [], "error": "HTTP 403"}},
}

test_a_login_approves_in_any_spelling if {
	approvals.approved(review, "alice")
	approvals.approved(review, "@Alice")
	not approvals.approved(review, "bob")
}

test_a_team_approves_through_a_verified_member if {
	approvals.approved_by(review, "@Acme/Risk") == {"carol"}
	not approvals.approved(review, "@acme/other")
}

test_a_login_that_looks_like_a_team_member_is_not_the_team if {
	not approvals.approved(review, "carol/risk")
}

test_what_cannot_be_verified_says_why if {
	approvals.unverifiable(review, "@acme/locked") == "HTTP 403"
	approvals.unverifiable(review, "@acme/unread") == "its members were not read"
	not approvals.unverifiable(review, "@acme/risk")
	not approvals.unverifiable(review, "alice")
}

test_without_approvals_a_team_is_simply_not_approved if {
	nobody := object.union(review, {"approvals": [], "teams": {}})
	not approvals.unverifiable(nobody, "@acme/risk")
	not approvals.approved(nobody, "@acme/risk")
}

test_unread_reviews_verify_nothing if {
	approvals.unverifiable({"available": false, "error": "no GitHub token"}, "alice") == "no GitHub token"
	approvals.unverifiable({}, "@acme/risk") == "the reviews were not read"
	not approvals.approved({}, "alice")
}
