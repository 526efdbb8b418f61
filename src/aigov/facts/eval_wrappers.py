"""The scripts a CI command runs when it names them rather than spells them out.

``make evals`` runs the Makefile's recipe for ``evals``; ``npm run eval`` (``pnpm eval``, ``yarn eval``,
``bun run eval``) a package.json script; ``tox -e evals`` the commands of a tox environment; ``nox -s
evals`` the ``session.run`` calls of a nox session; ``docker compose run svc [cmd]`` the command given
or the service's ``command:``. :class:`Wrappers` reads each from the repository, through the one
reader (so every file it reads is in the feature's read set), and hands the shell model
(facts/shell.py) each script with the shell that runs it and what the wrapper does with its failure.
Nothing is ever executed: nox sessions are Python, read with tree-sitter, never imported.

Monorepo runners resolve to the folder they run in: ``make -C dir``, ``npm --prefix dir``, ``npm -w
pkg``, ``pnpm --filter pkg``, ``pnpm -C dir``, ``yarn --cwd dir``, ``yarn workspace pkg``,
``docker compose --project-directory dir``. A shell script file (``bash evals/run.sh``,
``./evals/run.sh``) is followed too, with the shell that runs it.
"""

from __future__ import annotations

import functools
import json
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aigov.errors import AigovError
from aigov.facts.eval_commands import join_folder, mentions_wrapper
from aigov.facts.filters import included
from aigov.facts.makefile import Makefile, expand, parse_makefile
from aigov.facts.shell import Nested, Script, Shell, Swallow, shell_for_file, shell_invocation
from aigov.tree import FILE, Reads, Tree, join
from aigov.yamlfile import parse_yaml

MAX_CONFIG_BYTES = 1024 * 1024
MAX_TARGETS = 200  # targets one `make` call makes (prerequisites included): more than any honest Makefile
MAX_PACKAGES = 500
# A script run by `sh -c` (npm's script-shell, make's default SHELL): no errexit, no pipefail.
SH_C = Shell("sh -c", False, False, True, True)
# One command run without a shell (tox, nox, compose): its status is the script's.
NO_SHELL = Shell("no shell", False, False, True, True)


@dataclass
class Note:
    """A wrapper aigov could not follow: the file, the line, why."""

    path: str
    line: int
    detail: str


@dataclass
class Expansion:
    scripts: list[Nested] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)


class Wrappers:
    """Reads the scripts CI commands run, once per check; what each read is noted for every feature that
    asks again (the tree's read sets)."""

    def __init__(self, tree: Tree) -> None:
        self.tree = tree
        self._memo: dict[tuple[tuple[str, ...], str | None], tuple[Expansion | None, Reads]] = {}
        self._files: dict[str, Any] = {}
        self.notes: list[Note] = []  # notes of the expansions asked for since the last reset

    def mentioned_in(self, script: str) -> bool:
        return mentions_wrapper(script)

    def handles(self, words: list[str]) -> bool:
        return _handler(words) is not None

    def expand(self, words: list[str], folder: str | None) -> list[Nested] | None:
        handler = _handler(words)
        if handler is None:
            return None
        key = (tuple(words), folder)
        if key not in self._memo:
            with self.tree.recording() as reads:
                try:
                    found = handler(self, words, folder)
                except AigovError as exc:
                    found = Expansion([], [Note(exc.path or ".", exc.line or 1, exc.message)])
                except (RecursionError, ValueError) as exc:  # a file nested too deeply, or that no parser accepts
                    found = Expansion([], [Note(".", 1, f"`{' '.join(words)}`: aigov cannot read what it runs ({type(exc).__name__})")])
            self._memo[key] = (found, reads)
        found, reads = self._memo[key]
        self.tree.note(reads)
        if found is None:
            return None
        self.notes.extend(found.notes)
        return found.scripts

    # --- reading files, once per check ----------------------------------------------------------

    def text(self, path: str) -> str | None:
        """A small text file's content, or None when there is no regular file at ``path``."""
        if self.tree.kind(path) != FILE:
            return None
        return self.tree.read_text(path, MAX_CONFIG_BYTES)

    def cached(self, key: str, load: Callable[[], Any]) -> Any:
        """A parsed file, parsed once; its reads are noted again for whoever asks later."""
        if key not in self._files:
            with self.tree.recording() as reads:
                value = load()
            self._files[key] = (value, reads)
        value, reads = self._files[key]
        self.tree.note(reads)
        return value


