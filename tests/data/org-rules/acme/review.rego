package acme.review

import rego.v1

import data.acme.lib

now_ns := time.parse_rfc3339_ns(input.now)

card := input.feature.model_card

reviewed_ns := time.parse_ns("2006-01-02", card.front_matter.last_reviewed)

# METADATA
# title: Model card reviewed in another quarter than this one
# custom:
#   id: ACME-REVIEW-001
#   severity: low
deny contains finding if {
	[year, month, _] := time.date(now_ns)
	[reviewed_year, reviewed_month, _] := time.date(reviewed_ns)
	quarter(year, month) != quarter(reviewed_year, reviewed_month)
	finding := {
		"id": "ACME-REVIEW-001",
		"msg": sprintf("model card reviewed in %s, it is now %s", [quarter(reviewed_year, reviewed_month), quarter(year, month)]),
		"path": card.path,
		"line": object.get(object.get(card, "lines", {}), "last_reviewed", 1),
	}
}

quarter(year, month) := sprintf("%d-Q%d", [year, ((month - 1) / 3) + 1]) if (month - 1) % 3 == 0

quarter(year, month) := sprintf("%d-Q%d", [year, ceil(month / 3)]) if (month - 1) % 3 != 0

# METADATA
# title: Model card is not Markdown in the docs folder
# custom:
#   id: ACME-REVIEW-002
#   severity: info
deny contains finding if {
	not glob.match("docs/**/*.md", ["/"], card.path)
	not glob.match("*.md", ["/"], card.path)
	finding := {"id": "ACME-REVIEW-002", "msg": sprintf("model card %s is not a Markdown file", [card.path]), "path": card.path}
}

# METADATA
# title: Owners listed in the card are not the manifest's team
# custom:
#   id: ACME-REVIEW-003
#   severity: medium
deny contains finding if {
	owners := {lower(trim_space(o)) | some o in object.get(card.front_matter, "owners", [])}
	team := lower(input.feature.manifest.metadata.owner)
	count(owners) > 0
	not team in owners
	others := owners - {team}
	finding := {
		"id": "ACME-REVIEW-003",
		"msg": sprintf("card owners %s do not include %s", [concat(", ", sort([o | some o in others])), team]),
		"path": card.path,
		"line": 1,
	}
}
