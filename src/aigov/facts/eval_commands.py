"""When two spellings of a command run the same thing: the one place aigov decides it.

The eval config names a command (``pytest evals``); CI may spell it ``python -m pytest evals``,
``python3 -m pytest -q evals -k golden``, ``uv run pytest evals``, ``poetry run pytest evals`` or
``npx promptfoo@0.90 eval``. :func:`canonical` reduces a command's words to what runs:

- runners that only start the command they are given are dropped, with the options they take:
  ``uv run``, ``uvx``, ``poetry run``, ``hatch run [ENV:]``, ``pdm run``, ``pipx run``, ``npx``,
  ``bunx``, ``pnpm exec``/``pnpm dlx``, ``yarn exec``/``yarn dlx``, ``npm exec``; a folder they
  change to (``uv run --directory DIR``, ``poetry -C DIR``) is kept, because the command runs there;
- ``python[3[.N]] -m MODULE`` is ``MODULE`` (``python -m pytest`` is ``pytest``), ``python3.11`` is
  ``python``, and a script handed to ``uv run`` is run by ``python``;
- a package's version is dropped (``promptfoo@0.90`` is ``promptfoo``), ``--option=value`` is two
  words, and ``./evals/`` is ``evals``.

:func:`runs` then says whether CI's command runs the declared one: the same program, with the
declared arguments in the same order among CI's (CI may add flags and arguments in between:
``pytest -q evals/ -k golden`` runs ``pytest evals/``). aigov does not judge what the extra
arguments select.

Commands that run a script defined elsewhere (``make evals``, ``npm run eval``, ``tox -e evals``)
are not spellings of a command: facts/eval_wrappers.py reads the script they run (the programs it
knows are :data:`WRAPPER_PROGRAMS`, here so that a check whose workflows name none never loads it).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import NamedTuple

# Programs that run scripts defined in the repository (facts/eval_wrappers.py reads them, and shell
# script files: a `.sh` word).
WRAPPER_PROGRAMS = frozenset({"make", "gmake", "npm", "pnpm", "yarn", "bun", "tox", "nox", "docker", "docker-compose"})
_WRAPPER_MENTION = re.compile(r"\b(?:" + "|".join(sorted(WRAPPER_PROGRAMS, key=len, reverse=True)) + r")\b|\.sh\b")


def mentions_wrapper(script: str) -> bool:
    """The cheap test before a script is parsed for the wrappers it runs."""
    return _WRAPPER_MENTION.search(script) is not None


class Invocation(NamedTuple):
    """A command as what runs: its canonical words (the program first) and the folders a runner changed
    to before running it, in order. (Tuples, not dataclasses: this module loads on every check.)"""

    words: tuple[str, ...]
    cd: tuple[str, ...] = ()

    @property
    def program(self) -> str | None:
        return self.words[0] if self.words else None


class _Runner(NamedTuple):
    """A program that runs the command given after its own options (and after ``sub``, its sub-command)."""

    sub: tuple[str, ...] = ()  # e.g. ("run",): `uv run CMD`; empty: the runner takes the command directly
    valued: frozenset[str] = frozenset()  # options followed by a value
    directory: frozenset[str] = frozenset()  # options whose value is the folder the command runs in
    env_prefix: bool = False  # `hatch run ENV:CMD`
    module_flag: bool = False  # `uv run -m MODULE` is `python -m MODULE`


def _options(*names: str) -> frozenset[str]:
    return frozenset(names)


_UV_VALUED = _options(
    "--extra", "--group", "--only-group", "--no-group", "--with", "--with-editable", "--with-requirements", "--package",
    "--python", "-p", "--env-file", "--index", "--default-index", "--index-url", "-i", "--extra-index-url",
    "--find-links", "-f", "--directory", "--project", "--config-file", "--cache-dir", "--resolution", "--prerelease",
    "--exclude-newer", "--link-mode", "--refresh-package", "--upgrade-package", "-P", "--reinstall-package",
    "--no-build-package", "--no-binary-package", "--config-setting", "-C", "--python-platform", "--color",
    "--index-strategy", "--keyring-provider", "--allow-insecure-host", "--from",
)
# Runners by program name, each with the sub-commands that run a command. The options are those of
# their documented CLIs that take a value; any other option is read as a flag.
_RUNNERS: dict[str, tuple[_Runner, ...]] = {
    "uv": (_Runner(("run",), _UV_VALUED, _options("--directory"), module_flag=True),
           _Runner(("tool", "run"), _UV_VALUED, _options("--directory"))),
    "uvx": (_Runner((), _UV_VALUED, _options("--directory")),),
    "poetry": (_Runner(("run",), _options("-C", "--directory", "-P", "--project"), _options("-C", "--directory")),),
    "hatch": (_Runner(("run",), _options("-e", "--env", "-p", "--project", "--data-dir", "--cache-dir", "--config"), env_prefix=True),),
    "pdm": (_Runner(("run",), _options("-p", "--project", "--venv", "-g"),),),
    "pipx": (_Runner(("run",), _options("--spec", "--python", "--pip-args", "--index-url", "--fetch-missing-python"),),),
    "npx": (_Runner((), _options("-p", "--package", "-c", "--call", "-w", "--workspace")),),
    "bunx": (_Runner((), _options("-p", "--package")),),
    "pnpm": (_Runner(("exec",), _options("-C", "--dir", "--filter", "-F")), _Runner(("dlx",), _options("--package", "-C", "--dir"))),
    "yarn": (_Runner(("exec",),), _Runner(("dlx",), _options("-p", "--package"))),
    "npm": (_Runner(("exec",), _options("--package", "-w", "--workspace", "-c", "--call", "--prefix")),),
}
_PYTHON = re.compile(r"python(?:\d+(?:\.\d+)*)?")
_PYTHON_VALUED = frozenset({"-W", "-X", "-Q"})
_VERSIONED = re.compile(r"^((?:@[^/@\s]+/)?[^@\s]+)@[^@\s]*$")  # promptfoo@0.90, @scope/tool@1


def canonical(words: Sequence[str]) -> Invocation:
    """What ``words`` run, spelled one way (see the module's docstring)."""
    rest = [str(w) for w in words]
    cd: list[str] = []
    for _ in range(8):  # runners inside runners (`uv run python -m pytest`); more is not an honest command
        before = rest
        rest = _strip_runner(rest, cd)
        rest = _strip_python(rest)
        if rest == before:
            break
    if rest:
        rest[0] = _program_name(rest[0])
    return Invocation(tuple(_argument(w) for w in _split_long_options(rest)), tuple(cd))


def _strip_runner(words: list[str], cd: list[str]) -> list[str]:
    """``words`` without a leading runner and its options; the folder it runs the command in goes to ``cd``."""
    if not words:
        return words
    for runner in _RUNNERS.get(_program_name(words[0]), ()):
        rest = _skip_options(words[1:], runner, cd)
        if runner.sub:
            if tuple(rest[: len(runner.sub)]) != runner.sub:
                continue
            rest = _skip_options(rest[len(runner.sub):], runner, cd)
        if runner.env_prefix and rest and re.match(r"^[A-Za-z0-9_.-]+:.", rest[0]) and "/" not in rest[0].split(":", 1)[0]:
            rest = [rest[0].split(":", 1)[1], *rest[1:]]
        if rest:
            if _program_name(words[0]) == "uv" and rest[0].endswith(".py"):
                return ["python", *rest]  # uv runs a script with the project's python
            return rest
    return words


def _skip_options(words: list[str], runner: _Runner, cd: list[str]) -> list[str]:
    """Drop the runner's options from the front of ``words``; `--` ends them. `uv run -m X` is `python -m X`."""
    rest = list(words)
    while rest and rest[0].startswith("-") and rest[0] != "-":
        option = rest.pop(0)
        if option == "--":
            break
        if option in ("-m", "--module") and runner.module_flag:
            return ["python", "-m", *rest]
        name, eq, value = option.partition("=")
        if not eq and name in runner.valued and rest:
            value = rest.pop(0)
        if name in runner.directory and value:
            cd.append(value)
    return rest


def _strip_python(words: list[str]) -> list[str]:
    """``python [options] -m MODULE args`` is ``MODULE args``; any python is ``python``."""
    if not words or not _PYTHON.fullmatch(_program_name(words[0])):
        return words
    rest = words[1:]
    while rest and rest[0].startswith("-") and rest[0] not in ("-", "-m", "-c"):
        option = rest.pop(0)
        if option in _PYTHON_VALUED and rest:
            rest.pop(0)
    if len(rest) >= 2 and rest[0] == "-m":
        return rest[1:]
    return words


def _program_name(word: str) -> str:
    """`/usr/bin/python3` is `python3`; `promptfoo@latest` is `promptfoo`; `python3.11` is `python`."""
    name = word.rsplit("/", 1)[-1] if "/" in word and not word.startswith("@") else word
    versioned = _VERSIONED.match(name)
    name = versioned.group(1) if versioned else name
    return "python" if _PYTHON.fullmatch(name) else name


def _split_long_options(words: list[str]) -> list[str]:
    out: list[str] = []
    for word in words:
        if word.startswith("--") and "=" in word:
            out.extend(word.split("=", 1))
        else:
            out.append(word)
    return out


def _argument(word: str) -> str:
    """A path written `./evals/` is `evals`."""
    while word.startswith("./") and len(word) > 2:
        word = word[2:]
    if len(word) > 1 and word.endswith("/") and not word.endswith("//"):
        word = word.rstrip("/") or "/"
    return word


def runs(ci: Invocation, declared: Invocation) -> bool:
    """Whether CI's command runs the declared one: the same program, the declared arguments in order among CI's."""
    if not ci.words or not declared.words or ci.words[0] != declared.words[0]:
        return False
    remaining = iter(ci.words[1:])
    return all(any(word == got for got in remaining) for word in declared.words[1:])


# The option with which an eval runner writes the results record (baseline.json beside the eval
# config, the evidence AIGOV-CHANGE-001 reads) instead of checking the committed one against its run,
# with the abbreviations Python's argparse accepts for it by default (`--re` is also `--report`).
RECORD_OPTIONS = frozenset({"--rec", "--reco", "--recor", "--record"})


def record_option(ci: Invocation) -> str | None:
    """The option with which the eval command ``ci`` rewrites the results record rather than checking
    it, as written; None when it checks it."""
    return next((word for word in ci.words[1:] if word in RECORD_OPTIONS), None)


def join_folder(start: str | None, cds: Sequence[str] | None) -> str | None:
    """The repository folder reached from ``start`` by ``cd`` into each of ``cds`` in turn; None when it
    cannot be known (an unknown start or an absolute path) or leaves the repository."""
    if start is None or cds is None:
        return None
    parts: list[str] = []
    for piece in [start, *cds]:
        if piece.startswith("/") or "$" in piece:
            return None
        for part in piece.split("/"):
            if part == "..":
                if not parts:
                    return None
                parts.pop()
            elif part not in ("", "."):
                parts.append(part)
    return "/".join(parts) or "."


# Runners whose own config file can be the eval config: the sub-command that evaluates, the options that
# name config files (promptfoo's `-c` takes several), and the files it reads when none is named.
NATIVE_CONFIGS: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "promptfoo": (("eval",), ("-c", "--config"), ("promptfooconfig.yaml", "promptfooconfig.yml", "promptfooconfig.json")),
}


def runs_config(ci: Invocation, folder: str | None, config: str) -> bool:
    """Whether ``ci``, run in ``folder``, evaluates the runner config at repository path ``config``."""
    return config in configs_run(ci, folder)


def configs_run(ci: Invocation, folder: str | None) -> list[str]:
    """The repository paths of the runner configs ``ci``, run in ``folder``, may evaluate: those its
    options name, else the files the runner reads when none is named (whichever exists)."""
    if ci.program not in NATIVE_CONFIGS or folder is None:
        return []
    sub, options, defaults = NATIVE_CONFIGS[ci.program]
    if ci.words[1: 1 + len(sub)] != sub:
        return []
    named = _option_values(list(ci.words[1 + len(sub):]), options)
    return [path for path in (join_folder(folder, [name]) for name in (named or defaults)) if path is not None]


def _option_values(words: list[str], options: tuple[str, ...]) -> list[str]:
    """The values given to ``options``, each of which may take several (until the next option)."""
    values: list[str] = []
    taking = False
    for word in words:
        if word.startswith("-"):
            taking = word in options
        elif taking:
            values.append(word)
    return values
