"""Files and collections' passages in the prompt: what a user message carries, as the model reads it.

The user message keeps what was sent (`attachments`, `sources`), so the prompt is rebuilt
from the stored message alone: a regenerated answer, or a later turn, sees the same text.
Passages are numbered, so the model can cite them as [n] and the answer's `sources` say
which file, page or lines each number is.
"""

from __future__ import annotations

from ..models.chat_history import ChatMessage
from ..models.documents import Attachment, Source

INSTRUCTION = (
    "Answer from the documents below when they hold the answer, and cite the numbered "
    "passages you use as [n]. If they do not hold it, say so."
)


def with_documents(message: ChatMessage) -> str:
    """The message's text after its attached files and passages; its text alone without any."""
    if not message.attachments and not message.sources:
        return message.content
    blocks = [attachment_block(attachment) for attachment in message.attachments]
    if message.sources:
        blocks.append(INSTRUCTION)
        blocks += [source_block(source) for source in message.sources]
    return "\n\n".join([*blocks, f"Question: {message.content}"])


def attachment_block(attachment: Attachment) -> str:
    how = "the whole file" if attachment.whole else f"{len(attachment.parts)} passages of {attachment.chunks}"
    parts = []
    for part in attachment.parts:
        where = part.label()
        parts.append(f"({where})\n{part.text}" if where and not attachment.whole else part.text)
    body = "\n\n".join(parts)
    return f'<file name="{attachment.name}" ({how})>\n{body}\n</file>'


def source_block(source: Source) -> str:
    return f"{source.citation()}\n{source.text}"
