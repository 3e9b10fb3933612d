"""The job service: the one door through which requests become durable jobs."""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from uuid import UUID

import soundfile as sf
from tortoise.transactions import in_transaction

from bot.jobs.errors import (
    AlreadyFinished,
    AudioNotReady,
    AudioUnavailable,
    ProjectNotFound,
    QueueFull,
)
from bot.request import build_request
from bot.settings import JobSettings
from storage import db
from storage.audio import AudioStore, LocalAudioStore
from storage.errors import StorageError
from storage.models import ProjectStatus, TTSProject, request_key
from tts_engine import Engine
from tts_engine import audio as audio_codec
from tts_engine.validation import without_controls

from . import queue
from .pool import WorkerPool, make_worker_id
from .progress import ProgressHub
from .runner import JobRunner
from .types import JobRequest, ProgressEvent, SubmitResult

log = logging.getLogger(__name__)

# Names the advisory lock that makes "check the caps, then insert" atomic on PostgreSQL.
_SUBMIT_LOCK_KEY = 0x7A5_0002
_CANCEL_RACE_TRIES = 5
#: A clip younger than this may belong to a job recording it right now (in any process).
ORPHAN_AUDIO_AGE_S = 600.0


class JobService:
    """Submit, follow, cancel and delete TTS jobs; runs `settings.workers` workers here."""

    def __init__(self, engine: Engine, store: AudioStore, settings: JobSettings,
                 database_url: str, *, engine_ready: Callable[[], Awaitable[None]] | None = None,
                 ) -> None:
        self.engine, self.store, self.settings = engine, store, settings
        self.database_url = database_url
        self.hub = ProgressHub()
        self.worker_id = make_worker_id()
        runner = JobRunner(engine, store, settings, self.hub, self.worker_id)
        self.pool = WorkerPool(runner, settings, self.hub, self.worker_id)
        self._engine_ready = engine_ready or self._start_engine
        self._submit_lock = asyncio.Lock()
        self._started = False

    async def _start_engine(self) -> None:
        await self.engine.start()

    async def start(self) -> None:
        """Bridge progress across processes (PostgreSQL) and start this process's workers."""
        if db.is_postgres(self.database_url):
            await self.hub.start_postgres(self.database_url)
        await self._sweep_audio()
        if self.settings.workers > 0:
            await self.pool.start(self._engine_ready)
        self._started = True

    async def _sweep_audio(self) -> None:
        """Remove local clips that no project owns (left by a delete racing a finishing job,
        or a crash between storing a clip and recording it): they must not stay public."""
        store = self.store.for_backend(LocalAudioStore.backend)
        if not isinstance(store, LocalAudioStore):
            return
        # Any backend: rows written before the backend was recorded have none.
        owned = {str(key) for key in await TTSProject.filter(
            storage_key__isnull=False).values_list("storage_key", flat=True)}
        removed = await store.sweep(owned, ORPHAN_AUDIO_AGE_S)
        if removed:
            log.info("removed %d audio files that no project owns", removed)

    async def stop(self) -> None:
        """Graceful: running jobs get `jobs.shutdown_grace_s` to finish, the rest re-queue."""
        if self._started and self.settings.workers > 0:
            await self.pool.stop()
        await self.hub.close()
        self._started = False

    async def submit(self, req: JobRequest) -> SubmitResult:
        """Validate, check the queue caps, and queue a `pending` project."""
        valid = await build_request(self.engine, req.text, voice=req.voice, lang=req.lang,
                                    speed=req.speed, user_id=req.user_id, guild_id=req.guild_id)
        fields: dict[str, Any] = dict(
            # As typed (less what is never said or stored: controls), and as it will be said.
            user_id=str(req.user_id), text=without_controls(req.text).strip(),
            spoken_text=valid.text, voice=valid.voice,
            speed=valid.speed,
            lang_code=valid.lang, source=req.source, guild_id=req.guild_id,
            channel_id=req.channel_id,
            request_key=request_key(valid.text, valid.voice, valid.speed, valid.lang),
        )
        if db.is_postgres(self.database_url):
            async with in_transaction() as conn:
                await conn.execute_query("SELECT pg_advisory_xact_lock($1)", [_SUBMIT_LOCK_KEY])
                await self._check_caps(fields["user_id"])
                project = await TTSProject.create(using_db=conn, **fields)
        else:
            async with self._submit_lock:
                await self._check_caps(fields["user_id"])
                project = await TTSProject.create(**fields)
        position = await queue.position(project) or 1
        log.info("job %s queued for user %s at position %d", project.id, project.user_id,
                 position)
        await self.hub.publish(ProgressEvent.of(project, position))
        return SubmitResult(project, position)

    async def check_caps(self, user_id: str) -> None:
        """Raise `QueueFull` when `user_id` may not queue another job now (a cheap early check
        for front doors; `submit` checks again, atomically)."""
        await self._check_caps(user_id)

    async def _check_caps(self, user_id: str) -> None:
        mine, everyone = await queue.active_counts(user_id)
        if mine >= self.settings.per_user_cap:
            raise QueueFull(mine, self.settings.per_user_cap, per_user=True)
        if everyone >= self.settings.global_cap:
            raise QueueFull(everyone, self.settings.global_cap, per_user=False)

    async def subscribe(self, project_id: UUID) -> AsyncIterator[ProgressEvent]:
        """Events of one project, its current state first, until a final stage.

        Workers may live in other processes: events arrive through the hub (LISTEN/NOTIFY on
        PostgreSQL), and the row is re-read every `poll_interval_s` in case one went missing.
        """
        inbox = self.hub.listen(project_id)
        try:
            last: tuple[Any, ...] | None = None
            event = await self._current(project_id)
            while event is not None:
                key = (event.stage, event.progress, event.position)
                if key != last:
                    last = key
                    yield event
                if event.stage.final:
                    return
                try:
                    async with asyncio.timeout(self.settings.poll_interval_s):
                        event = await inbox.get()
                except TimeoutError:
                    event = await self._current(project_id)
        finally:
            self.hub.unlisten(project_id, inbox)

    async def _current(self, project_id: UUID) -> ProgressEvent | None:
        project = await self.get(project_id)
        if project is None:
            return None
        return ProgressEvent.of(project, await queue.position(project))

    async def get(self, project_id: UUID | str) -> TTSProject | None:
        """The project, or None (also for a string that is not a project id)."""
        try:
            pid = project_id if isinstance(project_id, UUID) else UUID(str(project_id))
        except ValueError:
            return None
        return await TTSProject.get_or_none(id=pid)

    async def history(self, user_id: str, limit: int = 20, offset: int = 0) -> list[TTSProject]:
        """A user's projects, newest first."""
        limit, offset = max(1, min(limit, 100)), max(0, offset)
        return await (
            TTSProject.filter(user_id=str(user_id)).order_by("-created_at", "-id")
            .offset(offset).limit(limit)
        )

    async def position(self, project_id: UUID) -> int | None:
        """1-based place in the queue; None when not queued (running, finished, unknown)."""
        project = await self.get(project_id)
        return None if project is None else await queue.position(project)

    async def cancel(self, project_id: UUID) -> TTSProject:
        """Cancel a job: a pending one never starts; a running one stops at its next chunk.

        Cancelling a cancelled job changes nothing; a finished one raises `AlreadyFinished`.
        """
        for _ in range(_CANCEL_RACE_TRIES):
            project = await self.get(project_id)
            if project is None:
                raise ProjectNotFound(project_id)
            status = ProjectStatus(project.status)
            if status is ProjectStatus.CANCELLED:
                return project
            if status in (ProjectStatus.COMPLETED, ProjectStatus.FAILED):
                raise AlreadyFinished(status.value)
            changed = await TTSProject.filter(id=project.id, status=status).update(
                status=ProjectStatus.CANCELLED, finished_at=queue.now(), worker_id=None,
                error="Cancelled on request.",
            )
            if changed:
                await project.refresh_from_db()
                self.pool.cancel_local(project.id)
                log.info("job %s cancelled (was %s)", project.id, status.value)
                await self.hub.publish(ProgressEvent.of(project))
                return project
            # The job moved on meanwhile (claimed, finished): look again.
        raise AlreadyFinished("changed too quickly")

    async def delete(self, project_id: UUID) -> None:
        """Cancel the job if active, then remove its audio (unless shared) and its row."""
        project = await self.get(project_id)
        if project is None:
            raise ProjectNotFound(project_id)
        if ProjectStatus(project.status).active:
            try:
                project = await self.cancel(project.id)
            except AlreadyFinished:
                # It finished meanwhile: the row now names a clip this copy doesn't know of.
                project = await self.get(project.id) or project
        await project.delete()
        key = project.storage_key
        # Each project owns its clip (reuse copies it); rows from older versions may still
        # share one, which then goes with the last project using it.
        if key and not await TTSProject.filter(storage_key=key).exists():
            try:
                await self.store.for_backend(project.storage_backend).delete(key)
            except StorageError:
                log.warning("could not delete the audio of %s (%s)", project.id, key,
                            exc_info=True)
        log.info("project %s deleted", project.id)

    async def audio_bytes(self, project: TTSProject, fmt: str | None = None) -> bytes:
        """The finished audio, as stored (WAV) or re-encoded to `fmt` ("ogg", "mp3", ...)."""
        if project.status != ProjectStatus.COMPLETED or not project.storage_key:
            raise AudioNotReady()
        store = self.store.for_backend(project.storage_backend)
        try:
            data = await store.read(project.storage_key, project.audio_url)
        except StorageError as exc:
            raise AudioUnavailable(str(exc)) from exc
        if fmt is None or fmt == project.audio_format:
            return data
        return await asyncio.to_thread(_reencode, data, fmt)

    async def attach_message(self, project_id: UUID, *, channel_id: int | None,
                             message_id: int | None, interaction_token: str | None = None,
                             ) -> None:
        """Record where a project's progress message lives, so a restart can keep editing it."""
        await TTSProject.filter(id=project_id).update(
            progress_channel_id=channel_id, progress_message_id=message_id,
            interaction_token=interaction_token,
        )

    async def unfinished_with_messages(self) -> list[TTSProject]:
        """Active projects that have a progress message (to re-subscribe after a restart)."""
        return await TTSProject.filter(
            status__in=[ProjectStatus.PENDING, ProjectStatus.PROCESSING],
            progress_message_id__isnull=False,
        ).order_by("created_at")


def _reencode(data: bytes, fmt: str) -> bytes:
    samples, _rate = sf.read(io.BytesIO(data), dtype="float32")
    return audio_codec.encode(samples, fmt)
