"""`python -m bot worker`: run only the job workers, against a shared PostgreSQL database.

SIGTERM or SIGINT stops claiming, lets running jobs finish within `jobs.shutdown_grace_s`,
and puts the rest back in the queue.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from pathlib import Path

from bot.runtime import open_runtime
from bot.settings import Settings, load_settings
from storage import db

log = logging.getLogger(__name__)


async def run_worker(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """Run the pool until `stop` is set (or SIGTERM/SIGINT arrives)."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    if not db.is_postgres(settings.database.url):
        log.warning("a separate worker process on SQLite: keep the bot's own workers at 0, "
                    "since SQLite is meant to have one process owning the queue")
    workers = max(1, settings.jobs.workers)
    async with open_runtime(settings, workers=workers):
        log.info("worker process ready with %d workers", workers)
        await stop.wait()
        log.info("shutting down: finishing running jobs (up to %.0f s)",
                 settings.jobs.shutdown_grace_s)
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.remove_signal_handler(sig)


def main(settings: Settings) -> int:
    """Entry of `python -m bot worker`; returns the exit code."""
    try:
        asyncio.run(run_worker(settings))
    except Exception as exc:  # one readable line for operators; the log has the traceback
        log.exception("worker failed")
        print(f"worker failed: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":  # `python -m bot.worker [--config PATH]`, for tests and scripts
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=None)
    args = parser.parse_args()
    loaded = load_settings(args.config)
    logging.basicConfig(level=loaded.log_level, format="%(asctime)s %(levelname)s %(name)s: "
                        "%(message)s", stream=sys.stderr)
    sys.exit(main(loaded))
