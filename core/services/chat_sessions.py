"""`ChatSessions`: the saved chats themselves: sessions, branches, ratings, search, export and import.

`ChatService` (chat.py) adds the answers on top. Split so each file holds one job:
what is stored here, what the model writes there.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from ..errors import N_, InvalidParams, NotFound
from ..interfaces.chat_store import ChatStore
from ..models.chat import Role
from ..models.chat_history import (
    DEFAULT_TITLE,
    ChatMessage,
    ChatSession,
    ChatTranscript,
    SearchPage,
    SearchQuery,
    SessionPage,
)
from .chat_export import parse_export, to_json, to_markdown, with_new_ids
from .chat_presets import PresetBook


def utc_now() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return uuid.uuid4().hex


class ChatSessions:
    def __init__(self, store: ChatStore) -> None:
        self.store = store
        self.presets = PresetBook(store)

    def new_session(
        self,
        *,
        title: str | None = None,
        model: str | None = None,
        system_prompt: str | None = None,
        preset: str | None = None,
        tools: list[str] | None = None,
    ) -> ChatSession:
        """A new, empty session. A preset supplies the system prompt unless one is given."""
        chosen = self.presets.get(preset) if preset else None
        now = utc_now()
        session = ChatSession(
            id=new_id(),
            title=title or DEFAULT_TITLE,
            created_at=now,
            updated_at=now,
            model=model,
            system_prompt=system_prompt
            if system_prompt is not None
            else (chosen.system_prompt if chosen else ""),
            preset=preset,
            tools=tools or [],
        )
        self.store.save_session(session)
        return session

    def get_session(self, session_id: str) -> ChatSession:
        session = self.store.get_session(session_id)
        if session is None:
            raise NotFound(N_("no chat {session_id!r}; see `llamadesk chats`"), session_id=session_id)
        return session

    def list_sessions(
        self, *, offset: int = 0, limit: int = 50, include_archived: bool = False
    ) -> SessionPage:
        return self.store.list_sessions(offset=offset, limit=limit, include_archived=include_archived)

    def update_session(self, session_id: str, **changes: object) -> ChatSession:
        """Change title, model, system_prompt, preset, pinned, archived, tools or collections (None
        leaves a field as is)."""
        allowed = {"title", "model", "system_prompt", "preset", "pinned", "archived", "tools", "collections"}
        unknown = set(changes) - allowed
        if unknown:
            raise InvalidParams(N_("cannot change {fields} of a chat"), fields=", ".join(sorted(unknown)))
        updates = {k: v for k, v in changes.items() if v is not None}
        if "preset" in updates:
            self.presets.get(str(updates["preset"]))
        session = self.get_session(session_id)
        changed = ChatSession.model_validate({**session.model_dump(), **updates, "updated_at": utc_now()})
        self.store.save_session(changed)
        return changed

    def transcript(
        self, session_id: str, *, limit: int | None = None, before_id: str | None = None
    ) -> ChatTranscript:
        """The session with its active branch (the newest `limit` messages; those before
        `before_id` to page back), and the siblings of each message shown."""
        session = self.get_session(session_id)
        leaf = session.active_leaf_id
        if before_id is not None:
            leaf = self._message_in(session_id, before_id).parent_id
        if leaf is None:
            return ChatTranscript(session=session, messages=[])
        messages, siblings, total = self.store.get_active_branch(session_id, leaf, limit)
        # Built from records the store made: validating 5,000 messages again would cost ~50 ms.
        return ChatTranscript.model_construct(
            session=session, messages=messages, siblings=siblings, total=total
        )

    def rate(self, session_id: str, message_id: str, rating: str | None) -> ChatMessage:
        """Like or dislike an answer (None takes it back); kept with it and exported."""
        message = self._message_in(session_id, message_id)
        if message.role is not Role.ASSISTANT:
            raise InvalidParams(N_("only answers can be rated"))
        # Rebuilt, not model_copy: a message the store built shares a frozen fields set.
        rated = ChatMessage.model_validate({**message.model_dump(), "rating": rating})
        self.store.save_message(rated)
        return rated

    def switch_branch(self, session_id: str, message_id: str) -> ChatTranscript:
        """Show the branch through `message_id`, down to its newest leaf."""
        message = self._message_in(session_id, message_id)
        self.store.set_active_leaf(session_id, self.store.newest_leaf(message.id))
        return self.transcript(session_id)

    def search(self, query: SearchQuery) -> SearchPage:
        return self.store.search(query)

    def export(self, session_id: str, fmt: str) -> str:
        session = self.get_session(session_id)
        if fmt == "markdown":
            branch = self.store.get_branch(session.active_leaf_id) if session.active_leaf_id else []
            return to_markdown(session, branch)
        if fmt == "json":
            return to_json(session, self.store.get_tree(session_id))
        raise InvalidParams(N_("unknown export format {fmt!r}; use markdown or json"), fmt=fmt)

    def import_json(self, text: str) -> ChatSession:
        """Add a session from `chat.export` JSON; ids already in use are replaced by new ones."""
        document = parse_export(text)
        taken = self.store.get_session(document.session.id) is not None or any(
            self.store.get_message(m.id) is not None for m in document.messages
        )
        if taken:
            document = with_new_ids(document)
        self.store.import_session(document.session, document.messages)
        return self.get_session(document.session.id)

    def _message_in(self, session_id: str, message_id: str) -> ChatMessage:
        message = self.store.get_message(message_id)
        if message is None or message.session_id != session_id:
            raise NotFound(
                N_("no message {message_id!r} in chat {session_id!r}"),
                message_id=message_id,
                session_id=session_id,
            )
        return message
