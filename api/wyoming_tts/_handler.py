"""One Wyoming connection: describe, synthesize, and streaming synthesis, straight to the engine."""

from __future__ import annotations

import logging
import threading
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
from api.wyoming_tts._info import build_info, lang_for_tag
from api.wyoming_tts._sentences import SentenceSplitter
from bot.dictionary import speakable
from tts_engine import SpeechRequest, TTSEngine
from tts_engine.audio import SAMPLE_RATE
from tts_engine.errors import TTSError

log = logging.getLogger(__name__)

#: Audio events carry at most this many samples (0.25 s), so players can start early.
MAX_CHUNK_SAMPLES = SAMPLE_RATE // 4
_FORMAT: dict[str, int] = {"rate": SAMPLE_RATE, "width": 2, "channels": 1}


class KokoroEventHandler(AsyncEventHandler):
    """Serves one client; streamed text is spoken sentence by sentence as it arrives."""

    def __init__(
        self, engine: TTSEngine, default_voice: str, dictionary_user: str | None, *args: Any,
        **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.engine = engine
        self.default_voice = default_voice
        #: Whose pronunciation dictionary applies (`wyoming.dictionary_user`).
        self.dictionary_user = dictionary_user
        self._streaming = False
        self._voice: SynthesizeVoice | None = None
        self._splitter = SentenceSplitter()

    async def handle_event(self, event: Event) -> bool:
        """Answer one event; False would close the connection, which only a broken pipe does."""
        try:
            await self._dispatch(event)
        except TTSError as err:
            await self.write_event(Error(text=str(err), code=type(err).__name__).event())
        except ConnectionError:
            return False
        except Exception:
            log.exception("wyoming: failed to handle %s", event.type)
            await self.write_event(
                Error(text="The speech server failed; it was logged.", code="InternalError").event()
            )
        return True

    async def _dispatch(self, event: Event) -> None:
        if Describe.is_type(event.type):
            await self.write_event(build_info(self.engine.voices()).event())
        elif Synthesize.is_type(event.type):
            # During a stream the client also sends the whole text for older servers: skip it.
            if not self._streaming:
                synthesize = Synthesize.from_event(event)
                await self._speak(synthesize.text, synthesize.voice)
        elif SynthesizeStart.is_type(event.type):
            self._streaming = True
            self._voice = SynthesizeStart.from_event(event).voice
            self._splitter = SentenceSplitter()
        elif SynthesizeChunk.is_type(event.type):
            for sentence in self._splitter.add(SynthesizeChunk.from_event(event).text):
                await self._speak(sentence, self._voice)
        elif SynthesizeStop.is_type(event.type):
            await self._stop_stream()

    async def _stop_stream(self) -> None:
        try:
            rest = self._splitter.finish()
            if rest:
                await self._speak(rest, self._voice)
        finally:
            self._streaming = False
            await self.write_event(SynthesizeStopped().event())

    def _request(self, text: str, voice: SynthesizeVoice | None) -> SpeechRequest:
        name = voice.name if voice else None
        lang = lang_for_tag(voice.language) if voice and voice.language else None
        if name:
            installed = {v.name for v in self.engine.voices()}
            name = resolve_voice(name, installed, self.default_voice)
        elif lang:
            # A language without a voice: that language's first voice.
            name = next((v.name for v in self.engine.voices(lang)), None)
        return self.engine.validate(" ".join(text.split()), name, None if name else lang)

    async def _speak(self, text: str, voice: SynthesizeVoice | None) -> None:
        """audio-start, the audio chunks as the engine yields them, audio-stop."""
        request = self._request(await speakable(text, self.dictionary_user), voice)
        cancel = threading.Event()
        chunks = self.engine.stream(request, cancel)
        try:
            # The first chunk before audio-start, so an engine error is a clean `error` event.
            first = await anext(chunks, None)
            await self.write_event(AudioStart(**_FORMAT).event())
            if first is not None:
                await self._send(first)
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
