"""Home Assistant's side of Wyoming, with the wyoming package's own async TCP client."""

from __future__ import annotations

import asyncio
import gc
import ipaddress
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.client import AsyncTcpClient
from wyoming.error import Error
from wyoming.event import Event
from wyoming.info import Describe, Info
from wyoming.tts import (
    Synthesize,
    SynthesizeChunk,
    SynthesizeStart,
    SynthesizeStop,
    SynthesizeStopped,
    SynthesizeVoice,
)

from api.wyoming_tts import WyomingServer
from tests.conftest import TEST_VOICES
from tts_engine import LocalEngine


@pytest.fixture
async def client(api_engine: LocalEngine) -> AsyncIterator[AsyncTcpClient]:
    async with connected(api_engine) as client:
        yield client


@asynccontextmanager
async def connected(engine: LocalEngine, **options: Any) -> AsyncIterator[AsyncTcpClient]:
    """A client of a Wyoming server on a free loopback port (`options`: the server's)."""
    server = WyomingServer("tcp://127.0.0.1:0", engine, "af_heart", **options)
    await server.start()
    port = int(server.address.rsplit(":", 1)[1])
    try:
        # read_timeout bounds every wait: a missing event fails the test instead of hanging it.
        async with AsyncTcpClient("127.0.0.1", port, read_timeout=60) as client:
            yield client
    finally:
        await server.stop()


async def read(client: AsyncTcpClient) -> Event:
    event = await client.read_event()
    assert event is not None, "the server closed the connection"
    return event


async def read_utterance(client: AsyncTcpClient) -> bytes:
    """audio-start, audio-chunk+, audio-stop: the PCM in between."""
    start = await read(client)
    assert AudioStart.is_type(start.type), start
    fmt = AudioStart.from_event(start)
    assert (fmt.rate, fmt.width, fmt.channels) == (24000, 2, 1)
    pcm, chunks = b"", 0
    while not AudioStop.is_type((event := await read(client)).type):
        assert AudioChunk.is_type(event.type), event
        pcm += AudioChunk.from_event(event).audio
        chunks += 1
    assert chunks >= 1
    return pcm


async def test_describe_lists_every_voice_with_its_language(client: AsyncTcpClient) -> None:
    await client.write_event(Describe().event())
    info = Info.from_event(await read(client))
    (program,) = info.tts
    assert program.supports_synthesize_streaming
    voices = {v.name: v.languages for v in program.voices}
    assert set(voices) == set(TEST_VOICES)
    assert voices["bf_emma"] == ["en-GB"] and voices["pf_dora"] == ["pt-BR"]


async def test_synthesize_sends_the_whole_sentence_as_24khz_pcm(
    client: AsyncTcpClient, api_engine: LocalEngine
) -> None:
    text = "Hello from the kitchen."
    await client.write_event(Synthesize(text, voice=SynthesizeVoice(name="af_bella")).event())
    pcm = await read_utterance(client)
    expected = api_engine.synthesize_sync(api_engine.validate(text, "af_bella")).samples
    assert len(pcm) == 2 * len(expected)


async def test_a_language_alone_picks_a_voice_of_that_language(client: AsyncTcpClient) -> None:
    french = SynthesizeVoice(language="fr_FR")
    await client.write_event(Synthesize("Bonjour.", voice=french).event())
    assert len(await read_utterance(client)) > 0


async def test_streaming_speaks_each_sentence_as_it_completes(client: AsyncTcpClient) -> None:
    await client.write_event(SynthesizeStart(voice=SynthesizeVoice(name="af_sky")).event())
    await client.write_event(SynthesizeChunk("The lights are ").event())
    await client.write_event(SynthesizeChunk("on. The door").event())
    # The first sentence is spoken before the client has even finished sending text.
    first = await read_utterance(client)
    assert len(first) > 0
    await client.write_event(SynthesizeChunk(" is locked").event())
    # Home Assistant repeats the whole text for older servers; it must not be spoken twice.
    await client.write_event(Synthesize("The lights are on. The door is locked").event())
    await client.write_event(SynthesizeStop().event())
    assert len(await read_utterance(client)) > 0
    assert SynthesizeStopped.is_type((await read(client)).type)
    # Nothing more was queued (no second reading of the repeated text).
    await client.write_event(Describe().event())
    assert Info.is_type((await read(client)).type)


async def test_errors_come_back_as_error_events_and_the_connection_lives(
    client: AsyncTcpClient,
) -> None:
    await client.write_event(Synthesize("Hi.", voice=SynthesizeVoice(name="af_bellla")).event())
    error = Error.from_event(await read(client))
    assert "af_bellla" in error.text and error.code == "VoiceNotFound"
    await client.write_event(Synthesize("   ").event())
    assert Error.from_event(await read(client)).code == "TextEmpty"
    await client.write_event(Synthesize("Still here.").event())
    assert len(await read_utterance(client)) > 0


async def test_a_long_unterminated_stream_is_spoken_in_pieces_as_it_arrives(
    api_engine: LocalEngine,
) -> None:
    # No sentence end at all, three times the longest piece the server speaks at once.
    words = "one two three four five six seven eight nine ten eleven twelve"
    server = WyomingServer("tcp://127.0.0.1:0", api_engine, "af_heart", max_chars=24)
    await server.start()
    try:
        port = int(server.address.rsplit(":", 1)[1])
        async with AsyncTcpClient("127.0.0.1", port, read_timeout=60) as client:
            await client.write_event(SynthesizeStart(voice=SynthesizeVoice(name="af_sky")).event())
            for start in range(0, len(words), 10):
                await client.write_event(SynthesizeChunk(words[start:start + 10]).event())
            # Audio comes before the stream ends: the text was cut, not buffered until the stop.
            assert len(await read_utterance(client)) > 0
            await client.write_event(SynthesizeStop().event())
            utterances = 1
            while not SynthesizeStopped.is_type((event := await read(client)).type):
                assert AudioStart.is_type(event.type), event  # nothing was refused
                while not AudioStop.is_type((await read(client)).type):
                    pass
                utterances += 1
            assert utterances >= 3
    finally:
        await server.stop()


