"""The prompt-lookup drafter on token lists (no model): what it guesses and when it stops."""

from __future__ import annotations

from llamadesk.plugins.llama_cpp.drafting import FAILS_BEFORE_PAUSE, MAX_DRAFT
from llamadesk.plugins.llama_cpp.prompt_lookup import PromptLookup


def functions(count: int) -> list[int]:
    """Token ids of near-identical functions: `def f N ( x ) : return x * N` with N = 1000 + n."""
    tokens: list[int] = []
    for n in range(count):
        tokens += [1, 2, 1000 + n, 3, 4, 5, 6, 7, 4, 8, 1000 + n, 9]
    return tokens


def test_a_copy_is_followed_along_its_source_not_the_latest_look_alike() -> None:
    source = functions(20)
    drafter = PromptLookup([*source, 99])  # the prompt: the file, then the request
    copied: list[int] = []
    for token in source:
        guess = drafter.draft(len(source) - len(copied), 0)
        if guess:
            taken = 0
            while taken < len(guess) and guess[taken] == source[len(copied) + taken]:
                taken += 1
            drafter.judged(len(guess), taken)
        drafter.push(token)
        copied.append(token)
    # Once the copy is under way every guess is right (the old drafter, taking the latest
    # place of `def f`, guessed the previous function's number each time).
    assert drafter.drafted > 0 and drafter.accepted == drafter.drafted
    assert drafter.size == MAX_DRAFT


def test_a_chance_match_of_three_tokens_is_not_guessed_from() -> None:
    drafter = PromptLookup([5, 6, 7, 8, 20, 21, 22, 23])
    for token in (30, 5, 6, 7):  # "5 6 7" again, after other words
        drafter.push(token)
    assert drafter.draft(16, 0) == []  # three tokens agree: not yet
    drafter.push(8)  # the fourth agrees too: now it is a copy
    assert drafter.draft(16, 0) == [20, 21, 22, 23]


def test_guesses_that_keep_failing_pause_drafting() -> None:
    drafter = PromptLookup(list(range(10)) * 3)
    for _ in range(FAILS_BEFORE_PAUSE):
        assert drafter.draft(16, 0)
        drafter.judged(2, 0)
    assert drafter.draft(16, 0) == []


def test_guesses_that_cost_more_time_per_token_than_plain_steps_pause_drafting() -> None:
    drafter = PromptLookup(list(range(10)) * 3)
    drafter.timed(0.010, 1, drafted=False)  # a plain step: 10 ms a token
    drafter.timed(0.050, 3, drafted=True)  # a guess of 4, 2 taken: 17 ms a token
    assert drafter.draft(16, 0)
    drafter.judged(4, 2)
    assert drafter.draft(16, 0) == []
    # Where a guess is cheaper per token, drafting goes on.
    cheap = PromptLookup(list(range(10)) * 3)
    cheap.timed(0.010, 1, drafted=False)
    cheap.timed(0.020, 5, drafted=True)
    cheap.judged(4, 4)
    assert cheap.draft(16, 0)


def test_guessing_that_keeps_costing_more_pauses_longer_each_time() -> None:
    # A draft model nearly as slow as the model (the starter drafting for itself) is a loss
    # every time it is measured: its pauses grow, so it costs less and less.
    drafter = PromptLookup(list(range(10)) * 3)
    pauses = []
    for _ in range(3):
        drafter.timed(0.010, 1, drafted=False)  # a plain step: 10 ms a token
        drafter.timed(0.050, 3, drafted=True)  # a guess: 17 ms a token
        assert drafter.draft(16, 0)
        drafter.judged(4, 2)
        waited = 0
        while not drafter.draft(16, 0):
            waited += 1
        pauses.append(waited)
    assert pauses == [16, 32, 64]
