"""The shared resources of every process, built from Settings and torn down in order.

The bot process, `python -m bot worker` and `python -m bot api` all start a `Runtime`:
database (migrated), audio store, engine, job service.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

from bot.jobs import JobService
from bot.metrics import STORAGE_RETRIES
from bot.settings import Settings, StorageSettings
from storage import db
from storage.audio import (
    AudioStore,
    CloudinaryAudioStore,
    FallbackStore,
    LocalAudioStore,
    RetryingStore,
)
from tts_engine import Engine, make_engine

log = logging.getLogger(__name__)


def build_audio_store(settings: StorageSettings, *, retry_wait_s: float = 1.0) -> AudioStore:
    """The configured store: local files, or Cloudinary with retries (and a local fallback)."""
    local = LocalAudioStore(settings.local_dir, settings.public_base_url)
    url = settings.cloudinary_url.get_secret_value() if settings.cloudinary_url else None
    if settings.backend == "local" or (settings.backend == "auto" and not url):
        return local
    if not url:
        raise ValueError("storage.backend is 'cloudinary' but no CLOUDINARY_URL is configured")
    cloud = CloudinaryAudioStore(
        url, folder=settings.cloudinary_folder, timeout_s=settings.upload_timeout_s
    )
    store: AudioStore = RetryingStore(
        cloud, attempts=settings.upload_attempts, wait_s=retry_wait_s,
        on_retry=STORAGE_RETRIES.labels(where="upload").inc,
    )
    if settings.fallback_to_local:
        store = FallbackStore(store, local)
    return store


class EngineStarter:
    """Starts the engine once, in the background; anyone may wait for it."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._task: asyncio.Task[None] | None = None

    def begin(self) -> None:
        """Start loading and warming up, if not already started."""
        if self._task is None:
            self._task = asyncio.create_task(self.engine.start(), name="engine-start")

    async def wait(self) -> None:
        """Until the engine is ready (raises what loading raised)."""
        self.begin()
        assert self._task is not None
        await asyncio.shield(self._task)

    async def cancel(self) -> None:
        """Stop waiting for a load still in progress."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)


@dataclass
class Runtime:
    """Everything a process shares: settings, engine, audio store and job service."""

    settings: Settings
    engine: Engine
    store: AudioStore
    jobs: JobService
    starter: EngineStarter

    @classmethod
    async def start(cls, settings: Settings, *, workers: int | None = None) -> Runtime:
        """Connect and migrate the database, build the store and engine, start the jobs.

        `workers` overrides `settings.jobs.workers` (the API process runs none, for example).
        The engine loads in the background when `engine.load` is "startup"; workers wait for it.
        """
        jobs_settings = settings.jobs
        if workers is not None:
            jobs_settings = jobs_settings.model_copy(update={"workers": workers})
        await db.init_db(settings.database.url)
        store = build_audio_store(settings.storage)
        engine = make_engine(settings.engine)
        starter = EngineStarter(engine)
        jobs = JobService(engine, store, jobs_settings, settings.database.url,
                          engine_ready=starter.wait)
        runtime = cls(settings, engine, store, jobs, starter)
        # A remote engine loads no model, but its health checks must run even with
        # `load = "lazy"` and no workers, or a server once marked down would stay down.
        if settings.engine.load == "startup" or settings.engine.remote:
            starter.begin()
        try:
            await jobs.start()
        except BaseException:
            await runtime.stop()
            raise
        return runtime

    async def stop(self) -> None:
        """Stop the jobs (graceful), then close the store, the engine and the database."""
        try:
            await self.jobs.stop()
        finally:
            await self.starter.cancel()
            await self.store.close()
            self.engine.close()
            await db.close_db()
        log.info("runtime stopped")


@contextlib.asynccontextmanager
async def open_runtime(settings: Settings, *, workers: int | None = None
                       ) -> AsyncIterator[Runtime]:
    """`async with open_runtime(settings) as rt:` starts and always stops a Runtime."""
    runtime = await Runtime.start(settings, workers=workers)
    try:
        yield runtime
    finally:
        await runtime.stop()
