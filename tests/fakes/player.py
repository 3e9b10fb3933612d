"""Fakes for tests of one server's player alone: an engine that makes audio at once and a
voice client that plays it on a thread much faster than real time."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable
from types import SimpleNamespace
from typing import Any

import numpy as np

from tts_engine import SpeechRequest


class InstantEngine:
    """Yields `seconds` of audio per request in chunks of `chunk_s`, as fast as asked; keeps
    the requests it was given."""

    def __init__(self, seconds: Callable[[SpeechRequest], float], chunk_s: float) -> None:
        self.seconds, self.chunk_s = seconds, chunk_s
        self.requests: list[SpeechRequest] = []

    def stream(self, req: SpeechRequest, cancel: threading.Event | None = None,
               **_: Any) -> AsyncIterator[np.ndarray]:
        self.requests.append(req)
        return self._chunks(self.seconds(req))

    async def _chunks(self, left: float) -> AsyncIterator[np.ndarray]:
        while left > 0:
            seconds = min(self.chunk_s, left)
            left -= seconds
            yield np.full(int(24000 * seconds), 0.1, np.float32)
            await asyncio.sleep(0)


class DrainingVoiceClient:
    """Plays each source on a thread, `pace_s` per 20 ms frame (0: as fast as it can; 0.001:
    twenty times real time); `on_frame` runs per frame."""

    def __init__(self, on_frame: Callable[[], None] = lambda: None, pace_s: float = 0.0) -> None:
        self.guild = SimpleNamespace(id=1)
        self.on_frame = on_frame
        self.pace_s = pace_s
        self.frames = 0
        self.finished = threading.Event()
        self._threads: list[threading.Thread] = []

    def is_connected(self) -> bool:
        return True

    def stop(self) -> None:
        pass

    def is_playing(self) -> bool:
        return False

    def play(self, source: Any, after: Any) -> None:
        def run() -> None:
            while frame := source.read():
                self.frames += 1
                self.on_frame()
                if frame == b"\0" * len(frame):  # synthesis behind: let the loop catch up
                    threading.Event().wait(0.001)
                elif self.pace_s and self.frames % 10 == 0:  # the listener's pace
                    threading.Event().wait(10 * self.pace_s)
            after(None)
            self.finished.set()

        thread = threading.Thread(target=run, daemon=True)
        self._threads.append(thread)
        thread.start()

    def join(self, timeout: float) -> None:
        """Wait for every source to end (after the player was closed)."""
        for thread in self._threads:
            thread.join(timeout)
