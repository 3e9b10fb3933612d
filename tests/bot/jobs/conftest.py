"""Fixtures for the job system: a loaded tiny engine, a gate to hold jobs mid-synthesis, and
a job service on a fresh database with local audio storage."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar
from uuid import UUID

import pytest

from bot.jobs import JobService, ProgressEvent, Stage
from bot.settings import JobSettings
from storage.audio import AudioStore, LocalAudioStore
from tts_engine import Audio, EngineConfig, LocalEngine, SpeechRequest

WAIT_S = 60.0  # generous bound for anything a test waits on (2 shared CPU cores)


@pytest.fixture(scope="session")
def tiny_engine(model_dir: Path) -> Iterator[LocalEngine]:
    """The real engine on the tiny random-weight checkpoint, loaded once."""
    engine = LocalEngine(EngineConfig(model_dir=model_dir, device="cpu", load="lazy"))
    engine.load()
    yield engine
    engine.close()


class GatedEngine:
    """The real engine, except that synthesis waits for `gate` (or cancellation) first.

    Lets a test hold a job in `processing` for as long as it needs, without sleeping.
    """

    instances: ClassVar[list[GatedEngine]] = []

    def __init__(self, inner: LocalEngine) -> None:
        self.inner = inner
        self.gate = threading.Event()
        GatedEngine.instances.append(self)
        self.entered = asyncio.Event()
        self.calls = 0
        self.saw_cancel = threading.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def synthesize(self, req: SpeechRequest, cancel: threading.Event | None = None,
                         on_progress: Any = None, **_: Any) -> Audio:
        self.calls += 1
        self.entered.set()
        cancel = cancel or threading.Event()

        def run() -> Audio:
            while not (self.gate.wait(0.05) or cancel.is_set()):
                pass
            if cancel.is_set():
                self.saw_cancel.set()
            return self.inner.synthesize_sync(req, cancel, on_progress)

        try:
            return await asyncio.to_thread(run)
        except asyncio.CancelledError:
            cancel.set()  # as the real engine does: the thread must not outlive the test
            raise


@pytest.fixture(autouse=True)
def _open_gates_after_test() -> Iterator[None]:
    # A failed test must not leave a thread waiting on its gate: the loop would wait for it.
    yield
    for engine in GatedEngine.instances:
        engine.gate.set()
    GatedEngine.instances.clear()


def fast_settings(**overrides: Any) -> JobSettings:
    """Job settings with short intervals, so tests finish quickly."""
    values: dict[str, Any] = dict(
        workers=1, heartbeat_s=0.2, lease_s=2.0, poll_interval_s=0.1, retry_backoff_s=0.05,
        shutdown_grace_s=5.0, max_attempts=3, per_user_cap=5, global_cap=50,
    )
    values.update(overrides)
    return JobSettings(**values)


ServiceFactory = Callable[..., Awaitable[JobService]]


@pytest.fixture
async def make_service(database: str, tmp_path: Path, tiny_engine: LocalEngine
                       ) -> AsyncIterator[ServiceFactory]:
    """Builds started job services on the test database; stops them all afterwards."""
    services: list[JobService] = []

    async def make(engine: Any = None, store: AudioStore | None = None,
                   **settings: Any) -> JobService:
        store = store or LocalAudioStore(tmp_path / "audio", "http://files.test")
        service = JobService(engine or tiny_engine, store, fast_settings(**settings), database,
                             engine_ready=_ready)
        await service.start()
        services.append(service)
        return service

    yield make
    for service in services:
        await service.stop()
        await service.store.close()


async def _ready() -> None:
    return None


async def follow(service: JobService, project_id: UUID, within: float = WAIT_S
                 ) -> list[ProgressEvent]:
    """Every event of a project until its final stage (bounded by `within` seconds)."""
    events: list[ProgressEvent] = []
    async with asyncio.timeout(within):
        async for event in service.subscribe(project_id):
            events.append(event)
    return events


async def wait_for_stage(service: JobService, project_id: UUID, stage: Stage,
                         within: float = WAIT_S) -> None:
    """Until the project reaches `stage` (bounded by `within` seconds)."""
    async with asyncio.timeout(within):
        async for event in service.subscribe(project_id):
            if event.stage is stage:
                return
    raise AssertionError(f"{project_id} ended without reaching {stage}")
