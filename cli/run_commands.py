"""The slash commands of `llamadesk run`'s interactive chat (Ollama's, where they exist).

A line that starts with `/` is a command, never a message to the model: `/help` lists
them, an unknown one says so. The state they change (system prompt, parameters, the
conversation, the saved chat it goes on in) is a `RunState` the chat loop reads.
"""

from __future__ import annotations

import sys
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from llamadesk.core.commands import CommandError, CommandTable
from llamadesk.core.models.chat import Role
from llamadesk.core.models.chat_history import ChatExport, ChatMessage, ChatSession, ChatTranscript
from llamadesk.core.models.chat_params import GetChatParams, ImportParams, RenameParams, UpdateChatParams
from llamadesk.core.models.library import ModelDetails, ReferenceParams
from llamadesk.core.models.llama import RuntimeStatus, SamplingParams, StatusParams

HINT = "Type a message; /help lists the commands, /bye (or Ctrl+D) leaves."
EXIT_WORDS = {"/bye", "/exit", "/quit"}
HELP = """\
  /set parameter NAME VALUE   set a sampling parameter for this chat (temperature, top_p,
                              top_k, min_p, repeat_penalty, max_tokens, seed); no VALUE
                              puts the settings' value back
  /set system TEXT            the system prompt (no TEXT: none)
  /show [info|parameters|system]
                              the model, the parameters in use, the system prompt
  /clear                      forget the conversation and start again
  /save [TITLE]               keep the conversation as a saved chat
  /load CHAT_ID               go on with a saved chat (see `llamadesk chats`)
  /help                       this list
  /bye                        leave (Ctrl+D too)"""
PARAMETERS = ("temperature", "top_p", "top_k", "min_p", "repeat_penalty", "max_tokens", "seed")


@dataclass
class RunState:
    """What the interactive chat keeps between turns."""

    model: str
    sampling: dict[str, Any]  # the settings' sampling, with the command line's and /set's over it
    system: str | None = None
    history: list[dict[str, str]] = field(default_factory=list)  # user and assistant turns
    session_id: str | None = None  # the saved chat the turns go into (--chat, --tools, /load)
    chat_mode: bool = False  # turns are chat.send on session_id (kept by the app)

    def messages(self) -> list[dict[str, str]]:
        system = [{"role": "system", "content": self.system}] if self.system else []
        return [*system, *self.history]


def is_command(line: str) -> bool:
    return line.strip().startswith("/")


def run_command(line: str, state: RunState, commands: CommandTable) -> bool:
    """Do the command on `line`; False when it ends the chat."""
    words = line.strip().split(maxsplit=2)
    name = words[0].lower()
    if name in EXIT_WORDS:
        return False
    handlers = {
        "/help": lambda: _say(HELP),
        "/?": lambda: _say(HELP),
        "/set": lambda: _set(words[1:], line, state, commands),
        "/show": lambda: _show(words[1] if len(words) > 1 else "info", state, commands),
        "/clear": lambda: _clear(state),
        "/save": lambda: _save(line.strip()[len(words[0]) :].strip(), state, commands),
        "/load": lambda: _load(words[1] if len(words) > 1 else "", state, commands),
    }
    handler = handlers.get(name)
    if handler is None:
        _say(f"Unknown command {name!r}. /help lists them.")
        return True
    try:
        handler()
    except CommandError as error:
        _say(f"error: {error.message}")
    return True


