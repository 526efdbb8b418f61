"""tox environments and nox sessions: the commands `tox -e evals` and `nox -s evals` run, read declaratively.

tox (tox.ini, setup.cfg, pyproject.toml's ``[tool.tox]`` with ``legacy_tox_ini`` or native tables,
tox.toml): an environment's ``commands`` (``commands_pre`` first), inherited from ``[testenv]`` /
``env_run_base`` when it has none, with factor conditions (``evals: pytest``), ``{posargs}``,
``{envpython}``, ``{toxinidir}`` and ``{[section]key}`` substituted. Each command runs without a
shell; tox stops at the first that fails, unless it is prefixed with ``-``; ``ignore_outcome = true``
reports a failing environment as passed. ``changedir`` is the folder the commands run in.

nox (noxfile.py): sessions are Python functions, never imported or run. A session is read only as
far as it is declarative: ``session.run(...)`` / ``session.run_always(...)`` calls with string
literals, made directly in the session's body or inside ``with session.chdir(...)``, and
``session.chdir("dir")``. A run inside ``if``/``for``/``try`` or with computed arguments is not
counted; ``success_codes`` other than 0 let failures pass; a session that can call
``session.skip()`` passes without running what follows, so such a session is reported.
"""

from __future__ import annotations

import re
import shlex
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from aigov.facts.eval_commands import join_folder
from aigov.facts.eval_wrappers import NO_SHELL, Expansion, Note, Wrappers
from aigov.facts.shell import Nested, Script, Swallow
from aigov.tree import FILE, join

UNKNOWN_WORD = "${TOX_UNKNOWN}"  # a value aigov cannot know: never a known word to the shell model
_TOX_CONFIGS = ("tox.ini", "setup.cfg", "pyproject.toml", "tox.toml")
_TOX_VALUED = frozenset({"-e", "--env", "-c", "--conf", "--root", "--workdir", "-x", "--override", "--skip-env",
                         "--installpkg", "--develop", "--hashseed", "--discover", "--result-json", "--exit-and-dump-after",
                         "-m", "--labels", "-f", "--factors"})
_NOX_VALUED = frozenset({"-s", "-e", "--session", "--sessions", "-f", "--noxfile", "--nox-file", "-k", "--keywords", "-t", "--tags",
                         "-p", "--python", "--pythons", "--extra-python", "--extra-pythons", "--force-python", "-P", "--envdir",
                         "--default-venv-backend", "--force-venv-backend", "-db", "-fb", "--download-python", "--script-mode"})
_NOX_MULTI = frozenset({"-s", "-e", "--session", "--sessions", "-t", "--tags", "-p", "--python", "--pythons"})


def expand_python_runner(wrappers: Wrappers, words: list[str], folder: str | None) -> Expansion | None:
    program = words[0].rsplit("/", 1)[-1]
    return _tox(wrappers, words, folder) if program == "tox" else _nox(wrappers, words, folder)


# --- tox --------------------------------------------------------------------------------------


@dataclass
class _ToxCall:
    envs: list[str] = field(default_factory=list)
    config: str | None = None
    posargs: list[str] = field(default_factory=list)
    labels: bool = False
    runs: bool = True


def _tox_call(words: list[str]) -> _ToxCall:
    call = _ToxCall()
    rest = list(words[1:])
    if rest and not rest[0].startswith("-"):
        sub = rest.pop(0)
        call.runs = sub in ("run", "r", "run-parallel", "p", "legacy", "le")
    while rest:
        word = rest.pop(0)
        if word == "--":
            call.posargs = rest
            break
        name, eq, value = word.partition("=")
        if name in _TOX_VALUED and not eq and rest:
            value = rest.pop(0)
        if name in ("-e", "--env"):
            call.envs.extend(v for v in value.split(",") if v)
        elif name in ("-c", "--conf"):
            call.config = value
        call.labels |= name in ("-m", "--labels", "-f", "--factors")
    return call


