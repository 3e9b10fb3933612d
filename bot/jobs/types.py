"""The job system's public value types: requests, results, stages and progress events."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any
from uuid import UUID

from storage.models import ProjectStatus, TTSProject


@dataclass(frozen=True)
class JobRequest:
    """What a front door asks for; unset voice/speed/lang take the engine's defaults."""

    user_id: str
    text: str
    voice: str | None = None
    speed: float | None = None
    lang: str | None = None
    guild_id: int | None = None
    channel_id: int | None = None
    source: str = "discord"  # "discord" | "api"


@dataclass(frozen=True)
class SubmitResult:
    """The queued project and its place in the queue (1 = next to run)."""

    project: TTSProject
    position: int


class Stage(StrEnum):
    """What a subscriber is told a job is doing."""

    QUEUED = "queued"
    GENERATING = "generating"
    ENCODING = "encoding"
    UPLOADING = "uploading"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def final(self) -> bool:
        """Nothing follows this stage."""
        return self in (Stage.DONE, Stage.FAILED, Stage.CANCELLED)


# The progress written to the row at each step, as in the service we are modelled on.
PROGRESS_CLAIMED = 10
PROGRESS_GENERATING = 30
PROGRESS_ENCODING = 60
PROGRESS_UPLOADING = 80
PROGRESS_DONE = 100


def stage_of(status: ProjectStatus, progress: int) -> Stage:
    """The stage a row's status and progress describe."""
    if status is ProjectStatus.PENDING:
        return Stage.QUEUED
    if status is ProjectStatus.COMPLETED:
        return Stage.DONE
    if status is ProjectStatus.FAILED:
        return Stage.FAILED
    if status is ProjectStatus.CANCELLED:
        return Stage.CANCELLED
    if progress >= PROGRESS_UPLOADING:
        return Stage.UPLOADING
    if progress >= PROGRESS_ENCODING:
        return Stage.ENCODING
    return Stage.GENERATING


# PostgreSQL NOTIFY payloads must stay under 8000 bytes.
_MAX_ERROR_CHARS = 1000


@dataclass(frozen=True)
class ProgressEvent:
    """One step of a job, as published to subscribers."""

    project_id: UUID
    stage: Stage
    status: str
    progress: int
    position: int | None = None
    error: str | None = None
    audio_url: str | None = None

    @classmethod
    def of(cls, project: TTSProject, position: int | None = None) -> ProgressEvent:
        """The event describing a row as it is now."""
        status = ProjectStatus(project.status)
        return cls(
            project_id=project.id,
            stage=stage_of(status, project.progress),
            status=status.value,
            progress=project.progress,
            position=position if status is ProjectStatus.PENDING else None,
            error=project.error,
            audio_url=project.audio_url,
        )

    def to_json(self) -> str:
        """Serialised for PostgreSQL NOTIFY."""
        data: dict[str, Any] = asdict(self)
        data["project_id"] = str(self.project_id)
        if self.error and len(self.error) > _MAX_ERROR_CHARS:
            data["error"] = self.error[:_MAX_ERROR_CHARS] + "…"
        return json.dumps(data)

    @classmethod
    def from_json(cls, raw: str) -> ProgressEvent:
        """The inverse of `to_json`."""
        data = json.loads(raw)
        data["project_id"] = UUID(data["project_id"])
        data["stage"] = Stage(data["stage"])
        return cls(**data)


def can_manage(project: TTSProject, user_id: str | int, *, manages_guild: bool = False) -> bool:
    """Whether `user_id` may cancel, delete or fetch `project`.

    Its owner always may. `manages_guild` is the caller's finding that the user holds Manage
    Server in the project's own guild (`project.guild_id`); it never opens a project that has no
    guild (DMs, the HTTP API).
    """
    if project.user_id == str(user_id):
        return True
    return manages_guild and project.guild_id is not None
