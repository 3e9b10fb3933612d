"""The caller's pronunciation dictionary over HTTP, and the API speaking with it."""

from __future__ import annotations

import asyncio
import re
from urllib.parse import quote

import pytest

from bot import dictionary
from tests.api.conftest import ALICE, BOB, Api, MakeApi
from tts_engine import LocalEngine

DICT = "/api/v1/dictionary"


async def test_a_key_manages_its_own_dictionary(api: Api) -> None:
    put = api.session.put
    async with put(api.url(f"{DICT}/gg"), json={"replacement": "good game"}, headers=ALICE) as r:
        assert r.status == 201, await r.text()
    async with put(api.url(f"{DICT}/Kokoro"), json={"replacement": "/kˈOkəɹO/"},
                   headers=ALICE) as r:
        assert r.status == 201 and (await r.json())["phonemes"] is True
    async with put(api.url(f"{DICT}/gg"), json={"replacement": "gee gee"}, headers=ALICE) as r:
        assert r.status == 200  # replaced
    async with put(api.url(f"{DICT}/bad"), json={"replacement": "/a(b/"}, headers=ALICE) as r:
        assert r.status == 422 and "slashes" in (await r.json())["detail"]
    async with put(api.url(f"{DICT}/bad"), json={"replacement": "x", "case_sensitive": 0},
                   headers=ALICE) as r:
        assert r.status == 422  # a number is not a yes/no
    async with api.session.get(api.url(DICT), headers=ALICE) as r:
        listing = await r.json()
    assert [(e["word"], e["replacement"]) for e in listing["entries"]] == [
        ("gg", "gee gee"), ("Kokoro", "/kˈOkəɹO/")]
    async with api.session.get(api.url(DICT), headers=BOB) as r:
        assert (await r.json())["entries"] == []  # bob's own, empty
    async with api.session.delete(api.url(f"{DICT}/GG"), headers=ALICE) as r:
        assert r.status == 204
    async with api.session.delete(api.url(f"{DICT}/gg"), headers=ALICE) as r:
        assert r.status == 404


async def test_the_api_speaks_with_the_callers_dictionary(api: Api, api_engine: LocalEngine,
                                                          monkeypatch: object) -> None:
    async with api.session.put(api.url(f"{DICT}/Kokoro"), json={"replacement": "/kˈOkᵊɹO/"},
                               headers=ALICE) as r:
        assert r.status == 201
    async with api.session.put(api.url(f"{DICT}/gg"), json={"replacement": "good game"},
                               headers=ALICE) as r:
        assert r.status == 201
    payload = {"text": "gg Kokoro.", "voice": "af_heart", "speed": 1.0, "lang_code": "a"}
    async with api.session.post(api.url("/api/v1/tts/generate"), json=payload,
                                headers=ALICE) as r:
        created = await r.json()
    assert created["spoken_text"] == "good game [Kokoro](/kˈOkᵊɹO/)."
    assert created["text"] == "gg Kokoro."
    async with api.session.post(api.url("/api/v1/tts/generate"), json=payload,
                                headers=BOB) as r:
        assert (await r.json())["spoken_text"] == "gg Kokoro."  # bob has no entries
    heard: list[str] = []
    real = api_engine._infer

    def infer(phonemes: str, *args: object) -> object:
        heard.append(phonemes)
        return real(phonemes, *args)

    monkeypatch.setattr(api_engine, "_infer", infer)  # type: ignore[attr-defined]
    body = {"model": "kokoro", "input": "Kokoro!", "voice": "af_heart", "stream": False}
    async with api.session.post(api.url("/v1/audio/speech"), json=body, headers=ALICE) as r:
        assert r.status == 200
    assert any("kˈOkᵊɹO" in p for p in heard)  # the phonemes as written, NFKC or not


async def test_a_full_dictionary_refuses_more(api: Api) -> None:
    owner = dictionary.Owner.user("alice")
    for n in range(dictionary.MAX_USER_ENTRIES):
        await dictionary.put(owner, f"w{n}", "x")
    async with api.session.put(api.url(f"{DICT}/one-more"), json={"replacement": "no"},
                               headers=ALICE) as r:
        assert r.status == 409 and "full (100 entries)" in (await r.json())["detail"]
    async with api.session.put(api.url(f"{DICT}/w1"), json={"replacement": "yes"},
                               headers=ALICE) as r:
        assert r.status == 200  # replacing an entry is always possible


