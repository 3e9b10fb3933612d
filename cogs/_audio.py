"""Audio the bot hands to people: attached when it fits, linked only where a link can work."""

from __future__ import annotations

import io
import ipaddress
import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

import discord

from bot.jobs import JobService
from storage.models import TTSProject
from tts_engine.errors import TTSError

log = logging.getLogger(__name__)

#: Discord's upload limit for a server without boosts; used when the interaction's is unknown.
DEFAULT_UPLOAD_LIMIT = 10 * 1024 * 1024


def public_link(url: str | None) -> str | None:
    """`url` if people on Discord can open it, else None.

    Local audio is linked at `storage.public_base_url`, which by default is the bot's own
    machine (127.0.0.1): a link there would open nothing for anyone else. Loopback, private
    and link-local addresses, `localhost` and single-label names count as unreachable.
    """
    if not url:
        return None
    host = (urlsplit(url).hostname or "").lower()
    if not host or host == "localhost" or host.endswith((".localhost", ".local")):
        return None
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return url if "." in host else None
    return url if address.is_global else None


@dataclass(frozen=True)
class AudioFile:
    """Audio to attach: a name and the bytes (a `discord.File` is single-use)."""

    filename: str
    data: bytes

    def to_file(self) -> discord.File:
        """A fresh `discord.File` for one upload."""
        return discord.File(io.BytesIO(self.data), self.filename)


async def pick_audio(jobs: JobService, project: TTSProject, limit: int) -> AudioFile | None:
    """WAV when it fits the upload limit, else Ogg/Opus, else None (the caller links it)."""
    stem = f"tts-{project.id.hex[:8]}"
    try:
        if project.size_bytes is None or project.size_bytes <= limit:
            wav = await jobs.audio_bytes(project, "wav")
            if len(wav) <= limit:
                return AudioFile(f"{stem}.wav", wav)
        ogg = await jobs.audio_bytes(project, "ogg")
        if len(ogg) <= limit:
            return AudioFile(f"{stem}.ogg", ogg)
    except TTSError as exc:
        log.warning("could not fetch the audio of %s to attach it: %s", project.id, exc)
    return None

