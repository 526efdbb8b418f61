# METADATA
# title: Waivers
# description: Time-boxed, approved exceptions to a rule. Evaluated once per repository, after every package's deny rules have run for every feature, with those findings as input.findings and the requests in .aigov/waivers.yaml as input.waivers; aigov then only joins the decision to the findings.
package aigov.waivers

import rego.v1

import data.aigov.approvals
import data.aigov.lib

# Why a second evaluation: a waiver covers findings of any package, the org's included, and
# whether one is stale depends on every judged feature's findings (input.features). Rego cannot call the other packages'
# deny rules for inputs it has not seen, so aigov evaluates them first (one input per feature),
# then evaluates `decision` once with their findings as input. The decision stays in Rego.

settings := data.aigov.settings.waivers

# Why no waiver may cover a rule, if none may. The rule's own METADATA says so (custom.waivable:
# false, as w.waivable: the trust boundary, the waiver rules, the rules that ask for an approval)
# and a critical rule never is, whatever the data says; the org's settings can add more.
unwaivable(w) := sprintf("%s cannot be waived (its METADATA says waivable: false)", [w.rule]) if {
	w.waivable == false
} else := "a critical rule cannot be waived" if {
	w.severity == "critical"
} else := sprintf("a %s rule cannot be waived", [w.severity]) if {
	w.severity in settings.not_waivable.severities
} else := sprintf("%s cannot be waived (data.aigov.settings.waivers.not_waivable)", [w.rule]) if {
	w.rule in settings.not_waivable.rules
}

waivable(w) if not unwaivable(w)

expires_ns(w) := time.parse_ns("2006-01-02", w.expires)

created_ns(w) := time.parse_ns("2006-01-02", w.created)

# A waiver is in force until the start (UTC) of its expiry day.
expired(w) if lib.now_ns >= expires_ns(w)

expiring(w) if {
	not expired(w)
	expires_ns(w) - lib.now_ns < settings.expiry_warning_days * lib.day_ns
}

duration_days(w) := ceil((expires_ns(w) - created_ns(w)) / lib.day_ns)

max_days(w) := object.get(settings.max_days, w.severity, 0)

too_long(w) if duration_days(w) > max_days(w)

# A creation date in the future would stretch a waiver past its maximum duration.
created_in_future(w) if created_ns(w) > lib.now_ns

refused(w) if not waivable(w)

refused(w) if too_long(w)

refused(w) if created_in_future(w)

# --- Approval: the file is in the judged repository, so a waiver is only a request. -----------
# It counts as approved when it is unchanged from the base commit (it was reviewed when it
# merged), or when the pull request has an approving review by its approver.

approved(w) if w.base.state == "unchanged"

approved(w) if {
	w.base.state != "unchanged"
	reviewed_by_approver(w)
}

# The pull request's reviews (input.change.review, as the change collector gives them); none
# when the change edits no waiver or there is no change.
review := r if {
	r := input.change.review
	is_object(r)
} else := {}

# The approver named in the waiver, or a verified member of the team it names; never the author.
reviewed_by_approver(w) if approvals.approved(review, w.approver)

# --- Which findings a waiver covers ---------------------------------------------------------

covers(w, f) if {
	matches(w, f)
	approved_for(w, f)
}

matches(w, f) if {
	f.id == w.rule
	feature_matches(w, f)
	path_matches(w, f)
}

# A waiver covers the features it was approved for. One unchanged since the base was approved when
# it merged, for the features that existed there (w.base.features), so a path waiver does not
# spread to a feature added under its path later; one the pull request adds or changes is approved
# in it, for the features as they are.
approved_for(w, _) if not is_array(object.get(w.base, "features", null))

approved_for(w, f) if f.feature in w.base.features

# Features whose findings the waiver would match but was not approved for.
not_approved_for(w) := {f.feature |
	some f in input.findings
	matches(w, f)
	not approved_for(w, f)
}

feature_matches(w, _) if not w.feature

feature_matches(w, f) if w.feature == f.feature

path_matches(w, _) if not w.path

# A "**/" matches zero or more folders ("svc-a/**/*.py" covers svc-a/app.py), on both engines: regorus's
# glob.match does so, OPA's needs at least one folder, so the path is also tried with any of its "**/"
# left out. (A "**" inside a name, where they differ the other way, is refused with the waiver file.)
path_matches(w, f) if {
	some pattern in zero_folder_forms(w.path)
	glob.match(pattern, ["/"], f.path)
}

