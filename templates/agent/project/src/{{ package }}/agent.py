"""The agent loop: the model picks a tool or answers; the registry runs tools; limits keep it bounded.

Every run stops after ``max_steps`` model turns. A reply that is not a valid action counts as
malformed output (the model chain retries, then falls back). A tool with side effects is not
run at high tier: the run stops with the proposed call for a person to approve.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from . import baseline
from .providers import AllModelsFailed, MalformedOutput, ModelChain, parse_json_object
from .settings import ENV_PREFIX, Prompt, Settings, build_chain, load_prompt, load_settings
from .tools import Store, ToolError, ToolRegistry, default_tools

DEGRADED = "I cannot complete this right now; a person from support will pick up your request."
STEP_LIMIT = "I could not finish within the step limit; a person from support will follow up."


@dataclass
class Step:
    tool: str
    args: dict[str, Any]
    observation: str


@dataclass
class RunResult:
    answer: str
    status: str  # done | needs_approval | step_limit | degraded | disabled
    steps: list[Step] = field(default_factory=list)
    pending: dict[str, Any] | None = None  # the side-effect call waiting for approval
    model: str | None = None

    @property
    def tools_used(self) -> list[str]:
        return [step.tool for step in self.steps] + ([self.pending["tool"]] if self.pending else [])


def parse_action(text: str) -> dict[str, Any]:
    action = parse_json_object(text, {})
    if isinstance(action.get("final"), str):
        return {"final": action["final"]}
    if isinstance(action.get("tool"), str) and isinstance(action.get("args", {}), dict):
        return {"tool": action["tool"], "args": action.get("args", {})}
    raise MalformedOutput('expected {"tool": ..., "args": {...}} or {"final": ...}')


class Agent:
    def __init__(self, settings: Settings, tools: ToolRegistry, chain: ModelChain, prompt: Prompt, max_steps: int = 5) -> None:
        self.settings, self.tools, self.chain, self.prompt, self.max_steps = settings, tools, chain, prompt, max_steps
        self.approval_required = settings.tier == "high"

    def run(self, task: str) -> RunResult:
        if self.settings.kill_switch:
            return RunResult(DEGRADED, "disabled")
        steps: list[Step] = []
        model = None
        for _ in range(self.max_steps):
            try:
                reply = self.chain.run(self._render(task, steps), parse_action, self.prompt.system)
            except AllModelsFailed:
                return RunResult(DEGRADED, "degraded", steps)
            action, model = reply.value, reply.model
            if "final" in action:
                return RunResult(action["final"], "done", steps, model=model)
            if self._needs_approval(action["tool"]):
                return RunResult(f"Waiting for approval to run {action['tool']}.", "needs_approval", steps, action, model)
            try:
                observation = self.tools.call(action["tool"], action["args"])
            except ToolError as exc:
                observation = f"error: {exc}"
            steps.append(Step(action["tool"], action["args"], observation))
        return RunResult(STEP_LIMIT, "step_limit", steps, model=model)

    def _needs_approval(self, tool: str) -> bool:
        try:
            return self.approval_required and self.tools.get(tool).side_effect
        except ToolError:
            return False  # an unknown tool is refused by the registry, as an observation

    def _render(self, task: str, steps: list[Step]) -> str:
        history = "\n".join(f"Action: {json.dumps({'tool': s.tool, 'args': s.args})}\nObservation: {s.observation}" for s in steps)
        return self.prompt.render(task=task, tools=self.tools.describe(), steps=history or "(none yet)")


def build_agent(settings: Settings | None = None) -> Agent:
    settings = settings or load_settings()
    max_steps = int(settings.env.get(f"{ENV_PREFIX}_MAX_STEPS", "5"))
    tools = default_tools(Store(settings.root / "data"))
    return Agent(settings, tools, build_chain(settings, baseline.respond), load_prompt(settings, "agent"), max_steps)