# --- make -------------------------------------------------------------------------------------

_MAKE_VALUED = frozenset("CfIoWl")
_MAKE_NO_RUN = frozenset("nqt")


@dataclass
class _MakeCall:
    cd: list[str] = field(default_factory=list)
    makefile: str | None = None
    ignore_errors: bool = False
    runs_nothing: bool = False
    always: bool = False
    goals: list[str] = field(default_factory=list)
    overrides: dict[str, str] = field(default_factory=dict)


def _make_call(words: list[str]) -> _MakeCall:
    """`make [options] [NAME=value] [targets]` as GNU make reads its command line."""
    call = _MakeCall()
    rest = list(words[1:])
    while rest:
        word = rest.pop(0)
        if word == "--":
            continue
        if word.startswith("--"):
            name, eq, value = word.partition("=")
            takes = name in ("--directory", "--file", "--makefile", "--include-dir", "--old-file", "--assume-old",
                             "--new-file", "--assume-new", "--what-if", "--eval")
            if takes and not eq and rest:
                value = rest.pop(0)
            if name == "--directory":
                call.cd.append(value)
            elif name in ("--file", "--makefile"):
                call.makefile = value
            call.ignore_errors |= name == "--ignore-errors"
            call.runs_nothing |= name in ("--dry-run", "--just-print", "--recon", "--question", "--touch")
            call.always |= name == "--always-make"
        elif word.startswith("-") and len(word) > 1:
            _make_flags(word[1:], rest, call)
        elif re.match(r"^[^\s=:]+\s*:{0,3}=", word):
            name, _, value = word.partition("=")
            call.overrides[name.rstrip(":").strip()] = value
        else:
            call.goals.append(word)
    return call


def _make_flags(letters: str, rest: list[str], call: _MakeCall) -> None:
    for index, letter in enumerate(letters):
        if letter in _MAKE_VALUED:
            value = letters[index + 1:] or (rest.pop(0) if rest else "")
            if letter == "C":
                call.cd.append(value)
            elif letter == "f":
                call.makefile = value
            return
        if letter == "j":
            if not letters[index + 1:] and rest and rest[0].isdigit():
                rest.pop(0)
            return
        call.ignore_errors |= letter == "i"
        call.runs_nothing |= letter in _MAKE_NO_RUN
        call.always |= letter == "B"


def _make(wrappers: Wrappers, words: list[str], folder: str | None) -> Expansion | None:
    call = _make_call(words)
    directory = join_folder(folder, call.cd)
    if directory is None or call.runs_nothing:
        return Expansion()  # a folder aigov cannot tell, or `make -n`: no recipe it can follow runs
    makefile = _load_makefile(wrappers, directory, call.makefile)
    if makefile is None:
        where = join(directory, call.makefile or "Makefile")
        return Expansion([], [Note(where, 1, f"`{' '.join(words)}` needs a Makefile, and {where} does not exist")])
    return _MakeRun(wrappers, makefile, directory, call).run()


def _load_makefile(wrappers: Wrappers, directory: str, name: str | None) -> Makefile | None:
    candidates = [name] if name else ["GNUmakefile", "makefile", "Makefile"]
    for candidate in candidates:
        path = join(directory, candidate)
        if wrappers.tree.kind(path) == FILE:
            found: Makefile = wrappers.cached(f"make:{path}", functools.partial(_read_makefile, wrappers, path, directory))
            return found
    return None


