"""Turning what a worker sent about one generation into the core's answer: the pieces
with their logprobs, and the final `GenerationResult` (with its done event)."""

from __future__ import annotations

from llamadesk.core.interfaces.backend import EventCallback
from llamadesk.core.models.commands import TokenEvent
from llamadesk.core.models.llama import (
    GenerateRequest,
    GenerationDoneEvent,
    GenerationResult,
    StopReason,
    Usage,
)
from llamadesk.core.models.logprobs import TokenChoice, TokenLogprob
from llamadesk.core.models.tools import ToolCall

from .messages import ScoredToken, WorkerTokens


def scored_pieces(
    message: WorkerTokens,
    content: list[str],
    reasoning: list[str],
    scored: list[TokenLogprob] | None,
    on_event: EventCallback | None,
) -> int:
    """Pieces that carry their tokens' logprobs; returns how many pieces."""
    assert message.logprobs is not None
    for (channel, text), tokens in zip(message.pieces, message.logprobs, strict=True):
        entries = [_logprob(token) for token in tokens]
        if channel == "reasoning":
            reasoning.append(text)
        else:
            content.append(text)
            if scored is not None:
                scored += entries
        if on_event is not None:
            on_event(TokenEvent(text=text, channel=channel, logprobs=entries))
    return len(message.pieces)


def finish_answer(
    request: GenerateRequest,
    content: list[str],
    reasoning: list[str],
    calls: list[ToolCall],
    reason: StopReason,
    usage: Usage,
    on_event: EventCallback | None,
    scored: list[TokenLogprob] | None = None,
    stop_sequence: str | None = None,
) -> GenerationResult:
    if on_event is not None:
        on_event(GenerationDoneEvent(stop_reason=reason, usage=usage, stop_sequence=stop_sequence))
    return GenerationResult(
        model=request.model,
        content="".join(content),
        reasoning="".join(reasoning).strip(),
        stop_reason=reason,
        usage=usage,
        tool_calls=calls,
        stop_sequence=stop_sequence,
        logprobs=scored,
    )


def _logprob(token: ScoredToken) -> TokenLogprob:
    """A worker's scored token as the core's record (trusted data: built without validation)."""
    text, data, logprob, top = token
    alternatives = [TokenChoice.model_construct(token=t, bytes=b, logprob=p) for t, b, p in top]
    return TokenLogprob.model_construct(token=text, bytes=data, logprob=logprob, top=alternatives)


def ms_since(started: float, at: float | None) -> float | None:
    return None if at is None else (at - started) * 1000
