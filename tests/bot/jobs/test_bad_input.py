"""Bad input never becomes a job; full queues say so with the numbers; cancel in every state."""

from __future__ import annotations

import asyncio

import pytest

from bot.jobs import JobRequest, Stage, can_manage
from bot.jobs.errors import AlreadyFinished, ProjectNotFound, QueueFull
from storage.models import ProjectStatus, TTSProject
from tests.bot.jobs.conftest import WAIT_S, GatedEngine, follow
from tts_engine.errors import (
    InvalidVoiceSpec,
    LanguageNotSupported,
    NothingToSay,
    SpeedOutOfRange,
    TextEmpty,
    TextTooLong,
    VoiceNotFound,
)

BAD_REQUESTS = [
    (dict(text=""), TextEmpty),
    (dict(text="   \n "), TextEmpty),
    (dict(text="x" * 5001), TextTooLong),
    (dict(text="Hi.", speed=0.2), SpeedOutOfRange),
    (dict(text="Hi.", speed=2.5), SpeedOutOfRange),
    (dict(text="Hi.", speed=float("nan")), SpeedOutOfRange),
    (dict(text="Hi.", lang="xx"), LanguageNotSupported),
    (dict(text="Hi.", voice="af_nobody"), VoiceNotFound),
    (dict(text="Hi.", voice="af_heart(2)+"), InvalidVoiceSpec),
    # Nothing speakable: control characters, zero-width characters, lone symbols.
    (dict(text="\x01\x02\x03"), NothingToSay),
    (dict(text="\u200b\u200c\u200d\ufeff"), NothingToSay),
    (dict(text=" $ ... !? "), NothingToSay),
]


@pytest.mark.parametrize(("fields", "error"), BAD_REQUESTS)
async def test_invalid_requests_are_refused_before_any_job_exists(make_service, fields, error):
    service = await make_service(workers=0)
    with pytest.raises(error) as caught:
        await service.submit(JobRequest(user_id="1", **fields))
    assert str(caught.value)  # a sentence for the user
    assert await TTSProject.all().count() == 0


async def test_per_user_cap_gives_the_numbers_and_others_can_still_submit(make_service):
    service = await make_service(workers=0, per_user_cap=2, global_cap=10)
    for i in range(2):
        await service.submit(JobRequest(user_id="greedy", text=f"Job {i}."))
    with pytest.raises(QueueFull) as caught:
        await service.submit(JobRequest(user_id="greedy", text="One more."))
    assert "2 requests" in str(caught.value) and "limit is 2" in str(caught.value)
    await service.submit(JobRequest(user_id="patient", text="My turn."))
    assert await TTSProject.all().count() == 3


async def test_global_cap_gives_the_numbers(make_service):
    service = await make_service(workers=0, per_user_cap=5, global_cap=3)
    for i in range(3):
        await service.submit(JobRequest(user_id=f"u{i}", text="Hello."))
    with pytest.raises(QueueFull) as caught:
        await service.submit(JobRequest(user_id="late", text="Hello."))
    assert "queue is full (3" in str(caught.value) and "limit is 3" in str(caught.value)


async def test_finished_jobs_free_the_cap(make_service):
    service = await make_service(workers=0, per_user_cap=1)
    first = await service.submit(JobRequest(user_id="u", text="One."))
    await service.cancel(first.project.id)
    await service.submit(JobRequest(user_id="u", text="Two."))


async def test_concurrent_submits_never_exceed_the_cap(make_service):
    service = await make_service(workers=0, per_user_cap=3)
    results = await asyncio.gather(
        *(service.submit(JobRequest(user_id="u", text=f"Go {i}.")) for i in range(8)),
        return_exceptions=True,
    )
    assert sum(not isinstance(r, Exception) for r in results) == 3
    assert all(isinstance(r, QueueFull) for r in results if isinstance(r, Exception))


