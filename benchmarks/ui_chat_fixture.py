"""The chat benchmarks/ui_streaming.py streams into: the answer's tokens (plain Markdown, or
with tables, math and code) and the history shown above it.

Apart from the benchmark itself, which drives the window and measures its frames, because
this is data: what is streamed and shown, made the same way on every run.
"""

from __future__ import annotations

from datetime import UTC, datetime

from llamadesk.core.models.chat import Role
from llamadesk.core.models.chat_history import ChatMessage

WORDS = [
    "the",
    "model",
    "streams",
    "tokens",
    "into",
    "a",
    "chat",
    "that",
    "stays",
    "smooth",
    "while",
    "it",
    "grows",
    "longer",
    "every",
    "frame",
]


def token_stream(n: int) -> list[str]:
    """Markdown-shaped text: paragraphs, a list now and then, a code block now and then."""
    out: list[str] = []
    i = 0
    while len(out) < n:
        kind = (i // 60) % 5
        if kind == 3 and i % 60 == 0:
            out += ["```python\n"] + [f"value_{j} = compute({j})\n" for j in range(12)] + ["```\n\n"]
        elif kind == 2 and i % 12 == 0:
            out.append("\n- ")
        else:
            out.append(WORDS[i % len(WORDS)] + " ")
        if i % 60 == 59:
            out.append("\n\n")
        i += 1
    return out[:n]


def rich_token_stream(n: int) -> list[str]:
    """The same answer with a GFM table, inline and display math and a code block, over and over:
    each table and formula is drawn when its chunk is complete (and formulas rendered off
    the Kivy thread), while the next paragraph streams."""

    def block(k: int) -> list[str]:  # each formula differs: every one is rendered
        table = ["| model ", "| size ", "| speed |\n", "|:--", "|--:", "|:-:|\n"]
        for i in range(4):
            table += [f"| smol-{k}-{i} ", f"| {98 + i} MB ", f"| {180 - i} |\n"]
        return [
            *[WORDS[i % len(WORDS)] + " " for i in range(40)],
            "\n\n",
            *table,
            "\n",
            "the ",
            "energy ",
            "is ",
            "$E ",
            "= ",
            f"mc^{{{k + 2}}}$ ",
            "and ",
            "more.\n\n",
            "$$\n",
            "\\int_0^1 ",
            f"x^{{{k + 2}}}\\,dx ",
            "= ",
            f"\\frac{{1}}{{{k + 3}}}\n",
            "$$\n\n",
            "```python\n",
            *[f"value_{j} = compute({j})\n" for j in range(6)],
            "```\n\n",
        ]

    out: list[str] = []
    while len(out) < n:
        out += block(len(out))
    return out[:n]


def messages(n: int) -> list[ChatMessage]:
    """A branch as chat.get returns it, alternating questions and Markdown answers."""
    out: list[ChatMessage] = []
    parent = None
    now = datetime.now(UTC)
    for i in range(n):
        role = Role.USER if i % 2 == 0 else Role.ASSISTANT
        text = (
            f"Question {i}: how do I keep the UI smooth?"
            if role is Role.USER
            else f"Answer {i}. Keep **work** off the main thread, batch `events` per frame.\n\n"
            "- use a RecycleView\n- freeze finished blocks\n\n```python\nprint('hello')\n```"
        )
        out.append(
            ChatMessage(
                id=f"m{i}", session_id="bench", parent_id=parent, role=role, content=text, created_at=now
            )
        )
        parent = f"m{i}"
    return out
