"""MCP tool results as the text a model reads, and MCP tools as the app's ToolSpecs.

A model reads text: text blocks are joined as they are, an embedded text resource gives
its text, and everything else (images, audio, binary resources, links) is described in
words. A result with no content but structured content gives that as JSON. The whole
text is returned, however long: the core decides what the model gets to see.
"""

from __future__ import annotations

import json
from typing import Any

import mcp_types as types

from llamadesk.core.models.tools import ToolReply, ToolSpec


def reply_of(result: types.CallToolResult) -> ToolReply:
    parts = [describe_block(block) for block in result.content]
    if not parts and result.structured_content is not None:
        parts.append(json.dumps(result.structured_content, ensure_ascii=False))
    return ToolReply(text="\n".join(parts), is_error=result.is_error)


def describe_block(block: Any) -> str:
    if isinstance(block, types.TextContent):
        return block.text
    if isinstance(block, types.ImageContent):
        return f"[an image, {block.mime_type}, {_size(block.data)}, that only the user can see]"
    if isinstance(block, types.AudioContent):
        return f"[audio, {block.mime_type}, {_size(block.data)}, that only the user can hear]"
    if isinstance(block, types.EmbeddedResource):
        resource = block.resource
        if isinstance(resource, types.TextResourceContents):
            return resource.text
        kind = resource.mime_type or "binary data"
        return f"[the resource {resource.uri}: {kind}, {_size(resource.blob)}, not readable as text]"
    if isinstance(block, types.ResourceLink):
        about = f": {block.description}" if block.description else ""
        return f"[a link to the resource {block.uri} ({block.name}){about}]"
    kind = getattr(block, "type", type(block).__name__)
    return f"[{kind} content that cannot be shown as text]"


def _size(base64_data: str) -> str:
    count = len(base64_data) * 3 // 4 - base64_data[-2:].count("=")
    for unit, size in (("MB", 1e6), ("KB", 1e3)):
        if count >= size:
            return f"{count / size:.1f} {unit}"
    return f"{count} bytes"


def tool_spec(tool: types.Tool) -> ToolSpec:
    schema: dict[str, Any] = dict(tool.input_schema or {})
    schema.setdefault("type", "object")
    schema.setdefault("properties", {})
    annotations = tool.annotations
    return ToolSpec(
        name=tool.name,
        description=tool.description or tool.title or (annotations.title if annotations else None) or "",
        parameters=schema,
        read_only=bool(annotations and annotations.read_only_hint),
    )
