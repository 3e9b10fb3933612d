"""A server's voice player: a FIFO of utterances, each streamed into discord.py as it is
synthesised.

Synthesis stays at most `voice.read_ahead_s` seconds of audio ahead of playback (memory per
server is bounded whatever the text's length). The next utterance's first chunk is synthesised
as soon as the one playing holds enough audio to wait for it (`Pacer.can_interleave`), so a
`/skip` or the end of the current one goes on to it at once; the rest of it waits until the
current one's synthesis is done or has filled its read-ahead. Synthesis runs chunk by chunk on
the engine's scheduler at voice priority, keyed by server, so every server's speech takes turns
fairly (and goes before HTTP streams and /tts jobs). Playback starts once the audio ready will
carry the utterance through at the measured synthesis rate (`pacing`).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

import discord

from bot.metrics import FIRST_AUDIO
from bot.settings import VoiceSettings
from bot.voice.errors import VoiceQueueFull
from bot.voice.overload import Overload, summary
from bot.voice.pacing import ChunkClock, Pacer
from bot.voice.source import FrameBuffer, StreamSource
from bot.voice.utterance import Utterance
from tts_engine import Engine, SpeechRequest
from tts_engine.errors import SynthesisCancelled, TTSError
from tts_engine.synthesis.scheduler import Priority

log = logging.getLogger(__name__)

#: How long playback waits for a dropped voice connection to come back.
RECONNECT_WAIT_S = 60.0
#: Finished utterances kept per server (for logs and inspection): each holds some 7 KB.
HISTORY = 8


class GuildPlayer:
    """Plays a queue of utterances through one server's voice client."""

    def __init__(self, engine: Engine, voice_client: discord.VoiceClient,
                 settings: VoiceSettings,
                 on_idle: Callable[[GuildPlayer], Awaitable[None]] | None = None,
                 pacer: Pacer | None = None) -> None:
        self.engine = engine
        self.pacer = pacer or Pacer()
        self.voice_client = voice_client
        self.settings = settings
        self.queue: deque[Utterance] = deque()
        self.current: Utterance | None = None
        #: The last `HISTORY` finished utterances, oldest first.
        self.played: list[Utterance] = []
        self._on_idle = on_idle
        self._wakeup = asyncio.Event()
        #: Set (and replaced) whenever an utterance's synthesis pauses, ends or starts playing.
        self._moved = asyncio.Event()
        self._runner: asyncio.Task[None] | None = None
        self._closed = False
        #: How this server copes with a backed-up queue (its /readaloud controls).
        self.overload = Overload(settings.backlog_threshold, max_speedup=settings.max_speedup)

    @property
    def guild_id(self) -> int:
        """The server this player speaks in."""
        return self.voice_client.guild.id

    def start(self) -> None:
        """Start the playback loop."""
        if self._runner is None:
            self._runner = asyncio.create_task(self._run(), name=f"voice-{self.guild_id}")

    @property
    def running(self) -> bool:
        """Whether the playback loop is alive."""
        return self._runner is not None and not self._runner.done()

    # --- the queue -------------------------------------------------------------------------
    def enqueue(self, request: SpeechRequest, label: str = "", *,
                priority: bool = False, skippable: bool = False,
                lead: SpeechRequest | None = None) -> Utterance:
        """Queue `request` (a priority one after the other priority ones but ahead of the
        rest), said after `lead` when given; `VoiceQueueFull` beyond `voice.queue_limit`. A
        `skippable` one (a channel message) is dropped into a summary once older than the
        server's stale age."""
        if len(self.queue) >= self.settings.queue_limit:
            raise VoiceQueueFull(self.settings.queue_limit)
        utterance = Utterance(request, label, lead, priority=priority, skippable=skippable)
        if priority:
            ahead = sum(1 for u in self.queue if u.priority)
            self.queue.insert(ahead, utterance)
        else:
            self.queue.append(utterance)
        self._maybe_prefetch()
        self._wakeup.set()
        return utterance

    @property
    def position(self) -> int:
        """How many utterances are ahead of a newly queued one."""
        return len(self.queue) + (self.current is not None)

    def skip(self) -> bool:
        """Stop the current utterance (and its synthesis); the next one starts."""
        current = self.current
        if current is None:
            return False
        self._cancel(current)
        self.voice_client.stop()
        return True

    def clear(self) -> int:
        """Drop every queued utterance (the current one plays on); returns how many."""
        dropped = len(self.queue)
        while self.queue:
            self._cancel(self.queue.popleft())
        return dropped

    def stop(self) -> int:
        """Clear the queue and stop the current utterance; returns how many were dropped."""
        return self.clear() + self.skip()

    async def close(self) -> None:
        """Stop everything and end the loop (the voice client is left to the caller)."""
        self._closed = True
        self.stop()
        if self._runner is not None:
            self._runner.cancel()
            await asyncio.gather(self._runner, return_exceptions=True)

    # --- synthesis -------------------------------------------------------------------------
    def _cancel(self, utterance: Utterance) -> None:
        utterance.cancel.set()
        if utterance.buffer is not None:
            utterance.buffer.abort()
        if utterance.task is not None:
            utterance.task.cancel()

    def _computing(self, exclude: Utterance | None = None) -> bool:
        """Whether an utterance (other than `exclude`) is being synthesised right now (one
        waiting for playback to catch up, or for its turn, is not)."""
        return any(u is not None and u is not exclude and u.task is not None
                   and not u.task.done() and not u.paused
                   for u in (self.current, *self.queue))

    def _moved_on(self) -> None:
        """Wake the utterances waiting for their turn to synthesise."""
        self._moved.set()
        self._moved = asyncio.Event()

    def _maybe_prefetch(self) -> None:
        """Start synthesising the next utterance when nothing else is being synthesised, or
        when the one playing holds enough audio to let the next one's first chunk go first:
        that first audio is then ready when the current one ends or is skipped."""
        if self._closed:
            return
        nxt = self.current if self.current is not None and self.current.task is None else (
            self.queue[0] if self.queue else None)
        if nxt is None or nxt.task is not None:
            return
        if not self._computing() or self._can_interleave(nxt):
            self._begin(nxt)

    def _can_interleave(self, nxt: Utterance) -> bool:
        playing = self.current
        if playing is None or playing.started_at is None or playing.buffer is None:
            return False
        speed = playing.speed or playing.request.speed
        own_next_s = self.pacer.next_chunk_s(len(playing.text), speed, playing.buffer.fed_s,
                                             playing.last_chunk_s)
        return self.pacer.can_interleave(playing.buffer.queued_s, own_next_s, len(nxt.text),
                                         nxt.request.speed)

    def _begin(self, utterance: Utterance) -> None:
        behind = len(self.queue) - (1 if self.queue and self.queue[0] is utterance else 0)
        speed = self.overload.speed(utterance.request.speed, behind)
        utterance.speed = speed
        utterance.buffer = FrameBuffer()
        utterance.task = asyncio.create_task(self._synthesize(utterance, speed))

    async def _synthesize(self, utterance: Utterance, speed: float) -> None:
        buffer = utterance.buffer
        assert buffer is not None
        request = dataclasses.replace(utterance.request, speed=speed)
        clock = ChunkClock(self.pacer)
        try:
            if utterance.lead is not None:
                # Not timed: a cached phrase arrives at once and says nothing of the rate; what
                # comes next is the text's first chunk (`Pacer.next_chunk_s`).
                lead = dataclasses.replace(utterance.lead, speed=speed)
                async for chunk in self.engine.stream(lead, utterance.cancel,
                                                      priority=Priority.VOICE, key=self.guild_id):
                    buffer.feed(chunk)
                utterance.last_chunk_s = 0.0
                clock.last = time.monotonic()
            async for chunk in self.engine.stream(request, utterance.cancel,
                                                  priority=Priority.VOICE, key=self.guild_id):
                clock.tick(len(chunk) / 24000)
                utterance.last_chunk_s = clock.last_chunk_s
                buffer.feed(chunk)
                if utterance.started_at is not None:
                    self._maybe_prefetch()  # the next one's first chunk may go in between
                # Synthesis runs a bounded margin ahead of playback, not a whole text ahead:
                # a long /say holds seconds of audio per server, not minutes.
                await self._read_ahead(utterance, buffer)
                await self._await_turn(utterance)
                clock.last = time.monotonic()  # the pause is not synthesis time
            self.pacer.utterance(len(utterance.text), buffer.fed_s, speed)
        except (SynthesisCancelled, asyncio.CancelledError):
            buffer.abort()
        except TTSError as exc:
            utterance.error = exc
            log.warning("voice synthesis failed in guild %s: %s", self.guild_id, exc)
            buffer.abort()
        except Exception as exc:  # one bad utterance must not end the player
            utterance.error = exc
            log.exception("voice synthesis crashed in guild %s", self.guild_id)
            buffer.abort()
        finally:
            buffer.finish()
            self._moved_on()
            if not self._closed:
                asyncio.get_running_loop().call_soon(self._maybe_prefetch)

    async def _read_ahead(self, utterance: Utterance, buffer: FrameBuffer) -> None:
        """Wait while the buffer holds `voice.read_ahead_s` of audio; meanwhile the next
        utterance may be synthesised."""
        if buffer.queued_s < self.settings.read_ahead_s:
            return
        utterance.paused = True
        self._moved_on()
        self._maybe_prefetch()
        try:
            await buffer.until_below(self.settings.read_ahead_s)
        finally:
            utterance.paused = False

    async def _await_turn(self, utterance: Utterance) -> None:
        """An utterance not yet playing, whose first chunk went in between the chunks of the
        one playing, waits until that one's synthesis pauses or ends."""
        if utterance.started_at is not None or not self._computing(exclude=utterance):
            return
        utterance.paused = True
        try:
            while utterance.started_at is None and self._computing(exclude=utterance):
                await self._moved.wait()
        finally:
            utterance.paused = False

    # --- playback --------------------------------------------------------------------------
    async def _run(self) -> None:
        try:
            while not self._closed:
                if not self.queue:
                    self._wakeup.clear()
                    try:
                        await asyncio.wait_for(self._wakeup.wait(), self.settings.idle_timeout_s)
                    except TimeoutError:
                        log.info("voice idle in guild %s; leaving", self.guild_id)
                        break
                    continue
                utterance = self._next()
                self.current = utterance
                try:
                    await self._play(utterance)
                except Exception as exc:  # one utterance that cannot play must not end the rest
                    utterance.error = exc
                    self._cancel(utterance)
                    log.exception("voice playback failed in guild %s", self.guild_id)
                finally:
                    self.current = None
                    self.played.append(utterance)
                    del self.played[:-HISTORY]
        finally:
            self._closed = True
            if self._on_idle is not None and not _cancelling():
                await self._on_idle(self)

    def _next(self) -> Utterance:
        """The next utterance to play; a run of stale channel messages at the head of the
        queue becomes one short summary in the voice of the last of them."""
        now, stale = time.monotonic(), list[Utterance]()
        while self.queue and self.queue[0].skippable and \
                self.overload.stale(now - self.queue[0].queued_at):
            stale.append(self.queue.popleft())
        if not stale:
            return self.queue.popleft()
        for utterance in stale:
            self._cancel(utterance)
        log.info("guild %s: skipping %d stale messages", self.guild_id, len(stale))
        said = dataclasses.replace(stale[-1].request, text=summary(len(stale)))
        return Utterance(said, "summary")

    async def _play(self, utterance: Utterance) -> None:
        if utterance.task is None:
            self._begin(utterance)
        buffer = utterance.buffer
        assert buffer is not None
        await buffer.started.wait()
        await self._prebuffer(utterance, buffer)
        if utterance.cancel.is_set() or (buffer.finished and buffer.queued_s == 0):
            return
        if not await self._connected():
            log.info("voice connection gone in guild %s; dropping the queue", self.guild_id)
            self.stop()
            return
        done = asyncio.Event()
        loop = asyncio.get_running_loop()

        def after(error: Exception | None) -> None:
            if error is not None:
                log.warning("voice playback error in guild %s: %s", self.guild_id, error)
            loop.call_soon_threadsafe(done.set)

        if self.voice_client.is_playing():
            # discord.py leaves its player "playing" when it gave up waiting for a reconnect
            # in the middle of an utterance (it returns without stopping itself); that audio
            # is over (its `after` came), so the stale player is stopped before the next.
            self.voice_client.stop()
        utterance.started_at = time.monotonic()
        self._moved_on()
        FIRST_AUDIO.labels(front_door="voice").observe(utterance.started_at - utterance.queued_at)
        self.voice_client.play(StreamSource(buffer), after=after)
        self._maybe_prefetch()
        await done.wait()

    async def _prebuffer(self, utterance: Utterance, buffer: FrameBuffer) -> None:
        """Hold the start until the audio ready will last until the rest is synthesised."""
        chars, speed = len(utterance.text), utterance.speed or utterance.request.speed
        while not buffer.finished and buffer.queued_s < self.pacer.hold_s(
                chars, speed, buffer.fed_s, utterance.last_chunk_s):
            await buffer.changed()

    async def _connected(self) -> bool:
        vc = self.voice_client
        if vc.is_connected():
            return True
        # discord.py reconnects by itself after a dropped connection; give it time.
        state = getattr(vc, "_connection", None)
        if state is None:
            return False
        with contextlib.suppress(TimeoutError):
            await state.wait_async(RECONNECT_WAIT_S)
        return vc.is_connected()

    def buffered_bytes(self) -> int:
        """Bytes of synthesised audio this server holds for playback (bounded by
        `voice.read_ahead_s` per utterance being synthesised)."""
        items = [self.current, *self.queue]
        return sum(u.buffer.buffered_bytes for u in items if u is not None and u.buffer)

    def snapshot(self) -> dict[str, Any]:
        """A summary for logs and the benchmark."""
        return {"queued": len(self.queue), "current": self.current is not None,
                "played": len(self.played)}


def _cancelling() -> bool:
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0
