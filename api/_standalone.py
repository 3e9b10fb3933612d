"""`python -m bot api`: the HTTP API (and Wyoming) alone, failing fast with one clear line.

The ports are bound and the database reached before the slow start-up (engine load and
warm-up, workers), so a taken port or a database that is down is reported within a second.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import sys
from urllib.parse import urlsplit

import asyncpg

from api.errors import StartupFailed
from api.server import (
    ApiServer,
    check_bind,
    check_wyoming_bind,
    listen_socket,
    start_api,
    start_wyoming,
)
from api.wyoming_tts import WyomingServer
from bot.settings import Settings
from storage import db
from tts_engine.errors import TTSError

log = logging.getLogger(__name__)

#: Exit statuses, as `python -m bot` uses them.
EXIT_FAILED, EXIT_USAGE = 1, 2
_CONNECT_TIMEOUT_S = 10.0


def check_database_url(url: str) -> None:
    """Refuse a database the project can't use, naming what it can."""
    if db.is_postgres(url) or url.startswith("sqlite://"):
        return
    scheme = urlsplit(url).scheme or url
    raise StartupFailed(
        f"database.url: {scheme!r} databases are not supported; use sqlite://path or "
        "postgres://user@host:port/db"
    )


async def _reach_database(url: str) -> None:
    if not db.is_postgres(url):
        return
    where = urlsplit(db.normalise_url(url))
    try:
        conn = await asyncpg.connect(db.normalise_url(url), timeout=_CONNECT_TIMEOUT_S)
    except (OSError, TimeoutError, asyncpg.PostgresError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        raise StartupFailed(
            f"cannot reach the database at {where.hostname}:{where.port or 5432}: {reason}"
        ) from exc
    await conn.close()


def _wyoming_socket(settings: Settings) -> socket.socket | None:
    parsed = urlsplit(settings.wyoming.uri)
    if not settings.wyoming.enabled or parsed.scheme != "tcp" or parsed.hostname is None:
        return None
    return listen_socket(parsed.hostname, parsed.port or 0)


async def _until_stopped() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await stop.wait()


async def _serve(settings: Settings) -> None:
    from bot.runtime import open_runtime  # the bot's wiring; imported late to keep `api` light

    with contextlib.ExitStack() as sockets:
        http = sockets.enter_context(listen_socket(settings.api.host, settings.api.port))
        wyoming = _wyoming_socket(settings)
        if wyoming is not None:
            sockets.enter_context(wyoming)
        await _reach_database(settings.database.url)
        # The runtime's workers (settings.jobs.workers) run here too, so an API alone finishes
        # its jobs; set workers = 0 when `python -m bot worker` processes do that instead.
        async with open_runtime(settings) as runtime:
            servers: list[ApiServer | WyomingServer] = []
            try:
                servers.append(await start_api(runtime, http))
                if settings.wyoming.enabled:
                    servers.append(await start_wyoming(runtime, wyoming))
                await _until_stopped()
            finally:
                for server in reversed(servers):
                    await server.stop()


def main(settings: Settings) -> int:
    """`python -m bot api` until SIGINT/SIGTERM; a start-up failure is one `error:` line."""
    try:
        check_database_url(settings.database.url)
        check_bind(settings.api)
        check_wyoming_bind(settings.wyoming)
        asyncio.run(_serve(settings))
    except StartupFailed as err:
        return _fail(str(err), EXIT_FAILED)
    except TTSError as err:  # a refusal: an unsafe bind, a model that can't be found, ...
        return _fail(str(err), EXIT_USAGE)
    except KeyboardInterrupt:
        return 0
    except Exception as exc:  # anything else: one line here, the traceback at debug level
        log.debug("the API failed to start", exc_info=True)
        return _fail(f"the API failed: {exc}", EXIT_FAILED)
    return 0


def _fail(message: str, status: int) -> int:
    print(f"error: {message}", file=sys.stderr)
    return status