def _read_makefile(wrappers: Wrappers, path: str, directory: str) -> Makefile:
    makefile = parse_makefile(wrappers.text(path) or "", path)
    pending = list(makefile.includes)
    seen = {path}
    while pending and len(seen) <= 20:
        line, name, optional = pending.pop(0)
        included_path = join(directory, expand(name, makefile.variables))
        if "${" in included_path or included_path in seen:
            continue
        seen.add(included_path)
        text = wrappers.text(included_path)
        if text is None:
            continue  # a missing `include` stops make with an error: nothing runs, nothing passes
        inner = parse_makefile(text, included_path)
        makefile.merge(inner)
        pending.extend(inner.includes)
    return makefile


class _MakeRun:
    """The recipe lines `make GOALS` runs, in order, each with the shell that runs it."""

    def __init__(self, wrappers: Wrappers, makefile: Makefile, directory: str, call: _MakeCall) -> None:
        self.wrappers, self.makefile, self.directory, self.call = wrappers, makefile, directory, call
        self.variables = {**makefile.variables, "MAKE": "make"}
        for name, value in call.overrides.items():
            if name not in makefile.overridden:
                self.variables[name] = value
        self.shell = self._shell()
        self.done: set[str] = set()
        self.out = Expansion()

    def _shell(self) -> Shell:
        program = expand(self.variables.get("SHELL", "/bin/sh"), self.variables)
        flags = expand(self.variables.get(".SHELLFLAGS", "-ec" if self.makefile.posix else "-c"), self.variables)
        found = shell_invocation([*program.split(), *flags.split(), "recipe"])
        return found[0] if found else Shell(f"{program} {flags}", False, False, False, False)

    def run(self) -> Expansion:
        goal = self.variables.get(".DEFAULT_GOAL") or self.makefile.first_target
        goals = self.call.goals or ([goal] if goal else [])
        if not goals:
            self.out.notes.append(Note(self.makefile.path, 1, "the Makefile has no target to make"))
        for target in goals:
            self._make(target, goal=True)
        return self.out

    def _make(self, target: str, goal: bool = False) -> None:
        if target in self.done or len(self.done) >= MAX_TARGETS:
            return
        self.done.add(target)
        rules = self.makefile.rules.get(target)
        if not rules:
            if goal:
                self.out.notes.append(Note(self.makefile.path, 1, f"no rule makes target {target} in {self.makefile.path}"))
            return
        for rule in rules:
            for prerequisite in rule.prerequisites:
                self._make(expand(prerequisite, self.variables))
        with_recipe = [rule for rule in rules if rule.recipe]
        for rule in with_recipe if any(r.double_colon for r in rules) else with_recipe[-1:]:
            self._recipe(target, rule)

    def _recipe(self, target: str, rule: Any) -> None:
        path = rule.path or self.makefile.path
        around = self._target_swallows(target, rule, path)
        lines = [(line, *_recipe_prefix(text)) for line, text in rule.recipe]
        if self.makefile.oneshell:
            first_line, ignored, _ = lines[0]
            text = "\n".join(body for _, _, body in lines)
            lines = [(first_line, ignored, text)]
        for line, ignored, body in lines:
            swallows = list(around)
            if ignored and not any(w.kind == "errors_ignored" for w in around):
                swallows.append(Swallow("errors_ignored", line, "the recipe line starts with '-', so make ignores its failure", path))
            script = expand(body, self.variables, {"@": target})
            self.out.scripts.append(Nested(Script(script, self.shell, self.directory, path, line), swallows))

    def _target_swallows(self, target: str, rule: Any, path: str) -> list[Swallow]:
        found = []
        if self.call.ignore_errors or self.makefile.ignored(target):
            why = "`make -i`" if self.call.ignore_errors else "`.IGNORE`"
            found.append(Swallow("errors_ignored", rule.line, f"{why} makes make ignore the failure of every recipe line of {target}", path))
        if rule.conditional:
            found.append(Swallow("unreadable_shell", rule.line, f"the rule for {target} is inside a make conditional (ifeq/ifdef), which aigov does not evaluate", path))
        prerequisites = [expand(p, self.variables) for r in self.makefile.rules.get(target, []) for p in r.prerequisites]
        phony = self.makefile.phony
        if (not self.call.always and target not in phony and not any(p in phony for p in prerequisites)
                and self.wrappers.tree.exists(join(self.directory, target))):
            found.append(Swallow("up_to_date", rule.line, f"{target} is not .PHONY and {join(self.directory, target)} exists, so make may find "
                                 f"it up to date and not run its recipe", path))
        return found


