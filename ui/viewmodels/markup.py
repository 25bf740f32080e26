"""Kivy text markup helpers: escaping, colours, fonts."""

from __future__ import annotations

import re


def escape(text: str) -> str:
    """Make arbitrary text safe inside a markup Label (`[` starts a tag, `&` an entity)."""
    return text.replace("&", "&amp;").replace("[", "&bl;").replace("]", "&br;")


# Chinese, Japanese and Korean text (ideographs, kana, hangul, their punctuation and full-width
# forms): Roboto, every label's font outside the Chinese window, has none of these glyphs.
CJK_RUN = re.compile(
    "[\u2e80-\u2fdf\u3000-\u30ff\u3100-\u31ff\u3200-\u4dbf\u4e00-\u9fff"
    "\ua960-\ua97f\uac00-\ud7ff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef]+"
)


def in_script_font(markup: str, font: str) -> str:
    """`markup` with its runs of CJK text in `font`: SDL_ttf draws a label from one font and
    never falls back, so a model's Chinese answer in an English window showed boxes. No
    font (none installed): as it is."""
    if not font:
        return markup
    return CJK_RUN.sub(lambda run: f"[font={font}]{run.group(0)}[/font]", markup)


def colored(text: str, hex_color: str) -> str:
    return f"[color={hex_color}]{text}[/color]"


TAG = re.compile(r"\[(/?)([a-z_]+)(=[^\]]*)?\]")
ENTITY = re.compile(r"&(amp|bl|br);")
ENTITIES = {"amp": "&", "bl": "[", "br": "]"}


def split_visible(markup: str, visible: int) -> tuple[int, str]:
    """Where the `visible`-th shown character of `markup` starts, and the tags open there.

    Returns (offset into `markup`, the opening tags still in force, in order): the text
    from that offset, behind those tags, renders as the rest of the original. Tags show
    nothing and an entity (`&amp;`, `&bl;`, `&br;`) shows one character."""
    open_tags: list[tuple[str, str]] = []  # (name, tag text)
    shown = 0
    i = 0
    while i < len(markup):
        if markup[i] == "[" and (tag := TAG.match(markup, i)):
            closing, name = tag.group(1), tag.group(2)
            if not closing:
                open_tags.append((name, tag.group(0)))
            else:  # Kivy closes the most recent tag of that name
                for k in range(len(open_tags) - 1, -1, -1):
                    if open_tags[k][0] == name:
                        del open_tags[k]
                        break
            i = tag.end()
            continue
        if shown == visible:
            break
        entity = ENTITY.match(markup, i) if markup[i] == "&" else None
        i = entity.end() if entity else i + 1
        shown += 1
    return i, "".join(text for _name, text in open_tags)


def unmarked(markup: str) -> str:
    """The characters a markup text shows: no tags, entities as what they stand for."""
    return ENTITY.sub(lambda m: ENTITIES[m.group(1)], TAG.sub("", markup))
