"""Turning a Discord message into something worth saying aloud (pure functions).

Links become "a link", custom and unicode emoji their name (or nothing), mentions the display
name (the bot only speaks, it never pings), code blocks "a code block"; spoilers are skipped,
runs of one character are collapsed ("soooooo"), and long messages are cut with "and so on".
Attachments and stickers are described by kind.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Literal

import emoji as emoji_names

from tts_engine.text.dictionary import PHONEME_MARKUP

MentionKind = Literal["user", "role", "channel"]
#: Looks up a display name for a mention; None when unknown.
NameLookup = Callable[[MentionKind, int], str | None]

_CODE_BLOCK = re.compile(r"```.*?(?:```|$)", re.DOTALL)
_INLINE_CODE = re.compile(r"`([^`\n]*)`")
_SPOILER = re.compile(r"\|\|.*?(?:\|\||$)", re.DOTALL)
_MASKED_LINK = re.compile(r"\[([^\]\n]+)\]\(<?https?://[^)\s]+>?\)")
_LINK = re.compile(r"<?\b(?:https?|ftp)://[^\s>]+>?|\bwww\.[^\s>]+", re.IGNORECASE)
_CUSTOM_EMOJI = re.compile(r"<a?:([A-Za-z0-9_~]{1,32}):\d+>")
_USER = re.compile(r"<@!?(\d+)>")
_ROLE = re.compile(r"<@&(\d+)>")
_CHANNEL = re.compile(r"<#(\d+)>")
_SLASH = re.compile(r"</([\w -]+):\d+>")
_TIMESTAMP = re.compile(r"<t:(-?\d+)(?::[tTdDfFR])?>")
_EVERYONE = re.compile(r"@(everyone|here)\b")
_MARKUP = re.compile(r"(\*\*|__|~~|\*|(?<!\w)_(?=\w)|(?<=\w)_(?!\w))")
_HEADING = re.compile(r"^\s{0,3}(?:#{1,3}|-#)\s+", re.MULTILINE)
_QUOTE = re.compile(r"^>>?>?\s?", re.MULTILINE)
_SPACES = re.compile(r"\s+")
#: A run of one character, digits excepted: they are numbers and the ids inside mentions
#: ("1000000", "<@1579444447781849814>"), never spam to shorten.
_REPEATS = re.compile(r"([^\s\d])\1+")
#: Emoji read by name, or skipped.
EmojiMode = Literal["name", "skip"]
AND_SO_ON = "and so on"


def _name(lookup: NameLookup, kind: MentionKind, raw: str, fallback: str) -> str:
    name = lookup(kind, int(raw))
    return (name or fallback).replace("_", " ")


def replace_mentions(text: str, lookup: NameLookup) -> str:
    """User, role and channel mentions as names; @everyone/@here as plain words."""
    text = _USER.sub(lambda m: _name(lookup, "user", m[1], "someone"), text)
    text = _ROLE.sub(lambda m: _name(lookup, "role", m[1], "a role"), text)
    text = _CHANNEL.sub(lambda m: _name(lookup, "channel", m[1], "a channel"), text)
    text = _SLASH.sub(lambda m: f"slash {m[1]}", text)
    text = _TIMESTAMP.sub("a time", text)
    return _EVERYONE.sub(lambda m: m[1], text)


def cut(text: str, max_chars: int) -> str:
    """`text` if short enough, else its start at a word boundary followed by "and so on".

    Dictionary phoneme markup (`[word](/phonemes/)`) is never cut into: it is kept whole or
    left out whole."""
    if len(text) <= max_chars:
        return text
    room = max(1, max_chars - len(AND_SO_ON) - 3)  # ", " before it and "." after
    for markup in PHONEME_MARKUP.finditer(text, 0, room + 1):
        if markup.start() < room < markup.end():
            room = markup.start()
            break
    head = text[:room]
    spaces = [i for i in (head.rfind(" "),) if i >= 0]
    if spaces and room < len(text) and not text[room].isspace() and \
            not head.endswith(")") and not _in_markup(head, spaces[0]):
        head = head[:spaces[0]]
    return f"{head.rstrip(' ,;:.-')}, {AND_SO_ON}."


def _in_markup(text: str, index: int) -> bool:
    return any(m.start() <= index < m.end() for m in PHONEME_MARKUP.finditer(text))


def collapse_repeats(text: str, limit: int) -> str:
    """Runs of one character longer than `limit` cut to `limit` ("soooooo" -> "sooo");
    digits are left alone."""
    if limit <= 0:
        return text
    return _REPEATS.sub(lambda m: m[0] if len(m[0]) <= limit else m[1] * limit, text)


def unicode_emoji(text: str, mode: EmojiMode) -> str:
    """Unicode emoji as their English names (":red_heart:" -> "red heart"), or removed."""
    def name(chars: str, data: dict[str, str]) -> str:
        if mode == "skip":
            return " "
        return " " + data.get("en", "").strip(":").replace("_", " ") + " "
    return str(emoji_names.replace_emoji(text, replace=name))


def clean_text(text: str, lookup: NameLookup, max_chars: int, *, emoji: EmojiMode = "name",
               repeat_limit: int = 0) -> str:
    """The speakable form of a message; empty when nothing in it is worth saying."""
    text = _CODE_BLOCK.sub(" a code block ", text)
    text = _SPOILER.sub(" ", text)
    text = _INLINE_CODE.sub(r"\1", text)
    text = _MASKED_LINK.sub(r"\1", text)
    text = _LINK.sub(" a link ", text)
    text = _CUSTOM_EMOJI.sub(
        lambda m: " " if emoji == "skip" else f" {m[1].replace('_', ' ')} ", text)
    text = unicode_emoji(text, emoji)
    text = collapse_repeats(text, repeat_limit)
    text = replace_mentions(text, lookup)
    text = _HEADING.sub("", text)
    text = _QUOTE.sub("", text)
    text = _MARKUP.sub("", text)
    text = _SPACES.sub(" ", text).strip()
    text = re.sub(r"\s+([,.!?;:])", r"\1", text)
    return cut(text, max_chars) if text else ""


_KINDS = (("image/", "an image", "images"), ("video/", "a video", "videos"),
          ("audio/", "an audio file", "audio files"))


def _kind(content_type: str | None) -> tuple[str, str]:
    for prefix, one, many in _KINDS:
        if (content_type or "").startswith(prefix):
            return one, many
    return "a file", "files"


def describe_attachments(content_types: list[str | None], stickers: list[str],
                         voice_message: bool = False) -> str:
    """Attachments and stickers by kind: "an image", "2 images and a file", "a sticker: wave"."""
    if voice_message:
        parts = ["a voice message"]
    else:
        counts: dict[tuple[str, str], int] = {}
        for content_type in content_types:
            kind = _kind(content_type)
            counts[kind] = counts.get(kind, 0) + 1
        parts = [one if n == 1 else f"{n} {many}" for (one, many), n in counts.items()]
    parts += [f"a sticker: {name}" for name in stickers]
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


class NameAnnouncer:
    """Says "<name> said" before a message, but not again for the same person within
    `repeat_s` seconds (per server)."""

    def __init__(self, repeat_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.repeat_s = repeat_s
        self._clock = clock
        self._last: dict[tuple[int, int], float] = {}

    def prefix(self, guild_id: int, user_id: int, name: str, said: str | None = None) -> str:
        """"<name> said, " (or `said`) when due (and remember it), else ""."""
        now = self._clock()
        key = (guild_id, user_id)
        last = self._last.get(key)
        if last is not None and now - last < self.repeat_s:
            return ""
        self._last[key] = now
        if len(self._last) > 10_000:  # forget the stale ones so a busy bot doesn't grow forever
            self._last = {k: t for k, t in self._last.items() if now - t < self.repeat_s}
        return said if said is not None else f"{name.replace('_', ' ')} said, "

    def forget(self, guild_id: int) -> None:
        """Forget a server's announcements (the bot left its voice channel)."""
        self._last = {k: t for k, t in self._last.items() if k[0] != guild_id}