async def test_cancel_pending_job_never_starts(make_service, tiny_engine):
    gated = GatedEngine(tiny_engine)
    front = await make_service(engine=gated, workers=0)
    result = await front.submit(JobRequest(user_id="1", text="Never spoken."))
    cancelled = await front.cancel(result.project.id)
    assert cancelled.status == ProjectStatus.CANCELLED
    await make_service(engine=gated, workers=1)  # a worker arrives afterwards
    gated.gate.set()
    other = await front.submit(JobRequest(user_id="2", text="Spoken."))
    await follow(front, other.project.id)  # the worker is demonstrably running jobs
    row = await front.get(result.project.id)
    assert row.status == ProjectStatus.CANCELLED and row.attempts == 0 and row.audio_url is None
    assert gated.calls == 1


async def test_cancel_running_job_stops_it_and_stores_nothing(make_service, tiny_engine,
                                                              tmp_path):
    gated = GatedEngine(tiny_engine)
    service = await make_service(engine=gated)
    result = await service.submit(JobRequest(user_id="1", text="Stop me."))
    await asyncio.wait_for(gated.entered.wait(), WAIT_S)  # inference has begun
    await service.cancel(result.project.id)
    # The engine saw the cancel Event (a bounded wait in a thread).
    assert await asyncio.to_thread(gated.saw_cancel.wait, 30)
    events = await follow(service, result.project.id)
    assert events[-1].stage is Stage.CANCELLED
    row = await service.get(result.project.id)
    assert row.status == ProjectStatus.CANCELLED and row.audio_url is None
    # The worker is free again and nothing was written for the cancelled job.
    gated.gate.set()
    nxt = await service.submit(JobRequest(user_id="1", text="Next one."))
    assert (await follow(service, nxt.project.id))[-1].stage is Stage.DONE
    assert [p.name for p in (tmp_path / "audio").iterdir()] == [f"{nxt.project.id}.wav"]
    assert (await service.get(result.project.id)).status == ProjectStatus.CANCELLED


async def test_cancel_finished_and_cancelled_and_unknown(make_service):
    service = await make_service()
    done = await service.submit(JobRequest(user_id="1", text="Done."))
    await follow(service, done.project.id)
    with pytest.raises(AlreadyFinished, match="already completed"):
        await service.cancel(done.project.id)
    failed = await TTSProject.create(user_id="1", text="x", voice="af_heart", lang_code="a",
                                     request_key="k", status=ProjectStatus.FAILED, error="boom")
    with pytest.raises(AlreadyFinished, match="already failed"):
        await service.cancel(failed.id)
    service_idle = await make_service(workers=0)
    pending = await service_idle.submit(JobRequest(user_id="1", text="Later."))
    await service_idle.cancel(pending.project.id)
    again = await service_idle.cancel(pending.project.id)  # idempotent
    assert again.status == ProjectStatus.CANCELLED
    with pytest.raises(ProjectNotFound):
        await service.cancel(failed.id.__class__(int=1))


async def test_delete_removes_row_and_audio(make_service, tmp_path):
    service = await make_service()
    result = await service.submit(JobRequest(user_id="1", text="Delete me."))
    await follow(service, result.project.id)
    assert (tmp_path / "audio" / f"{result.project.id}.wav").exists()
    await service.delete(result.project.id)
    assert await service.get(result.project.id) is None
    assert not (tmp_path / "audio" / f"{result.project.id}.wav").exists()
    with pytest.raises(ProjectNotFound):
        await service.delete(result.project.id)


async def test_only_owner_or_a_manager_of_its_guild_may_manage():
    in_guild = TTSProject(user_id="owner", guild_id=99)
    in_dm = TTSProject(user_id="owner", guild_id=None)
    assert can_manage(in_guild, "owner") and can_manage(in_guild, 12345, manages_guild=True)
    assert not can_manage(in_guild, "intruder")
    assert not can_manage(in_dm, "intruder", manages_guild=True)
