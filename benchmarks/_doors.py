"""Benchmark fixture: the HTTP API and the Wyoming server on one event loop, as
`python -m bot api` runs them, for a benchmark's child process."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tts_engine import EngineConfig


async def serve_doors(config: EngineConfig, root: Path, voice: str) -> None:
    """Start an engine, the API and Wyoming on loopback (SQLite and audio files under `root`),
    print "<API url> <Wyoming port>" on one line, and serve until the process is ended."""
    from api._context import ApiContext
    from api.app import create_app
    from api.server import serve_app
    from api.wyoming_tts import WyomingServer
    from bot.jobs import JobService
    from bot.settings import ApiSettings, JobSettings, Settings
    from storage.audio import LocalAudioStore
    from storage.db import init_db
    from tts_engine import LocalEngine

    engine = LocalEngine(config)
    await engine.start()
    url = f"sqlite://{root}/db.sqlite3"
    await init_db(url)
    settings = Settings(engine=engine.config, api=ApiSettings())
    jobs = JobService(engine, LocalAudioStore(root, ""), JobSettings(workers=0), url)
    server = await serve_app(create_app(ApiContext(engine, jobs, settings)), "127.0.0.1", 0)
    wyoming = WyomingServer("tcp://127.0.0.1:0", engine, voice)
    await wyoming.start()
    print(server.url, wyoming.address.rsplit(":", 1)[1], flush=True)
    await asyncio.Event().wait()
