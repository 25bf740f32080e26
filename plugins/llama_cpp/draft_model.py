"""Drafting with a draft model: a smaller model with the same vocabulary guesses the tokens
that follow, greedily, and the model checks them in one step (batch_loop.py).

The draft model is loaded in the worker beside the model, with a sequence for each of
the model's slots (the same ids). Each sequence remembers the tokens its cells hold; a
guess first brings them in line with the generation's tokens (dropping what differs,
decoding what is new: the prompt on the first guess, then the tokens picked since), then
decodes its own picks one at a time. A guess ends early where the draft model is unsure
(its best token under P_MIN), since an unsure guess is mostly refused and costs a batch
row. A guess is the draft model's greedy choice, a single token with probability 1 for
the check: the model's own pick (greedy or sampled, with its own sampler) is kept, and
the guess only while it agrees, which is the standard rejection scheme for such a draft,
so sampled text keeps the model's distribution (with the same seed, the same text).
"""

from __future__ import annotations

import ctypes
import time
from typing import Any

import llama_cpp
import numpy as np

from .drafting import Drafter
from .prompt_store import common_prefix

P_MIN = 0.75  # the draft model's probability of its best token, below which a guess ends
VOCAB_SIZE_SLACK = 128  # padding tokens some conversions add at the end of a vocabulary
PLAIN_STEPS_FIRST = 4  # plain steps before the first guess, to know what a plain one costs


def vocab_mismatch(model: Any, draft: Any) -> str | None:
    """Why `draft` (a Llama) cannot draft for `model`, or None when their vocabularies agree
    (the same tokenizer, the same text for every token both have, the same BOS and EOS)."""
    ours, theirs = model._model.vocab, draft._model.vocab
    if llama_cpp.llama_vocab_type(ours) != llama_cpp.llama_vocab_type(theirs):
        return "it uses another kind of tokenizer"
    n_ours, n_theirs = llama_cpp.llama_vocab_n_tokens(ours), llama_cpp.llama_vocab_n_tokens(theirs)
    if abs(n_ours - n_theirs) > VOCAB_SIZE_SLACK:
        return f"its vocabulary has {n_theirs} tokens and the model's {n_ours}"
    for name, read in (("BOS", llama_cpp.llama_vocab_bos), ("EOS", llama_cpp.llama_vocab_eos)):
        if read(ours) != read(theirs):
            return f"its {name} token is {read(theirs)} and the model's {read(ours)}"
    for token in range(min(n_ours, n_theirs)):
        text, other = (
            llama_cpp.llama_vocab_get_text(ours, token),
            llama_cpp.llama_vocab_get_text(theirs, token),
        )
        if text != other:
            return f"token {token} is {_shown(other)} in it and {_shown(text)} in the model"
    return None


def _shown(text: bytes | None) -> str:
    return repr((text or b"").decode("utf-8", errors="replace"))


class DraftModel:
    """The draft model of one worker: its context, and the tokens each sequence holds."""

    def __init__(self, llm: Any, model_vocab_size: int) -> None:
        self.llm = llm
        self.ctx = llm._ctx.ctx
        self.memory = llama_cpp.llama_get_memory(self.ctx)
        self.n_vocab = int(llama_cpp.llama_vocab_n_tokens(llm._model.vocab))
        self.model_vocab_size = model_vocab_size  # a guess never names a token the model lacks
        self.n_batch = int(llama_cpp.llama_n_batch(self.ctx))
        self._batch = llama_cpp.llama_batch_init(self.n_batch, 0, 1)
        for i in range(self.n_batch):
            self._batch.n_seq_id[i] = 1
        self.held: dict[int, list[int]] = {}  # sequence id -> the tokens its cells hold
        self._last = 0  # batch index of the last decode's logits

    def guess(self, sequence: int, tokens: list[int], length: int) -> list[int]:
        """Up to `length` tokens the draft model picks greedily after `tokens`."""
        held = self.held.setdefault(sequence, [])
        # Keep what agrees; the last token is decoded again when nothing is new (its logits).
        common = min(common_prefix(held, tokens), len(tokens) - 1)
        if not llama_cpp.llama_memory_seq_rm(self.memory, sequence, common, -1):
            llama_cpp.llama_memory_seq_rm(self.memory, sequence, 0, -1)
            common = 0
        del held[common:]
        if not self._decode(sequence, tokens[common:], held):
            return []
        guessed: list[int] = []
        while True:
            token, probability = self._best()
            if probability < P_MIN or token >= self.model_vocab_size:
                break
            guessed.append(token)
            if len(guessed) == length or not self._decode(sequence, [token], held):
                break
        return guessed

    def _decode(self, sequence: int, tokens: list[int], held: list[int]) -> bool:
        """Decode `tokens` after `held` in chunks, logits for the last; False when llama.cpp
        refuses (the draft context full): no guess this time."""
        batch = self._batch
        for start in range(0, len(tokens), self.n_batch):
            chunk = tokens[start : start + self.n_batch]
            for offset, token in enumerate(chunk):
                batch.token[offset] = token
                batch.pos[offset] = len(held) + offset
                batch.seq_id[offset][0] = sequence
                batch.logits[offset] = False
            batch.logits[len(chunk) - 1] = True
            batch.n_tokens = len(chunk)
            if llama_cpp.llama_decode(self.ctx, batch) != 0:
                llama_cpp.llama_memory_seq_rm(self.memory, sequence, len(held), -1)
                return False
            held.extend(chunk)
            self._last = len(chunk) - 1
        return True

    def _best(self) -> tuple[int, float]:
        """The best token after the last decode, and its probability."""
        pointer = llama_cpp.llama_get_logits_ith(self.ctx, self._last)
        logits = np.ctypeslib.as_array(ctypes.cast(pointer, ctypes.POINTER(ctypes.c_float)), (self.n_vocab,))
        token = int(logits.argmax())
        return token, float(1.0 / np.exp(logits - logits[token]).sum())

    def close(self) -> None:
        llama_cpp.llama_batch_free(self._batch)
        self.llm.close()


class ModelDrafter(Drafter):
    """The drafter of one generation that asks the worker's draft model."""

    def __init__(self, draft_model: DraftModel, tokens: list[int]) -> None:
        super().__init__(plain_steps_first=PLAIN_STEPS_FIRST)
        self.draft_model = draft_model
        self.history = list(tokens)
        self._guess_s = 0.0

    def push(self, token: int) -> None:
        self.history.append(token)

    def guess(self, length: int, sequence: int) -> list[int]:
        started = time.perf_counter()
        guessed = self.draft_model.guess(sequence, self.history, length)
        self._guess_s = time.perf_counter() - started
        return guessed

    def extra_seconds(self) -> float:
        seconds, self._guess_s = self._guess_s, 0.0
        return seconds
