"""Markdown to a flat list of blocks a message body shows: text (Kivy markup), code, rules,
tables, display math, and text with inline math.

Text blocks carry markup for one Label; code blocks carry highlighted markup plus the raw
code for the copy button; a table its cells' markup and columns' alignment; math its TeX.
Every block's `markup` is also a plain rendering of it (a table's or formula's source),
which a streaming answer shows until the block is complete. Parsing is markdown-it-py's
CommonMark with GFM's strikethrough and tables, and mdit-py-plugins' task lists and
dollar math (`$inline$`, `$$display$$`; `$5 and $10` stays text).
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.dollarmath import dollarmath_plugin
from mdit_py_plugins.tasklists import tasklists_plugin

from .code_highlight import highlight
from .markup import escape, in_script_font

HEADING_SIZES = {1: "22sp", 2: "19sp", 3: "17sp"}


@lru_cache(maxsize=1)
def find_symbol_font() -> str:
    """A font with ☐ and ☑ (Roboto, Kivy's default, has neither): DejaVu Sans, which ships
    with matplotlib (the math renderer), found without importing it."""
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or spec.origin is None:
        return ""
    path = Path(spec.origin).parent / "mpl-data" / "fonts" / "ttf" / "DejaVuSans.ttf"
    return str(path) if path.exists() else ""


@dataclass(frozen=True)
class MarkupStyle:
    """The few colours and fonts markup needs; made from the theme."""

    code_color: str = "#f5c451"
    link_color: str = "#8fb3ff"
    muted_color: str = "#9aa1b2"
    mono_font: str = "RobotoMono-Regular"
    code_style: str = "monokai"
    symbol_font: str = field(default_factory=lambda: find_symbol_font())  # has the ballot boxes
    script_font: str = ""  # a font with CJK glyphs, for such runs in prose (markup.in_script_font)


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]  # each cell's markup
    rows: tuple[tuple[str, ...], ...]
    aligns: tuple[str, ...]  # "left", "center" or "right" per column


@dataclass(frozen=True)
class Segment:
    """A piece of a paragraph with inline math: a word of markup (with its trailing space),
    or a formula's TeX."""

    kind: str  # "word" or "math"
    text: str


@dataclass(frozen=True)
class Block:
    kind: str  # "text", "code", "rule", "table", "math" (display) or "rich" (text with inline math)
    markup: str
    source: str
    language: str = ""
    table: Table | None = None
    segments: tuple[Segment, ...] = ()


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    return (
        MarkdownIt("commonmark", {"html": False})
        .enable(["strikethrough", "table"])
        .use(tasklists_plugin)
        .use(dollarmath_plugin, allow_space=False, allow_digits=False, double_inline=True)
    )


def _checkbox(tok: Token, style: MarkupStyle) -> str:
    checked = 'checked="checked"' in tok.content
    if not style.symbol_font:
        return "[x] " if checked else "[ ] "
    return f"[font={style.symbol_font}]{'☑' if checked else '☐'}[/font]"


def math_source(tex: str, display: bool = False) -> str:
    """A formula as text: what shows while it renders, or if it does not parse."""
    return f"$${tex}$$" if display else f"${tex}$"


def inline_markup(children: list[Token], style: MarkupStyle) -> str:
    out: list[str] = []
    for tok in children:
        t = tok.type
        if t in ("math_inline", "math_inline_double"):
            code = escape(math_source(tok.content, t == "math_inline_double"))
            out.append(f"[font={style.mono_font}][color={style.code_color}]{code}[/color][/font]")
        elif t == "html_inline" and "task-list-item-checkbox" in tok.content:
            out.append(_checkbox(tok, style))
        elif t == "text":
            out.append(in_script_font(escape(tok.content), style.script_font))
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


# Inline tokens that open or close a style, and the markup of each.
STYLE_TAGS = {
    "strong_open": "[b]",
    "em_open": "[i]",
    "s_open": "[s]",
}
STYLE_CLOSES = {"strong_close": "strong_open", "em_close": "em_open", "s_close": "s_open"}


def inline_segments(children: list[Token], style: MarkupStyle) -> tuple[Segment, ...]:
    """A paragraph with inline math as words and formulas, each word carrying the styles open
    around it, so a flow layout can wrap it between words."""
    segments: list[Segment] = []
    open_tags: list[str] = []

    def word(markup: str) -> None:
        opened = "".join(open_tags)
        closed = "".join("[/" + tag[1:] for tag in reversed(open_tags))
        segments.append(Segment("word", opened + markup + closed))

    for tok in children:
        t = tok.type
        if t in ("math_inline", "math_inline_double"):
            segments.append(Segment("math", tok.content))
        elif t in STYLE_TAGS:
            open_tags.append(STYLE_TAGS[t])
        elif t in STYLE_CLOSES:
            if STYLE_TAGS[STYLE_CLOSES[t]] in open_tags:
                open_tags.remove(STYLE_TAGS[STYLE_CLOSES[t]])
        elif t in ("text", "softbreak", "hardbreak"):
            pieces = (" " if t != "text" else tok.content).split(" ")
            for number, piece in enumerate(pieces):
                content = piece + (" " if number < len(pieces) - 1 else "")
                if content:  # a word with the space after it; a lone space between a formula and a word
                    word(in_script_font(escape(content), style.script_font))
        else:  # code, links, images: their markup as one word
            word(inline_markup([tok], style))
    return tuple(segments)


def _table(tokens: list[Token], start: int, style: MarkupStyle) -> tuple[Table, int]:
    """The table opening at tokens[start]; the index after its table_close."""
    header: list[str] = []
    rows: list[list[str]] = []
    aligns: list[str] = []
    in_head = False
    index = start
    while index < len(tokens):
        tok = tokens[index]
        t = tok.type
        if t == "table_close":
            break
        if t == "thead_open":
            in_head = True
        elif t == "thead_close":
            in_head = False
        elif t == "tr_open" and not in_head:
            rows.append([])
        elif t == "th_open":
            align = str(tok.attrs.get("style", "")).removeprefix("text-align:") or "left"
            aligns.append(align)
        elif t == "inline":
            cell = inline_markup(tok.children or [], style)
            (header if in_head else rows[-1]).append(f"[b]{cell}[/b]" if in_head else cell)
        index += 1
    width = len(header)
    body = tuple(tuple((row + [""] * width)[:width]) for row in rows)
    return Table(tuple(header), body, tuple(aligns)), index + 1


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
    index = 0
    while index < len(tokens):
        tok = tokens[index]
        index += 1
        t = tok.type
        if t == "table_open":
            flush()
            table, index = _table(tokens, index - 1, style)
            source = _source_lines(tok, text)
            blocks.append(Block("table", escape(source), source, table=table))
            continue
        if t == "math_block":
            flush()
            tex = tok.content.strip()
            blocks.append(Block("math", escape(math_source(tex, True)), tex))
            continue
        if (
            t == "inline"
            and not list_stack
            and not quote_depth
            and not heading_level
            and any(c.type.startswith("math_inline") for c in tok.children or [])
        ):
            flush()
            segments = inline_segments(tok.children or [], style)
            blocks.append(
                Block("rich", inline_markup(tok.children or [], style), tok.content, segments=segments)
            )
            continue
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
            if "task-list-item" in str(tok.attrs.get("class", "")):
                pending_item_marker = "    " * depth  # its checkbox opens the item's text
                continue
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


def _source_lines(tok: Token, text: str) -> str:
    """The Markdown a block token was parsed from (its `map`: first line, line after)."""
    begin, end = tok.map or (0, 0)
    return "\n".join(text.splitlines()[begin:end])