path_matches(w, f) if glob.match(w.path, ["/"], f.path)

# The path with each choice of its "**/" kept or left out (a bit of ``kept`` per "**/"). The waiver file is
# refused with more than MAX_DOUBLE_STARS of them (aigov.facts.waivers); past that, only the path as written.
zero_folder_forms(path) := {form |
	pieces := split(path, "**/")
	gaps := count(pieces) - 1
	gaps <= 4
	some kept in numbers.range(0, bits.lsh(1, gaps) - 1)
	form := concat("", [concat("", [piece, gap]) | some i, piece in pieces; gap := star_folder(i, gaps, kept)])
}

star_folder(i, gaps, kept) := "**/" if {
	i < gaps
	bits.and(kept, bits.lsh(1, i)) != 0
} else := ""

in_force(w) if {
	not refused(w)
	not expired(w)
	approved(w)
}

matched(w) if {
	some f in input.findings
	covers(w, f)
}

# Whether this check judged what a waiver is about: `aigov check svc-a`, or a pull request that
# touches one feature of a monorepo, says nothing about the waivers of the other features. A
# check of the whole repository judges them all (a misspelt feature name is stale there); a
# diff-aware check (input.change) may judge only the features the change touches.
in_scope(_) if {
	input.scope == "."
	not input.change
}

in_scope(w) if w.feature in {f.name | some f in input.features}

in_scope(w) if {
	not w.feature
	prefix := regex.split(`[*?]`, w.path)[0]
	some f in input.features
	folder_may_hold(f.dir, prefix)
}

folder_may_hold(".", _) := true

folder_may_hold(dir, prefix) if startswith(prefix, concat("", [dir, "/"]))

folder_may_hold(dir, prefix) if startswith(concat("", [dir, "/"]), prefix)

# One state per waiver, the most serious first.
state(w) := "refused" if refused(w)
else := "expired" if expired(w)
else := "unapproved" if not approved(w)
else := "stale" if {
	in_scope(w)
	not matched(w)
}
else := "expiring" if expiring(w)
else := "active"

# Each finding a waiver in force covers, with the first such waiver (by position in the file).
applied contains {"finding": f.index, "waiver": min(covering)} if {
	some f in input.findings
	covering := {w.index | some w in input.waivers; in_force(w); covers(w, f)}
	count(covering) > 0
}

# Each waiver's state, computed once (a rule's value is kept; a function's is not).
state_of := {w.index: state(w) | some w in input.waivers}

states := [{"waiver": w.index, "state": state_of[w.index]} | some w in input.waivers]

decision := {"applied": applied, "states": states, "deny": deny}

# Where a waiver's field is, and the feature it concerns.
waiver_at(w, key) := {"path": w.file, "line": object.get(w.lines, key, w.line), "feature": object.get(w, "feature", "")}

# METADATA
# title: Waiver expired
# description: A waiver in .aigov/waivers.yaml has passed its expiry date. It no longer covers anything, and the expired request itself blocks until it is removed or renewed with a new approval.
# custom:
#   id: AIGOV-WAIVER-001
#   severity: high
#   waivable: false
#   remediation: "Fix the finding the waiver covered and delete the waiver, or renew it (new expires date, a ticket that explains why) and get its approver's review."
deny contains finding if {
	some w in input.waivers
	state_of[w.index] == "expired"
	msg := sprintf("waiver for %s (%s) expired on %s", [w.rule, w.ticket, w.expires])
	finding := lib.finding(rego.metadata.rule().custom.id, msg, waiver_at(w, "expires"))
}

# METADATA
# title: Waiver expires soon
# description: A waiver in force expires within the warning window (data.aigov.settings.waivers.expiry_warning_days); after that the findings it covers block again.
# custom:
#   id: AIGOV-WAIVER-002
#   severity: low
#   waivable: false
#   remediation: "Fix the finding before the waiver expires, or renew the waiver with its approver's review."
deny contains finding if {
	some w in input.waivers
	state_of[w.index] == "expiring"
	msg := sprintf("waiver for %s (%s) expires on %s, in %d day(s)", [w.rule, w.ticket, w.expires, lib.days_until(w.expires)])
	finding := lib.finding(rego.metadata.rule().custom.id, msg, waiver_at(w, "expires"))
}

