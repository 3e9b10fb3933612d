"""The database connection: Tortoise set-up from one URL, with migrations applied at start-up.

SQLite (a file under `data/` by default) or PostgreSQL (`postgres://...`, through asyncpg).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
from tortoise import Tortoise, connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.backends.base.executor import EXECUTOR_CACHE
from tortoise.migrations.api import migrate

from storage import cache

log = logging.getLogger(__name__)

APP = "models"
MODELS_MODULE = "storage.models"
MIGRATIONS_MODULE = "storage.migrations"
# An arbitrary constant naming the advisory lock that serialises migrations.
_MIGRATION_LOCK_KEY = 0x7A5_0001


def normalise_url(url: str) -> str:
    """Accept the common spellings of a PostgreSQL URL (`postgresql://`, `postgres://`)."""
    for prefix in ("postgresql://", "postgresql+asyncpg://", "asyncpg://"):
        if url.startswith(prefix):
            return "postgres://" + url[len(prefix):]
    return url


def is_postgres(url: str) -> bool:
    """Whether `url` names a PostgreSQL server."""
    return normalise_url(url).startswith("postgres://")


def tortoise_config(url: str) -> dict[str, Any]:
    """The Tortoise configuration for the project's one app."""
    return {
        "connections": {"default": normalise_url(url)},
        "apps": {
            APP: {
                "models": [MODELS_MODULE],
                "default_connection": "default",
                "migrations": MIGRATIONS_MODULE,
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


# For Tortoise's CLI: `tortoise -c storage.db.TORTOISE_ORM makemigrations`.
TORTOISE_ORM = tortoise_config("sqlite://data/bot.sqlite3")


def _ensure_sqlite_dir(url: str) -> None:
    if not url.startswith("sqlite://"):
        return
    path = url[len("sqlite://"):].split("?", 1)[0]
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)


async def init_db(url: str, *, apply_migrations: bool = True) -> None:
    """Connect, and bring the schema up to date (an upgrade keeps every row)."""
    _ensure_sqlite_dir(url)
    config = tortoise_config(url)
    if apply_migrations:
        async with _migration_lock(url):
            # migrate() initialises Tortoise with the migrations' view of the models; start
            # afresh afterwards so the ORM runs on the real model classes.
            await migrate(config=config)
            await connections.close_all()
        log.info("database schema is up to date")
    await Tortoise.init(config=config)
    cache.clear_all()  # another database (tests) or a restart: nothing cached is known
    if is_postgres(url):
        await cache.start_listening(normalise_url(url))


@contextlib.asynccontextmanager
async def _migration_lock(url: str) -> AsyncIterator[None]:
    """On PostgreSQL, one process migrates at a time (workers may start together)."""
    if not is_postgres(url):
        yield
        return
    conn = await asyncpg.connect(normalise_url(url))
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", _MIGRATION_LOCK_KEY)
        yield
    finally:
        await conn.close()  # closing the session releases the lock


async def close_db() -> None:
    """Close every connection Tortoise opened."""
    await cache.stop_listening()
    await connections.close_all()
    # Tortoise caches SQL per connection *name*; a later init on another dialect (tests run
    # SQLite then PostgreSQL in one process) must not reuse SQLite's placeholders.
    EXECUTOR_CACHE.clear()


def connection() -> BaseDBAsyncClient:
    """The default connection, for the few queries the ORM cannot express."""
    return connections.get("default")


def dialect() -> str:
    """`postgres` or `sqlite`, for the connection in use."""
    return str(connection().capabilities.dialect)
