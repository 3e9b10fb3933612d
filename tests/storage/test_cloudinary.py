"""The Cloudinary store, driven by the real SDK against a loopback fake that checks signatures."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from bot.runtime import build_audio_store
from bot.settings import StorageSettings
from storage.audio import (
    CloudinaryAudioStore,
    FallbackStore,
    LocalAudioStore,
    RetryingStore,
    parse_cloudinary_url,
)
from storage.errors import PermanentStorageError, StorageError
from tests.fakes.cloudinary import FakeCloudinary


@pytest.fixture
async def fake():
    async with FakeCloudinary() as server:
        yield server


async def test_upload_read_and_delete_through_the_real_sdk(fake):
    store = CloudinaryAudioStore(fake.url, folder="tts", timeout_s=5)
    pid = uuid.uuid4()
    stored = await store.put(pid, b"RIFF-audio-bytes", "wav")
    assert stored.key == f"tts/tts_{pid}" and stored.backend == "cloudinary"
    assert "/video/upload/" in stored.url  # audio is a video resource at Cloudinary
    assert fake.assets == {f"tts/tts_{pid}": b"RIFF-audio-bytes"}
    assert fake.rejected_signatures == 0
    assert await store.read(stored.key, stored.url) == b"RIFF-audio-bytes"
    await store.delete(stored.key)
    assert fake.assets == {} and fake.destroyed == [stored.key]
    await store.delete(stored.key)  # already gone: not an error
    await store.close()


async def test_a_wrong_secret_is_rejected_by_the_signature_check(fake):
    url = fake.url.replace(fake.api_secret, "not-the-secret")
    store = RetryingStore(CloudinaryAudioStore(url, timeout_s=5), attempts=3, wait_s=0.01)
    with pytest.raises(PermanentStorageError):
        await store.put(uuid.uuid4(), b"data", "wav")
    assert fake.rejected_signatures == 1  # refused once; no pointless retries
    assert fake.assets == {}


async def test_outage_is_retried_then_reported(fake):
    fake.mode = "outage"
    store = RetryingStore(CloudinaryAudioStore(fake.url, timeout_s=5), attempts=3, wait_s=0.01)
    with pytest.raises(StorageError) as caught:
        await store.put(uuid.uuid4(), b"data", "wav")
    assert caught.value.transient and fake.upload_requests == 3


async def test_outage_recovery_during_retries_succeeds(fake):
    fake.mode = "outage"
    store = RetryingStore(CloudinaryAudioStore(fake.url, timeout_s=5), attempts=4, wait_s=0.2)
    upload = asyncio.create_task(store.put(uuid.uuid4(), b"data", "wav"))
    async with asyncio.timeout(30):
        while fake.upload_requests < 1:
            fake.upload_seen.clear()
            await fake.upload_seen.wait()
    fake.mode = "ok"
    stored = await asyncio.wait_for(upload, 30)
    assert fake.assets[stored.key] == b"data" and fake.upload_requests >= 2


async def test_slow_answers_time_out_and_are_retried(fake):
    fake.mode, fake.slow_s = "slow", 10.0
    store = RetryingStore(CloudinaryAudioStore(fake.url, timeout_s=0.3), attempts=2, wait_s=0.01)
    with pytest.raises(StorageError) as caught:
        await store.put(uuid.uuid4(), b"data", "wav")
    assert caught.value.transient and fake.upload_requests == 2


async def test_fallback_keeps_the_audio_locally(fake, tmp_path):
    fake.mode = "outage"
    cloud = RetryingStore(CloudinaryAudioStore(fake.url, timeout_s=5), attempts=2, wait_s=0.01)
    local = LocalAudioStore(tmp_path, "http://files.test")
    store = FallbackStore(cloud, local)
    pid = uuid.uuid4()
    stored = await store.put(pid, b"kept", "wav")
    assert stored.backend == "local" and (tmp_path / f"{pid}.wav").read_bytes() == b"kept"
    assert await store.for_backend("local").read(stored.key) == b"kept"


def test_cloudinary_url_parsing_keeps_the_cloud_names_case():
    options = parse_cloudinary_url("cloudinary://k3y:s%40cret@MyCloud?upload_prefix=http://x")
    assert options == {"cloud_name": "MyCloud", "api_key": "k3y", "api_secret": "s@cret",
                       "upload_prefix": "http://x"}
    with pytest.raises(ValueError, match="cloudinary://"):
        parse_cloudinary_url("https://example.com")


def test_store_selection_from_settings(tmp_path):
    local = StorageSettings(local_dir=tmp_path)
    assert isinstance(build_audio_store(local), LocalAudioStore)
    cloud = StorageSettings(cloudinary_url="cloudinary://a:b@c", local_dir=tmp_path)
    assert isinstance(build_audio_store(cloud), RetryingStore)
    both = StorageSettings(cloudinary_url="cloudinary://a:b@c", fallback_to_local=True)
    assert isinstance(build_audio_store(both), FallbackStore)
    forced_local = StorageSettings(cloudinary_url="cloudinary://a:b@c", backend="local")
    assert isinstance(build_audio_store(forced_local), LocalAudioStore)
    with pytest.raises(ValueError, match="CLOUDINARY_URL"):
        build_audio_store(StorageSettings(backend="cloudinary"))
