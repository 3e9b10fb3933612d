"""Prometheus metrics of the process: what happened, and how things stand at each scrape.

Events (first-audio latency per front door, storage retries, voice channels) are recorded where
they happen into `EVENTS`. State (jobs by status, the scheduler's queues, the engine's totals,
remote servers) is read when `/metrics` is scraped: `render()` gathers it, since the job counts
need the database and a collector's `collect()` can't await.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import Collector

from tts_engine import Engine
from tts_engine.synthesis.scheduler import FairScheduler, Priority

log = logging.getLogger(__name__)

#: Every metric name starts with this.
PREFIX = "kokoro"

#: Metrics updated as things happen; one per process, shared by every front door.
EVENTS = CollectorRegistry(auto_describe=True)

FIRST_AUDIO = Histogram(
    f"{PREFIX}_first_audio_seconds",
    "From a request's arrival to its first audio leaving, per front door.",
    ["front_door"],
    # Around the 250 ms a chat line should take, out to a long text on a busy machine.
    buckets=(0.05, 0.1, 0.15, 0.25, 0.35, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0, 30.0),
    registry=EVENTS,
)
STORAGE_RETRIES = Counter(
    f"{PREFIX}_storage_retries",
    "Storage operations retried after a transient fault: 'upload' (one call of the store) "
    "or 'job' (a whole job put back in the queue).",
    ["where"],
    registry=EVENTS,
)
VOICE_CHANNELS = Gauge(
    f"{PREFIX}_voice_channels_active",
    "Discord voice channels this process is connected to.",
    registry=EVENTS,
)

# Memory, CPU time and open files of this process, as every Prometheus client reports them.
ProcessCollector(registry=EVENTS)

#: The front doors, so each histogram series exists (at zero) before its first request.
FRONT_DOORS = ("api", "wyoming", "voice")
for _door in FRONT_DOORS:
    FIRST_AUDIO.labels(front_door=_door)
for _where in ("upload", "job"):
    STORAGE_RETRIES.labels(where=_where)


class _RemoteServer(Protocol):
    url: str
    up: bool


@dataclass
class Snapshot:
    """How things stand, gathered before rendering."""

    jobs: dict[str, int] | None
    scheduler: dict[str, int]
    inference_seconds: float
    audio_seconds: float
    remote: dict[str, bool] = field(default_factory=dict)


async def snapshot(engine: Engine) -> Snapshot:
    """The state of the process now; the job counts are None when the database is down."""
    # Imported here: the job runner records into this module, so it can't be imported first.
    from bot.jobs.queue import counts_by_status

    jobs: dict[str, int] | None
    try:
        jobs = await counts_by_status()
    except Exception:  # a scrape must still answer, saying the database didn't
        log.warning("metrics: the database did not answer", exc_info=True)
        jobs = None
    # A remote engine schedules on its servers: nothing waits here.
    scheduler: FairScheduler | None = getattr(engine, "scheduler", None)
    waiting = scheduler.waiting() if scheduler is not None else {p: 0 for p in Priority}
    inference, audio, _ = engine.stats.totals()
    servers: Iterable[_RemoteServer] = getattr(engine, "servers", ())
    return Snapshot(
        jobs=jobs,
        scheduler={Priority(p).name.lower(): n for p, n in waiting.items()},
        inference_seconds=inference,
        audio_seconds=audio,
        remote={server.url: server.up for server in servers},
    )


class _StateCollector(Collector):
    """Renders one `Snapshot`."""

    def __init__(self, state: Snapshot) -> None:
        self.state = state

    def collect(self) -> Iterator[Metric]:
        state = self.state
        yield from _job_metrics(state.jobs)
        scheduler = GaugeMetricFamily(
            f"{PREFIX}_scheduler_queued_steps",
            "Synthesis steps (one chunk each) waiting in the engine's scheduler, per priority.",
            labels=["priority"],
        )
        for priority, n in state.scheduler.items():
            scheduler.add_metric([priority], n)
        yield scheduler
        yield CounterMetricFamily(
            f"{PREFIX}_synthesis_seconds", "Seconds the model spent synthesising.",
            value=state.inference_seconds,
        )
        yield CounterMetricFamily(
            f"{PREFIX}_audio_seconds", "Seconds of audio the model produced.",
            value=state.audio_seconds,
        )
        remote = GaugeMetricFamily(
            f"{PREFIX}_remote_server_up",
            "Whether each synthesis server (engine.remote) is taken as healthy (1) or not (0).",
            labels=["server"],
        )
        for url, up in state.remote.items():
            remote.add_metric([url], 1.0 if up else 0.0)
        yield remote


def _job_metrics(jobs: dict[str, int] | None) -> Iterator[Metric]:
    yield GaugeMetricFamily(
        f"{PREFIX}_database_up", "Whether the database answered this scrape.",
        value=0.0 if jobs is None else 1.0,
    )
    if jobs is None:
        return
    by_state = GaugeMetricFamily(
        f"{PREFIX}_jobs", "TTS projects (jobs) in the database, per state.", labels=["state"]
    )
    for state, n in jobs.items():
        by_state.add_metric([state], n)
    yield by_state
    yield GaugeMetricFamily(
        f"{PREFIX}_queue_depth", "Jobs waiting for a worker (pending).",
        value=jobs.get("pending", 0),
    )


class _Events(Collector):
    """The process-wide event metrics, inside a registry built for one scrape."""

    def collect(self) -> Iterator[Metric]:
        yield from EVENTS.collect()


async def render(engine: Engine, accept: str | None) -> tuple[bytes, str]:
    """A scrape's body and content type: the events so far and the state now, in the format
    the scraper's `Accept` header asks for (Prometheus text, or OpenMetrics)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Events())
    registry.register(_StateCollector(await snapshot(engine)))
    encode, content_type = choose_encoder(accept or "")
    return encode(registry), content_type