def _recipe_prefix(text: str) -> tuple[bool, str]:
    """(whether a `-` prefix ignores the line's failure, the line without its `@`/`-`/`+` prefixes)."""
    match = re.match(r"^[\s@+-]*", text)
    prefix = match.group(0) if match else ""
    return "-" in prefix, text[len(prefix):]


# --- package.json scripts (npm, pnpm, yarn, bun) ------------------------------------------------

_NPM_RUN = frozenset({"run", "run-script", "rum", "urn"})
_NPM_ALIASES = {"test": "test", "t": "test", "tst": "test", "start": "start"}
_NPM_VALUED = frozenset({"--prefix", "-C", "--workspace", "-w", "--reporter", "--loglevel", "--script-shell", "--userconfig"})
_PNPM_VALUED = frozenset({"--filter", "-F", "--dir", "-C", "--reporter", "--workspace-concurrency", "--resume-from", "--loglevel",
                          "--filter-prod", "--test-pattern", "--changed-files-ignore-pattern"})
_YARN_VALUED = frozenset({"--cwd", "--modules-folder", "--mutex", "--network-timeout"})
_BUN_VALUED = frozenset({"--cwd", "--filter", "-F", "--elide-lines", "--shell"})
# Their own commands: anything else as the first word runs a package.json script (or a binary).
_PNPM_BUILTINS = frozenset({
    "add", "i", "install", "ci", "update", "up", "remove", "rm", "link", "ln", "unlink", "import", "rebuild", "rb", "prune",
    "fetch", "patch", "patch-commit", "audit", "list", "ls", "outdated", "why", "licenses", "exec", "dlx", "create", "pack",
    "publish", "root", "store", "bin", "config", "env", "setup", "init", "deploy", "server", "dedupe", "doctor", "cat-file",
    "cat-index", "find-hash", "self-update", "approve-builds", "help", "version",
})
_YARN_BUILTINS = frozenset({
    "add", "install", "remove", "upgrade", "up", "dlx", "exec", "workspaces", "why", "info", "init", "set", "config", "pack",
    "npm", "plugin", "constraints", "version", "node", "bin", "cache", "link", "unlink", "patch", "patch-commit", "dedupe",
    "explain", "rebuild", "search", "stage", "unplug", "login", "logout", "publish", "global", "outdated", "audit", "check",
    "create", "generate-lock-entry", "help", "import", "licenses", "list", "owner", "policies", "tag", "team", "upgrade-interactive",
    "autoclean",
})


@dataclass
class _ScriptCall:
    program: str
    name: str | None = None
    args: list[str] = field(default_factory=list)
    base: list[str] = field(default_factory=list)  # --prefix / --dir / --cwd, in order
    packages: list[str] = field(default_factory=list)  # --workspace / --filter / `yarn workspace NAME`
    every_package: bool = False  # --workspaces, -r
    if_present: bool = False
    ignore_scripts: bool = False


def _package_call(words: list[str]) -> _ScriptCall | None:
    """`npm run NAME`, `npm test`, `pnpm [--filter P] NAME`, `yarn [workspace P] NAME`, `bun run NAME`: the script asked for."""
    program = words[0].rsplit("/", 1)[-1]
    valued = {"npm": _NPM_VALUED, "pnpm": _PNPM_VALUED, "yarn": _YARN_VALUED, "bun": _BUN_VALUED}[program]
    call = _ScriptCall(program)
    positional: list[str] = []
    rest = list(words[1:])
    while rest:
        word = rest.pop(0)
        if word == "--":
            call.args.extend(rest)
            break
        # npm reads every option before `--` as its own; pnpm, yarn and bun pass those after the script name on.
        if word.startswith("-") and (program == "npm" or call.name is None):
            name, eq, value = word.partition("=")
            if name in valued and not eq and rest:
                value = rest.pop(0)
            _package_option(call, name, value)
            continue
        if call.name is not None:
            call.args.append(word)
            continue
        positional.append(word)
        call.name = _script_name(program, positional, call)
    return call if call.name else None


