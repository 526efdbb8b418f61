"""A Makefile read the way GNU make reads it, far enough to say which recipe lines `make TARGET` runs.

Nothing is executed. What is modelled (GNU make manual, "Writing Recipes", "Errors in Recipes",
"Special Targets", "How to Use Variables"):

- rules ``targets: prerequisites`` (``::`` too) with their recipe lines (a tab, or ``.RECIPEPREFIX``;
  ``targets: prereqs ; recipe``), prerequisites made first, each target once; a later rule's recipe
  replaces an earlier one's; ``include``/``-include`` of literal paths;
- each recipe line runs in a shell of its own, ``$(SHELL) $(.SHELLFLAGS) line`` (``/bin/sh -c``, or
  ``-ec`` under ``.POSIX``), and make stops at the first line that fails; ``.ONESHELL`` runs the whole
  recipe as one script; a ``-`` prefix, ``make -i`` or ``.IGNORE`` let a failing line pass;
- variables ``=``, ``:=``, ``::=``, ``?=``, ``+=``, ``override``/``export``, command-line ``NAME=value``,
  ``$@``, ``$$``, ``$(MAKE)``; anything else (``$(shell ...)``, functions, the environment) stays unknown,
  so a word holding it never matches the eval command;
- a target that is not ``.PHONY`` and names an existing file or folder may be up to date, and then make
  does not run its recipe at all;
- conditionals (``ifeq``/``ifdef``...) are not evaluated: a rule defined inside one is reported as such.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

MAX_EXPANSION_CHARS = 100_000
MAX_EXPANSION_DEPTH = 20
MAX_INCLUDES = 20

_ASSIGNMENT = re.compile(r"^(?:(override|export)\s+)*([^\s:#=!?+]+)\s*(:::=|::=|:=|\?=|\+=|!=|=)\s*(.*)$")
_RULE = re.compile(r"^([^:=#]+?)\s*(::?)(?![=])\s*(.*)$")
_CONDITIONAL = re.compile(r"^(ifeq|ifneq|ifdef|ifndef)\b")
_REFERENCE = re.compile(r"\$(?:\((?P<paren>[^()$]*)\)|\{(?P<brace>[^{}$]*)\}|(?P<single>[^({]))")


@dataclass
class Rule:
    targets: list[str]
    prerequisites: list[str]
    recipe: list[tuple[int, str]]  # (line, text as written), continuation lines joined with a backslash-newline
    line: int
    conditional: bool  # defined inside ifeq/ifdef..., which aigov does not evaluate
    double_colon: bool
    path: str = ""  # the Makefile (or included file) that defines it


@dataclass
class Makefile:
    path: str
    rules: dict[str, list[Rule]] = field(default_factory=dict)
    variables: dict[str, str] = field(default_factory=dict)
    overridden: set[str] = field(default_factory=set)  # `override NAME = ...`: command-line values do not win
    first_target: str | None = None
    includes: list[tuple[int, str, bool]] = field(default_factory=list)  # (line, path, optional)

    def special(self, name: str) -> list[Rule]:
        return self.rules.get(name, [])

    @property
    def phony(self) -> set[str]:
        return {p for rule in self.special(".PHONY") for p in rule.prerequisites}

    @property
    def oneshell(self) -> bool:
        return ".ONESHELL" in self.rules

    @property
    def posix(self) -> bool:
        return ".POSIX" in self.rules

    def ignored(self, target: str) -> bool:
        """Whether `.IGNORE` lets every recipe line of ``target`` fail (`.IGNORE:` alone: of every target)."""
        rules = self.special(".IGNORE")
        return any(not rule.prerequisites or target in rule.prerequisites for rule in rules)

    def merge(self, other: Makefile) -> None:
        """An included Makefile's rules and variables, read at the point of the include."""
        for target, rules in other.rules.items():
            self.rules.setdefault(target, []).extend(rules)
        self.variables.update(other.variables)
        self.overridden |= other.overridden
        self.first_target = self.first_target or other.first_target


def parse_makefile(text: str, path: str) -> Makefile:
    """The rules, variables and includes of one Makefile (its includes are read by the caller)."""
    makefile = Makefile(path)
    prefix = "\t"
    rule: Rule | None = None
    depth = 0  # nesting of ifeq/ifdef blocks
    defining = False  # inside define ... endef
    lines = _logical_lines(text)
    for number, raw, continued in lines:
        if defining:
            defining = raw.strip() != "endef"
            continue
        if raw.startswith(prefix) and rule is not None:
            body = raw[len(prefix):]
            if continued:
                body = "\\\n".join(part[1:] if part.startswith("\t") else part for part in body.split("\\\n"))
            rule.recipe.append((number, body))
            continue
        stripped = _strip_comment(raw).strip()
        if not stripped:
            continue
        if stripped.startswith("define ") or stripped == "define":
            defining = True
            continue
        if _CONDITIONAL.match(stripped):
            depth += 1
            rule = None
            continue
        if stripped in ("endif",) or stripped.startswith("else"):
            depth = max(0, depth - 1) if stripped == "endif" else depth
            rule = None
            continue
        include = re.match(r"^(-?include|sinclude)\s+(.*)$", stripped)
        if include:
            for name in include.group(2).split():
                makefile.includes.append((number, name, include.group(1) != "include"))
            rule = None
            continue
        assignment = _ASSIGNMENT.match(stripped)
        if assignment:
            _assign(makefile, assignment)
            if assignment.group(2) == ".RECIPEPREFIX":
                prefix = assignment.group(4)[:1] or "\t"
            rule = None
            continue
        matched = _RULE.match(stripped)
        if not matched:
            rule = None
            continue
        rule = _rule(makefile, matched, number, depth > 0)
    return makefile


