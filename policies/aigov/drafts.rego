# METADATA
# title: Drafts
# description: Documents that need human judgement (the model card, the risk assessment with its oversight) and are still the drafts the paved road generated. A draft does not block at first, so a generated repository passes as it stands; at the tiers org data names it blocks once its grace period has passed, until a reviewed pull request makes it final (AIGOV-CHANGE-006).
package aigov.drafts

import rego.v1

import data.aigov.lib

settings := data.aigov.settings.drafts

tier := lib.spec.riskTier

drafts contains doc if {
	some doc in object.get(lib.feature, "documents", [])
	doc.exists
	doc.status == "draft"
}

well_formed(doc) if {
	is_string(doc.drafted)
	regex.match(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`, doc.drafted)
}

# A drafted date that has not begun anywhere yet is no date the draft was made on: were it one, a
# pull request could postpone the day the draft blocks to any year it likes.
future_dated(doc) if {
	well_formed(doc)
	lib.in_future(doc.drafted)
}

dated(doc) if {
	well_formed(doc)
	not lib.in_future(doc.drafted)
}

# The day a draft starts to block: its drafted date plus the grace period.
blocks_from(doc) := substring(time.format(time.add_date(time.parse_ns("2006-01-02", doc.drafted), 0, 0, settings.grace_days)), 0, 10)

# Past its grace period at a tier where drafts block; a draft with no date it was drafted on (or a
# date in the future) has no grace period to be in.
overdue(doc) if {
	tier in settings.blocking_tiers
	not dated(doc)
}

overdue(doc) if {
	tier in settings.blocking_tiers
	dated(doc)
	lib.days_since(doc.drafted) >= settings.grace_days
}

when_it_blocks(doc) := sprintf("it blocks from %s (%s after it was drafted) at %s tier", [blocks_from(doc), lib.counted(settings.grace_days, "day"), tier]) if {
	tier in settings.blocking_tiers
} else := sprintf("at %s tier a draft does not block", [tier])

drafted_on(doc) := sprintf("generated on %s", [doc.drafted]) if {
	dated(doc)
} else := future_text(doc) if {
	future_dated(doc)
} else := "generated"

# METADATA
# title: Document is still a generated draft
# description: "The model card or the risk assessment is the draft aigov new generated (status: draft), template text nobody has reviewed. It does not block yet: for the grace period org data sets (data.aigov.settings.drafts.grace_days, 30 days by default) after the date it was drafted, and at tiers where drafts never block."
# custom:
#   id: AIGOV-DRAFT-001
#   severity: medium
#   remediation: "Review the document with the feature's owners and the risk reviewers, rewrite what the template guessed, and make it final in a pull request they approve (remove status: draft and drafted, set last_reviewed to the date of the review)."
deny contains finding if {
	some doc in drafts
	not overdue(doc)
	finding := lib.finding(
		rego.metadata.rule().custom.id,
		sprintf("the %s %s is a draft %s that nobody has reviewed yet; %s", [doc.kind, doc.path, drafted_on(doc), when_it_blocks(doc)]),
		{"path": doc.path, "line": doc.line},
	)
}

# METADATA
# title: Document is still a draft past its grace period
# description: The model card or the risk assessment of a feature at a tier where drafts block (data.aigov.settings.drafts.blocking_tiers, medium and high by default) is still the generated draft after its grace period, or has no drafted date it can be in a grace period from (none, or a date that has not begun yet). The feature's documentation of intended use, limitations, risks and oversight is template text nobody has reviewed.
# custom:
#   id: AIGOV-DRAFT-002
#   severity: high
#   waivable: false
#   remediation: "Review the document with the feature's owners and the risk reviewers and make it final in a pull request they approve (remove status: draft and drafted, set last_reviewed to the date of the review); a waiver does not make a draft reviewed."
deny contains finding if {
	some doc in drafts
	overdue(doc)
	finding := lib.finding(rego.metadata.rule().custom.id, overdue_message(doc), {"path": doc.path, "line": doc.line})
}

overdue_message(doc) := sprintf("the %s %s is still the draft generated on %s: its %d-day grace period ended on %s, and at %s tier a draft blocks until a reviewed pull request makes it final", [
	doc.kind, doc.path, doc.drafted, settings.grace_days, blocks_from(doc), tier,
]) if {
	dated(doc)
} else := sprintf("the %s %s is a draft %s, so no grace period applies; at %s tier a draft blocks until a reviewed pull request makes it final", [
	doc.kind, doc.path, undated_why(doc), tier,
])

undated_why(doc) := future_text(doc) if future_dated(doc) else := "without a drafted date (YYYY-MM-DD)"

future_text(doc) := sprintf("dated in the future (%s)", [doc.drafted])