def _package_option(call: _ScriptCall, name: str, value: str) -> None:
    if name in ("--prefix", "-C", "--dir", "--cwd"):
        call.base.append(value)
    elif name in ("--workspace", "-w") and call.program == "npm" or name in ("--filter", "-F"):
        call.packages.append(value)
    elif name in ("--workspaces", "-ws", "-r", "--recursive"):
        call.every_package = True
    call.if_present |= name == "--if-present"
    call.ignore_scripts |= name == "--ignore-scripts"


def _script_name(program: str, positional: list[str], call: _ScriptCall) -> str | None:
    """The script name once the positional words say it (None: not yet, or not a script at all, via '')."""
    first = positional[0]
    if program == "yarn" and first == "workspace":
        if len(positional) == 2:
            call.packages.append(positional[1])
        return positional[2] if len(positional) >= 3 and positional[2] != "run" else (positional[3] if len(positional) >= 4 else None)
    if first in _NPM_RUN or (program == "bun" and first == "run"):
        return positional[1] if len(positional) >= 2 else None
    if first in _NPM_ALIASES and program != "bun":
        return _NPM_ALIASES[first]
    if program in ("pnpm", "yarn") and first not in (_PNPM_BUILTINS if program == "pnpm" else _YARN_BUILTINS):
        return first
    positional.clear()
    return ""  # npm install, pnpm exec, bun test...: not a script


def _package_scripts(wrappers: Wrappers, words: list[str], folder: str | None) -> Expansion | None:
    call = _package_call(words)
    if call is None or not call.name:
        return None
    base = join_folder(folder, call.base)
    if base is None:
        return Expansion()
    packages, notes = _packages(wrappers, call, base)
    out = Expansion([], notes)
    for package in packages:
        out.scripts.extend(_scripts_of(wrappers, call, package, out.notes))
    return out


def _packages(wrappers: Wrappers, call: _ScriptCall, base: str) -> tuple[list[str], list[Note]]:
    """The package folders the call runs its script in."""
    if not call.packages and not call.every_package:
        root = _nearest(wrappers, base, "package.json")
        return ([root] if root is not None else []), ([] if root is not None else [Note(join(base, "package.json"), 1, f"{call.program} {call.name} needs a package.json, and none is in {base} or above")])
    workspace_file = "pnpm-workspace.yaml" if call.program == "pnpm" else "package.json"
    root = _nearest(wrappers, base, workspace_file) if call.program == "pnpm" else _workspace_root(wrappers, base)
    if root is None:
        return [], [Note(join(base, workspace_file), 1, f"{call.program} selects packages of a workspace, and aigov finds no workspace around {base}")]
    members = _workspace_members(wrappers, root, call.program)
    if call.every_package:
        return [m for m in members if m != root or call.program != "pnpm"], []
    chosen: list[str] = []
    notes: list[Note] = []
    for selector in call.packages:
        found = _select(wrappers, selector, members, base)
        if found is None:
            notes.append(Note(join(root, workspace_file), 1, f"aigov does not read the package selector {selector!r}"))
        chosen.extend(f for f in found or [] if f not in chosen)
    return chosen, notes


def _nearest(wrappers: Wrappers, folder: str, name: str) -> str | None:
    """The nearest folder from ``folder`` up to the repository root that holds ``name``."""
    current: str | None = folder
    while current is not None:
        if wrappers.tree.kind(join(current, name)) == FILE:
            return current
        current = None if current == "." else (current.rpartition("/")[0] or ".")
    return None


def _workspace_root(wrappers: Wrappers, folder: str) -> str | None:
    """npm and yarn: the nearest package.json up from ``folder`` that declares `workspaces`."""
    current: str | None = folder
    while current is not None:
        data = _package_json(wrappers, join(current, "package.json"))
        if isinstance(data, dict) and data.get("workspaces"):
            return current
        current = None if current == "." else (current.rpartition("/")[0] or ".")
    return None


