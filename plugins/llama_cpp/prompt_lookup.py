"""Prompt-lookup drafting: guess a generation's next tokens from what it has seen.

An answer often repeats its prompt or itself (code being edited, a quoted passage, a
list that follows a pattern). When the last NGRAM tokens appeared before, the tokens
that followed them then are a cheap guess for what follows now. The batch loop puts
the guess in the same decode as the pending token and keeps the longest run of it
that the model's own picks agree with, so the output is exactly what it would be
without the guess (see batch_loop.py).

Checking a guess is not free (more tokens in the batch), so the drafter adapts: the
guess grows while guesses are taken whole and shrinks to what was taken, and after
FAILS_BEFORE_PAUSE guesses in a row of which nothing was taken it stops guessing for
a while, longer each time it happens again (prose rarely pays).
"""

from __future__ import annotations

NGRAM = 3  # tokens that must match: fewer matches too much by chance in prose
MIN_DRAFT, START_DRAFT, MAX_DRAFT = 2, 4, 16
FAILS_BEFORE_PAUSE = 3
PAUSE_TOKENS, MAX_PAUSE_TOKENS = 16, 512


class PromptLookup:
    """The drafter of one generation: its tokens so far, each NGRAM's last place, and how
    well guessing has gone."""

    def __init__(self, tokens: list[int]) -> None:
        self.history: list[int] = []
        self._last_seen: dict[tuple[int, ...], int] = {}  # n-gram -> index of its last token
        self._match: int | None = None  # where the newest n-gram was seen before
        self.size = START_DRAFT
        self._fails = 0
        self._pauses = 0
        self._paused_for = 0
        self.drafted = self.accepted = 0
        for token in tokens:
            self.push(token)

    def push(self, token: int) -> None:
        """A token the generation now has (prompt, or picked)."""
        history = self.history
        history.append(token)
        if len(history) >= NGRAM:
            end = len(history) - 1
            key = tuple(history[-NGRAM:])
            self._match = self._last_seen.get(key)
            self._last_seen[key] = end

    def draft(self, room: int) -> list[int]:
        """Up to `room` tokens guessed to follow, or none."""
        if self._paused_for > 0:
            self._paused_for -= 1
            return []
        if self._match is None or room <= 0:
            return []
        start = self._match + 1
        return self.history[start : start + min(self.size, room)]

    def judged(self, drafted: int, accepted: int) -> None:
        """How many of a draft's tokens the model took."""
        self.drafted += drafted
        self.accepted += accepted
        if accepted == drafted:
            self.size = min(self.size * 2, MAX_DRAFT)
            self._fails = 0
        elif accepted == 0:
            self.size = max(self.size // 2, MIN_DRAFT)
            self._fails += 1
            if self._fails >= FAILS_BEFORE_PAUSE:
                self._paused_for = min(PAUSE_TOKENS << self._pauses, MAX_PAUSE_TOKENS)
                self._pauses += 1
                self._fails = 0
        else:
            self.size = max(accepted + 1, MIN_DRAFT)
            self._fails = 0
