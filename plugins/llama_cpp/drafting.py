"""Speculative decoding's shared part: how far a drafter guesses and when it pauses.

A drafter guesses the tokens that follow a generation (prompt_lookup.py from the
conversation so far, draft_model.py from a smaller model); the batch loop decodes the
guess in the same step as the pending token and keeps the longest run of it that the
model's own picks agree with, so the text is the model's own (batch_loop.py). Checking a
guess is not free (on a CPU a batch of k tokens costs well over one), so a drafter
guesses only as far as pays: a guess grows while guesses are taken whole and shrinks to
what was taken; after FAILS_BEFORE_PAUSE guesses in a row of which nothing was taken it
stops guessing for a while, longer each time it happens again (prose rarely pays). It
also times its steps: while a step with a guess costs more time per token than a step
without (a CPU where a batch of k tokens costs nearly k tokens' time, or a draft model
nearly as slow as the model), it pauses too, longer each time in a row (16 tokens
doubling to 512), and measures again after the pause.
"""

from __future__ import annotations

from llamadesk.core.models.llama import LoadOptions

MIN_DRAFT, START_DRAFT, MAX_DRAFT = 2, 4, 16
FAILS_BEFORE_PAUSE = 3
PAUSE_TOKENS, MAX_PAUSE_TOKENS = 16, 512
COST_WEIGHT = 0.25  # of the newest step in the running cost per token


def batch_invariant(options: LoadOptions) -> bool:
    """Whether llama.cpp's CPU attention adds up one token's attention in the same order as
    several tokens' at once (and so gives the same text with drafting and parallel slots):
    its split-KV and tiled paths, which add up in another order, run only with flash
    attention and keys and values both f16 or both f32."""
    full = ("f16", "f32")
    both_full = options.cache_type_k in full and options.cache_type_k == options.value_cache_type
    return options.flash_attention and not both_full


def drafting_kind(options: LoadOptions) -> str:
    """What drafts a load gets: lookup, model or none. `auto` drafts only where a checked
    guess cannot change the text (batch_invariant): with the draft model when one is named,
    else by lookup."""
    if options.draft != "auto":
        return options.draft
    if not batch_invariant(options):
        return "none"
    return "model" if options.draft_model else "lookup"


class Drafter:
    """One generation's drafter: subclasses say what to guess (`guess`) and learn each
    picked token (`push`); this class decides how much and when."""

    def __init__(self, plain_steps_first: int = 0) -> None:
        self.size = START_DRAFT
        self._fails = 0
        self._pauses = 0
        self._cost_pauses = 0  # pauses in a row because guessing cost more than it saved
        # Steps without a guess before the first one: the cost of a plain step must be known
        # to tell whether guessing pays (a lookup drafter makes some anyway).
        self._paused_for = plain_steps_first
        self.drafted = self.accepted = 0
        self._cost: list[float | None] = [None, None]  # seconds per token: steps without, with a guess

    def push(self, token: int) -> None:
        """A token the generation now has (picked)."""
        raise NotImplementedError

    def guess(self, length: int, sequence: int) -> list[int]:
        """Up to `length` tokens guessed to follow, for the generation in KV `sequence`."""
        raise NotImplementedError

    def extra_seconds(self) -> float:
        """Time spent making guesses since last asked (a draft model's decodes)."""
        return 0.0

    def draft(self, room: int, sequence: int) -> list[int]:
        """Up to `room` tokens guessed to follow, or none (paused, or nothing to guess)."""
        if self._paused_for > 0:
            self._paused_for -= 1
            return []
        if room <= 0:
            return []
        return self.guess(min(self.size, room), sequence)

    def timed(self, seconds: float, produced: int, drafted: bool) -> None:
        """What a step took and the tokens it gave (with or without a guess)."""
        # Making the guess is part of its price, also when it came out empty.
        extra = self.extra_seconds()
        drafted = drafted or extra > 0
        seconds += extra
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
            # slow batch on this machine, guesses failing, a draft model nearly as slow as
            # the model): pause, longer each time in a row, then measure again from scratch
            # (a stale average would keep a copy that now pays paused).
            pause = min(PAUSE_TOKENS << self._cost_pauses, MAX_PAUSE_TOKENS)
            self._paused_for = max(self._paused_for, pause)
            self._cost_pauses += 1
            self._cost[True] = None
        elif guessed is not None and plain is not None:
            self._cost_pauses = 0
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
