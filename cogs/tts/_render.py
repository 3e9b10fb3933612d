"""What a /tts reply says at each stage, and the audio it carries when done."""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass

import discord

from bot.jobs import JobService, ProgressEvent, Stage
from bot.progress import progress_bar
from storage.models import TTSProject
from tts_engine import LANGUAGES
from tts_engine.errors import TTSError

from .._common import quote_text

log = logging.getLogger(__name__)

#: Discord's upload limit for a server without boosts; used when the interaction's is unknown.
DEFAULT_UPLOAD_LIMIT = 10 * 1024 * 1024

STAGE_LABELS: dict[Stage, tuple[str, str]] = {
    Stage.QUEUED: ("⏳", "Queued"),
    Stage.GENERATING: ("🎙️", "Generating speech"),
    Stage.ENCODING: ("🎛️", "Encoding"),
    Stage.UPLOADING: ("📤", "Storing the audio"),
    Stage.DONE: ("✅", "Done"),
    Stage.FAILED: ("❌", "Failed"),
    Stage.CANCELLED: ("🚫", "Cancelled"),
}


def _heading(stage: Stage, project: TTSProject) -> str:
    emoji, label = STAGE_LABELS[stage]
    lang = LANGUAGES.get(project.lang_code, project.lang_code)
    return f"{emoji} **{label}** · voice `{project.voice}` · {lang}"


def _quote(project: TTSProject) -> str:
    return "> " + quote_text(project.text, 120)


def progress_content(event: ProgressEvent, project: TTSProject) -> str:
    """The reply while the job is queued or running: stage, bar, queue position."""
    lines = [_heading(event.stage, project), _quote(project), f"`{progress_bar(event.progress)}`"]
    if event.stage is Stage.QUEUED and event.position:
        lines.append(f"Position in the queue: **{event.position}**")
    return "\n".join(lines)


def ended_content(event: ProgressEvent, project: TTSProject) -> str:
    """The reply of a failed or cancelled job, with the reason in words."""
    reason = event.error or ("Cancelled." if event.stage is Stage.CANCELLED else "Unknown error.")
    return f"{_heading(event.stage, project)}\n{_quote(project)}\n{reason}"


def done_content(project: TTSProject, *, attached: bool) -> str:
    """The reply of a finished job: duration and voice, and the link when not attached."""
    lines = [f"{_heading(Stage.DONE, project)} · {project.duration_s or 0:.1f} s", _quote(project)]
    if not attached and project.audio_url:
        lines.append(f"Too large to attach here: [download the audio]({project.audio_url})")
    return "\n".join(lines)


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

