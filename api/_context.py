"""What the handlers need from the process: the engine, the job service, and the settings."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from bot.jobs import JobService
from bot.jobs.queue import active_counts
from bot.settings import ApiSettings, Settings
from tts_engine import Engine


async def active_jobs() -> int:
    """Queued or running jobs, from the database (so it raises when the database is down)."""
    _, everyone = await active_counts("")
    return everyone


@dataclass
class ApiContext:
    """The API's view of the running process."""

    engine: Engine
    jobs: JobService
    settings: Settings
    #: The health probe's queue depth; raising means the database is unreachable.
    queue_depth: Callable[[], Awaitable[int]] = active_jobs

    @property
    def api(self) -> ApiSettings:
        """The `[api]` settings."""
        return self.settings.api

    @property
    def audio_dir(self) -> Path:
        """Where the local audio store keeps its files."""
        return self.settings.storage.local_dir
