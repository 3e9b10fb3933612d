"""When to start playing an utterance: as soon as the audio ready will carry it to the end
without a break, at the synthesis rate measured so far (a slightly later start is better than a
silence in the middle of a sentence).

Synthesis arrives in chunks that grow (a short first one, then each up to `chunking.growth`
times the one before, which the engine reads from its synthesis rate as this module does), so
two things must hold at the start: the buffered audio outlasts the wait for the next chunk, and,
when synthesis is slower than real time, it covers the shortfall over the whole remaining text.
When the machine cannot keep up at all, the wait is capped: the listener hears something rather
than nothing.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from tts_engine.text.chunking import FIRST_MAX, GROWTH_MIN, growth

#: Seconds of speech per character of text at speed 1.0, before anything was measured.
DEFAULT_SECONDS_PER_CHAR = 0.065
#: Audio seconds synthesised per wall second, before anything was measured (a safe guess).
DEFAULT_RATE = 3.0
#: Seconds of speech per phoneme at speed 1.0 (Kokoro says ~13 phonemes a second).
SECONDS_PER_PHONEME = 0.075
#: The longest a start is held back waiting for audio.
MAX_HOLD_S = 4.0
#: A chunk that arrived sooner than this came from a cache, not from synthesis.
INSTANT_S = 0.02
#: How much sooner than the audio ready runs out the next chunk must be due at the start (the
#: rate is a smoothed guess; the chunker's own margin, `chunking.RATE_SAFETY`, comes on top
#: where the rate lets chunks grow).
START_MARGIN = 1.2
#: How many times over the audio playing must outlast synthesis that goes before its own next
#: chunk (the rate is a smoothed guess, and the machine may be busy with other work).
HEAD_START_SAFETY = 2.0
_SMOOTHING = 0.3


@dataclass
class Pacer:
    """Synthesis speed as measured on this machine, shared by every server's player."""

    rate: float = DEFAULT_RATE
    seconds_per_char: float = DEFAULT_SECONDS_PER_CHAR
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def chunk(self, audio_s: float, wall_s: float) -> None:
        """A chunk of `audio_s` seconds arrived `wall_s` after the previous one (or the ask).
        One that arrived at once (a cached clip) says nothing of the synthesis rate: counted,
        a repeated "gg" made the rate look a thousand times real time, and the next long
        message started with nothing held back and broke off mid-sentence."""
        if audio_s <= 0 or wall_s < INSTANT_S:
            return
        with self._lock:
            self.rate += _SMOOTHING * (audio_s / wall_s - self.rate)

    def utterance(self, chars: int, audio_s: float, speed: float) -> None:
        """A whole utterance of `chars` characters took `audio_s` seconds at `speed`."""
        if chars > 0 and audio_s > 0:
            with self._lock:
                spc = audio_s * speed / chars
                self.seconds_per_char += _SMOOTHING * (spc - self.seconds_per_char)

    def hold_s(self, chars: int, speed: float, fed_s: float, last_chunk_s: float) -> float:
        """Seconds of buffered audio needed before playback may start (capped)."""
        rate = max(self.rate, 0.05)
        remaining = self.remaining_s(chars, speed, fed_s)
        if remaining == 0:
            return 0.0
        next_chunk = self.next_chunk_s(chars, speed, fed_s, last_chunk_s)
        shortfall = remaining * (1 / rate - 1) if rate < 1 else 0.0
        return min(MAX_HOLD_S, max(next_chunk / rate * START_MARGIN, shortfall))

    def remaining_s(self, chars: int, speed: float, fed_s: float) -> float:
        """Seconds of speech still to come in an utterance of `chars` characters."""
        return max(0.0, chars * self.seconds_per_char / speed - fed_s)

    def next_chunk_s(self, chars: int, speed: float, fed_s: float, last_chunk_s: float) -> float:
        """Seconds of speech in the utterance's next chunk, at most: `growth` times the last
        one, or, where none of the text was made yet (`last_chunk_s` 0; a lead phrase such as
        "alice said" may be playing), the text's first chunk."""
        if last_chunk_s > 0:  # as the engine's chunker grows them
            longest = max(last_chunk_s * growth(self.rate),
                          GROWTH_MIN * SECONDS_PER_PHONEME / speed)
        else:
            longest = self.first_chunk_s(chars, speed)
        return min(self.remaining_s(chars, speed, fed_s), longest)

    def first_chunk_s(self, chars: int, speed: float) -> float:
        """Seconds of speech in the first chunk of a text of `chars` characters, at most."""
        return min(chars, FIRST_MAX) * self.seconds_per_char / speed

    def can_interleave(self, buffered_s: float, own_next_s: float, chars: int,
                       speed: float) -> bool:
        """Whether an utterance playing with `buffered_s` of audio ready (its next chunk
        `own_next_s` long at most, see `next_chunk_s`) can let the first chunk of the next
        utterance (`chars` characters at `speed`) be synthesised before its own next chunk,
        without falling silent."""
        work_s = (self.first_chunk_s(chars, speed) + own_next_s) / max(self.rate, 0.05)
        return work_s * HEAD_START_SAFETY <= buffered_s


class ChunkClock:
    """Times the chunks of one stream for a `Pacer`."""

    def __init__(self, pacer: Pacer) -> None:
        self.pacer = pacer
        self.last = time.monotonic()
        self.last_chunk_s = 0.0

    def tick(self, audio_s: float) -> None:
        """A chunk of `audio_s` seconds just arrived."""
        now = time.monotonic()
        self.pacer.chunk(audio_s, now - self.last)
        self.last, self.last_chunk_s = now, audio_s
