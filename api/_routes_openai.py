"""The OpenAI-compatible speech endpoint, streaming audio as it is synthesised, and the voices."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import AsyncIterator
from typing import Any

import numpy as np
from aiohttp import web

from api._encode import CONTENT_TYPES, StreamEncoder
from api._keys import CONTEXT, USER_ID
from api._parse import dictionary_user, read_body
from api._schedule import engine_kwargs
from api._voices import aliases, resolve_voice
from api.schemas import SpeechRequest, Voice, VoiceList
from bot.metrics import FIRST_AUDIO
from bot.request import build_request
from tts_engine import LANGUAGES, Engine
from tts_engine import SpeechRequest as EngineRequest
from tts_engine import audio as engine_audio
from tts_engine.errors import TTSError

log = logging.getLogger(__name__)
routes = web.RouteTableDef()

#: OpenAI format names -> the engine encoder's names (one-shot responses).
_ENGINE_FORMATS = {"wav": "wav", "mp3": "mp3", "opus": "ogg", "flac": "flac", "pcm": "pcm"}
_CHEAP = ("wav", "pcm")


async def _encode(encoder: StreamEncoder, chunk: np.ndarray | None) -> bytes:
    """Encode a chunk (None: flush); codecs run off the event loop."""
    if encoder.fmt in _CHEAP:
        return encoder.finish() if chunk is None else encoder.feed(chunk)
    if chunk is None:
        return await asyncio.to_thread(encoder.finish)
    return await asyncio.to_thread(encoder.feed, chunk)


async def _whole(engine: Engine, req: EngineRequest, fmt: str, arrived: float,
                 schedule: dict[str, Any]) -> web.Response:
    clip = await engine.synthesize(req, **schedule)
    data = await asyncio.to_thread(engine_audio.encode, clip.samples, _ENGINE_FORMATS[fmt])
    _first_audio(arrived)
    return web.Response(body=data, headers={"Content-Type": CONTENT_TYPES[fmt]})


def _first_audio(arrived: float) -> None:
    FIRST_AUDIO.labels(front_door="api").observe(time.perf_counter() - arrived)


async def _stream(
    request: web.Request, engine: Engine, req: EngineRequest, fmt: str, arrived: float,
    schedule: dict[str, Any],
) -> web.StreamResponse:
    cancel = threading.Event()
    chunks: AsyncIterator[np.ndarray] = engine.stream(req, cancel, **schedule)
    try:
        # The first chunk comes before the headers, so a failure to start is still a JSON error.
        first: np.ndarray | None = await anext(chunks, None)
        encoder = StreamEncoder(fmt)
        response = web.StreamResponse(
            headers={"Content-Type": encoder.content_type, "Cache-Control": "no-store"}
        )
        response.enable_chunked_encoding()
        await response.prepare(request)
        await _pump(request, response, encoder, (first, arrived), chunks)
        return response
    finally:
        # Stops the synthesis at its next chunk when the client went away or something failed.
        cancel.set()
        await chunks.aclose()  # type: ignore[attr-defined]


async def _pump(
    request: web.Request,
    response: web.StreamResponse,
    encoder: StreamEncoder,
    first: tuple[np.ndarray | None, float],
    chunks: AsyncIterator[np.ndarray],
) -> None:
    """Write the first chunk (with the time its request arrived), the rest, and the tail."""
    try:
        if first[0] is not None:
            await response.write(await _encode(encoder, first[0]))
            _first_audio(first[1])
        async for chunk in chunks:
            await response.write(await _encode(encoder, chunk))
        await response.write(await _encode(encoder, None))
    except ConnectionError:
        log.info("speech stream: the client disconnected; synthesis stopped")
    except Exception as err:
        # Headers are gone, so no JSON error: cutting the connection tells the client the
        # audio is incomplete instead of letting a short clip pass as whole.
        if isinstance(err, TTSError):
            log.warning("speech stream failed mid-way: %s", err)
        else:
            log.exception("speech stream failed mid-way")
        if request.transport is not None:
            request.transport.close()
    finally:
        encoder.close()


@routes.post("/v1/audio/speech")
async def speech(request: web.Request) -> web.StreamResponse:
    """Text in, audio out, in OpenAI's request shape; streamed unless `stream` is false."""
    arrived = time.perf_counter()
    ctx = request.app[CONTEXT]
    body = await read_body(request, SpeechRequest)
    installed = {v.name for v in ctx.engine.voices()}
    voice = resolve_voice(body.voice, installed, ctx.settings.engine.default_voice)
    user_id = request.get(USER_ID)
    req = await build_request(ctx.engine, body.input, voice=voice, lang=body.lang_code,
                              speed=body.speed, user_id=dictionary_user(request, body.user_id))
    # A bot shard's own priority and fairness key (trusted bot keys only; see api._schedule).
    schedule = engine_kwargs(request, user_id)
    if not body.stream:
        return await _whole(ctx.engine, req, body.response_format, arrived, schedule)
    return await _stream(request, ctx.engine, req, body.response_format, arrived, schedule)


@routes.get("/v1/audio/voices")
async def voices(request: web.Request) -> web.Response:
    """Every installed voice, and which one each OpenAI voice name plays."""
    ctx = request.app[CONTEXT]
    infos = ctx.engine.voices()
    listing = VoiceList(
        voices=[
            Voice(
                name=v.name, lang_code=v.lang, language=LANGUAGES.get(v.lang, v.lang),
                gender=v.gender, label=v.label,
            )
            for v in infos
        ],
        openai_aliases=aliases({v.name for v in infos}, ctx.settings.engine.default_voice),
    )
    return web.json_response(listing.model_dump(mode="json"))
