"""A request's sampler chain, grammar and token picker, built once per generation.

The chain runs in C (`llama_sampler_*`): greedy or top-k/top-p/min-p, temperature
and a seeded draw, after the penalties (`penalties.py`, on the window's tokens only). A grammar (or JSON schema) checks the token the chain
picked (`grammar_sampling.py`). A picker takes the batch index of the logits to read:
in the batch loop several sequences' logits come out of one decode.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import llama_cpp
import numpy as np
from llama_cpp.llama_grammar import json_schema_to_gbnf

from llamadesk.core.models.llama import SamplingParams

from .grammar_sampling import GrammarChecked
from .penalties import PENALTY_WINDOW, Penalties, penalized

TokenPicker = Callable[[int], int]  # batch index of the logits -> the token picked (and accepted)


class SamplerError(ValueError):
    """The request's grammar does not parse."""


def build_chain(vocab: object, sampling: SamplingParams, seed: int | None) -> object:
    """Greedy, or top-k/top-p/min-p/temperature and a seeded draw (penalties: `build_penalties`)."""
    chain = llama_cpp.llama_sampler_chain_init(llama_cpp.llama_sampler_chain_default_params())
    add = llama_cpp.llama_sampler_chain_add
    if sampling.temperature <= 0:
        add(chain, llama_cpp.llama_sampler_init_greedy())
        return chain
    if sampling.top_k > 0:
        add(chain, llama_cpp.llama_sampler_init_top_k(sampling.top_k))
    add(chain, llama_cpp.llama_sampler_init_top_p(sampling.top_p, 1))
    add(chain, llama_cpp.llama_sampler_init_min_p(sampling.min_p, 1))
    add(chain, llama_cpp.llama_sampler_init_temp(sampling.temperature))
    chosen = sampling.seed if sampling.seed is not None else seed
    add(chain, llama_cpp.llama_sampler_init_dist(llama_cpp.LLAMA_DEFAULT_SEED if chosen is None else chosen))
    return chain


def build_penalties(sampling: SamplingParams, prompt_tokens: list[int]) -> Penalties | None:
    """The request's penalties, the prompt's last tokens counted as recent text (as in
    llama-server), or None when it asks for none."""
    if sampling.repeat_penalty == 1.0 and not sampling.presence_penalty and not sampling.frequency_penalty:
        return None
    return Penalties(
        sampling.repeat_penalty,
        sampling.frequency_penalty,
        sampling.presence_penalty,
        prompt_tokens[-PENALTY_WINDOW:],
    )


def build_grammar(vocab: object, sampling: SamplingParams) -> object | None:
    """The request's grammar (a JSON schema becomes one), or None."""
    grammar = sampling.grammar
    if sampling.json_schema is not None:
        grammar = json_schema_to_gbnf(json.dumps(sampling.json_schema))
    if not grammar:
        return None
    rule: object = llama_cpp.llama_sampler_init_grammar(vocab, grammar.encode(), b"root")
    if not rule:
        raise SamplerError("the grammar does not parse (GBNF with a `root` rule expected)")
    return rule


def token_picker(
    ctx: object,
    vocab: object,
    chain: object,
    grammar: object | None,
    penalties: Penalties | None,
    greedy: bool = False,
) -> TokenPicker:
    """The next token from the logits at a batch index. Greedy without a grammar is the
    logits' first maximum, read in place: `llama_sampler_sample` would first copy all of
    them into a candidate list (33 us a pick on the starter model's vocabulary, 8 here)."""
    pick: TokenPicker
    if grammar is not None:
        pick = GrammarChecked(ctx, vocab, chain, grammar)
    elif greedy:
        n_vocab = int(llama_cpp.llama_vocab_n_tokens(vocab))
        logits_at, as_array = llama_cpp.llama_get_logits_ith, np.ctypeslib.as_array
        pick = lambda index: int(as_array(logits_at(ctx, index), shape=(n_vocab,)).argmax())  # noqa: E731
    else:
        sample = llama_cpp.llama_sampler_sample
        pick = lambda index: int(sample(chain, ctx, index))  # noqa: E731
    if penalties is None:
        return pick
    return penalized(pick, penalties, lambda index: llama_cpp.llama_get_logits_ith(ctx, index))


def free_samplers(*samplers: object | None) -> None:
    for sampler in samplers:
        if sampler is not None:
            llama_cpp.llama_sampler_free(sampler)
