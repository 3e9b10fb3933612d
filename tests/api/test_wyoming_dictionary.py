"""Wyoming speaks with the dictionary of `wyoming.dictionary_user`."""

from __future__ import annotations

import pytest
from wyoming.client import AsyncTcpClient
from wyoming.tts import Synthesize, SynthesizeVoice

from api.wyoming_tts import WyomingServer
from bot import dictionary
from tests.api.test_wyoming import read_utterance
from tts_engine import LocalEngine


async def test_wyoming_applies_the_configured_users_dictionary(
        database: str, api_engine: LocalEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    await dictionary.put(dictionary.Owner.user("home"), "Kokoro", "/kˈOkᵊɹO/")
    heard: list[str] = []
    real = api_engine._infer
    monkeypatch.setattr(api_engine, "_infer", lambda ps, *a: heard.append(ps) or real(ps, *a))
    server = WyomingServer("tcp://127.0.0.1:0", api_engine, "af_heart", dictionary_user="home")
    await server.start()
    port = int(server.address.rsplit(":", 1)[1])
    try:
        async with AsyncTcpClient("127.0.0.1", port, read_timeout=60) as client:
            voice = SynthesizeVoice(name="af_heart")
            await client.write_event(Synthesize("Hi Kokoro.", voice=voice).event())
            assert await read_utterance(client)
    finally:
        await server.stop()
    assert any("kˈOkᵊɹO" in ps for ps in heard)
