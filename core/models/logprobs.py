"""Log probabilities of generated tokens: a backend computes them only when a request asks."""

from __future__ import annotations

from pydantic import Field

from .base import Record


class TokenChoice(Record):
    """A token and how likely the model found it at its position."""

    token: str = Field(description="The token's text (bytes that are not whole UTF-8 shown as U+FFFD).")
    bytes: list[int] = Field(description="The token's bytes: a token may be part of a character.")
    logprob: float = Field(
        description="Natural log of its probability under the model (before sampling settings)."
    )


class TokenLogprob(TokenChoice):
    """A generated token, with the most likely tokens at its position."""

    top: list[TokenChoice] = Field(
        default_factory=list, description="The most likely tokens there, best first."
    )
