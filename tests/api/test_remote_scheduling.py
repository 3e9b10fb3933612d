"""A bot shard synthesising on this API (`engine.remote`) keeps the scheduling model: voice
before jobs and Discord servers in turn hold on the synthesis server, rate limits are per
server id, and a busy answer means wait, not "dead server"."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Generator
from typing import Any

import numpy as np
import pytest

from tests.api.conftest import ALICE
from tts_engine import EngineConfig, LocalEngine, SpeechRequest
from tts_engine.synthesis.remote import RemoteEngine
from tts_engine.synthesis.scheduler import FairScheduler, Priority

#: The scheduling headers a bot shard sends (the wire format, spelled out).
PRIORITY_HEADER, FAIRNESS_HEADER = "X-TTS-Priority", "X-TTS-Fairness-Key"
BOT_KEY = "shard-key"
KEYS = {BOT_KEY: "shard", "key-alice": "alice"}
WAIT_S = 120.0  # 2 shared cores, and the first synthesis of a run warms the model up
SENTENCES = "One sentence here. Another one."


class _Recording:
    """Wraps a scheduler's `submit` to record the (priority, key) of each step as it runs."""

    def __init__(self, scheduler: FairScheduler) -> None:
        self.order: list[tuple[Priority, Any]] = []
        self.submitted = 0
        self._submit = scheduler.submit
        self._more = asyncio.Event()

    def submit(self, fn: Callable[[], Any], *, priority: Priority = Priority.BATCH,
               key: Any = None, cancel: threading.Event | None = None) -> Any:
        def run() -> Any:
            self.order.append((priority, key))
            return fn()
        self.submitted += 1  # on the event loop: the API's handlers submit from there
        self._more.set()
        return self._submit(run, priority=priority, key=key, cancel=cancel)

    async def until_submitted(self, count: int) -> None:
        async with asyncio.timeout(WAIT_S):
            while self.submitted < count:
                self._more.clear()
                await self._more.wait()


def _hold(scheduler: Any) -> threading.Event:
    gate, running = threading.Event(), threading.Event()

    def hold() -> None:
        running.set()
        gate.wait(WAIT_S)

    scheduler.submit(hold, priority=Priority.VOICE, key="holder")
    assert running.wait(WAIT_S)
    return gate


@pytest.fixture
async def remote(make_api, api_engine) -> AsyncIterator[tuple[Any, RemoteEngine]]:
    await asyncio.to_thread(api_engine.synthesize_sync, api_engine.validate("Warm."))
    api = await make_api(keys=KEYS, bot_users=["shard"])
    engine = RemoteEngine(EngineConfig(remote=[api.server.url], remote_key=BOT_KEY))
    await engine.start()
    yield api, engine
    engine.close()


async def test_voice_before_jobs_and_servers_in_turn_hold_on_the_synthesis_server(
        remote, api_engine, monkeypatch):
    _, engine = remote
    monkeypatch.setattr(api_engine.scheduler, "max_wait_s", None)  # no ageing in this test
    recording = _Recording(api_engine.scheduler)
    monkeypatch.setattr(api_engine.scheduler, "submit", recording.submit)
    gate = _hold(api_engine.scheduler)  # submitted through the recording: step 1
    try:
        req = engine.validate(SENTENCES)
        job = asyncio.create_task(engine.synthesize(req, key=None))
        await recording.until_submitted(2)
        streams = [engine.stream(req, priority=Priority.VOICE, key=guild) for guild in (1, 2)]
        firsts = [asyncio.create_task(anext(s)) for s in streams]  # type: ignore[arg-type]
        await recording.until_submitted(4)
    finally:
        gate.set()
    await asyncio.wait_for(asyncio.gather(job, *firsts), WAIT_S)
    for stream in streams:
        await stream.aclose()  # type: ignore[attr-defined]
    first, second = recording.order[1], recording.order[2]  # [0] is the holder
    # The job asked first, yet both servers' voice steps ran before it, one of each.
    assert (first[0], second[0]) == (Priority.VOICE, Priority.VOICE), recording.order
    assert {first[1], second[1]} == {"shard:1", "shard:2"}
    assert [p for p, _ in recording.order].index(Priority.BATCH) > 2


async def test_scheduling_headers_of_an_ordinary_key_are_ignored(api, api_engine, monkeypatch):
    recording = _Recording(api_engine.scheduler)
    monkeypatch.setattr(api_engine.scheduler, "submit", recording.submit)
    headers = {**ALICE, PRIORITY_HEADER: "voice", FAIRNESS_HEADER: "1"}
    async with api.session.post(api.url("/v1/audio/speech"), headers=headers,
                                json={"input": "Hello.", "response_format": "pcm"}) as resp:
        assert resp.status == 200
        await resp.read()
    assert {p for p, _ in recording.order} == {Priority.INTERACTIVE}


async def test_a_malformed_priority_from_a_bot_key_is_a_clear_error(remote):
    api, _ = remote
    headers = {"Authorization": f"Bearer {BOT_KEY}", PRIORITY_HEADER: "urgent"}
    async with api.session.post(api.url("/v1/audio/speech"), headers=headers,
                                json={"input": "Hello."}) as resp:
        assert resp.status == 422
        assert PRIORITY_HEADER in (await resp.json())["detail"]


class _QuickEngine(LocalEngine):
    """The real scheduler and validation, with 0.1 s of silence in place of the model."""

    def stream_sync(self, req: SpeechRequest, cancel: threading.Event | None = None
                    ) -> Generator[np.ndarray, None, None]:
        yield np.zeros(2400, np.float32)


async def test_a_thousand_messages_a_minute_from_one_shard_lose_nothing(
        make_api, model_dir, monkeypatch):
    """1,000 voice messages from 100 servers of one shard, as fast as loopback allows (well
    over 1,000 a minute), against the default limit of 60 a minute: every one is heard."""
    quick = _QuickEngine(EngineConfig(model_dir=model_dir, cache_entries=0))
    api = await make_api(keys=KEYS, bot_users=["shard"])
    monkeypatch.setattr(api.ctx, "engine", quick)
    engine = RemoteEngine(EngineConfig(remote=[api.server.url], remote_key=BOT_KEY))
    await engine.start()
    limit = asyncio.Semaphore(50)
    req = engine.validate("A message.")

    async def message(n: int) -> float:
        async with limit:
            pieces = [p async for p in engine.stream(req, priority=Priority.VOICE, key=n % 100)]
            return sum(len(p) for p in pieces) / 24000

    try:
        heard = await asyncio.wait_for(asyncio.gather(*(message(n) for n in range(1000))),
                                       240)
    finally:
        engine.close()
        quick.close()
    assert heard == [pytest.approx(0.1)] * 1000
    assert engine.failovers == 0  # no server was taken for dead
