"""What a workflow ``run:`` script does with one command's exit status: let it fail the step, or swallow it.

Deliberately simple: scripts are split into lines (joining ``\\`` continuations) and each line into
commands at ``&&``, ``||``, ``;``, ``|`` and ``&`` outside quotes and ``$(...)``. That is enough to see
the ways people stop a failing eval from failing CI (``|| true``, ``; exit 0``, ``set +e``, a pipe
without pipefail, ``if cmd``) without pretending to be a shell. Nothing is ever executed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

# GitHub runs `run:` with these (docs: "Using a specific shell"): the unspecified default is `bash -e {0}`,
# an explicit `shell: bash` is `bash --noprofile --norc -eo pipefail {0}`, `sh` is `sh -e {0}`.
POSIX_SHELLS = frozenset({"bash", "sh", "zsh", "dash", "ksh"})
_FLAG_E = re.compile(r"-[a-zA-Z]*e[a-zA-Z]*")
_FAILING = re.compile(r"^(exit|return)(\s+(\$\?|[1-9]\d*|\$\{?[A-Za-z_][A-Za-z0-9_]*\}?))?$|^false$")
_EXIT_ZERO = re.compile(r"^exit\s+0$")
_STATUS_READ = re.compile(r"\$\?|PIPESTATUS|LASTEXITCODE|ERRORLEVEL", re.I)
_BLOCK_WORDS = frozenset({"fi", "done", "esac", "}", ")", "then", "else", "do"})
_CONSUMERS = frozenset({"if", "elif", "while", "until", "!"})
_PRINTERS = frozenset({"echo", "printf", ":"})
_HEREDOC = re.compile(r"(?<!<)<<(?!<)-?\s*(['\"]?)([A-Za-z_][A-Za-z0-9_]*)\1")


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
class Segment:
    text: str  # whitespace-normalised
    op: str  # the operator after it: && || | & ; or "\n" at the end of a line
    line: int  # 0-based line of the script


@dataclass
class Swallow:
    """One way the script keeps the command's failure from failing the step."""

    kind: str  # or_true | exit_zero | errexit_off | no_pipefail | status_consumed | unreadable_shell
    line: int | None  # 0-based script line, None when the cause is the shell itself
    detail: str


@dataclass
class CommandUse:
    line: int  # 0-based script line where the command starts
    swallows: list[Swallow] = field(default_factory=list)
    cd: list[str] | None = field(default_factory=list)  # `cd` targets before it, in order; None if unknowable


def command_pattern(command: str) -> re.Pattern[str]:
    """Matches ``command`` with any whitespace between its words, as a whole command line part.

    It may open a subshell, `(cd x && cmd)`, but not sit inside quotes or `$(...)`, whose exit
    status aigov cannot follow: a command found only there is not counted as run.
    """
    words = [re.escape(w) for w in command.split()]
    return re.compile(r"(?<![^\s(])(?<!\$\()" + " ".join(words) + r"(?![^\s;)])")


def find_command(script: str, pattern: re.Pattern[str], shell: Shell) -> list[CommandUse]:
    """Every place ``script`` runs the command, with what happens to its exit status."""
    if not pattern.search(" ".join(script.replace("\\\n", " ").split())):
        return []  # the cheap test first: most steps do not mention the command at all
    lines = _parsed(script)
    segments = [segment for parts in lines for segment in parts]
    uses: list[CommandUse] = []
    offset = 0
    for parts in lines:
        line_text, spans = _joined(parts)
        for match in pattern.finditer(line_text):
            start = offset + _segment_at(spans, match.start())
            end = offset + _segment_at(spans, max(match.end() - 1, match.start()))
            inside = match.start() - spans[start - offset]  # where the command starts in its segment
            if not _printed(segments[start], inside):
                swallows = _analyse(segments, start, end, inside, shell)
                uses.append(CommandUse(segments[start].line, swallows, _directory_changes(segments[:start], segments[start].text[:inside])))
        offset += len(parts)
    return uses


@lru_cache(maxsize=4096)
def _parsed(script: str) -> tuple[list[Segment], ...]:
    """The script's commands, line by line; cached because every feature asks about the same scripts."""
    return tuple(_split(text, first_line) for text, first_line in _logical_lines(script))


