"""The presets shipped with the app. User presets live in the chat store."""

from __future__ import annotations

from ..models.chat_history import ChatPreset
from ..models.llama import SamplingParams

BUILTIN_PRESETS: tuple[ChatPreset, ...] = (
    ChatPreset(
        name="balanced",
        description="Everyday chat: the app's usual sampling.",
        system_prompt="You are a helpful assistant.",
        sampling=SamplingParams(),
        builtin=True,
    ),
    ChatPreset(
        name="precise",
        description="Facts, summaries and extraction: little randomness.",
        system_prompt="You are a careful assistant. Answer accurately and concisely; say when you are unsure.",
        sampling=SamplingParams(temperature=0.2, top_p=0.9, top_k=20, min_p=0.1),
        builtin=True,
    ),
    ChatPreset(
        name="creative",
        description="Stories and brainstorming: more varied wording.",
        system_prompt="You are an imaginative writer. Be vivid and original.",
        sampling=SamplingParams(temperature=1.1, top_p=0.98, top_k=80, min_p=0.02, repeat_penalty=1.05),
        builtin=True,
    ),
    ChatPreset(
        name="coder",
        description="Programming help: code blocks, low temperature.",
        system_prompt="You are an expert programmer. Answer with working code in fenced blocks "
        "and short explanations.",
        sampling=SamplingParams(temperature=0.3, top_p=0.9, top_k=40, min_p=0.05, repeat_penalty=1.0),
        builtin=True,
    ),
)

BUILTIN_NAMES = frozenset(p.name for p in BUILTIN_PRESETS)
