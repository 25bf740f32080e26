"""Building the prompt from a branch, dropping the oldest turns when it does not fit the context."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..models.chat import ChatTurn, Role

TokenCounter = Callable[[str], int]

# Per-message overhead of chat templates (role markers, separators): ChatML, Llama 3 and
# Gemma spend 5 tokens a turn; counted with one to spare.
TURN_OVERHEAD_TOKENS = 6
# What a template adds once: BOS, the generation prompt, and the default system prompt many
# templates write when a chat has none (SmolLM2's ~20 tokens, Llama 3's dated one ~30).
TEMPLATE_OVERHEAD_TOKENS = 64


def estimate_tokens(text: str) -> int:
    """A deliberately generous estimate (about 3 characters a token) for when no tokenizer is at hand.

    Over-counting drops a turn too many; under-counting would overflow the context.
    """
    return len(text) // 3 + 1


def answer_reserve(context_size: int, max_tokens: int | None) -> int:
    """Tokens kept free for the answer: the requested maximum, else a quarter of the context (<= 1024)."""
    if max_tokens is not None:
        return min(max_tokens, context_size // 2)
    return min(1024, context_size // 4)


def turn_text(turn: ChatTurn) -> str:
    """What a turn costs in the prompt: its text, and the calls an assistant turn made."""
    if not turn.tool_calls:
        return turn.content
    return turn.content + "".join(f"{call.name}{call.arguments}" for call in turn.tool_calls)


def template_reserve(context_size: int) -> int:
    """Tokens kept for what the chat template adds once (a small context keeps a sixteenth)."""
    return min(TEMPLATE_OVERHEAD_TOKENS, context_size // 16)


def fit_context(
    system_prompt: str,
    turns: Sequence[ChatTurn],
    budget: int,
    count_tokens: TokenCounter = estimate_tokens,
) -> tuple[list[ChatTurn], int]:
    """The system prompt plus as many of the newest turns as fit `budget` tokens.

    Returns (prompt, dropped): `dropped` counts the oldest turns left out. The
    system prompt and the last turn (the one being answered) are always kept,
    and the prompt never starts with an assistant turn after a cut.
    """
    prompt_head = [ChatTurn(role=Role.SYSTEM, content=system_prompt)] if system_prompt.strip() else []
    used = sum(count_tokens(t.content) + TURN_OVERHEAD_TOKENS for t in prompt_head)
    kept: list[ChatTurn] = []
    for turn in reversed(turns):
        cost = count_tokens(turn_text(turn)) + TURN_OVERHEAD_TOKENS
        if kept and used + cost > budget:
            break
        kept.append(turn)
        used += cost
    kept.reverse()
    cut = len(turns) - len(kept)
    # After a cut, start at a user turn: templates expect one after the system prompt (and a
    # tool result whose call was cut would answer nothing).
    while cut and len(kept) > 1 and kept[0].role in (Role.ASSISTANT, Role.TOOL):
        kept.pop(0)
        cut += 1
    return prompt_head + kept, cut