def _logical_lines(script: str) -> list[tuple[str, int]]:
    """Lines with backslash continuations joined, each with its first 0-based line number.

    Here-document bodies (`cat > x.sh <<EOF ... EOF`) are text, not commands, and are left out.
    """
    out: list[tuple[str, int]] = []
    pending: list[str] = []
    start = 0
    heredoc = ""
    for number, raw in enumerate(script.split("\n")):
        if heredoc:
            heredoc = "" if raw.strip() == heredoc else heredoc
            continue
        if not pending:
            start = number
        opened = _HEREDOC.search(raw)
        heredoc = opened.group(2) if opened else ""
        stripped = raw.rstrip()
        if stripped.endswith("\\") and (len(stripped) - len(stripped.rstrip("\\"))) % 2 == 1:
            pending.append(stripped[:-1])
            continue
        pending.append(raw)
        out.append((" ".join(pending), start))
        pending = []
    if pending:
        out.append((" ".join(pending), start))
    return out


def _split(text: str, line: int) -> list[Segment]:
    """Commands of one logical line at top-level operators; comments dropped."""
    parts: list[Segment] = []
    buf: list[str] = []
    quote = ""
    depth = 0
    i = 0
    while i < len(text):
        char = text[i]
        if quote:
            buf.append(char)
            if char == "\\" and quote == '"' and i + 1 < len(text):
                buf.append(text[i + 1])
                i += 1
            elif char == quote:
                quote = ""
            i += 1
            continue
        op = "" if depth else _operator(text, i)
        if op:
            parts.append(Segment(" ".join("".join(buf).split()), op, line))
            buf = []
            i += len(op) if op != "|" or not text.startswith("|&", i) else 2
            continue
        if char == "#" and (not buf or buf[-1].isspace()):
            break
        if char in "'\"`":
            quote = char
        elif char == "\\" and i + 1 < len(text):
            buf.append(char)
            i += 1
            char = text[i]
        elif text.startswith("$(", i):
            depth += 1
        elif char == ")" and depth:
            depth -= 1
        buf.append(char)
        i += 1
    parts.append(Segment(" ".join("".join(buf).split()), "\n", line))
    return [p for p in parts if p.text]


def _operator(text: str, i: int) -> str:
    two = text[i : i + 2]
    if two in ("&&", "||"):
        return two
    char = text[i]
    previous = text[i - 1] if i else ""
    if char == ";" and two != ";;":
        return ";"
    if char == "|" and previous != ">":  # `>|` is a redirection
        return "|"
    if char == "&" and previous not in "<>" and not text.startswith("&>", i):  # 2>&1, &> are redirections
        return "&"
    return ""


def _joined(parts: list[Segment]) -> tuple[str, list[int]]:
    """The line as normalised text (`a && b`) and where each segment starts in it."""
    text = ""
    spans: list[int] = []
    for part in parts:
        spans.append(len(text))
        text += part.text + ("" if part.op == "\n" else f" {part.op} ")
    return text, spans


def _segment_at(spans: list[int], position: int) -> int:
    index = 0
    for i, start in enumerate(spans):
        if start <= position:
            index = i
    return index


def _printed(segment: Segment, offset: int) -> bool:
    """`echo pytest evals` mentions the command without running it."""
    return offset > 0 and segment.text.split()[0] in _PRINTERS