def _tox(wrappers: Wrappers, words: list[str], folder: str | None) -> Expansion | None:
    call = _tox_call(words)
    if not call.runs or folder is None:
        return Expansion()
    config = _tox_config(wrappers, folder, call.config)
    if config is None:
        return Expansion([], [Note(join(folder, "tox.ini"), 1, f"`{' '.join(words)}` needs a tox config, and aigov finds none from {folder}")])
    if call.labels:
        return Expansion([], [Note(config.path, 1, "aigov does not select tox environments by label or factor (-m, -f); name them with -e")])
    envs = call.envs or config.env_list
    out = Expansion()
    for env in envs:
        out.scripts.extend(config.commands(env, call.posargs))
    if not out.scripts and envs:
        out.notes.append(Note(config.path, 1, f"no commands for tox environment {', '.join(envs)} in {config.path}"))
    return out


def _tox_config(wrappers: Wrappers, folder: str, given: str | None) -> _ToxConfig | None:
    if given:
        path = join_folder(folder, [given])
        if path is None:
            return None
        if wrappers.tree.kind(path) != FILE:
            return _tox_config(wrappers, path, None)
        return _load_tox(wrappers, path)
    current: str | None = folder
    while current is not None:  # tox looks in the folder, then the ones above it
        for name in _TOX_CONFIGS:
            found = _load_tox(wrappers, join(current, name)) if wrappers.tree.kind(join(current, name)) == FILE else None
            if found is not None:
                return found
        current = None if current == "." else (current.rpartition("/")[0] or ".")
    return None


def _load_tox(wrappers: Wrappers, path: str) -> _ToxConfig | None:
    return wrappers.cached(f"tox:{path}", lambda: _parse_tox(wrappers.text(path) or "", path))


@dataclass
class _Setting:
    value: str | list[Any]
    line: int


@dataclass
class _ToxConfig:
    """tox's settings by section: `testenv:NAME` / `testenv` (ini) or `env.NAME` / `env_run_base` (toml)."""

    path: str
    sections: dict[str, dict[str, _Setting]]
    env_list: list[str]
    toml: bool = False

    @property
    def folder(self) -> str:
        return self.path.rpartition("/")[0] or "."

    def setting(self, env: str, key: str) -> _Setting | None:
        names = (f"env.{env}", "env_run_base") if self.toml else (f"testenv:{env}", "testenv")
        keys = (key, key.replace("changedir", "change_dir")) if self.toml else (key,)
        for section in names:
            for name in keys:
                found = self.sections.get(section, {}).get(name)
                if found is not None:
                    return found
        return None

    def commands(self, env: str, posargs: list[str]) -> list[Nested]:
        directory = self.folder
        changedir = self.setting(env, "changedir")
        if changedir is not None and isinstance(changedir.value, str):
            directory = join_folder(self.folder, [_substitute(changedir.value.strip(), self, posargs)]) or directory
        outcome = self.setting(env, "ignore_outcome")
        ignored = outcome is not None and str(outcome.value).strip().lower() == "true"
        out = []
        for key in ("commands_pre", "commands"):
            setting = self.setting(env, key)
            if setting is None:
                continue
            for line, words, prefix in self._lines(setting, env, posargs):
                swallows = []
                if ignored:
                    swallows.append(Swallow("errors_ignored", outcome.line if outcome else line, f"ignore_outcome = true makes tox report {env} as passed when it fails", self.path))
                if prefix == "-":
                    swallows.append(Swallow("errors_ignored", line, "the command starts with '-', so tox ignores its exit code", self.path))
                elif prefix == "!":
                    swallows.append(Swallow("status_consumed", line, "the command starts with '!', so tox inverts its exit code", self.path))
                out.append(Nested(Script(shlex.join(words), NO_SHELL, directory, self.path, line), swallows))
        return out

    def _lines(self, setting: _Setting, env: str, posargs: list[str], seen: frozenset[int] = frozenset()) -> list[tuple[int, list[str], str]]:
        """(line, words, '-'/'!'/'' prefix) of each command of a `commands` setting; ``seen``: the settings
        being read, so that one naming itself (`{[testenv]commands}` in [testenv]) is read once."""
        if id(setting) in seen:
            return []
        seen = seen | {id(setting)}
        if isinstance(setting.value, list):  # native TOML: a list of commands, each a list of words
            out = []
            for command in setting.value:
                if isinstance(command, list):
                    words = [w if isinstance(w, str) else UNKNOWN_WORD for w in command]
                    prefix = words[0] if words and words[0] in ("-", "!") else ""
                    out.append((setting.line, words[1:] if prefix else words, prefix))
            return out
        out = []
        for offset, raw in enumerate(setting.value.split("\n")):
            text = raw.strip()
            factors = re.match(r"^([\w.,!{}-]+):\s+(.*)$", text)
            if factors:
                if not _factors_match(factors.group(1), env):
                    continue
                text = factors.group(2)
            if not text or text.startswith("#"):
                continue
            reference = re.fullmatch(r"\{\[([^\]]+)\]([\w-]+)\}", text)
            if reference:  # `{[testenv]commands}`: that section's commands
                inner = self.sections.get(reference.group(1), {}).get(reference.group(2))
                out.extend(self._lines(inner, env, posargs, seen) if inner is not None else [])
                continue
            prefix = text[0] if text[0] in "-!" else ""
            try:
                words = shlex.split(_substitute(text[len(prefix):].strip(), self, posargs))
            except ValueError:
                words = [UNKNOWN_WORD]
            out.append((setting.line + offset, words, prefix))
        return out


