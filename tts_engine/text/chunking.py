"""Splitting text into chunks Kokoro can read: at most 510 phonemes each, nothing lost.

English follows Kokoro's waterfall (sentence ends `!.?…`, then `:;`, then `,—`) on misaki's
tokens; other languages go by sentences of at most ~400 characters (CJK `。！？` included), and
a chunk whose phonemes still overflow is split again. Blank lines become pauses. The first chunk
is kept short so a stream can start playing early.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from misaki.token import MToken

from tts_engine.text.g2p import ENGLISH, G2P
from tts_engine.text.g2p.english import tokens_to_phonemes, tokens_to_text
from tts_engine.text.sentences import (
    CLAUSE_MARKS,
    SENTENCE_MARKS,
    boundary,
    fit,
    inside,
    markup_spans,
    sentences,
)

MAX_PHONEMES = 510
MAX_CHARS = 400
# The first chunk is the first sentence when that is at most FIRST_TARGET phonemes (a few
# seconds of speech), else its first clause of FIRST_MIN to FIRST_MAX phonemes, else the whole
# sentence up to FIRST_MAX, else (English) the words that fit in FIRST_TARGET: a stream starts
# playing after one short inference. A sentence is never cut at a word when it need not be:
# "Please close the | door" ends the first chunk on a falling "the" that listeners (and Whisper)
# hear as "close that. Door".
FIRST_TARGET = 60
FIRST_MIN = 12
FIRST_MAX = 150
# After the first chunk, English chunks grow by RAMP times at most (each is synthesised while
# the one before plays, and the engine runs several times faster than real time) up to the
# caller's limit: short steps keep the scheduler fair and cancelling cheap.
RAMP = 3
PARAGRAPH_PAUSE_S = 0.6
# Sentences handed to English G2P at a time, so the first chunk doesn't wait for all the text.
ENGLISH_BLOCK_CHARS = 1500

WATERFALL = ("!.?…", ":;", ",—")
_ALL_MARKS = frozenset("".join(WATERFALL))
_PARAGRAPH = re.compile(r"\n[ \t\r\f\v]*\n\s*")


@dataclass(frozen=True)
class Chunk:
    """A piece of the text, its phonemes, and the silence that follows it (seconds)."""

    text: str
    phonemes: str
    pause_after: float = 0.0


def paragraphs(text: str) -> list[str]:
    """Non-empty paragraphs (separated by blank lines)."""
    return [p.strip() for p in _PARAGRAPH.split(text) if p.strip()]


class _Ramp:
    """The phoneme limit of each chunk: growing from the first chunk's size to `cap`."""

    def __init__(self, cap: int) -> None:
        self.cap = max(FIRST_MIN, min(cap, MAX_PHONEMES))
        self.limit = min(self.cap, FIRST_TARGET * RAMP)

    def grow(self) -> None:
        self.limit = min(self.cap, self.limit * RAMP)


def iter_chunks(
    text: str, lang: str, g2p: G2P, max_phonemes: int = MAX_PHONEMES
) -> Iterator[Chunk]:
    """Chunks of `text` in order, lazily (each paragraph is phonemized when reached); none
    over `max_phonemes` (at most the model's 510)."""
    paras = paragraphs(text)
    first = True
    ramp = _Ramp(max_phonemes)
    for i, para in enumerate(paras):
        pieces = _english(para, lang, g2p, first, ramp) if lang in ENGLISH else _other(
            para, lang, g2p, first, ramp.cap
        )
        pending: Chunk | None = None
        for piece in pieces:
            if pending is not None:
                yield pending
            pending, first = piece, False
        if pending is not None:
            pause = PARAGRAPH_PAUSE_S if i < len(paras) - 1 else 0.0
            yield Chunk(pending.text, pending.phonemes, pause)


# --- English: waterfall on misaki tokens -------------------------------------------------


def _english(para: str, lang: str, g2p: G2P, first: bool, ramp: _Ramp) -> Iterator[Chunk]:
    for block in _blocks(para, first):
        tokens = g2p.english_tokens(lang, block)
        if first:
            cut = _first_cut(tokens)
            if cut < len(tokens):
                yield from _english_runs([tokens[:cut]], ramp.cap)
                tokens = tokens[cut:]
            first = False
        yield from _english_runs(_waterfall(tokens, ramp), ramp.cap)


def _english_runs(runs: Iterable[list[MToken]], cap: int) -> Iterator[Chunk]:
    for run in runs:
        ps = tokens_to_phonemes(run)
        if len(ps) > cap:  # one token longer than the window
            yield from _split_phonemes(tokens_to_text(run), ps, cap)
        elif run:
            yield Chunk(tokens_to_text(run), ps)


def _blocks(para: str, first: bool) -> Iterator[str]:
    """Groups of whole sentences; the very first group is one sentence (short first chunk)."""
    block = ""
    for sentence in sentences(para):
        for part in fit(sentence, ENGLISH_BLOCK_CHARS):
            if block and (first or len(block) + len(part) > ENGLISH_BLOCK_CHARS):
                yield block
                block, first = "", False
            block += part
    if block.strip():
        yield block