# METADATA
# title: Stale waiver
# description: A waiver in force covers no finding of the features this check judged; the problem was fixed, or the waiver names the wrong rule, feature or path, or the findings it matches are of features added after it was approved (a waiver covers only the features that existed when it was approved). A stale waiver would silently cover the problem if it came back.
# custom:
#   id: AIGOV-WAIVER-003
#   severity: low
#   waivable: false
#   remediation: "Delete the waiver, or correct its rule, feature or path."
deny contains finding if {
	some w in input.waivers
	state_of[w.index] == "stale"
	msg := sprintf("waiver for %s (%s) matches no finding%s", [w.rule, w.ticket, newer_features_note(w)])
	finding := lib.finding(rego.metadata.rule().custom.id, msg, waiver_at(w, "rule"))
}

newer_features_note(w) := sprintf(" of the features it was approved for; it does not cover %s, which did not exist at %s when it was approved (change the waiver in a pull request its approver approves)", [
	concat(", ", sort(not_approved_for(w))), w.base.ref,
]) if {
	count(not_approved_for(w)) > 0
} else := ""

# METADATA
# title: Waiver not approved
# description: A waiver added or changed since the base commit has no approving review by its named approver, so it covers nothing. Without pull-request review facts (a push or a local check), only waivers already on the default branch count as approved.
# custom:
#   id: AIGOV-WAIVER-004
#   severity: high
#   waivable: false
#   remediation: "Ask the waiver's approver to approve the pull request; the waiver takes effect once their review is in."
deny contains finding if {
	some w in input.waivers
	state_of[w.index] == "unapproved"
	msg := sprintf("waiver for %s (%s) %s", [w.rule, w.ticket, unapproved_reason(w)])
	finding := lib.finding(rego.metadata.rule().custom.id, msg, waiver_at(w, "approver"))
}

unapproved_reason(w) := sprintf("cannot be verified: base %s is not available (%s)", [w.base.ref, w.base.error]) if {
	w.base.state == "unknown"
} else := sprintf("%s and no pull-request review is available to approve it; only waivers already on the default branch count as approved", [since(w)]) if {
	not input.change
} else := sprintf("%s; cannot verify approval by %s: %s", [since(w), w.approver, reason]) if {
	reason := approvals.unverifiable(review, w.approver)
} else := sprintf("%s and has no approving review by %s", [since(w), w.approver])

# "was changed since main", and why when the text is the same but the feature it names is another.
since(w) := sprintf("was %s since %s (%s)", [w.base.state, w.base.ref, w.base.why]) if {
	is_string(w.base.why)
} else := sprintf("was %s since %s", [w.base.state, w.base.ref])

# METADATA
# title: Rule cannot be waived
# description: The waiver asks to waive a rule that no waiver may cover, so it covers nothing. A rule whose METADATA says custom.waivable false (the trust boundary AIGOV-CONFIG-001, the waiver rules, the change rules AIGOV-CHANGE-*, whose approval cannot be replaced by a waiver someone else approves), a critical rule, and the severities and rules listed in data.aigov.settings.waivers.not_waivable.
# custom:
#   id: AIGOV-WAIVER-005
#   severity: high
#   waivable: false
#   remediation: "Delete the waiver and fix the finding; a rule that cannot be waived can only be changed by the platform team."
deny contains finding if {
	some w in input.waivers
	reason := unwaivable(w)
	msg := sprintf("waiver for %s (%s): %s", [w.rule, w.ticket, reason])
	finding := lib.finding(rego.metadata.rule().custom.id, msg, waiver_at(w, "rule"))
}

# METADATA
# title: Waiver lasts too long
# description: The waiver runs longer than the maximum for the severity of the rule it waives (data.aigov.settings.waivers.max_days), or its creation date is in the future. It covers nothing.
# custom:
#   id: AIGOV-WAIVER-006
#   severity: high
#   waivable: false
#   remediation: "Shorten the waiver (expires at most the allowed number of days after created, created not in the future); renew it with a new approval when it runs out."
deny contains finding if {
	some w in input.waivers
	waivable(w)
	msg := sprintf("waiver for %s (%s) %s", [w.rule, w.ticket, duration_problem(w)])
	finding := lib.finding(rego.metadata.rule().custom.id, msg, waiver_at(w, "expires"))
}

duration_problem(w) := sprintf("lasts %s; a waiver of a %s rule may last at most %d", [lib.counted(duration_days(w), "day"), w.severity, max_days(w)]) if {
	too_long(w)
} else := sprintf("is created on %s, in the future", [w.created]) if created_in_future(w)
