package acme.review_test

import rego.v1

import data.acme.review

feature(now, reviewed, path) := {"now": now, "feature": {
	"manifest": {"metadata": {"owner": "team-support"}},
	"model_card": {"path": path, "lines": {"last_reviewed": 3}, "front_matter": {"last_reviewed": reviewed, "owners": ["Team-Support "]}},
}}

test_a_review_this_quarter_passes if {
	count(review.deny) == 0 with input as feature("2026-11-23T12:00:00Z", "2026-10-01", "MODEL_CARD.md")
}

test_a_review_last_quarter if {
	[f.msg | some f in review.deny] == ["model card reviewed in 2026-Q3, it is now 2026-Q4"] with input as feature("2026-11-23T12:00:00Z", "2026-09-30", "MODEL_CARD.md")
}

test_a_card_that_is_not_markdown if {
	{f.id | some f in review.deny} == {"ACME-REVIEW-002"} with input as feature("2026-11-23T12:00:00Z", "2026-10-01", "docs/card.txt")
	count(review.deny) == 0 with input as feature("2026-11-23T12:00:00Z", "2026-10-01", "docs/cards/a/card.md")
}

test_card_owners_without_the_team if {
	i := json.patch(feature("2026-11-23T12:00:00Z", "2026-10-01", "MODEL_CARD.md"), [{"op": "replace", "path": "/feature/model_card/front_matter/owners", "value": ["Ana", "bo "]}])
	[f.msg | some f in review.deny] == ["card owners ana, bo do not include team-support"] with input as i
}
