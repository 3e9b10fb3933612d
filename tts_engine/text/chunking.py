"""Splitting text into chunks Kokoro can read: at most 510 phonemes each, nothing lost.

English follows Kokoro's waterfall (sentence ends `!.?…`, then `:;`, then `,—`) on misaki's
tokens; other languages go by sentences of at most ~400 characters (CJK `。！？` included),
halved at their best boundaries while over the chunk's limit. Blank lines become pauses. The
first chunk is kept short so a stream can start playing early, and the limit grows from it
(`growth`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
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
# After the first chunk, chunks grow by RAMP times at most up to the caller's limit:
# short steps keep the scheduler fair and cancelling cheap. Each is synthesised while the one
# before plays, so a stream that is told its synthesis rate (`growth`) grows them only as fast
# as that rate makes them in time with a margin (RATE_SAFETY: on two busy cores one chunk took
# up to 1.8x the median), and not at all where synthesis barely keeps up.
RAMP = 3
RATE_SAFETY = 1.8
# A chunk may hold this many phonemes (~2 s of speech) however short the one before: after a
# short first chunk ("Hi!") the next is not cut into word-sized pieces.
GROWTH_MIN = 30
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


def growth(rate: float | None) -> float:
    """How many times longer than the chunk before the next may be, where synthesis makes
    `rate` seconds of speech per wall second (None: unknown, grow at the full RAMP).

    The next chunk is made while the one before plays: at 7x real time a chunk three times
    longer is ready with room to spare, at 2x it would keep the listener waiting (the player
    holds the start back rather than break off mid-message: 7.5 s of it on a 2-core AVX2 CPU
    before a 300-character message was heard). Growing by at most `rate` (with a margin),
    each chunk is made before the one before has played; where synthesis is slower than real
    time they do not grow, and the player holds the start for the shortfall (`Pacer`)."""
    if rate is None:
        return RAMP
    return min(RAMP, max(1.0, rate / RATE_SAFETY))


class _Ramp:
    """The phoneme limit of each chunk: from the first chunk's length, `growth` times more at
    each chunk (as read from `rate` when it is cut), GROWTH_MIN phonemes at least, up to
    `cap`."""

    def __init__(self, cap: int, rate: Callable[[], float | None] | None = None) -> None:
        self.cap = max(FIRST_MIN, min(cap, MAX_PHONEMES))
        self._rate = rate
        # Before the first chunk: room for a first sentence kept whole (`_first_cut`).
        self.limit = min(self.cap, FIRST_TARGET * RAMP)
        self._grown = 0  # the last limit set by a chunk; never shrinks

    def after(self, phonemes: int) -> None:
        """A chunk of `phonemes` was cut: the next may be `growth` times as long, or as long
        as the last limit grown (a chunk that ended early at a full stop shrinks nothing)."""
        rate = self._rate() if self._rate is not None else None
        base = max(phonemes, self._grown)
        self._grown = max(GROWTH_MIN, int(base * growth(rate)))
        self.limit = min(self.cap, self._grown)


def iter_chunks(
    text: str, lang: str, g2p: G2P, max_phonemes: int = MAX_PHONEMES,
    rate: Callable[[], float | None] | None = None,
) -> Iterator[Chunk]:
    """Chunks of `text` in order, lazily (each paragraph is phonemized when reached); none
    over `max_phonemes` (at most the model's 510). With `rate` (seconds of speech the caller's
    synthesis makes per wall second, None while unknown), chunks grow only as fast as they can
    be made while the one before plays (`growth`)."""
    paras = paragraphs(text)
    first = True
    ramp = _Ramp(max_phonemes, rate)
    for i, para in enumerate(paras):
        pieces = _english(para, lang, g2p, first, ramp) if lang in ENGLISH else _other(
            para, lang, g2p, first, ramp
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
                yield from _english_runs([tokens[:cut]], ramp)
                tokens = tokens[cut:]
            first = False
        yield from _english_runs(_waterfall(tokens, ramp), ramp)


def _english_runs(runs: Iterable[list[MToken]], ramp: _Ramp) -> Iterator[Chunk]:
    """The runs' chunks; each sets the ramp's limit for the next run, cut after it."""
    for run in runs:
        ps = tokens_to_phonemes(run)
        if len(ps) > ramp.cap:  # one token longer than the window
            ramp.after(ramp.cap)
            yield from _split_phonemes(tokens_to_text(run), ps, ramp.cap)
        elif run:
            ramp.after(len(ps))
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
    """Runs of tokens within the ramp's limit, cut at the strongest punctuation that fits;
    the limit is read anew after each run is yielded."""
    run: list[MToken] = []
    for token in tokens:
        if run and len(tokens_to_phonemes([*run, token])) > ramp.limit:
            cut = _cut(run, token, ramp.limit)
            yield run[:cut]  # sets the ramp's limit for the rest (`_english_runs`)
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


def _other(para: str, lang: str, g2p: G2P, first: bool, ramp: _Ramp) -> Iterator[Chunk]:
    for piece in _groups(para, first):
        if first:
            head, piece = _first_piece(piece, lang, g2p)
            if head:
                yield from _ramped(_phonemized(head, lang, g2p, ramp.cap), ramp)
            first = False
        if piece.strip():
            # A group over the ramp's limit is halved at its best boundaries until it fits.
            yield from _ramped(_phonemized(piece, lang, g2p, ramp.limit), ramp)


def _ramped(chunks: Iterator[Chunk], ramp: _Ramp) -> Iterator[Chunk]:
    """`chunks`, each setting the ramp's limit for what is cut after it."""
    for chunk in chunks:
        ramp.after(len(chunk.phonemes))
        yield chunk


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
