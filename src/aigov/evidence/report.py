"""The bundle's human reports: report.md and report.html (one self-contained file: inline CSS and
SVG, no scripts), both rendered from the same summary view so they never disagree.

Everything that comes from a repository (feature, team and template names, commit subjects,
waivers, recorded notes, the titles of a repository's own rules) is plain text in both: escaped
for HTML, and for Markdown so that it makes no markup, links or images of its own.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from aigov.evidence.summary import feature_key, feature_label
from aigov.untrusted import html_text as escape
from aigov.untrusted import markdown_text as md
from aigov.words import counted

STATUS_ORDER = ("not held", "incomplete", "remediated", "held", "not assessed", "not applicable")
FEATURES_NAMED = 5  # a failing rule's features named in a control's row; the rest counted
NOT_EVIDENCED = "not evidenced"  # a control of the framework no aigov rule evidences: the gap list
COLOURS = {"pass": "#2e7d32", "fail": "#c62828", "error": "#6d6d6d", "removed": "#bdbdbd"}
STATUS_COLOURS = {"held": "#2e7d32", "remediated": "#ef8f00", "not held": "#c62828", "incomplete": "#6d6d6d",
                  "not assessed": "#8e24aa", "not applicable": "#90a4ae", NOT_EVIDENCED: "#e0e0e0"}
STATUS_MEANING = {
    "held": "no blocking finding of the control's rules in any decision of the period",
    "remediated": "blocking findings during the period, none left at its end",
    "not held": "a blocking finding at period end, or a change recorded failing a pull-request rule",
    "incomplete": "no finding, but aigov could not decide at some point (an error), or some change of the period had no recorded pull-request decision to judge it",
    "not assessed": "its rules judge pull requests (what a change did, who approved it): only a decision CI recorded on a pull request "
                    "(aigov record in a pull-request run) assesses them, a replayed commit has no base to judge; none covers the period's changes",
    "not applicable": "its rules apply only to features of a risk tier no feature of the period has",
}


def _counts(view: dict[str, Any]) -> dict[str, Any]:
    fleet = view["fleet"]
    by_status: dict[str, int] = {}
    for control in view["controls"]:
        by_status[control["status"]] = by_status.get(control["status"], 0) + 1
    return {"repositories": len(view["repositories"]), "features": len(fleet["features"]),
            "decisions": view["decisions"], "failing": len(fleet["failing_now"]), "by_status": by_status}


# --- What both reports say, as text ------------------------------------------------------------------


def _period_line(period: dict[str, Any]) -> str:
    line = f"Period {period['start'][:10]} to {_when(period['end'])}"
    if period.get("open"):
        line += (f" (open: the period ends {period['ends'][:10]}; this bundle covers up to {_when(period['end'])}, "
                 "when it was built, and holds no decision after that)")
    return line


def _rule(rule: str, titles: dict[str, str]) -> str:
    title = titles.get(rule)
    return f"{rule} {title}" if title else rule


def _control_notes(control: dict[str, Any], titles: dict[str, str]) -> list[tuple[str, str]]:
    """(failed | assessed | other, note): why a control's status is what it is, the rules that
    failed and where, and the rules that could not judge everywhere."""
    failed: dict[str, list[str]] = {}
    for item in control["failures"]:
        failed.setdefault(item["rule"], []).append(feature_label(item["feature"]) + ("" if item["open_at_period_end"] else " (remediated)"))
    notes = [("failed", f"failed: {_rule(rule, titles)}: {', '.join(where[:FEATURES_NAMED])}"
                        + (f" and {len(where) - FEATURES_NAMED} more" if len(where) > FEATURES_NAMED else "")) for rule, where in failed.items()]
    pull_requests = control.get("pull_requests")
    if pull_requests:
        rules = ", ".join(pull_requests["rules"])
        if not pull_requests["changes"]:
            notes.append(("other", f"{rules}: no change to a feature in the period"))
        elif pull_requests["covered"] < pull_requests["changes"]:
            missing = pull_requests["changes"] - pull_requests["covered"]
            notes.append(("other", f"{rules}: not assessed for {missing} of {pull_requests['changes']} changes (no recorded pull-request decision)"))
        else:
            notes.append(("assessed", f"{rules}: assessed by recorded pull-request decisions for all {pull_requests['changes']} changes"))
    if control.get("not_applicable"):
        notes.append(("other", f"{', '.join(control['not_applicable'])}: not applicable to the tiers judged"))
    return notes


def _anomaly_text(anomaly: dict[str, Any]) -> str:
    what = {"future-dated": "dated after this bundle was built; the history of the period stops before it",
            "back-dated": "dated before the period, but it follows a commit of the period on the branch",
            "out of order": "dated before a commit that precedes it on the branch"}[anomaly["kind"]]
    follows = f" (follows {anomaly['follows'][:12]}, dated {_when(anomaly['follows_dated'])})" if anomaly.get("follows") else ""
    return (f"commit {anomaly['commit'][:12]} {anomaly['subject']}: {anomaly['kind']}, {what}{follows}; "
            f"dated {_when(anomaly['dated'])}, judged at {_when(anomaly['effective'])}")


def _anomalies(view: dict[str, Any]) -> Iterator[tuple[str, list[str], int]]:
    """(repository, the anomalies as text, how many there are) of each repository that has any."""
    for repository in view["repositories"]:
        listed = repository.get("date_anomalies") or []
        if listed:
            yield repository["name"], [_anomaly_text(a) for a in listed], repository.get("date_anomalies_total", len(listed))


def _recorded_lines(recorded: Iterable[dict[str, Any]]) -> Iterator[tuple[str, str]]:
    """(agree | disagree | other, line): what gated each change in CI (git notes written by `aigov
    record`) against what the replay decides."""
    if not recorded:
        yield "other", "No decision records (git notes under refs/notes/aigov) in the period."
        return
    for r in recorded:
        kind = "a pull request's decision" if r.get("pull_request") else "decision"
        where = f"{r['repository']} commit {r['commit'][:12]} (decisions.jsonl line {r['seq']})"
        if r["error"]:
            yield "disagree", f"{where}: {r['error']}"
        elif r.get("covers") is None:
            yield "other", (f"{where}: recorded {r['verdict']} at {r.get('clock') or 'an unknown time'}; the commit is not on the branch "
                            "(a pull request's run, or a commit force-pushed away): not set beside the replay")
        elif r["agrees"] is False:
            verdicts = f"recorded {r['verdict']}, replayed {r['replayed_verdict']}: " if r.get("replayed_verdict") else ""
            yield "disagree", f"{where}: DISAGREES: {verdicts}{r.get('disagreement') or 'different blocking findings'}"
        elif r["agrees"]:
            covers = f", for commit {r['covers'][:12]} that merged it" if r["covers"] != r["commit"] else ""
            yield "agree", f"{where}: recorded {kind} {r['verdict']}{covers}, agrees with the replay"
        else:
            yield "other", f"{where}: recorded {r['verdict']}; no feature to judge at this commit, so it was not replayed"


PROMOTIONS_NOTE = ("Prompt promotions per feature and quarter, from the pull-request decisions CI recorded (aigov check --pr --record, "
                   "kept as git notes); a record that names another commit or disagrees with the replay is left out, and one on a commit "
                   "off the branch (a pull request never merged) counts as recorded, with no replay to set it beside. Sent back: changes "
                   "were requested at least once. Reject rate: the share of the promotions whose reviews were read that were sent back; "
                   "not measured (rather than 0%) where no review was read (no token, no pull request).")
DRAFTS_NOTE = ("Generated documents still marked draft at the feature's last decision of the quarter in the replay of the branch, "
               "their age on that decision's clock, and whether they block (past the grace period, at medium and high tier).")
PROMOTION_HEADINGS = ("Feature", "Quarter", "Promotions", "Prompt files", "Approvers", "Sent back", "Reviews not read", "Reject rate")
DRAFT_HEADINGS = ("Feature", "Quarter", "Document", "Path", "Drafted", "Age (days)", "As of", "Blocks")


def _promotion_cells(row: dict[str, Any]) -> list[str]:
    return [feature_label(feature_key(row["repository"], row["feature"])), row["quarter"], str(row["promotions"]),
            ", ".join(row["prompts"]) or "-", ", ".join(row["approvers"]) or "-", str(row["sent_back"]),
            str(row["reviews_not_read"]), _reject_rate(row)]


def _reject_rate(row: dict[str, Any]) -> str:
    if row["reject_rate"] is None:
        return "not measured (no review read)"
    read = row["promotions"] - row["reviews_not_read"]
    return f"{row['reject_rate']:.0%} ({row['sent_back']} of {read} read)"


def _draft_cells(row: dict[str, Any]) -> list[str]:
    return [feature_label(feature_key(row["repository"], row["feature"])), row["quarter"], row["document"], row["path"],
            _dash(row["drafted"]), _dash(row["age_days"]), row["as_of"][:10], "yes" if row["blocking"] else "no"]


# --- report.md -------------------------------------------------------------------------------------


def markdown(view: dict[str, Any]) -> Iterator[str]:
    """report.md, a line at a time (each with its newline)."""
    return (line + "\n" for line in _markdown_lines(view))


def _markdown_lines(view: dict[str, Any]) -> Iterator[str]:
    period = view["period"]
    counts = _counts(view)
    titles = view["rule_titles"]
    yield from [f"# AI feature governance evidence: {md(period['label'])}", "",
                f"{md(_period_line(period))}; aigov {md(view['aigov_version'])}.", ""]
    if not view["decisions"]:
        yield from ["**No decisions in this period**: no feature existed or no commit changed one. The bundle is empty but valid.", ""]
    yield from ["## Summary", "", "| | |", "|---|---|",
                f"| Repositories | {counts['repositories']} |", f"| Features at period end | {counts['features']} |",
                f"| Decisions | {counts['decisions']} |", f"| Failing at period end | {counts['failing']} |"]
    yield from [f"| Controls {status} | {counts['by_status'].get(status, 0)} |" for status in STATUS_ORDER]
    yield ""
    yield from [f"- **{status}**: {meaning}." for status, meaning in STATUS_MEANING.items()]
    yield from ["", "A mapping says a rule is evidence towards a control, never that the control is met.", "", "## Controls", ""]
    for framework in view["frameworks"]:
        rows = [c for c in view["controls"] if c["framework"] == framework["key"]]
        shares = ", ".join(f"{n} {status}" for status, n in _shares(rows, framework) if n)
        yield from [f"### {md(framework['name'])} {md(framework['version'])}", "", md(shares) + ".", "",
                    "| Control | Title | Status | Rules (titles under Rules below) | Notes |", "|---|---|---|---|---|"]
        for c in rows:
            yield (f"| {md(c['control'])} | {md(c['title'])} | **{md(c['status'])}** | {md(', '.join(c['rules']))} | "
                   f"{md('; '.join(note for _, note in _control_notes(c, titles)) or '-')} |")
        yield from ["", f"Not evidenced by any rule: {md(', '.join(framework['gaps']) or 'none')}.", ""]
    yield from ["## History", ""]
    anomalies = list(_anomalies(view))
    if not anomalies:
        yield "Every commit's date agrees with the order of the default branch's first-parent history."
    for repository, lines, total in anomalies:
        yield from [f"Date anomalies in {md(repository)} ({total}; each commit is judged at its effective time, never before the commit it follows):", ""]
        yield from (f"- {md(line)}" for line in lines)
        if total > len(lines):
            yield f"- and {total - len(lines)} more"
        yield ""
    yield from ["", "## Feature timelines", ""]
    for key, changes in view["timelines"].items():
        yield from [f"### {md(feature_label(key))}", "", "| When | Verdict | Change | Cause |", "|---|---|---|---|"]
        for c in changes:
            delta = "; ".join([*(f"+{_rule(i, titles)}" for i in c["added"]), *(f"-{_rule(i, titles)}" for i in c["removed"])]) or "-"
            yield f"| {md(_when(c['clock']))} | {md(c['verdict'])} | {md(delta)} | {md(c['cause'])} |"
        yield ""
    yield from ["## Recorded decisions", ""]
    yield from (f"- {md(line)}" for _, line in _recorded_lines(view["recorded"]))
    yield from _markdown_reviews(view["reviews"])
    yield from ["", "## Waivers", ""]
    waivers = view["fleet"]["waivers"]
    if waivers:
        yield from ["| Repository | Rule | Feature | Expires | State | Approver |", "|---|---|---|---|---|---|"]
        yield from ["| " + " | ".join(md(w.get(k)) for k in ("repository", "rule", "feature", "expires", "state", "approver")) + " |"
                    for w in waivers]
    else:
        yield "No waivers in force at period end."
    yield from _markdown_adoption(view["fleet"], period["label"])
    yield from ["", "## Rules", "", "| Rule | Title |", "|---|---|"]
    yield from (f"| {md(rule)} | {md(title)} |" for rule, title in titles.items())
    yield from ["", "## Fleet", "", "| Feature | Team | Tier | Verdict | Template | Version | Behind | Days to remediate |", "|---|---|---|---|---|---|---|---|"]
    for f in view["fleet"]["features"]:
        cells = [feature_label(f["feature"]), f["team"], f["tier"], f["verdict"], f["template"] or "-", f["template_version"] or "-",
                 _dash(f["template_behind"]), ", ".join(map(str, f["remediation_days"])) or "-"]
        yield "| " + " | ".join(md(cell) for cell in cells) + " |"


def _markdown_reviews(reviews: dict[str, Any]) -> Iterator[str]:
    yield from ["", "## Prompt reviews", "", md(PROMOTIONS_NOTE), ""]
    yield from _markdown_table(PROMOTION_HEADINGS, map(_promotion_cells, reviews["promotions"]),
                               "No prompt promotion recorded in the period.")
    yield from ["", "### Drafts", "", md(DRAFTS_NOTE), ""]
    yield from _markdown_table(DRAFT_HEADINGS, map(_draft_cells, reviews["drafts"]), "No document is a draft.")


def _markdown_table(headings: Iterable[str], rows: Iterable[list[str]], empty: str) -> Iterator[str]:
    """A table of plain-text cells, or ``empty`` when there is no row."""
    headings = list(headings)
    lines = ["| " + " | ".join(md(cell) for cell in row) + " |" for row in rows]
    if not lines:
        yield empty
        return
    yield from ["| " + " | ".join(headings) + " |", "|" + "---|" * len(headings), *lines]


def _markdown_adoption(fleet: dict[str, Any], period_label: str) -> Iterator[str]:
    adoption = fleet["adoption"]
    yield from ["", f"## Paved-road adoption, {md(period_label)}", "", f"Features on a paved-road template at period end: {fleet['on_paved_road']} "
                f"(at its start: {sum(r['at_start'] for r in adoption['templates'])}); with no template: {adoption['no_template']} "
                f"(at its start: {adoption['no_template_at_start']}).", ""]
    if adoption["templates"]:
        yield from ["| Template | Version | Status | Latest | Features at start | Features at end |", "|---|---|---|---|---|---|"]
        for row in adoption["templates"]:
            yield (f"| {md(row['template'])} | {md(row['version'])} | {md(row['status'])} | {md(_dash(row['latest']))} | "
                   f"{row['at_start']} | {row['features']} |")
    if adoption["models"]:
        tiers = _tiers(adoption["models"])
        yield from ["", "Models in use across the fleet, by the features' risk tier:", "",
                    "| Model | " + " | ".join(md(t) for t in tiers) + " | Features |", "|---|" + "---|" * (len(tiers) + 1)]
        for row in adoption["models"]:
            yield f"| {md(row['model'])} | " + " | ".join(str(row["tiers"].get(t, 0)) for t in tiers) + f" | {row['features']} |"


def _tiers(models: list[dict[str, Any]]) -> list[str]:
    order = {"high": 0, "medium": 1, "low": 2}
    return sorted({t for row in models for t in row["tiers"]}, key=lambda t: (order.get(t, 3), t))


def _shares(rows: list[dict[str, Any]], framework: dict[str, Any]) -> list[tuple[str, int]]:
    """(status, how many controls) over the framework's controls aigov evidences and those it does not."""
    out = [(status, sum(1 for c in rows if c["status"] == status)) for status in STATUS_ORDER]
    return out + [(NOT_EVIDENCED, len(framework["gaps"]))]


