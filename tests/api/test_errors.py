"""Every failure is `{"detail": ...}` with the status a client can act on, never a traceback."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from api import check_bind, main
from api._auth import RateLimiter
from api.errors import UnsafeBind, UnsafeWyomingBind
from api.server import check_wyoming_bind
from bot.settings import ApiSettings, Settings, WyomingSettings
from tests.api.conftest import ALICE, BOB, MAX_TEXT, Api, MakeApi

GENERATE = "/api/v1/tts/generate"


async def post(api: Api, path: str, **kwargs: object) -> tuple[int, dict]:
    kwargs.setdefault("headers", ALICE)
    async with api.session.post(api.url(path), **kwargs) as resp:  # type: ignore[arg-type]
        assert resp.content_type == "application/json"
        return resp.status, await resp.json()


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        (b"{not json", 400, "not valid JSON"),
        (b"[1, 2]", 400, "JSON object"),
        (b"", 400, "empty"),
        (b'{"voice": "af_heart"}', 422, "text"),
        (b'{"text": "Hi.", "speed": "fast"}', 422, "speed"),
        (b'{"text": "Hi.", "speed": 5}', 422, "speed"),
        (b'{"text": "   "}', 422, "no text"),
        (b'{"text": "Hi.", "voice": "af_bellla"}', 404, "af_bella"),
        (b'{"text": "Hi.", "lang_code": "x"}', 422, "unknown language"),
        (b'{"text": "Hi\\u0000 there."}', 422, "text"),
        (b'{"text": "\\u0001\\u0002\\u0003"}', 422, "nothing to read"),
        (b'{"text": "\\u200b\\u200d\\ufeff"}', 422, "nothing to read"),
        (b'{"text": "Hi.", "user_id": 123456789012345678901234567890}', 422, "user_id"),
    ],
)
async def test_bad_generate_requests(api: Api, body: bytes, status: int, words: str) -> None:
    got, data = await post(api, GENERATE, data=body,
                           headers={**ALICE, "Content-Type": "application/json"})
    assert got == status
    assert words in data["detail"]
    assert "Traceback" not in data["detail"]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (GENERATE, {"text": "Bonjour.", "voice": "af_heart", "lang_code": "f"}),
        ("/v1/audio/speech", {"input": "Bonjour.", "voice": "af_heart", "lang_code": "f"}),
    ],
)
async def test_a_voice_of_another_language_is_refused_as_in_discord(
    api: Api, path: str, body: dict
) -> None:
    status, data = await post(api, path, json=body)
    assert status == 422
    assert "af_heart" in data["detail"] and "French" in data["detail"]


async def test_text_over_the_engine_limit_is_413(api: Api) -> None:
    status, data = await post(api, GENERATE, json={"text": "a" * (MAX_TEXT + 1)})
    assert status == 413
    assert f"limit is {MAX_TEXT}" in data["detail"]


async def test_bodies_over_the_size_limit_are_413(api: Api) -> None:
    limit = api.ctx.api.max_body_bytes
    status, data = await post(api, GENERATE, json={"text": "a" * limit})
    assert status == 413 and f"{limit:,} bytes" in data["detail"]

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: caught while reading
        for _ in range(limit // 1024 + 2):
            yield b" " * 1024

    status, data = await post(api, GENERATE, data=chunks())
    assert status == 413 and f"{limit:,} bytes" in data["detail"]


async def test_unknown_paths_and_methods_are_json(api: Api) -> None:
    async with api.session.get(api.url("/nope"), headers=ALICE) as r:
        assert r.status == 404 and "detail" in await r.json()
    async with api.session.put(api.url(GENERATE), headers=ALICE) as r:
        assert r.status == 405 and "POST" in r.headers["Allow"]
        assert "detail" in await r.json()
    async with api.session.get(api.url("/api/v1/tts/not-a-uuid"), headers=ALICE) as r:
        assert r.status == 404


async def test_a_bug_is_a_500_with_an_incident_id_and_no_traceback(make_api: MakeApi) -> None:
    async def broken(request: web.Request) -> web.Response:
        raise RuntimeError("secret internals")

    api = await make_api(setup=lambda app: app.router.add_get("/api/v1/broken", broken))
    async with api.session.get(api.url("/api/v1/broken"), headers=ALICE) as r:
        assert r.status == 500
        detail = (await r.json())["detail"]
    assert "incident" in detail and "secret internals" not in detail


async def test_rate_limit_per_key_with_retry_after(make_api: MakeApi) -> None:
    now = [1000.0]
    api = await make_api(limiter=RateLimiter(2, clock=lambda: now[0]))
    voices = api.url("/v1/audio/voices")
    for _ in range(2):
        async with api.session.get(voices, headers=ALICE) as r:
            assert r.status == 200
    async with api.session.get(voices, headers=ALICE) as r:
        assert r.status == 429
        assert r.headers["Retry-After"] == "30"  # 2 a minute: one more every 30 s
        assert "30 s" in (await r.json())["detail"]
    async with api.session.get(voices, headers=BOB) as r:
        assert r.status == 200  # another key has its own allowance
    now[0] += 30
    async with api.session.get(voices, headers=ALICE) as r:
        assert r.status == 200
    # Guessing keys is throttled too (by address).
    statuses = []
    for n in range(3):
        async with api.session.get(voices, headers={"Authorization": f"Bearer guess{n}"}) as r:
            statuses.append(r.status)
    assert statuses == [401, 401, 429]


async def test_a_full_queue_is_429(make_api: MakeApi) -> None:
    api = await make_api(workers=0)
    cap = api.ctx.jobs.settings.per_user_cap
    for n in range(cap):
        status, _ = await post(api, GENERATE, json={"text": f"Job {n}."})
        assert status == 202
    status, data = await post(api, GENERATE, json={"text": "One too many."})
    assert status == 429
    assert f"the limit is {cap}" in data["detail"]


async def test_health_reports_engine_database_and_queue(make_api: MakeApi) -> None:
    api = await make_api(workers=0)
    for n in range(2):
        await post(api, GENERATE, json={"text": f"Job {n}."})
    async with api.session.get(api.url("/healthz")) as r:  # no key needed
        assert r.status == 200
        assert await r.json() == {
            "status": "ok", "engine_loaded": True, "database": True, "queue_depth": 2,
        }

    async def database_down() -> int:
        raise ConnectionError("connection refused")

    api.ctx.queue_depth = database_down
    async with api.session.get(api.url("/healthz")) as r:
        assert r.status == 503
        assert await r.json() == {
            "status": "degraded", "engine_loaded": True, "database": False, "queue_depth": None,
        }


def test_no_keys_means_loopback_only() -> None:
    check_bind(ApiSettings(host="127.0.0.1"))
    check_bind(ApiSettings(host="::1"))
    check_bind(ApiSettings(host="0.0.0.0", keys={"k": "u"}))
    for host in ("0.0.0.0", "::", "192.168.1.5", "example.org"):
        with pytest.raises(UnsafeBind, match=r"\[api.keys\]"):
            check_bind(ApiSettings(host=host))
    # `python -m bot api` refuses before it opens anything.
    assert main(Settings(api=ApiSettings(host="0.0.0.0"))) == 2


def test_wyoming_beyond_loopback_needs_an_allow_list_or_consent(capsys) -> None:
    check_wyoming_bind(WyomingSettings(enabled=True, uri="tcp://127.0.0.1:10200"))
    check_wyoming_bind(WyomingSettings(enabled=True, uri="unix:///run/tts.sock"))
    check_wyoming_bind(WyomingSettings(enabled=False, uri="tcp://0.0.0.0:10200"))
    check_wyoming_bind(WyomingSettings(enabled=True, uri="tcp://0.0.0.0:10200",
                                       allow_unauthenticated=True))
    check_wyoming_bind(WyomingSettings(enabled=True, uri="tcp://0.0.0.0:10200",
                                       allowed_clients=["192.168.1.0/24"]))
    with pytest.raises(UnsafeWyomingBind, match="allowed_clients"):
        check_wyoming_bind(WyomingSettings(enabled=True, uri="tcp://0.0.0.0:10200"))
    # `python -m bot api` refuses before it opens anything, in one line.
    capsys.readouterr()
    with socket.create_server(("0.0.0.0", 0)) as taken:  # refused before it would bind
        port = taken.getsockname()[1]
        wyoming = WyomingSettings(enabled=True, uri=f"tcp://0.0.0.0:{port}")
        assert main(Settings(wyoming=wyoming)) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: Refusing to serve Wyoming") and err.count("\n") == 1, err


DEEP = b'{"text": "hi", "x": ' + b"[" * 10_000 + b"]" * 10_000 + b"}"


@pytest.mark.parametrize("path", [GENERATE, "/v1/audio/speech"])
async def test_deeply_nested_json_is_a_400(api: Api, path: str) -> None:
    status, data = await post(api, path, data=DEEP,
                              headers={**ALICE, "Content-Type": "application/json"})
    assert status == 400 and "nested" in data["detail"]


@pytest.mark.parametrize(
    "body",
    [b'{"text": "Hi.", "speed": NaN}', b'{"text": "Hi.", "speed": Infinity}',
     b'{"text": "Hi.", "speed": -Infinity}'],
)
async def test_nan_and_infinity_are_not_json_numbers(api: Api, body: bytes) -> None:
    status, data = await post(api, GENERATE, data=body,
                              headers={**ALICE, "Content-Type": "application/json"})
    assert status == 400
    assert "not a JSON number" in data["detail"]


async def test_language_aliases_the_engine_accepts_are_accepted(api: Api) -> None:
    status, data = await post(api, GENERATE, json={"text": "Hi there.", "lang_code": "en-us"})
    assert status == 202 and data["lang_code"] == "a"
    status, data = await post(api, GENERATE, json={"text": "Hello.", "lang_code": "EN-GB"})
    assert status == 202 and data["lang_code"] == "b"


async def test_a_repeated_query_parameter_is_refused(make_api: MakeApi) -> None:
    api = await make_api(keys={})
    url = api.url("/api/v1/tts/?user_id=alice&user_id=bob")
    async with api.session.get(url) as r:
        assert r.status == 422
        assert "user_id" in (await r.json())["detail"]
        assert "more than once" in (await r.json())["detail"]


async def test_health_with_a_lazily_loaded_engine_and_no_workers_is_ok(
    make_api: MakeApi, model_dir
) -> None:
    from tts_engine import EngineConfig, LocalEngine

    api = await make_api(workers=0)
    lazy = LocalEngine(EngineConfig(model_dir=model_dir, device="cpu", load="lazy"))
    api.ctx.engine = lazy  # not loaded: nothing here will load it before the first request
    try:
        async with api.session.get(api.url("/healthz")) as r:
            assert r.status == 200
            body = await r.json()
        assert body["status"] == "ok" and body["engine_loaded"] is False
    finally:
        lazy.close()
