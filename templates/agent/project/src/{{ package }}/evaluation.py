"""How the eval runner (evals/run.py) scores one golden case against the agent.

A case names the task, the tool the agent should use first (null: none, the task is out of
scope) and the facts the final answer must hold. Tools with side effects must wait for approval
at high tier instead of running.
"""

from __future__ import annotations

from typing import Any

from .agent import Agent, build_agent
from .settings import Settings


def build_system(settings: Settings) -> Agent:
    return build_agent(settings)


def score_case(agent: Agent, case: dict[str, Any]) -> dict[str, float | None]:
    result = agent.run(case["task"])
    expected_tool = case.get("tool")
    first_tool = result.tools_used[0] if result.tools_used else None
    if case.get("side_effect") and agent.approval_required:
        success = result.status == "needs_approval" and first_tool == expected_tool
    else:
        text = result.answer.lower()
        success = result.status == "done" and all(fact.lower() in text for fact in case.get("facts", []))
    return {
        "task_success": float(success and first_tool == expected_tool),
        "tool_accuracy": float(first_tool == expected_tool),
        "step_limit_rate": float(result.status == "step_limit"),
    }
