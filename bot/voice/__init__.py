"""Speaking in voice channels: per-server players, the streaming audio source, text clean-up.

`VoiceManager` (bot.voice_manager) owns a `GuildPlayer` per server; each plays a FIFO of
utterances through a `StreamSource` fed by the engine's stream as it is synthesised.
"""

from __future__ import annotations

from bot.voice.errors import (
    BusyElsewhere,
    ConnectFailed,
    NotConnected,
    NotInVoice,
    VoiceError,
    VoiceQueueFull,
)
from bot.voice.manager import TrackedVoiceClient, VoiceManager
from bot.voice.overload import Overload, backlog_speed
from bot.voice.player import GuildPlayer
from bot.voice.source import FrameBuffer, StreamSource
from bot.voice.text import NameAnnouncer, clean_text, cut
from bot.voice.utterance import Utterance

__all__ = [
    "BusyElsewhere", "ConnectFailed", "FrameBuffer", "GuildPlayer", "NameAnnouncer",
    "NotConnected", "NotInVoice", "Overload", "StreamSource", "TrackedVoiceClient", "Utterance",
    "VoiceError", "VoiceManager", "VoiceQueueFull", "backlog_speed", "clean_text", "cut",
]
