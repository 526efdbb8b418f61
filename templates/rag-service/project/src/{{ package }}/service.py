"""Answer a question from the document folder: retrieve, ask the model, check what it cites.

An answer is only returned when it cites a passage that was actually retrieved; otherwise the
service declines rather than pass on an unsupported claim. When every model fails, or the kill
switch is on, it degrades to a fixed reply and flags the question for a person.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .providers import AllModelsFailed, MalformedOutput, ModelChain, parse_json_object
from .retrieval import Index, load_passages
from .settings import Prompt, Settings, build_chain, load_prompt, load_settings
from . import baseline

DECLINED = "I could not find this in the documents."
DEGRADED = "I cannot answer right now; your question has been passed to a person."


@dataclass
class Answer:
    text: str
    citations: list[str] = field(default_factory=list)
    status: str = "answered"  # answered | declined | degraded | disabled
    model: str | None = None
    needs_review: bool = False


def parse_answer(text: str) -> dict:
    data = parse_json_object(text, {"answer": str, "citations": list})
    if not all(isinstance(c, str) for c in data["citations"]):
        raise MalformedOutput("citations must be source names")
    return data


class AnswerService:
    def __init__(self, settings: Settings, index: Index, chain: ModelChain, prompt: Prompt, top_k: int = 3) -> None:
        self.settings, self.index, self.chain, self.prompt, self.top_k = settings, index, chain, prompt, top_k

    def answer(self, question: str) -> Answer:
        if self.settings.kill_switch:
            return Answer(DEGRADED, status="disabled", needs_review=True)
        hits = self.index.search(question, self.top_k)
        if not hits:
            return Answer(DECLINED, status="declined")
        passages = "\n".join(f"[{p.source}] {p.text}" for _, p in hits)
        try:
            reply = self.chain.run(self.prompt.render(question=question, passages=passages), parse_answer, self.prompt.system)
        except AllModelsFailed:
            return Answer(DEGRADED, status="degraded", needs_review=True)
        retrieved = {p.source for _, p in hits}
        citations = [c for c in reply.value["citations"] if c in retrieved]
        if not reply.value["answer"].strip() or not citations:
            # A claim without a retrieved source is not passed on.
            return Answer(DECLINED, status="declined", model=reply.model, needs_review=self.settings.tier == "high")
        return Answer(reply.value["answer"].strip(), citations, model=reply.model)


def build_service(settings: Settings | None = None) -> AnswerService:
    settings = settings or load_settings()
    index = Index(load_passages(settings.root / "corpus"))
    return AnswerService(settings, index, build_chain(settings, baseline.respond), load_prompt(settings, "answer"))
