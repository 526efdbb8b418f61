"""What a workflow ``run:`` script does with one command's exit status: let it fail the step, or swallow it.

The script is parsed with a real bash grammar (tree-sitter-bash) and the failure of the command is
followed up the tree with bash's own rules, for the shell the step really runs (``resolve_shell``):

- errexit (``-e``) stops the shell at a failing command, except in the non-final part of an
  ``&&``/``||`` list, after ``!``, and in an ``if``/``while``/``until`` condition; a compound command
  whose status came from such an ignored failure does not stop it either. A subshell ``( )`` inherits
  errexit and, when it stops, fails as one command in its parent; so does ``exit N`` inside it, which
  ends only that subshell. A function runs in its caller's shell: its errexit context is the call's.
  Command substitutions ``$( )`` do not inherit errexit (bash outside POSIX mode).
- Without pipefail a pipeline's status is its last command's; with it, any failing part fails it.
- ``cmd &`` returns 0 at once; only ``wait $!`` (or ``wait -n`` / ``wait %N``) hands its status back.
  A bare ``wait`` returns 0 whatever its jobs did (bash manual, ``wait``).
- ``bash -c 'script'`` (``sh -c``, with its own ``-e``/``-o pipefail``) is a shell of its own: it
  inherits neither errexit nor pipefail, its status is its script's, and the outer script then
  treats it as one command. Followed three shells deep.
- Code after an unconditional ``exit`` and functions nobody calls never run; ``nohup``, ``time``,
  ``env``, ``command``, ``exec`` and ``timeout`` run the command they are given; quoting and escaping
  are read the way the shell reads them (``"python" evals/run.py`` is ``python evals/run.py``).

Nothing is ever executed. tree-sitter is imported only when a step mentions the command.
tests/test_workflows.py checks these answers against real bash on generated scripts.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from typing import Protocol

from aigov.facts.eval_commands import NATIVE_CONFIGS, Invocation, canonical, join_folder, record_option, runs, runs_config

# GitHub runs `run:` with these (docs "Using a specific shell"; actions/runner ScriptHandlerHelpers):
# the unspecified default is `bash -e {0}` (no pipefail), an explicit `shell: bash` is
# `bash --noprofile --norc -eo pipefail {0}`, `sh` is `sh -e {0}`, a custom `bash {0}` has neither.
POSIX_SHELLS = frozenset({"bash", "sh", "zsh", "dash", "ksh"})
_FLAG_E = re.compile(r"-[a-zA-Z]*e[a-zA-Z]*")
_STATUS_READ = re.compile(r"\$\?|PIPESTATUS|LASTEXITCODE|ERRORLEVEL", re.I)
_EXPRESSION = re.compile(r"\$\{\{.*?\}\}", re.S)  # GitHub substitutes these before the shell runs
# Commands that run the command given as their arguments and return its status.
_WRAPPERS = frozenset({"nohup", "time", "env", "command", "exec", "timeout"})
# Bounds that keep a hostile script from costing more than a normal one: its length, how deep the
# command sits, how many places that run it are followed.
MAX_SCRIPT_CHARS = 100_000
MAX_DEPTH = 200
MAX_USES = 20
MAX_NESTED_SHELLS = 3  # bash -c 'bash -c "..."': deeper than any honest step
MAX_NESTED_SCRIPTS = 6  # an npm script running make running a recipe running bash -c...: deeper than any honest step
_NOOPS = frozenset({"true", ":", "echo", "printf"})
_NOOP_START = re.compile(r"""\s*(?:[({!]\s*)*['"]?(?:true|:|echo|printf|exit)(?:['"\s;&|)}]|$)""")
# Statement lists: their statements run one after the other in the same shell.
_SEQUENCES = frozenset({"program", "compound_statement", "subshell", "do_group", "else_clause", "elif_clause", "case_item", "if_statement"})


@dataclass(frozen=True)
class Shell:
    name: str
    errexit: bool  # a failing command stops the script
    pipefail: bool  # a pipeline fails when any part fails
    posix: bool  # `set`, pipes and `&` mean what they mean in sh
    readable: bool  # aigov can follow the script at all


def resolve_shell(shell: str | None, windows: bool) -> Shell:
    """The shell GitHub uses for a step whose effective ``shell:`` is ``shell``."""
    if shell is None:
        if windows:
            return Shell("pwsh (the default on Windows runners)", False, False, False, True)
        return Shell("bash -e {0} (the default)", True, False, True, True)
    text = " ".join(str(shell).split())
    if text == "bash":
        return Shell(text, True, True, True, True)
    if text == "sh":
        return Shell(text, True, False, True, True)
    if text in ("pwsh", "powershell", "cmd"):
        # Native commands' exit codes do not stop these scripts; only the last one counts.
        return Shell(text, False, False, False, True)
    words = text.split()
    if words and words[0].rsplit("/", 1)[-1] in POSIX_SHELLS:
        errexit = any(_FLAG_E.fullmatch(w) for w in words[1:]) or "errexit" in words
        return Shell(text, errexit, "pipefail" in words, True, True)
    return Shell(text, False, False, False, False)


@dataclass
class Swallow:
    """One way the script keeps the command's failure from failing the step (or, for the warning
    kind ``exit_zero_after``, looks as if it does; for ``records_results``, keeps the check of the
    committed results record from failing it: the command rewrites the record instead)."""

    kind: str  # or_true | exit_zero | exit_zero_after | errexit_off | no_pipefail | status_consumed | unreadable_shell | records_results
    line: int | None  # 0-based script line, None when the cause is the shell itself; with ``path``, that file's line
    detail: str
    path: str | None = None  # the file holding the line (a Makefile, package.json...) when not the step's script


@dataclass
class CommandUse:
    line: int  # 0-based line of the script where the command, or the command that runs it (`make evals`), starts
    swallows: list[Swallow] = field(default_factory=list)
    folder: str | None = "."  # the repository folder it runs in; None when aigov cannot tell
    through: list[str] = field(default_factory=list)  # file:line of each script it runs through, outermost first
    words: tuple[str, ...] = ()  # the command found, as written there (quotes removed)


@dataclass
class Script:
    """A script aigov follows: a step's `run:`, or one a command runs (a Makefile recipe, an npm script)."""

    text: str
    shell: Shell
    folder: str | None = "."  # the repository folder it starts in; None when aigov cannot tell
    path: str | None = None  # the file that holds it; None for the step's own script
    first_line: int = 1  # the line of ``path`` where the script starts


@dataclass
class Nested:
    """A script a command runs, and what the command does with that script's failure: a Makefile
    recipe line prefixed with `-` lets it pass (such swallows name their file and line)."""

    script: Script
    swallows: list[Swallow] = field(default_factory=list)


if TYPE_CHECKING:  # a Protocol costs a millisecond to create, and this module loads on every check

    class Expander(Protocol):
        """Reads the scripts a command runs from the repository (facts/eval_wrappers.py): `make evals`
        runs the Makefile's recipe, `npm run eval` a package.json script."""

        def mentioned_in(self, script: str) -> bool: ...

        def handles(self, words: list[str]) -> bool: ...

        def expand(self, words: list[str], folder: str | None) -> list[Nested] | None: ...

    class Matcher(Protocol):
        """What a search looks for: one eval command (:class:`CommandSpec`), or any command that runs
        a recognised eval runner (facts/evals.py)."""

        def mentioned_in(self, script: str) -> bool: ...

        def may_match(self, ci: Invocation) -> bool: ...

        def match(self, ci: Invocation, folder: str | None) -> tuple[bool, str | None]: ...


@dataclass(frozen=True)
class CommandSpec:
    """The declared eval command: its words as written, and what it runs (facts/eval_commands.py).

    ``config``: the repository path of the eval config when it is a runner's own config (a promptfoo
    config); CI then runs the eval when it runs that runner on that file, from whatever folder.
    """

    words: tuple[str, ...]
    invocation: Invocation = Invocation(())
    config: str | None = None
    feature_dir: str = "."

    def mentioned_in(self, script: str) -> bool:
        """The cheap test first: most steps do not mention the command's words at all."""
        plain = re.sub(r"[\"'\\]", "", script)
        words = self.invocation.words or self.words
        # `uv run evals/run.py` runs python without naming it: a script's arguments say more than `python`.
        keys = ("promptfoo",) if self.config else (words[1:] if words[:1] == ("python",) and len(words) > 1 else words)
        return bool(keys) and all(word.rsplit("/", 1)[-1] in plain for word in keys)

    def may_match(self, ci: Invocation) -> bool:
        """Whether ``ci`` can run the eval, wherever it runs (the cheap test, before the folder is known)."""
        return runs(ci, self.invocation) or (self.config is not None and ci.program in NATIVE_CONFIGS)

    def match(self, ci: Invocation, folder: str | None) -> tuple[bool, str | None]:
        """Whether ``ci``, run in ``folder``, runs the eval, and the folder it runs the eval in."""
        if self.config is not None and runs_config(ci, folder, self.config):
            return True, self.feature_dir
        return runs(ci, self.invocation), folder


def command_spec(command: str, config: str | None = None, feature_dir: str = ".") -> CommandSpec:
    """The words of ``command``; for a compound command (`cd x && pytest`), of its last simple command,
    whose status is the command's."""
    commands = [c for c in _walk(_tree(command).root_node) if c.type == "command"] if len(command) <= MAX_SCRIPT_CHARS else []
    words = tuple(_unwrap(_words(commands[-1]))) if commands else tuple(command.split())
    return CommandSpec(words, canonical(words), config, feature_dir)


def is_noop(command: str) -> bool:
    """Whether every command the text runs is one that cannot fail an eval: `true`, `:`, `echo`, `printf`, `exit 0`."""
    if not _NOOP_START.match(command) or len(command) > MAX_SCRIPT_CHARS:
        return False  # its first command already does something (or it is too long to be a no-op worth reading)
    commands = [c for c in _walk(_tree(command).root_node) if c.type == "command"]
    return all(_noop(c) for c in commands)


def _noop(command: Any) -> bool:
    words = _words(command)
    name = words[0] if words else None
    if name == "exit":
        return words[1:] in ([], ["0"])
    return name in _NOOPS


@dataclass
class _Search:
    spec: Matcher
    expander: Expander | None
    budget: int = MAX_USES  # how many more places may be followed, shared by every nested script of one step


def find_command(script: str | Script, spec: Matcher, shell: Shell | None = None, expander: Expander | None = None) -> list[CommandUse]:
    """Every place ``script`` runs the command, with what happens to its exit status; also inside
    ``bash -c '...'`` (and ``sh -c``), a shell of its own whose status is its script's, and inside the
    scripts commands run (``make evals``: its recipe) when ``expander`` reads them.

    Lines are the script's (0-based); swallows inside other files name their file and line."""
    if isinstance(script, str):
        script = Script(script, shell or resolve_shell(None, False))
    return _find(script, _Search(spec, expander), 0)


def find_uses(script: Script, spec: Matcher, expander: Expander | None, budget: int = MAX_USES) -> list[CommandUse]:
    """:func:`find_command` for a script that starts in a known folder (or one aigov cannot tell)."""
    return _find(script, _Search(spec, expander, budget), 0)


# Runs nothing: searching for it follows every script the commands of a step run (and reads their files).
NOTHING = CommandSpec((), Invocation(("\0",)))


def _find(script: Script, search: _Search, depth: int) -> list[CommandUse]:
    """One use that gates is enough, and following each may walk the whole script: ``search.budget``
    bounds the places followed in all the nested scripts of one step together."""
    text = script.text
    expanding = search.expander is not None and depth < MAX_NESTED_SCRIPTS
    if not (search.spec.mentioned_in(text) or (expanding and search.expander.mentioned_in(text))):  # type: ignore[union-attr]
        return []
    if len(text) > MAX_SCRIPT_CHARS:
        if not search.spec.mentioned_in(text):
            return []
        return [CommandUse(0, [Swallow("unreadable_shell", 0, f"the script is {len(text)} characters long, over the {MAX_SCRIPT_CHARS} aigov follows")], script.folder)]
    root = _tree(text).root_node
    uses: list[CommandUse] = []
    for node in (n for n in _walk(root) if n.type == "command"):
        if search.budget <= 0:
            break
        uses.extend(_uses_at(node, root, script, search, depth))
    return uses


def _uses_at(node: Any, root: Any, script: Script, search: _Search, depth: int) -> list[CommandUse]:
    """The uses of the eval command that the command ``node`` makes: it is the eval command, or it runs a
    script (`bash -c`, `make evals`) that runs it. The folder is worked out only for candidates: it
    walks the script, and a hostile script holds thousands of commands."""
    raw = _unwrap(_words(node))
    if not raw:
        return []
    invocation = canonical(raw)
    if search.spec.may_match(invocation):
        search.budget -= 1
        use = _use(node, root, script.shell)
        if use is None:
            return []
        here = join_folder(script.folder, _directory_changes(node, root))
        matched, use.folder = search.spec.match(invocation, join_folder(here, invocation.cd))
        use.words = tuple(raw)
        if matched and (option := record_option(invocation)):
            written = option if option == "--record" else f"{option} (--record)"
            use.swallows = [*use.swallows, Swallow("records_results", node.start_point[0], f"the eval command runs with {written}")]
        return [use] if matched else []
    if depth < MAX_NESTED_SHELLS and (shell_c := _shell_c(node)) is not None:
        search.budget -= 1
        inner_shell, inner_text = shell_c
        here = join_folder(script.folder, _directory_changes(node, root))
        inner = Script(inner_text, inner_shell, here, script.path, script.first_line)
        return _through(node, root, script, [Nested(inner)], search, depth, same_text=True)
    expander = search.expander
    if expander is None or depth >= MAX_NESTED_SCRIPTS or not (expander.handles(raw) or expander.handles(list(invocation.words))):
        return []
    here = join_folder(script.folder, _directory_changes(node, root))
    nested = expander.expand(raw, here)
    if nested is None and invocation.words and list(invocation.words) != raw:
        nested = expander.expand(list(invocation.words), join_folder(here, invocation.cd))
    if not nested:
        return []
    search.budget -= 1
    return _through(node, root, script, nested, search, depth, same_text=False)


def _through(node: Any, root: Any, script: Script, nested: list[Nested], search: _Search, depth: int, same_text: bool) -> list[CommandUse]:
    """The uses inside the scripts ``node`` runs, each also subject to what the wrapper and then the outer
    script do with ``node``'s status. ``same_text``: a `bash -c` script, whose lines count from the command's."""
    first = node.start_point[0]
    combined: list[CommandUse] = []
    outer: CommandUse | None = None
    for item in nested:
        inner = _find(item.script, search, depth + 1)
        if not inner:
            continue
        outer = outer or _use(node, root, script.shell)
        if outer is None:
            return []  # the command never runs, or its status is lost
        for use in inner:
            if same_text:
                moved = [w if w.path else Swallow(w.kind, None if w.line is None else first + w.line, w.detail) for w in use.swallows]
                combined.append(CommandUse(first + use.line, [*moved, *outer.swallows], use.folder, use.through, use.words))
                continue
            place = item.script.path or ""
            moved = [w if w.path else Swallow(w.kind, item.script.first_line + (w.line if w.line is not None else 0), w.detail, place)
                     for w in use.swallows]
            through = [f"{place}:{item.script.first_line + use.line}", *use.through]
            combined.append(CommandUse(first, [*moved, *item.swallows, *outer.swallows], use.folder, through, use.words))
    return combined


def _shell_c(command: Any) -> tuple[Shell, str] | None:
    """``bash [-e] [-o pipefail] -c SCRIPT`` as a command of the script: see :func:`shell_invocation`."""
    return shell_invocation(_unwrap(_words(command)))


def shell_invocation(words: list[str]) -> tuple[Shell, str] | None:
    """``bash [-e] [-o pipefail] -c SCRIPT``: the shell that runs SCRIPT and SCRIPT, else None.

    A new shell inherits neither errexit nor pipefail (they are not exported): only its own
    options count."""
    parsed = _shell_options(words)
    if parsed is None or not parsed[1] or not parsed[2]:
        return None
    return parsed[0], parsed[2][0]


def shell_for_file(words: list[str]) -> tuple[Shell, list[str]] | None:
    """``bash [-e] [-o pipefail] FILE ARGS``: the shell that runs the script file, and FILE with its
    arguments; None for ``-c`` (see :func:`shell_invocation`) or when no file is named."""
    parsed = _shell_options(words)
    if parsed is None or parsed[1] or not parsed[2]:
        return None
    shell, _, rest = parsed
    return Shell(f"{words[0]} {rest[0]}", shell.errexit, shell.pipefail, True, True), rest


def _shell_options(words: list[str]) -> tuple[Shell, bool, list[str]] | None:
    """The shell a POSIX shell's command line starts (its own -e and -o pipefail), whether it reads its
    script from -c, and the words after its options."""
    if not words or words[0].rsplit("/", 1)[-1] not in POSIX_SHELLS:
        return None
    errexit = pipefail = reads_script = False
    rest = words[1:]
    while rest and not reads_script and rest[0][:1] in ("-", "+") and rest[0] not in ("-", "--"):
        option, rest = rest[0], rest[1:]
        if option.startswith("--"):
            continue  # --noprofile, --norc, --posix: nothing about failures
        for letter in option[1:]:
            on = option[0] == "-"
            if letter == "e":
                errexit = on
            elif letter == "c":
                reads_script = True
            elif letter == "o" and rest:
                name, rest = rest[0], rest[1:]
                errexit = on if name == "errexit" else errexit
                pipefail = on if name == "pipefail" else pipefail
    rest = rest[1:] if rest[:1] == ["--"] else rest
    return Shell(f"{words[0]} -c", errexit, pipefail, True, True), reads_script, rest


# --- Parsing ------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _parser() -> Any:
    import tree_sitter_bash  # lazy: the bash grammar, only once a run: script is parsed
    from tree_sitter import Language, Parser  # lazy: with the grammar

    return Parser(Language(tree_sitter_bash.language()))


@lru_cache(maxsize=4096)
def _tree(script: str) -> Any:
    """The parse tree, cached because every feature asks about the same scripts. `${{ }}` expressions
    become a placeholder word with the same line breaks, so lines keep their numbers."""
    text = _EXPRESSION.sub(lambda m: "_gh_expr_" + "\n" * m.group(0).count("\n"), script)
    return _parser().parse(text.encode("utf-8"))


def _walk(node: Any) -> Iterator[Any]:
    """Every node below ``node`` in source order, without recursion (a script may nest deeply)."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children))


def _text(node: Any) -> str:
    return node.text.decode("utf-8", "replace")


def _word(node: Any) -> str:
    """A word's value after quote removal; where it holds an expansion (`$DIR`), the expansion as written
    (`"tool@${VERSION}"` is `tool@${VERSION}`, so the program it names is still known)."""
    value = _literal(node)
    if value is not None:
        return value
    if node.type == "string":
        return _text(node)[1:-1]
    if node.type == "concatenation":
        return "".join(_word(c) for c in node.children)
    return _text(node)


def _literal(node: Any) -> str | None:
    """A word's value after quote removal, or None when it holds an expansion aigov cannot know."""
    kind = node.type
    if kind in ("word", "number"):
        return re.sub(r"\\(.)", r"\1", _text(node))
    if kind == "raw_string":
        return _text(node)[1:-1]
    if kind == "string":
        parts = [c for c in node.named_children]
        if all(c.type == "string_content" for c in parts):
            return "".join(_text(c) for c in parts)
        return None
    if kind == "concatenation":
        pieces = [_literal(c) for c in node.children]
        return None if None in pieces else "".join(p or "" for p in pieces)
    return None


def _words(command: Any) -> list[str]:
    """The command's name and arguments, quotes removed; assignments before the name left out."""
    words: list[str] = []
    for child in command.children:
        if child.type == "command_name":
            words.append(_word(child.children[0]) if child.children else _text(child))
        elif words and child.type not in ("file_redirect", "herestring_redirect", "heredoc_redirect", "comment"):
            words.append(_word(child))
    return words


def _name(command: Any) -> str | None:
    """The command's name, quotes removed (the first of its :func:`_words`); None when it has none.
    Cheaper than its words: `set` and `cd` are looked for before every use of the command."""
    child = next((c for c in command.children if c.type == "command_name"), None)
    if child is None:
        return None
    return _word(child.children[0]) if child.children else _text(child)


def _unwrap(words: list[str]) -> list[str]:
    """`nohup cmd`, `time cmd`, `env A=1 cmd`, `timeout 30m cmd`: the command they run."""
    while words and words[0] in _WRAPPERS:
        wrapper, words = words[0], words[1:]
        while words and (words[0].startswith("-") or (wrapper == "env" and "=" in words[0])):
            words = words[1:]
        if wrapper == "timeout" and words:
            words = words[1:]  # the duration
    return words


# --- Following a failure up the tree -------------------------------------------------------------


@dataclass
class _Failure:
    """The command's failure as it travels up: is the current node's status non-zero, and is errexit
    being ignored for it (non-final in `&&`/`||`, after `!`, in a condition)."""

    node: Any
    fails: bool = True
    exempt: bool = False
    swallows: list[Swallow] = field(default_factory=list)
    functions: set[int] = field(default_factory=set)  # functions already passed through, by node id


def _use(command: Any, root: Any, shell: Shell) -> CommandUse | None:
    line = command.start_point[0]
    if len(list(_ancestors(command))) > MAX_DEPTH:
        return CommandUse(line, [Swallow("unreadable_shell", line, f"the command is nested more than {MAX_DEPTH} levels deep, further than aigov follows")])
    if not _reachable(command, root):
        return None
    if not shell.readable:
        return CommandUse(line, [Swallow("unreadable_shell", None, f"shell '{shell.name}': aigov cannot tell whether the step fails when the command fails")])
    if any(a.type == "ERROR" for a in _ancestors(command)):
        return CommandUse(line, [Swallow("unreadable_shell", line, "aigov cannot parse the script around the command, so cannot tell whether its failure fails the step")])
    failure = _Failure(command)
    if _words(command)[:1] == ["exec"]:  # the command replaces the shell, which ends with its status
        stopped = _stop_shell(failure, command, root, [])
        if stopped is not None:
            return None if stopped is _NEVER else CommandUse(line, stopped)
    swallows = _follow(failure, root, shell, command)
    return None if swallows is None else CommandUse(line, swallows)


def _ancestors(node: Any) -> Iterator[Any]:
    parent = node.parent
    while parent is not None:
        yield parent
        parent = parent.parent


def _follow(failure: _Failure, root: Any, shell: Shell, command: Any) -> list[Swallow] | None:
    """Walk the failure to the top of the script; the swallows met on the way, or None if the command never runs."""
    while True:  # each step moves up the tree, or to the call of a function not passed through before
        node, parent = failure.node, failure.node.parent
        if parent is None:
            if not failure.fails:
                failure.swallows.append(Swallow("status_consumed", command.start_point[0], "'!' turns the command's failure into the script's success"))
            return failure.swallows  # the script's status is the failure: the step fails
        kind = parent.type
        step = _STEPS.get(kind)
        if kind == "command_substitution" and _assigned(parent):
            failure.node, failure.exempt = parent.parent, False  # `out=$(cmd)`: the assignment's status is cmd's
            continue
        if step is None:
            if kind in ("command_substitution", "process_substitution", "string", "command", "concatenation", "test_command", "arithmetic_expansion", "expansion"):
                return None  # inside a word: the status is lost, so this does not count as running it
            failure.node = parent  # redirections, heredocs and other wrappers keep the status
            continue
        outcome = step(failure, node, parent, shell, root, command)
        if outcome is not None:
            return None if outcome is _NEVER else outcome


_NEVER: list[Swallow] = []


def _step_pipeline(failure: _Failure, node: Any, parent: Any, shell: Shell, root: Any, command: Any) -> list[Swallow] | None:
    parts = [c for c in parent.named_children if c.type != "comment"]
    if node != parts[-1] and shell.posix and not _set_state(parent, shell, command.start_byte)[1] and not _status_read_after(parent):
        failure.swallows.append(Swallow("no_pipefail", node.start_point[0], f"piped into '{_short(parts[-1])}' without pipefail"))
        return failure.swallows
    failure.node = parent
    return None


def _step_negated(failure: _Failure, node: Any, parent: Any, shell: Shell, root: Any, command: Any) -> list[Swallow] | None:
    failure.fails, failure.exempt, failure.node = not failure.fails, True, parent
    return None


def _step_list(failure: _Failure, node: Any, parent: Any, shell: Shell, root: Any, command: Any) -> list[Swallow] | None:
    op, right = parent.children[1].type, parent.children[-1]
    if node == right:
        failure.node = parent
        return None
    failure.exempt = True
    if op == "&&" and failure.fails:
        failure.node = parent  # the list fails with it, but errexit ignores this failure
        return None
    if op == "||" and failure.fails:
        fate = _fallback(right)
        if fate == "exits":
            return _stop_shell(failure, right, root, [])  # `|| exit 1`: the shell stops failing here
        if fate == "returns":
            return _return_from_function(failure, right)
        if fate == "fails":
            failure.fails, failure.exempt, failure.node = True, False, parent
            return None
        failure.swallows.append(Swallow("or_true", node.start_point[0], f"|| {_short(right)}"))
        return failure.swallows
    if op == "||":  # `! cmd || x`: cmd's failure skips x, so the list succeeds with it
        failure.node = parent
        return None
    failure.swallows.append(Swallow("status_consumed", node.start_point[0], f"'!' inverts the exit status and '{op}' passes on the other command's"))
    return failure.swallows


def _step_if(failure: _Failure, node: Any, parent: Any, shell: Shell, root: Any, command: Any) -> list[Swallow] | None:
    if _is_condition(node, parent):
        branch = _branch(parent, taken_on_success=not failure.fails)
        fate = _block_fate(branch)
        if fate == "exits":
            return _stop_shell(failure, parent, root, [])  # `if ! cmd; then exit 1; fi`
        if fate == "returns":
            return _return_from_function(failure, parent)
        if fate == "fails":
            failure.fails, failure.exempt, failure.node = True, False, parent.parent if parent.type == "elif_clause" else parent
            return None
        word = "elif" if parent.type == "elif_clause" else "if"
        failure.swallows.append(Swallow("status_consumed", node.start_point[0], f"'{word}' consumes the exit status"))
        return failure.swallows
    return _step_sequence(failure, node, parent, shell, root, command)


def _step_loop(failure: _Failure, node: Any, parent: Any, shell: Shell, root: Any, command: Any) -> list[Swallow] | None:
    if _is_condition(node, parent):
        word = parent.children[0].type
        failure.swallows.append(Swallow("status_consumed", node.start_point[0], f"'{word}' consumes the exit status"))
        return failure.swallows
    failure.node = parent  # the loop's status is its body's last status
    return None


def _step_function(failure: _Failure, node: Any, parent: Any, shell: Shell, root: Any, command: Any) -> list[Swallow] | None:
    """The function's status becomes its call's: carry on from a call, preferring one outside every
    function; a function reached again through the calls (recursion) is not followed twice."""
    call = _call_of(parent, root, failure)
    if call is None:
        return _NEVER  # defined but never called (or only through a loop of calls): the command never runs
    failure.node, failure.exempt = call, False
    return None


def _call_of(function: Any, root: Any, failure: _Failure) -> Any | None:
    """A call of ``function`` that runs, preferring one outside every function; each function is followed
    once, so functions calling each other cannot loop."""
    if function.id in failure.functions:
        return None
    failure.functions.add(function.id)
    calls = _calls(function)
    return calls[0] if calls else None


def _calls(function: Any) -> list[Any]:
    """The calls of ``function`` that run, those outside every function first."""
    root = function
    while root.parent is not None:
        root = root.parent
    name = _text(function.child_by_field_name("name"))
    calls = [c for c in _walk(root) if c.type == "command" and _words(c)[:1] == [name]
             and not (c.start_byte >= function.start_byte and c.end_byte <= function.end_byte) and _reachable(c, root)]
    calls.sort(key=lambda c: any(a.type == "function_definition" for a in _ancestors(c)))
    return calls


def _step_sequence(failure: _Failure, node: Any, parent: Any, shell: Shell, root: Any, command: Any) -> list[Swallow] | None:
    statements = _statements(parent)
    if node not in statements:
        failure.node = parent
        return None
    later = statements[statements.index(node) + 1:]
    if _backgrounded(node):
        waiter = _wait_for(later)
        if waiter is None:
            failure.swallows.append(Swallow("status_consumed", node.start_point[0], "runs in the background with & and nothing waits for it (`wait $!` or `wait \"$pid\"`)"))
            return failure.swallows
        failure.node, failure.fails, failure.exempt = waiter, True, False  # the job's status is the wait's
        return None
    later = _until_exit(later)
    errexit, _, off_line = _set_state(node, shell, command.start_byte)  # in the shell running this statement
    errexit = errexit and not _in_substitution(parent) and not _errexit_ignored(parent)
    if failure.fails and not failure.exempt and errexit:
        warnings = [Swallow("exit_zero_after", s.start_point[0], "'exit 0' follows the command; bash -e stops at a failing command first, so this only looks as if it swallowed the failure")
                    for s in later[:1] if _is_exit(s, "0")]
        return _stop_shell(failure, parent, root, warnings)
    handed_on = _exit_with_status(later)
    if handed_on is not None:
        return _stop_shell(failure, handed_on, root, [])  # `status=$?` ... `exit $status`
    if later:
        exit_zero = next((s for s in later if _is_exit(s, "0")), None)
        if exit_zero is not None:
            failure.swallows.append(Swallow("exit_zero", exit_zero.start_point[0], "'exit 0' after the command reports success whatever it returned"))
        elif failure.exempt and errexit:
            failure.swallows.append(Swallow("status_consumed", node.start_point[0], "a failure before '&&' or after '!' does not stop a bash -e script, so later commands decide the step's result"))
        else:
            cause = "'set +e'" if off_line is not None else f"shell '{shell.name}'"
            failure.swallows.append(Swallow("errexit_off", off_line, f"{cause} lets the script carry on when the command fails, so later commands decide the step's result"))
        return failure.swallows
    failure.node = parent
    if parent.type == "subshell":
        failure.exempt = False  # a subshell's status is an ordinary command status in its parent
    return None


def _stop_shell(failure: _Failure, at: Any, root: Any, warnings: list[Swallow]) -> list[Swallow] | None:
    """`exit N` or errexit at ``at`` stops the shell that runs it. A subshell or command substitution then
    ends failing, as one command of its parent; a function runs in its caller's shell, which stops too;
    at the top the script, and so the step, fails."""
    failure.swallows.extend(warnings)
    node = at
    while True:
        for ancestor in [node, *_ancestors(node)]:
            if ancestor.type in ("subshell", "command_substitution"):
                failure.node, failure.fails, failure.exempt = ancestor, True, False
                return None
            if ancestor.type == "function_definition":
                call = _call_of(ancestor, root, failure)
                if call is None:
                    return _NEVER
                node = call
                break
            if ancestor.type == "program":
                return failure.swallows
        else:
            return failure.swallows


def _return_from_function(failure: _Failure, at: Any) -> list[Swallow] | None:
    """`return N` ends the function failing: its call fails (outside a function bash refuses `return`,
    which fails too)."""
    function = next((a for a in _ancestors(at) if a.type == "function_definition"), None)
    failure.fails, failure.exempt = True, False
    failure.node = at if function is None else function.child_by_field_name("body")
    return None


_STEPS = {
    "pipeline": _step_pipeline,
    "negated_command": _step_negated,
    "list": _step_list,
    "if_statement": _step_if,
    "elif_clause": _step_if,
    "while_statement": _step_loop,
    "for_statement": _step_loop,
    "c_style_for_statement": _step_loop,
    "function_definition": _step_function,
    **{kind: _step_sequence for kind in ("program", "compound_statement", "subshell", "do_group", "else_clause", "case_item")},
}


# --- Questions about the tree ------------------------------------------------------------------


def _statements(container: Any) -> list[Any]:
    """The statements of a statement list, without separators and comments (and without conditions)."""
    out = []
    for index, child in enumerate(container.children):
        if not child.is_named or child.type in ("comment", "elif_clause", "else_clause"):
            continue
        if container.field_name_for_child(index) in ("condition", "name", "value", "variable", "body") or _is_condition(child, container):
            continue
        out.append(child)
    return out


def _is_condition(node: Any, parent: Any) -> bool:
    if parent.type == "elif_clause":  # `elif A; then B`: A is the condition
        then = next((c for c in parent.children if c.type == "then"), None)
        return then is not None and node.end_byte <= then.start_byte
    if parent.type in ("if_statement", "while_statement"):
        for index, child in enumerate(parent.children):
            if child == node:
                return parent.field_name_for_child(index) == "condition"
    return False


def _branch(statement: Any, taken_on_success: bool) -> list[Any]:
    """The statements run after the condition: the `then` part, or the `else`/`elif` part."""
    if taken_on_success:
        return _statements(statement)
    other = next((c for c in statement.children if c.type in ("elif_clause", "else_clause")), None)
    if other is None or other.type == "elif_clause":
        return []  # an `elif` tests again: aigov does not follow that far, so the failure counts as consumed
    return _statements(other)


def _block_fate(statements: list[Any]) -> str:
    """``exits`` when the statements stop their shell failing (`exit 1`), ``returns`` when they return
    from a function failing (`return 1`), ``fails`` when they end failing (`false`), else ``passes``."""
    for statement in _until_exit(statements):
        if _is_failing_exit(statement):
            return "exits" if _words(statement)[0] == "exit" else "returns"
        if statement.type in ("compound_statement", "subshell"):
            inner = _block_fate(_statements(statement))
            if inner in ("exits", "returns"):
                return inner if statement.type == "compound_statement" else "fails"  # a subshell only ends itself
    if statements and statements[-1].type == "command" and _words(statements[-1])[:1] == ["false"]:
        return "fails"
    return "passes"


def _fallback(right: Any) -> str:
    """What the command after `||` does: exits or returns failing, fails, or passes (swallows the failure)."""
    if right.type == "command" and _words(right) in (["exit"], ["return"]):
        return "exits" if _words(right) == ["exit"] else "returns"  # with the failed command's status
    return _block_fate([right])


def _exit_with_status(later: list[Any]) -> Any | None:
    """The failing `exit` that hands the command's status on (`exit $?`, `rc=$?` ... `exit $rc`,
    `exit ${PIPESTATUS[0]}`), when the statements after it read the status at all."""
    if not any(_STATUS_READ.search(_text(s)) for s in later):
        return None
    for statement in later:
        for node in _walk(statement):
            if node.type == "function_definition":
                break
            if node.type == "command" and _is_failing_exit(node) and _words(node)[0] == "exit":
                return node
    return None


def _is_exit(statement: Any, code: str | None = None) -> bool:
    if statement.type != "command":
        return False
    words = _words(statement)
    return bool(words) and words[0] in ("exit", "return") and (code is None or words[1:] == [code])


def _is_failing_exit(statement: Any) -> bool:
    """`exit 1`, `exit $status`, `return 2`: an exit with a status that is not (known to be) zero."""
    if not _is_exit(statement):
        return False
    args = [c for c in statement.children if c.type != "command_name"]
    if not args:
        return False
    value = _literal(args[0])
    return value is None or (value.isdigit() and int(value) % 256 != 0)


def _until_exit(statements: list[Any]) -> list[Any]:
    """The statements up to and including the first unconditional `exit`: nothing after it runs."""
    for index, statement in enumerate(statements):
        if _is_exit(statement) and statement.type == "command":
            return statements[: index + 1]
    return statements


def _reachable(node: Any, root: Any) -> bool:
    """No unconditional `exit` runs before ``node`` in any statement list around it."""
    current = node
    for parent in _ancestors(node):
        if parent.type in _SEQUENCES or parent.type == "function_definition":
            statements = _statements(parent) if parent.type in _SEQUENCES else []
            if current in statements and any(_is_exit(s) for s in statements[: statements.index(current)]):
                return False
        current = parent
    return True


def _assigned(substitution: Any) -> bool:
    """`out=$(cmd)` as a statement of its own (not `local out=$(cmd)` nor `A=$(cmd) other`, whose status is
    another command's), with cmd the substitution's only statement."""
    assignment = substitution.parent
    inner = [c for c in substitution.named_children if c.type != "comment"]
    return (len(inner) == 1 and assignment is not None and assignment.type == "variable_assignment"
            and assignment.parent is not None and assignment.parent.type not in ("command", "declaration_command", "variable_assignments"))


def _backgrounded(statement: Any) -> bool:
    following = statement.next_sibling
    return following is not None and following.type == "&"


_PID_SAVED = re.compile(r"""^([A-Za-z_][A-Za-z0-9_]*)=(?:\$!|\$\{!\}|"\$!"|"\$\{!\}")$""")
_PID_READ = re.compile(r"^\$(?:([A-Za-z_][A-Za-z0-9_]*)|\{([A-Za-z_][A-Za-z0-9_]*)\})$")
# Where a `wait` still runs in the shell that started the job: not in a subshell, a pipeline or a function.
_WAIT_CONTEXT = frozenset({"list", "negated_command", "if_statement", "compound_statement"})


def _wait_for(later: list[Any]) -> Any | None:
    """The `wait` command among ``later`` statements that hands the background job's status back: `wait $!`
    (`-n`, `%N`) before any other job goes to the background, or `wait "$pid"` with `pid=$!` saved right
    after it (a bare `wait` returns 0 whatever its jobs did)."""
    saved: set[str] = set()
    other_jobs = False
    for statement in later:
        saved_as = _PID_SAVED.match(_text(statement)) if statement.type == "variable_assignment" else None
        if saved_as:
            (saved.discard if other_jobs else saved.add)(saved_as.group(1))
            continue
        wait = _first_wait(statement)
        if wait is not None:
            args = [_text(c).strip("\"'") for c in wait.children if c.type != "command_name"]
            if not args:
                return None
            last = args[-1]
            read = _PID_READ.match(last)
            if (not other_jobs and (last in ("$!", "${!}", "-n") or last.startswith("%"))) or (read and (read.group(1) or read.group(2)) in saved):
                return wait
        if _backgrounded(statement):
            other_jobs = True
    return None


def _first_wait(statement: Any) -> Any | None:
    """The first `wait` command in ``statement`` that runs in the statement's own shell."""
    for node in _walk(statement):
        if node.type == "command" and _words(node)[:1] == ["wait"]:
            current = node
            while current != statement and current.parent is not None and current.parent.type in _WAIT_CONTEXT:
                current = current.parent
            if current == statement:
                return node
    return None


def _status_read_after(node: Any) -> bool:
    """Whether a later statement reads `$?` or PIPESTATUS, handing the status on itself."""
    for ancestor in [node, *_ancestors(node)]:
        sibling = ancestor.next_sibling
        while sibling is not None:
            if _STATUS_READ.search(_text(sibling)):
                return True
            sibling = sibling.next_sibling
    return False


def _errexit_ignored(container: Any) -> bool:
    """Whether ``container`` runs where bash ignores -e: inside the non-final part of an `&&`/`||` list,
    after `!`, or in a condition. bash ignores it in every command within, subshells included."""
    child, seen = container, set()
    while child.parent is not None:
        parent = child.parent
        if parent.type == "negated_command" or _is_condition(child, parent):
            return True
        if parent.type == "list" and child == parent.children[0]:
            return True
        if parent.type == "function_definition":  # a function body runs in the context of its call
            calls = _calls(parent) if parent.id not in seen else []
            seen.add(parent.id)
            if not calls:
                return False
            child = calls[0]
            continue
        child = parent
    return False


def _in_substitution(node: Any) -> bool:
    return any(a.type == "command_substitution" for a in [node, *_ancestors(node)])


def _scope_of(node: Any) -> Any:
    """The innermost subshell or command substitution around ``node``: the shell whose `set` and `cd` it
    sees (a function runs in its caller's shell, so its `set` and `cd` count where they stand)."""
    return next((a for a in _ancestors(node) if a.type in ("subshell", "command_substitution", "program")), None)


def _before_in_scope(node: Any, root: Any, names: tuple[str, ...], upto: int | None = None) -> list[Any]:
    """Commands named ``names`` that run before ``upto`` (default: ``node``) in the shell that runs ``node``, in order."""
    scopes = {a.id for a in _ancestors(node)}
    end = node.start_byte if upto is None else upto
    return [command for start, command, scope in _commands_named(root, names) if start < end and scope in scopes]


@lru_cache(maxsize=256)
def _commands_named(root: Any, names: tuple[str, ...]) -> list[tuple[int, Any, int]]:
    """Every command named ``names`` in the script under ``root``: its first byte, itself and the id of the
    shell it runs in, in source order. Found once a script: `set` and `cd` are looked for before every use
    of the command (a node keeps its tree alive, and equals only a node of the same tree)."""
    return [(c.start_byte, c, _scope_of(c).id) for c in _walk(root) if c.type == "command" and _name(c) in names]


def _set_state(node: Any, shell: Shell, upto: int | None = None) -> tuple[bool, bool, int | None]:
    """errexit and pipefail in force in the shell that runs ``node``, as `set` left them before ``upto``
    (default: ``node``), and the line that last turned errexit off."""
    errexit, pipefail, off_line = shell.errexit, shell.pipefail, None
    if not shell.posix:
        return errexit, pipefail, None
    root = node
    while root.parent is not None:
        root = root.parent
    for statement in _before_in_scope(node, root, ("set",), upto):
        words = [w or "" for w in _words(statement)[1:]]
        expect_name = ""
        for word in words:
            if expect_name:
                on = expect_name == "-"
                if word == "errexit":
                    errexit, off_line = on, (off_line if on else statement.start_point[0])
                elif word == "pipefail":
                    pipefail = on
                expect_name = ""
            elif len(word) > 1 and word[0] in "-+" and word[1:].isalpha():
                on = word[0] == "-"
                if "e" in word[1:]:
                    errexit, off_line = on, (off_line if on else statement.start_point[0])
                if word.endswith("o"):
                    expect_name = word[0]
    return errexit, pipefail, (None if errexit else off_line)


def _directory_changes(command: Any, root: Any) -> list[str] | None:
    """The `cd`/`pushd` targets run before the command (`cd evals && pytest`), or None for `cd $DIR`."""
    targets: list[str] = []
    for statement in _before_in_scope(command, root, ("cd", "pushd")):
        words = _words(statement)
        target = words[1] if len(words) > 1 else "~"
        if any(c in target for c in "$~`*") or target == "-":
            return None
        targets.append(target)
    return targets


def _short(node: Any) -> str:
    return " ".join(_text(node).split())


