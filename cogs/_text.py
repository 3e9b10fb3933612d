"""Showing what someone wrote inside a bot message: one line, no markdown, nothing invisible,
and never a ping."""

from __future__ import annotations

import re

import discord
from discord.utils import escape_markdown

#: Every reply passes this: user text must never ping @everyone, roles or members.
NO_MENTIONS = discord.AllowedMentions.none()

#: Explicit direction marks and overrides (U+202E turns the rest of a line around).
_BIDI_CONTROLS = dict.fromkeys(
    [0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)])
#: C0 controls and DEL shown as their visible symbols (U+2400 block): NUL -> ␀, ESC -> ␛.
_CONTROL_PICTURES = {**{c: 0x2400 + c for c in range(0x20)}, 0x7F: 0x2421}
#: Markdown that only counts at the start of a line: "1." lists (escape_markdown covers
#: headings, quotes and "-" items).
_LIST_START = re.compile(r"^(\d+)\.(?=\s)")


def readable(text: str) -> str:
    """`text` on one line, with direction overrides dropped and control characters visible."""
    flat = " ".join(text.split())
    return flat.translate(_BIDI_CONTROLS).translate(_CONTROL_PICTURES)


def excerpt(text: str, limit: int = 60) -> str:
    """The start of `text` on one line (see `readable`), cut with an ellipsis."""
    flat = readable(text)
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def quote_text(text: str, limit: int) -> str:
    """What someone wrote, safe to show inside a message: one line, no markdown, nothing
    invisible."""
    escaped = escape_markdown(excerpt(text, limit))
    return _LIST_START.sub(r"\1\\.", escaped)
