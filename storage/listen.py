"""A PostgreSQL LISTEN connection that reopens itself: what the row caches and job progress
share to hear other processes.

Each process LISTENs on a dedicated asyncpg connection and NOTIFYs through the ORM's pool. A
process's own notifications come back to it: each carries the sender's origin, and a listener
drops its own. When the connection drops, `on_lost` runs and the connection is reopened with
exponential backoff (both logged on the owner's logger); `on_open` runs each time it opens.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable
from typing import Any

import asyncpg
from tenacity import AsyncRetrying, before_sleep_log, retry_if_exception_type, wait_exponential

#: What a failed (re)connection raises; anything else is a bug, not a network problem.
_CONNECT_ERRORS = (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError)


class Listener:
    """LISTENs on `channel` at `url`; `on_message(body)` gets every other process's NOTIFY.

    `what` names the connection in the log ("the {what} LISTEN connection dropped; {meanwhile}
    until it is reopened"); `on_open` runs after each (re)opening, `on_lost` when it drops.
    """

    def __init__(self, url: str, channel: str, on_message: Callable[[str], None], *,
                 logger: logging.Logger, what: str, meanwhile: str,
                 on_open: Callable[[], None] | None = None,
                 on_lost: Callable[[], None] | None = None,
                 backoff_s: float = 0.5, max_backoff_s: float = 30.0) -> None:
        self.channel = channel
        self._url, self._on_message = url, on_message
        self._log, self._what, self._meanwhile = logger, what, meanwhile
        self._on_open, self._on_lost = on_open, on_lost
        self._backoff_s, self._max_backoff_s = backoff_s, max_backoff_s
        self._conn: asyncpg.Connection | None = None
        self._reconnecting: asyncio.Task[None] | None = None
        self._closing = False
        self._origin = uuid.uuid4().hex
        #: Set each time a dropped connection has been reopened.
        self.reconnected = asyncio.Event()

    async def open(self) -> None:
        """Connect and LISTEN (a failure is the caller's to report)."""
        conn = await asyncpg.connect(self._url)
        await conn.add_listener(self.channel, self._received)
        conn.add_termination_listener(self._lost)
        self._conn = conn
        if self._on_open is not None:
            self._on_open()

    async def notify(self, body: str) -> None:
        """NOTIFY every other listening process (raises what the database raises)."""
        from storage.db import connection  # storage.db imports the caches, which import this

        await connection().execute_query("SELECT pg_notify($1, $2)",
                                         [self.channel, f"{self._origin} {body}"])

    async def close(self) -> None:
        """Close the connection and stop reopening it."""
        self._closing = True
        if self._reconnecting is not None:
            self._reconnecting.cancel()
            await asyncio.gather(self._reconnecting, return_exceptions=True)
        if self._conn is not None:
            with contextlib.suppress(Exception):
                await self._conn.close(timeout=5)
            self._conn = None

    def _received(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        origin, _, body = payload.partition(" ")
        if origin != self._origin:
            self._on_message(body)

    def _lost(self, conn: Any) -> None:
        if self._closing or conn is not self._conn:
            return
        self._conn = None
        self.reconnected.clear()
        if self._on_lost is not None:
            self._on_lost()
        self._log.warning("the %s LISTEN connection dropped; %s until it is reopened",
                          self._what, self._meanwhile)
        self._reconnecting = asyncio.create_task(self._reconnect(),
                                                 name=f"{self.channel}-reconnect")

    async def _reconnect(self) -> None:
        retrying = AsyncRetrying(
            wait=wait_exponential(multiplier=self._backoff_s, max=self._max_backoff_s),
            retry=retry_if_exception_type(_CONNECT_ERRORS),
            before_sleep=before_sleep_log(self._log, logging.WARNING))
        async for attempt in retrying:
            with attempt:
                await self.open()
        self._log.info("the %s LISTEN connection is open again", self._what)
        self.reconnected.set()
