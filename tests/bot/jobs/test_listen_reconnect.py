"""On PostgreSQL, progress crosses processes by LISTEN/NOTIFY; a dropped LISTEN connection is
reopened (with backoff, logged) rather than leaving the process on polling for good."""

from __future__ import annotations

import asyncio
import logging
import uuid

import asyncpg
import pytest

from bot.jobs import ProgressEvent, Stage
from bot.jobs.progress import CHANNEL
from storage import db
from tests.bot.jobs.conftest import WAIT_S
from tests.conftest import PG_BASE_URL

# LISTEN/NOTIFY is PostgreSQL's: this runs on PostgreSQL only (CI sets TEST_DATABASE_URL).
pytestmark = pytest.mark.skipif(not PG_BASE_URL, reason="needs TEST_DATABASE_URL (PostgreSQL)")


@pytest.mark.parametrize("database", ["postgres"], indirect=True)
async def test_a_dropped_listen_connection_is_reopened_and_logged(make_service, database,
                                                                  caplog):
    caplog.set_level(logging.INFO, logger="bot.jobs.progress")
    service = await make_service(workers=0)
    notifier = service.hub._notifier
    assert notifier is not None
    first_pid = notifier._conn.get_server_pid()

    admin = await asyncpg.connect(db.normalise_url(database))
    try:
        await admin.execute("SELECT pg_terminate_backend($1)", first_pid)
        async with asyncio.timeout(WAIT_S):
            await notifier.reconnected.wait()
        assert notifier._conn.get_server_pid() != first_pid
        assert "LISTEN connection dropped" in caplog.text
        assert "open again" in caplog.text

        # Another process's progress reaches this one again.
        project_id = uuid.uuid4()
        inbox = service.hub.listen(project_id)
        event = ProgressEvent(project_id, Stage.GENERATING, "processing", 30)
        await admin.execute("SELECT pg_notify($1, $2)", CHANNEL,
                            f"another-process {event.to_json()}")
        async with asyncio.timeout(WAIT_S):
            assert await inbox.get() == event
    finally:
        await admin.close()
