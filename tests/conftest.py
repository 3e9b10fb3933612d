"""Fixtures shared by every test package."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tts_engine.tools.checkpoint import build_checkpoint, tiny_config

# Nothing in the suite may reach the model hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")

#: Voices the test checkpoint ships: one per language, plus extras for blends and mismatches.
TEST_VOICES = (
    "af_heart", "af_bella", "af_sky", "am_adam", "bf_emma", "bm_george", "ef_dora", "ff_siwis",
    "hf_alpha", "if_sara", "pf_dora", "jf_alpha", "zf_xiaobei",
)


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random-weight Kokoro model dir (real classes, real vocabulary), built once."""
    return build_checkpoint(
        tmp_path_factory.mktemp("kokoro") / "model", TEST_VOICES, config=tiny_config()
    )


# --- database (the job engineer's): SQLite always, PostgreSQL too when TEST_DATABASE_URL is set.
PG_BASE_URL = os.environ.get("TEST_DATABASE_URL")
DB_BACKENDS = ["sqlite"] + ([pytest.param("postgres", marks=pytest.mark.postgres)]
                            if PG_BASE_URL else [])


async def _pg_admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_BASE_URL)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def throwaway_pg_database() -> Iterator[str | None]:
    """A new PostgreSQL database (`test_<random>`) while in use, dropped afterwards; None
    without TEST_DATABASE_URL."""
    if not PG_BASE_URL:
        yield None
        return
    name = f"test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    yield PG_BASE_URL.rsplit("/", 1)[0] + "/" + name
    asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str | None]:
    """A throwaway PostgreSQL database for this run, dropped afterwards."""
    yield from throwaway_pg_database()


@pytest.fixture(params=DB_BACKENDS)
async def database(request: pytest.FixtureRequest, tmp_path: Path,
                   pg_url: str | None) -> AsyncIterator[str]:
    """A migrated, empty database, connected through Tortoise; yields its URL."""
    from storage.db import close_db, connection, init_db

    url = f"sqlite://{tmp_path}/db.sqlite3" if request.param == "sqlite" else pg_url
    assert url is not None
    await init_db(url)
    if request.param == "postgres":
        # Every table the models define, so a new model's rows never leak between tests.
        from tortoise import Tortoise

        tables = sorted({
            model._meta.db_table for app in Tortoise.apps.values() for model in app.values()
        })
        await connection().execute_script(f"TRUNCATE {', '.join(tables)}")
    yield url
    await close_db()


# --- engine (the engine engineer's) ---
@pytest.fixture(scope="session")
def engine(model_dir: Path) -> Iterator[object]:
    """A loaded `LocalEngine` on the tiny model dir, shared by the whole session (CPU)."""
    from tts_engine import EngineConfig, LocalEngine

    # One torch thread: on a shared 2-core machine, more threads contend and run ~3x slower.
    eng = LocalEngine(EngineConfig(model_dir=model_dir, device="cpu", threads=1))
    eng.load()
    yield eng
    eng.close()
