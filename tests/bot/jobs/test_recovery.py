"""Nothing stays `processing` forever: recovery, shutdown, timeouts and retries."""

from __future__ import annotations

import asyncio
import errno
import logging
import os
from datetime import timedelta
from uuid import UUID

import pytest

from bot.jobs import JobRequest, Stage
from bot.jobs.queue import now
from storage.audio import LocalAudioStore, StoredAudio
from storage.errors import PermanentStorageError, StorageError
from storage.models import ProjectStatus, TTSProject, request_key
from tests.bot.jobs.conftest import GatedEngine, follow, wait_for_stage


async def _orphan(attempts: int, text: str = "Left behind.") -> TTSProject:
    """A job a dead worker was running: processing, silent for a minute."""
    stale = now() - timedelta(seconds=60)
    return await TTSProject.create(
        user_id="1", text=text, voice="af_heart", speed=1.0, lang_code="a",
        request_key=request_key(text, "af_heart", 1.0, "a"), status=ProjectStatus.PROCESSING,
        progress=30, attempts=attempts, worker_id="dead-host:1:abc", heartbeat_at=stale,
        started_at=stale,
    )


async def test_orphaned_job_is_recovered_at_start_and_completes_once(make_service):
    orphan = await _orphan(attempts=1)
    service = await make_service()
    events = await follow(service, orphan.id)
    assert events[-1].stage is Stage.DONE
    row = await service.get(orphan.id)
    assert row.status == ProjectStatus.COMPLETED and row.attempts == 2


async def test_job_whose_worker_keeps_dying_fails_with_a_reason(make_service):
    orphan = await _orphan(attempts=3)
    service = await make_service(max_attempts=3)
    events = await follow(service, orphan.id)
    assert events[-1].stage is Stage.FAILED
    assert "interrupted 3 times" in (await service.get(orphan.id)).error


async def test_a_live_workers_job_is_left_alone(make_service, tiny_engine):
    gated = GatedEngine(tiny_engine)
    service = await make_service(engine=gated, lease_s=1.0)
    result = await service.submit(JobRequest(user_id="1", text="Still working."))
    await wait_for_stage(service, result.project.id, Stage.GENERATING)
    # Heartbeats every 0.2 s keep the lease, through several recovery passes.
    for _ in range(3):
        await service.pool.recover()
        row = await service.get(result.project.id)
        assert row.status == ProjectStatus.PROCESSING and row.worker_id == service.worker_id
    gated.gate.set()
    assert (await follow(service, result.project.id))[-1].stage is Stage.DONE
    assert (await service.get(result.project.id)).attempts == 1


async def test_shutdown_requeues_a_job_that_outlives_the_grace_period(make_service, tiny_engine):
    gated = GatedEngine(tiny_engine)
    service = await make_service(engine=gated, shutdown_grace_s=0.2)
    result = await service.submit(JobRequest(user_id="1", text="Interrupted."))
    await wait_for_stage(service, result.project.id, Stage.GENERATING)
    await service.stop()
    row = await service.get(result.project.id)
    assert row.status == ProjectStatus.PENDING and row.attempts == 0 and row.worker_id is None
    gated.gate.set()
    successor = await make_service(engine=gated)
    assert (await follow(successor, result.project.id))[-1].stage is Stage.DONE


async def test_shutdown_lets_a_running_job_finish_within_the_grace_period(make_service,
                                                                          tiny_engine):
    gated = GatedEngine(tiny_engine)
    service = await make_service(engine=gated, shutdown_grace_s=60)
    result = await service.submit(JobRequest(user_id="1", text="Finish me."))
    queued = await service.submit(JobRequest(user_id="2", text="Not started."))
    await wait_for_stage(service, result.project.id, Stage.GENERATING)
    stopping = asyncio.create_task(service.stop())
    gated.gate.set()
    await asyncio.wait_for(stopping, 60)
    assert (await service.get(result.project.id)).status == ProjectStatus.COMPLETED
    assert (await service.get(queued.project.id)).status == ProjectStatus.PENDING


async def test_a_job_over_its_timeout_fails_and_stops_inference(make_service, tiny_engine):
    gated = GatedEngine(tiny_engine)
    service = await make_service(engine=gated, timeout_s=0.5)
    result = await service.submit(JobRequest(user_id="1", text="Too slow."))
    events = await follow(service, result.project.id)
    assert events[-1].stage is Stage.FAILED
    assert "longer than 0.5 seconds" in events[-1].error
    assert await asyncio.to_thread(gated.saw_cancel.wait, 30)


