"""The original service's four endpoints, the audio links they hand out, and who sees what."""

from __future__ import annotations

import io
import json
from urllib.parse import urlparse

import soundfile as sf

from tests.api.conftest import ALICE, BOB, Api, MakeApi

GENERATE = "/api/v1/tts/generate"


async def generate(api: Api, headers: dict[str, str], **body: object) -> dict:
    payload = {"text": "Hi there.", "voice": "af_heart", "speed": 1.0, "lang_code": "a", **body}
    async with api.session.post(api.url(GENERATE), json=payload, headers=headers) as resp:
        assert resp.status == 202, await resp.text()
        data = await resp.json()
        assert resp.headers["Location"] == f"/api/v1/tts/{data['tts_id']}"
        return data


async def test_generate_answers_pending_then_the_job_completes_with_audio(api: Api) -> None:
    created = await generate(api, ALICE, text="Hello world.", voice="af_bella", speed=1.2)
    assert created["status"] == "pending" and created["progress"] == 0
    assert created["audio_url"] is None
    assert created["user_id"] == "alice"  # taken from the key
    assert (created["text"], created["voice"], created["speed"], created["lang_code"]) == (
        "Hello world.", "af_bella", 1.2, "a",
    )
    assert created["position"] >= 1 and created["created_at"]

    assert await api.wait_final(created["tts_id"]) == "completed"
    async with api.session.get(api.url(f"/api/v1/tts/{created['tts_id']}"), headers=ALICE) as r:
        assert r.status == 200
        done = await r.json()
    assert done["status"] == "completed" and done["progress"] == 100
    assert done["text"] == "Hello world." and done["voice"] == "af_bella"

    # The link the job hands out is served by this API, whole and by ranges.
    path = urlparse(done["audio_url"]).path
    assert path.startswith("/audio/")
    async with api.session.get(api.url(path)) as r:
        assert r.status == 200 and r.headers["Content-Type"] == "audio/wav"
        whole = await r.read()
    samples, rate = sf.read(io.BytesIO(whole))
    assert rate == 24000 and len(samples) > 2400
    async with api.session.get(api.url(path), headers={"Range": "bytes=0-99"}) as r:
        assert r.status == 206
        assert r.headers["Content-Range"] == f"bytes 0-99/{len(whole)}"
        assert await r.read() == whole[:100]
    async with api.session.get(api.url(path), headers={"Range": f"bytes={len(whole) + 10}-"}) as r:
        assert r.status == 416


async def test_history_is_the_callers_newest_first_with_limit(api: Api) -> None:
    ids = [(await generate(api, ALICE, text=f"Number {n}."))["tts_id"] for n in range(3)]
    await generate(api, BOB, text="Not yours.")
    async with api.session.get(api.url("/api/v1/tts/?limit=2"), headers=ALICE) as r:
        assert r.status == 200
        page = await r.json()
    assert page["user_id"] == "alice" and page["limit"] == 2
    assert [p["tts_id"] for p in page["items"]] == ids[::-1][:2]
    async with api.session.get(
        api.url("/api/v1/tts/?user_id=alice&limit=20&offset=2"), headers=ALICE
    ) as r:
        assert [p["tts_id"] for p in (await r.json())["items"]] == ids[:1]


async def test_delete_removes_the_row_and_the_audio(api: Api) -> None:
    created = await generate(api, ALICE)
    assert await api.wait_final(created["tts_id"]) == "completed"
    item = api.url(f"/api/v1/tts/{created['tts_id']}")
    async with api.session.get(item, headers=ALICE) as r:
        audio_path = urlparse((await r.json())["audio_url"]).path
    async with api.session.delete(item, headers=ALICE) as r:
        assert r.status == 204
    async with api.session.get(item, headers=ALICE) as r:
        assert r.status == 404
        assert "no TTS project" in (await r.json())["detail"]
    async with api.session.get(api.url(audio_path)) as r:
        assert r.status == 404
    async with api.session.delete(item, headers=ALICE) as r:
        assert r.status == 404


