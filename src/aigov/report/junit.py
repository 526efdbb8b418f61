"""``--format junit``: JUnit XML for CI systems that show test results.

One ``<testsuite>`` per feature and one ``<testcase>`` per rule of the pack for that feature, so
a rule that found nothing shows as a passed test. The conventions, since JUnit has no warnings:

- a blocking finding (not waived) is a ``<failure>``, one per test case listing every finding;
- findings that do not block leave the test case passed and are listed in its ``<system-out>``;
- a test case whose only findings are waived is ``<skipped>``, with the waivers' justification
  (as pytest reports an expected failure), so accepted risk stays visible.
"""

from __future__ import annotations

import re

# Imported at the top: this module itself is loaded only when a JUnit report is asked for.
import xml.etree.ElementTree as ET
from collections.abc import Iterable

from aigov.model import CheckResult, Finding
from aigov.report import Reporter, waiver_note
from aigov.untrusted import line_text

_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class JunitReporter(Reporter):
    def render(self, result: CheckResult) -> str:
        root = ET.Element("testsuites", name="aigov")
        for feature in result.features:
            root.append(_suite(result, feature))
        _set_counts(root, list(root))
        ET.indent(root)
        return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"

    def render_error(self, message: str) -> str:
        root = ET.Element("testsuites", name="aigov", tests="1", failures="0", errors="1", skipped="0")
        suite = ET.SubElement(root, "testsuite", name="aigov", tests="1", failures="0", errors="1", skipped="0")
        case = ET.SubElement(suite, "testcase", classname="aigov", name="aigov check")
        ET.SubElement(case, "error", message=_xml_safe(f"aigov could not decide: {message}"), type="AigovError")
        ET.indent(root)
        return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _suite(result: CheckResult, feature: str) -> ET.Element:
    suite = ET.Element("testsuite", name=_xml_safe(feature), timestamp=result.now.removesuffix("Z"))
    properties = ET.SubElement(suite, "properties")
    for name, value in (("policy-pack", result.pack_version), ("engine", result.engine), ("clock", result.now)):
        ET.SubElement(properties, "property", name=name, value=_xml_safe(value))
    by_rule: dict[str, list[Finding]] = {}
    for finding in result.findings:
        if finding.feature == feature:
            by_rule.setdefault(finding.id, []).append(finding)
    rules = {rule.id: rule.title for rule in result.rule_catalog}
    for finding in result.findings:  # a result built without the catalog still reports its findings
        rules.setdefault(finding.id, finding.title)
    for rule_id in sorted(rules):
        suite.append(_case(feature, rule_id, rules[rule_id], by_rule.get(rule_id, [])))
    _set_counts(suite, [suite])
    return suite


def _case(feature: str, rule_id: str, title: str, findings: list[Finding]) -> ET.Element:
    case = ET.Element("testcase", classname=_xml_safe(f"aigov.{feature}"), name=_xml_safe(f"{rule_id} {title}"))
    blocking = [f for f in findings if f.blocking and not f.waived]
    waived = [f for f in findings if f.waived]
    others = [f for f in findings if not f.blocking and not f.waived]
    if blocking:
        failure = ET.SubElement(case, "failure", message=_xml_safe(blocking[0].message), type=blocking[0].severity)
        failure.text = _lines(line for f in blocking for line in _describe(f))
    elif waived:
        ET.SubElement(case, "skipped", message=_xml_safe("; ".join(waiver_note(f.waiver or {}) for f in waived)))
    listed = others + (waived if blocking else [])  # shown, though they do not decide the outcome
    if listed:
        ET.SubElement(case, "system-out").text = _lines(line for f in listed for line in _describe(f))
    return case


def _describe(finding: Finding) -> list[str]:
    where = finding.path + (f":{finding.line}" if finding.line else "")
    state = "waived" if finding.waived else ("blocking" if finding.blocking else "not blocking")
    fix = [f"  fix: {finding.remediation}"] if finding.remediation and not finding.waived else []
    return [f"{finding.severity} ({state}) {where}: {finding.message}", *fix]


def _lines(lines: Iterable[str]) -> str:
    """Text content, a line at a time: a JUnit report printed to a CI log is read line by line."""
    return "\n".join(_xml_safe(line) for line in lines)


def _set_counts(element: ET.Element, suites: list[ET.Element]) -> None:
    cases = [case for suite in suites for case in suite.iter("testcase")]
    element.set("tests", str(len(cases)))
    element.set("failures", str(sum(case.find("failure") is not None for case in cases)))
    element.set("errors", "0")
    element.set("skipped", str(sum(case.find("skipped") is not None for case in cases)))


def _xml_safe(text: str) -> str:
    """One line of text from the checked repository, fit for XML 1.0: control characters shown as
    escapes (line_text), lone surrogates, which XML cannot carry even escaped, replaced."""
    return _NOT_XML.sub("\ufffd", line_text(text))