def _is_break(token: MToken, marks: Iterable[str]) -> bool:
    """Punctuation a chunk may end on; a hyphen inside a word ("open-weight") is not."""
    return bool(token.phonemes) and token.phonemes in marks and (
        bool(token.whitespace) or token.phonemes in "!.?…"
    )


def _first_cut(tokens: list[MToken]) -> int:
    """How many tokens the first chunk takes (see FIRST_TARGET)."""
    ends, total = [], 0  # ends[i]: phonemes in tokens[:i + 1]
    for token in tokens:
        total += len(token.phonemes or "")
        ends.append(total)
        total += 1 if token.whitespace else 0
    if not tokens or ends[-1] <= FIRST_TARGET:
        return len(tokens)
    for i, token in enumerate(tokens[:-1]):  # the sentence's own end is no clause
        if _is_break(token, _ALL_MARKS) and ends[i] >= FIRST_MIN:
            if ends[i] <= FIRST_MAX:
                return i + 1
            break
    if ends[-1] <= FIRST_MAX:
        return len(tokens)
    fitting = [i for i, end in enumerate(ends) if end <= FIRST_TARGET]
    return fitting[-1] + 1 if fitting else len(tokens)


def _waterfall(tokens: list[MToken], ramp: _Ramp) -> Iterator[list[MToken]]:
    """Runs of tokens within the ramp's limit, cut at the strongest punctuation that fits."""
    run: list[MToken] = []
    for token in tokens:
        if run and len(tokens_to_phonemes([*run, token])) > ramp.limit:
            cut = _cut(run, token, ramp.limit)
            yield run[:cut]
            ramp.grow()
            run = run[cut:]
        run.append(token)
    if run:
        yield run


def _cut(run: list[MToken], nxt: MToken, limit: int) -> int:
    """Where to end the chunk: after the last strong punctuation that leaves the rest fitting."""
    for marks in WATERFALL:
        for i in range(len(run) - 1, 0, -1):
            if _is_break(run[i - 1], marks):
                if len(tokens_to_phonemes([*run[i:], nxt])) <= limit:
                    return i
                break
    return len(run)


# --- Other languages: sentences of at most ~400 characters --------------------------------


def _other(para: str, lang: str, g2p: G2P, first: bool, cap: int) -> Iterator[Chunk]:
    for piece in _groups(para, first):
        if first:
            head, piece = _first_piece(piece, lang, g2p)
            if head:
                yield from _phonemized(head, lang, g2p, cap)
            first = False
        if piece.strip():
            yield from _phonemized(piece, lang, g2p, cap)


def _groups(para: str, first: bool) -> Iterator[str]:
    """Sentences packed up to MAX_CHARS; an over-long sentence is cut at clauses, then spaces.

    With `first`, the first group is the first sentence alone."""
    group = ""
    for sentence in sentences(para):
        for part in fit(sentence, MAX_CHARS):
            if group and (first or len(group) + len(part) > MAX_CHARS):
                yield group
                group, first = "", False
            group += part
    if group.strip():
        yield group


def _first_piece(text: str, lang: str, g2p: G2P) -> tuple[str, str]:
    """Split the first sentence into (first chunk, rest), as `_first_cut` does for English."""
    ps = g2p.phonemize(lang, text)
    if len(ps) <= FIRST_TARGET:
        return text, ""
    spans = markup_spans(text)
    for mark in re.finditer(f"[{re.escape(CLAUSE_MARKS + SENTENCE_MARKS)}]", text):
        if inside(spans, mark.end()):
            continue  # never inside dictionary phoneme markup
        head = text[:mark.end()]
        size = len(g2p.phonemize(lang, head))
        if size >= FIRST_MIN:
            if size <= FIRST_MAX:
                return head, text[mark.end():]
            break
    # Characters are a fair proxy for phonemes within one sentence.
    cut = boundary(text, max(1, len(text) * FIRST_TARGET // len(ps)), spaces_only=True)
    return text[:cut], text[cut:]


def _phonemized(text: str, lang: str, g2p: G2P, cap: int) -> Iterator[Chunk]:
    """Phonemize `text`; halve it and try again while its phonemes exceed `cap`."""
    ps = g2p.phonemize(lang, text)
    if len(ps) <= cap:
        yield Chunk(text, ps)
        return
    half = boundary(text, max(1, len(text) // 2))
    if half >= len(text):
        yield from _split_phonemes(text, ps, cap)
        return
    yield from _phonemized(text[:half], lang, g2p, cap)
    yield from _phonemized(text[half:], lang, g2p, cap)


def _split_phonemes(text: str, ps: str, cap: int = MAX_PHONEMES) -> Iterator[Chunk]:
    """Last resort for an unsplittable word: cut the phonemes themselves at spaces."""
    while ps:
        cut = len(ps) if len(ps) <= cap else ps.rfind(" ", 0, cap) + 1
        if cut <= 0:
            cut = cap
        yield Chunk(text, ps[:cut].strip())
        text, ps = "", ps[cut:].lstrip()
