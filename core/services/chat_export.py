"""Sessions as Markdown (to read) and JSON (to import again)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from pydantic import ValidationError

from ..errors import N_, InvalidParams
from ..models.chat import Role
from ..models.chat_history import ChatExport, ChatMessage, ChatSession

ROLE_HEADINGS = {Role.SYSTEM: "System", Role.USER: "User", Role.ASSISTANT: "Assistant", Role.TOOL: "Tool"}


def to_markdown(session: ChatSession, branch: Sequence[ChatMessage]) -> str:
    """The active branch as Markdown: a heading per message, reasoning folded away."""
    lines = [f"# {session.title}", ""]
    facts = [f"created {session.created_at:%Y-%m-%d %H:%M} UTC"]
    if session.model:
        facts.append(f"model `{session.model}`")
    if session.preset:
        facts.append(f"preset {session.preset}")
    lines += ["_" + " · ".join(facts) + "_", ""]
    if session.system_prompt.strip():
        lines += ["## System", "", session.system_prompt.strip(), ""]
    for message in branch:
        heading = ROLE_HEADINGS[message.role]
        if message.state.value != "complete":
            heading += f" ({message.state.value})"
        if message.rating is not None:
            heading += " 👍" if message.rating == "up" else " 👎"
        lines += [f"## {heading}", ""]
        if message.reasoning.strip():
            lines += [
                "<details><summary>Reasoning</summary>",
                "",
                message.reasoning.strip(),
                "",
                "</details>",
                "",
            ]
        if message.tool_result is not None:
            lines += _tool_result_markdown(message)
            continue
        if message.content.strip():
            lines += [message.content.strip(), ""]
        for call in message.tool_calls:
            lines += [f"Called `{call.name}` with `{call.arguments}`", ""]
    return "\n".join(lines).rstrip() + "\n"


def _tool_result_markdown(message: ChatMessage) -> list[str]:
    result = message.tool_result
    assert result is not None
    fence = "````" if "```" in message.content else "```"
    status = "" if result.outcome.value == "ok" else f" ({result.outcome.value})"
    return [
        f"<details><summary>{result.name}{status}</summary>",
        "",
        fence,
        message.content.strip(),
        fence,
        "",
        "</details>",
        "",
    ]


def to_json(session: ChatSession, tree: Sequence[ChatMessage]) -> str:
    return ChatExport(session=session, messages=list(tree)).model_dump_json(indent=2)


def parse_export(text: str) -> ChatExport:
    try:
        document = ChatExport.model_validate_json(text)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "document"
        raise InvalidParams(
            N_("not a llamadesk chat export: {where}: {problem}"), where=where, problem=first["msg"]
        ) from None
    check_tree(document)
    return document


def check_tree(document: ChatExport) -> None:
    """Every message belongs to the session and its parent comes before it."""
    seen: set[str] = set()
    for message in document.messages:
        if message.session_id != document.session.id:
            raise InvalidParams(N_("message {id} belongs to another session"), id=message.id)
        if message.id in seen:
            raise InvalidParams(N_("message {id} appears twice"), id=message.id)
        if message.parent_id is not None and message.parent_id not in seen:
            raise InvalidParams(
                N_("message {id} comes before its parent {parent_id}"),
                id=message.id,
                parent_id=message.parent_id,
            )
        seen.add(message.id)
    leaf = document.session.active_leaf_id
    if leaf is not None and leaf not in seen:
        raise InvalidParams(N_("the active message {leaf} is not in the export"), leaf=leaf)


def with_new_ids(document: ChatExport) -> ChatExport:
    """The same tree under fresh ids, for importing a session that already exists."""
    new_id = {m.id: uuid.uuid4().hex for m in document.messages}
    session = document.session.model_copy(
        update={
            "id": uuid.uuid4().hex,
            "active_leaf_id": new_id.get(document.session.active_leaf_id or ""),
        }
    )
    messages = [
        m.model_copy(
            update={
                "id": new_id[m.id],
                "session_id": session.id,
                "parent_id": new_id[m.parent_id] if m.parent_id else None,
            }
        )
        for m in document.messages
    ]
    return ChatExport(session=session, messages=messages)
