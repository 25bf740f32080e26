"""Markdown to a flat list of blocks a RecycleView can show: text (Kivy markup), code, rules.

A block is one row of the message list. Text blocks carry markup for one
Label; code blocks carry highlighted markup plus the raw code for the copy
button. Parsing is markdown-it-py's CommonMark with strikethrough.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from markdown_it import MarkdownIt
from markdown_it.token import Token

from .code_highlight import highlight
from .markup import escape

HEADING_SIZES = {1: "22sp", 2: "19sp", 3: "17sp"}


@dataclass(frozen=True)
class MarkupStyle:
    """The few colours and fonts markup needs; made from the theme."""

    code_color: str = "#f5c451"
    link_color: str = "#8fb3ff"
    muted_color: str = "#9aa1b2"
    mono_font: str = "RobotoMono-Regular"
    code_style: str = "monokai"


@dataclass(frozen=True)
class Block:
    kind: str  # "text", "code" or "rule"
    markup: str
    source: str
    language: str = ""


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False}).enable("strikethrough")


def inline_markup(children: list[Token], style: MarkupStyle) -> str:
    out: list[str] = []
    for tok in children:
        t = tok.type
        if t == "text":
            out.append(escape(tok.content))
        elif t == "softbreak":
            out.append(" ")
        elif t == "hardbreak":
            out.append("\n")
        elif t == "strong_open":
            out.append("[b]")
        elif t == "strong_close":
            out.append("[/b]")
        elif t == "em_open":
            out.append("[i]")
        elif t == "em_close":
            out.append("[/i]")
        elif t == "s_open":
            out.append("[s]")
        elif t == "s_close":
            out.append("[/s]")
        elif t == "code_inline":
            out.append(
                f"[font={style.mono_font}][color={style.code_color}]{escape(tok.content)}[/color][/font]"
            )
        elif t == "link_open":
            href = str(tok.attrs.get("href", "")).replace("]", "%5D")
            out.append(f"[ref={href}][color={style.link_color}][u]")
        elif t == "link_close":
            out.append("[/u][/color][/ref]")
        elif t == "image":
            out.append(escape(tok.content or "image"))
        else:  # html_inline and anything new: show as text, never interpret
            out.append(escape(tok.content))
    return "".join(out)


def markdown_to_blocks(text: str, style: MarkupStyle | None = None) -> list[Block]:
    """Split `text` into blocks: each paragraph, heading, list or quote is one text block."""
    style = style or MarkupStyle()
    tokens = _parser().parse(text)
    blocks: list[Block] = []
    lines: list[str] = []  # markup lines of the text block being built
    list_stack: list[list[int]] = []  # per open list: [next number] or [-1] for bullets
    quote_depth = 0

    def flush() -> None:
        nonlocal lines
        if lines:
            blocks.append(Block("text", "\n".join(lines), ""))
            lines = []

    def prefix() -> str:
        return f"[color={style.muted_color}]│[/color] " * quote_depth

    pending_item_marker = ""
    heading_level = 0
    for tok in tokens:
        t = tok.type
        if t in ("bullet_list_open", "ordered_list_open"):
            start = int(tok.attrs.get("start", 1) or 1) if t == "ordered_list_open" else -1
            list_stack.append([start])
        elif t in ("bullet_list_close", "ordered_list_close"):
            list_stack.pop()
            if not list_stack:
                flush()
        elif t == "list_item_open":
            depth = len(list_stack) - 1
            counter = list_stack[-1]
            if counter[0] < 0:
                marker = "•" if depth % 2 == 0 else "◦"
            else:
                marker = f"{counter[0]}."
                counter[0] += 1
            pending_item_marker = "    " * depth + marker + " "
        elif t == "blockquote_open":
            quote_depth += 1
        elif t == "blockquote_close":
            quote_depth -= 1
            if not quote_depth and not list_stack:
                flush()
        elif t == "heading_open":
            heading_level = int(tok.tag[1])
            if not list_stack:
                flush()
        elif t == "paragraph_open" and not list_stack and not quote_depth:
            flush()
        elif t == "inline":
            body = inline_markup(tok.children or [], style)
            if heading_level:
                size = HEADING_SIZES.get(heading_level, "16sp")
                body = f"[size={size}][b]{body}[/b][/size]"
            if pending_item_marker:
                body = pending_item_marker + body
                pending_item_marker = ""
            lines.append(prefix() + body)
        elif t == "heading_close":
            heading_level = 0
            if not list_stack:
                flush()
        elif t == "paragraph_close":
            if not list_stack and not quote_depth:
                flush()
            elif not tok.hidden:
                lines.append("")  # loose lists keep their air
        elif t in ("fence", "code_block"):
            flush()
            language = (tok.info or "").split()[0] if t == "fence" and tok.info else ""
            code = tok.content.rstrip("\n")
            blocks.append(Block("code", highlight(code, language, style.code_style), code, language))
        elif t == "hr":
            flush()
            blocks.append(Block("rule", "", "---"))
        elif t == "html_block":
            flush()
            blocks.append(Block("text", escape(tok.content.rstrip("\n")), tok.content))
    flush()
    # Loose lists leave a trailing empty line; trim it.
    return [
        Block(b.kind, b.markup.rstrip("\n"), b.source, b.language) if b.kind == "text" else b for b in blocks
    ]
