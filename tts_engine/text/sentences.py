"""Sentences: where a text's sentences end, for the chunker and for text that arrives in pieces.

One definition of a sentence end serves whole texts (`sentences`) and streams (`SentenceStream`,
Wyoming's streamed synthesis): `.!?…` and Devanagari dandas followed by whitespace, CJK full
stops with or without it, closing quotes and brackets kept with their sentence, known
abbreviations ("Dr. Smith") and decimals ("3.50") never an end. Over-long runs are cut at the
best boundary available (`fit`). The scans are linear: a run of marks is matched once, whole.
Dictionary phoneme markup (`[U.S. Army](/jˈu ɛs ˈɑɹmi/)`) is one word: nothing cuts inside it;
nor, in a stream given the dictionary that will be applied to its sentences, inside an entry's
word ("Yahoo! Answers"), even one still arriving.
"""

from __future__ import annotations

import re

from tts_engine.text.dictionary import (
    MAX_REPLACEMENT_CHARS,
    MAX_WORD_CHARS,
    PHONEME_MARKUP,
    Dictionary,
)

_CLOSERS = "\"'”’»)\\]"
_SENTENCE_END = re.compile(
    rf"(?:(?<![.!?…।॥])[.!?…।॥]++[{_CLOSERS}]*+(?=\s|$)|(?<![。！？])[。！？]++[{_CLOSERS}]*+)\s*"
)
#: Marks a sentence end starts with or carries: a tail of them may still become an end.
_END_CHARS = ".!?…।॥。！？" + _CLOSERS.replace("\\", "")
SENTENCE_MARKS = "。！？!?।"
CLAUSE_MARKS = ",;:—–，、；：…"
# A period after these is not a sentence end ("Dr. Smith", "e.g. this").
_ABBREVIATIONS = frozenset({
    "mr", "mrs", "ms", "dr", "prof", "st", "jr", "sr", "vs", "etc", "e.g", "i.e", "fig",
    "approx", "mt", "sra", "mme", "mlle",
})
# ...and after these only when a number follows ("No. 5", but "I said no. Then").
_BEFORE_NUMBER = frozenset({"no", "vol", "nr"})


Span = tuple[int, int]
# What may still become phoneme markup at the end of streamed text: "[U.S. Army](/jˈu".
_OPEN_MARKUP = re.compile(r"\[[^\]\n]*(?:\](?:\((?:/[^)/\n]*/?)?)?)?")
_MARKUP_CHARS = MAX_WORD_CHARS + MAX_REPLACEMENT_CHARS + 6


def markup_spans(text: str) -> list[Span]:
    """Where phoneme markup lies: a cut inside one would read its brackets and IPA aloud."""
    return [m.span() for m in PHONEME_MARKUP.finditer(text)] if "](/" in text else []


def inside(spans: list[Span], pos: int) -> bool:
    """Whether a cut before `pos` falls inside one of `spans`."""
    return any(start < pos < end for start, end in spans)


def _outside(spans: list[Span], pos: int) -> int:
    """`pos`, moved to the start of the markup it falls in (its end when that starts at 0)."""
    for start, end in spans:
        if start < pos < end:
            return start if start > 0 else end
    return pos


def _open_markup(text: str) -> int:
    """Where markup that is still arriving starts at the end of `text`, else len(text)."""
    at = text.rfind("[", max(0, len(text) - _MARKUP_CHARS))
    if at >= 0 and _OPEN_MARKUP.fullmatch(text, at):
        return at
    return len(text)


def is_abbreviation(text: str, end: int) -> bool:
    """Whether the "." at `end` closes a known abbreviation rather than a sentence."""
    if text[end:end + 1] != "." or text[end:end + 2] == "..":
        return False
    head = text[max(0, end - 16):end]
    word = head.rsplit(None, 1)[-1].lower().lstrip("(\"'“") if head.strip() else ""
    if word in _BEFORE_NUMBER:
        return text[end + 1:].lstrip()[:1].isdigit()
    return word in _ABBREVIATIONS