class FlakyStore(LocalAudioStore):
    """Fails the first `failures` uploads with the given error."""

    def __init__(self, root, failures: int, error: StorageError) -> None:
        super().__init__(root, "http://files.test")
        self.failures, self.error, self.puts = failures, error, 0

    async def put(self, project_id: UUID, data: bytes, fmt: str) -> StoredAudio:
        self.puts += 1
        if self.puts <= self.failures:
            raise self.error
        return await super().put(project_id, data, fmt)


async def test_transient_storage_faults_are_retried_with_backoff(make_service, tmp_path):
    store = FlakyStore(tmp_path / "a", failures=1, error=StorageError("connection reset"))
    service = await make_service(store=store, max_attempts=3)
    result = await service.submit(JobRequest(user_id="1", text="Try again."))
    events = await follow(service, result.project.id)
    assert events[-1].stage is Stage.DONE
    assert (await service.get(result.project.id)).attempts == 2 and store.puts == 2


async def test_permanent_storage_faults_fail_at_once_with_a_readable_reason(make_service,
                                                                            tmp_path):
    store = FlakyStore(tmp_path / "a", failures=9, error=PermanentStorageError("bad key"))
    service = await make_service(store=store, max_attempts=3)
    result = await service.submit(JobRequest(user_id="1", text="No luck."))
    events = await follow(service, result.project.id)
    assert events[-1].stage is Stage.FAILED
    assert "could not be stored" in events[-1].error and store.puts == 1


async def test_transient_faults_give_up_after_max_attempts(make_service, tmp_path, caplog):
    store = FlakyStore(tmp_path / "a", failures=9, error=StorageError("timeout"))
    service = await make_service(store=store, max_attempts=2)
    result = await service.submit(JobRequest(user_id="1", text="Give up."))
    with caplog.at_level(logging.INFO, logger="bot.jobs.runner"):
        events = await follow(service, result.project.id)
    assert events[-1].stage is Stage.FAILED and store.puts == 2
    row = await service.get(result.project.id)
    assert row.attempts == 2 and "after 2 attempts" in row.error
    failures = [r.getMessage() for r in caplog.records if "storing the audio" in r.getMessage()]
    assert len(failures) == 2
    assert "attempt 1 of 2, will retry" in failures[0]
    assert "attempt 2 of 2, giving up" in failures[1]  # the last one says so


async def test_an_upload_retry_reuses_the_audio_instead_of_synthesising_again(
    make_service, tiny_engine, tmp_path
):
    engine = GatedEngine(tiny_engine)
    engine.gate.set()
    store = FlakyStore(tmp_path / "a", failures=2, error=StorageError("connection reset"))
    service = await make_service(engine=engine, store=store, max_attempts=3)
    result = await service.submit(JobRequest(user_id="1", text="Synthesise me once."))
    events = await follow(service, result.project.id)
    assert events[-1].stage is Stage.DONE and store.puts == 3
    assert engine.calls == 1, "the retries stored the audio already made"


def _disk_fault(monkeypatch, code: int, times: int) -> list[int]:
    """The local store's writes fail with OSError `code` the first `times` times."""
    import storage.audio.local as local

    real, calls = local._write_atomic, []

    def write(path, data):
        calls.append(1)
        if len(calls) <= times:
            raise OSError(code, os.strerror(code))
        return real(path, data)

    monkeypatch.setattr(local, "_write_atomic", write)
    return calls


async def test_a_full_disk_is_retried_and_the_job_completes(make_service, monkeypatch, caplog):
    calls = _disk_fault(monkeypatch, errno.ENOSPC, times=1)
    service = await make_service(max_attempts=3)
    result = await service.submit(JobRequest(user_id="1", text="Room at last."))
    events = await follow(service, result.project.id)
    assert events[-1].stage is Stage.DONE and len(calls) == 2
    assert "No space left on device" in caplog.text  # the operator sees the real cause


@pytest.mark.parametrize(
    ("code", "words"),
    [(errno.ENOSPC, "storage is full"), (errno.EROFS, "can't write"),
     (errno.EACCES, "can't write")],
)
async def test_a_local_storage_fault_tells_the_user_what_happened(
    make_service, monkeypatch, code, words
):
    _disk_fault(monkeypatch, code, times=99)
    service = await make_service(max_attempts=2)
    result = await service.submit(JobRequest(user_id="1", text="Nowhere to go."))
    events = await follow(service, result.project.id)
    assert events[-1].stage is Stage.FAILED
    assert words in events[-1].error and "unreachable" not in events[-1].error
    assert (await service.get(result.project.id)).attempts == 2  # it was retried
