"""Sampling under a grammar the way llama-server does: the grammar checks the chosen token.

A grammar sampler placed first in the chain judges every token of the vocabulary
against the grammar's stacks on every step: ~7 ms a token on the starter model's
49k vocabulary, which halved the speed of JSON-schema output and forced tool
calls. Most tokens a model picks are allowed anyway, so here the chain picks from
the free logits and the grammar judges only that one token; only when it refuses
is the grammar applied to the whole vocabulary and the chain run again.

For greedy sampling this picks exactly the grammar-first token (the best allowed
one). For random sampling it draws from the same distribution over the allowed
tokens, P(t) / P(allowed), up to how top-k/top-p cut the list.
"""

from __future__ import annotations

import ctypes
import math

import llama_cpp
import numpy as np


class GrammarChecked:
    """The next token under `grammar`, picked by `chain` (which must hold no grammar)."""

    def __init__(self, ctx: object, vocab: object, chain: object, grammar: object) -> None:
        self.ctx, self.vocab, self.chain, self.grammar = ctx, vocab, chain, grammar
        self.n_vocab = int(llama_cpp.llama_vocab_n_tokens(vocab))
        self._ids = np.arange(self.n_vocab, dtype=np.int32)
        self._all = (llama_cpp.llama_token_data * self.n_vocab)()
        self._all_view = np.ctypeslib.as_array(self._all)  # fields id, logit, p
        self._one = (llama_cpp.llama_token_data * 1)()
        self._one_list = _token_list(self._one, 1)

    def __call__(self, index: int = -1) -> int:
        """The token picked from the logits at batch index `index` (accepted by the grammar
        and the chain)."""
        pointer = llama_cpp.llama_get_logits_ith(self.ctx, index)
        logits = np.ctypeslib.as_array(pointer, shape=(self.n_vocab,))
        token = self._pick(logits, with_grammar=False)
        if not self._allowed(token):
            token = self._pick(logits, with_grammar=True)
        if not llama_cpp.llama_vocab_is_eog(self.vocab, token):  # an end ends the generation anyway
            llama_cpp.llama_sampler_accept(self.grammar, token)
        llama_cpp.llama_sampler_accept(self.chain, token)
        return token

    def _pick(self, logits: np.ndarray, with_grammar: bool) -> int:
        view = self._all_view
        view["id"] = self._ids  # samplers sort the list in place: start from the vocabulary order
        view["logit"] = logits
        view["p"] = 0.0
        candidates = _token_list(self._all, self.n_vocab)
        if with_grammar:
            llama_cpp.llama_sampler_apply(self.grammar, ctypes.byref(candidates))
        llama_cpp.llama_sampler_apply(self.chain, ctypes.byref(candidates))
        return int(self._all[candidates.selected].id)

    def _allowed(self, token: int) -> bool:
        # ctypes converts the plain numbers on assignment (the stubs type the fields as c_int32...).
        self._one[0].id, self._one[0].logit, self._one[0].p = token, 0.0, 0.0  # type: ignore[assignment]
        self._one_list.selected, self._one_list.sorted = -1, False
        llama_cpp.llama_sampler_apply(self.grammar, ctypes.byref(self._one_list))
        return not math.isinf(self._one[0].logit)  # a refused token's logit is set to -inf


def _token_list(
    data: ctypes.Array[llama_cpp.llama_token_data], size: int
) -> llama_cpp.llama_token_data_array:
    return llama_cpp.llama_token_data_array(
        data=ctypes.cast(data, ctypes.POINTER(llama_cpp.llama_token_data)),
        size=size,
        selected=-1,
        sorted=False,
    )
