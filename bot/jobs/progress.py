"""Progress pub/sub: a local fan-out, bridged across processes by PostgreSQL LISTEN/NOTIFY.

Every event is written to the row before it is published, so a subscriber that misses one
(another process on SQLite, a dropped connection) catches up by reading the row.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable
from uuid import UUID

from storage import db
from storage.listen import Listener

from .types import ProgressEvent, Stage

log = logging.getLogger(__name__)

CHANNEL = "tts_progress"


class ProgressHub:
    """Delivers events to this process's subscribers and wakes its idle workers."""

    def __init__(self) -> None:
        self._queues: dict[UUID, set[asyncio.Queue[ProgressEvent]]] = defaultdict(set)
        self._listeners: list[Callable[[ProgressEvent], None]] = []
        #: Set when a job may be waiting; idle workers wait on it instead of sleeping.
        self.work_available = asyncio.Event()
        self._notifier: Listener | None = None

    def listen(self, project_id: UUID) -> asyncio.Queue[ProgressEvent]:
        """A queue that receives the events of one project until `unlisten`."""
        queue: asyncio.Queue[ProgressEvent] = asyncio.Queue()
        self._queues[project_id].add(queue)
        return queue

    def unlisten(self, project_id: UUID, queue: asyncio.Queue[ProgressEvent]) -> None:
        """Stop delivering to `queue`."""
        queues = self._queues.get(project_id)
        if queues is not None:
            queues.discard(queue)
            if not queues:
                del self._queues[project_id]

    def on_event(self, callback: Callable[[ProgressEvent], None]) -> None:
        """Call `callback` for every event, local or remote (the worker pool's cancel hook)."""
        self._listeners.append(callback)

    async def publish(self, event: ProgressEvent) -> None:
        """Deliver locally, and to every other process when on PostgreSQL."""
        self.deliver(event)
        if self._notifier is not None:
            try:
                await self._notifier.notify(event.to_json())
            except Exception:  # best-effort: subscribers fall back to polling the row
                log.warning("could not publish progress of %s", event.project_id,
                            exc_info=True)

    def deliver(self, event: ProgressEvent) -> None:
        """Hand an event to local subscribers (duplicates are dropped by subscribers)."""
        if event.stage is Stage.QUEUED:
            self.work_available.set()
        for queue in self._queues.get(event.project_id, ()):
            queue.put_nowait(event)
        for callback in self._listeners:
            callback(event)

    async def start_postgres(self, url: str) -> None:
        """Bridge to the other processes sharing this PostgreSQL database (a failure to
        connect is the caller's to report)."""
        # Notifications may have been missed while reconnecting: idle workers look again.
        self._notifier = Listener(
            db.normalise_url(url), CHANNEL, self._received, logger=log, what="PostgreSQL",
            meanwhile="job progress from other processes is polled",
            on_open=self.work_available.set)
        await self._notifier.open()
        log.info("listening for job progress on PostgreSQL")

    def _received(self, body: str) -> None:
        try:
            event = ProgressEvent.from_json(body)
        except (ValueError, TypeError, KeyError):
            log.warning("ignoring a malformed progress notification: %.200s", body)
            return
        self.deliver(event)

    async def close(self) -> None:
        """Stop the bridge."""
        if self._notifier is not None:
            await self._notifier.close()
            self._notifier = None
