"""Generate a CycloneDX 1.6 ML-BOM for one feature with cyclonedx-python-lib.

Inputs: the manifest (the feature and its models), the model card (front matter and sections)
and the pinned Python dependencies. Each declared model becomes a ``machine-learning-model``
component with a ``modelCard``; the library has no model card type, so the card is added to the
serialised JSON. The document is validated against the 1.6 schema before anyone sees it.

The output is deterministic: the same inputs and clock give the same bytes. The clock is
``--now`` or ``SOURCE_DATE_EPOCH``, and the serial number is derived from the content (without
the timestamp), so a rebuild of the same commit yields the same SBOM.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import uuid
import warnings
from pathlib import Path
from typing import Any

from cyclonedx.model import Property
from cyclonedx.model.bom import Bom
from cyclonedx.model.component import Component, ComponentType
from cyclonedx.model.contact import OrganizationalEntity
from cyclonedx.output.json import JsonV1Dot6
from packageurl import PackageURL

from aigov import __version__
from aigov.clock import parse_now
from aigov.errors import AigovError
from aigov.facts.manifest import Manifest, load_manifest
from aigov.facts.model_card import collect_model_card
from aigov.policy.loading import SETTINGS_FILE, load_data_file
from aigov.resources import policies_dir
from aigov.sbom.requirements import DependencyScan, Pin, dependency_files, normalize_name, scan_dependencies
from aigov.sbom.validate import validate_bom
from aigov.tree import Tree, WorkTree

SPEC_VERSION = "1.6"
MANIFEST_NAME = "aigov.yaml"
TOP_LEVEL_ORDER = ("$schema", "bomFormat", "specVersion", "serialNumber", "version", "metadata", "components", "services", "dependencies")
# Model card sections (keys of the shipped model_card.sections settings) -> where they go.
SECTION_TARGETS = {"intended_use": "useCases", "limitations": "technicalLimitations"}


def model_ref(model_id: str) -> str:
    return f"model:{model_id}"


def generation_time(now: str | None) -> dt.datetime:
    """The BOM's timestamp: --now, else SOURCE_DATE_EPOCH (reproducible builds), else the clock."""
    if now:
        return dt.datetime.fromisoformat(parse_now(now).replace("Z", "+00:00"))
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        try:
            return dt.datetime.fromtimestamp(int(epoch), dt.UTC)
        except (ValueError, OverflowError, OSError):
            raise AigovError(f"SOURCE_DATE_EPOCH {epoch!r} is not a number of seconds since 1970") from None
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def generate_ml_bom(feature_dir: Path, now: str | None = None) -> str:
    """The ML-BOM of the feature in ``feature_dir`` as JSON text (validated)."""
    if not (feature_dir / MANIFEST_NAME).is_file():
        raise AigovError(f"no {MANIFEST_NAME} here; PATH must be the feature directory", str(feature_dir))
    tree = WorkTree(feature_dir)
    manifest = load_manifest(tree, MANIFEST_NAME, ".")
    deps = scan_dependencies(dependency_files(tree, "."), tree.read_text)
    document = _serialise(_build_bom(manifest, deps, generation_time(now)))
    _add_model_cards(document, manifest, tree)
    document = _ordered(document)
    document["serialNumber"] = _content_serial(document)
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    _check_valid(document, text)
    return text


def _build_bom(manifest: Manifest, deps: DependencyScan, timestamp: dt.datetime) -> Any:
    spec, meta = manifest.spec, manifest.data["metadata"]
    feature = Component(
        type=ComponentType.APPLICATION,
        name=manifest.name,
        bom_ref=f"aigov-feature:{manifest.name}",
        description=meta.get("description"),
        properties=[
            Property(name="aigov:owner", value=meta["owner"]),
            Property(name="aigov:riskTier", value=spec["riskTier"]),
            Property(name="aigov:dataClassification", value=spec["dataClassification"]),
        ],
    )
    bom = Bom()
    bom.metadata.timestamp = timestamp
    bom.metadata.component = feature
    bom.metadata.tools.components.add(
        Component(type=ComponentType.APPLICATION, name="aigov", version=__version__, bom_ref="tool:aigov")
    )
    models = [_model_component(model) for model in spec["models"]]
    libraries = _library_components(deps.pinned)
    for component in (*models, *libraries):
        bom.components.add(component)
    bom.register_dependency(feature, [*models, *libraries])
    for component in (*models, *libraries):
        bom.register_dependency(component, [])
    return bom


def _model_component(model: dict[str, Any]) -> Any:
    provider = model.get("provider")
    properties = [Property(name="aigov:model:role", value=model.get("role", "primary"))]
    if provider:
        properties.append(Property(name="aigov:model:provider", value=provider))
    return Component(
        type=ComponentType.MACHINE_LEARNING_MODEL,
        name=model["id"],
        bom_ref=model_ref(model["id"]),
        supplier=OrganizationalEntity(name=provider) if provider else None,
        publisher=provider,
        description=model.get("purpose"),
        purl=_model_purl(model["id"], provider),
        properties=properties,
    )


def _model_purl(model_id: str, provider: str | None) -> Any:
    """A package URL where one is defined for models (Hugging Face); others are known by bom-ref."""
    if (provider or "").lower() not in ("huggingface", "hugging-face", "hf"):
        return None

    namespace, _, name = model_id.rpartition("/")
    return PackageURL(type="huggingface", namespace=namespace or None, name=name)


