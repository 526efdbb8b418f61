"""The bundle's human reports: report.md and report.html (one self-contained file: inline CSS and
SVG, no scripts), both rendered from the same summary view so they never disagree."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any, Iterable, Iterator

from aigov.untrusted import html_text as escape, markdown_text

STATUS_ORDER = ("not held", "incomplete", "remediated", "held", "not assessed")
COLOURS = {"pass": "#2e7d32", "fail": "#c62828", "error": "#6d6d6d", "removed": "#bdbdbd"}


def _counts(view: dict[str, Any]) -> dict[str, Any]:
    fleet = view["fleet"]
    by_status: dict[str, int] = {}
    for control in view["controls"]:
        by_status[control["status"]] = by_status.get(control["status"], 0) + 1
    return {"repositories": len(view["repositories"]), "features": len(fleet["features"]),
            "decisions": view["decisions"], "failing": len(fleet["failing_now"]), "by_status": by_status}


def markdown(view: dict[str, Any]) -> Iterator[str]:
    """report.md, a line at a time (each with its newline)."""
    return (line + "\n" for line in _markdown_lines(view))


def _markdown_lines(view: dict[str, Any]) -> Iterator[str]:
    # Everything from a repository (feature and team names, commit subjects, waivers, recorded
    # notes) is plain text here, as in report.html: no markup, links or images of its own.
    md = markdown_text
    period = view["period"]
    counts = _counts(view)
    yield from [f"# AI feature governance evidence: {md(period['label'])}", "",
                f"Period {md(period['start'])} to {md(period['end'])}; aigov {md(view['aigov_version'])}.", ""]
    if not view["decisions"]:
        yield from ["**No decisions in this period**: no feature existed or no commit changed one. The bundle is empty but valid.", ""]
    yield from ["## Summary", "", "| | |", "|---|---|",
                f"| Repositories | {counts['repositories']} |", f"| Features at period end | {counts['features']} |",
                f"| Decisions | {counts['decisions']} |", f"| Failing at period end | {counts['failing']} |"]
    yield from [f"| Controls {status} | {counts['by_status'].get(status, 0)} |" for status in STATUS_ORDER]
    yield from ["", "## Controls", ""]
    for framework in view["frameworks"]:
        rows = [c for c in view["controls"] if c["framework"] == framework["key"]]
        yield from [f"### {md(framework['name'])} {md(framework['version'])}", "", "| Control | Status | Rules |", "|---|---|---|"]
        yield from [f"| {md(c['control'])} | {md(c['status'])} | {md(', '.join(c['rules']))} |" for c in rows]
        yield from ["", f"Not evidenced by any rule: {md(', '.join(framework['gaps']) or 'none')}.", ""]
    yield from ["## Feature timelines", ""]
    for key, changes in view["timelines"].items():
        yield from [f"### {md(key)}", "", "| When | Verdict | Change | Cause |", "|---|---|---|---|"]
        for c in changes:
            delta = " ".join([*(f"+{i}" for i in c["added"]), *(f"-{i}" for i in c["removed"])]) or "-"
            yield f"| {_when(c['clock'])} | {md(c['verdict'])} | {md(delta)} | {md(c['cause'])} |"
        yield ""
    yield from ["## Recorded decisions", ""]
    yield from (md(line) for line in _recorded_lines(view["recorded"]))
    yield from ["", "## Waivers", ""]
    waivers = view["fleet"]["waivers"]
    if waivers:
        yield from ["| Repository | Rule | Feature | Expires | State | Approver |", "|---|---|---|---|---|---|"]
        yield from ["| " + " | ".join(md(w.get(k)) for k in ("repository", "rule", "feature", "expires", "state", "approver")) + " |"
                    for w in waivers]
    else:
        yield "No waivers in force at period end."
    yield from ["", "## Fleet", "", "| Feature | Team | Tier | Verdict | Template | Version | Behind | Days to remediate |", "|---|---|---|---|---|---|---|---|"]
    for f in view["fleet"]["features"]:
        cells = [f["feature"], f["team"], f["tier"], f["verdict"], f["template"] or "-", f["template_version"] or "-",
                 _dash(f["template_behind"]), ", ".join(map(str, f["remediation_days"])) or "-"]
        yield "| " + " | ".join(md(cell) for cell in cells) + " |"


def _recorded_lines(recorded: Iterable[dict[str, Any]]) -> Iterator[str]:
    """What gated each change in CI (git notes written by `aigov record`) against what the replay decides."""
    if not recorded:
        yield "No decision records (git notes under refs/notes/aigov) on the period's commits."
        return
    for r in recorded:
        where = f"{r['repository']} commit {r['commit'][:12]} (decisions.jsonl line {r['seq']})"
        if r["error"]:
            yield f"{where}: {r['error']}"
        elif r["agrees"] is False:
            yield f"{where}: DISAGREES: recorded {r['verdict']}, replayed {r['replayed_verdict']} or different blocking findings"
        elif r["agrees"]:
            yield f"{where}: recorded {r['verdict']}, agrees with the replay"
        else:
            yield f"{where}: recorded {r['verdict']}; this commit changed no feature input, so it was not replayed"


def _dash(value: Any) -> str:
    return "-" if value is None else str(value)


CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1b1b1b;background:#f6f7f9;line-height:1.45}
main{max-width:1180px;margin:0 auto;padding:24px 32px 64px}
h1{font-size:28px;margin:8px 0 4px}h2{font-size:21px;margin:36px 0 12px;border-bottom:2px solid #d7dbe0;padding-bottom:4px}
h3{font-size:16px;margin:20px 0 8px}.muted{color:#5b6470}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin:16px 0}
.card{background:#fff;border:1px solid #d7dbe0;border-radius:8px;padding:12px 16px;min-width:140px}
.card .n{font-size:28px;font-weight:700}.card .l{font-size:13px;color:#5b6470}
table{border-collapse:collapse;width:100%;background:#fff;border:1px solid #d7dbe0;font-size:14px;margin-bottom:8px}
th,td{text-align:left;padding:6px 10px;border-bottom:1px solid #e6e8eb;vertical-align:top}th{background:#eef1f4}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600;color:#fff;white-space:nowrap}
.s-held,.v-pass{background:#2e7d32}.s-remediated{background:#ef8f00}.s-not-held,.v-fail{background:#c62828}
.s-incomplete,.v-error{background:#6d6d6d}.s-not-assessed,.v-removed{background:#9e9e9e}
.gaps{font-size:13px;color:#5b6470}.feature{background:#fff;border:1px solid #d7dbe0;border-radius:8px;padding:8px 16px 12px;margin:12px 0}
.empty{background:#fff3cd;border:1px solid #e0c46c;padding:12px 16px;border-radius:8px}
svg text{font-family:inherit}svg{max-width:100%;height:auto;display:block}
td.when{white-space:nowrap}.recorded li{margin:4px 0}.recorded .disagree{color:#c62828;font-weight:600}nav{font-size:14px;margin:8px 0 0}nav a{margin-right:14px;color:#3559a8}
"""


