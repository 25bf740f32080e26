"""chat.* commands: sessions, answers, branches, search, export/import and presets.

Thin: each translates params and calls `app.chat` (core/services/chat.py).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import N_, InvalidParams, NotFound, StorageError
from ..models.chat_history import (
    ChatEditResult,
    ChatMessage,
    ChatPreset,
    ChatReply,
    ChatSession,
    ChatTranscript,
    PresetSpec,
    SearchPage,
    SearchQuery,
    SessionPage,
    UnsavedMessages,
)
from ..models.chat_params import (
    AnswerParams,
    EditParams,
    ExportParams,
    ExportResult,
    GetChatParams,
    ImportParams,
    ListChatsParams,
    NewChatParams,
    PresetList,
    PresetNameParams,
    RateParams,
    RegenerateParams,
    RenameParams,
    SendParams,
    SessionParams,
    StopResult,
    SwitchBranchParams,
    TitleParams,
    UnsavedParams,
    UpdateChatParams,
)
from ..models.commands import Empty
from ..services.chat_tool_use import ToolRequest
from .context import CommandContext
from .spec import CommandSpec

if TYPE_CHECKING:
    from ..services.chat import ChatService


def chat_commands(chat: Callable[[], ChatService]) -> list[CommandSpec]:
    """`chat` gives the service once the app has opened the store (at start)."""

    def new(params: NewChatParams, ctx: CommandContext) -> ChatSession:
        return chat().new_session(**params.model_dump())

    def list_(params: ListChatsParams, ctx: CommandContext) -> SessionPage:
        return chat().list_sessions(**params.model_dump())

    def get(params: GetChatParams, ctx: CommandContext) -> ChatTranscript:
        return chat().transcript(params.session_id, limit=params.limit, before_id=params.before_id)

    def rename(params: RenameParams, ctx: CommandContext) -> ChatSession:
        return chat().update_session(params.session_id, title=params.title)

    def update(params: UpdateChatParams, ctx: CommandContext) -> ChatSession:
        changes = params.model_dump(exclude={"session_id"})
        return chat().update_session(params.session_id, **changes)

    def delete(params: SessionParams, ctx: CommandContext) -> Empty:
        chat().delete_session(params.session_id)
        return Empty()

    def search(params: SearchQuery, ctx: CommandContext) -> SearchPage:
        return chat().search(params)

    def send(params: SendParams, ctx: CommandContext) -> ChatReply:
        if params.session_id is None and params.model is None:
            raise InvalidParams(N_("give a session_id, or a model to start a new chat with"))
        session_id = params.session_id or chat().new_session(model=params.model).id
        return chat().send(
            session_id,
            params.content,
            model=params.model,
            sampling=params.sampling,
            tools=_tool_request(params),
            files=params.files,
            collections=params.collections,
            on_event=ctx.emit,
            token=ctx.token,
        )

    def stop(params: SessionParams, ctx: CommandContext) -> StopResult:
        return StopResult(stopped=chat().stop(params.session_id))

    def regenerate(params: RegenerateParams, ctx: CommandContext) -> ChatReply:
        return chat().regenerate(
            params.session_id,
            params.message_id,
            model=params.model,
            sampling=params.sampling,
            tools=_tool_request(params),
            on_event=ctx.emit,
            token=ctx.token,
        )

    def edit(params: EditParams, ctx: CommandContext) -> ChatEditResult:
        return chat().edit(
            params.session_id,
            params.message_id,
            params.content,
            generate=params.generate,
            model=params.model,
            sampling=params.sampling,
            tools=_tool_request(params),
            on_event=ctx.emit,
            token=ctx.token,
        )

    def switch_branch(params: SwitchBranchParams, ctx: CommandContext) -> ChatTranscript:
        return chat().switch_branch(params.session_id, params.message_id)

    def unsaved(params: UnsavedParams, ctx: CommandContext) -> UnsavedMessages:
        target = Path(params.export_to).expanduser() if params.export_to else None
        return chat().unsaved_messages(save=params.save, export_to=target)

    def rate(params: RateParams, ctx: CommandContext) -> ChatMessage:
        return chat().rate(params.session_id, params.message_id, params.rating)

    def export(params: ExportParams, ctx: CommandContext) -> ExportResult:
        content = chat().export(params.session_id, params.format.value)
        if params.path:
            target = Path(params.path).expanduser()
            try:
                target.write_text(content, encoding="utf-8")
            except OSError as exc:
                raise StorageError(
                    N_("could not write {target}: {strerror}"), target=target, strerror=exc.strerror
                ) from None
        return ExportResult(format=params.format, content=content, path=params.path)

    def import_(params: ImportParams, ctx: CommandContext) -> ChatSession:
        if (params.content is None) == (params.path is None):
            raise InvalidParams(N_("give either content or path"))
        text = params.content
        if params.path is not None:
            source = Path(params.path).expanduser()
            try:
                text = source.read_text(encoding="utf-8")
            except FileNotFoundError:
                raise NotFound(N_("no file {source}"), source=source) from None
            except (OSError, UnicodeDecodeError) as exc:
                raise InvalidParams(
                    N_("could not read {source}: {error}"), source=source, error=exc
                ) from None
        assert text is not None
        return chat().import_json(text)

    def title(params: TitleParams, ctx: CommandContext) -> ChatSession:
        if params.title is not None:
            return chat().update_session(params.session_id, title=params.title)
        return chat().generate_title(params.session_id, token=ctx.token)

    def presets(params: Empty, ctx: CommandContext) -> PresetList:
        return PresetList(presets=chat().presets.list())

    def preset_save(params: PresetSpec, ctx: CommandContext) -> ChatPreset:
        return chat().presets.save(params)

    def preset_delete(params: PresetNameParams, ctx: CommandContext) -> Empty:
        chat().presets.delete(params.name)
        return Empty()

    def spec(
        id: str, title: str, description: str, params: type, result: type, handler: object, **kw: bool
    ) -> CommandSpec:
        return CommandSpec(
            id=id, title=title, description=description, params=params, result=result, handler=handler, **kw
        )

    return [
        spec("chat.new", "New chat", "Start an empty chat session.", NewChatParams, ChatSession, new),
        spec(
            "chat.list",
            "Chats",
            "Chat sessions, pinned first, then newest first, a page at a time.",
            ListChatsParams,
            SessionPage,
            list_,
        ),
        spec(
            "chat.get",
            "Open chat",
            "A session with its active branch; each message lists its siblings (other branches).",
            GetChatParams,
            ChatTranscript,
            get,
        ),
        spec("chat.rename", "Rename chat", "Set a session's title.", RenameParams, ChatSession, rename),
        spec(
            "chat.update",
            "Change chat",
            "Change a session's title, model, system prompt, preset, pinned or archived flags.",
            UpdateChatParams,
            ChatSession,
            update,
        ),
        spec(
            "chat.delete",
            "Delete chat",
            "Delete a session and all its messages.",
            SessionParams,
            Empty,
            delete,
        ),
        spec(
            "chat.search",
            "Search chats",
            "Full-text search over every message: ranked by relevance, newer first on ties, "
            "with highlighted snippets.",
            SearchQuery,
            SearchPage,
            search,
        ),
        spec(
            "chat.send",
            "Send message",
            "Append a user message to the active branch and stream the model's answer "
            "(chat.started, token and chat.title events). The answer is saved as it grows.",
            SendParams,
            ChatReply,
            send,
            streaming=True,
        ),
        spec(
            "chat.stop",
            "Stop answer",
            "Stop the answer being written in a session; the text so far is kept.",
            SessionParams,
            StopResult,
            stop,
        ),
        spec(
            "chat.regenerate",
            "Regenerate answer",
            "Write a new answer beside an existing one (a new branch) and stream it.",
            RegenerateParams,
            ChatReply,
            regenerate,
            streaming=True,
        ),
        spec(
            "chat.edit",
            "Edit message",
            "Put an edited message beside the original (a new branch); an edited user message is answered.",
            EditParams,
            ChatEditResult,
            edit,
            streaming=True,
        ),
        spec(
            "chat.switch_branch",
            "Switch branch",
            "Show the branch through a message, down to its newest answer.",
            SwitchBranchParams,
            ChatTranscript,
            switch_branch,
        ),
        spec(
            "chat.unsaved",
            "Unsaved messages",
            "Answers kept in memory because the chat store refused them (a full disk): saved now when "
            "it can, or written to a file.",
            UnsavedParams,
            UnsavedMessages,
            unsaved,
        ),
        spec(
            "chat.rate",
            "Rate answer",
            "Like (up) or dislike (down) an answer, or take the rating back (null); kept and exported.",
            RateParams,
            ChatMessage,
            rate,
        ),
        spec(
            "chat.export",
            "Export chat",
            "A session as Markdown (the branch shown) or JSON (every branch, importable).",
            ExportParams,
            ExportResult,
            export,
        ),
        spec(
            "chat.import",
            "Import chat",
            "Add a session from chat.export JSON.",
            ImportParams,
            ChatSession,
            import_,
        ),
        spec(
            "chat.title",
            "Title chat",
            "Set a session's title, or let its model write one from the first exchange.",
            TitleParams,
            ChatSession,
            title,
            streaming=True,
        ),
        spec("chat.presets", "Presets", "Built-in and user presets.", Empty, PresetList, presets),
        spec(
            "chat.preset_save",
            "Save preset",
            "Save a user preset (system prompt, sampling, load options); replaces one of that name.",
            PresetSpec,
            ChatPreset,
            preset_save,
        ),
        spec(
            "chat.preset_delete",
            "Delete preset",
            "Delete a user preset.",
            PresetNameParams,
            Empty,
            preset_delete,
        ),
    ]


def _tool_request(params: AnswerParams) -> ToolRequest:
    return ToolRequest(tools=params.tools, choice=params.tool_choice, approve_all=params.approve_all)
