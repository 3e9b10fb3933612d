"""Split streamed text into sentences as they complete, so each can be spoken at once.

The work is linear in the text received: each piece is scanned once (plus the short tail a
sentence end may straddle), and at most `max_chars` wait in the buffer; longer runs without a
sentence end are cut at a clause or word boundary and spoken as they come.
"""

from __future__ import annotations

import re

# A sentence ends at . ! ? … (plus closing quotes/brackets) followed by whitespace, or at CJK
# full stops, which need no space after them.
# Matches start only where a run of marks starts, and take it whole (possessive), so a long
# run of "!!!" is scanned once rather than once per character.
_END = re.compile(
    r"""(?:(?<![.!?…])[.!?…]++["'”’)\]]*+\s+|(?<![。！？])[。！？]++["'”’)\]]*+\s*)"""
)
# Characters a sentence end starts with or carries: a tail of them may become an end.
_END_CHARS = ".!?…。！？\"'”’)]"
# Where an over-long run is best cut: after a clause mark, else at a space.
_CLAUSE = re.compile(r"[,;:—–、，；：]\s*")
_SPACE = re.compile(r"\s+")
# "Dr. Smith" is not two sentences.
_ABBREVIATIONS = frozenset(
    {"mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "vs", "etc", "e.g", "i.e", "no", "mt"}
)
# Abbreviations are short: looking this far back before a full stop is enough.
_WORD_WINDOW = 16
DEFAULT_MAX_CHARS = 1000


def _is_abbreviation(text: str, end: re.Match[str]) -> bool:
    marks = end.group().rstrip()
    if not marks.endswith("."):
        return False
    stop = end.start() + len(marks) - 1
    word = re.split(r"\s", text[max(0, stop - _WORD_WINDOW):stop])[-1].lower()
    return word in _ABBREVIATIONS


def _cut_point(text: str, limit: int) -> int:
    """Where to cut `text` (longer than `limit`) so the first part fits: clause, word, or hard."""
    floor = limit // 2
    for pattern in (_CLAUSE, _SPACE):
        ends = [m.end() for m in pattern.finditer(text, floor, limit + 1) if m.start() < limit]
        if ends:
            return min(ends[-1], limit)
    return limit


def cut_to_fit(text: str, limit: int) -> list[str]:
    """`text` in pieces of at most `limit` characters, cut at clause or word boundaries."""
    pieces: list[str] = []
    while len(text) > limit:
        cut = _cut_point(text, limit)
        pieces.append(text[:cut].strip())
        text = text[cut:]
    pieces.append(text.strip())
    return [piece for piece in pieces if piece]


class SentenceSplitter:
    """Feed text pieces; get back the sentences they completed (at most `max_chars` each)."""

    def __init__(self, max_chars: int = DEFAULT_MAX_CHARS) -> None:
        if max_chars < 2:
            raise ValueError("max_chars must be at least 2")
        self.max_chars = max_chars
        self._buffer = ""
        self._scan_from = 0  # everything before this was searched for sentence ends already

    def add(self, text: str) -> list[str]:
        """Add a piece of text; returns every sentence now complete, and over-long runs cut."""
        buffer = self._buffer + text
        sentences: list[str] = []
        start = 0
        for match in _END.finditer(buffer, self._scan_from):
            if _is_abbreviation(buffer, match):
                continue
            sentences += cut_to_fit(buffer[start:match.end()], self.max_chars)
            start = match.end()
        rest = buffer[start:]
        while len(rest) > self.max_chars:
            cut = _cut_point(rest, self.max_chars)
            if piece := rest[:cut].strip():
                sentences.append(piece)
            rest = rest[cut:]
        self._buffer = rest
        # Only the trailing run of end characters can still grow into a sentence end.
        self._scan_from = len(rest.rstrip(_END_CHARS))
        return sentences

    def finish(self) -> str:
        """What is left once the text stream ends (an unterminated last sentence)."""
        rest, self._buffer, self._scan_from = self._buffer.strip(), "", 0
        return rest
