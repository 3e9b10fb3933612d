"""A real API on loopback: the tiny engine, a migrated database, the job service, a client."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from api._auth import RateLimiter
from api._context import ApiContext
from api.app import create_app
from api.server import ApiServer, serve_app
from bot.jobs import JobService
from bot.settings import ApiSettings, JobSettings, Settings, StorageSettings
from storage.audio import LocalAudioStore
from tts_engine import EngineConfig, LocalEngine

KEYS = {"key-alice": "alice", "key-bob": "bob"}
ALICE = {"Authorization": "Bearer key-alice"}
BOB = {"Authorization": "Bearer key-bob"}
MAX_TEXT = 200


@pytest.fixture(scope="session")
def api_engine(model_dir: Path) -> Iterator[LocalEngine]:
    """A loaded engine with a short text limit (keeps fuzzed requests quick), for the run."""
    engine = LocalEngine(
        EngineConfig(model_dir=model_dir, device="cpu", max_text_chars=MAX_TEXT, cache_entries=0)
    )
    engine.load()
    # Warm: the fast path compiles its kernels at the first synthesis, which would otherwise
    # land in whichever test runs first (and its response-time checks).
    engine.synthesize_sync(engine.validate("Hello.", "af_heart"))
    yield engine
    engine.close()


@dataclass
class Api:
    """A running API and a client session pointed at it."""

    server: ApiServer
    session: aiohttp.ClientSession
    ctx: ApiContext

    def url(self, path: str) -> str:
        return self.server.url + path

    async def wait_final(self, tts_id: str) -> str:
        """Follow a job's progress events until it ends (60 s at most); its final status."""
        async with asyncio.timeout(60):
            async for event in self.ctx.jobs.subscribe(uuid.UUID(tts_id)):
                if event.stage.final:
                    return event.status
        raise AssertionError("the job's events ended without a final stage")


MakeApi = Callable[..., Awaitable[Api]]


@pytest.fixture
async def make_api(
    api_engine: LocalEngine, database: str, tmp_path: Path
) -> AsyncIterator[MakeApi]:
    """Start an API (keys, limits, workers as the test needs); everything stops at the end."""
    engine = api_engine
    async with contextlib.AsyncExitStack() as stack:

        async def start(
            keys: dict[str, str] | None = None,
            limiter: RateLimiter | None = None,
            workers: int = 1,
            setup: Callable[[web.Application], None] | None = None,
            jobs: dict[str, Any] | None = None,
            **api_settings: Any,
        ) -> Api:
            settings = Settings(
                engine=engine.config,
                database={"url": database},
                storage=StorageSettings(backend="local", local_dir=tmp_path / "audio"),
                jobs=JobSettings(
                    workers=workers, poll_interval_s=0.2, heartbeat_s=1.0, **(jobs or {})
                ),
                api=ApiSettings(keys=KEYS if keys is None else keys, **api_settings),
            )
            store = LocalAudioStore(settings.storage.local_dir, settings.storage.public_base_url)
            service = JobService(engine, store, settings.jobs, database, engine_ready=_loaded)
            await service.start()
            stack.push_async_callback(service.stop)
            ctx = ApiContext(engine=engine, jobs=service, settings=settings)
            app = create_app(ctx, limiter)
            if setup is not None:
                setup(app)
            server = await serve_app(app, "127.0.0.1", 0)
            stack.push_async_callback(server.stop)
            session = await stack.enter_async_context(aiohttp.ClientSession())
            return Api(server, session, ctx)

        yield start


async def _loaded() -> None:
    """The session engine is loaded before any test runs."""


@pytest.fixture
async def api(make_api: MakeApi) -> Api:
    """The API with two keys (alice, bob) and default limits."""
    return await make_api()
