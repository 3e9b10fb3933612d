"""The job service end to end on a real (tiny) engine: submit, progress, results, history."""

from __future__ import annotations

import io
import os
import time
from uuid import uuid4

import numpy as np
import soundfile as sf

from bot.jobs import JobRequest, Stage
from storage.models import ProjectStatus, TTSProject
from tests.bot.jobs.conftest import GatedEngine, follow


async def test_job_flows_from_pending_to_completed_with_every_stage(make_service, tmp_path):
    service = await make_service()
    result = await service.submit(JobRequest(user_id="42", text="Hello there.", voice="af_heart"))
    assert result.position == 1
    assert result.project.status == ProjectStatus.PENDING

    events = await follow(service, result.project.id)

    stages = [e.stage for e in events]
    assert stages[-1] is Stage.DONE
    progress = [e.progress for e in events]
    assert progress == sorted(progress), "progress never goes backwards"
    # Early events may be missed by a late subscriber, never the stages after generating.
    assert {30, 60, 80, 100} <= set(progress)
    done = await service.get(result.project.id)
    assert done.status == ProjectStatus.COMPLETED and done.progress == 100
    assert done.audio_url == f"http://files.test/audio/{done.id}.wav"
    assert events[-1].audio_url == done.audio_url
    assert done.attempts == 1 and done.started_at and done.finished_at
    assert done.duration_s > 0.1 and done.size_bytes > 1000 and done.audio_format == "wav"
    wav = await service.audio_bytes(done)
    samples, rate = sf.read(io.BytesIO(wav), dtype="float32")
    assert rate == 24000 and abs(len(samples) / rate - done.duration_s) < 0.01
    assert np.abs(samples).max() > 0
    assert (tmp_path / "audio" / f"{done.id}.wav").read_bytes() == wav


async def test_audio_is_offered_as_ogg_opus_too(make_service):
    service = await make_service()
    result = await service.submit(JobRequest(user_id="1", text="Small file.", voice="af_sky"))
    await follow(service, result.project.id)
    project = await service.get(result.project.id)
    ogg = await service.audio_bytes(project, "ogg")
    assert ogg[:4] == b"OggS"
    assert len(ogg) < project.size_bytes


async def test_identical_requests_reuse_audio_without_sharing_anything_between_users(
    make_service, tiny_engine, tmp_path
):
    engine = GatedEngine(tiny_engine)
    engine.gate.set()
    service = await make_service(engine=engine)
    first = await service.submit(JobRequest(user_id="1", text="Same words.", voice="af_bella"))
    await follow(service, first.project.id)
    second = await service.submit(JobRequest(user_id="2", text="Same words.", voice="af_bella"))
    await follow(service, second.project.id)
    a, b = await service.get(first.project.id), await service.get(second.project.id)
    assert b.status == ProjectStatus.COMPLETED
    assert engine.calls == 1, "the second request reused the first one's audio"
    # Nothing of the first user's project shows in the second's.
    assert str(a.id) not in b.audio_url and b.storage_key != a.storage_key
    assert str(b.id) in b.audio_url
    assert await service.audio_bytes(b) == await service.audio_bytes(a)

    await service.delete(a.id)
    assert not (tmp_path / "audio" / f"{a.id}.wav").exists()
    assert await service.audio_bytes(b)  # the second user's audio is untouched
    await service.delete(b.id)
    assert not list((tmp_path / "audio").glob("*.wav"))


async def test_a_reuse_racing_a_delete_still_ends_with_working_audio(make_service, tmp_path):
    service = await make_service()
    first = await service.submit(JobRequest(user_id="1", text="Gone soon.", voice="af_bella"))
    await follow(service, first.project.id)
    # The first project's clip disappears just as an identical request runs (a racing delete).
    (tmp_path / "audio" / f"{first.project.id}.wav").unlink()
    second = await service.submit(JobRequest(user_id="2", text="Gone soon.", voice="af_bella"))
    events = await follow(service, second.project.id)
    assert events[-1].stage is Stage.DONE
    b = await service.get(second.project.id)
    assert len(await service.audio_bytes(b)) > 1000


