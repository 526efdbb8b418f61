"""GitHub Actions expressions (``if:``, ``continue-on-error:``), evaluated only as far as is known statically.

A workflow's conditions mostly depend on things aigov cannot know (labels, inputs, variables), but
some are decidable without running anything: ``false``, ``github.event_name == 'push'`` on a pull
request, ``github.ref == 'refs/heads/main'`` on a pull request (whose ref is ``refs/pull/N/merge``),
``failure()`` in a run where nothing failed. Anything else is ``Unknown``; nothing is guessed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple


@dataclass(frozen=True)
class Unknown:
    """A value aigov cannot know; ``truthy`` is set when at least its truthiness is known."""

    truthy: bool | None = None


UNKNOWN = Unknown()


@dataclass(frozen=True)
class Prefix:
    """A string known only by how it starts, such as ``github.ref`` on a pull_request (``refs/pull/``)."""

    prefix: str


class Symbol(NamedTuple):
    """A non-empty string known only by identity: ``github.repository`` is not known, but on a pull request
    from a branch of the repository itself the head repository's full name equals it. A symbol equals
    the same symbol; compared with anything else it is unknown (or, like any word, unequal to null)."""

    name: str


_TOKEN = re.compile(
    r"""\s*(?:
      (?P<num>0x[0-9a-fA-F]+|\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)
     |(?P<str>'(?:[^']|'')*')
     |(?P<op>==|!=|<=|>=|&&|\|\||[!<>(),\[\].*])
     |(?P<name>[A-Za-z_][A-Za-z0-9_-]*)
    )""",
    re.X,
)
_KEYWORDS = {"true": True, "false": False, "null": None}
_STATUS = {"always": True, "success": True, "failure": False, "cancelled": False}
_WRAPPED = re.compile(r"^\s*\$\{\{(.*)\}\}\s*$", re.S)
_EMBEDDED = re.compile(r"\$\{\{(.*?)\}\}", re.S)


# GitHub's expression parser (actions/runner, ExpressionConstants) refuses expressions nested deeper
# than 50 levels or longer than 21,000 characters; so does aigov, before its recursion could overflow.
MAX_DEPTH = 50
MAX_LENGTH = 21000


class _ParseError(Exception):
    pass


class ExpressionTooLarge(_ParseError):
    """An expression GitHub itself refuses; the message says which limit it passes."""


def strip_wrapper(text: str) -> str | None:
    """The expression inside ``${{ ... }}``; None when the text mixes an expression with other text."""
    match = _WRAPPED.match(text)
    if match:
        return None if "${{" in match.group(1) else match.group(1)
    return None if "${{" in text else text


def evaluate(value: Any, context: dict[str, Any]) -> Any:
    """The value of a YAML ``if:``/``continue-on-error:`` value under ``context`` (dotted names)."""
    if isinstance(value, bool | int | float) or value is None:
        return value
    try:
        tree = _parse(str(value))
    except _ParseError:  # including ExpressionTooLarge, which the workflow's reader reports
        return UNKNOWN
    return UNKNOWN if tree is None else _eval(tree, context)


def parse_check(text: str) -> None:
    """Raise ExpressionTooLarge for an expression GitHub refuses; anything else aigov merely cannot read passes."""
    try:
        _parse(text)
    except ExpressionTooLarge:
        raise
    except _ParseError:
        pass


def names(value: Any) -> list[str]:
    """The dotted context names an expression reads (`github.event.pull_request.labels`), lower case."""
    expr = strip_wrapper(str(value)) if isinstance(value, str) else None
    if expr is None or len(expr) > MAX_LENGTH:
        return []
    try:
        tokens = _tokenize(expr)
    except _ParseError:
        return []
    found, parts, expect_name = [], [], True
    for kind, text in [*tokens, ("op", ";")]:
        if kind == "name" and expect_name:
            parts.append(text.lower())
            expect_name = False
        elif text == "." and parts and not expect_name:
            expect_name = True
        else:
            if parts:
                found.append(".".join(parts))
            parts, expect_name = ([text.lower()], False) if kind == "name" else ([], True)
    return found


def _parse(text: str) -> tuple[Any, ...] | None:
    expr = strip_wrapper(text)
    if expr is None:
        return None
    if len(expr) > MAX_LENGTH:
        raise ExpressionTooLarge(f"is longer than {MAX_LENGTH} characters")
    return _Parser(_tokenize(expr)).parse()


def interpolate(text: str, context: dict[str, Any]) -> str | None:
    """``text`` with each ``${{ expr }}`` replaced by its value, as in ``working-directory:``; None if any is unknown."""
    pieces, pos = [], 0
    for match in _EMBEDDED.finditer(text):
        value = _as_text(evaluate(match.group(1), context))
        if value is None:
            return None
        pieces += [text[pos:match.start()], value]
        pos = match.end()
    return "".join(pieces) + text[pos:]


def _as_text(value: Any) -> str | None:
    """A known scalar as GitHub writes it into a string; None for anything unknown, lists and objects."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if value is None or isinstance(value, str | int | float):
        return "" if value is None else str(value)
    return None