def _html_parts(view: dict[str, Any]) -> Iterator[str | Iterable[str]]:
    """The blocks of report.html's <main>, one line apart; a block that is not a string comes in pieces."""
    period = view["period"]
    counts = _counts(view)
    yield from [f"<h1>AI feature governance evidence: {escape(period['label'])}</h1>",
                f"<p class='muted'>Period {escape(period['start'])} to {escape(period['end'])} &middot; aigov {escape(view['aigov_version'])} &middot; "
                f"repositories: {escape(', '.join(r['name'] + ' @ ' + str(r['head'])[:12] for r in view['repositories']))}</p>"]
    yield ("<nav><a href='#summary'>Summary</a><a href='#controls'>Controls</a><a href='#timelines'>Feature timelines</a>"
           "<a href='#waivers'>Waivers</a><a href='#fleet'>Fleet</a></nav>")
    if not view["decisions"]:
        yield "<p class='empty' id='empty-period'><strong>No decisions in this period.</strong> No feature existed or no commit changed one; the bundle is empty but valid.</p>"
    yield "<h2 id='summary'>Period summary</h2><div class='cards'>"
    for label, number, ident in [("repositories", counts["repositories"], "repositories"), ("features at period end", counts["features"], "features"),
                                 ("decisions", counts["decisions"], "decisions"), ("failing at period end", counts["failing"], "failing")]:
        yield f"<div class='card'><div class='n' id='count-{ident}'>{number}</div><div class='l'>{escape(label)}</div></div>"
    yield "</div>"
    yield _status_chart(view)
    yield ("<p class='muted'><strong>held</strong>: no blocking finding of the control's rules in any decision of the period. "
           "<strong>remediated</strong>: some, none left at period end. <strong>not held</strong>: a blocking finding at period end. "
           "<strong>incomplete</strong>: no finding, but aigov could not decide for some feature at some point (an error decision), "
           "so the control cannot be shown to have held throughout. A mapping is evidence towards a control, never proof that it is met.</p>")
    yield "<h2 id='controls'>Controls by framework</h2>"
    for framework in view["frameworks"]:
        rows = [c for c in view["controls"] if c["framework"] == framework["key"]]
        yield f"<h3>{escape(framework['name'])} <span class='muted'>{escape(framework['version'])}</span></h3>"
        yield "<table><tr><th>Control</th><th>Title</th><th>Status</th><th>Evidenced by</th></tr>"
        for c in rows:
            yield (f"<tr data-control='{escape(c['framework'])}:{escape(c['control'])}'><td class='when'><strong>{escape(c['control'])}</strong></td>"
                   f"<td>{escape(c['title'])}</td><td>{_badge('s', c['status'])}</td><td>{escape(', '.join(c['rules']))}</td></tr>")
        yield "</table>"
        yield f"<p class='gaps'>Not evidenced by any aigov rule: {escape(', '.join(framework['gaps']) or 'none')}</p>"
    yield "<h2 id='timelines'>Feature timelines</h2>"
    yield ("<p class='muted'>Each bar spans the period; colour is the feature's verdict from one decision to the next "
           "(<span class='badge v-pass'>pass</span> <span class='badge v-fail'>fail</span> <span class='badge v-error'>error</span>: aigov could not decide). "
           "Each change is listed below its bar with what caused it: a commit, or the clock alone.</p>")
    if not view["timelines"]:
        yield "<p class='muted'>No feature was judged in this period.</p>"
    for key, changes in view["timelines"].items():
        yield f"<div class='feature' data-feature='{escape(key)}'><h3>{escape(key)}</h3>{_timeline_svg(changes, period)}"
        yield "<table><tr><th>When</th><th>Verdict</th><th>What changed</th><th>Cause</th></tr>"
        for c in changes:
            delta = ", ".join([*(f"+{escape(i)}" for i in c["added"]), *(f"&minus;{escape(i)}" for i in c["removed"])]) or "&ndash;"
            yield f"<tr><td class='when'>{escape(_when(c['clock']))}</td><td>{_badge('v', c['verdict'])}</td><td>{delta}</td><td>{escape(c['cause'])}</td></tr>"
        yield "</table></div>"
    yield "<h2 id='recorded'>Recorded and replayed decisions</h2>"
    yield itertools.chain(["<ul class='recorded'>"], (
        f"<li class='{'disagree' if 'DISAGREES' in line or 'not a decision record' in line else 'agree'}'>{escape(line)}</li>"
        for line in _recorded_lines(view["recorded"])), ["</ul>"])
    yield "<h2 id='waivers'>Waivers</h2>"
    waivers = view["fleet"]["waivers"]
    if waivers:
        yield "<table><tr><th>Repository</th><th>Rule</th><th>Feature</th><th>Reason</th><th>Approver</th><th>Expires</th><th>State</th></tr>"
        for w in waivers:
            yield "<tr>" + "".join(f"<td>{escape(str(w.get(k) or '-'))}</td>" for k in ("repository", "rule", "feature", "reason", "approver", "expires", "state")) + "</tr>"
        yield "</table>"
    else:
        yield "<p class='muted'>No waivers in force at period end.</p>"
    yield "<h2 id='fleet'>Fleet and paved-road adoption</h2>"
    yield _team_chart(view["fleet"])
    yield "<table><tr><th>Feature</th><th>Team</th><th>Tier</th><th>Verdict</th><th>Template</th><th>Version</th><th>Releases behind</th><th>Days to remediate</th></tr>"
    for f in view["fleet"]["features"]:
        yield (f"<tr><td>{escape(f['feature'])}</td><td>{escape(str(f['team']))}</td><td>{escape(str(f['tier']))}</td><td>{_badge('v', f['verdict'])}</td>"
               f"<td>{escape(str(f['template'] or '-'))}</td><td>{escape(str(f['template_version'] or '-'))}</td><td>{_dash(f['template_behind'])}</td>"
               f"<td>{escape(', '.join(map(str, f['remediation_days'])) or '-')}</td></tr>")
    yield "</table>"
    median = view["fleet"]["median_days_to_remediate"]
    yield (f"<p>Median time from failing to passing again: <strong id='median-remediation'>{'-' if median is None else f'{median} days'}</strong>; "
           f"features on a paved-road template: <strong>{view['fleet']['on_paved_road']}</strong> of {len(view['fleet']['features'])}.</p>")


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
    return f"<span class='badge {prefix}-{status.replace(' ', '-')}'>{escape(status)}</span>"