def _library_components(pins: list[Pin]) -> list[Any]:
    components, seen = [], set()
    for pin in pins:
        key = (pin.normalized, pin.version)
        if key in seen:
            continue
        seen.add(key)
        purl = PackageURL(type="pypi", name=normalize_name(pin.name), version=pin.version)
        components.append(Component(
            type=ComponentType.LIBRARY,
            name=pin.name,
            version=pin.version,
            purl=purl,
            bom_ref=purl.to_string(),
            properties=[Property(name="aigov:pinnedIn", value=pin.path)],
        ))
    return components


def _serialise(bom: Any) -> dict[str, Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the library warns about graph details we have handled
        return json.loads(JsonV1Dot6(bom).output_as_string())


# --- the model card ---------------------------------------------------------------------------

def _add_model_cards(document: dict[str, Any], manifest: Manifest, tree: Tree) -> None:
    card_path = manifest.spec["modelCard"]
    if not tree.is_file(card_path):
        return
    text = tree.read_text(card_path, max_bytes=1024 * 1024)
    card = collect_model_card(tree, card_path)
    front = card.get("front_matter") or {}
    covered = front.get("models")
    sections = _sections(text, card.get("headings", []))
    by_ref = {c.get("bom-ref"): c for c in document.get("components", [])}
    for model in manifest.spec["models"]:
        if isinstance(covered, list) and model["id"] not in covered:
            continue  # the card does not describe this model: no modelCard (a rule says so)
        component = by_ref.get(model_ref(model["id"]))
        if component is not None:
            component["modelCard"] = _model_card(model, card_path, front, sections)


def _model_card(model: dict[str, Any], card_path: str, front: dict[str, Any], sections: dict[str, str]) -> dict[str, Any]:
    card: dict[str, Any] = {"bom-ref": f"model-card:{model['id']}"}
    if model.get("purpose"):
        card["modelParameters"] = {"task": model["purpose"]}
    considerations = {target: [sections[key]] for key, target in SECTION_TARGETS.items() if sections.get(key)}
    if considerations:
        card["considerations"] = considerations
    properties = [{"name": "aigov:modelCard:path", "value": card_path}]
    if sections.get("evaluation"):
        properties.append({"name": "aigov:modelCard:evaluation", "value": sections["evaluation"]})
    for field in ("last_reviewed", "license"):
        if front.get(field) is not None:
            properties.append({"name": f"aigov:modelCard:{field}", "value": str(front[field])})
    if isinstance(front.get("owners"), list):
        properties.append({"name": "aigov:modelCard:owners", "value": ", ".join(map(str, front["owners"]))})
    card["properties"] = properties
    return card


def _sections(text: str, headings: list[dict[str, Any]]) -> dict[str, str]:
    """The text of the first filled heading that matches each required section's patterns."""
    patterns = _section_patterns()
    lines = text.splitlines()
    found: dict[str, str] = {}
    for index, heading in enumerate(headings):
        end = next((h["line"] - 1 for h in headings[index + 1:] if h["level"] <= heading["level"]), len(lines))
        body = _plain_text(lines[heading["line"]:end])
        for key, regexes in patterns.items():
            if key not in found and body and any(re.search(r, heading["text"].strip(), re.IGNORECASE) for r in regexes):
                found[key] = body
    return found


def _plain_text(lines: list[str]) -> str:
    """Markdown section text with soft-wrapped paragraph lines joined (lists and tables kept)."""
    paragraphs = re.split(r"\n\s*\n", "\n".join(line.rstrip() for line in lines).strip())
    structured = re.compile(r"^\s*([-*+|#>]|\d+[.)]|```|~~~)")
    return "\n\n".join(
        "\n".join(p.splitlines()) if any(structured.match(line) for line in p.splitlines()) else " ".join(line.strip() for line in p.splitlines())
        for p in paragraphs if p.strip()
    )


def _section_patterns() -> dict[str, list[str]]:
    """The heading patterns the model card rules use (policies/data/settings.yaml), one source."""
    settings = load_data_file(policies_dir() / SETTINGS_FILE, f"policies/{SETTINGS_FILE}")
    sections = (settings.get("model_card") or {}).get("sections") or {}
    return {key: list(value.get("patterns", [])) for key, value in sections.items()}


# --- determinism and validation ----------------------------------------------------------------

def _ordered(document: dict[str, Any]) -> dict[str, Any]:
    keys = [k for k in TOP_LEVEL_ORDER if k in document] + sorted(k for k in document if k not in TOP_LEVEL_ORDER)
    return {k: document[k] for k in keys}


def _content_serial(document: dict[str, Any]) -> str:
    """A UUID that changes when, and only when, the content (not the timestamp) changes."""
    content = {k: v for k, v in document.items() if k != "serialNumber"}
    content["metadata"] = {k: v for k, v in content.get("metadata", {}).items() if k != "timestamp"}
    digest = hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    return uuid.uuid5(uuid.NAMESPACE_URL, f"https://aigov.dev/sbom/{digest}").urn


def _check_valid(document: dict[str, Any], text: str) -> None:
    result = validate_bom(document, text)
    if not result.valid:
        first = result.errors[0]
        raise AigovError(f"internal error: the generated SBOM is not valid CycloneDX {SPEC_VERSION}: {first.path}: {first.message}")
