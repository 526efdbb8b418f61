"""Control mappings: which framework controls each rule evidences, checked against the catalogs.

``policies/controls.yaml`` is the one place aigov reads mappings from; ``policies/catalogs/``
holds the frameworks' id catalogs (facts with their sources). Every id is compared exactly as the
catalog spells it: an invented or misspelt control id is a defect, not a style choice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

import yaml

from aigov.errors import AigovError
from aigov.policy.index import MISSING, known_data
from aigov.resources import policies_dir
from aigov.yamlfile import safe_load  # libyaml: the catalogs take 0.2 s with the pure-Python loader

CONTROLS_FILE = "controls.yaml"
CATALOG_DIR = "catalogs"


@dataclass(frozen=True)
class Control:
    framework: str  # the key in controls.yaml, e.g. NIST-AI-RMF
    id: str  # spelt as the catalog spells it, e.g. "GOVERN 1.6"
    title: str
    kind: str


@dataclass
class Framework:
    key: str
    name: str
    version: str
    catalog_file: str
    catalog_source: str
    controls: dict[str, Control]  # every id the catalog knows, in catalog order
    gap_ids: list[str]  # the controls the gap list weighs (leaf controls, not headings)


PULL_REQUEST = "pull-request"


@dataclass(frozen=True)
class Applies:
    """Where a rule can judge (controls.yaml ``applies``): every check of every feature by default."""

    pull_request: bool = False  # only a pull request's check: a replayed commit cannot assess it
    tiers: tuple[str, ...] = ()  # only features of these risk tiers (empty: every tier)

    def to_tier(self, tier: Any) -> bool:
        return not self.tiers or tier in self.tiers


@dataclass
class ControlMap:
    frameworks: dict[str, Framework]
    rules: dict[str, dict[str, list[str]]]  # rule id -> framework key -> control ids
    unknown: list[tuple[str, str, str]] = field(default_factory=list)  # (rule, framework, id) not in the catalog
    applies: dict[str, Applies] = field(default_factory=dict)  # rule id -> where it can judge, where that is not everywhere

    def applies_to(self, rule_id: str) -> Applies:
        return self.applies.get(rule_id, Applies())

    def controls_of(self, rule_id: str) -> list[Control]:
        """The controls a rule evidences, framework by framework in file order."""
        out: list[Control] = []
        for key, ids in self.rules.get(rule_id, {}).items():
            catalog = self.frameworks[key].controls
            out.extend(catalog[i] for i in ids if i in catalog)
        return out

    def rules_of(self) -> dict[tuple[str, str], list[str]]:
        """(framework, control id) -> the rules that evidence it, sorted."""
        out: dict[tuple[str, str], list[str]] = {}
        for rule_id in sorted(self.rules):
            for control in self.controls_of(rule_id):
                out.setdefault((control.framework, control.id), []).append(rule_id)
        return out

    def gaps(self, key: str) -> list[Control]:
        """The controls of a framework that no rule evidences: the honest gap list."""
        covered = {cid for (fw, cid) in self.rules_of() if fw == key}
        framework = self.frameworks[key]
        return [framework.controls[i] for i in framework.gap_ids if i not in covered]


def _load_shipped(relative: str) -> Any:
    try:
        text = (policies_dir() / relative).read_text(encoding="utf-8")
        known = known_data(policies_dir(), relative, text)  # controls.yaml is read ahead in the pack index
        return safe_load(text) if known is MISSING else known
    except (OSError, yaml.YAMLError) as exc:
        raise AigovError(f"cannot read it: {exc}", f"policies/{relative}") from None


@cache
def _mapping_document() -> dict[str, Any]:
    doc = _load_shipped(CONTROLS_FILE)
    if not isinstance(doc, dict) or not isinstance(doc.get("frameworks"), dict) or not isinstance(doc.get("rules"), dict):
        raise AigovError("expected a mapping with 'frameworks' and 'rules'", f"policies/{CONTROLS_FILE}")
    return doc


def rule_control_labels(rule_id: str) -> list[str]:
    """``["NIST-AI-RMF:GOVERN 1.6", "EU-AI-Act:Art. 14", ...]`` for a rule, from controls.yaml alone
    (2 ms, no catalogs): what a finding's ``controls`` should say once METADATA no longer carries them."""
    mapping = _mapping_document()["rules"].get(rule_id) or {}
    return [f"{framework}:{cid}" for framework, ids in mapping.items() for cid in ids]


@cache
def rule_applies() -> dict[str, Applies]:
    """controls.yaml ``applies``: rule id -> where it can judge; a malformed entry is an error naming the file."""
    doc = _mapping_document()
    name = f"policies/{CONTROLS_FILE}"
    out = {}
    for rule_id, spec in (doc.get("applies") or {}).items():
        if not isinstance(spec, dict) or set(spec) - {"context", "tiers"} or spec.get("context", PULL_REQUEST) != PULL_REQUEST:
            raise AigovError(f"applies: {rule_id}: expected {{context: {PULL_REQUEST}}} or {{tiers: [...]}}", name)
        out[str(rule_id)] = Applies("context" in spec, tuple(str(t) for t in spec.get("tiers") or ()))
    return out


def pull_request_rules() -> frozenset[str]:
    """The rules only a pull request's check can assess."""
    return frozenset(rule for rule, applies in rule_applies().items() if applies.pull_request)


@cache
def load_control_map() -> ControlMap:
    """The shipped mapping with its catalogs; an error naming controls.yaml if it is malformed."""
    doc = _mapping_document()
    name = f"policies/{CONTROLS_FILE}"
    frameworks = {key: _load_framework(key, spec) for key, spec in doc["frameworks"].items()}
    rules: dict[str, dict[str, list[str]]] = {}
    unknown: list[tuple[str, str, str]] = []
    for rule_id, mapping in doc["rules"].items():
        if not isinstance(mapping, dict):
            raise AigovError(f"rule {rule_id}: expected framework -> list of control ids", name)
        rules[rule_id] = {}
        for key, ids in mapping.items():
            if key not in frameworks:
                raise AigovError(f"rule {rule_id}: unknown framework {key!r}", name)
            rules[rule_id][key] = [str(i) for i in ids]
            unknown.extend((rule_id, key, str(i)) for i in ids if str(i) not in frameworks[key].controls)
    return ControlMap(frameworks, rules, unknown, rule_applies())


def _load_framework(key: str, spec: dict[str, Any]) -> Framework:
    catalog = _load_shipped(f"{CATALOG_DIR}/{spec['catalog']}")
    controls = {
        str(c["id"]): Control(key, str(c["id"]), str(c.get("title", "")), str(c.get("kind", "")))
        for c in catalog["controls"]
    }
    kinds = set(spec.get("gap_kinds") or [])
    prefix = str(spec.get("gap_prefix", ""))
    # Only leaf controls weigh in the gap list: a heading (Annex IV(2)) is covered through its points.
    parents = {str(c["parent"]) for c in catalog["controls"] if c.get("parent")}
    gap_ids = [
        str(c["id"]) for c in catalog["controls"]
        if c.get("kind") in kinds and str(c["id"]) not in parents and str(c["id"]).startswith(prefix) and (c.get("focus") or not spec.get("gap_focus_only"))
    ]
    return Framework(key, str(spec["name"]), str(spec["version"]), spec["catalog"], str(catalog.get("source", "")), controls, gap_ids)
