"""One thing a server's player says: the request, and the state of its synthesis and playback."""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass, field

from bot.voice.source import FrameBuffer
from tts_engine import SpeechRequest


@dataclass(eq=False)
class Utterance:
    """One thing to say: a validated request and its synthesis state."""

    request: SpeechRequest
    label: str = ""
    #: Said first, in the same voice ("alice said"): the same phrase every time, so usually
    #: served from the engine's cache and heard while `request` is being synthesised.
    lead: SpeechRequest | None = None
    cancel: threading.Event = field(default_factory=threading.Event)
    buffer: FrameBuffer | None = None
    task: asyncio.Task[None] | None = None
    #: The speed actually used (after any backlog speed-up).
    speed: float | None = None
    queued_at: float = field(default_factory=time.monotonic)
    #: time.monotonic() when playback started (first frame handed to discord.py).
    started_at: float | None = None
    error: BaseException | None = None
    #: Jumps ahead of ordinary utterances in the queue (the server's priority role).
    priority: bool = False
    #: Seconds of audio in the latest chunk synthesised.
    last_chunk_s: float = 0.0
    #: A channel message: skipped (with a summary) once it waited too long under overload.
    skippable: bool = False
    #: Synthesis is waiting (for playback to catch up, or for the utterance ahead to
    #: pause), not computing.
    paused: bool = False

    @property
    def text(self) -> str:
        """Everything said: the lead, then the request's text."""
        return self.request.text if self.lead is None else \
            f"{self.lead.text} {self.request.text}"