def truth(value: Any, context: dict[str, Any]) -> bool | None:
    """True, False, or None when the condition depends on something aigov cannot know."""
    return truthy(evaluate(value, context))


def truthy(value: Any) -> bool | None:
    if isinstance(value, Unknown):
        return value.truthy
    if isinstance(value, Prefix | Symbol):
        return True
    return value not in (False, 0, "", None) and value == value  # NaN is falsy


def _tokenize(expr: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    expr = expr.rstrip()
    while pos < len(expr):
        match = _TOKEN.match(expr, pos)
        if not match or match.end() == pos:
            raise _ParseError(expr[pos:])
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        pos = match.end()
    return tokens


class _Parser:
    """Recursive descent over GitHub's precedence: || < && < == != < comparisons < ! < property access."""

    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.depth = 0

    def _nested(self, parse: Callable[[], tuple[Any, ...]]) -> tuple[Any, ...]:
        """``parse()`` one level deeper: parentheses, `!`, arguments and indexes count as GitHub counts them."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExpressionTooLarge(f"nests deeper than {MAX_DEPTH} levels")
        try:
            return parse()
        finally:
            self.depth -= 1

    def parse(self) -> tuple[Any, ...]:
        tree = self._or()
        if self.pos != len(self.tokens):
            raise _ParseError("trailing tokens")
        return tree

    def _peek(self) -> str | None:
        return self.tokens[self.pos][1] if self.pos < len(self.tokens) else None

    def _take(self) -> tuple[str, str]:
        if self.pos >= len(self.tokens):
            raise _ParseError("unexpected end")
        self.pos += 1
        return self.tokens[self.pos - 1]

    def _expect(self, op: str) -> None:
        if self._take()[1] != op:
            raise _ParseError(f"expected {op}")

    def _binary(self, ops: tuple[str, ...], operand: Any) -> tuple[Any, ...]:
        """A left-associative chain `a || b || c`, kept flat so that a long chain costs no recursion."""
        operands = [operand()]
        operators: list[str] = []
        while self._peek() in ops:
            operators.append(self._take()[1])
            operands.append(operand())
        return operands[0] if not operators else ("chain", operators, operands)

    def _or(self) -> tuple[Any, ...]:
        return self._binary(("||",), self._and)

    def _and(self) -> tuple[Any, ...]:
        return self._binary(("&&",), self._equality)

    def _equality(self) -> tuple[Any, ...]:
        return self._binary(("==", "!="), self._comparison)

    def _comparison(self) -> tuple[Any, ...]:
        return self._binary(("<", "<=", ">", ">="), self._unary)

    def _unary(self) -> tuple[Any, ...]:
        if self._peek() == "!":
            self._take()
            return ("not", self._nested(self._unary))
        return self._postfix(self._primary())

    def _primary(self) -> tuple[Any, ...]:
        kind, text = self._take()
        if kind == "num":
            return ("lit", int(text, 16) if text.lower().startswith("0x") else float(text))
        if kind == "str":
            return ("lit", text[1:-1].replace("''", "'"))
        if text == "(":
            inner = self._nested(self._or)
            self._expect(")")
            return inner
        if kind == "name":
            if text in _KEYWORDS:
                return ("lit", _KEYWORDS[text])
            if self._peek() == "(":
                return ("call", text.lower(), self._arguments())
            return ("ref", [text.lower()])
        raise _ParseError(f"unexpected {text}")

    def _arguments(self) -> list[tuple[Any, ...]]:
        self._expect("(")
        args: list[tuple[Any, ...]] = []
        while self._peek() != ")":
            args.append(self._nested(self._or))
            if self._peek() == ",":
                self._take()
        self._expect(")")
        return args

    def _postfix(self, node: tuple[Any, ...]) -> tuple[Any, ...]:
        while self._peek() in (".", "["):
            if self._take()[1] == ".":
                kind, text = self._take()
                part = text.lower() if kind == "name" else None  # `.*` object filters are unknowable
            else:
                index = self._nested(self._or)
                self._expect("]")
                part = index[1].lower() if index[0] == "lit" and isinstance(index[1], str) else None
            parts = node[1] if node[0] == "ref" else None
            node = ("ref", [*parts, part]) if parts is not None and part is not None and None not in parts else ("opaque",)
        return node


def _eval(node: tuple[Any, ...], ctx: dict[str, Any]) -> Any:
    kind = node[0]
    if kind == "lit":
        return node[1]
    if kind == "ref":
        return ctx.get(".".join(node[1]), UNKNOWN)
    if kind == "not":
        value = truthy(_eval(node[1], ctx))
        return UNKNOWN if value is None else not value
    if kind == "call":
        return _call(node[1], [_eval(arg, ctx) for arg in node[2]])
    if kind == "chain":
        value = _eval(node[2][0], ctx)
        for op, right in zip(node[1], node[2][1:], strict=True):
            value = _binary(op, value, right, ctx)
        return value
    return UNKNOWN


def _binary(op: str, left: Any, right_node: tuple[Any, ...], ctx: dict[str, Any]) -> Any:
    """``left op right``, with the left operand already evaluated and the right one only when needed."""
    if op in ("&&", "||"):
        left_truth = truthy(left)
        # Like JavaScript: || gives the first truthy operand, && the first falsy one.
        if left_truth is (op == "||"):
            return left
        right = _eval(right_node, ctx)
        if left_truth is not None:
            return right
        right_truth = truthy(right)
        if op == "&&":
            return Unknown(False) if right_truth is False else UNKNOWN
        return Unknown(True) if right_truth is True else UNKNOWN
    right = _eval(right_node, ctx)
    if op in ("==", "!="):
        equal = _equal(left, right)
        return equal if equal is UNKNOWN or op == "==" else not equal
    if _known(left) and _known(right):
        a, b = _number(left), _number(right)
        return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]
    return UNKNOWN


def _known(value: Any) -> bool:
    return not isinstance(value, Unknown | Prefix | Symbol)


def _equal(left: Any, right: Any) -> Any:
    for one, other in ((left, right), (right, left)):
        if isinstance(one, Prefix) and isinstance(other, str):
            return UNKNOWN if other.lower().startswith(one.prefix.lower()) else False
        if isinstance(one, Symbol):
            if isinstance(other, Symbol):
                return one == other
            # GitHub compares a string with null, a boolean or a number as numbers: a word is NaN, unequal.
            return False if other is None or isinstance(other, bool | int | float) else UNKNOWN
    if not (_known(left) and _known(right)):
        return UNKNOWN
    if isinstance(left, str) and isinstance(right, str):
        return left.lower() == right.lower()  # GitHub compares strings ignoring case
    if type(left) is type(right):
        return left == right
    return _number(left) == _number(right)


def _number(value: Any) -> float:
    if value is None:
        return 0.0
    if isinstance(value, bool | int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip()) if value.strip() else 0.0
        except ValueError:
            return float("nan")
    return float("nan")


def _call(name: str, args: list[Any]) -> Any:
    if name in _STATUS and not args:
        # A normal run: nothing before has failed and nothing was cancelled.
        return _STATUS[name]
    if name in ("contains", "startswith", "endswith") and len(args) == 2:
        return _string_test(name, args[0], args[1])
    return UNKNOWN


def _string_test(name: str, subject: Any, item: Any) -> Any:
    if not isinstance(item, str):
        return UNKNOWN
    needle = item.lower()
    if isinstance(subject, Prefix) and name == "startswith":
        known = subject.prefix.lower()
        if needle.startswith(known):
            return UNKNOWN if len(needle) > len(known) else True
        return known.startswith(needle)
    if name == "contains" and isinstance(subject, list) and all(_known(v) for v in subject):
        return any(_equal(v, item) is True for v in subject)
    if not isinstance(subject, str):
        return UNKNOWN
    hay = subject.lower()
    return {"contains": needle in hay, "startswith": hay.startswith(needle), "endswith": hay.endswith(needle)}[name]
