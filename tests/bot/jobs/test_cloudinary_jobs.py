"""Jobs stored on Cloudinary (the loopback fake, driven by the real SDK)."""

from __future__ import annotations

import pytest

from bot.jobs import JobRequest, Stage
from storage.audio import CloudinaryAudioStore, RetryingStore
from storage.models import ProjectStatus
from tests.bot.jobs.conftest import follow
from tests.fakes.cloudinary import FakeCloudinary


@pytest.fixture
async def fake():
    async with FakeCloudinary() as server:
        yield server


def cloud_store(fake: FakeCloudinary, attempts: int = 3) -> RetryingStore:
    return RetryingStore(CloudinaryAudioStore(fake.url, folder="tts", timeout_s=5),
                         attempts=attempts, wait_s=0.01)


async def test_job_completes_with_audio_on_cloudinary_and_delete_removes_it(make_service, fake):
    service = await make_service(store=cloud_store(fake))
    result = await service.submit(JobRequest(user_id="1", text="To the cloud."))
    events = await follow(service, result.project.id)
    assert events[-1].stage is Stage.DONE
    project = await service.get(result.project.id)
    assert project.storage_backend == "cloudinary"
    assert project.storage_key == f"tts/tts_{project.id}"
    assert project.audio_url.startswith(fake.base)
    wav = await service.audio_bytes(project)
    assert wav == fake.assets[project.storage_key] and wav[:4] == b"RIFF"
    await service.delete(project.id)
    assert fake.destroyed == [f"tts/tts_{project.id}"] and fake.assets == {}


async def test_outage_ends_in_a_stored_readable_error(make_service, fake):
    fake.mode = "outage"
    service = await make_service(store=cloud_store(fake, attempts=3), max_attempts=1)
    result = await service.submit(JobRequest(user_id="1", text="Nowhere to go."))
    events = await follow(service, result.project.id)
    assert events[-1].stage is Stage.FAILED
    row = await service.get(result.project.id)
    assert row.status == ProjectStatus.FAILED and row.audio_url is None
    assert "could not be stored" in row.error
    assert fake.upload_requests == 3  # the store's retries happened before giving up
