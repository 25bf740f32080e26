"""The penalties on the window's tokens give exactly the logits llama.cpp's penalties
sampler gives, and put the model's own logits back after the pick."""

from __future__ import annotations

import ctypes
import random

import llama_cpp
import numpy as np
import pytest

from llamadesk.plugins.llama_cpp.penalties import PENALTY_WINDOW, Penalties

VOCAB = 2000


def llama_cpp_penalized(sampler: object, logits: np.ndarray) -> np.ndarray:
    data = (llama_cpp.llama_token_data * VOCAB)()
    for token, logit in enumerate(logits):
        data[token].id, data[token].logit, data[token].p = token, float(logit), 0.0  # type: ignore[assignment]
    array = llama_cpp.llama_token_data_array(
        data=ctypes.cast(data, ctypes.POINTER(llama_cpp.llama_token_data)),
        size=VOCAB,
        selected=-1,
        sorted=False,
    )
    llama_cpp.llama_sampler_apply(sampler, ctypes.byref(array))
    out = np.empty(VOCAB, dtype=np.float32)
    for i in range(VOCAB):
        out[data[i].id] = data[i].logit
    return out


@pytest.mark.parametrize(
    ("repeat", "frequency", "presence"), [(1.1, 0.0, 0.0), (1.3, 0.5, 0.3), (0.9, 0.0, -0.2)]
)
def test_the_same_logits_as_llama_cpp_as_the_window_slides(
    repeat: float, frequency: float, presence: float
) -> None:
    rng = random.Random(7)
    recent = [rng.randrange(40) for _ in range(80)]  # few distinct tokens: counts above one
    theirs = llama_cpp.llama_sampler_init_penalties(VOCAB, PENALTY_WINDOW, repeat, frequency, presence)
    for token in recent[-PENALTY_WINDOW:]:
        llama_cpp.llama_sampler_accept(theirs, token)
    ours = Penalties(repeat, frequency, presence, recent[-PENALTY_WINDOW:])
    try:
        for _ in range(150):  # past the window's length: tokens leave it
            logits = np.random.default_rng(rng.randrange(1 << 30)).normal(0, 4, VOCAB).astype(np.float32)
            buffer = (ctypes.c_float * VOCAB)(*logits)
            pointer = ctypes.cast(buffer, ctypes.POINTER(ctypes.c_float))
            saved = ours.apply(pointer)
            assert np.array_equal(
                np.frombuffer(buffer, dtype=np.float32), llama_cpp_penalized(theirs, logits)
            )
            ours.restore(pointer, saved)
            assert np.array_equal(np.frombuffer(buffer, dtype=np.float32), logits)  # the model's own again
            token = rng.randrange(60)
            ours.accept(token)
            llama_cpp.llama_sampler_accept(theirs, token)
    finally:
        llama_cpp.llama_sampler_free(theirs)
