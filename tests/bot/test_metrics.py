"""The metrics of a process whose synthesis is remote, and of one whose database is down."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from bot.metrics import render
from tts_engine import EngineConfig
from tts_engine.synthesis.remote import RemoteEngine


async def test_remote_server_health_and_a_database_that_does_not_answer() -> None:
    engine = RemoteEngine(EngineConfig(remote=["http://127.0.0.1:9/", "http://127.0.0.1:10"]))
    engine.servers[1].up = False  # what the health checks decide after a failure
    try:
        # No database was ever opened here: the scrape still answers, and says so.
        body, content_type = await render(engine, None)
    finally:
        engine.close()
    assert content_type.startswith("text/plain")
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(body.decode()) for s in family.samples
    }
    assert samples[("kokoro_remote_server_up", (("server", "http://127.0.0.1:9"),))] == 1.0
    assert samples[("kokoro_remote_server_up", (("server", "http://127.0.0.1:10"),))] == 0.0
    assert samples[("kokoro_database_up", ())] == 0.0
    assert not any(name == "kokoro_jobs" for name, _ in samples)
    # Remote synthesis queues on the servers: nothing waits in this process.
    assert samples[("kokoro_scheduler_queued_steps", (("priority", "voice"),))] == 0.0


async def test_openmetrics_is_served_to_a_scraper_that_asks_for_it() -> None:
    engine = RemoteEngine(EngineConfig(remote=["http://127.0.0.1:9"]))
    try:
        body, content_type = await render(engine, "application/openmetrics-text; version=1.0.0")
    finally:
        engine.close()
    assert content_type.startswith("application/openmetrics-text")
    assert body.rstrip().endswith(b"# EOF")