def _factors_match(condition: str, env: str) -> bool:
    """tox's factor conditions: `py311,evals:` (any of), `!py311:` (not), `py311-evals:` (all of)."""
    factors = set(env.split("-"))
    for option in condition.split(","):
        parts = option.split("-")
        if all((p[1:] not in factors) if p.startswith("!") else (p in factors) for p in parts if p):
            return True
    return False


def _substitute(text: str, config: _ToxConfig, posargs: list[str]) -> str:
    def replace(match: re.Match[str]) -> str:
        key = match.group(1)
        name, _, default = key.partition(":")
        if name == "posargs":
            return shlex.join(posargs) if posargs else default
        if key in ("envpython",):
            return "python"
        if key in ("toxinidir", "tox_root"):
            return "."
        if name == "env" and default.count(":"):
            return default.split(":", 1)[1]
        return UNKNOWN_WORD

    return re.sub(r"\{([^{}\[\]]+)\}", replace, text)


def _parse_tox(text: str, path: str) -> _ToxConfig | None:
    if path.endswith(".toml"):
        return _parse_tox_toml(text, path)
    sections = _ini_sections(text)
    if path.endswith("setup.cfg"):
        if "tox:tox" not in sections:
            return None
        sections["tox"] = sections.pop("tox:tox")
    return _ToxConfig(path, sections, _env_list(sections.get("tox", {})))


def _env_list(section: dict[str, _Setting]) -> list[str]:
    setting = section.get("envlist") or section.get("env_list")
    if setting is None:
        return []
    if isinstance(setting.value, list):
        return [str(e) for e in setting.value]
    return [e for e in re.split(r"[\s,]+", setting.value) if e and "{" not in e]