def _dash(value: Any) -> str:
    return "-" if value is None else str(value)


# --- report.html -----------------------------------------------------------------------------------

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1b1b1b;background:#f6f7f9;line-height:1.45}
main{max-width:1180px;margin:0 auto;padding:24px 32px 64px}
h1{font-size:28px;margin:8px 0 4px}h2{font-size:21px;margin:36px 0 12px;border-bottom:2px solid #d7dbe0;padding-bottom:4px}
h3{font-size:16px;margin:20px 0 8px}.muted{color:#5b6470}
.open{background:#e8f0fe;border:1px solid #a9c1f5;padding:8px 14px;border-radius:8px}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin:16px 0}
.card{background:#fff;border:1px solid #d7dbe0;border-radius:8px;padding:12px 16px;min-width:140px}
.card .n{font-size:28px;font-weight:700}.card .l{font-size:13px;color:#5b6470}
table{border-collapse:collapse;width:100%;background:#fff;border:1px solid #d7dbe0;font-size:14px;margin-bottom:8px}
th,td{text-align:left;padding:6px 10px;border-bottom:1px solid #e6e8eb;vertical-align:top}th{background:#eef1f4}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600;color:#fff;white-space:nowrap}
.s-held,.v-pass,.t-current{background:#2e7d32}.s-remediated,.t-behind{background:#ef8f00}.s-not-held,.v-fail,.t-past-the-deadline{background:#c62828}
.s-incomplete,.v-error,.t-unknown{background:#6d6d6d}.s-not-assessed{background:#8e24aa}.s-not-applicable,.v-removed{background:#90a4ae}
.rule{white-space:nowrap;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px}td.rules{font-size:12px;line-height:1.6}
.note{font-size:13px;color:#5b6470;margin-top:4px}.note.failed{color:#b71c1c}
.gaps{font-size:13px;color:#5b6470}.feature{background:#fff;border:1px solid #d7dbe0;border-radius:8px;padding:8px 16px 12px;margin:12px 0}
.empty{background:#fff3cd;border:1px solid #e0c46c;padding:12px 16px;border-radius:8px}
.legend{font-size:13px}.legend dt{font-weight:600;display:inline}.legend dd{display:inline;margin:0 0 0 4px}.legend div{margin:2px 0}
svg text{font-family:inherit}svg{max-width:100%;height:auto;display:block}
td.when{white-space:nowrap}.recorded li{margin:4px 0}.recorded .disagree{color:#c62828;font-weight:600}nav{font-size:14px;margin:8px 0 0}nav a{margin-right:14px;color:#3559a8}
.anomalies li{margin:4px 0}
.d-blocks{background:#c62828}.d-reported{background:#90a4ae}td.unmeasured{color:#5b6470;font-style:italic}td.name,td.rate{white-space:nowrap}
"""


def _html_parts(view: dict[str, Any]) -> Iterator[str | Iterable[str]]:
    """The blocks of report.html's <main>, one line apart; a block that is not a string comes in pieces."""
    period = view["period"]
    counts = _counts(view)
    titles = view["rule_titles"]
    yield from [f"<h1>AI feature governance evidence: {escape(period['label'])}</h1>",
                f"<p class='muted'>Period {escape(period['start'][:10])} to {escape(period.get('ends', period['end'])[:10])} "
                f"&middot; aigov {escape(view['aigov_version'])} &middot; "
                f"repositories: {escape(', '.join(r['name'] + ' @ ' + str(r['head'])[:12] for r in view['repositories']))}</p>"]
    if period.get("open"):
        yield f"<p class='open' id='open-period'><strong>Open period.</strong> {escape(_period_line(period))}.</p>"
    yield ("<nav><a href='#summary'>Summary</a><a href='#controls'>Controls</a><a href='#history'>History</a>"
           "<a href='#timelines'>Feature timelines</a><a href='#recorded'>Recorded decisions</a><a href='#reviews'>Prompt reviews</a>"
           "<a href='#waivers'>Waivers</a>"
           "<a href='#adoption'>Paved-road adoption</a><a href='#rules'>Rules</a><a href='#fleet'>Fleet</a></nav>")
    if not view["decisions"]:
        yield "<p class='empty' id='empty-period'><strong>No decisions in this period.</strong> No feature existed or no commit changed one; the bundle is empty but valid.</p>"
    yield "<h2 id='summary'>Period summary</h2><div class='cards'>"
    for label, number, ident in [("repositories", counts["repositories"], "repositories"), ("features at period end", counts["features"], "features"),
                                 ("decisions", counts["decisions"], "decisions"), ("failing at period end", counts["failing"], "failing")]:
        yield f"<div class='card'><div class='n' id='count-{ident}'>{number}</div><div class='l'>{escape(label)}</div></div>"
    yield "</div>"
    yield _status_chart(view)
    yield ("<dl class='legend'>" + "".join(f"<div><dt>{_badge('s', status)}</dt><dd>{escape(meaning)}.</dd></div>"
                                           for status, meaning in STATUS_MEANING.items())
           + f"<div><dt><span class='badge' style='background:{STATUS_COLOURS[NOT_EVIDENCED]};color:#333'>{NOT_EVIDENCED}</span></dt>"
           "<dd>a control of the framework that no aigov rule evidences (the gap list).</dd></div></dl>"
           "<p class='muted'>A mapping is evidence towards a control, never proof that it is met.</p>")
    yield "<h2 id='controls'>Controls by framework</h2>"
    for framework in view["frameworks"]:
        rows = [c for c in view["controls"] if c["framework"] == framework["key"]]
        yield f"<h3>{escape(framework['name'])} <span class='muted'>{escape(framework['version'])}</span></h3>"
        yield "<table><tr><th>Control</th><th>Title</th><th>Status</th><th>Evidenced by (rule titles under <a href='#rules'>Rules</a>)</th></tr>"
        for c in rows:
            rules = ", ".join(_rule_html(r, titles) for r in c["rules"])
            notes = "".join(f"<div class='note {kind}'>{escape(note)}</div>" for kind, note in _control_notes(c, titles))
            yield (f"<tr data-control='{escape(c['framework'])}:{escape(c['control'])}' data-status='{escape(c['status'])}'>"
                   f"<td class='when'><strong>{escape(c['control'])}</strong></td><td>{escape(c['title'])}</td><td>{_badge('s', c['status'])}</td>"
                   f"<td class='rules'>{rules}{notes}</td></tr>")
        yield "</table>"
        yield f"<p class='gaps'>Not evidenced by any aigov rule: {escape(', '.join(framework['gaps']) or 'none')}</p>"
    yield "<h2 id='history'>History</h2>"
    anomalies = list(_anomalies(view))
    if not anomalies:
        yield "<p class='muted'>Every commit's date agrees with the order of the default branch's first-parent history.</p>"
    for repository, lines, total in anomalies:
        more = f"<li>and {total - len(lines)} more</li>" if total > len(lines) else ""
        yield (f"<p><strong>Date anomalies in {escape(repository)}</strong> ({total}): commit dates are claims; each commit is judged at its "
               f"effective time, never before the commit it follows.</p><ul class='anomalies'>"
               + "".join(f"<li>{escape(line)}</li>" for line in lines) + more + "</ul>")
    yield "<h2 id='timelines'>Feature timelines</h2>"
    yield ("<p class='muted'>Each bar spans the period; colour is the feature's verdict from one decision to the next "
           "(<span class='badge v-pass'>pass</span> <span class='badge v-fail'>fail</span> <span class='badge v-error'>error</span>: aigov could not decide). "
           "Each change is listed below its bar with what caused it: a commit, or the clock alone.</p>")
    if not view["timelines"]:
        yield "<p class='muted'>No feature was judged in this period.</p>"
    for key, changes in view["timelines"].items():
        yield f"<div class='feature' data-feature='{escape(key)}'><h3>{escape(feature_label(key))}</h3>{_timeline_svg(changes, period)}"
        yield "<table><tr><th>When</th><th>Verdict</th><th>What changed</th><th>Cause</th></tr>"
        for c in changes:
            delta = "".join([*(f"<div>+ <span class='rule'>{escape(i)}</span> {escape(titles.get(i, ''))}</div>" for i in c["added"]),
                             *(f"<div>&minus; <span class='rule'>{escape(i)}</span> {escape(titles.get(i, ''))}</div>" for i in c["removed"])]) or "&ndash;"
            yield f"<tr><td class='when'>{escape(_when(c['clock']))}</td><td>{_badge('v', c['verdict'])}</td><td>{delta}</td><td>{escape(c['cause'])}</td></tr>"
        yield "</table></div>"
    yield "<h2 id='recorded'>Recorded and replayed decisions</h2>"
    yield itertools.chain(["<ul class='recorded'>"], (f"<li class='{kind}'>{escape(line)}</li>" for kind, line in _recorded_lines(view["recorded"])),
                          ["</ul>"])
    yield from _html_reviews(view["reviews"])
    yield "<h2 id='waivers'>Waivers</h2>"
    waivers = view["fleet"]["waivers"]
    if waivers:
        yield "<table><tr><th>Repository</th><th>Rule</th><th>Feature</th><th>Reason</th><th>Approver</th><th>Expires</th><th>State</th></tr>"
        for w in waivers:
            yield "<tr>" + "".join(f"<td>{escape(str(w.get(k) or '-'))}</td>" for k in ("repository", "rule", "feature", "reason", "approver", "expires", "state")) + "</tr>"
        yield "</table>"
    else:
        yield "<p class='muted'>No waivers in force at period end.</p>"
    yield from _html_adoption(view["fleet"], period["label"])
    yield "<h2 id='rules'>Rules</h2>"
    yield ("<table class='glossary'><tr><th>Rule</th><th>Title</th></tr>"
           + "".join(f"<tr id='rule-{escape(rule)}'><td class='rule'>{escape(rule)}</td><td>{escape(title)}</td></tr>" for rule, title in titles.items())
           + "</table>")
    yield "<h2 id='fleet'>Fleet</h2>"
    yield _team_chart(view["fleet"])
    yield "<table><tr><th>Feature</th><th>Team</th><th>Tier</th><th>Verdict</th><th>Template</th><th>Version</th><th>Releases behind</th><th>Days to remediate</th></tr>"
    for f in view["fleet"]["features"]:
        yield (f"<tr><td>{escape(feature_label(f['feature']))}</td><td>{escape(str(f['team']))}</td><td>{escape(str(f['tier']))}</td><td>{_badge('v', f['verdict'])}</td>"
               f"<td>{escape(str(f['template'] or '-'))}</td><td>{escape(str(f['template_version'] or '-'))}</td><td>{_dash(f['template_behind'])}</td>"
               f"<td>{escape(', '.join(map(str, f['remediation_days'])) or '-')}</td></tr>")
    yield "</table>"
    median = view["fleet"]["median_days_to_remediate"]
    yield (f"<p>Median time from failing to passing again: <strong id='median-remediation'>{_days(median)}</strong>.</p>")


def _days(days: float | None) -> str:
    """A number of days (tenths where it has them): "-", "1 day", "2.5 days"."""
    if days is None:
        return "-"
    return counted(int(days), "day") if float(days).is_integer() else f"{days} days"


def _rule_html(rule: str, titles: dict[str, str]) -> str:
    return f"<span class='rule' title='{escape(titles.get(rule, ''))}'>{escape(rule)}</span>"


def _html_reviews(reviews: dict[str, Any]) -> Iterator[str | Iterable[str]]:
    yield f"<h2 id='reviews'>Prompt reviews</h2><p class='muted'>{escape(PROMOTIONS_NOTE)}</p>"
    yield _html_table("review-promotions", PROMOTION_HEADINGS, reviews["promotions"], _promotion_row_html,
                      "No prompt promotion recorded in the period.")
    yield f"<h3>Drafts</h3><p class='muted'>{escape(DRAFTS_NOTE)}</p>"
    yield _html_table("review-drafts", DRAFT_HEADINGS, reviews["drafts"], _draft_row_html, "No document is a draft.")


def _html_table(ident: str, headings: Iterable[str], rows: Iterable[dict[str, Any]], row_html: Callable[[dict[str, Any]], str],
                empty: str) -> Iterator[str]:
    """A table of rows, each rendered by ``row_html``, or ``empty`` when there is none."""
    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        yield f"<p class='muted' id='{ident}'>{escape(empty)}</p>"
        return
    yield f"<table id='{ident}'><tr>" + "".join(f"<th>{escape(h)}</th>" for h in headings) + "</tr>"
    yield from (row_html(row) for row in itertools.chain([first], rows))
    yield "</table>"


def _promotion_row_html(row: dict[str, Any]) -> str:
    feature, quarter, *counts, rate = _promotion_cells(row)
    files = "".join(f"<div>{escape(path)}</div>" for path in row["prompts"]) or "-"  # one a line: paths are long
    measured = "rate" if row["reject_rate"] is not None else "rate unmeasured"
    return (f"<tr data-feature='{escape(feature_key(row['repository'], row['feature']))}' data-quarter='{escape(row['quarter'])}'>"
            f"<td class='name'>{escape(feature)}</td><td>{escape(quarter)}</td><td>{escape(counts[0])}</td><td>{files}</td>"
            + "".join(f"<td>{escape(cell)}</td>" for cell in counts[2:]) + f"<td class='{measured}'>{escape(rate)}</td></tr>")


def _draft_row_html(row: dict[str, Any]) -> str:
    feature, *cells, _ = _draft_cells(row)
    blocks = "<span class='badge d-blocks'>blocks</span>" if row["blocking"] else "<span class='badge d-reported'>reported</span>"
    return (f"<tr data-feature='{escape(feature_key(row['repository'], row['feature']))}' data-document='{escape(row['document'])}'>"
            f"<td class='name'>{escape(feature)}</td>" + "".join(f"<td>{escape(cell)}</td>" for cell in cells) + f"<td>{blocks}</td></tr>")


def _html_adoption(fleet: dict[str, Any], period_label: str) -> Iterator[str]:
    adoption = fleet["adoption"]
    yield f"<h2 id='adoption'>Paved-road adoption, {escape(period_label)}</h2>"
    at_start = sum(r["at_start"] for r in adoption["templates"])
    yield (f"<div class='cards'><div class='card'><div class='n' id='count-on-template'>{fleet['on_paved_road']}</div>"
           f"<div class='l'>features on a paved-road template ({at_start} when the period began)</div></div>"
           f"<div class='card'><div class='n' id='count-no-template'>{adoption['no_template']}</div>"
           f"<div class='l'>features with no template ({adoption['no_template_at_start']} when the period began)</div></div></div>")
    if adoption["templates"]:
        yield ("<table id='adoption-templates'><tr><th>Template</th><th>Version</th><th>Status</th><th>Latest</th>"
               "<th>Features when the period began</th><th>Features at period end</th></tr>")
        for row in adoption["templates"]:
            yield (f"<tr><td>{escape(row['template'])}</td><td>{escape(row['version'])}</td><td>{_badge('t', row['status'])}</td>"
                   f"<td>{escape(_dash(row['latest']))}</td><td>{row['at_start']}</td><td>{row['features']}</td></tr>")
        yield "</table>"
        yield ("<p class='muted'>current: at or above the minimum version the platform supports (data.aigov.templates); behind: below it, "
               "before the update deadline; past the deadline: below it after the deadline (blocked); unknown: a version aigov cannot order.</p>")
    if adoption["models"]:
        tiers = _tiers(adoption["models"])
        yield "<h3>Models in use across the fleet</h3>"
        yield ("<table id='adoption-models'><tr><th>Model</th>" + "".join(f"<th>{escape(t)} tier</th>" for t in tiers) + "<th>Features</th></tr>"
               + "".join(f"<tr><td>{escape(row['model'])}</td>" + "".join(f"<td>{row['tiers'].get(t, 0)}</td>" for t in tiers)
                         + f"<td>{row['features']}</td></tr>" for row in adoption["models"]) + "</table>")


def html(view: dict[str, Any]) -> Iterator[str]:
    """report.html in pieces, written as they come (a fleet's report is megabytes)."""
    yield ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><meta name='viewport' content='width=device-width,initial-scale=1'>"
           "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">"
           f"<title>aigov evidence {escape(view['period']['label'])}</title><style>{CSS}</style></head><body><main>")
    for index, part in enumerate(_html_parts(view)):
        if index:
            yield "\n"
        if isinstance(part, str):
            yield part
        else:
            yield from part
    yield "</main></body></html>\n"


def _when(clock: str) -> str:
    return clock[:10] + " " + clock[11:16] + " UTC"


def _badge(prefix: str, status: str) -> str:
    return f"<span class='badge {prefix}-{escape(status.replace(' ', '-'))}'>{escape(status)}</span>"


def _status_chart(view: dict[str, Any]) -> str:
    """One horizontal stacked bar per framework over all its controls: how many held, were
    remediated, not held, ... and how many no aigov rule evidences at all."""
    statuses = (*STATUS_ORDER, NOT_EVIDENCED)
    rows = []
    width, label_w, bar_w = 1100, 290, 520
    for i, framework in enumerate(view["frameworks"]):
        controls = [c for c in view["controls"] if c["framework"] == framework["key"]]
        y = 44 + i * 30
        rows.append(f"<text x='0' y='{y + 15}' font-size='13'>{escape(framework['name'])}</text>")
        x: float = label_w
        shares = dict(_shares(controls, framework))
        total = max(sum(shares.values()), 1)
        for status in statuses:
            n = shares[status]
            if n:
                w = bar_w * n / total
                rows.append(f"<rect x='{x:.1f}' y='{y}' width='{w:.1f}' height='20' fill='{STATUS_COLOURS[status]}'><title>{n} {status}</title></rect>")
                x += w
        rows.append(f"<text x='{label_w + bar_w + 10}' y='{y + 15}' font-size='13'>{len(controls)} evidenced, "
                    f"{len(framework['gaps'])} not evidenced</text>")
    legend = "".join(f"<rect x='{label_w + (k % 4) * 130}' y='{(k // 4) * 16}' width='12' height='12' fill='{STATUS_COLOURS[s]}'/>"
                     f"<text x='{label_w + (k % 4) * 130 + 16}' y='{(k // 4) * 16 + 11}' font-size='12'>{s}</text>"
                     for k, s in enumerate(statuses))
    height = 54 + 30 * len(view["frameworks"])
    return (f"<svg id='control-status-chart' role='img' aria-label='Control status by framework' width='{width}' height='{height}' "
            f"viewBox='0 0 {width} {height}' xmlns='http://www.w3.org/2000/svg'>{legend}{''.join(rows)}</svg>")


def _ts(clock: str) -> float:
    return dt.datetime.fromisoformat(clock.replace("Z", "+00:00")).timestamp()


def _timeline_svg(changes: list[dict[str, Any]], period: dict[str, str]) -> str:
    start, end = _ts(period["start"]), _ts(period["end"])
    span = max(end - start, 1)
    width, left, bar = 1100, 10, 1080
    shapes = []
    for i, change in enumerate(changes):
        x0 = left + bar * (max(_ts(change["clock"]), start) - start) / span
        x1 = left + bar * ((_ts(changes[i + 1]["clock"]) if i + 1 < len(changes) else end) - start) / span
        colour = COLOURS.get(change["verdict"], "#9e9e9e")
        shapes.append(f"<rect class='seg-{escape(change['verdict'])}' x='{x0:.1f}' y='6' width='{max(x1 - x0, 1.5):.1f}' height='22' fill='{colour}'>"
                      f"<title>{escape(change['clock'][:10])}: {escape(change['verdict'])}</title></rect>")
        shapes.append(f"<line x1='{x0:.1f}' y1='2' x2='{x0:.1f}' y2='32' stroke='#1b1b1b' stroke-width='1'/>")
    ticks = []
    day = dt.datetime.fromtimestamp(start, dt.UTC)
    months = []
    cursor = dt.datetime(day.year, day.month, 1, tzinfo=dt.UTC)
    while cursor.timestamp() <= end:
        if cursor.timestamp() >= start:
            months.append(cursor)
        cursor = dt.datetime(cursor.year + (cursor.month == 12), cursor.month % 12 + 1, 1, tzinfo=dt.UTC)
    for month in months:
        x = left + bar * (month.timestamp() - start) / span
        ticks.append(f"<text x='{x + 2:.1f}' y='46' font-size='11' fill='#5b6470'>{month.strftime('%d %b %Y')}</text>")
    return (f"<svg class='timeline' role='img' aria-label='pass/fail over the period' width='{width}' height='52' viewBox='0 0 {width} 52' "
            f"xmlns='http://www.w3.org/2000/svg'><rect x='{left}' y='6' width='{bar}' height='22' fill='#eceff1'/>{''.join(shapes)}{''.join(ticks)}</svg>")


def _team_chart(fleet: dict[str, Any]) -> str:
    teams = fleet["teams"]
    if not teams:
        return ""
    most = max(teams.values())
    rows = []
    for i, (team, n) in enumerate(teams.items()):
        y = i * 26
        rows.append(f"<text x='0' y='{y + 15}' font-size='13'>{escape(str(team))}</text>"
                    f"<rect x='200' y='{y}' width='{600 * n / most:.1f}' height='18' fill='#3559a8'/>"
                    f"<text x='{206 + 600 * n / most:.1f}' y='{y + 14}' font-size='12'>{n}</text>")
    height = 26 * len(teams)
    return (f"<svg id='team-chart' role='img' aria-label='Features per team' width='860' height='{height}' viewBox='0 0 860 {height}' "
            f"xmlns='http://www.w3.org/2000/svg'>{''.join(rows)}</svg>")
