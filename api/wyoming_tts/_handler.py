"""One Wyoming connection: describe, synthesize, and streaming synthesis, straight to the engine."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.error import Error
from wyoming.event import Event
from wyoming.info import Describe
from wyoming.server import AsyncEventHandler
from wyoming.tts import (
    Synthesize,
    SynthesizeChunk,
    SynthesizeStart,
    SynthesizeStop,
    SynthesizeStopped,
    SynthesizeVoice,
)

from api._encode import pcm16
from api._voices import resolve_voice
from api.wyoming_tts._info import LANGUAGE_TAGS, build_info, lang_for_tag
from api.wyoming_tts._protocol import StreamTooLong, read_event
from bot import dictionary
from bot.metrics import FIRST_AUDIO
from bot.request import build_request
from tts_engine import Engine, SpeechRequest
from tts_engine.audio import SAMPLE_RATE
from tts_engine.errors import LanguageNotSupported, NothingToSay, TTSError
from tts_engine.text.sentences import SentenceStream

log = logging.getLogger(__name__)

#: The longest piece of streamed text spoken at once when no sentence ends sooner.
STREAM_SENTENCE_CHARS = 1000

#: `wyoming.max_stream_chars` unless configured: about two hours of speech.
DEFAULT_MAX_STREAM_CHARS = 100_000

#: Audio events carry at most this many samples (0.25 s), so players can start early.
MAX_CHUNK_SAMPLES = SAMPLE_RATE // 4
_FORMAT: dict[str, int] = {"rate": SAMPLE_RATE, "width": 2, "channels": 1}


@dataclass
class _Stream:
    """One streamed synthesis (synthesize-start .. synthesize-stop)."""

    voice: SynthesizeVoice | None
    splitter: SentenceStream
    #: Set at the first error: the rest of the stream is not spoken (one `error` is enough).
    failed: bool = False
    #: Characters of text received so far (capped at `wyoming.max_stream_chars`).
    received: int = 0


class KokoroEventHandler(AsyncEventHandler):
    """Serves one client; streamed text is spoken sentence by sentence as it arrives.

    Events are handled one at a time: while a sentence is spoken nothing more is read, so a
    client sending text faster than it can be spoken is held back by TCP, never buffered.
    """

    def __init__(
        self, engine: Engine, default_voice: str, *args: Any,
        dictionary_user: str | None = None, max_chars: int | None = None,
        max_stream_chars: int = DEFAULT_MAX_STREAM_CHARS, **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.engine = engine
        self.default_voice = default_voice
        #: Whose pronunciation dictionary applies (`wyoming.dictionary_user`).
        self.dictionary_user = dictionary_user
        # A streamed piece never exceeds what the engine accepts in one request.
        limit = min(max_chars or STREAM_SENTENCE_CHARS, engine.config.max_text_chars)
        self.max_chars = max(2, limit)
        #: A stream's total text: without a cap one client could keep it speaking for days.
        self.max_stream_chars = max_stream_chars
        self._stream: _Stream | None = None

    async def run(self) -> None:
        """Read bounded events until the client leaves, sends too much, or `stop()`."""
        self._is_running = True
        try:
            while self._is_running:
                try:
                    event = await read_event(self.reader)
                except TTSError as err:  # too large or not Wyoming: say so, then hang up
                    await self._error(err)
                    break
                if event is None or not await self.handle_event(event):
                    break
        except ConnectionError:
            log.debug("wyoming: client went away")
        finally:
            self.writer.close()

    async def handle_event(self, event: Event) -> bool:
        """Answer one event; False closes the connection, which only a broken pipe does."""
        try:
            await self._dispatch(event)
        except TTSError as err:
            await self._error(err)
        except ConnectionError:
            return False
        except Exception:
            log.exception("wyoming: failed to handle %s", event.type)
            await self.write_event(
                Error(text="The speech server failed; it was logged.", code="InternalError").event()
            )
        return True

    async def _error(self, err: TTSError) -> None:
        await self.write_event(Error(text=str(err), code=type(err).__name__).event())

    async def _dispatch(self, event: Event) -> None:
        if Describe.is_type(event.type):
            await self.write_event(build_info(self.engine.voices()).event())
        elif Synthesize.is_type(event.type):
            # During a stream the client also sends the whole text for older servers: skip it.
            if self._stream is None:
                synthesize = Synthesize.from_event(event)
                await self._speak(synthesize.text, synthesize.voice)
        elif SynthesizeStart.is_type(event.type):
            voice = SynthesizeStart.from_event(event).voice
            # Sentences are cut before the dictionary is applied to each: none inside its words.
            words = await dictionary.compiled(dictionary.Owner.user(self.dictionary_user)) \
                if self.dictionary_user else None
            self._stream = _Stream(voice, SentenceStream(self.max_chars, words))
        elif SynthesizeChunk.is_type(event.type):
            stream = self._stream
            if stream is not None:
                await self._stream_chunk(stream, SynthesizeChunk.from_event(event).text)
        elif SynthesizeStop.is_type(event.type):
            await self._stop_stream()

    async def _stream_chunk(self, stream: _Stream, text: str) -> None:
        """Speak the sentences a piece of streamed text completes, up to the stream's cap."""
        if stream.failed:
            return
        room = self.max_stream_chars - stream.received
        stream.received += len(text)
        for sentence in stream.splitter.add(text[:max(0, room)]):
            await self._speak_streamed(stream, sentence)
        if len(text) > room and not stream.failed:
            stream.failed = True
            await self._error(StreamTooLong(self.max_stream_chars))

    async def _speak_streamed(self, stream: _Stream, text: str) -> None:
        """Speak one piece of a stream; its error goes out now, before synthesize-stopped."""
        if stream.failed:
            return
        try:
            await self._speak(text, stream.voice)
        except NothingToSay:
            log.debug("wyoming: nothing to say in %.40r; skipped", text)
        except TTSError as err:
            stream.failed = True
            await self._error(err)

    async def _stop_stream(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            rest = stream.splitter.finish()
            if rest:
                await self._speak_streamed(stream, rest)
        await self.write_event(SynthesizeStopped().event())

    async def _request(self, text: str, voice: SynthesizeVoice | None) -> SpeechRequest:
        name = voice.name if voice else None
        lang = None
        if voice and voice.language:
            lang = lang_for_tag(voice.language)
            if lang is None:
                raise LanguageNotSupported(voice.language, sorted(LANGUAGE_TAGS.values()))
        if name:
            installed = {v.name for v in self.engine.voices()}
            name = resolve_voice(name, installed, self.default_voice)
        elif lang:
            # A language without a voice: that language's first voice.
            name = next((v.name for v in self.engine.voices(lang)), None)
        return await build_request(self.engine, " ".join(text.split()), voice=name,
                                   lang=None if name else lang, user_id=self.dictionary_user)

    async def _speak(self, text: str, voice: SynthesizeVoice | None) -> None:
        """audio-start, the audio chunks as the engine yields them, audio-stop."""
        arrived = time.perf_counter()
        request = await self._request(text, voice)
        cancel = threading.Event()
        chunks = self.engine.stream(request, cancel)
        try:
            # The first chunk before audio-start, so an engine error is a clean `error` event.
            first = await anext(chunks, None)
            await self.write_event(AudioStart(**_FORMAT).event())
            if first is not None:
                await self._send(first)
                FIRST_AUDIO.labels(front_door="wyoming").observe(time.perf_counter() - arrived)
            async for chunk in chunks:
                await self._send(chunk)
            await self.write_event(AudioStop().event())
        finally:
            cancel.set()
            close = getattr(chunks, "aclose", None)
            if close is not None:
                await close()

    async def _send(self, samples: np.ndarray) -> None:
        for start in range(0, len(samples), MAX_CHUNK_SAMPLES):
            piece = pcm16(samples[start:start + MAX_CHUNK_SAMPLES])
            await self.write_event(AudioChunk(audio=piece, **_FORMAT).event())
