"""A job's timeout counts its own synthesis, not the time it waits behind voice traffic."""

from __future__ import annotations

import asyncio
import threading

from bot.jobs import JobRequest, Stage
from tests.bot.jobs.conftest import follow, wait_for_stage
from tts_engine.synthesis.scheduler import Priority

TIMEOUT_S = 8.0  # ample for the job's own inference (about 1-4 s on 2 busy shared cores)


async def test_time_queued_behind_voice_does_not_count_against_the_timeout(
        make_service, tiny_engine):
    text = "Hi there."
    # Warm: the first synthesis of a run compiles kernels, which is not what is measured here.
    await asyncio.to_thread(tiny_engine.synthesize_sync, tiny_engine.validate(text))
    tiny_engine.cache.clear()
    gate, running = threading.Event(), threading.Event()

    def voice_traffic() -> None:  # holds the engine's one inference thread
        running.set()
        gate.wait(60)

    held = tiny_engine.scheduler.submit(voice_traffic, priority=Priority.VOICE, key="guild")
    try:
        assert await asyncio.to_thread(running.wait, 30)
        service = await make_service(timeout_s=TIMEOUT_S)
        result = await service.submit(JobRequest(user_id="1", text=text))
        await wait_for_stage(service, result.project.id, Stage.GENERATING)
        # Waiting in the engine's queue for longer than the whole timeout...
        await asyncio.sleep(TIMEOUT_S * 1.5)
    finally:
        gate.set()
    await asyncio.wrap_future(held)
    events = await follow(service, result.project.id)
    # ...is not the job's fault: once the engine is free it completes.
    assert events[-1].stage is Stage.DONE, events[-1].error