def _workspace_members(wrappers: Wrappers, root: str, program: str) -> list[str]:
    if program == "pnpm":
        text = wrappers.text(join(root, "pnpm-workspace.yaml")) or ""
        data = parse_yaml(text, join(root, "pnpm-workspace.yaml")).data if text.strip() else {}
        patterns = data.get("packages") if isinstance(data, dict) else None
    else:
        declared = (_package_json(wrappers, join(root, "package.json")) or {}).get("workspaces")
        patterns = declared.get("packages") if isinstance(declared, dict) else declared
    patterns = [str(p).rstrip("/") for p in patterns] if isinstance(patterns, list) else []
    files = wrappers.tree.files_under(root) if any("**" in p for p in patterns) else _glob_packages(wrappers, root, patterns)
    prefix = "" if root == "." else root + "/"
    wanted = [f"{p}/package.json" if not p.startswith("!") else f"!{p[1:]}/package.json" for p in patterns]
    members = [root] + sorted({f.rpartition("/")[0] for f in files if f.endswith("/package.json") and included(wanted, f[len(prefix):])})
    return members[:MAX_PACKAGES]


def _glob_packages(wrappers: Wrappers, root: str, patterns: list[str]) -> list[str]:
    found: list[str] = []
    for pattern in patterns:
        if not pattern.startswith("!"):
            found.extend(wrappers.tree.glob(root, f"{pattern}/package.json"))
    return found


def _select(wrappers: Wrappers, selector: str, members: list[str], base: str) -> list[str] | None:
    """pnpm's --filter (and npm's -w): a package name or name glob, or a folder (`./path`, `{path}`)."""
    if selector.startswith("{") and selector.endswith("}"):
        selector = "./" + selector[1:-1]
    if selector.startswith(("./", "../")) or (selector.startswith(".") and len(selector) == 1):
        folder = join_folder(base, [selector])
        return [m for m in members if m == folder]
    if re.search(r"\.\.\.|\^|\[|^!", selector):
        return None  # dependency and change selectors: not read
    if "/" in selector and not selector.startswith("@"):
        return [m for m in members if m == selector.rstrip("/")]  # npm -w accepts a path
    pattern = re.compile("^" + re.escape(selector).replace(r"\*", ".*") + "$")
    return [m for m in members if pattern.match(str((_package_json(wrappers, join(m, "package.json")) or {}).get("name", "")))]


def _package_json(wrappers: Wrappers, path: str) -> dict[str, Any] | None:
    def load() -> dict[str, Any] | None:
        text = wrappers.text(path)
        if text is None:
            return None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise AigovError(f"invalid JSON: {exc.msg}", path, exc.lineno) from None
        return data if isinstance(data, dict) else None

    return wrappers.cached(f"package:{path}", load)


def _scripts_of(wrappers: Wrappers, call: _ScriptCall, package: str, notes: list[Note]) -> list[Nested]:
    path = join(package, "package.json")
    data = _package_json(wrappers, path) or {}
    declared = data.get("scripts")
    scripts: dict[str, Any] = declared if isinstance(declared, dict) else {}
    name = str(call.name)
    if name not in scripts:
        if call.program in ("pnpm", "yarn") and not call.if_present and not call.every_package:
            # Without such a script, pnpm and yarn run the package's binary of that name.
            return [Nested(Script(shlex.join([name, *call.args]), NO_SHELL, package, path, 1))]
        if not call.if_present and not call.every_package:
            notes.append(Note(path, 1, f"{path} has no script {name}"))
        return []
    # npm runs pre<name> and post<name> around it (unless --ignore-scripts); pnpm and yarn 2+ do not.
    names = [f"pre{name}", name, f"post{name}"] if call.program == "npm" and not call.ignore_scripts else [name]
    text = wrappers.text(path) or ""
    out = []
    for each in names:
        script = scripts.get(each)
        if isinstance(script, str):
            if each == name and call.args:
                script = f"{script} {shlex.join(call.args)}"
            out.append(Nested(Script(script, SH_C, package, path, _key_line(text, each))))
    return out


