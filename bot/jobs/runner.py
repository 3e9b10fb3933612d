"""Carrying one claimed job through its stages: synthesise, encode, store, finish."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import uuid
from collections.abc import Callable
from typing import Any

from bot.jobs.errors import JobCrashed, JobTimedOut, UploadFailed
from bot.metrics import STORAGE_RETRIES
from bot.settings import JobSettings
from storage.audio import AudioStore, StoredAudio
from storage.errors import StorageError
from storage.models import ProjectStatus, TTSProject
from tts_engine import Engine, SpeechRequest
from tts_engine import audio as audio_codec
from tts_engine.errors import InvalidRequest, SynthesisCancelled, TTSError

from . import queue
from ._spool import AudioSpool, SpooledClip
from .progress import ProgressHub
from .types import (
    PROGRESS_DONE,
    PROGRESS_ENCODING,
    PROGRESS_GENERATING,
    PROGRESS_UPLOADING,
    ProgressEvent,
)

log = logging.getLogger(__name__)

STORED_FORMAT = "wav"


class _Lost(Exception):
    """The job was cancelled or taken away while this worker ran it."""


class JobRunner:
    """Runs claimed jobs for one worker identity; every write checks the lease still holds."""

    def __init__(self, engine: Engine, store: AudioStore, settings: JobSettings,
                 hub: ProgressHub, worker_id: str) -> None:
        self.engine, self.store, self.settings = engine, store, settings
        self.hub, self.worker_id = hub, worker_id
        self.spool = AudioSpool()

    async def run(self, project: TTSProject, cancel: threading.Event) -> None:
        """Carry `project` to completed, failed, or back to pending; raises only on shutdown."""
        pid = project.id
        log.info("job %s claimed by %s (attempt %d)", pid, self.worker_id, project.attempts)
        await self._publish(project)
        beat = asyncio.create_task(self._heartbeat(project, cancel))
        deadline = asyncio.timeout(self.settings.timeout_s)

        left: list[float] = []

        def waited(waiting: bool) -> None:
            # The timeout is for the job's own work: its clock stops while its synthesis waits
            # behind other work (voice goes first) or for a busy synthesis server.
            now, when = asyncio.get_running_loop().time(), deadline.when()
            if waiting and when is not None and not deadline.expired():
                left.append(when - now)
                deadline.reschedule(None)
            elif not waiting and left:
                deadline.reschedule(now + left.pop())

        try:
            async with deadline:
                await self._produce(project, cancel, waited)
        except TimeoutError:
            if not deadline.expired():
                raise
            cancel.set()  # the inference thread stops at its next chunk
            await self._fail(project, JobTimedOut(self.settings.timeout_s))
        except (_Lost, SynthesisCancelled):
            log.info("job %s was cancelled or taken over; dropping it", pid)
        except asyncio.CancelledError:
            cancel.set()
            raise
        except Exception as exc:  # every failure must end in a row a user can read
            await self._handle_error(project, exc)
        finally:
            if project.status != ProjectStatus.PENDING:  # not waiting for a retry
                self.spool.discard(pid)
            beat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beat

    async def _produce(self, project: TTSProject, cancel: threading.Event,
                       waited: Callable[[bool], None]) -> None:
        # A retry after a storage fault stores the clip the last attempt made.
        clip = self.spool.get(project.id)
        if clip is None:
            if await self._reuse(project):
                return
            clip = await self._make(project, cancel, waited)
        await self._stage(project, PROGRESS_UPLOADING)
        stored = await self.store.put(project.id, clip.data, STORED_FORMAT)
        await self._complete(project, stored, clip.duration, STORED_FORMAT)

    async def _make(self, project: TTSProject, cancel: threading.Event,
                    waited: Callable[[bool], None]) -> SpooledClip:
        """Synthesise and encode; the result is kept until it is stored."""
        await self._stage(project, PROGRESS_GENERATING)
        req = SpeechRequest(
            text=project.spoken, voice=project.voice, lang=project.lang_code, speed=project.speed
        )
        audio = await self.engine.synthesize(req, cancel=cancel, on_wait=waited)
        if cancel.is_set():
            raise _Lost
        await self._stage(project, PROGRESS_ENCODING)
        data = await asyncio.to_thread(audio_codec.encode, audio.samples, STORED_FORMAT)
        return self.spool.put(project.id, data, audio.duration)

    async def _reuse(self, project: TTSProject) -> bool:
        """Finish without synthesis from a copy of an identical completed request's audio.

        A copy, not a shared link: the project owns its own clip under its own id, so nothing
        of the other project (its id, its owner) shows, and deleting either never breaks the
        other. A twin whose clip vanished (a racing delete) means synthesising after all.
        """
        twin = (
            await TTSProject.filter(
                request_key=project.request_key, status=ProjectStatus.COMPLETED,
                storage_key__isnull=False, spoken_text=project.spoken,
            )
            .exclude(id=project.id)
            .order_by("-finished_at")
            .first()
        )
        if twin is None or twin.storage_key is None:
            return False
        fmt = twin.audio_format or STORED_FORMAT
        try:
            data = await self.store.for_backend(twin.storage_backend).read(
                twin.storage_key, twin.audio_url
            )
        except StorageError as exc:
            log.info("job %s: the audio of identical request %s can't be read (%s); "
                     "synthesising", project.id, twin.id, exc)
            return False
        log.info("job %s reuses a copy of the audio of an identical request", project.id)
        await self._stage(project, PROGRESS_UPLOADING)
        stored = await self.store.put(project.id, data, fmt)
        await self._complete(project, stored, twin.duration_s or 0.0, fmt)
        return True

    async def _complete(self, project: TTSProject, stored: StoredAudio, duration: float,
                        fmt: str) -> None:
        values: dict[str, Any] = dict(
            status=ProjectStatus.COMPLETED, progress=PROGRESS_DONE, audio_url=stored.url,
            duration_s=duration, audio_format=fmt, size_bytes=stored.size_bytes,
            storage_backend=stored.backend, storage_key=stored.key, error=None,
            finished_at=queue.now(), worker_id=None,
        )
        if not await queue.update_running(project.id, self.worker_id, **values):
            # Cancelled during the upload: the clip belongs to nobody.
            with contextlib.suppress(StorageError):
                await self.store.for_backend(stored.backend).delete(stored.key)
            raise _Lost
        for name, value in values.items():
            setattr(project, name, value)
        log.info("job %s completed (%.1f s of audio)", project.id, duration)
        await self._publish(project)

    async def _stage(self, project: TTSProject, progress: int) -> None:
        ok = await queue.update_running(
            project.id, self.worker_id, progress=progress, heartbeat_at=queue.now()
        )
        if not ok:
            raise _Lost
        project.progress = progress
        await self._publish(project)

    async def _heartbeat(self, project: TTSProject, cancel: threading.Event) -> None:
        while True:
            await asyncio.sleep(self.settings.heartbeat_s)
            try:
                alive = await queue.heartbeat(project.id, self.worker_id)
            except Exception:  # a database hiccup: the lease may still hold; try again
                log.warning("heartbeat of %s failed", project.id, exc_info=True)
                continue
            if not alive:
                cancel.set()
                return

    async def _handle_error(self, project: TTSProject, exc: Exception) -> None:
        if isinstance(exc, StorageError):
            transient = exc.transient
            err: TTSError = UploadFailed(project.attempts, exc.problem)
            last = project.attempts >= self.settings.max_attempts
            log.error("job %s: storing the audio failed (attempt %d of %d, %s): %s",
                      project.id, project.attempts, self.settings.max_attempts,
                      "not retryable" if not transient else "giving up" if last else
                      "will retry", exc)
        elif isinstance(exc, TTSError):
            # Loading, or synthesis servers down or busy: the same request can succeed later.
            transient = exc.transient
            err = exc
            if not isinstance(exc, InvalidRequest):
                log.warning("job %s failed: %s", project.id, exc)
        else:
            err = JobCrashed(uuid.uuid4().hex[:8])
            transient = False
            log.error("job %s crashed (error id %s)", project.id, err.ref, exc_info=exc)
        if transient and project.attempts < self.settings.max_attempts:
            delay = self.settings.retry_backoff_s * 2 ** (project.attempts - 1)
            if await queue.retry_later(project.id, self.worker_id, str(err), delay):
                log.info("job %s will be retried in %.1f s", project.id, delay)
                if isinstance(exc, StorageError):
                    STORAGE_RETRIES.labels(where="job").inc()
                project.status, project.progress, project.error = (
                    ProjectStatus.PENDING, 0, str(err))
                await self._publish(project)
            return
        await self._fail(project, err)

    async def _fail(self, project: TTSProject, err: TTSError) -> None:
        if await queue.fail(project.id, self.worker_id, str(err)):
            project.status, project.error = ProjectStatus.FAILED, str(err)
            await self._publish(project)

    async def _publish(self, project: TTSProject) -> None:
        await self.hub.publish(ProgressEvent.of(project))
