"""`RemoteEngine`: the engine's interface, synthesising on this project's own HTTP API.

With `engine.remote = ["http://synth-1:8080", ...]` a bot shard or job worker loads no model:
it streams `/v1/audio/speech` (`response_format = "pcm"`, 24 kHz s16le) from the synthesis
servers, with the bearer key `engine.remote_key`. Each request carries its scheduling
(`X-TTS-Priority`, `X-TTS-Fairness-Key`: voice before jobs, round robin over Discord servers),
which a synthesis server honours for a trusted bot key (`api.bot_users`). Requests are spread
over the healthy servers (fewest streams in flight first); a server that fails is marked down
until its `/healthz` answers again (checked every `engine.remote_health_s`); a server that is
merely busy (429, 503) is asked again after its `Retry-After`, for up to `engine.remote_retry_s`;
a stream whose server dies mid-way carries on from another server where it stopped (the model's
durations are deterministic, so the same request gives the same length of audio: the samples
already delivered are skipped). Validation stays local: the voice list is fetched at start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import AsyncIterator, Callable, Hashable
from typing import Any

import numpy as np

from tts_engine.config import EngineConfig
from tts_engine.errors import EngineNotReady, ModelUnavailable, SynthesisUnavailable
from tts_engine.model.voices import VoiceLibrary
from tts_engine.speech import Audio, SpeechRequest
from tts_engine.synthesis._remote_http import (
    FAIRNESS_HEADER,
    PRIORITY_HEADER,
    Server,
    ServerBusy,
    ServerFailed,
    busy_retrying,
    fetch_voices,
    open_stream,
    read_pcm,
)
from tts_engine.synthesis.base import Engine
from tts_engine.synthesis.scheduler import Priority

log = logging.getLogger(__name__)

__all__ = ["FAIRNESS_HEADER", "PRIORITY_HEADER", "RemoteEngine", "Server"]

Waited = Callable[[bool], None] | None


class RemoteEngine(Engine):
    """An `Engine` whose inference happens on synthesis servers over HTTP."""

    def __init__(self, config: EngineConfig) -> None:
        super().__init__(config)
        self._library: VoiceLibrary | None = None
        self.servers = [Server(url.rstrip("/")) for url in config.remote]
        self.failovers = 0
        self._session: Any = None
        self._health: asyncio.Task[None] | None = None

    # --- loading: the voice list, from any server ------------------------------------------
    def _headers(self) -> dict[str, str]:
        key = self.config.remote_key
        return {"Authorization": f"Bearer {key}"} if key else {}

    @property
    def ready(self) -> bool:
        """Whether the voice list has been fetched."""
        return self._library is not None

    def load(self) -> None:
        """Fetch the voice list where no event loop runs (a CLI); on a loop's thread it never
        blocks: `EngineNotReady` until `start()` has fetched it."""
        if self._library is not None:
            return
        with contextlib.suppress(RuntimeError):
            asyncio.get_running_loop()
            raise EngineNotReady()
        asyncio.run(self._fetch_voices(own_session=True))

    async def _fetch_voices(self, own_session: bool = False) -> None:
        import aiohttp

        session = aiohttp.ClientSession(headers=self._headers()) if own_session else (
            await self._http())
        try:
            names = await fetch_voices(session, self.servers, self.config.hub_timeout_s)
        finally:
            if own_session:
                await session.close()
        self._library = VoiceLibrary(names, _no_local_voices)
        log.info("synthesis on %d remote servers; %d voices", len(self.servers), len(names))

    def _voices(self) -> VoiceLibrary:
        if self._library is None:
            self.load()
        assert self._library is not None
        return self._library

    async def start(self) -> None:
        """Start the health checks and fetch the voices (whatever `engine.load` says: there is
        nothing heavy to load, and a server marked down must come back)."""
        if self._health is None:
            self._health = asyncio.create_task(self._check_health(), name="remote-health")
        if self._library is None:
            await self._fetch_voices()

    def close(self) -> None:
        """Stop the health checks and the HTTP session."""
        if self._health is not None:
            self._health.cancel()
        session, self._session = self._session, None
        if session is not None and not session.closed:
            with contextlib.suppress(RuntimeError):  # the loop is already gone
                asyncio.get_running_loop().create_task(session.close())

    async def _http(self) -> Any:
        import aiohttp

        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(headers=self._headers())
        return self._session

    async def _check_health(self) -> None:
        while True:
            await asyncio.sleep(self.config.remote_health_s)  # the probe's own period
            for server in self.servers:
                server.up = await self._healthy(server)
            if self._library is None:  # no server answered at start: keep trying
                with contextlib.suppress(ModelUnavailable):
                    await self._fetch_voices()

    async def _healthy(self, server: Server) -> bool:
        import aiohttp

        try:
            session = await self._http()
            async with session.get(f"{server.url}/healthz",
                                   timeout=aiohttp.ClientTimeout(total=5)) as resp:
                return resp.status == 200
        except (aiohttp.ClientError, OSError, TimeoutError):
            return False

    def _pick(self, skip: set[str]) -> Server | None:
        left = [s for s in self.servers if s.url not in skip]
        healthy = [s for s in left if s.up] or left  # all down: try them anyway
        return min(healthy, key=lambda s: s.in_flight) if healthy else None

    # --- synthesis -------------------------------------------------------------------------
    def stream(self, req: SpeechRequest, cancel: threading.Event | None = None, *,
               priority: Priority = Priority.INTERACTIVE,
               key: Hashable | None = None) -> AsyncIterator[np.ndarray]:
        """Chunks as the servers send them; fails over mid-stream."""
        return self._stream(req, cancel or threading.Event(), _schedule(priority, key), None)

    async def _stream(self, req: SpeechRequest, cancel: threading.Event,
                      schedule: dict[str, str], on_wait: Waited) -> AsyncIterator[np.ndarray]:
        delivered, failed = 0, set[str]()
        while True:
            server, resp = await self._open(req, schedule, failed, on_wait)
            try:
                async for piece in self._read(server, resp, cancel, delivered):
                    delivered += len(piece)
                    yield piece
                return
            except ServerFailed as exc:
                self._failed(server, exc, failed)
            finally:
                resp.release()
                server.in_flight -= 1

    def _read(self, server: Server, resp: Any, cancel: threading.Event,
              skip: int) -> AsyncIterator[np.ndarray]:
        """One server's started stream as float32 pieces, less its first `skip` samples."""
        return read_pcm(resp, cancel, skip=skip)

    def _failed(self, server: Server, exc: Exception, failed: set[str]) -> None:
        server.up = False
        failed.add(server.url)
        self.failovers += 1
        log.warning("synthesis server %s failed (%s); trying another", server.url, exc)

    async def _open(self, req: SpeechRequest, schedule: dict[str, str], failed: set[str],
                    on_wait: Waited) -> tuple[Server, Any]:
        """A started response from some server; busy servers are asked again after their
        `Retry-After` (tenacity), failed ones not at all."""
        try:
            async for attempt in busy_retrying(self.config.remote_retry_s, on_wait):
                with attempt:
                    if on_wait is not None and attempt.retry_state.attempt_number > 1:
                        on_wait(False)  # the wait for a busy server is over
                    return await self._open_any(req, schedule, failed)
        except ServerBusy as exc:
            log.warning("every synthesis server stayed busy for %.0f s (last: %s)",
                        self.config.remote_retry_s, exc)
            raise SynthesisUnavailable(busy=True) from exc
        raise AssertionError("unreachable: tenacity re-raises the last error")

    async def _open_any(self, req: SpeechRequest, schedule: dict[str, str],
                        failed: set[str]) -> tuple[Server, Any]:
        session = await self._http()
        busy: list[ServerBusy] = []
        skip = set(failed)
        while (server := self._pick(skip)) is not None:
            skip.add(server.url)
            try:
                return server, await open_stream(session, server, req, schedule)
            except ServerBusy as exc:
                busy.append(exc)  # not down: it answered, it only asks us to wait
            except ServerFailed as exc:
                self._failed(server, exc, failed)
        if busy:
            raise min(busy, key=lambda b: b.retry_after)
        log.error("every synthesis server failed: %s",
                  ", ".join(s.url for s in self.servers))
        raise SynthesisUnavailable()

    async def synthesize(self, req: SpeechRequest, cancel: threading.Event | None = None,
                         on_progress: Callable[[float], None] | None = None, *,
                         priority: Priority = Priority.BATCH,
                         key: Hashable | None = None, on_wait: Waited = None) -> Audio:
        """The whole clip, streamed from the servers; `on_wait` gets True while waiting for a
        busy server, False when asking again."""
        stream = self._stream(req, cancel or threading.Event(), _schedule(priority, key),
                              on_wait)
        pieces = [piece async for piece in stream]
        if on_progress is not None:
            on_progress(1.0)
        return Audio(np.concatenate(pieces) if pieces else np.zeros(0, np.float32))


def _schedule(priority: Priority, key: Hashable | None) -> dict[str, str]:
    """The request's scheduling, as headers a synthesis server honours for a bot key."""
    headers = {PRIORITY_HEADER: priority.name.lower()}
    if key is not None:
        headers[FAIRNESS_HEADER] = str(key)
    return headers


def _no_local_voices(name: str) -> Any:
    raise ModelUnavailable("Voice files live on the synthesis servers (engine.remote).")
