"""What the message box understands besides text: `/commands` and `@mentions`.

`/tool NAME message` sends the message with the tool NAME offered and the model made to
call it (`tool_choice` naming it): small models rarely choose a tool on their own.
`@server` in a message offers that server's tools for that answer (the core reads it);
here the mention being typed is found and completed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MENTION = re.compile(r"(?:^|(?<=\s))@([A-Za-z0-9_-]*)$")


@dataclass(frozen=True)
class SlashCommand:
    name: str  # without the slash: "tool"
    argument: str  # the rest of the line, and the lines after it


def slash_command(text: str) -> SlashCommand | None:
    """`/name rest` at the start of the message; None for a message that is only text (a
    path such as `/usr/bin` with nothing after it is text too)."""
    match = re.match(r"^/([a-z]+)(?:\s+(.*))?$", text.strip(), re.DOTALL)
    if match is None:
        return None
    return SlashCommand(match.group(1), (match.group(2) or "").strip())


@dataclass(frozen=True)
class ForcedTool:
    tool: str
    text: str


def forced_tool(command: SlashCommand) -> ForcedTool | None:
    """`/tool NAME message`: None when the name or the message is missing."""
    name, _, text = command.argument.partition(" ")
    if command.name != "tool" or not name or not text.strip():
        return None
    return ForcedTool(name, text.strip())


def mention_at(text: str, cursor: int) -> tuple[int, str] | None:
    """(where the `@` is, what follows it so far) when the cursor ends an @mention."""
    match = MENTION.search(text[:cursor])
    if match is None:
        return None
    return match.start(1) - 1, match.group(1)


def mention_choices(prefix: str, names: list[str], limit: int = 6) -> list[str]:
    """Provider names starting with what was typed (case aside), shortest first."""
    low = prefix.lower()
    found = [n for n in names if n.lower().startswith(low) and n.lower() != low]
    return sorted(found, key=lambda n: (len(n), n))[:limit]


def complete_mention(text: str, cursor: int, name: str) -> tuple[str, int]:
    """The text with the mention at the cursor completed to `@name ` and the new cursor."""
    found = mention_at(text, cursor)
    if found is None:
        return text, cursor
    start, _prefix = found
    done = f"@{name} "
    rest = text[cursor:]
    if rest.startswith(" "):
        rest = rest[1:]
    return text[:start] + done + rest, start + len(done)