def sentences(text: str) -> list[str]:
    """Sentences with their end punctuation and trailing space; joined they give `text`."""
    out, pos = [], 0
    spans = markup_spans(text)
    for match in _SENTENCE_END.finditer(text):
        if is_abbreviation(text, match.start()) or inside(spans, match.start()):
            continue
        if match.end() > pos:
            out.append(text[pos:match.end()])
            pos = match.end()
    if pos < len(text):
        out.append(text[pos:])
    return out


def boundary(text: str, limit: int, spaces_only: bool = False) -> int:
    """The last sentence end, else clause mark, else space, within `limit`; else `limit`;
    never inside phoneme markup."""
    window, spans = text[:limit], markup_spans(text)
    groups = (" \t\n",) if spaces_only else (SENTENCE_MARKS, CLAUSE_MARKS, " \t\n")
    for marks in groups:
        at = max(window.rfind(m) for m in marks)
        while at > 0 and inside(spans, at + 1):
            at = max(window.rfind(m, 0, at) for m in marks)
        if at > 0:
            return at + 1
    return _outside(spans, limit)


def fit(text: str, limit: int) -> list[str]:
    """`text` as pieces of at most `limit` characters, cut at the best boundary available."""
    pieces = []
    while len(text) > limit:
        cut = boundary(text, limit)
        pieces.append(text[:cut])
        text = text[cut:]
    return [*pieces, text]


class SentenceStream:
    """Feed text as it arrives; get back the sentences it completed, at most `max_chars` each.

    A sentence end at the very end of what has arrived is not final yet ("3." may become
    "3.50"), so it waits for the next piece or `finish`. With `words`, the dictionary that
    will be applied to each sentence, no end inside one of its entries' words is a cut.
    """

    def __init__(self, max_chars: int = 1000, words: Dictionary | None = None) -> None:
        if max_chars < 2:
            raise ValueError("max_chars must be at least 2")
        self.max_chars = max_chars
        self.words = words if words else None
        self._buffer = ""
        self._scan_from = 0  # everything before this was searched for sentence ends already

    def add(self, text: str) -> list[str]:
        """Add a piece of text; returns every sentence now complete, and over-long runs cut."""
        buffer = self._buffer + text
        done: list[str] = []
        start = 0
        # Markup or a dictionary word still arriving holds back the ends inside it until it
        # is complete.
        spans, hold = markup_spans(buffer), _open_markup(buffer)
        if self.words is not None:
            spans += self.words.spans(buffer)
            hold = min(hold, self.words.arriving(buffer))
        for match in _SENTENCE_END.finditer(buffer, self._scan_from, hold):
            if not _final(match, hold) or is_abbreviation(buffer, match.start()) or \
                    inside(spans, match.start()):
                continue
            done += _stripped(fit(buffer[start:match.end()], self.max_chars))
            start = match.end()
        rest = buffer[start:]
        if len(rest) > self.max_chars:
            *whole, rest = fit(rest, self.max_chars)
            done += _stripped(whole)
        self._buffer = rest
        # Only the trailing run of end characters can still grow into a sentence end.
        self._scan_from = min(len(rest.rstrip(_END_CHARS + " \t\n")),
                              max(0, hold - (len(buffer) - len(rest))))
        return done

    def finish(self) -> str:
        """What is left once the text stream ends (an unterminated last sentence)."""
        rest, self._buffer, self._scan_from = self._buffer.strip(), "", 0
        return rest


def _final(match: re.Match[str], end: int) -> bool:
    """Whether a sentence end found in a stream is settled: something follows its marks
    before `end` (the end of what has arrived, or the start of markup still arriving)."""
    return match.end() < end or match.group()[-1:].isspace()


def _stripped(pieces: list[str]) -> list[str]:
    return [p.strip() for p in pieces if p.strip()]
