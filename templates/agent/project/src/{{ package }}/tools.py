"""The tool registry: the only things the agent can do, each with typed arguments.

A tool the registry does not hold, or arguments of the wrong shape, are refused with a
``ToolError`` the agent sees as an observation. Tools with side effects are marked, so the agent
can ask a person before running them (required at high tier).
"""

from __future__ import annotations

import ast
import json
import operator
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable


class ToolError(Exception):
    """A tool call that cannot run: unknown tool, bad arguments, or a failure inside the tool."""


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    params: dict[str, type]
    run: Callable[..., str]
    side_effect: bool = False


class ToolRegistry:
    def __init__(self, tools: list[Tool]) -> None:
        self.tools = {tool.name: tool for tool in tools}

    def get(self, name: str) -> Tool:
        if name not in self.tools:
            raise ToolError(f"unknown tool {name!r}; available: {', '.join(sorted(self.tools))}")
        return self.tools[name]

    def call(self, name: str, args: dict[str, Any]) -> str:
        tool = self.get(name)
        if set(args) != set(tool.params):
            raise ToolError(f"{name} takes arguments {sorted(tool.params)}, got {sorted(args)}")
        for key, kind in tool.params.items():
            if not isinstance(args[key], kind):
                raise ToolError(f"{name}: argument {key!r} must be {kind.__name__}")
        return tool.run(**args)

    def describe(self) -> str:
        lines = []
        for tool in self.tools.values():
            params = ", ".join(f"{k}: {v.__name__}" for k, v in tool.params.items())
            effect = " (side effect: needs approval at high tier)" if tool.side_effect else ""
            lines.append(f"- {tool.name}({params}): {tool.description}{effect}")
        return "\n".join(lines)


class Store:
    """The sample orders and help articles in data/; replace with the real systems behind the same tools."""

    def __init__(self, folder: Path) -> None:
        self.orders: dict[str, dict[str, Any]] = json.loads((folder / "orders.json").read_text(encoding="utf-8"))
        self.help: list[dict[str, str]] = json.loads((folder / "help.json").read_text(encoding="utf-8"))

    def order(self, order_id: str) -> dict[str, Any]:
        if order_id not in self.orders:
            raise ToolError(f"no order {order_id}")
        return self.orders[order_id]


_WORD = re.compile(r"[a-z0-9]+")
_STOPWORDS = frozenset("a an and are can do does for how i in is it many my of on or the to what when where which with you your".split())


def _terms(text: str) -> set[str]:
    return set(_WORD.findall(text.lower())) - _STOPWORDS
_OPERATORS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}


def calculate(expression: str) -> str:
    """Arithmetic on numbers with + - * / and parentheses; nothing else is evaluated."""

    def evaluate(node: ast.AST) -> float:
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return node.value
        if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
            return _OPERATORS[type(node.op)](evaluate(node.left), evaluate(node.right))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -evaluate(node.operand)
        raise ToolError(f"not plain arithmetic: {expression!r}")

    try:
        value = evaluate(ast.parse(expression, mode="eval").body)
    except (SyntaxError, ZeroDivisionError) as exc:
        raise ToolError(f"cannot calculate {expression!r}: {exc}") from None
    return f"{expression} = {round(value, 6):g}"


def default_tools(store: Store) -> ToolRegistry:
    def lookup_order(order_id: str) -> str:
        o = store.order(order_id)
        return f"Order {order_id} is {o['status']}: {o['items']} items, total {o['total']} {o['currency']}, placed {o['placed']}."

    def track_shipment(order_id: str) -> str:
        o = store.order(order_id)
        if "carrier" not in o:
            return f"Order {order_id} is {o['status']} and not shipped yet."
        return f"Order {order_id} is with {o['carrier']} (tracking {o['tracking']}), expected delivery {o['expected_delivery']}."

    def search_help(query: str) -> str:
        wanted = _terms(query)
        scored = [(len(wanted & _terms(a["title"] + " " + a["text"])), a) for a in store.help]
        score, best = max(scored, key=lambda pair: pair[0])
        return f"{best['title']}: {best['text']}" if score else "No help article matches."

    def create_ticket(order_id: str, summary: str) -> str:
        store.order(order_id)
        return f"Created ticket T-{order_id.removeprefix('ORD-')} for {order_id}: {summary}"

    return ToolRegistry([
        Tool("lookup_order", "status, items and total of an order", {"order_id": str}, lookup_order),
        Tool("track_shipment", "carrier, tracking number and expected delivery of an order", {"order_id": str}, track_shipment),
        Tool("search_help", "the help article that best matches a question", {"query": str}, search_help),
        Tool("calculator", "arithmetic with + - * / and parentheses", {"expression": str}, calculate),
        Tool("create_ticket", "open a support ticket about an order", {"order_id": str, "summary": str}, create_ticket, side_effect=True),
    ])