async def test_speech_names_whose_dictionary_applies(
    make_api: MakeApi, api_engine: LocalEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    heard: list[str] = []
    real = api_engine._infer
    monkeypatch.setattr(api_engine, "_infer", lambda ps, *a: heard.append(ps) or real(ps, *a))
    await dictionary.put(dictionary.Owner.user("local"), "Kokoro", "/kˈOkəɹO/")
    keyless = await make_api(keys={})
    body = {"input": "Kokoro.", "voice": "af_heart", "stream": False, "response_format": "wav"}
    # Without keys, a request may name the user (the web page's local user) ...
    async with keyless.session.post(keyless.url("/v1/audio/speech"),
                                    json={**body, "user_id": "local"}) as r:
        assert r.status == 200
    assert any("kˈOkəɹO" in p for p in heard)
    heard.clear()
    # ... and without one, nobody's dictionary applies.
    async with keyless.session.post(keyless.url("/v1/audio/speech"), json=body) as r:
        assert r.status == 200
    assert heard and not any("kˈOkəɹO" in p for p in heard)


async def test_a_key_cannot_speak_with_another_users_dictionary(api: Api) -> None:
    body = {"input": "Hello.", "voice": "af_heart", "stream": False, "user_id": "bob"}
    async with api.session.post(api.url("/v1/audio/speech"), json=body, headers=ALICE) as r:
        assert r.status == 403


async def test_the_api_reads_written_forms_after_the_dictionary(
        api: Api, api_engine: LocalEngine, monkeypatch: object) -> None:
    # The dictionary runs first and wins: its "vs" is not the normaliser's "versus".
    for word, replacement in (("vs", "against"), ("R2D2", "/ˈɑɹtˈutˈu/")):
        async with api.session.put(api.url(f"{DICT}/{word}"),
                                   json={"replacement": replacement}, headers=ALICE) as r:
            assert r.status == 201, await r.text()
    payload = {"text": "R2D2 vs me from 9:30, entry $5.", "voice": "af_heart",
               "speed": 1.0, "lang_code": "a"}
    async with api.session.post(api.url("/api/v1/tts/generate"), json=payload,
                                headers=ALICE) as r:
        created = await r.json()
    assert created["text"] == payload["text"]  # as sent, as /history shows it
    assert created["spoken_text"] == ("[R2D2](/ˈɑɹtˈutˈu/) against me from nine thirty, "
                                      "entry five dollars.")
    heard: list[str] = []
    real = api_engine._infer

    def infer(phonemes: str, *args: object) -> object:
        heard.append(phonemes)
        return real(phonemes, *args)

    monkeypatch.setattr(api_engine, "_infer", infer)  # type: ignore[attr-defined]
    body = {"model": "kokoro", "input": "Growth was 12.5%.", "voice": "af_heart",
            "stream": False}
    async with api.session.post(api.url("/v1/audio/speech"), json=body, headers=ALICE) as r:
        assert r.status == 200
    assert any("pəɹsˈɛnt" in p for p in heard), heard  # the percent is said


async def test_concurrent_writes_of_one_word_all_succeed(api: Api) -> None:
    async def put(n: int) -> int:
        async with api.session.put(api.url(f"{DICT}/racy"), json={"replacement": f"take {n}"},
                                   headers=ALICE) as r:
            return r.status

    statuses = await asyncio.gather(*(put(n) for n in range(8)))
    assert sorted(statuses) == [200] * 7 + [201], statuses
    async with api.session.get(api.url(DICT), headers=ALICE) as r:
        entries = (await r.json())["entries"]
    assert [e["word"] for e in entries] == ["racy"]


async def test_a_non_ascii_word_is_removed_in_another_case(api: Api) -> None:
    for word in ("Ärger", "ΣΟΦΊΑ", "straße"):
        async with api.session.put(api.url(f"{DICT}/{word}"), json={"replacement": "x"},
                                   headers=ALICE) as r:
            assert r.status == 201
    for other_case in ("äRGER", "σοφία", "STRASSE"):
        async with api.session.delete(api.url(f"{DICT}/{other_case}"), headers=ALICE) as r:
            assert r.status == 204, (other_case, await r.text())
    async with api.session.get(api.url(DICT), headers=ALICE) as r:
        assert (await r.json())["entries"] == []


async def test_the_documented_word_pattern_is_what_the_api_accepts(api: Api) -> None:
    async with api.session.get(api.url("/api/v1/openapi.json")) as r:
        doc = await r.json()
    [param] = doc["paths"][f"{DICT}/{{word}}"]["put"]["parameters"]
    pattern = re.compile(param["schema"]["pattern"])
    cases = ["gg", " spaced out ", "AC", "x" * 50, "x" * 51, "a[b", "a(b)", "  ", "a\x00b"]
    for word in cases:
        async with api.session.put(api.url(f"{DICT}/{quote(word, safe='')}"),
                                   json={"replacement": "x"}, headers=ALICE) as r:
            accepted = r.status in (200, 201)
            assert accepted == bool(pattern.search(word)), (word, r.status, await r.text())