def _ini_sections(text: str, first_line: int = 1) -> dict[str, dict[str, _Setting]]:
    """An ini file's settings with the line each value starts on (configparser keeps no lines); a value
    continued on indented lines holds them joined with newlines."""
    sections: dict[str, dict[str, _Setting]] = {}
    current: dict[str, _Setting] | None = None
    last: _Setting | None = None
    for number, raw in enumerate(text.split("\n"), start=first_line):
        line = raw.rstrip()
        if not line.strip() or line.lstrip().startswith(("#", ";")):
            continue
        header = re.match(r"^\[([^\]]+)\]\s*$", line)
        if header:
            current = sections.setdefault(header.group(1).strip(), {})
            last = None
            continue
        if line[0] in " \t" and last is not None:
            value = str(last.value)
            last.value = f"{value}\n{line.strip()}" if value else line.strip()
            if not value:
                last.line = number
            continue
        setting = re.match(r"^([^=:\s][^=:]*?)\s*[=:]\s*(.*)$", line)
        if setting and current is not None:
            last = _Setting(setting.group(2), number)
            current[setting.group(1).strip()] = last
    return sections


def _parse_tox_toml(text: str, path: str) -> _ToxConfig | None:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return None
    tox = data.get("tool", {}).get("tox") if path.endswith("pyproject.toml") else data
    if not isinstance(tox, dict):
        return None
    legacy = tox.get("legacy_tox_ini")
    if isinstance(legacy, str):
        start = text.find("legacy_tox_ini")
        first = text.count("\n", 0, start) + 2 if start >= 0 else 1
        legacy_sections = _ini_sections(legacy.lstrip("\n"), first)
        return _ToxConfig(path, legacy_sections, _env_list(legacy_sections.get("tox", {})))
    prefix = "tool.tox." if path.endswith("pyproject.toml") else ""
    sections: dict[str, dict[str, _Setting]] = {}
    declared = tox.get("env")
    envs: dict[str, Any] = declared if isinstance(declared, dict) else {}
    tables = {f"env.{name}": table for name, table in envs.items() if isinstance(table, dict)}
    if isinstance(tox.get("env_run_base"), dict):
        tables["env_run_base"] = tox["env_run_base"]
    for name, table in tables.items():
        line = _toml_line(text, prefix + name)
        sections[name] = {key: _Setting(value, line) for key, value in table.items()}
    listed = tox.get("env_list")
    return _ToxConfig(path, sections, [str(e) for e in listed] if isinstance(listed, list) else [], toml=True)


def _toml_line(text: str, table: str) -> int:
    found = re.search(r"(?m)^\s*\[\s*" + re.escape(table).replace(r"\.", r"\s*\.\s*") + r"\s*\]", text)
    return text.count("\n", 0, found.start()) + 1 if found else 1


# --- nox --------------------------------------------------------------------------------------


@dataclass
class _NoxCall:
    sessions: list[str] = field(default_factory=list)
    noxfile: str = "noxfile.py"
    posargs: list[str] = field(default_factory=list)
    runs: bool = True
    selected_otherwise: bool = False  # -k, -t: not read


def _nox_call(words: list[str]) -> _NoxCall:
    call = _NoxCall()
    rest = list(words[1:])
    taking: str | None = None
    while rest:
        word = rest.pop(0)
        if word == "--":
            call.posargs = rest
            break
        if not word.startswith("-"):
            if taking in _NOX_MULTI and taking in ("-s", "-e", "--session", "--sessions"):
                call.sessions.append(word)
            continue
        name, eq, value = word.partition("=")
        taking = name if name in _NOX_MULTI else None
        if name in _NOX_VALUED and not eq and rest and not rest[0].startswith("-"):
            value = rest.pop(0)
        if name in ("-s", "-e", "--session", "--sessions") and value:
            call.sessions.append(value)
        elif name in ("-f", "--noxfile", "--nox-file"):
            call.noxfile = value
        call.runs &= name not in ("-l", "--list", "--list-sessions", "--install-only", "--json")
        call.selected_otherwise |= name in ("-k", "--keywords", "-t", "--tags")
    return call