async def test_a_stream_error_comes_before_synthesize_stopped(client: AsyncTcpClient) -> None:
    await client.write_event(SynthesizeStart(voice=SynthesizeVoice(name="af_nobody")).event())
    await client.write_event(SynthesizeChunk("The last sentence has no end").event())
    await client.write_event(SynthesizeStop().event())
    error = Error.from_event(await read(client))
    assert error.code == "VoiceNotFound"
    assert SynthesizeStopped.is_type((await read(client)).type)


async def test_an_unknown_language_tag_is_an_error_not_the_default_voice(
    client: AsyncTcpClient,
) -> None:
    await client.write_event(Synthesize("Hello.", voice=SynthesizeVoice(language="xx-YY")).event())
    error = Error.from_event(await read(client))
    assert error.code == "LanguageNotSupported" and "xx-YY" in error.text


async def test_an_oversized_event_is_refused_and_the_connection_closed(
    api_engine: LocalEngine,
) -> None:
    server = WyomingServer("tcp://127.0.0.1:0", api_engine, "af_heart")
    await server.start()
    try:
        port = int(server.address.rsplit(":", 1)[1])
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        # 20 MB announced: refused before any of it is read or buffered.
        writer.write(b'{"type": "synthesize-chunk", "data_length": 20000000}\n')
        await writer.drain()
        async with asyncio.timeout(30):
            header = json.loads(await reader.readline())
            assert header["type"] == "error"
            data = json.loads(await reader.readexactly(header["data_length"]))
            assert "over the limit" in data["text"]
            assert await reader.read() == b""  # closed
        writer.close()
    finally:
        await server.stop()


async def test_a_client_leaving_mid_event_leaves_no_unretrieved_task_error(
    api_engine: LocalEngine,
) -> None:
    loop = asyncio.get_running_loop()
    problems: list[dict] = []
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: problems.append(context))
    server = WyomingServer("tcp://127.0.0.1:0", api_engine, "af_heart")
    await server.start()
    try:
        port = int(server.address.rsplit(":", 1)[1])
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b'{"type": "describe"}\n')
        await reader.readline()  # the server's connection handler exists now
        writer.write(b'{"type": "synthesize-chunk", "data_length": 500}\n{"text": "Hel')
        await writer.drain()
        writer.close()
        await writer.wait_closed()
    finally:
        await server.stop()
        gc.collect()
        loop.set_exception_handler(previous)
    assert problems == []


async def test_describe_names_each_voice_as_home_assistant_lists_it(
    client: AsyncTcpClient,
) -> None:
    await client.write_event(Describe().event())
    (program,) = Info.from_event(await read(client)).tts
    assert program.installed and program.supports_synthesize_streaming
    by_name = {v.name: v for v in program.voices}
    # Home Assistant lists a voice by its description, under each of its languages; a Kokoro
    # voice is one speaker, so it names no speakers (which would add "voice (speaker)" rows).
    emma = by_name["bf_emma"]
    assert emma.installed and emma.languages == ["en-GB"]
    assert emma.description == "Emma (British English, female)"
    assert by_name["jf_alpha"].languages == ["ja-JP"]
    assert all(not v.speakers for v in program.voices)


async def test_one_stream_has_a_total_text_limit(api_engine: LocalEngine) -> None:
    server = WyomingServer("tcp://127.0.0.1:0", api_engine, "af_heart", max_stream_chars=40)
    await server.start()
    try:
        port = int(server.address.rsplit(":", 1)[1])
        async with AsyncTcpClient("127.0.0.1", port, read_timeout=60) as client:
            await client.write_event(SynthesizeStart().event())
            await client.write_event(SynthesizeChunk("Hello there. ").event())
            await client.write_event(SynthesizeChunk("And on and on and on it goes. ").event())
            assert len(await read_utterance(client)) > 0  # what fitted is spoken
            error = Error.from_event(await read(client))
            assert error.code == "StreamTooLong" and "40 characters" in error.text
            await client.write_event(SynthesizeChunk("Still more text. " * 3).event())
            await client.write_event(SynthesizeStop().event())
            assert SynthesizeStopped.is_type((await read(client)).type)  # nothing more said
            await client.write_event(Synthesize("A new request.").event())
            assert len(await read_utterance(client)) > 0  # the connection still serves
    finally:
        await server.stop()


@pytest.mark.parametrize(("allowed", "served"), [("10.0.0.0/8", False), ("127.0.0.1", True)])
async def test_only_allowed_clients_are_served(api_engine: LocalEngine, allowed: str,
                                               served: bool) -> None:
    server = WyomingServer("tcp://127.0.0.1:0", api_engine, "af_heart",
                           allowed_clients=[ipaddress.ip_network(allowed)])
    await server.start()
    try:
        port = int(server.address.rsplit(":", 1)[1])
        async with AsyncTcpClient("127.0.0.1", port, read_timeout=60) as client:
            await client.write_event(Describe().event())
            event = await read(client)
            if served:
                assert Info.is_type(event.type)
            else:
                error = Error.from_event(event)
                assert error.code == "ClientNotAllowed" and "127.0.0.1" in error.text
                assert await client.read_event() is None  # closed
    finally:
        await server.stop()
