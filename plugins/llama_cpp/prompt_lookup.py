"""Prompt-lookup drafting: guess a generation's next tokens from what it has seen.

An answer often repeats its prompt or itself (code being edited, a quoted passage, a
list that follows a pattern). When the last NGRAM tokens appeared before, the tokens
that followed them then are a cheap guess for what follows now. The batch loop puts
the guess in the same decode as the pending token and keeps the longest run of it
that the model's own picks agree with, so the output is exactly what it would be
without the guess (see batch_loop.py).

Copying is followed, not looked up afresh each token: once the answer runs along a
place in the prompt (the source), each token that agrees moves the source on by one,
and only a token that disagrees makes the drafter look again. Looking again picks,
among the earlier places of the last NGRAM tokens, the one whose preceding tokens
agree longest with the answer's: in a file of near-identical functions the most
recent occurrence of `def price_` is usually the wrong one (that was the cause of
few drafts being taken on the code-edit benchmark).

Checking a guess is not free (on a CPU a batch of k tokens costs well over one), so
the drafter guesses only as far as it has reason to: a source is guessed from once
MIN_AGREED tokens in a row agree with it, a guess is at most as long as the run of
tokens that agree with the source so far, grows while guesses are taken
whole and shrinks to what was taken; after FAILS_BEFORE_PAUSE guesses in a row of
which nothing was taken it stops guessing for a while, longer each time it happens
again (prose rarely pays). It also times its steps: while a step with a guess costs
more time per token than a step without (a CPU where a batch of k tokens costs
nearly k tokens' time), it pauses too, and measures again after the pause.
"""

from __future__ import annotations

NGRAM = 3  # tokens that must match: fewer matches too much by chance in prose
# Tokens in a row that must agree with a source before it is guessed from: a place found
# by its 3 tokens alone is often chance in prose, and a wasted guess costs a batch row.
MIN_AGREED = NGRAM + 1
MIN_DRAFT, START_DRAFT, MAX_DRAFT = 2, 4, 16
FAILS_BEFORE_PAUSE = 3
PAUSE_TOKENS, MAX_PAUSE_TOKENS = 16, 512
COST_WEIGHT = 0.25  # of the newest step in the running cost per token
CANDIDATES = 64  # earlier places of one n-gram weighed when looking again (the latest)
LOOKBACK = 32  # tokens compared backwards to weigh a place


class PromptLookup:
    """The drafter of one generation: its tokens so far, each NGRAM's places, the source
    being followed, and how well guessing has gone."""

    def __init__(self, tokens: list[int]) -> None:
        self.history: list[int] = []
        self._places: dict[tuple[int, ...], list[int]] = {}  # n-gram -> indexes of its last token
        self._source: int | None = None  # index of the token guessed to come next
        self._agreed = 0  # tokens in a row that agreed with the source
        self.size = START_DRAFT
        self._fails = 0
        self._pauses = 0
        self._paused_for = 0
        self.drafted = self.accepted = 0
        self._cost: list[float | None] = [None, None]  # seconds per token: steps without, with a guess
        for token in tokens:
            self._add(token)
        self._look()

    def push(self, token: int) -> None:
        """A token the generation now has (picked)."""
        source = self._source
        following = source is not None and source < len(self.history) and self.history[source] == token
        self._add(token)
        if following:
            assert source is not None
            self._source = source + 1
            self._agreed += 1
        else:
            self._look()

    def _add(self, token: int) -> None:
        history = self.history
        history.append(token)
        if len(history) >= NGRAM:
            self._places.setdefault(tuple(history[-NGRAM:]), []).append(len(history) - 1)

    def _look(self) -> None:
        """Find the earlier place of the newest n-gram whose preceding tokens agree longest
        with the history's, and follow it."""
        history = self.history
        self._source, self._agreed = None, 0
        if len(history) < NGRAM:
            return
        end = len(history) - 1
        places = self._places.get(tuple(history[-NGRAM:]), [])
        best, best_agreed = None, 0
        for place in reversed(places[-CANDIDATES - 1 :]):
            if place == end:
                continue
            agreed = NGRAM
            while (
                agreed < LOOKBACK and place - agreed >= 0 and history[place - agreed] == history[end - agreed]
            ):
                agreed += 1
            if agreed > best_agreed:
                best, best_agreed = place, agreed
        if best is not None:
            self._source, self._agreed = best + 1, best_agreed

    def draft(self, room: int) -> list[int]:
        """Up to `room` tokens guessed to follow, or none."""
        if self._paused_for > 0:
            self._paused_for -= 1
            return []
        if self._source is None or self._agreed < MIN_AGREED or room <= 0:
            return []
        length = min(self.size, room, self._agreed)
        return self.history[self._source : self._source + length]

    def timed(self, seconds: float, produced: int, drafted: bool) -> None:
        """What a step took and the tokens it gave (with or without a guess)."""
        per_token = seconds / produced
        old = self._cost[drafted]
        self._cost[drafted] = per_token if old is None else old + COST_WEIGHT * (per_token - old)

    def judged(self, drafted: int, accepted: int) -> None:
        """How many of a draft's tokens the model took."""
        self.drafted += drafted
        self.accepted += accepted
        plain, guessed = self._cost
        if plain is not None and guessed is not None and guessed >= plain:
            # Taken or not, guesses cost more time per token than plain steps here (a
            # slow batch on this machine, or guesses failing): pause, then measure again
            # from scratch (a stale average would keep a copy that now pays paused).
            self._paused_for = max(self._paused_for, PAUSE_TOKENS)
            self._cost[True] = None
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
