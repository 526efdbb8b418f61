"""An engine that remembers its answers across the checks of an evidence replay.

A decision is a pure function of the input document, the pack and the clock. Between two commits
of a real history most features' input documents are the same but for ``now``, and the clock
changes an answer only where a rule's threshold falls: at the instants :func:`clock_points`
lists (the dates in the facts and in the data they name, shifted by the settings' day counts and
by the edges of the earth's time zones). An answer is kept per (input without ``now``, the span
between two such instants) and given again in that span: on any day when it holds no message; on
the same UTC day when it holds one (a message may count days), or on any day up to the span's end
if the answer at the span's end is the same (a count of days is monotone in the clock: equal at
both ends, it is equal between). A replay asks about a document at later and later instants, so
the answer where it was first asked and at the span's end bound every later question.
"""

from __future__ import annotations

import bisect
import datetime as dt
import marshal
from collections.abc import Callable
from typing import Any

from aigov.digests import canonical_digest, sha256
from aigov.errors import AigovError
from aigov.policy.engine import Engine
from aigov.policy.pack import PolicyPack

Instants = Callable[[dict[str, Any]], list[int]]


class RememberingEngine:
    """Wraps the engine a check would choose (made on first use by ``make``); ``instants`` gives
    the sorted instants where the answer for a document may change. ``close()`` leaves it running
    for the next check: ``stop()`` ends it."""

    def __init__(self, make: Callable[[], Engine], instants: Instants, horizon: int) -> None:
        """``horizon``: the last second anything will be asked about (the period's)."""
        self._make = make
        self._instants = instants
        self._horizon = horizon
        self._inner: Engine | None = None
        self._pack: PolicyPack | None = None
        self._pack_key: tuple[str, str] | None = None
        # (rule, input digest, span) -> (UTC day asked, answer, the last second it holds for, if known)
        self._answers: dict[tuple[Any, ...], tuple[str, Any, int | None]] = {}
        self._spans: dict[bytes, list[int]] = {}
        self._recent: list[tuple[dict[str, Any], bytes]] = []
        self.evaluated = 0  # answers asked of the real engine (the benchmark prints it)

    @property
    def name(self) -> str:
        return self._engine().name

    def _engine(self) -> Engine:
        if self._inner is None:
            self._inner = self._make()
        return self._inner

    def prepare(self, pack: PolicyPack) -> None:
        if pack is self._pack:
            return
        key = (pack.policy_digest(), pack.data_digest())
        if key != self._pack_key:
            self._engine().prepare(pack)
            self._answers.clear()
            self._pack_key = key
        self._pack = pack

    def evaluate_all(self, inputs: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
        keys = [self._key("deny", doc) for doc in inputs]
        answers: list[Any] = [self._recall(key) for key in keys]
        missing = [i for i, answer in enumerate(answers) if answer is None]
        if not missing:
            return answers
        fresh = self._engine().evaluate_all([inputs[i] for i in missing])
        if not (isinstance(fresh, list) and len(fresh) == len(missing)):
            return fresh  # check.py refuses the answer as it is
        span_ends = {i: self._span_end(keys[i]) for i, answer in zip(missing, fresh, strict=True) if _has_message(answer)}
        ends = {i: end for i, end in span_ends.items() if end is not None}
        at_ends = self._at_ends(lambda: self._engine().evaluate_all([{**inputs[i], "now": _rfc3339(end)} for i, end in ends.items()])) if ends else []
        confirmed = {i: end for (i, end), other in zip(ends.items(), at_ends or [], strict=False) if other == fresh[missing.index(i)]}
        for i, answer in zip(missing, fresh, strict=True):
            answers[i] = self._keep(keys[i], answer, confirmed.get(i))
        return answers

    def evaluate_rule(self, rule: str, input_doc: dict[str, Any]) -> Any:
        key = self._key(rule, input_doc)
        answer = self._recall(key)
        if answer is None:
            answer = self._engine().evaluate_rule(rule, input_doc)
            end = self._span_end(key) if _has_message(answer) else None
            at_end = self._at_ends(lambda: self._engine().evaluate_rule(rule, {**input_doc, "now": _rfc3339(end)})) if end is not None else None
            confirmed = end if at_end is not None and at_end == answer else None
            answer = self._keep(key, answer, confirmed)
        return None if answer is _UNDEFINED else answer

    def _at_ends(self, ask: Callable[[], Any]) -> Any:
        """The answer at a span's end, or None where it cannot be had: the answer asked for is
        then kept for its day only (never an error for a question the check did not ask; an
        engine that failed is started again with the pack)."""
        try:
            return ask()
        except AigovError:
            self.stop()
            if self._pack is not None:
                self._engine().prepare(self._pack)
            return None

    def close(self) -> None:
        """A check is done with it; the replay is not."""

    def stop(self) -> None:
        if self._inner is not None:
            self._inner.close()
            self._inner = None

    def instants(self, doc: dict[str, Any]) -> list[int]:
        """The sorted instants where the answer for ``doc`` may change (kept per input)."""
        body = self._body(doc)
        if body not in self._spans:
            self._spans[body] = self._instants(doc)
        return self._spans[body]

    def _body(self, doc: dict[str, Any]) -> bytes:
        """What names ``doc`` without its clock; the last few documents asked about are known by
        identity (a replay asks the engine, then about the windows of the same documents).

        The digest of its marshal (format 2: no references, so shared and copied values give the
        same bytes), not of its canonical JSON: it names answers in this process only, and is
        four times faster. Equal bytes are equal documents (marshal gives the value back); an
        equal document written otherwise (its keys in another order) is only asked about again."""
        for seen, body in self._recent:
            if seen is doc:
                return body
        unclocked = {k: v for k, v in doc.items() if k != "now"}
        try:
            body = sha256(marshal.dumps(unclocked, 2)).digest()
        except ValueError:  # a value marshal does not write (a str subclass, such as an enum): its canonical JSON
            body = canonical_digest(unclocked).encode()  # 71 bytes, never equal to a 32-byte marshal digest
        self._recent = [(doc, body), *self._recent[:15]]
        return body

    def _key(self, rule: str, doc: dict[str, Any]) -> tuple[Any, ...]:
        self.instants(doc)
        body = self._body(doc)
        now = _epoch(doc["now"])
        return rule, body, bisect.bisect_right(self._spans[body], now), doc["now"][:10], now

    def _span_end(self, key: tuple[Any, ...]) -> int | None:
        """The last second of the span the key's clock is in (within the horizon); None if it is this day."""
        _, body, span, _, now = key
        points = self._spans[body]
        end = min(points[span] - 1 if span < len(points) else self._horizon, self._horizon)
        return end if _rfc3339(end)[:10] != _rfc3339(now)[:10] else None

    def _recall(self, key: tuple[Any, ...]) -> Any:
        found = self._answers.get(key[:3])
        if found is None:
            return None
        day, answer, until = found
        if day == key[3] or not _has_message(answer) or (until is not None and key[4] <= until):
            return answer
        return None

    def _keep(self, key: tuple[Any, ...], answer: Any, until: int | None) -> Any:
        self.evaluated += 1
        kept = _UNDEFINED if answer is None else answer
        self._answers[key[:3]] = (key[3], kept, until)
        return kept


class _Undefined:
    """An answer of None (an undefined rule), kept apart from "nothing remembered"."""


_UNDEFINED: Any = _Undefined()


def _has_message(answer: Any, depth: int = 0) -> bool:
    if depth > 20:
        return True
    if isinstance(answer, dict):
        return "msg" in answer or any(_has_message(v, depth + 1) for v in answer.values())
    if isinstance(answer, list):
        return any(_has_message(v, depth + 1) for v in answer)
    return False


def _rfc3339(seconds: int) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).isoformat().replace("+00:00", "Z")


def _epoch(clock: str) -> int:
    return int(dt.datetime.fromisoformat(clock.replace("Z", "+00:00")).timestamp())
