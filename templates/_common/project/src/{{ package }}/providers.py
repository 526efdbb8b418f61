"""Models behind one small interface, and the resilience around them.

A provider turns a prompt into text. ``ModelChain`` calls the primary model with a timeout,
retries transient failures with backoff, treats output it cannot parse as a failure, and falls
back to the next model. The caller gets a parsed value, or ``AllModelsFailed`` listing every
attempt so the service can degrade gracefully. Nothing in this module knows the feature.
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any, Callable, Generic, Protocol, TypeVar

T = TypeVar("T")


class ProviderError(Exception):
    """A call failed. ``retryable`` is true for timeouts, throttling, 5xx and network errors."""

    def __init__(self, message: str, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


class MalformedOutput(ValueError):
    """The model answered, but not in the shape the feature needs."""


class Provider(Protocol):
    model: str

    def complete(self, prompt: str, *, system: str, timeout: float) -> str: ...


@dataclass
class LocalProvider:
    """A deterministic stand-in for a model: offline runs, tests and evals without credentials."""

    model: str
    respond: Callable[[str], str]

    def complete(self, prompt: str, *, system: str = "", timeout: float = 0.0) -> str:
        return self.respond(prompt)


@dataclass
class OpenAIProvider:
    """Any OpenAI-compatible chat-completions endpoint (OpenAI, a gateway such as LiteLLM, vLLM)."""

    model: str
    api_key: str
    base_url: str = "https://api.openai.com/v1"

    def complete(self, prompt: str, *, system: str, timeout: float) -> str:
        messages = [{"role": "system", "content": system}] if system else []
        messages.append({"role": "user", "content": prompt})
        body = json.dumps({"model": self.model, "messages": messages, "temperature": 0}).encode()
        request = urllib.request.Request(
            f"{self.base_url.rstrip('/')}/chat/completions",
            data=body,
            headers={"Authorization": f"Bearer {self.api_key}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                payload = json.load(response)
        except urllib.error.HTTPError as exc:
            raise ProviderError(f"HTTP {exc.code} from {self.model}", retryable=exc.code == 429 or exc.code >= 500) from exc
        except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
            raise ProviderError(f"{self.model} unreachable: {exc}") from exc
        return _dig(payload, "choices", 0, "message", "content")


_BEDROCK_TRANSIENT = frozenset({"ThrottlingException", "ServiceUnavailableException", "ModelTimeoutException"})


@dataclass
class BedrockProvider:
    """A model on AWS Bedrock through the Converse API (needs the optional boto3 dependency)."""

    model: str
    region: str

    def complete(self, prompt: str, *, system: str, timeout: float) -> str:
        import boto3  # imported only for live Bedrock calls: offline runs do not need it
        from botocore.config import Config
        from botocore.exceptions import BotoCoreError, ClientError

        config = Config(connect_timeout=timeout, read_timeout=timeout, retries={"max_attempts": 1})
        client = boto3.client("bedrock-runtime", region_name=self.region, config=config)
        try:
            response = client.converse(
                modelId=self.model,
                system=[{"text": system}] if system else [],
                messages=[{"role": "user", "content": [{"text": prompt}]}],
                inferenceConfig={"temperature": 0},
            )
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            raise ProviderError(f"{self.model}: {code}", retryable=code in _BEDROCK_TRANSIENT) from exc
        except BotoCoreError as exc:
            raise ProviderError(f"{self.model} unreachable: {exc}") from exc
        return _dig(response, "output", "message", "content", 0, "text")


def _dig(payload: Any, *keys: str | int) -> str:
    """The reply text at ``keys`` in a provider's response; MalformedOutput if it is not there."""
    try:
        for key in keys:
            payload = payload[key]
    except (KeyError, IndexError, TypeError):
        payload = None
    if not isinstance(payload, str):
        raise MalformedOutput(f"the response holds no text at {'/'.join(map(str, keys))}")
    return payload


@dataclass
class Attempt:
    model: str
    error: str


class AllModelsFailed(Exception):
    """Every model in the chain failed; ``attempts`` says how."""

    def __init__(self, attempts: list[Attempt]) -> None:
        super().__init__("; ".join(f"{a.model}: {a.error}" for a in attempts) or "no model configured")
        self.attempts = attempts


@dataclass
class Reply(Generic[T]):
    value: T
    model: str
    failed_attempts: list[Attempt] = field(default_factory=list)

    @property
    def fell_back(self) -> bool:
        return any(a.model != self.model for a in self.failed_attempts)


@dataclass
class ModelChain:
    """Primary model first, then fallbacks; each call bounded by ``timeout``, all by ``budget``."""

    providers: list[Provider]
    timeout: float = 20.0
    retries: int = 2
    backoff: float = 0.5
    budget: float = 60.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic

    def run(self, prompt: str, parse: Callable[[str], T], system: str = "") -> Reply[T]:
        attempts: list[Attempt] = []
        deadline = self.clock() + self.budget
        for provider in self.providers:
            for attempt in range(self.retries + 1):
                remaining = deadline - self.clock()
                if remaining <= 0:
                    attempts.append(Attempt(provider.model, "time budget exhausted"))
                    raise AllModelsFailed(attempts)
                try:
                    text = provider.complete(prompt, system=system, timeout=min(self.timeout, remaining))
                    return Reply(parse(text), provider.model, attempts)
                except MalformedOutput as exc:
                    attempts.append(Attempt(provider.model, f"malformed output: {exc}"))
                except ProviderError as exc:
                    attempts.append(Attempt(provider.model, str(exc)))
                    if not exc.retryable:
                        break
                    if attempt < self.retries:
                        self.sleep(self.backoff * 2**attempt)
        raise AllModelsFailed(attempts)


_FENCED = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL)


def parse_json_object(text: str, required: dict[str, type | tuple[type, ...]]) -> dict[str, Any]:
    """The JSON object in a model's reply (code fences and chatter around it tolerated).

    Raises MalformedOutput when there is none, or a required key is missing or of the wrong type.
    """
    fenced = _FENCED.search(text)
    candidate = fenced.group(1) if fenced else text
    start, end = candidate.find("{"), candidate.rfind("}")
    if start < 0 or end < start:
        raise MalformedOutput("no JSON object in the reply")
    try:
        data = json.loads(candidate[start : end + 1])
    except json.JSONDecodeError as exc:
        raise MalformedOutput(f"invalid JSON: {exc.msg}") from None
    if not isinstance(data, dict):
        raise MalformedOutput("the reply is not a JSON object")
    for key, kind in required.items():
        if key not in data:
            raise MalformedOutput(f"missing key {key!r}")
        if not isinstance(data[key], kind):
            raise MalformedOutput(f"key {key!r} has the wrong type")
    return data
