"""Fair scheduling: voice before streams before jobs, round robin over who asked, and a cancelled
stream frees the engine at once."""

from __future__ import annotations

import asyncio
import threading

import pytest

from tts_engine import LocalEngine
from tts_engine.errors import SynthesisCancelled
from tts_engine.synthesis.scheduler import FairScheduler, Priority, drive

WAIT_S = 30.0


@pytest.fixture
def scheduler():
    sched = FairScheduler(1, name="test-sched")
    yield sched
    sched.close()


def _blocked(scheduler: FairScheduler) -> threading.Event:
    """Occupy the one worker until the returned event is set."""
    gate, running = threading.Event(), threading.Event()

    def hold() -> None:
        running.set()
        gate.wait(WAIT_S)

    scheduler.submit(hold, key="holder")
    assert running.wait(WAIT_S)
    return gate


def test_voice_goes_before_streams_before_jobs(scheduler):
    gate = _blocked(scheduler)
    order: list[str] = []
    futures = [
        scheduler.submit(lambda: order.append("job"), priority=Priority.BATCH),
        scheduler.submit(lambda: order.append("stream"), priority=Priority.INTERACTIVE),
        scheduler.submit(lambda: order.append("voice"), priority=Priority.VOICE),
    ]
    gate.set()
    for future in futures:
        future.result(WAIT_S)
    assert order == ["voice", "stream", "job"]


def test_a_long_text_delays_another_server_by_one_step(scheduler):
    gate = _blocked(scheduler)
    order: list[str] = []
    long_text = [scheduler.submit(lambda i=i: order.append(f"long{i}"), priority=Priority.VOICE,
                                  key="server-a") for i in range(6)]
    short = scheduler.submit(lambda: order.append("short"), priority=Priority.VOICE,
                             key="server-b")
    gate.set()
    short.result(WAIT_S)
    for future in long_text:
        future.result(WAIT_S)
    assert order.index("short") <= 1
    assert [o for o in order if o != "short"] == [f"long{i}" for i in range(6)]  # in order


def test_a_cancelled_step_never_runs(scheduler):
    gate = _blocked(scheduler)
    cancel = threading.Event()
    ran: list[int] = []
    future = scheduler.submit(lambda: ran.append(1), cancel=cancel)
    cancel.set()
    gate.set()
    with pytest.raises(SynthesisCancelled):
        future.result(WAIT_S)
    assert ran == []


@pytest.fixture
def engine(uncached_engine: LocalEngine) -> LocalEngine:
    return uncached_engine


async def test_a_voice_message_is_not_held_back_by_a_long_job(engine):
    long_text = " ".join(f"Sentence number {i} of a long document, read slowly." for i in range(12))
    loop, progressed = asyncio.get_running_loop(), asyncio.Event()
    job = asyncio.create_task(engine.synthesize(
        engine.validate(long_text), key="user-1",
        on_progress=lambda _: loop.call_soon_threadsafe(progressed.set)))
    await asyncio.wait_for(progressed.wait(), WAIT_S)  # the job is under way
    stream = engine.stream(engine.validate("Hello there."), priority=Priority.VOICE,
                           key="guild-2")
    first = await asyncio.wait_for(anext(stream), WAIT_S)
    assert len(first) > 0
    assert not job.done()  # the short message did not wait for the whole job
    await stream.aclose()
    job.cancel()
    with pytest.raises(asyncio.CancelledError):
        await job


async def test_a_skipped_stream_is_abandoned_inside_its_chunk(engine):
    """Skip during inference: the running chunk stops at the model's next layer."""
    cancel = threading.Event()
    reached: list[str] = []

    def skip_now(*_: object) -> None:  # the listener skips while the decoder runs
        reached.append("decoder")
        cancel.set()

    later: list[str] = []
    handles = [engine._model.decoder.register_forward_pre_hook(skip_now),
               engine._model.decoder.generator.register_forward_pre_hook(
                   lambda *_: later.append("generator"))]
    try:
        stream = engine.stream(engine.validate("One long sentence to say."), cancel,
                               priority=Priority.VOICE, key="guild-3")
        with pytest.raises(SynthesisCancelled):
            await asyncio.wait_for(anext(stream), WAIT_S)
    finally:
        for handle in handles:
            handle.remove()
    assert reached == ["decoder"] and later == []  # stopped before the costly generator
    # The engine is free at once for the next utterance.
    nxt = engine.stream(engine.validate("Next."), priority=Priority.VOICE, key="guild-3")
    assert len(await asyncio.wait_for(anext(nxt), WAIT_S)) > 0
    await nxt.aclose()


def test_a_job_step_waiting_past_max_wait_goes_ahead_of_voice():
    """Continuous voice traffic never starves a queued job: once its step has waited longer
    than `max_wait_s` it is served next."""
    sched = FairScheduler(1, name="test-ageing", max_wait_s=0.05)
    try:
        gate = _blocked(sched)
        order: list[str] = []
        job = sched.submit(lambda: order.append("job"), priority=Priority.BATCH, key="user")
        voice = [sched.submit(lambda i=i: order.append(f"voice{i}"), priority=Priority.VOICE,
                              key=f"guild-{i}") for i in range(3)]
        threading.Event().wait(0.1)  # the job's step is now older than max_wait_s
        gate.set()
        for future in [job, *voice]:
            future.result(WAIT_S)
        assert order[0] == "job"
    finally:
        sched.close()


def test_without_ageing_voice_still_goes_first():
    sched = FairScheduler(1, name="test-no-ageing", max_wait_s=60.0)
    try:
        gate = _blocked(sched)
        order: list[str] = []
        job = sched.submit(lambda: order.append("job"), priority=Priority.BATCH)
        voice = sched.submit(lambda: order.append("voice"), priority=Priority.VOICE)
        gate.set()
        job.result(WAIT_S)
        voice.result(WAIT_S)
        assert order == ["voice", "job"]
    finally:
        sched.close()


async def test_drive_says_when_each_step_waits_and_when_it_runs(scheduler):
    """The job timeout stops its clock on True and starts it again on False."""
    gate = _blocked(scheduler)
    events: list[tuple[bool, bool]] = []  # (waiting, whether the gate was open then)

    def steps():
        yield 1
        yield 2

    async def collect() -> list[int]:
        return [x async for x in drive(
            scheduler, steps(), threading.Event(), priority=Priority.BATCH, key="job",
            on_wait=lambda waiting: events.append((waiting, gate.is_set())))]

    task = asyncio.create_task(collect())
    await asyncio.sleep(0.1)  # the first step is queued behind the held worker
    assert events == [(True, False)]
    gate.set()
    assert await asyncio.wait_for(task, WAIT_S) == [1, 2]
    assert [w for w, _ in events] == [True, False] * 3  # two items and the end
    assert events[1] == (False, True)  # it ran only once the worker was free
