"""The streaming `discord.AudioSource`: 20 ms frames handed over from synthesis to the player.

Synthesis (on the event loop, inference in the engine's executor) pushes audio into a
`FrameBuffer`, at most a bounded margin ahead of playback; discord.py's player thread pulls a
frame every 20 ms through `StreamSource.read`,
which never blocks: when synthesis lags it returns silence, and it ends only when synthesis has
finished and every frame has been played.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import deque

import discord
import numpy as np

from bot.voice.pcm import DiscordPCM
from tts_engine.audio import to_pcm16

log = logging.getLogger(__name__)

FRAME_BYTES = DiscordPCM.FRAME_BYTES
SILENCE = b"\0" * FRAME_BYTES


class FrameBuffer:
    """A thread-safe FIFO of one utterance's audio, handed out as 48 kHz stereo s16le frames.

    Filled from the event loop (`feed`, `finish`), drained from the player thread (`pop`).
    What waits to be played is kept as the engine made it, 24 kHz mono 16-bit (a quarter of
    Discord's format), and converted a tenth of a second at a time as frames are taken: with
    the player's read-ahead (`until_below`) a server holds about 48 KB per second of margin.
    """

    #: 24 kHz samples converted at once when the player thread needs frames (0.1 s).
    CONVERT = 2400

    def __init__(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self._raw: deque[np.ndarray] = deque()
        self._raw_samples = 0
        self._frames: deque[bytes] = deque()
        self._lock = threading.Lock()
        #: The resampler's state (about 100 KB of native buffers): dropped once the stream has
        #: ended, since a finished buffer is still referenced (the player's recent history).
        self._pcm: DiscordPCM | None = DiscordPCM()
        self._finished = False
        self._flushed = False
        self._loop = loop or asyncio.get_running_loop()
        #: Set once the first audio exists, or synthesis ended without any.
        self.started = asyncio.Event()
        self._change = asyncio.Event()
        self._room = asyncio.Event()
        self._wake_below: float | None = None
        #: 20 ms frames' worth of audio fed (synthesised), played or not.
        self.pushed = 0
        self.underruns = 0
        #: Seconds of audio fed so far.
        self.fed_s = 0.0

    def feed(self, chunk: np.ndarray) -> None:
        """Queue a 24 kHz float32 chunk (kept as 16-bit until played)."""
        if not len(chunk):
            return
        self.fed_s += len(chunk) / 24000
        self.pushed = int(self.fed_s / 0.02)
        samples = to_pcm16(np.asarray(chunk, dtype=np.float32).reshape(-1))
        with self._lock:
            if self._finished:
                return
            self._raw.append(samples)
            self._raw_samples += len(samples)
        self.started.set()
        self._notify()

    async def changed(self) -> None:
        """Return once audio was added, or the buffer finished or was aborted."""
        await self._change.wait()

    async def until_below(self, seconds: float) -> None:
        """Return once less than `seconds` of audio waits to be played (or the buffer ended):
        synthesis stays a bounded margin ahead of playback."""
        while True:
            with self._lock:
                if self._finished or self._queued_s() < seconds:
                    self._wake_below = None
                    return
                self._room.clear()
                self._wake_below = seconds
            await self._room.wait()

    def _notify(self) -> None:
        self._change.set()
        self._change = asyncio.Event()

    def finish(self) -> None:
        """No more audio: the source ends once everything queued was played."""
        if not self._finished:
            with self._lock:
                self._finished = True
            self.started.set()
            self._notify()
            self._room.set()

    def abort(self) -> None:
        """Drop what is queued and end (skip, stop, disconnect)."""
        with self._lock:
            self._raw.clear()
            self._raw_samples = 0
            self._frames.clear()
            self._finished = self._flushed = True
            self._pcm = None
        self.started.set()
        self._notify()
        self._room.set()

    def _convert(self) -> None:
        """Turn the next 0.1 s of queued audio (or the flushed tail) into frames; under lock."""
        while not self._frames and (self._raw or (self._finished and not self._flushed)):
            assert self._pcm is not None  # dropped only once flushed
            if self._raw:
                head = self._raw[0]
                piece, rest = head[:self.CONVERT], head[self.CONVERT:]
                if len(rest):
                    self._raw[0] = rest
                else:
                    self._raw.popleft()
                self._raw_samples -= len(piece)
                data = self._pcm.feed(piece.astype(np.float32) / 32767.0)
            else:
                data = self._pcm.flush()
                self._flushed, self._pcm = True, None
            frames = [data[i:i + FRAME_BYTES] for i in range(0, len(data), FRAME_BYTES)]
            self._frames.extend(frames)

    def pop(self) -> bytes | None:
        """The next frame; SILENCE while synthesis lags; None at the end."""
        with self._lock:
            self._convert()
            if self._frames:
                frame = self._frames.popleft()
                if self._wake_below is not None and self._queued_s() < self._wake_below:
                    self._wake_below = None
                    self._loop.call_soon_threadsafe(self._room.set)
                return frame
            if self._finished:
                return None
            self.underruns += 1
            return SILENCE

    @property
    def finished(self) -> bool:
        """Whether synthesis has ended (the queue may still hold audio)."""
        return self._finished

    def _queued_s(self) -> float:
        return self._raw_samples / 24000 + len(self._frames) * 0.02

    @property
    def queued_s(self) -> float:
        """Seconds of audio synthesised but not yet played."""
        with self._lock:
            return self._queued_s()

    @property
    def buffered_bytes(self) -> int:
        """Bytes of audio held for playback."""
        with self._lock:
            return self._raw_samples * 2 + len(self._frames) * FRAME_BYTES


class StreamSource(discord.AudioSource):
    """Plays a `FrameBuffer` as it fills (called from discord.py's player thread)."""

    def __init__(self, buffer: FrameBuffer) -> None:
        self.buffer = buffer
        self.frames_played = 0

    def read(self) -> bytes:
        """One 20 ms frame; silence while waiting for synthesis; b"" at the end."""
        frame = self.buffer.pop()
        if frame is None:
            return b""
        self.frames_played += 1
        return frame

    def is_opus(self) -> bool:
        """PCM: discord.py encodes it."""
        return False
