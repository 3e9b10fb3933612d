"""Wyoming speaks with the dictionary of `wyoming.dictionary_user`."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from wyoming.client import AsyncTcpClient
from wyoming.tts import (
    Synthesize,
    SynthesizeChunk,
    SynthesizeStart,
    SynthesizeStop,
    SynthesizeStopped,
    SynthesizeVoice,
)

from bot import dictionary
from tests.api.test_wyoming import connected, read, read_utterance
from tts_engine import LocalEngine


@pytest.fixture
def heard(api_engine: LocalEngine, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The phonemes of every chunk the engine synthesises."""
    said: list[str] = []
    real = api_engine._infer
    monkeypatch.setattr(api_engine, "_infer", lambda ps, *a: said.append(ps) or real(ps, *a))
    return said


@pytest.fixture
async def client(database: str, api_engine: LocalEngine) -> AsyncIterator[AsyncTcpClient]:
    """A client of a server speaking with the dictionary of the user "home"."""
    async with connected(api_engine, dictionary_user="home") as client:
        yield client


async def test_wyoming_applies_the_configured_users_dictionary(
        client: AsyncTcpClient, heard: list[str]) -> None:
    await dictionary.put(dictionary.Owner.user("home"), "Kokoro", "/kˈOkᵊɹO/")
    voice = SynthesizeVoice(name="af_heart")
    await client.write_event(Synthesize("Hi Kokoro.", voice=voice).event())
    assert await read_utterance(client)
    assert any("kˈOkᵊɹO" in ps for ps in heard)


async def test_a_streamed_entry_with_a_sentence_end_inside_is_said_whole(
        client: AsyncTcpClient, heard: list[str]) -> None:
    # Streamed text is cut into sentences before the dictionary is applied to each.
    await dictionary.put(dictionary.Owner.user("home"), "Yahoo! Answers", "/jˈɑhu ˈænsəɹz/")
    await client.write_event(SynthesizeStart(voice=SynthesizeVoice(name="af_heart")).event())
    for piece in ("Ask Yahoo!", " Ans", "wers now. Then", " rest."):
        await client.write_event(SynthesizeChunk(piece).event())
    await client.write_event(SynthesizeStop().event())
    assert await read_utterance(client)
    assert await read_utterance(client)
    assert SynthesizeStopped.is_type((await read(client)).type)
    assert any("jˈɑhu ˈænsəɹz" in ps for ps in heard), heard