def _nox(wrappers: Wrappers, words: list[str], folder: str | None) -> Expansion | None:
    call = _nox_call(words)
    if not call.runs or folder is None:
        return Expansion()
    path = join_folder(folder, [call.noxfile])
    text = wrappers.text(path) if path else None
    if path is None or text is None:
        return Expansion([], [Note(path or folder, 1, f"`{' '.join(words)}` needs {call.noxfile}, and it does not exist")])
    if call.selected_otherwise:
        return Expansion([], [Note(path, 1, "aigov does not select nox sessions by keyword or tag (-k, -t); name them with -s")])
    sessions = wrappers.cached(f"nox:{path}", lambda: _nox_sessions(text, path))
    wanted = call.sessions or sessions.defaults
    out = Expansion()
    for session in sessions.found:
        if any(session.selected_by(name) for name in wanted):
            out.scripts.extend(session.commands(call.posargs, path.rpartition("/")[0] or "."))
    if not out.scripts and wanted:
        out.notes.append(Note(path, 1, f"no session {', '.join(wanted)} in {path} runs a command aigov can read"))
    return out


@dataclass
class _Run:
    line: int
    words: list[str] | None  # None: computed arguments
    posargs: bool
    folder: list[str]  # session.chdir() targets before it
    swallows: list[Swallow]


@dataclass
class _Session:
    name: str
    pythons: list[str]
    default: bool
    runs: list[_Run]
    path: str
    line: int
    skips: int | None  # the line of a session.skip() call, if any

    def selected_by(self, name: str) -> bool:
        return name == self.name or any(name == f"{self.name}-{p}" for p in self.pythons) or name.startswith(self.name + "(")

    def commands(self, posargs: list[str], folder: str) -> list[Nested]:
        out = []
        for run in self.runs:
            if run.words is None:
                continue
            words = run.words + (posargs if run.posargs else [])
            swallows = [Swallow(w.kind, w.line, w.detail, self.path) for w in run.swallows]
            if self.skips is not None:
                swallows.append(Swallow("status_consumed", self.skips, f"session {self.name} may call session.skip(), which nox reports as a success without running what follows", self.path))
            out.append(Nested(Script(shlex.join(words), NO_SHELL, join_folder(folder, run.folder), self.path, run.line), swallows))
        return out


@dataclass
class _Sessions:
    found: list[_Session]
    defaults: list[str]


@lru_cache(maxsize=1)
def _python_parser() -> Any:
    import tree_sitter_python  # lazy: the Python grammar, only for a noxfile
    from tree_sitter import Language, Parser  # lazy: with the grammar

    return Parser(Language(tree_sitter_python.language()))


def _nox_sessions(text: str, path: str) -> _Sessions:
    root = _python_parser().parse(text.encode("utf-8", "surrogatepass")).root_node
    sessions: list[_Session] = []
    defaults: list[str] = []
    for node in root.named_children:
        if node.type == "decorated_definition":
            session = _session(node, path)
            if session is not None:
                sessions.append(session)
        elif node.type == "expression_statement" and _source(node).replace(" ", "").startswith("nox.options.sessions="):
            defaults = [s for s in (_string(n) for n in _walk(node) if n.type == "string") if s is not None]
    return _Sessions(sessions, defaults or [s.name for s in sessions if s.default])


def _session(node: Any, path: str) -> _Session | None:
    decorators = [d for d in node.named_children if d.type == "decorator"]
    function = node.child_by_field_name("definition")
    marker = next((d for d in decorators if re.match(r"^@\s*(nox\.)?session\b", _source(d))), None)
    if marker is None or function is None or function.type != "function_definition":
        return None
    kwargs = _kwargs(marker)
    name = _string(kwargs["name"]) if "name" in kwargs else None
    pythons = [s for s in (_string(n) for n in _walk(kwargs["python"]) if n.type == "string") if s] if "python" in kwargs else []
    default = "default" not in kwargs or _source(kwargs["default"]) != "False"
    parameters = function.child_by_field_name("parameters")
    first = next((c for c in (parameters.named_children if parameters else []) if c.type == "identifier"), None)
    argument = _source(first) if first is not None else "session"
    body = function.child_by_field_name("body")
    runs: list[_Run] = []
    _collect_runs(body, argument, [], runs)
    skips = next((n.start_point[0] + 1 for n in _walk(body) if n.type == "call" and _source(n.child_by_field_name("function")) == f"{argument}.skip"), None)
    return _Session(name or _source(function.child_by_field_name("name")), pythons, default, runs, path, node.start_point[0] + 1, skips)


