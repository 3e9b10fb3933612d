"""The streaming `discord.AudioSource`: 20 ms frames handed over from synthesis to the player.

Synthesis (on the event loop, inference in the engine's executor) pushes audio into a
`FrameBuffer`; discord.py's player thread pulls a frame every 20 ms through `StreamSource.read`,
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

log = logging.getLogger(__name__)

FRAME_BYTES = DiscordPCM.FRAME_BYTES
SILENCE = b"\0" * FRAME_BYTES


class FrameBuffer:
    """A thread-safe FIFO of whole 48 kHz stereo s16le frames for one utterance.

    Filled from the event loop (`feed`, `finish`), drained from the player thread (`pop`).
    """

    def __init__(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self._frames: deque[bytes] = deque()
        self._lock = threading.Lock()
        self._pcm = DiscordPCM()
        self._finished = False
        self._loop = loop or asyncio.get_running_loop()
        #: Set once the first frame exists, or synthesis ended without any.
        self.started = asyncio.Event()
        self._change = asyncio.Event()
        self.pushed = 0
        self.underruns = 0
        #: Seconds of audio fed so far.
        self.fed_s = 0.0

    def feed(self, chunk: np.ndarray) -> None:
        """Convert a 24 kHz float32 chunk and queue its whole frames."""
        self.fed_s += len(chunk) / 24000
        self._push(self._pcm.feed(chunk))

    async def changed(self) -> None:
        """Return once audio was added, or the buffer finished or was aborted."""
        await self._change.wait()

    def _notify(self) -> None:
        self._change.set()
        self._change = asyncio.Event()

    def finish(self) -> None:
        """No more audio: queue the padded tail and let the source end once drained."""
        if not self._finished:
            self._push(self._pcm.flush())
            with self._lock:
                self._finished = True
            self.started.set()
            self._notify()

    def abort(self) -> None:
        """Drop what is queued and end (skip, stop, disconnect)."""
        with self._lock:
            self._frames.clear()
            self._finished = True
        self.started.set()
        self._notify()

    def _push(self, data: bytes) -> None:
        frames = [data[i:i + FRAME_BYTES] for i in range(0, len(data), FRAME_BYTES)]
        with self._lock:
            if self._finished:
                return
            self._frames.extend(frames)
            self.pushed += len(frames)
        if frames:
            self.started.set()
            self._notify()

    def pop(self) -> bytes | None:
        """The next frame; SILENCE while synthesis lags; None at the end."""
        with self._lock:
            if self._frames:
                return self._frames.popleft()
            if self._finished:
                return None
            self.underruns += 1
            return SILENCE

    @property
    def finished(self) -> bool:
        """Whether synthesis has ended (the queue may still hold frames)."""
        return self._finished

    @property
    def queued_s(self) -> float:
        """Seconds of audio synthesised but not yet played."""
        return len(self._frames) * 0.02


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
