"""Which builtin functions a policy may call: the ones both engines evaluate alike, and nothing outside the input.

A rule that calls a builtin the embedded engine (regorus) does not implement gets an error only
when that line is reached, and one it implements differently from OPA decides differently on
the two engines; ``http.send`` is undefined on regorus, so a rule built on it silently never
fires. aigov therefore refuses such calls when it loads a module, naming file:line, on every
engine: a pack must decide the same whichever engine judges it (`aigov policy test` runs on
regorus, a central OPA may judge the pull request), and no policy reaches the network, the
clock or randomness on any engine (the input carries everything a rule may use, which is what
makes a decision replayable). The calls come from the engine's parsed modules
(aigov.policy.rego_ast); tests/test_engine_parity.py holds the evidence for every entry below.
"""

from __future__ import annotations

import functools
import json
import re

from aigov.policy.rego_ast import METADATA_ID, Call, new_regorus

# Outside the input: refused on every engine.
OUTSIDE_WORLD = {
    "http.send": "reaches the network",
    "net.lookup_ip_addr": "reaches the network (DNS)",
    "opa.runtime": "reads the engine's own environment and configuration",
    "time.now_ns": "reads the wall clock (the clock is input.now)",
    "rand.intn": "is random",
    "uuid.rfc4122": "is random",
}

# Implemented by regorus, but with results that differ from OPA's on ordinary input.
UNFAITHFUL = {
    "strings.count": 'counts overlapping matches on the embedded engine (strings.count("aaaa", "aa") is 3 there, 2 on OPA)',
    "glob.quote_meta": "fails on the embedded engine",
    "semver.is_valid": 'rejects a leading "v" on the embedded engine and accepts it on OPA',
    "semver.compare": 'rejects a leading "v" on the embedded engine and accepts it on OPA',
    "json.marshal": "escapes <, > and & and writes numbers differently on the two engines",
    "json.marshal_with_options": "escapes <, > and & and writes numbers differently on the two engines",
    "json.match_schema": "reports schema errors in another form on each engine",
    "json.verify_schema": "reports schema errors in another form on each engine",
    "yaml.unmarshal": "reads yes/no/on/off as strings on the embedded engine and as booleans on OPA",
    "yaml.marshal": "quotes strings differently on the two engines",
    "uuid.parse": "names UUID variants differently on the two engines",
}

# sprintf verbs both engines render alike for the values they are meant for; widths, flags,
# precision (%.2f rounds 2.5 up on one engine and to even on the other) and other verbs differ.
_FORMAT_VERB = re.compile(r"%(?P<spec>[^a-zA-Z%]*)(?P<verb>[a-zA-Z%])")
_SAFE_VERBS = {"s", "v", "d", "q", "%"}
# Shorthand classes are Unicode-aware on the embedded engine and ASCII on OPA: \d matches "٣" on one only.
_SHORTHAND_CLASS = re.compile(r"(?<!\\)(?:\\\\)*\\([dDwWsSbB])")
_ASCII_CLASS = {"d": "[0-9]", "w": "[0-9A-Za-z_]", "s": "[\\t\\n\\f\\r ]", "b": "an explicit boundary such as (^|[^0-9A-Za-z_])"}
# Where each regex builtin takes its pattern.
_PATTERN_ARGUMENT = {
    "regex.match": 0, "regex.is_valid": 0, "regex.split": 0, "regex.find_n": 0,
    "regex.find_all_string_submatch_n": 0, "regex.replace": 1,
}


@functools.cache
def engine_builtins() -> frozenset[str]:
    """The builtins the embedded engine implements, as it reports them itself (plus ``print``,
    which it handles apart); its internal helpers (``__builtin_sets.*``) are not for policies."""
    engine = new_regorus()
    engine.add_policy("aigov-builtins.rego", "package aigov_builtins\n\nnames := opa.runtime().builtins\n")
    engine.set_input_json("{}")
    names = json.loads(engine.eval_rule_as_json("data.aigov_builtins.names"))
    return frozenset(name for name in names if not name.startswith("__")) | {"print"}


def refusal(call: Call) -> str | None:
    """Why aigov refuses this builtin call, or None. Calls of a pack's own functions never get here."""
    if call.name in OUTSIDE_WORLD:
        return f"{call.name} {OUTSIDE_WORLD[call.name]}; a policy decides from its input alone, on every engine"
    if call.name in UNFAITHFUL:
        return f"{call.name} {UNFAITHFUL[call.name]}; aigov refuses it so that both engines decide alike"
    if call.name.startswith("rego.metadata."):
        return (f"{call.name} is not implemented by the embedded engine; aigov supplies only a deny rule's own id, "
                f"written {METADATA_ID}")
    if call.name == "sprintf":
        return _format_refusal(call)
    if call.name in _PATTERN_ARGUMENT:
        return _pattern_refusal(call)
    return None


def _format_refusal(call: Call) -> str | None:
    template = call.literals[0] if call.literals else None
    if template is None:
        return "sprintf's format is not a string literal, so aigov cannot check that both engines render it alike; write it out"
    for match in _FORMAT_VERB.finditer(template):
        if match.group("spec") or match.group("verb") not in _SAFE_VERBS:
            return (f"sprintf format {match.group(0)} renders differently on the embedded engine and on OPA; "
                    "use %s, %v, %d, %q or %% with no width, flags or precision")
    return None


def _pattern_refusal(call: Call) -> str | None:
    index = _PATTERN_ARGUMENT[call.name]
    pattern = call.literals[index] if len(call.literals) > index else None
    match = _SHORTHAND_CLASS.search(pattern or "")
    if match is None:
        return None
    letter = match.group(1)
    instead = _ASCII_CLASS[letter.lower()]
    return (f"{call.name} pattern uses \\{letter}, which matches non-ASCII text on the embedded engine and not on OPA; "
            f"write {instead}{' (negated)' if letter.isupper() else ''} instead")
