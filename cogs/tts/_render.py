"""What a /tts reply says at each stage, and the audio it carries when done."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from bot.jobs import ProgressEvent, Stage, worker_left
from cogs.tts._throttle import progress_bar
from storage.models import ProjectStatus, TTSProject
from tts_engine import LANGUAGES

from .._audio import public_link
from .._text import quote_text

log = logging.getLogger(__name__)

STAGE_LABELS: dict[Stage, tuple[str, str]] = {
    Stage.QUEUED: ("⏳", "Queued"),
    Stage.GENERATING: ("🎙️", "Generating speech"),
    Stage.ENCODING: ("🎛️", "Encoding"),
    Stage.UPLOADING: ("📤", "Storing the audio"),
    Stage.DONE: ("✅", "Done"),
    Stage.FAILED: ("❌", "Failed"),
    Stage.CANCELLED: ("🚫", "Cancelled"),
}


#: Not stages of the job, but what the reply says when its stage would mislead.
RETRYING = ("🔁", "Retrying")
WAITING_TO_RESUME = ("⏸️", "Waiting to resume")


def _heading(stage: Stage | tuple[str, str], project: TTSProject) -> str:
    emoji, label = STAGE_LABELS[stage] if isinstance(stage, Stage) else stage
    lang = LANGUAGES.get(project.lang_code, project.lang_code)
    return f"{emoji} **{label}** · voice `{project.voice}` · {lang}"


def _quote(project: TTSProject) -> str:
    return "> " + quote_text(project.text, 120)


def stalled_after_s(heartbeat_s: float) -> float:
    """How long a running job's heartbeat may be silent before its worker counts as gone."""
    return max(2 * heartbeat_s, heartbeat_s + 2.0)


def worker_gone(project: TTSProject, heartbeat_s: float, own_worker_id: str,
                now: datetime | None = None) -> bool:
    """Whether the row says processing but nobody is working on it (its worker stopped, e.g.
    the bot restarted; the job goes back to the queue when its lease runs out)."""
    if project.status != ProjectStatus.PROCESSING:
        return False
    if project.worker_id and worker_left(project.worker_id, own_worker_id):
        return True
    beat = project.heartbeat_at
    if beat is None:
        return True
    if beat.tzinfo is None:
        beat = beat.replace(tzinfo=UTC)
    silent = ((now or datetime.now(UTC)) - beat).total_seconds()
    return silent > stalled_after_s(heartbeat_s)


def _first_sentence(text: str) -> str:
    return text.split(". ", 1)[0].rstrip(".")


def progress_content(event: ProgressEvent, project: TTSProject, *, max_attempts: int = 1,
                     worker_gone: bool = False) -> str:
    """The reply while the job is queued or running: stage, bar, queue position, and why it
    is waiting when it waits for a retry or for a worker to take it over."""
    heading: Stage | tuple[str, str] = event.stage
    note = None
    if event.stage is Stage.QUEUED and event.error:
        heading = RETRYING
        note = (f"{_first_sentence(event.error)}. Trying again shortly (attempt "
                f"{project.attempts + 1} of {max_attempts}).")
    elif event.stage is not Stage.QUEUED and worker_gone:
        heading = WAITING_TO_RESUME
        note = "The bot stopped while making this; it carries on as soon as it can."
    lines = [_heading(heading, project), _quote(project), f"`{progress_bar(event.progress)}`"]
    if event.stage is Stage.QUEUED and event.position:
        lines.append(f"Position in the queue: **{event.position}**")
    if note:
        lines.append(note)
    return "\n".join(lines)


def ended_content(event: ProgressEvent, project: TTSProject) -> str:
    """The reply of a failed or cancelled job, with the reason in words."""
    reason = event.error or ("Cancelled." if event.stage is Stage.CANCELLED else "Unknown error.")
    return f"{_heading(event.stage, project)}\n{_quote(project)}\n{reason}"


def done_content(project: TTSProject, *, attached: bool) -> str:
    """The reply of a finished job: duration and voice, and, when the audio is too large to
    attach, a link if one can be opened from outside, else what to do instead."""
    lines = [f"{_heading(Stage.DONE, project)} · {project.duration_s or 0:.1f} s", _quote(project)]
    if not attached:
        link = public_link(project.audio_url)
        lines.append(f"Too large to attach here: [download the audio]({link})" if link else
                     "Too large to attach in this server, and this bot publishes no download "
                     "links: try a shorter text.")
    return "\n".join(lines)