async def test_a_key_neither_sees_nor_deletes_another_users_project(api: Api) -> None:
    theirs = await generate(api, BOB)
    item = api.url(f"/api/v1/tts/{theirs['tts_id']}")
    for method in ("GET", "DELETE"):
        async with api.session.request(method, item, headers=ALICE) as r:
            assert r.status == 404  # the same answer as for no project at all
    async with api.session.get(item, headers=BOB) as r:
        assert r.status == 200  # still there
    async with api.session.get(api.url("/api/v1/tts/?user_id=bob"), headers=ALICE) as r:
        assert r.status == 403
    async with api.session.post(
        api.url(GENERATE), json={"text": "Hi.", "user_id": "bob"}, headers=ALICE
    ) as r:
        assert r.status == 403
        assert "own user_id" in (await r.json())["detail"]


async def test_keys_are_required_and_checked(api: Api) -> None:
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic a2V5"}):
        async with api.session.post(api.url(GENERATE), json={"text": "Hi."},
                                    headers=headers) as r:
            assert r.status == 401
            assert "Bearer" in (await r.json())["detail"]
    async with api.session.get(api.url("/v1/audio/voices")) as r:
        assert r.status == 401


async def test_without_keys_user_id_comes_from_the_request(make_api: MakeApi) -> None:
    api = await make_api(keys={}, workers=0)
    async with api.session.post(api.url(GENERATE), json={"text": "Hi."}) as r:
        assert r.status == 422
        assert "user_id" in (await r.json())["detail"]
    created = await generate(api, {}, user_id=12345)  # Discord ids arrive as numbers
    assert created["user_id"] == "12345"
    async with api.session.get(api.url("/api/v1/tts/?user_id=12345")) as r:
        assert [p["tts_id"] for p in (await r.json())["items"]] == [created["tts_id"]]


async def test_audio_route_serves_only_stored_clips(api: Api) -> None:
    audio_dir = api.ctx.audio_dir
    audio_dir.mkdir(parents=True, exist_ok=True)
    (audio_dir.parent / "secret.wav").write_bytes(b"RIFF-not-yours")
    (audio_dir / "notes.txt").write_text("not audio")
    for path in ("/audio/..%2Fsecret.wav", "/audio/notes.txt", "/audio/missing.wav"):
        async with api.session.get(api.url(path)) as r:
            assert r.status == 404, path
            assert "no such audio" in (await r.json())["detail"]


async def test_events_follow_a_job_to_the_end_in_one_request(api: Api) -> None:
    created = await generate(api, ALICE, text="Followed as it goes.")
    url = api.url(f"/api/v1/tts/{created['tts_id']}/events")
    async with api.session.get(url, headers=BOB) as r:
        assert r.status == 404  # not bob's
    events = []
    async with api.session.get(url, headers=ALICE) as r:
        assert r.status == 200 and r.headers["Content-Type"] == "text/event-stream"
        async for line in r.content:  # ends by itself once the job has
            if line.startswith(b"data: "):
                events.append(json.loads(line[6:]))
    assert events[0]["tts_id"] == created["tts_id"]
    assert events[-1]["status"] == "completed" and events[-1]["progress"] == 100
    assert events[-1]["audio_url"].endswith(f"/audio/{created['tts_id']}.wav")
    progress = [e["progress"] for e in events]
    assert progress == sorted(progress) and len(events) >= 2
    assert all(e["audio_url"] is None for e in events[:-1])


async def test_text_of_escape_codes_alone_is_refused(api: Api) -> None:
    async with api.session.post(api.url(GENERATE), json={"text": "\x01\x02\x03\x1b[31m\x7f"},
                                headers=ALICE) as r:
        assert r.status == 422, await r.text()
        assert "nothing to read aloud" in (await r.json())["detail"]


async def test_a_whole_number_user_id_may_be_written_with_a_fraction_of_zero(
        make_api: MakeApi) -> None:
    api = await make_api(keys={}, workers=0)
    created = await generate(api, {}, user_id=36528.0)  # an integer to JSON Schema
    assert created["user_id"] == "36528"
    for bad in (36528.5, True, -1, ""):
        async with api.session.post(api.url(GENERATE), json={"text": "Hi.", "user_id": bad}) as r:
            detail = (await r.json())["detail"]
            assert r.status == 422 and "text" in detail and "whole number" in detail, detail
