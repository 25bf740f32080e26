"""Log probabilities of the tokens a generation picks, for requests that ask for them.

Read from the logits the token was picked from (the sampler chain and the grammar work
on copies): a log-softmax over the vocabulary at temperature 1, as OpenAI and
llama-server report them, and the `top` most likely tokens. That is a pass over the
whole vocabulary per token (49k logits on the starter model), so a request that does not
ask never builds a scorer: the generation loop is then exactly what it was.
"""

from __future__ import annotations

import ctypes
import math
from collections.abc import Callable

import llama_cpp
import numpy as np

from .messages import Alternative, ScoredToken


class TokenScorer:
    def __init__(self, ctx: object, vocab: object, top: int) -> None:
        self.ctx, self.vocab, self.top = ctx, vocab, top
        self.n_vocab = int(llama_cpp.llama_vocab_n_tokens(vocab))
        self.pending: list[ScoredToken] = []  # scored, not yet sent with a piece of text
        self._pieces: dict[int, bytes] = {}
        self._buffer = ctypes.create_string_buffer(256)

    def wrap(self, next_token: Callable[[int], int]) -> Callable[[int], int]:
        """`next_token`, scoring each token it picks from the logits at a batch index (an
        end-of-generation token is not part of the answer, so it is not scored)."""

        def pick(index: int) -> int:
            token = next_token(index)
            if not llama_cpp.llama_vocab_is_eog(self.vocab, token):
                self.pending.append(self._score(token, index))
            return token

        return pick

    def take(self) -> list[ScoredToken]:
        """The tokens scored since the last call: those the text now being sent completes."""
        taken, self.pending = self.pending, []
        return taken

    def _score(self, token: int, index: int) -> ScoredToken:
        pointer = llama_cpp.llama_get_logits_ith(self.ctx, index)
        logits = np.ctypeslib.as_array(pointer, shape=(self.n_vocab,))
        peak = float(logits.max())
        norm = peak + math.log(float(np.exp(logits - peak).sum()))
        top: list[Alternative] = []
        if self.top:
            best = np.argpartition(logits, -self.top)[-self.top :]
            for other in best[np.argsort(-logits[best], kind="stable")]:
                text, data = self._piece(int(other))
                top.append((text, data, float(logits[other]) - norm))
        text, data = self._piece(token)
        return text, data, float(logits[token]) - norm, top

    def _piece(self, token: int) -> tuple[str, list[int]]:
        data = self._pieces.get(token)
        if data is None:
            size = llama_cpp.llama_token_to_piece(self.vocab, token, self._buffer, 256, 0, False)
            data = self._pieces[token] = self._buffer.raw[: max(size, 0)]
        return data.decode("utf-8", errors="replace"), list(data)
