"""Embeddings from the worker's loaded model, on llama-cpp-python's low-level API.

A chat model has no pooling of its own (pooling type "none"): llama.cpp then
gives one vector per token and we average them, as llama-server does for such
models with `--pooling mean`. A real embedding model (BERT-like, pooling mean,
cls or last in its GGUF) pools inside llama.cpp and needs the whole text in one
micro-batch. Either way the vector is scaled to length 1.

The context switches to embedding output only for the request and back after. It
runs between steps of the batch loop on one free sequence, whose cells it uses and
empties; the other sequences (and the generations in them) are left as they are.
"""

from __future__ import annotations

import llama_cpp
import numpy as np
from llama_cpp import Llama

from .generation import GenerationError


class Embedder:
    def __init__(self, llm: Llama) -> None:
        self.llm = llm
        self.ctx = llm._ctx.ctx
        self.memory = llama_cpp.llama_get_memory(self.ctx)
        self.n_embd = int(llama_cpp.llama_model_n_embd(llm._model.model))
        self.n_batch = int(llm.n_batch)
        self.n_ubatch = int(llama_cpp.llama_n_ubatch(self.ctx))
        self.n_ctx = int(llama_cpp.llama_n_ctx_seq(self.ctx))  # what one sequence holds
        self.pooled = llama_cpp.llama_pooling_type(self.ctx) != llama_cpp.LLAMA_POOLING_TYPE_NONE
        self._batch = llama_cpp.llama_batch_init(self.n_batch, 0, 1)
        self.seq = 0

    def embed(self, texts: list[str], seq: int = 0) -> tuple[list[list[float]], int]:
        """(one unit vector per text, tokens read), using sequence `seq`, which it empties."""
        token_lists = [self.llm.tokenize(text.encode("utf-8"), add_bos=True, special=False) for text in texts]
        for index, tokens in enumerate(token_lists):
            self._check_length(index, len(tokens))
        self.seq = seq
        llama_cpp.llama_set_embeddings(self.ctx, True)
        try:
            vectors = [_unit(self._embed_one(tokens)) for tokens in token_lists]
        finally:
            llama_cpp.llama_set_embeddings(self.ctx, False)
            llama_cpp.llama_memory_seq_rm(self.memory, seq, 0, -1)
        return vectors, sum(len(tokens) for tokens in token_lists)

    def _check_length(self, index: int, count: int) -> None:
        limit = min(self.n_ctx, self.n_ubatch) if self.pooled else self.n_ctx
        if count == 0:
            raise GenerationError(f"input {index} is empty")
        if count > limit:
            raise GenerationError(
                f"input {index} is {count} tokens; this model embeds at most {limit} at once"
                + (" (its batch size)" if self.pooled and limit == self.n_ubatch else "")
            )

    def _embed_one(self, tokens: list[int]) -> np.ndarray:
        llama_cpp.llama_memory_seq_rm(self.memory, self.seq, 0, -1)
        if self.pooled:
            self._decode(tokens, 0)
            pointer = llama_cpp.llama_get_embeddings_seq(self.ctx, self.seq)
            return np.ctypeslib.as_array(pointer, shape=(self.n_embd,)).astype(np.float64)
        total = np.zeros(self.n_embd, dtype=np.float64)
        for start in range(0, len(tokens), self.n_batch):
            chunk = tokens[start : start + self.n_batch]
            self._decode(chunk, start)  # every token is an output while embeddings are on
            rows = np.ctypeslib.as_array(
                llama_cpp.llama_get_embeddings(self.ctx), shape=(len(chunk), self.n_embd)
            )
            total += rows.sum(axis=0, dtype=np.float64)
        return total / len(tokens)

    def _decode(self, tokens: list[int], start: int) -> None:
        batch = self._batch
        for i, token in enumerate(tokens):
            batch.token[i], batch.pos[i], batch.n_seq_id[i] = token, start + i, 1
            batch.seq_id[i][0], batch.logits[i] = self.seq, True
        batch.n_tokens = len(tokens)
        code = llama_cpp.llama_decode(self.ctx, batch)
        if code != 0:
            raise GenerationError(f"llama_decode failed while embedding (code {code})")


def _unit(vector: np.ndarray) -> list[float]:
    norm = float(np.linalg.norm(vector))
    return [float(x) for x in (vector / norm if norm > 0 else vector)]
