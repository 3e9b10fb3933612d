"""`python -m bot [--config PATH] [run|worker|api]`: the Discord bot, or a worker or API process.

`run` (the default) starts the database, the engine (warming up in the background), the job
workers, the optional HTTP API and Wyoming servers, and the Discord client; SIGTERM or SIGINT
shuts it all down gracefully. A missing token exits with status 2, a rejected one with 1, each
with one line on stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
import tomllib
from collections.abc import Awaitable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from bot.settings import Settings, load_settings

if TYPE_CHECKING:
    import discord

    from bot.runtime import Runtime

log = logging.getLogger("bot")

EXIT_USAGE = 2


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=None,
                        help="config file (default: $TTSBOT_CONFIG, else ./config.toml)")
    parser.add_argument("command", nargs="?", default="run", choices=("run", "worker", "api"),
                        help="run: the Discord bot (default); worker: job workers only; "
                             "api: the HTTP API and Wyoming server only")
    return parser.parse_args(argv)


def setup_logging(level: str) -> None:
    """Log to stderr; discord.py's own chatter at INFO at most."""
    logging.basicConfig(level=level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("discord").setLevel(max(logging.INFO, logging.getLogger().level))


def _fail(message: str) -> None:
    # A CLI's one line for an operator; the log holds any detail.
    print(f"error: {message}", file=sys.stderr)


async def _start_servers(runtime: Runtime) -> list[Any]:
    servers: list[Any] = []
    if runtime.settings.api.enabled or runtime.settings.wyoming.enabled:
        import api  # the API's dependencies load only when it is wanted

        if runtime.settings.api.enabled:
            servers.append(await api.start_api(runtime))
        if runtime.settings.wyoming.enabled:
            servers.append(await api.start_wyoming(runtime))
    return servers


TOKEN_REJECTED = "Discord rejected the bot token (401 Unauthorized); check DISCORD_TOKEN."


async def check_token(token: str) -> str | None:
    """Ask Discord who the token belongs to; the reason it cannot be used, or None.

    Done before the database, the model and its warm-up start, so that a wrong token ends the
    process at once with one line, instead of after a model load that cannot be interrupted.
    """
    import aiohttp
    import discord

    http = discord.http.HTTPClient(asyncio.get_running_loop())
    try:
        await http.static_login(token.strip())
    except discord.LoginFailure:
        return TOKEN_REJECTED
    except (OSError, aiohttp.ClientError, discord.HTTPException) as exc:
        return f"cannot reach Discord: {exc}"
    finally:
        await http.close()
    return None


async def _login(bot: discord.Client, token: str) -> str | None:
    import aiohttp
    import discord

    try:
        await bot.login(token)
    except discord.LoginFailure:
        return TOKEN_REJECTED
    except (OSError, aiohttp.ClientError) as exc:
        return f"cannot reach Discord: {exc}"
    return None


async def run_bot(settings: Settings, stop: asyncio.Event | None = None) -> int:
    """Run the bot until `stop` is set, SIGTERM/SIGINT arrives, or the connection ends."""
    assert settings.discord.token is not None
    refusal = await check_token(settings.discord.token.get_secret_value())
    if refusal is not None:
        _fail(refusal)
        return 1

    # Imported only now so that a bad command line or token fails without loading torch.
    from bot.client import BotResources, create_bot
    from bot.runtime import Runtime

    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    runtime = await Runtime.start(settings)
    bot = create_bot(BotResources(settings, runtime.engine, runtime.jobs))
    servers: list[Any] = []
    try:
        servers = await _start_servers(runtime)
        refusal = await _login(bot, settings.discord.token.get_secret_value())
        if refusal is not None:  # the token was revoked meanwhile, or Discord went away
            _fail(refusal)
            return 1
        engine_ready = runtime.starter.wait() if settings.engine.load == "startup" else None
        return await _serve(bot, stop, engine_ready)
    finally:
        await bot.close()
        for server in servers:
            await server.stop()
        await runtime.stop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)


async def _serve(
    bot: discord.Client, stop: asyncio.Event, engine_ready: Awaitable[None] | None
) -> int:
    import aiohttp
    import discord

    connection = asyncio.create_task(bot.connect(), name="discord-connection")
    stopping = asyncio.create_task(stop.wait(), name="stop-signal")
    if engine_ready is not None:
        # A model that cannot be loaded ends the process with its own message (how to provide
        # the files), rather than leaving a bot online that can never speak.
        engine = asyncio.ensure_future(engine_ready)

        def _on_engine(task: asyncio.Future[None]) -> None:
            if not task.cancelled() and task.exception() is not None:
                stop.set()

        engine.add_done_callback(_on_engine)
    done, _ = await asyncio.wait({connection, stopping}, return_when=asyncio.FIRST_COMPLETED)
    if engine_ready is not None and engine.done() and not engine.cancelled():
        failure = engine.exception()
        if failure is not None:
            await bot.close()
            await asyncio.gather(connection, return_exceptions=True)
            raise failure
    if stopping in done:
        log.info("shutting down: closing the connection, then finishing running jobs")
        await bot.close()
        await asyncio.gather(connection, return_exceptions=True)
        return 0
    stopping.cancel()
    try:
        connection.result()
    except discord.PrivilegedIntentsRequired:
        _fail("the Message Content intent is not enabled for this bot: enable it in the "
              "Discord developer portal (Bot > Privileged Gateway Intents).")
        return 1
    except (OSError, aiohttp.ClientError, discord.ConnectionClosed) as exc:
        _fail(f"lost the connection to Discord: {exc}")
        return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    args = parse_args(argv)
    try:
        settings = load_settings(args.config)
    except (ValidationError, tomllib.TOMLDecodeError, OSError) as exc:
        _fail(f"invalid configuration: {exc}".splitlines()[0])
        return EXIT_USAGE
    setup_logging(settings.log_level)
    if args.command == "worker":
        from bot.worker import main as worker_main

        return worker_main(settings)
    if args.command == "api":
        import api

        return api.main(settings)
    if settings.discord.token is None or not settings.discord.token.get_secret_value().strip():
        _fail("no Discord bot token: set DISCORD_TOKEN (or discord.token in the config file).")
        return EXIT_USAGE
    from tts_engine.errors import TTSError

    try:
        return asyncio.run(run_bot(settings))
    except KeyboardInterrupt:
        return 0
    except TTSError as exc:  # a refusal at start-up (unsafe API bind, missing model, ...)
        _fail(str(exc))
        return 1


if __name__ == "__main__":
    sys.exit(main())
