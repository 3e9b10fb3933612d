"""Jobs and the runtime with synthesis on remote servers (`engine.remote`)."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator

import pytest

from bot.jobs import JobRequest, Stage
from bot.runtime import open_runtime
from bot.settings import Settings
from tests.bot.jobs.conftest import follow
from tests.fakes.synthesis import Answer, FakeSynthServer
from tts_engine import EngineConfig
from tts_engine.synthesis.remote import RemoteEngine


@pytest.fixture
async def fake() -> AsyncIterator[FakeSynthServer]:
    server = FakeSynthServer()
    await server.start()
    yield server
    await server.stop()


async def test_a_remote_failure_is_retried_and_the_user_never_sees_an_address(
        make_service, fake):
    fake.script = deque([Answer(500)])  # the only server fails once, then recovers
    engine = RemoteEngine(EngineConfig(remote=[fake.url]))
    await engine.start()
    try:
        service = await make_service(engine=engine)
        result = await service.submit(JobRequest(user_id="1", text="Through the network."))
        events = await follow(service, result.project.id)
    finally:
        engine.close()
    assert events[-1].stage is Stage.DONE
    retried = [e for e in events if e.error]
    assert retried, "the failure was not reported as a retry"
    assert all("127.0.0.1" not in e.error and "http" not in e.error for e in retried)


async def test_lazy_remote_engine_without_workers_still_checks_server_health(tmp_path, fake):
    settings = Settings(
        engine={"remote": [fake.url], "load": "lazy", "remote_health_s": 0.05},
        database={"url": f"sqlite://{tmp_path}/bot.sqlite3"},
        storage={"local_dir": tmp_path / "audio"},
        jobs={"workers": 0},
    )
    async with open_runtime(settings) as rt:
        rt.engine.servers[0].up = False  # type: ignore[attr-defined]
        await asyncio.wait_for(fake.probed.wait(), 30)
        fake.probed.clear()
        await asyncio.wait_for(fake.probed.wait(), 30)  # a whole round has run since
        assert rt.engine.servers[0].up  # type: ignore[attr-defined]
