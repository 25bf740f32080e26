"""Presets: the ones shipped with the app, and the user's, kept in the chat store."""

from __future__ import annotations

from ..errors import N_, AlreadyExists, InvalidParams, NotFound
from ..interfaces.chat_store import ChatStore
from ..models.chat_history import ChatPreset, ChatSession, PresetSpec
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


class PresetBook:
    """Lists, finds, saves and deletes presets; built-in ones cannot be replaced or deleted."""

    def __init__(self, store: ChatStore) -> None:
        self.store = store

    def list(self) -> list[ChatPreset]:
        return [*BUILTIN_PRESETS, *self.store.list_presets()]

    def get(self, name: str) -> ChatPreset:
        for preset in self.list():
            if preset.name == name:
                return preset
        raise NotFound(N_("no preset {name!r}; see `llamadesk call chat.presets`"), name=name)

    def of(self, session: ChatSession) -> ChatPreset | None:
        """The session's preset; None without one, or when the user deleted it since."""
        if not session.preset:
            return None
        try:
            return self.get(session.preset)
        except NotFound:
            return None

    def save(self, spec: PresetSpec) -> ChatPreset:
        if spec.name in BUILTIN_NAMES:
            raise AlreadyExists(
                N_("{name!r} is a built-in preset; save yours under another name"), name=spec.name
            )
        preset = ChatPreset(**spec.model_dump())
        self.store.save_preset(preset)
        return preset

    def delete(self, name: str) -> None:
        if name in BUILTIN_NAMES:
            raise InvalidParams(N_("{name!r} is a built-in preset and cannot be deleted"), name=name)
        if not self.store.delete_preset(name):
            raise NotFound(N_("no preset {name!r}"), name=name)