def _analyse(segments: list[Segment], start: int, end: int, inside: int, shell: Shell) -> list[Swallow]:
    if not shell.readable:
        return [Swallow("unreadable_shell", None, f"shell '{shell.name}': aigov cannot tell whether the step fails when the command fails")]
    errexit, pipefail, off_line = _shell_state(segments[:start], shell)
    later = segments[end + 1 :]
    status_read = any(_STATUS_READ.search(s.text) for s in later)
    found: list[Swallow] = []
    first_word = segments[start].text.split()[0]
    if inside > 0 and first_word in _CONSUMERS and not _fails_in_block(later):
        found.append(Swallow("status_consumed", segments[start].line, f"'{first_word}' consumes the exit status"))
    k = end
    while k + 1 < len(segments) and segments[k].op in ("&&", "||", "|", "&"):
        op, following = segments[k].op, segments[k + 1]
        if op == "||" and not _fallback_fails(segments, k + 1):
            found.append(Swallow("or_true", segments[k].line, f"|| {following.text}"))
        elif op == "|" and shell.posix and not pipefail and not status_read:
            found.append(Swallow("no_pipefail", segments[k].line, f"piped into '{following.text}' without pipefail"))
        elif op == "&" and shell.posix:
            found.append(Swallow("status_consumed", segments[k].line, "runs in the background with &"))
        k += 1
    found.extend(_exits_after(segments, k, errexit))
    if not errexit and not status_read and _more_commands(segments[k + 1 :]):
        cause = "'set +e'" if off_line is not None else f"shell '{shell.name}'"
        found.append(Swallow("errexit_off", off_line, f"{cause} lets the script carry on when the command fails, so later commands decide the step's result"))
    return found


def _directory_changes(before: list[Segment], prefix: str) -> list[str] | None:
    """The `cd`/`pushd` targets run before the command (`cd evals && pytest`), or None for `cd $DIR`."""
    targets: list[str] = []
    texts = [s.text for s in before] + ([prefix] if prefix.strip() else [])
    for text in texts:
        words = text.lstrip("( ").split()
        if not words or words[0] not in ("cd", "pushd"):
            continue
        target = words[1] if len(words) > 1 else "~"
        if any(c in target for c in "$~`*") or target == "-":
            return None
        targets.append(target.strip("'\""))
    return targets


def _shell_state(before: list[Segment], shell: Shell) -> tuple[bool, bool, int | None]:
    """errexit and pipefail in force after ``before``, and the line that last turned errexit off."""
    errexit, pipefail, off_line = shell.errexit, shell.pipefail, None
    if not shell.posix:
        return errexit, pipefail, None
    for segment in before:
        words = segment.text.split()
        if not words or words[0] != "set":
            continue
        expect_name = ""
        for word in words[1:]:
            if expect_name:
                on = expect_name == "-"
                if word == "errexit":
                    errexit, off_line = on, (off_line if on else segment.line)
                elif word == "pipefail":
                    pipefail = on
                expect_name = ""
            elif len(word) > 1 and word[0] in "-+" and word[1:].isalpha():
                on = word[0] == "-"
                if "e" in word[1:]:
                    errexit, off_line = on, (off_line if on else segment.line)
                if word.endswith("o"):
                    expect_name = word[0]
    return errexit, pipefail, (None if errexit else off_line)


def _fallback_fails(segments: list[Segment], index: int) -> bool:
    """Whether the commands after `||` fail the step again (`|| exit 1`, `|| { echo x; exit 1; }`)."""
    group = segments[index].text.startswith(("{", "("))
    while index < len(segments):
        text = segments[index].text.lstrip("{( ").rstrip("}) ;")
        if _FAILING.match(text):
            return True
        joined = segments[index].op == "&&" or (group and not segments[index].text.rstrip().endswith(("}", ")")))
        if not joined:
            return False
        index += 1
    return False


def _fails_in_block(later: list[Segment]) -> bool:
    """`if ! cmd; then exit 1; fi`: the block that consumed the status fails the step itself."""
    for segment in later:
        if segment.text in ("fi", "done"):
            return False
        if _FAILING.match(segment.text.removeprefix("then ").removeprefix("else ").strip()):
            return True
    return False


def _exits_after(segments: list[Segment], k: int, errexit: bool) -> list[Swallow]:
    """`cmd; exit 0` on the same line, or any later `exit 0` once errexit is off."""
    for j in range(k + 1, len(segments)):
        same_line = j == k + 1 and segments[k].op == ";" and segments[j].line == segments[k].line
        if _EXIT_ZERO.match(segments[j].text) and (same_line or not errexit):
            return [Swallow("exit_zero", segments[j].line, "'exit 0' after the command reports success whatever it returned")]
    return []


def _more_commands(later: list[Segment]) -> bool:
    return any(s.text not in _BLOCK_WORDS for s in later)