def _collect_runs(block: Any, session: str, folder: list[str], out: list[_Run]) -> None:
    """The runs made directly in ``block`` (and in `with session.chdir(...)` blocks), in order."""
    for statement in block.named_children if block is not None else []:
        if statement.type == "with_statement":
            target = next((n for n in _walk(statement) if n.type == "call" and _source(n.child_by_field_name("function")) in (f"{session}.chdir", f"{session}.cd")), None)
            if target is not None:
                where = _string(_arguments(target)[0]) if _arguments(target) else None
                _collect_runs(statement.child_by_field_name("body"), session, [*folder, where or "${NOX_UNKNOWN}"], out)
            continue
        call = statement.named_children[0] if statement.type == "expression_statement" and statement.named_children else None
        if call is None or call.type != "call":
            continue
        function = _source(call.child_by_field_name("function"))
        if function in (f"{session}.chdir", f"{session}.cd"):
            where = _string(_arguments(call)[0]) if _arguments(call) else None
            folder = [*folder, where or "${NOX_UNKNOWN}"]
        elif function in (f"{session}.run", f"{session}.run_always"):
            out.append(_run(call, session, folder))


def _run(call: Any, session: str, folder: list[str]) -> _Run:
    words: list[str] | None = []
    posargs = False
    swallows = []
    line = call.start_point[0] + 1
    for argument in _arguments(call, keywords=True):
        if argument.type == "keyword_argument":
            key = _source(argument.child_by_field_name("name"))
            value = argument.child_by_field_name("value")
            codes = [_source(n) for n in _walk(value) if n.type == "integer"] if key == "success_codes" else []
            if key == "success_codes" and (value.type != "list" or any(c != "0" for c in codes)):
                swallows.append(Swallow("errors_ignored", line, f"success_codes={_source(value)} lets the command fail without failing the session", ""))
            continue
        if argument.type == "list_splat" and _source(argument).replace(" ", "") == f"*{session}.posargs":
            posargs = True
            continue
        value = _string(argument) if argument.type == "string" else None
        if value is None or words is None:
            words = None
            continue
        words.append(value)
    return _Run(line, words, posargs, list(folder), swallows)


def _arguments(call: Any, keywords: bool = False) -> list[Any]:
    arguments = call.child_by_field_name("arguments")
    children = arguments.named_children if arguments is not None else []
    return [c for c in children if c.type != "comment" and (keywords or c.type != "keyword_argument")]


def _kwargs(decorator: Any) -> dict[str, Any]:
    call = next((n for n in decorator.named_children if n.type == "call"), None)
    if call is None:
        return {}
    return {_source(a.child_by_field_name("name")): a.child_by_field_name("value")
            for a in _arguments(call, keywords=True) if a.type == "keyword_argument"}


def _string(node: Any) -> str | None:
    """A plain string literal's value (no f-string interpolation, no implicit concatenation)."""
    if node is None or node.type != "string":
        return None
    parts = [c for c in node.named_children if c.type not in ("string_start", "string_end")]
    if any(c.type != "string_content" for c in parts):
        return None
    start = node.child(0)
    if start is not None and "f" in _source(start).lower():  # an f-string: computed
        return None
    return "".join(_source(c) for c in parts)


def _source(node: Any) -> str:
    return node.text.decode("utf-8", "replace") if node is not None else ""


def _walk(node: Any) -> list[Any]:
    out, stack = [], [node]
    while stack:
        current = stack.pop()
        if current is None:
            continue
        out.append(current)
        stack.extend(reversed(current.children))
    return out

