"""`RemoteEngine` against a loopback fake synthesis server: a busy server (429, 503) is waited
for with its Retry-After, never taken for dead; failures never show an internal address; the
voice list is never fetched with blocking I/O on the event loop."""

from __future__ import annotations

import asyncio
import socket
import time
from collections import deque
from collections.abc import AsyncIterator

import pytest

from tests.fakes.synthesis import Answer, FakeSynthServer
from tts_engine import EngineConfig
from tts_engine.errors import EngineNotReady, SynthesisUnavailable
from tts_engine.synthesis.remote import FAIRNESS_HEADER, PRIORITY_HEADER, RemoteEngine
from tts_engine.synthesis.scheduler import Priority


@pytest.fixture
async def fake() -> AsyncIterator[FakeSynthServer]:
    server = FakeSynthServer()
    await server.start()
    yield server
    await server.stop()


def _closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


async def _engine(*urls: str, **config: float) -> RemoteEngine:
    engine = RemoteEngine(EngineConfig(remote=list(urls), remote_key="k", **config))
    await engine.start()
    return engine


async def test_a_busy_server_is_asked_again_after_its_retry_after(fake):
    fake.script = deque([Answer(429, {"Retry-After": "1"}), Answer(503, {"Retry-After": "1"})])
    engine = await _engine(fake.url)
    waited: list[bool] = []
    try:
        clip = await engine.synthesize(engine.validate("Hello."), on_wait=waited.append)
    finally:
        engine.close()
    assert clip.duration == pytest.approx(0.1)
    assert len(fake.requests) == 3 and waited == [True, False, True, False]
    assert engine.servers[0].up and engine.failovers == 0  # busy is not dead


async def test_each_request_carries_its_priority_and_fairness_key(fake):
    engine = await _engine(fake.url)
    try:
        stream = engine.stream(engine.validate("Hi."), priority=Priority.VOICE, key=1234)
        assert [len(p) async for p in stream] == [2400]
        await engine.synthesize(engine.validate("Hi."))
    finally:
        engine.close()
    voice, job = fake.requests
    assert (voice[PRIORITY_HEADER], voice[FAIRNESS_HEADER]) == ("voice", "1234")
    assert job[PRIORITY_HEADER] == "batch" and FAIRNESS_HEADER not in job


async def test_busy_past_the_retry_window_fails_without_naming_the_server(fake):
    fake.script = deque([Answer(429, {"Retry-After": "1"})] * 5)
    engine = await _engine(fake.url, remote_retry_s=0.5)
    try:
        with pytest.raises(SynthesisUnavailable) as caught:
            await engine.synthesize(engine.validate("Hello."))
    finally:
        engine.close()
    assert caught.value.transient
    assert "busy" in str(caught.value) and "127.0.0.1" not in str(caught.value)


async def test_every_server_down_fails_without_naming_a_server(fake, caplog):
    engine = await _engine(fake.url)
    dead = _closed_port_url()
    engine.servers[0].url = dead  # the voice list came from it; now it is gone
    try:
        with pytest.raises(SynthesisUnavailable) as caught:
            await engine.synthesize(engine.validate("Hello."))
    finally:
        engine.close()
    assert caught.value.transient
    assert "http" not in str(caught.value) and "127.0.0.1" not in str(caught.value)
    assert dead in caplog.text  # the address is for the operator's log


async def test_validate_before_the_voice_list_never_blocks_the_event_loop(fake):
    engine = RemoteEngine(EngineConfig(remote=[fake.url], hub_timeout_s=10))
    try:
        started = time.monotonic()
        with pytest.raises(EngineNotReady):
            engine.validate("Hello.")
        assert time.monotonic() - started < 1.0
        await engine.start()  # fetches the list asynchronously
        assert engine.validate("Hello.").voice == "af_heart"
    finally:
        engine.close()


async def test_health_checks_bring_a_server_back(fake):
    engine = await _engine(fake.url, remote_health_s=0.05)
    try:
        engine.servers[0].up = False
        for _ in range(2):  # after a whole round of probes the flag is fresh
            fake.probed.clear()
            await asyncio.wait_for(fake.probed.wait(), 30)
        await asyncio.wait_for(fake.probed.wait(), 30)
    finally:
        engine.close()
    assert engine.servers[0].up
