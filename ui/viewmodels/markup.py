"""Kivy text markup helpers: escaping, colours, fonts."""

from __future__ import annotations


def escape(text: str) -> str:
    """Make arbitrary text safe inside a markup Label (`[` starts a tag, `&` an entity)."""
    return text.replace("&", "&amp;").replace("[", "&bl;").replace("]", "&br;")


def colored(text: str, hex_color: str) -> str:
    return f"[color={hex_color}]{text}[/color]"
