"""The worker pool: N asyncio workers claiming jobs, periodic recovery, graceful shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import threading
import uuid
from collections.abc import Awaitable, Callable
from uuid import UUID

from bot.settings import JobSettings
from tts_engine.errors import TTSError

from . import queue
from .progress import ProgressHub
from .runner import JobRunner
from .types import ProgressEvent, Stage

log = logging.getLogger(__name__)


def make_worker_id() -> str:
    """Unique per process start: `host:pid:random`, so a restarted process never inherits a
    lease of its previous life."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def worker_left(worker_id: str, own_id: str) -> bool:
    """Whether `worker_id` is certainly gone: an earlier life of this process (same host and
    pid, another start), or a process of this host that no longer exists. Workers elsewhere
    are judged by their heartbeat instead."""
    host, _, rest = worker_id.partition(":")
    pid_text = rest.partition(":")[0]
    if worker_id == own_id or host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # exists, owned by someone else
        return False
    return False


class WorkerPool:
    """Runs `settings.workers` workers in this process against the shared queue."""

    def __init__(self, runner: JobRunner, settings: JobSettings, hub: ProgressHub,
                 worker_id: str) -> None:
        self.runner, self.settings, self.hub, self.worker_id = runner, settings, hub, worker_id
        self._running: dict[UUID, threading.Event] = {}
        self._workers: list[asyncio.Task[None]] = []
        self._recovery: asyncio.Task[None] | None = None
        self._stopping = False
        hub.on_event(self._on_event)

    @property
    def running(self) -> list[UUID]:
        """Jobs this process is running now."""
        return list(self._running)

    async def start(self, engine_ready: Callable[[], Awaitable[None]]) -> None:
        """Recover what dead workers left behind, then start the workers."""
        await self.recover()
        for n in range(self.settings.workers):
            task = asyncio.create_task(self._work(engine_ready), name=f"tts-worker-{n}")
            self._workers.append(task)
        self._recovery = asyncio.create_task(self._recover_periodically(), name="tts-recovery")
        log.info("%d workers started as %s", self.settings.workers, self.worker_id)

    async def recover(self) -> None:
        """Re-queue jobs whose worker went silent (or fail them after too many attempts)."""
        requeued, failed = await queue.requeue_stale(self.settings.lease_s,
                                                     self.settings.max_attempts)
        for pid in requeued + failed:
            project = await queue.TTSProject.get_or_none(id=pid)
            if project is not None:
                await self.hub.publish(ProgressEvent.of(project))

    def cancel_local(self, project_id: UUID) -> bool:
        """Stop a job this process runs at its next chunk; False if it runs elsewhere."""
        event = self._running.get(project_id)
        if event is None:
            return False
        event.set()
        return True

    def _on_event(self, event: ProgressEvent) -> None:
        # A cancellation published by any process reaches the worker running the job here.
        if event.stage is Stage.CANCELLED:
            self.cancel_local(event.project_id)

    async def _work(self, engine_ready: Callable[[], Awaitable[None]]) -> None:
        try:
            await engine_ready()
        except TTSError as exc:  # e.g. no model files: the message says how to provide them
            log.critical("the engine failed to start; this worker runs no jobs: %s", exc)
            return
        except Exception:
            log.critical("the engine failed to start; this worker runs no jobs", exc_info=True)
            return
        while not self._stopping:
            self.hub.work_available.clear()
            try:
                project = await queue.claim(self.worker_id)
            except Exception:  # the database is away: keep the worker alive, try again later
                log.warning("claiming a job failed", exc_info=True)
                project = None
            if project is None:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.settings.poll_interval_s):
                        await self.hub.work_available.wait()
                continue
            cancel = self._running[project.id] = threading.Event()
            try:
                await self.runner.run(project, cancel)
            except Exception:  # the database went away mid-job: recovery re-queues it later
                log.exception("job %s was left unfinished", project.id)
            except asyncio.CancelledError:
                # Shutdown outlasted the grace period: the job goes back, uncounted.
                if await queue.release(project.id, self.worker_id):
                    log.info("job %s re-queued at shutdown", project.id)
                    project.status, project.progress = queue.PENDING, 0
                    await self.hub.publish(ProgressEvent.of(project))
                raise
            finally:
                self._running.pop(project.id, None)

    async def _recover_periodically(self) -> None:
        interval = max(self.settings.lease_s / 2, self.settings.heartbeat_s)
        while True:
            await asyncio.sleep(interval)
            try:
                await self.recover()
            except Exception:
                log.warning("recovering stale jobs failed", exc_info=True)

    async def stop(self, grace_s: float | None = None) -> None:
        """Stop claiming; let running jobs finish within the grace period; re-queue the rest."""
        grace = self.settings.shutdown_grace_s if grace_s is None else grace_s
        self._stopping = True
        self.hub.work_available.set()  # idle workers wake up and leave
        if self._recovery is not None:
            self._recovery.cancel()
        if self._workers:
            if self._running:
                log.info("waiting up to %.0f s for %d running jobs", grace, len(self._running))
            _, late = await asyncio.wait(self._workers, timeout=grace)
            for event in self._running.values():
                event.set()
            for task in late:
                task.cancel()
            await asyncio.gather(*self._workers, return_exceptions=True)
        if self._recovery is not None:
            await asyncio.gather(self._recovery, return_exceptions=True)
        self._workers.clear()
        log.info("worker pool %s stopped", self.worker_id)
