"""Progress pub/sub: a local fan-out, bridged across processes by PostgreSQL LISTEN/NOTIFY.

Every event is written to the row before it is published, so a subscriber that misses one
(another process on SQLite, a dropped connection) catches up by reading the row.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import defaultdict
from collections.abc import Callable
from typing import Any
from uuid import UUID

import asyncpg
from tenacity import (
    AsyncRetrying,
    before_sleep_log,
    retry_if_exception_type,
    wait_exponential,
)

from storage import db

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
        self._notifier: PgNotifier | None = None

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
            await self._notifier.notify(event)

    def deliver(self, event: ProgressEvent) -> None:
        """Hand an event to local subscribers (duplicates are dropped by subscribers)."""
        if event.stage is Stage.QUEUED:
            self.work_available.set()
        for queue in self._queues.get(event.project_id, ()):
            queue.put_nowait(event)
        for callback in self._listeners:
            callback(event)

    async def start_postgres(self, url: str) -> None:
        """Bridge to the other processes sharing this PostgreSQL database."""
        # Notifications may have been missed while reconnecting: idle workers look again.
        self._notifier = PgNotifier(url, self.deliver, on_reconnect=self.work_available.set)
        await self._notifier.start()

    async def close(self) -> None:
        """Stop the bridge."""
        if self._notifier is not None:
            await self._notifier.close()
            self._notifier = None


class PgNotifier:
    """LISTENs on a dedicated connection; NOTIFYs through the ORM's pool.

    A dropped LISTEN connection is reopened with exponential backoff (logged); meanwhile
    subscribers keep up by re-reading rows, and `on_reconnect` runs once it is back.
    """

    def __init__(self, url: str, deliver: Callable[[ProgressEvent], None], *,
                 on_reconnect: Callable[[], None] | None = None,
                 backoff_s: float = 0.5, max_backoff_s: float = 30.0) -> None:
        self._url = db.normalise_url(url)
        self._deliver, self._on_reconnect = deliver, on_reconnect
        self._backoff_s, self._max_backoff_s = backoff_s, max_backoff_s
        self._conn: asyncpg.Connection | None = None
        self._reconnecting: asyncio.Task[None] | None = None
        self._closing = False
        #: Set each time a dropped connection has been reopened.
        self.reconnected = asyncio.Event()
        # Our own notifications come back too; they were delivered locally already, and a late
        # echo must not overtake a newer local event.
        self._origin = uuid.uuid4().hex

    async def start(self) -> None:
        """Open the listening connection (a failure here is the caller's to report)."""
        await self._open()
        log.info("listening for job progress on PostgreSQL")

    async def _open(self) -> None:
        conn = await asyncpg.connect(self._url)
        await conn.add_listener(CHANNEL, self._on_notify)
        conn.add_termination_listener(self._on_lost)
        self._conn = conn

    def _on_lost(self, conn: Any) -> None:
        if self._closing or conn is not self._conn:
            return
        self._conn = None
        self.reconnected.clear()
        log.warning("the PostgreSQL LISTEN connection dropped; job progress from other "
                    "processes is polled until it is reopened")
        self._reconnecting = asyncio.create_task(self._reconnect(), name="pg-listen-reconnect")

    async def _reconnect(self) -> None:
        retrying = AsyncRetrying(
            wait=wait_exponential(multiplier=self._backoff_s, max=self._max_backoff_s),
            retry=retry_if_exception_type((OSError, TimeoutError, asyncpg.PostgresError,
                                           asyncpg.InterfaceError)),
            before_sleep=before_sleep_log(log, logging.WARNING),
        )
        async for attempt in retrying:
            with attempt:
                await self._open()
        log.info("the PostgreSQL LISTEN connection is open again")
        self.reconnected.set()
        if self._on_reconnect is not None:
            self._on_reconnect()

    def _on_notify(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        origin, _, body = payload.partition(" ")
        if origin == self._origin:
            return
        try:
            event = ProgressEvent.from_json(body)
        except (ValueError, TypeError, KeyError):
            log.warning("ignoring a malformed progress notification: %.200s", payload)
            return
        self._deliver(event)

    async def notify(self, event: ProgressEvent) -> None:
        """Tell every other listening process."""
        try:
            await db.connection().execute_query(
                "SELECT pg_notify($1, $2)", [CHANNEL, f"{self._origin} {event.to_json()}"]
            )
        except Exception:  # progress is best-effort: subscribers fall back to polling the row
            log.warning("could not publish progress of %s", event.project_id, exc_info=True)

    async def close(self) -> None:
        """Close the listening connection (and stop reopening it)."""
        self._closing = True
        if self._reconnecting is not None:
            self._reconnecting.cancel()
            await asyncio.gather(self._reconnecting, return_exceptions=True)
        if self._conn is not None:
            with contextlib.suppress(Exception):
                await self._conn.close(timeout=5)
            self._conn = None
