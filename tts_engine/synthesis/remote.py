"""`RemoteEngine`: the engine's interface, synthesising on this project's own HTTP API.

With `engine.remote = ["http://synth-1:8080", ...]` a bot shard or job worker loads no model:
it streams `/v1/audio/speech` (`response_format = "pcm"`, 24 kHz s16le) from the synthesis
servers, with the bearer key `engine.remote_key`. Requests are spread over the healthy servers
(fewest streams in flight first); a server that fails is marked down until its `/healthz`
answers again (checked every `engine.remote_health_s`); a stream whose server dies mid-way
carries on from another server where it stopped (the model's durations are deterministic, so
the same request gives the same length of audio: the samples already delivered are skipped).
Validation stays local: the voice list comes from the servers once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
import urllib.request
from collections.abc import AsyncIterator, Callable, Hashable
from dataclasses import dataclass
from typing import Any

import numpy as np

from tts_engine.config import EngineConfig
from tts_engine.errors import ModelUnavailable, SynthesisCancelled, TTSError
from tts_engine.model.voices import VoiceLibrary
from tts_engine.speech import SAMPLE_RATE, Audio, SpeechRequest
from tts_engine.synthesis.base import Engine
from tts_engine.synthesis.scheduler import Priority

log = logging.getLogger(__name__)

#: Bytes of PCM handed on at least per piece (0.1 s), so callers get few, useful chunks.
MIN_PIECE = SAMPLE_RATE // 10 * 2


@dataclass
class Server:
    """One synthesis server and what is known of it."""

    url: str
    up: bool = True
    in_flight: int = 0


class _ServerFailed(Exception):
    """The server broke the stream (connection lost, 5xx, bad answer): try another."""


class RemoteEngine(Engine):
    """An `Engine` whose inference happens on synthesis servers over HTTP."""

    def __init__(self, config: EngineConfig) -> None:
        super().__init__(config)
        self._library: VoiceLibrary | None = None
        self.servers = [Server(url.rstrip("/")) for url in config.remote]
        self.failovers = 0
        self._session: Any = None
        self._health: asyncio.Task[None] | None = None
        self._fetch_lock = threading.Lock()

    # --- loading: the voice list, from any server ------------------------------------------
    def _headers(self) -> dict[str, str]:
        key = self.config.remote_key
        return {"Authorization": f"Bearer {key}"} if key else {}

    @property
    def ready(self) -> bool:
        """Whether the voice list has been fetched."""
        return self._library is not None

    def load(self) -> None:
        """Fetch the voice list (blocking, idempotent); `ModelUnavailable` when no server
        answers."""
        with self._fetch_lock:
            if self._library is not None:
                return
            errors = []
            for server in self.servers:
                req = urllib.request.Request(f"{server.url}/v1/audio/voices",
                                             headers=self._headers())
                try:
                    with urllib.request.urlopen(req, timeout=self.config.hub_timeout_s) as resp:
                        names = [v["name"] for v in json.load(resp)["voices"]]
                except (OSError, ValueError, KeyError) as exc:
                    errors.append(f"{server.url}: {exc}")
                    continue
                self._library = VoiceLibrary(names, _no_local_voices)
                log.info("synthesis on %d remote servers; %d voices", len(self.servers),
                         len(names))
                return
            raise ModelUnavailable("No synthesis server answered (engine.remote): "
                                   + "; ".join(errors))

    def _voices(self) -> VoiceLibrary:
        self.load()
        assert self._library is not None
        return self._library

    async def start(self) -> None:
        """Fetch the voices and start the health checks."""
        await asyncio.to_thread(self.load)
        if self._health is None:
            self._health = asyncio.create_task(self._check_health(), name="remote-health")

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

    async def _healthy(self, server: Server) -> bool:
        import aiohttp

        try:
            session = await self._http()
            async with session.get(f"{server.url}/healthz",
                                   timeout=aiohttp.ClientTimeout(total=5)) as resp:
                return resp.status == 200
        except (aiohttp.ClientError, OSError, TimeoutError):
            return False

    def _pick(self, tried: set[str]) -> Server | None:
        left = [s for s in self.servers if s.url not in tried]
        healthy = [s for s in left if s.up] or left  # all down: try them anyway
        return min(healthy, key=lambda s: s.in_flight) if healthy else None

    # --- synthesis -------------------------------------------------------------------------
    def stream(self, req: SpeechRequest, cancel: threading.Event | None = None, *,
               priority: Priority = Priority.INTERACTIVE,
               key: Hashable | None = None) -> AsyncIterator[np.ndarray]:
        """Chunks as the servers send them; fails over mid-stream."""
        return self._stream(req, cancel or threading.Event())

    async def _stream(self, req: SpeechRequest,
                      cancel: threading.Event) -> AsyncIterator[np.ndarray]:
        delivered, tried = 0, set[str]()
        errors: list[str] = []
        while (server := self._pick(tried)) is not None:
            tried.add(server.url)
            try:
                async for piece in self._from(server, req, cancel, skip=delivered):
                    delivered += len(piece)
                    yield piece
                return
            except _ServerFailed as exc:
                server.up = False
                errors.append(f"{server.url}: {exc}")
                self.failovers += 1
                log.warning("synthesis server %s failed (%s); trying another", server.url, exc)
        raise ModelUnavailable("Every synthesis server failed: " + "; ".join(errors))

    async def _from(self, server: Server, req: SpeechRequest, cancel: threading.Event,
                    skip: int) -> AsyncIterator[np.ndarray]:
        """One server's stream as float32 pieces, less its first `skip` samples."""
        import aiohttp

        body = {"input": req.text, "voice": req.voice, "speed": req.speed,
                "lang_code": req.lang, "response_format": "pcm", "stream": True}
        session = await self._http()
        server.in_flight += 1
        pending, skip_bytes = b"", skip * 2
        try:
            async with session.post(f"{server.url}/v1/audio/speech", json=body) as resp:
                await _check(resp)
                async for data in resp.content.iter_any():
                    if cancel.is_set():
                        raise SynthesisCancelled()
                    pending += data
                    if skip_bytes:
                        cut = min(skip_bytes, len(pending) - len(pending) % 2)
                        pending, skip_bytes = pending[cut:], skip_bytes - cut
                    if len(pending) >= MIN_PIECE:
                        usable = len(pending) - len(pending) % 2
                        yield _samples(pending[:usable])
                        pending = pending[usable:]
            if pending:
                yield _samples(pending[: len(pending) - len(pending) % 2])
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            raise _ServerFailed(type(exc).__name__) from exc
        finally:
            server.in_flight -= 1

    async def synthesize(self, req: SpeechRequest, cancel: threading.Event | None = None,
                         on_progress: Callable[[float], None] | None = None, *,
                         priority: Priority = Priority.BATCH,
                         key: Hashable | None = None) -> Audio:
        """The whole clip, streamed from the servers."""
        pieces = [piece async for piece in self.stream(req, cancel, priority=priority, key=key)]
        if on_progress is not None:
            on_progress(1.0)
        return Audio(np.concatenate(pieces) if pieces else np.zeros(0, np.float32))


async def _check(resp: Any) -> None:
    """Client errors are the user's (shown as they are); server errors mean: try another."""
    if resp.status == 200:
        return
    try:
        detail = (await resp.json()).get("error", {})
        message = detail.get("message") if isinstance(detail, dict) else str(detail)
    except (ValueError, TypeError, AttributeError):
        message = None
    if 400 <= resp.status < 500 and resp.status not in (401, 403, 429):
        error = TTSError(message or f"The synthesis server refused the request ({resp.status}).")
        error.status = resp.status
        raise error
    raise _ServerFailed(f"HTTP {resp.status}")


def _samples(pcm: bytes) -> np.ndarray:
    return np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0


def _no_local_voices(name: str) -> Any:
    raise ModelUnavailable("Voice files live on the synthesis servers (engine.remote).")
