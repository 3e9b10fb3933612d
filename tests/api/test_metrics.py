"""`/metrics` scraped as Prometheus would, and read back with prometheus_client's own parser."""

from __future__ import annotations

import asyncio
import uuid

from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from bot.metrics import STORAGE_RETRIES
from storage.audio import RetryingStore
from storage.audio.base import AudioStore, StoredAudio
from storage.errors import StorageError
from tests.api.conftest import ALICE, Api, MakeApi

SPEECH = {"input": "Counting the first audio.", "voice": "af_heart", "response_format": "pcm"}


async def scrape(api: Api, headers: dict[str, str] | None = ALICE) -> dict[str, list[Sample]]:
    """Every sample of a scrape, by metric family name."""
    async with api.session.get(api.url("/metrics"), headers=headers) as resp:
        assert resp.status == 200, await resp.text()
        assert resp.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        text = await resp.text()
    return {family.name: family.samples for family in text_string_to_metric_families(text)}


def value(samples: dict[str, list[Sample]], name: str, **labels: str) -> float:
    """The one sample called `name` with these labels."""
    (found,) = [
        s.value for family in samples.values() for s in family
        if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
    ]
    return found


async def test_scrape_counts_jobs_by_state_and_synthesis(api: Api) -> None:
    before = await scrape(api)
    completed = value(before, "kokoro_jobs", state="completed")
    synthesis = value(before, "kokoro_synthesis_seconds_total")
    audio = value(before, "kokoro_audio_seconds_total")
    assert value(before, "kokoro_database_up") == 1.0

    body = {"text": "A job for the metrics.", "voice": "af_heart"}
    async with api.session.post(api.url("/api/v1/tts/generate"), json=body,
                                headers=ALICE) as resp:
        created = await resp.json()
    assert await api.wait_final(created["tts_id"]) == "completed"

    after = await scrape(api)
    assert value(after, "kokoro_jobs", state="completed") == completed + 1
    assert value(after, "kokoro_jobs", state="pending") == value(after, "kokoro_queue_depth")
    for state in ("pending", "processing", "failed", "cancelled"):
        assert value(after, "kokoro_jobs", state=state) >= 0
    # The model ran: time was spent, and audio came out (their ratio is the real-time factor).
    assert value(after, "kokoro_synthesis_seconds_total") > synthesis
    assert value(after, "kokoro_audio_seconds_total") > audio + 0.1
    for priority in ("voice", "interactive", "batch"):
        assert value(after, "kokoro_scheduler_queued_steps", priority=priority) >= 0
    assert value(after, "kokoro_voice_channels_active") >= 0
    assert value(after, "process_resident_memory_bytes") > 0


async def test_first_audio_of_a_stream_is_observed_per_front_door(api: Api) -> None:
    name = "kokoro_first_audio_seconds_count"
    before = value(await scrape(api), name, front_door="api")
    wyoming = value(await scrape(api), name, front_door="wyoming")
    async with api.session.post(api.url("/v1/audio/speech"), json=SPEECH, headers=ALICE) as r:
        assert r.status == 200 and len(await r.read()) > 0
    after = await scrape(api)
    assert value(after, name, front_door="api") == before + 1
    assert value(after, name, front_door="wyoming") == wyoming  # nothing came in that way
    assert value(after, "kokoro_first_audio_seconds_sum", front_door="api") > 0
    # A histogram: the +Inf bucket holds every observation.
    assert value(after, "kokoro_first_audio_seconds_bucket", front_door="api",
                 le="+Inf") == before + 1


async def test_metrics_need_a_key_when_the_api_has_keys(api: Api) -> None:
    async with api.session.get(api.url("/metrics")) as resp:
        assert resp.status == 401
    async with api.session.get(api.url("/metrics"),
                               headers={"Authorization": "Bearer wrong"}) as resp:
        assert resp.status == 401


async def test_keyless_loopback_api_serves_metrics_without_a_key(make_api: MakeApi) -> None:
    api = await make_api(keys={})
    samples = await scrape(api, headers=None)
    assert "kokoro_jobs" in samples


class _FlakyStore(AudioStore):
    backend = "flaky"

    def __init__(self, failures: int) -> None:
        self.failures = failures

    async def put(self, project_id, data, fmt) -> StoredAudio:  # type: ignore[no-untyped-def]
        if self.failures:
            self.failures -= 1
            raise StorageError("the service is busy")
        return StoredAudio(backend="flaky", key="a", url="http://127.0.0.1/a.wav", size_bytes=1)

    async def read(self, key, url=None) -> bytes:  # type: ignore[no-untyped-def]
        return b""

    async def delete(self, key) -> None:  # type: ignore[no-untyped-def]
        return None


async def test_storage_retries_are_counted(api: Api) -> None:
    before = value(await scrape(api), "kokoro_storage_retries_total", where="upload")
    counter = STORAGE_RETRIES.labels(where="upload")
    store = RetryingStore(_FlakyStore(failures=2), attempts=3, wait_s=0.0, on_retry=counter.inc)
    await asyncio.wait_for(store.put(uuid.uuid4(), b"x", "wav"), 10)
    after = value(await scrape(api), "kokoro_storage_retries_total", where="upload")
    assert after == before + 2
