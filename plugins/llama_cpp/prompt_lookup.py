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

A source is guessed from once MIN_AGREED tokens in a row agree with it, and a guess is
at most as long as that run; how far it guesses beyond that and when it pauses is
drafting.py's part.
"""

from __future__ import annotations

from .drafting import Drafter

NGRAM = 3  # tokens that must match: fewer matches too much by chance in prose
# Tokens in a row that must agree with a source before it is guessed from: a place found
# by its 3 tokens alone is often chance in prose, and a wasted guess costs a batch row.
MIN_AGREED = NGRAM + 1
CANDIDATES = 64  # earlier places of one n-gram weighed when looking again (the latest)
LOOKBACK = 32  # tokens compared backwards to weigh a place


class PromptLookup(Drafter):
    """The lookup drafter of one generation: its tokens so far, each NGRAM's places, and the
    source being followed."""

    def __init__(self, tokens: list[int]) -> None:
        super().__init__()
        self.history: list[int] = []
        self._places: dict[tuple[int, ...], list[int]] = {}  # n-gram -> indexes of its last token
        self._source: int | None = None  # index of the token guessed to come next
        self._agreed = 0  # tokens in a row that agreed with the source
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

    def guess(self, length: int, sequence: int) -> list[int]:
        """Up to `length` tokens that followed the source, once enough agree with it."""
        if self._source is None or self._agreed < MIN_AGREED:
            return []
        return self.history[self._source : self._source + min(length, self._agreed)]