def _say(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def _set(words: list[str], line: str, state: RunState, commands: CommandTable) -> None:
    what = words[0].lower() if words else ""
    if what == "system":
        text = line.strip().split(maxsplit=2)[2] if len(line.strip().split(maxsplit=2)) > 2 else ""
        state.system = text.strip().strip('"') or None
        if state.chat_mode and state.session_id:  # the saved chat's own prompt
            params = UpdateChatParams(session_id=state.session_id, system_prompt=state.system or "")
            commands.invoke("chat.update", params)
        _say("Set the system prompt." if state.system else "No system prompt now.")
        return
    if what != "parameter" or len(words) < 2:
        _say("Write /set parameter NAME VALUE, or /set system TEXT.")
        return
    name, _, value = words[1].partition(" ")
    if name not in PARAMETERS:
        _say(f"Unknown parameter {name!r}: {', '.join(PARAMETERS)}.")
        return
    changed = dict(state.sampling)
    if value.strip():
        changed[name] = value.strip()
    else:
        changed[name] = SamplingParams.model_fields[name].default
    try:
        state.sampling = SamplingParams.model_validate(changed).model_dump()
    except ValidationError as exc:
        _say(f"{name}: {exc.errors()[0]['msg']}")
        return
    _say(f"Set {name} to {state.sampling[name]}.")


def _show(what: str, state: RunState, commands: CommandTable) -> None:
    if what == "system":
        _say(state.system or "(no system prompt)")
    elif what == "parameters":
        for name in PARAMETERS:
            _say(f"  {name:<16}{state.sampling.get(name)}")
    elif what == "info":
        _say(_model_info(state.model, commands))
    else:
        _say("Write /show info, /show parameters or /show system.")


def _model_info(model: str, commands: CommandTable) -> str:
    lines = [f"  model           {model}"]
    status = commands.invoke("runtime.status", StatusParams())
    loaded = (
        next((m for m in status.models if m.id == model), None) if isinstance(status, RuntimeStatus) else None
    )
    if loaded is not None:
        lines += [
            f"  backend         {loaded.backend} ({loaded.processor or 'CPU'})",
            f"  context         {loaded.context_size} tokens",
            f"  state           {loaded.state.value}",
        ]
        if loaded.path:
            lines.append(f"  file            {loaded.path}")
    if "models.show" in commands:
        try:
            details = commands.invoke("models.show", ReferenceParams(reference=model))
        except CommandError:
            details = None  # a file or a served model: the library does not know it
        if isinstance(details, ModelDetails):
            lines += [f"  {key:<16}{value}" for key, value in _details(details)]
    return "\n".join(lines)


def _details(details: ModelDetails) -> list[tuple[str, str]]:
    """What `llamadesk show` prints first: the GGUF's architecture, size and quantization."""
    gguf = details.gguf.model_dump() if details.gguf else {}
    count = gguf.get("parameter_count") or 0
    found = [
        ("architecture", gguf.get("architecture") or ""),
        ("parameters", f"{count / 1e9:.2f}B" if count >= 1e9 else f"{count / 1e6:.0f}M" if count else ""),
        ("quantization", gguf.get("quantization") or ""),
        ("trained context", str(gguf.get("context_length") or "")),
    ]
    return [(key, value) for key, value in found if value]


def _clear(state: RunState) -> None:
    state.history.clear()
    if state.chat_mode:
        state.session_id = None  # the next turn starts a new saved chat
    _say("Cleared the conversation.")


def _save(title: str, state: RunState, commands: CommandTable) -> None:
    if state.chat_mode and state.session_id:
        if title:
            commands.invoke("chat.rename", RenameParams(session_id=state.session_id, title=title))
        _say(
            f"This chat is saved as {state.session_id}: llamadesk run {state.model} --chat {state.session_id}"
        )
        return
    if not state.history:
        _say("Nothing to save yet.")
        return
    now = datetime.now(UTC)
    session_id = uuid.uuid4().hex
    messages: list[ChatMessage] = []
    parent = None
    for turn in state.history:
        message = ChatMessage(
            id=uuid.uuid4().hex,
            session_id=session_id,
            parent_id=parent,
            role=Role(turn["role"]),
            content=turn["content"],
            model=state.model if turn["role"] == "assistant" else None,
            created_at=now,
        )
        messages.append(message)
        parent = message.id
    session = ChatSession(
        id=session_id,
        title=title or state.history[0]["content"][:60],
        created_at=now,
        updated_at=now,
        model=state.model,
        system_prompt=state.system or "",
        active_leaf_id=parent,
    )
    document = ChatExport(session=session, messages=messages)
    saved = commands.invoke("chat.import", ImportParams(content=document.model_dump_json()))
    assert isinstance(saved, ChatSession)
    _say(f"Saved as chat {saved.id}: llamadesk run {state.model} --chat {saved.id} goes on with it.")


def _load(chat_id: str, state: RunState, commands: CommandTable) -> None:
    if not chat_id:
        _say("Write /load CHAT_ID (`llamadesk chats` lists them).")
        return
    transcript = commands.invoke("chat.get", GetChatParams(session_id=chat_id))
    assert isinstance(transcript, ChatTranscript)
    turns = [m for m in transcript.messages if m.role in (Role.USER, Role.ASSISTANT)]
    state.history = [{"role": m.role.value, "content": m.content} for m in turns]
    state.system = transcript.session.system_prompt or None
    if state.chat_mode:
        state.session_id = transcript.session.id
    _say(f"Loaded “{transcript.session.title}” ({len(turns)} messages).")