def _key_line(text: str, key: str) -> int:
    """The line of `"key":` in package.json's scripts (the first after `"scripts"`), else 1."""
    start = text.find('"scripts"')
    found = re.compile(r'"' + re.escape(key) + r'"\s*:').search(text, max(start, 0))
    return text.count("\n", 0, found.start()) + 1 if found else 1


# --- docker compose -----------------------------------------------------------------------------

_COMPOSE_GLOBAL_VALUED = frozenset({"-f", "--file", "--project-directory", "-p", "--project-name", "--profile", "--env-file",
                                    "--ansi", "--progress", "--parallel"})
_COMPOSE_RUN_VALUED = frozenset({"-e", "--env", "--entrypoint", "-l", "--label", "--name", "-p", "--publish", "-u", "--user",
                                 "-v", "--volume", "-w", "--workdir", "--cap-add", "--cap-drop", "--pull", "--index", "--env-from-file"})
_COMPOSE_FILES = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")


def _compose(wrappers: Wrappers, words: list[str], folder: str | None) -> Expansion | None:
    """`docker compose run [opts] SERVICE [CMD...]` (and `exec`): the command given, or the service's
    `command:` behind its `entrypoint:`. It runs in the compose project's folder; the container is assumed
    to hold that folder as it is in the repository (aigov does not read the image)."""
    rest = list(words[1:])
    if words[0].rsplit("/", 1)[-1] == "docker":
        if not rest or rest[0] != "compose":
            return None
        rest.pop(0)
    files: list[str] = []
    project: str | None = None
    dry_run = False
    while rest and rest[0].startswith("-"):
        option = rest.pop(0)
        name, eq, value = option.partition("=")
        if name in _COMPOSE_GLOBAL_VALUED and not eq and rest:
            value = rest.pop(0)
        files += [value] if name in ("-f", "--file") else []
        project = value if name == "--project-directory" else project
        dry_run |= name == "--dry-run"
    if not rest or rest[0] not in ("run", "exec"):
        return None
    sub = rest.pop(0)
    detached = False
    entrypoint: str | None = None
    while rest and rest[0].startswith("-"):
        option = rest.pop(0)
        name, eq, value = option.partition("=")
        if name in _COMPOSE_RUN_VALUED and not eq and rest:
            value = rest.pop(0)
        detached |= name in ("-d", "--detach")
        entrypoint = value if name == "--entrypoint" else entrypoint
    if not rest or folder is None or dry_run:
        return Expansion()
    service, command = rest[0], rest[1:]
    return _compose_service(wrappers, folder, files, project, sub, service, command, entrypoint, detached)


def _compose_service(wrappers: Wrappers, folder: str, files: list[str], project: str | None, sub: str, service: str,
                     command: list[str], entrypoint_option: str | None, detached: bool) -> Expansion:
    paths = [p for p in (join_folder(folder, [f]) for f in files) if p] if files else _compose_files(wrappers, folder)
    if not paths:
        return Expansion([], [Note(join(folder, "compose.yaml"), 1, f"docker compose {sub} needs a compose file, and none is in {folder} or above")])
    definition: dict[str, Any] = {}
    line = 1
    for path in paths:
        doc = _compose_doc(wrappers, path)
        services = doc.data.get("services") if doc is not None and isinstance(doc.data, dict) else None
        if isinstance(services, dict) and isinstance(services.get(service), dict):
            definition.update(services[service])
            line = doc.line_of(f"services.{service}") if doc else 1
    where = paths[-1] if definition else paths[0]
    if not definition:
        return Expansion([], [Note(paths[0], 1, f"no service {service} in {', '.join(paths)}")])
    argv = command or _compose_words(definition.get("command"))
    if sub == "run":
        entry = _compose_words(entrypoint_option) if entrypoint_option is not None else _compose_words(definition.get("entrypoint"))
        argv = [*entry, *argv]
    if not argv:
        return Expansion([], [Note(where, line, f"service {service} runs its image's default command, which aigov cannot read")])
    directory = join_folder(folder, [project]) if project else (paths[0].rpartition("/")[0] or ".")
    swallows = [Swallow("status_consumed", line, f"`docker compose {sub} -d` runs {service} detached and never collects its status", where)] if detached else []
    return Expansion([Nested(Script(shlex.join(argv), NO_SHELL, directory, where, line), swallows)])


