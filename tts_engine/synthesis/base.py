"""`Engine`: what every front door needs of a text-to-speech engine, and `make_engine`.

Two implementations are siblings: `LocalEngine` runs Kokoro in this process, `RemoteEngine`
streams from synthesis servers running this project's HTTP API. Both validate locally (no
model is needed for that), so a bad request fails the same way whichever synthesises it.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable, Hashable

import numpy as np

from tts_engine.config import EngineConfig
from tts_engine.model.voices import VoiceLibrary
from tts_engine.speech import Audio, SpeechRequest, VoiceInfo
from tts_engine.synthesis.scheduler import Priority
from tts_engine.synthesis.stats import EngineStats
from tts_engine.validation import build_request, language_code


class Engine(ABC):
    """Text in, 24 kHz mono audio out: validation, whole clips and streams.

    Every synthesis call takes a `priority` and a fairness `key` (who asked): the engine serves
    the most urgent priority first and takes turns between keys within it.
    """

    def __init__(self, config: EngineConfig) -> None:
        self.config = config
        #: Time in the model and audio it produced, where the model runs in this process
        #: (a remote engine's servers count their own): the metrics' real-time factor.
        self.stats = EngineStats()

    @property
    @abstractmethod
    def ready(self) -> bool:
        """Whether synthesis can start without loading anything first."""

    @abstractmethod
    async def start(self) -> None:
        """Get ready to synthesise (load or connect), without blocking the event loop."""

    @abstractmethod
    def close(self) -> None:
        """Release threads and connections; work in flight is abandoned."""

    @abstractmethod
    def _voices(self) -> VoiceLibrary:
        """The voice catalogue (names; style packs where they are local)."""

    def voices(self, lang: str | None = None) -> list[VoiceInfo]:
        """The voices, optionally of one language."""
        return self._voices().infos(None if lang is None else language_code(lang))

    def suggest_voices(self, query: str, lang: str | None = None, limit: int = 25) -> list[str]:
        """Voice names for autocomplete."""
        return self._voices().suggest(query, None if lang is None else language_code(lang), limit)

    def validate(
        self, text: str, voice: str | None = None, lang: str | None = None, speed: float = 1.0
    ) -> SpeechRequest:
        """Check a request without synthesising; raise the domain error a user should see."""
        return build_request(self.config, self._voices(), text, voice, lang, speed)

    @abstractmethod
    async def synthesize(
        self,
        req: SpeechRequest,
        cancel: threading.Event | None = None,
        on_progress: Callable[[float], None] | None = None,
        *,
        priority: Priority = Priority.BATCH,
        key: Hashable | None = None,
        on_wait: Callable[[bool], None] | None = None,
    ) -> Audio:
        """The whole clip; `on_progress` gets the fraction done; `on_wait` gets True when the
        work starts waiting behind other work (queued, or for a busy server) and False when it
        goes on. Cancelling stops the work."""

    @abstractmethod
    def stream(
        self,
        req: SpeechRequest,
        cancel: threading.Event | None = None,
        *,
        priority: Priority = Priority.INTERACTIVE,
        key: Hashable | None = None,
    ) -> AsyncIterator[np.ndarray]:
        """float32 24 kHz pieces as they are ready; leaving early sets `cancel`."""


def make_engine(config: EngineConfig) -> Engine:
    """The engine `config` asks for: remote when `engine.remote` lists servers, else local.

    Imported here rather than at the top so a remote-only process never imports torch.
    """
    if config.remote:
        from tts_engine.synthesis.remote import RemoteEngine

        return RemoteEngine(config)
    from tts_engine.synthesis.local import LocalEngine

    return LocalEngine(config)