def _logical_lines(text: str) -> list[tuple[int, str, bool]]:
    """(first line number, text, whether it was continued) with backslash-newline continuations joined:
    kept as backslash-newline in recipe lines (the shell reads them), a space elsewhere (make's own rule)."""
    out: list[tuple[int, str, bool]] = []
    pending: list[str] = []
    start = 0
    for number, line in enumerate(text.split("\n"), start=1):
        if not pending:
            start = number
        pending.append(line.rstrip("\r"))
        if _continues(pending[-1]):
            continue
        if pending[0].startswith("\t"):
            joined = "\n".join(pending)
        else:
            joined = " ".join(p[:-1].strip() if i < len(pending) - 1 else p.strip() for i, p in enumerate(pending))
        out.append((start, joined, len(pending) > 1))
        pending = []
    return out


def _continues(line: str) -> bool:
    trailing = len(line) - len(line.rstrip("\\"))
    return trailing % 2 == 1


def _strip_comment(line: str) -> str:
    out = re.split(r"(?<!\\)#", line, maxsplit=1)[0]
    return out.replace("\\#", "#")


def _assign(makefile: Makefile, assignment: re.Match[str]) -> None:
    override = "override" in (assignment.group(0).split(assignment.group(2), 1)[0].split())
    name, op, value = assignment.group(2), assignment.group(3), assignment.group(4).strip()
    if override:
        makefile.overridden.add(name)
    if op == "?=" and name in makefile.variables:
        return
    if op == "+=" and name in makefile.variables:
        makefile.variables[name] = f"{makefile.variables[name]} {value}".strip()
    elif op == "!=":
        makefile.variables[name] = "$(shell " + value + ")"  # the output of a command: unknown
    else:
        makefile.variables[name] = value


def _rule(makefile: Makefile, matched: re.Match[str], number: int, conditional: bool) -> Rule | None:
    targets = matched.group(1).split()
    rest = matched.group(3)
    recipe_inline = None
    if ";" in rest:
        rest, recipe_inline = rest.split(";", 1)
    if _ASSIGNMENT.match(rest.strip()) and "=" in rest:
        return None  # `target: NAME = value`, a target-specific variable
    prerequisites = [p for p in rest.replace("|", " ").split()]
    rule = Rule(targets, prerequisites, [], number, conditional, matched.group(2) == "::", makefile.path)
    if recipe_inline is not None and recipe_inline.strip():
        rule.recipe.append((number, recipe_inline.strip()))
    for target in targets:
        makefile.rules.setdefault(target, []).append(rule)
        if makefile.first_target is None and not target.startswith(".") and "%" not in target:
            makefile.first_target = target
    return rule


UNKNOWN = "${MAKE_UNKNOWN}"
_DOLLAR = "\x00"  # a literal `$` ($$ in the Makefile) while references are expanded


def expand(text: str, variables: dict[str, str], automatic: dict[str, str] | None = None) -> str:
    """``text`` with make's variable references replaced; what make would take from the environment or
    compute (``$(shell ...)``, functions) becomes ``${MAKE_UNKNOWN}``, an expansion the shell model never
    reads as a known word. ``$$`` is a literal ``$``."""
    return _expand(text, variables, automatic or {}, 0, {}).replace(_DOLLAR, "$")


def _expand(text: str, variables: dict[str, str], automatic: dict[str, str], depth: int, done: dict[str, str]) -> str:
    """``done``: each variable's expansion, once (`A = $(B)$(B)`, `B = $(C)$(C)`... would otherwise double per level)."""
    if depth > MAX_EXPANSION_DEPTH or len(text) > MAX_EXPANSION_CHARS:
        return UNKNOWN
    text = text.replace("$$", _DOLLAR)
    pieces: list[str] = []
    position = 0
    size = 0
    for match in _REFERENCE.finditer(text):
        pieces.append(text[position: match.start()])
        position = match.end()
        single = match.group("single")
        name = single if single is not None else (match.group("paren") if match.group("paren") is not None else match.group("brace"))
        name = (name or "").strip()
        if name in automatic:
            pieces.append(automatic[name])
        elif single is None and name in variables and " " not in name and "," not in name:
            if name not in done:
                done[name] = UNKNOWN  # a variable that refers to itself expands to nothing aigov can know
                done[name] = _expand(variables[name], variables, automatic, depth + 1, done)
            pieces.append(done[name])
        else:
            pieces.append(UNKNOWN)
        size += len(pieces[-1]) + len(pieces[-2])
        if size > MAX_EXPANSION_CHARS:
            return UNKNOWN
    pieces.append(text[position:])
    out = "".join(pieces)
    for _ in range(MAX_EXPANSION_DEPTH):  # a nested reference ($(A_$(B))) aigov did not resolve
        if not re.search(r"\$\(|\$\{(?!MAKE_UNKNOWN\})", out):
            break
        out = re.sub(r"\$\((?:[^()]|\([^()]*\))*\)", UNKNOWN, out)
        out = re.sub(r"\$\{(?!MAKE_UNKNOWN\})[^{}]*\}", UNKNOWN, out)
    else:
        return UNKNOWN
    return out
