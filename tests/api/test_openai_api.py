"""The OpenAI-compatible speech endpoint streams audio as it is made; the voices are listed."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import numpy as np
import pytest
import soundfile as sf

from tests.api.conftest import ALICE, Api
from tests.conftest import TEST_VOICES
from tts_engine.errors import EngineNotReady, ModelUnavailable

SPEECH = "/v1/audio/speech"
TEXT = "Hello there. How are you today?"


def decode(data: bytes) -> tuple[np.ndarray, int]:
    with sf.SoundFile(io.BytesIO(data)) as f:
        return np.concatenate(list(f.blocks(4096, dtype="float32"))), f.samplerate


def expected_samples(api: Api, voice: str = "af_heart") -> int:
    engine = api.ctx.engine
    return len(engine.synthesize_sync(engine.validate(TEXT, voice)).samples)


async def test_wav_streams_in_several_chunks_and_is_the_whole_clip(api: Api) -> None:
    body = {"model": "tts-1", "input": TEXT, "voice": "af_heart", "response_format": "wav"}
    async with api.session.post(api.url(SPEECH), json=body, headers=ALICE) as r:
        assert r.status == 200
        assert r.headers["Content-Type"] == "audio/wav"
        assert r.headers["Transfer-Encoding"] == "chunked"
        data, http_chunks = b"", 0
        async for piece, end_of_chunk in r.content.iter_chunks():
            data += piece
            http_chunks += end_of_chunk
    assert http_chunks >= 3  # the header+first audio, later audio, ...: not one blob at the end
    samples, rate = decode(data)
    assert rate == 24000
    assert len(samples) == expected_samples(api)


@pytest.mark.parametrize(("fmt", "ctype"), [("mp3", "audio/mpeg"), ("opus", "audio/ogg")])
@pytest.mark.parametrize("stream", [True, False])
async def test_compressed_formats_decode(api: Api, fmt: str, ctype: str, stream: bool) -> None:
    body = {"input": TEXT, "voice": "af_heart", "response_format": fmt, "stream": stream}
    async with api.session.post(api.url(SPEECH), json=body, headers=ALICE) as r:
        assert r.status == 200 and r.headers["Content-Type"] == ctype
        data = await r.read()
    samples, rate = decode(data)
    seconds = expected_samples(api) / 24000
    # Codecs pad a little at the ends; a lost chunk would show as a much shorter clip.
    assert seconds - 0.05 <= len(samples) / rate <= seconds + 0.2


async def test_pcm_is_raw_16_bit_samples(api: Api) -> None:
    body = {"input": TEXT, "voice": "af_heart", "response_format": "pcm"}
    async with api.session.post(api.url(SPEECH), json=body, headers=ALICE) as r:
        assert r.status == 200 and r.headers["Content-Type"] == "audio/pcm"
        data = await r.read()
    assert len(data) == 2 * expected_samples(api)


async def test_flac_whole_file_decodes_and_stream_starts_with_the_header(api: Api) -> None:
    body = {"input": TEXT, "voice": "af_heart", "response_format": "flac", "stream": False}
    async with api.session.post(api.url(SPEECH), json=body, headers=ALICE) as r:
        samples, _ = decode(await r.read())
    assert len(samples) == expected_samples(api)
    async with api.session.post(api.url(SPEECH), json={**body, "stream": True},
                                headers=ALICE) as r:
        assert r.status == 200 and (await r.read()).startswith(b"fLaC")


async def test_openai_voice_names_and_defaults_work(api: Api) -> None:
    for body in ({"input": "Hi.", "voice": "fable"}, {"input": "Hi."}, {"input": "Hi.",
                                                                        "voice": "NOVA"}):
        async with api.session.post(api.url(SPEECH), json=body, headers=ALICE) as r:
            assert r.status == 200, body
            assert r.headers["Content-Type"] == "audio/mpeg"  # OpenAI's default format
            assert len(await r.read()) > 100


async def test_speech_errors(api: Api) -> None:
    cases = [
        ({"input": "Hi.", "voice": "nobody"}, 404, "nobody"),
        ({"input": "Hi.", "response_format": "aac"}, 422, "response_format"),
        ({"input": "Hi.", "speed": 9}, 422, "speed"),
        ({"voice": "alloy"}, 422, "input"),
    ]
    for body, status, words in cases:
        async with api.session.post(api.url(SPEECH), json=body, headers=ALICE) as r:
            assert r.status == status, body
            assert words in (await r.json())["detail"]


async def test_voices_lists_every_voice_and_the_openai_aliases(api: Api) -> None:
    async with api.session.get(api.url("/v1/audio/voices"), headers=ALICE) as r:
        assert r.status == 200
        data = await r.json()
    by_name = {v["name"]: v for v in data["voices"]}
    assert set(by_name) == set(TEST_VOICES)
    assert by_name["bf_emma"]["language"] == "British English"
    assert by_name["ff_siwis"]["lang_code"] == "f"
    # Missing first choices fall back to a voice of the same accent and gender.
    assert data["openai_aliases"]["fable"] == "bm_george"
    assert data["openai_aliases"]["onyx"] == "am_adam"
    assert data["openai_aliases"]["alloy"] == "af_heart"


class CountingEngine:
    """The real engine, noting how many chunks each stream produced and how it ended."""

    def __init__(self, engine: Any) -> None:
        self._engine = engine
        self.yielded = 0
        self.exhausted = False
        self.ended = asyncio.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._engine, name)

    async def stream(self, req: Any, cancel: Any = None) -> AsyncIterator[np.ndarray]:
        try:
            async for chunk in self._engine.stream(req, cancel):
                self.yielded += 1
                yield chunk
            self.exhausted = True
        finally:
            self.ended.set()


async def test_a_client_that_hangs_up_stops_the_synthesis(api: Api) -> None:
    # Seven paragraphs: the engine makes one chunk of each.
    paragraphs = ["One.", "Two.", "Three.", "Four.", "Five.", "Six.", "Seven."]
    text = "\n\n".join(paragraphs)
    counting = CountingEngine(api.ctx.engine)
    api.ctx.engine = counting  # type: ignore[assignment]
    body = {"input": text, "voice": "af_heart", "response_format": "pcm"}
    async with api.session.post(api.url(SPEECH), json=body, headers=ALICE) as r:
        assert r.status == 200
        await r.content.readany()  # the first audio arrived...
        r.connection.transport.abort()  # ...and the client is gone
    async with asyncio.timeout(60):
        await counting.ended.wait()
    assert not counting.exhausted
    assert counting.yielded < len(paragraphs)


class FailingEngine(CountingEngine):
    """Streams one real chunk, then fails the way a broken synthesis would."""

    async def stream(self, req: Any, cancel: Any = None) -> AsyncIterator[np.ndarray]:
        async for chunk in self._engine.stream(req, cancel):
            yield chunk
            raise ModelUnavailable("the model files went away")


async def test_a_failure_mid_stream_cuts_the_response_instead_of_ending_it(api: Api) -> None:
    api.ctx.engine = FailingEngine(api.ctx.engine)  # type: ignore[assignment]
    body = {"input": "One.\n\nTwo.", "voice": "af_heart", "response_format": "wav"}
    async with api.session.post(api.url(SPEECH), json=body, headers=ALICE) as r:
        assert r.status == 200  # the headers had gone out with the first chunk
        with pytest.raises(aiohttp.ClientPayloadError):
            await r.read()  # a short clip must not pass for a whole one


async def test_a_failure_before_any_audio_is_a_json_error(api: Api) -> None:
    class NotReady(CountingEngine):
        async def stream(self, req: Any, cancel: Any = None) -> AsyncIterator[np.ndarray]:
            raise EngineNotReady()
            yield  # pragma: no cover - makes this an async generator

    api.ctx.engine = NotReady(api.ctx.engine)  # type: ignore[assignment]
    async with api.session.post(api.url(SPEECH), json={"input": "Hi."}, headers=ALICE) as r:
        assert r.status == 503
        assert "starting up" in (await r.json())["detail"]


class SlowSecondChunk(CountingEngine):
    """The first chunk at once; the second takes as long as a long sentence would."""

    def __init__(self, engine: Any) -> None:
        super().__init__(engine)
        self.cancel: Any = None

    async def stream(self, req: Any, cancel: Any = None) -> AsyncIterator[np.ndarray]:
        self.cancel = cancel
        async for chunk in self._engine.stream(req, cancel):
            yield chunk
            await asyncio.Event().wait()  # the next chunk is still being synthesised


async def test_a_hang_up_is_noticed_while_the_next_chunk_is_synthesised(api: Api) -> None:
    slow = SlowSecondChunk(api.ctx.engine)
    api.ctx.engine = slow  # type: ignore[assignment]
    body = {"input": "One.\n\nTwo.", "voice": "af_heart", "response_format": "pcm"}
    async with api.session.post(api.url(SPEECH), json=body, headers=ALICE) as r:
        assert r.status == 200
        await r.content.readany()
        r.connection.transport.abort()
    # The synthesis is told to stop without waiting for another chunk to be written.
    assert await asyncio.to_thread(slow.cancel.wait, 10)
