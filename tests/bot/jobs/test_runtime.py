"""The shared runtime every process starts: settings in, a working job system out."""

from __future__ import annotations

import pytest

from bot.jobs import JobRequest, Stage
from bot.runtime import open_runtime
from bot.settings import Settings
from storage.models import ProjectStatus
from tests.bot.jobs.conftest import follow
from tests.conftest import DB_BACKENDS


@pytest.mark.parametrize("backend", DB_BACKENDS)
async def test_runtime_from_settings_runs_a_job_and_keeps_it_across_restarts(
    backend, tmp_path, model_dir, pg_url
):
    url = f"sqlite://{tmp_path}/data/bot.sqlite3" if backend == "sqlite" else pg_url
    settings = Settings(
        engine={"model_dir": model_dir, "device": "cpu", "threads": 1},
        database={"url": url},
        storage={"local_dir": tmp_path / "audio", "public_base_url": "http://h:1"},
        jobs={"workers": 1, "poll_interval_s": 0.1, "heartbeat_s": 0.5},
    )
    async with open_runtime(settings) as rt:
        result = await rt.jobs.submit(JobRequest(user_id="9", text="Runtime check."))
        events = await follow(rt.jobs, result.project.id)
        assert events[-1].stage is Stage.DONE and rt.engine.ready
        assert events[-1].audio_url == f"http://h:1/audio/{result.project.id}.wav"
    # A restart (migrations run again) finds the finished project and its audio.
    async with open_runtime(settings, workers=0) as rt:
        project = await rt.jobs.get(result.project.id)
        assert project.status == ProjectStatus.COMPLETED
        assert (await rt.jobs.audio_bytes(project))[:4] == b"RIFF"
        if backend == "postgres":
            await project.delete()
