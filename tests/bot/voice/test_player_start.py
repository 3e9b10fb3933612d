"""What the player does for a fast first sound (the name phrase is heard while the message is
synthesised, the next message is made while the current one waits for playback) and to keep
going (a voice client left "playing" by discord.py, a playback that fails)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from typing import Any

import discord
import numpy as np

from bot.settings import VoiceSettings
from bot.voice.pacing import Pacer
from bot.voice.player import GuildPlayer
from tests.fakes.player import DrainingVoiceClient, InstantEngine
from tts_engine import SpeechRequest

WAIT_S = 30.0


def _request(text: str) -> SpeechRequest:
    return SpeechRequest(text=text, voice="af_heart", lang="a", speed=1.0)


class HeldEngine(InstantEngine):
    """Like `InstantEngine`, but a request whose text is in `held` waits for `release`."""

    def __init__(self, held: set[str]) -> None:
        super().__init__(lambda req: len(req.text) * 0.065, 2.0)
        self.held = held
        self.release = asyncio.Event()

    def stream(self, req: SpeechRequest, cancel: threading.Event | None = None,
               **_: Any) -> AsyncIterator[np.ndarray]:
        self.requests.append(req)
        return self._held(req)

    async def _held(self, req: SpeechRequest) -> AsyncIterator[np.ndarray]:
        if req.text in self.held:
            await self.release.wait()
        async for chunk in self._chunks(self.seconds(req)):
            yield chunk


async def _until(condition: Any) -> None:
    deadline = asyncio.get_running_loop().time() + WAIT_S
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "never happened"
        await asyncio.sleep(0.005)


async def test_the_name_is_heard_while_the_message_is_synthesised() -> None:
    body = "hello there everyone, how is it going"
    engine = HeldEngine(held={body})
    client = DrainingVoiceClient(pace_s=0.02)  # real time
    # A machine that makes the body's first sentence well within the name's 0.7 s (on a slow
    # one the start waits for the body instead: tests/bot/voice/test_pacing.py).
    fast = Pacer(rate=8.0)
    player = GuildPlayer(engine, client, VoiceSettings(), pacer=fast)  # type: ignore[arg-type]
    player.start()
    utterance = player.enqueue(_request(body), lead=_request("alice said,"))
    # The message's audio does not exist yet, and the name is already playing:
    await _until(lambda: client.frames > 0)
    assert [r.text for r in engine.requests] == ["alice said,", body]
    assert utterance.text == f"alice said, {body}"
    engine.release.set()
    assert await asyncio.to_thread(client.finished.wait, WAIT_S)
    await player.close()
    said_s = (len("alice said,") + len(body)) * 0.065
    assert client.frames * 0.02 >= said_s - 0.1  # all of both was played


async def test_the_next_message_is_made_while_the_current_waits_for_playback() -> None:
    long, short = "x" * 400, "the next one"  # 26 s of audio, then a line
    engine = InstantEngine(lambda req: len(req.text) * 0.065, 2.0)
    client = DrainingVoiceClient(pace_s=0.02)  # real time
    player = GuildPlayer(engine, client, VoiceSettings(read_ahead_s=5.0))  # type: ignore[arg-type]
    player.start()
    first = player.enqueue(_request(long))
    second = player.enqueue(_request(short))
    await _until(lambda: first.started_at is not None)
    # The long one stopped 5 s ahead of playback; the line was synthesised meanwhile.
    await _until(lambda: second.buffer is not None and second.buffer.finished)
    assert first.task is not None and not first.task.done()
    assert second.buffer.queued_s > 0
    player.skip()
    await _until(lambda: second.started_at is not None)
    await player.close()
    await asyncio.to_thread(client.join, WAIT_S)


class PacedEngine(InstantEngine):
    """Like `InstantEngine`, but each chunk takes `chunk_s / rate` seconds to make; `made`
    lists (text, chunk index, what `note()` said then) as each chunk is yielded."""

    def __init__(self, rate: float, note: Any) -> None:
        super().__init__(lambda req: len(req.text) * 0.065, 2.0)
        self.rate, self.note = rate, note
        self.made: list[tuple[str, int, Any]] = []

    def stream(self, req: SpeechRequest, cancel: threading.Event | None = None,
               **_: Any) -> AsyncIterator[np.ndarray]:
        self.requests.append(req)
        return self._paced(req)

    async def _paced(self, req: SpeechRequest) -> AsyncIterator[np.ndarray]:
        index = 0
        async for chunk in self._chunks(self.seconds(req)):
            await asyncio.sleep(len(chunk) / 24000 / self.rate)
            self.made.append((req.text, index, self.note()))
            index += 1
            yield chunk


async def test_the_next_messages_first_chunk_is_made_while_the_current_is_still_synthesised(
) -> None:
    long, line = "x" * 400, "the next message, two chunks long"  # 26 s, then 2.1 s
    player: GuildPlayer

    def current_state() -> str:
        first = player.current
        assert first is not None
        return "paused" if first.paused else "done" if first.task.done() else "computing"

    engine = PacedEngine(rate=10.0, note=current_state)
    client = DrainingVoiceClient(pace_s=0.02)  # real time
    player = GuildPlayer(engine, client, VoiceSettings(read_ahead_s=10.0),  # type: ignore[arg-type]
                         pacer=Pacer(rate=10.0))
    player.start()
    first = player.enqueue(_request(long))
    await _until(lambda: first.started_at is not None)
    second = player.enqueue(_request(line))
    await _until(lambda: second.buffer is not None and second.buffer.queued_s > 0)
    # Its first chunk came while the long one was still being synthesised, not after the
    # long one had filled its 10 s read-ahead ...
    assert next(m for m in engine.made if m[0] == line)[2] == "computing"
    # ... and the rest of it waited for the long one's synthesis to pause.
    await _until(lambda: second.buffer.finished)
    assert [m[2] for m in engine.made if m[0] == line][1:] == ["paused"]
    # A skip goes on to audio that is already there.
    assert second.buffer.queued_s > 0
    player.skip()
    await _until(lambda: second.started_at is not None)
    await asyncio.to_thread(client.finished.wait, WAIT_S)
    await player.close()
    await asyncio.to_thread(client.join, WAIT_S)


class StaleVoiceClient(DrainingVoiceClient):
    """Like discord.py after it gave up waiting for a reconnect mid-utterance: the source's
    `after` came, yet `is_playing()` stays true until `stop()`; and `play` refuses then, as
    discord.py's does. The first `fail` plays raise (a playback that cannot start)."""

    def __init__(self, fail: int = 0) -> None:
        super().__init__()
        self.stale, self.fail = False, fail

    def is_playing(self) -> bool:
        return self.stale

    def stop(self) -> None:
        self.stale = False

    def play(self, source: Any, after: Any) -> None:
        if self.stale:
            raise discord.ClientException("Already playing audio.")
        if self.fail:
            self.fail -= 1
            raise discord.ClientException("Not connected to voice.")

        def ended(error: Exception | None) -> None:
            self.stale = True
            after(error)
        super().play(source, ended)


async def test_a_player_left_playing_by_discord_py_is_stopped_before_the_next() -> None:
    engine = InstantEngine(lambda req: 0.5, 0.5)
    client = StaleVoiceClient()
    player = GuildPlayer(engine, client, VoiceSettings())  # type: ignore[arg-type]
    player.start()
    first, second = player.enqueue(_request("one")), player.enqueue(_request("two"))
    await _until(lambda: len(player.played) == 2)
    await player.close()
    assert first.error is None and second.error is None
    assert client.frames >= 2 * 25  # both half-seconds were played


async def test_an_utterance_that_cannot_play_does_not_end_the_player() -> None:
    engine = InstantEngine(lambda req: 0.5, 0.5)
    client = StaleVoiceClient(fail=1)
    player = GuildPlayer(engine, client, VoiceSettings())  # type: ignore[arg-type]
    player.start()
    first, second = player.enqueue(_request("one")), player.enqueue(_request("two"))
    await _until(lambda: len(player.played) == 2)
    assert player.running
    await player.close()
    assert isinstance(first.error, discord.ClientException) and second.error is None
    assert client.frames >= 25
