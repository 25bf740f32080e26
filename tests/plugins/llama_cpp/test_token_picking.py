"""Picks made outside llama.cpp's sampler chain are the chain's picks: the penalties on the
window's tokens give exactly the logits its penalties sampler gives (and put the model's
own logits back), and a greedy pick read in place is its greedy sampler's token."""

from __future__ import annotations

import ctypes
import random
from pathlib import Path

import llama_cpp
import numpy as np
import pytest

from llamadesk.core.models.llama import SamplingParams
from llamadesk.plugins.llama_cpp.penalties import PENALTY_WINDOW, Penalties
from llamadesk.plugins.llama_cpp.samplers import build_chain, build_penalties, token_picker

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


def test_a_greedy_pick_is_llama_cpps_greedy_token_with_and_without_penalties(starter_model: Path) -> None:
    llm = llama_cpp.Llama(str(starter_model), n_ctx=512, n_threads=2, verbose=False)
    ctx, vocab = llm._ctx.ctx, llama_cpp.llama_model_get_vocab(llm._model.model)
    chat = "<|im_start|>user\nList ten fruits, one per line.<|im_end|>\n<|im_start|>assistant\n"
    prompt = llm.tokenize(chat.encode(), special=True)
    for sampling in (SamplingParams(temperature=0, repeat_penalty=1.0), SamplingParams(temperature=0)):
        theirs = llama_cpp.llama_sampler_chain_init(llama_cpp.llama_sampler_chain_default_params())
        penalties = build_penalties(sampling, prompt)
        if penalties is not None:
            c_penalties = llama_cpp.llama_sampler_init_penalties(
                llama_cpp.llama_vocab_n_tokens(vocab), PENALTY_WINDOW, sampling.repeat_penalty, 0.0, 0.0
            )
            for token in prompt[-PENALTY_WINDOW:]:
                llama_cpp.llama_sampler_accept(c_penalties, token)
            llama_cpp.llama_sampler_chain_add(theirs, c_penalties)
        llama_cpp.llama_sampler_chain_add(theirs, llama_cpp.llama_sampler_init_greedy())
        ours = token_picker(ctx, vocab, build_chain(vocab, sampling, None), None, penalties, greedy=True)
        llm.reset()
        llama_cpp.llama_memory_clear(llama_cpp.llama_get_memory(ctx), True)
        llm.eval(prompt)
        picks = 0
        while picks < 120:
            token = ours(-1)
            assert token == llama_cpp.llama_sampler_sample(theirs, ctx, -1)
            picks += 1
            if llama_cpp.llama_vocab_is_eog(vocab, token):
                break
            llm.eval([token])
        llama_cpp.llama_sampler_free(theirs)
        assert picks > 20  # a real answer was compared, not one token
