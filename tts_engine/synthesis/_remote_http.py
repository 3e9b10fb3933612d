"""The HTTP side of `RemoteEngine`: opening and reading one server's PCM stream, telling a
busy server (wait and ask again) from a failed one (try another), and the voice list."""

from __future__ import annotations

import email.utils
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_after_delay

from tts_engine.errors import SynthesisCancelled, SynthesisUnavailable, TTSError
from tts_engine.speech import SAMPLE_RATE, SpeechRequest

log = logging.getLogger(__name__)

#: Bytes of PCM handed on at least per piece (0.1 s), so callers get few, useful chunks.
MIN_PIECE = SAMPLE_RATE // 10 * 2
#: The scheduling a request asks for on the synthesis server (honoured for bot keys only).
PRIORITY_HEADER = "X-TTS-Priority"
FAIRNESS_HEADER = "X-TTS-Fairness-Key"
#: Used when a busy answer carries no usable `Retry-After`.
DEFAULT_RETRY_S = 1.0


@dataclass
class Server:
    """One synthesis server and what is known of it."""

    url: str
    up: bool = True
    in_flight: int = 0


class ServerFailed(Exception):
    """The server broke the stream (connection lost, 5xx, bad answer): try another."""


class ServerBusy(Exception):
    """The server answered 429 or 503: it is alive, ask again after `retry_after` seconds."""

    def __init__(self, url: str, status: int, retry_after: float) -> None:
        super().__init__(f"{url}: HTTP {status}, retry after {retry_after:g} s")
        self.retry_after = retry_after


def retry_after_s(value: str | None) -> float:
    """Seconds from a `Retry-After` header (delta-seconds or an HTTP date)."""
    if not value:
        return DEFAULT_RETRY_S
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, email.utils.parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return DEFAULT_RETRY_S


def busy_retrying(limit_s: float, on_wait: Callable[[bool], None] | None) -> AsyncRetrying:
    """Retries of a `ServerBusy`, each after the server's own `Retry-After`, for `limit_s`."""

    def wait(state: RetryCallState) -> float:
        assert state.outcome is not None
        exc = state.outcome.exception()
        return min(limit_s, exc.retry_after if isinstance(exc, ServerBusy) else DEFAULT_RETRY_S)

    def before_sleep(state: RetryCallState) -> None:
        sleep = state.next_action.sleep if state.next_action is not None else 0.0
        log.info("synthesis servers busy; asking again in %.1f s", sleep)
        if on_wait is not None:
            on_wait(True)

    return AsyncRetrying(retry=retry_if_exception_type(ServerBusy), wait=wait,
                         stop=stop_after_delay(limit_s), before_sleep=before_sleep,
                         reraise=True)


async def open_stream(session: Any, server: Server, req: SpeechRequest,
                      schedule: dict[str, str]) -> Any:
    """The server's started response (status 200; counted in flight until released)."""
    import aiohttp

    body = {"input": req.text, "voice": req.voice, "speed": req.speed,
            "lang_code": req.lang, "response_format": "pcm", "stream": True}
    try:
        resp = await session.post(f"{server.url}/v1/audio/speech", json=body, headers=schedule)
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        raise ServerFailed(type(exc).__name__) from exc
    try:
        await _check(server, resp)
    except BaseException:
        resp.release()
        raise
    server.in_flight += 1
    return resp


async def read_pcm(resp: Any, cancel: threading.Event, skip: int) -> AsyncIterator[np.ndarray]:
    """The response's PCM as float32 pieces, less its first `skip` samples."""
    import aiohttp

    pending, skip_bytes = b"", skip * 2
    try:
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
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        raise ServerFailed(type(exc).__name__) from exc
    if pending:
        yield _samples(pending[: len(pending) - len(pending) % 2])


async def _check(server: Server, resp: Any) -> None:
    """Client errors are the user's (shown as they are); 429 and 503 mean wait; other server
    errors mean try another."""
    if resp.status == 200:
        return
    if resp.status in (429, 503):
        raise ServerBusy(server.url, resp.status, retry_after_s(resp.headers.get("Retry-After")))
    message = await _message(resp)
    if 400 <= resp.status < 500 and resp.status not in (401, 403):
        error = TTSError(message or f"The synthesis server refused the request ({resp.status}).")
        error.status = resp.status
        raise error
    raise ServerFailed(f"HTTP {resp.status}")


async def _message(resp: Any) -> str | None:
    try:
        body = await resp.json()
    except (ValueError, TypeError, AttributeError):
        return None
    if not isinstance(body, dict):
        return None
    detail = body.get("detail") or body.get("error")
    if isinstance(detail, dict):
        detail = detail.get("message")
    return detail if isinstance(detail, str) else None


async def fetch_voices(session: Any, servers: list[Server], timeout_s: float) -> list[str]:
    """The voice names from the first server that answers; `SynthesisUnavailable` if none."""
    import aiohttp

    for server in servers:
        try:
            async with session.get(f"{server.url}/v1/audio/voices",
                                   timeout=aiohttp.ClientTimeout(total=timeout_s)) as resp:
                resp.raise_for_status()
                return [v["name"] for v in (await resp.json())["voices"]]
        except (aiohttp.ClientError, OSError, TimeoutError, ValueError, KeyError,
                TypeError) as exc:
            log.warning("synthesis server %s gave no voice list: %s", server.url, exc)
    raise SynthesisUnavailable()


def _samples(pcm: bytes) -> np.ndarray:
    return np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0