def _status_chart(view: dict[str, Any]) -> str:
    """One horizontal stacked bar per framework: how many of its mapped controls held, were remediated, not held."""
    colours = {"held": "#2e7d32", "remediated": "#ef8f00", "not held": "#c62828", "incomplete": "#6d6d6d", "not assessed": "#9e9e9e"}
    rows = []
    width, label_w, bar_w = 1100, 290, 560
    for i, framework in enumerate(view["frameworks"]):
        controls = [c for c in view["controls"] if c["framework"] == framework["key"]]
        y = 30 + i * 30
        rows.append(f"<text x='0' y='{y + 15}' font-size='13'>{escape(framework['name'])}</text>")
        x = label_w
        total = max(len(controls), 1)
        for status in STATUS_ORDER:
            n = sum(1 for c in controls if c["status"] == status)
            if n:
                w = bar_w * n / total
                rows.append(f"<rect x='{x:.1f}' y='{y}' width='{w:.1f}' height='20' fill='{colours[status]}'><title>{n} {status}</title></rect>")
                x += w
        rows.append(f"<text x='{label_w + bar_w + 10}' y='{y + 15}' font-size='13'>{len(controls)} mapped, {len(framework['gaps'])} not evidenced</text>")
    legend = "".join(f"<rect x='{label_w + k * 112}' y='0' width='12' height='12' fill='{colours[s]}'/><text x='{label_w + k * 112 + 16}' y='11' font-size='12'>{s}</text>"
                     for k, s in enumerate(STATUS_ORDER))
    height = 40 + 30 * len(view["frameworks"])
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
    day = dt.datetime.fromtimestamp(start, dt.timezone.utc)
    months = []
    cursor = dt.datetime(day.year, day.month, 1, tzinfo=dt.timezone.utc)
    while cursor.timestamp() <= end:
        if cursor.timestamp() >= start:
            months.append(cursor)
        cursor = dt.datetime(cursor.year + (cursor.month == 12), cursor.month % 12 + 1, 1, tzinfo=dt.timezone.utc)
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