def _compose_files(wrappers: Wrappers, folder: str) -> list[str]:
    """The compose file docker compose finds from ``folder`` (it looks in parent folders too), and its override."""
    current: str | None = folder
    while current is not None:
        for name in _COMPOSE_FILES:
            if wrappers.tree.kind(join(current, name)) == FILE:
                stem, ext = name.rsplit(".", 1)
                override = join(current, f"{stem}.override.{ext}")
                return [join(current, name)] + ([override] if wrappers.tree.kind(override) == FILE else [])
        current = None if current == "." else (current.rpartition("/")[0] or ".")
    return []


def _compose_doc(wrappers: Wrappers, path: str) -> Any:
    def load() -> Any:
        text = wrappers.text(path)
        return None if text is None else parse_yaml(text, path)

    return wrappers.cached(f"compose:{path}", load)


def _compose_words(value: Any) -> list[str]:
    """A compose `command:`/`entrypoint:`: a list is the words, a string is split as a shell would (no shell runs it)."""
    if isinstance(value, list):
        return [str(v) for v in value]
    if isinstance(value, str):
        try:
            return shlex.split(value)
        except ValueError:
            return []
    return []


# --- shell script files --------------------------------------------------------------------------


def _script_file(wrappers: Wrappers, words: list[str], folder: str | None) -> Expansion | None:
    """`bash [-e] evals/run.sh`, `./evals/run.sh`: the script file, run by a shell of its own in the same
    folder. A file run directly gets the shell its `#!` line names (no `#!`: bash, without -e)."""
    given = shell_for_file(words)
    if given is None and not words[0].endswith(".sh"):
        return None
    named = given[1][0] if given else words[0]
    path = join_folder(folder, [named])
    text = wrappers.text(path) if path else None
    if path is None or text is None:
        return Expansion([], [Note(path or named, 1, f"`{' '.join(words)}` runs {named}, which is not a file in the repository")])
    shell = given[0] if given else _shebang_shell(text, named)
    return Expansion([Nested(Script(text, shell, folder, path, 1))])


def _shebang_shell(text: str, name: str) -> Shell:
    first = text.split("\n", 1)[0]
    words = first[2:].split() if first.startswith("#!") else ["bash"]
    if words and words[0].rsplit("/", 1)[-1] == "env":
        words = [w for w in words[1:] if w != "-S"]
    found = shell_for_file([*words, name])
    return found[0] if found else Shell(first[2:].strip() or "an unknown interpreter", False, False, False, False)


def _handler(words: list[str]) -> Callable[[Wrappers, list[str], str | None], Expansion | None] | None:
    if not words:
        return None
    program = words[0].rsplit("/", 1)[-1]
    if program in _HANDLERS:
        return _HANDLERS[program]
    runs_file = shell_for_file(words)
    return _script_file if words[0].endswith(".sh") or (runs_file is not None and runs_file[1][0].endswith(".sh")) else None


def _python_runners(wrappers: Wrappers, words: list[str], folder: str | None) -> Expansion | None:
    from aigov.facts.eval_python_runners import expand_python_runner  # lazy: eval_python_runners imports this module (a cycle)

    return expand_python_runner(wrappers, words, folder)


_HANDLERS: dict[str, Callable[[Wrappers, list[str], str | None], Expansion | None]] = {
    "make": _make, "gmake": _make,
    "npm": _package_scripts, "pnpm": _package_scripts, "yarn": _package_scripts, "bun": _package_scripts,
    "docker": _compose, "docker-compose": _compose,
    "tox": _python_runners, "nox": _python_runners,
}