async def test_defaults_and_stored_request(make_service):
    service = await make_service()
    result = await service.submit(JobRequest(user_id="7", text="  Defaults please.  ",
                                             source="api", guild_id=5, channel_id=6))
    p = result.project
    assert (p.voice, p.lang_code, p.speed, p.text) == ("af_heart", "a", 1.0, "Defaults please.")
    assert (p.source, p.guild_id, p.channel_id, p.user_id) == ("api", 5, 6, "7")


async def test_a_project_keeps_the_text_as_typed_and_says_it_as_words(make_service):
    service = await make_service(workers=0)
    result = await service.submit(JobRequest(user_id="7", text="Entry $5\x07 at 9:30."))
    stored = await TTSProject.get(id=result.project.id)
    # /history and the API show what was typed (less controls); the engine says the words.
    assert stored.text == "Entry $5 at 9:30."
    assert stored.spoken_text == stored.spoken == "Entry five dollars at nine thirty."


async def test_positions_count_the_jobs_ahead(make_service):
    service = await make_service(workers=0)  # nobody runs them: the queue only grows
    results = [await service.submit(JobRequest(user_id=f"u{i}", text=f"Number {i}."))
               for i in range(3)]
    assert [r.position for r in results] == [1, 2, 3]
    await service.cancel(results[0].project.id)
    assert await service.position(results[2].project.id) == 2
    assert await service.position(results[0].project.id) is None


async def test_history_is_the_users_own_newest_first_and_pages(make_service):
    service = await make_service(workers=0)
    mine = [await service.submit(JobRequest(user_id="me", text=f"Line {i}.")) for i in range(4)]
    await service.submit(JobRequest(user_id="someone-else", text="Not yours."))
    page1 = await service.history("me", limit=3)
    page2 = await service.history("me", limit=3, offset=3)
    assert [p.id for p in page1 + page2] == [r.project.id for r in reversed(mine)]


async def test_a_process_without_workers_still_sees_progress(make_service):
    front = await make_service(workers=0)   # e.g. the bot, with workers elsewhere
    await make_service(workers=1)           # the worker process (same database)
    result = await front.submit(JobRequest(user_id="1", text="Far away."))
    events = await follow(front, result.project.id)
    assert events[-1].stage is Stage.DONE and events[-1].audio_url
    assert await TTSProject.filter(status=ProjectStatus.COMPLETED).count() == 1


async def test_a_delete_racing_the_finish_of_its_job_leaves_no_audio(make_service, tmp_path):
    service = await make_service(workers=0)
    result = await service.submit(JobRequest(user_id="1", text="Finishing now."))
    pid = result.project.id
    await TTSProject.filter(id=pid).update(status=ProjectStatus.PROCESSING)
    real_cancel = service.cancel

    async def finished_meanwhile(project_id):
        # The worker stores the clip and completes the row just before the cancel lands.
        stored = await service.store.put(project_id, b"RIFF clip", "wav")
        await TTSProject.filter(id=project_id).update(
            status=ProjectStatus.COMPLETED, storage_key=stored.key, storage_backend="local",
            audio_url=stored.url)
        return await real_cancel(project_id)

    service.cancel = finished_meanwhile
    await service.delete(pid)
    assert await service.get(pid) is None
    assert not (tmp_path / "audio" / f"{pid}.wav").exists()


async def test_start_up_removes_audio_files_that_no_project_owns(make_service, tmp_path):
    service = await make_service(workers=0)
    result = await service.submit(JobRequest(user_id="1", text="Owned."))
    owned = await service.store.put(result.project.id, b"RIFF owned", "wav")
    await TTSProject.filter(id=result.project.id).update(
        status=ProjectStatus.COMPLETED, storage_key=owned.key, storage_backend="local")
    orphan = await service.store.put(uuid4(), b"RIFF orphan", "wav")
    young = await service.store.put(uuid4(), b"RIFF being stored now", "wav")
    folder = tmp_path / "audio"
    old = time.time() - 3600
    for key in (owned.key, orphan.key):
        os.utime(folder / key, (old, old))
    await make_service(workers=0)  # a restart
    assert sorted(p.name for p in folder.iterdir()) == sorted([owned.key, young.key])
