"""The streaming source: frames flow from synthesis to the player thread without blocking, and
the source ends only when synthesis is done and everything was played."""

from __future__ import annotations

import asyncio
import threading
import time

import numpy as np
import pytest

from bot.voice.overload import backlog_speed
from bot.voice.source import FRAME_BYTES, SILENCE, FrameBuffer, StreamSource


def noise(seconds: float) -> np.ndarray:
    return np.random.default_rng(0).uniform(-0.5, 0.5, int(24000 * seconds)).astype("float32")


async def test_source_pads_with_silence_until_synthesis_catches_up() -> None:
    buffer = FrameBuffer()
    source = StreamSource(buffer)
    assert source.read() == SILENCE  # nothing synthesised yet: wait, don't end
    assert not buffer.started.is_set()
    buffer.feed(noise(0.1))
    assert buffer.started.is_set()
    frames = []
    while (frame := source.read()) != SILENCE:
        frames.append(frame)
    assert frames and all(len(f) == FRAME_BYTES for f in frames)
    assert any(f != SILENCE for f in frames)
    buffer.feed(noise(0.1))
    buffer.finish()
    rest = []
    while frame := source.read():
        rest.append(frame)
    assert source.read() == b""  # ended for good
    total = (len(frames) + len(rest)) * 0.02
    assert total == pytest.approx(0.2, abs=0.041)
    assert buffer.underruns >= 2


async def test_abort_ends_playback_at_once() -> None:
    buffer = FrameBuffer()
    buffer.feed(noise(1.0))
    source = StreamSource(buffer)
    assert source.read() != b""
    buffer.abort()
    assert source.read() == b""
    buffer.feed(noise(1.0))  # a late chunk of a skipped utterance is dropped
    assert source.read() == b""


async def test_player_thread_reads_while_the_loop_feeds() -> None:
    buffer = FrameBuffer()
    source = StreamSource(buffer)
    got: list[bytes] = []
    finished = threading.Event()

    def player() -> None:  # like discord.py's AudioPlayer, but without the 20 ms pacing
        # Bounded by time, not by a count of reads: on a loaded machine the feeding loop can
        # lag far behind a thread spinning on silence.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            frame = source.read()
            if not frame:
                break
            if frame != SILENCE:
                got.append(frame)
        finished.set()

    thread = threading.Thread(target=player)
    thread.start()
    for _ in range(10):
        buffer.feed(noise(0.05))
        await asyncio.sleep(0)
    buffer.finish()
    assert await asyncio.to_thread(finished.wait, 10)
    thread.join(5)
    assert len(got) == pytest.approx(25, abs=2)


@pytest.mark.parametrize(("waiting", "expected"), [
    (0, 1.0), (2, 1.0), (3, 1.1), (5, 1.3), (20, 1.5),
])
def test_backlog_speeds_up_reading_capped(waiting: int, expected: float) -> None:
    assert backlog_speed(1.0, waiting, threshold=3, max_speedup=1.5) == pytest.approx(expected)


def test_backlog_speed_never_exceeds_the_engine_limit() -> None:
    assert backlog_speed(1.8, 20, threshold=3, max_speedup=1.5) == 2.0
