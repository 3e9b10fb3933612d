"""Benchmark (not a test): /tts through discord.py's real client and the loopback fake Discord.

    .venv/bin/python -m benchmarks.discord [N]

Prints the time from the interaction to the bot's defer (Discord allows 3 s), from the
interaction to the final edit carrying the WAV, and the edits per reply, on the tiny
random-weight checkpoint with SQLite.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bot.jobs import JobService
from storage.audio import LocalAudioStore
from storage.db import close_db, init_db
from tests.cogs.conftest import bot_settings, connect
from tests.conftest import TEST_VOICES
from tests.fakes.discord import FakeDiscord, FakeGuild
from tts_engine import LocalEngine
from tts_engine.tools.checkpoint import build_checkpoint, tiny_config


def _ms(values: list[float]) -> str:
    return f"median {statistics.median(values) * 1000:.0f} ms, max {max(values) * 1000:.0f} ms"


async def _one(fake: FakeDiscord, guild: FakeGuild, text: str) -> tuple[float, float, int]:
    start = time.monotonic()
    ia = await fake.slash(guild, 1, "tts", {"text": text})
    callback = await ia.response(within=30)
    await ia.wait_original(lambda m: "Done" in m["content"], within=120)
    return callback.received_at - start, time.monotonic() - start, len(ia.edits)


async def main(n: int) -> None:
    """Run `n` /tts requests one after another (after one warm-up) and print the figures."""
    tmp = Path(tempfile.mkdtemp())
    settings = bot_settings(build_checkpoint(tmp / "model", TEST_VOICES, config=tiny_config()),
                            per_user_cap=n + 1)
    engine = LocalEngine(settings.engine)
    engine.load()
    url = f"sqlite://{tmp}/db.sqlite3"
    await init_db(url)
    jobs = JobService(engine, LocalAudioStore(tmp / "audio", "http://x"), settings.jobs, url)
    await jobs.start()
    fake = FakeDiscord()
    guild = fake.add_guild()
    await fake.start()
    try:
        with fake.patched():
            bot, _task = await connect(fake, settings, engine, jobs)
            await _one(fake, guild, "Warm up.")
            runs = [await _one(fake, guild, f"Sentence number {i}.") for i in range(n)]
            await bot.close()
    finally:
        await jobs.stop()
        await fake.stop()
        await close_db()
        engine.close()
    print(f"/tts x{n} (tiny checkpoint, SQLite, loopback fake Discord)")
    print(f"  interaction -> defer callback:      {_ms([r[0] for r in runs])}")
    print(f"  interaction -> final edit with WAV: {_ms([r[1] for r in runs])}")
    print(f"  edits per reply: {statistics.mean(r[2] for r in runs):.1f} "
          f"(at most one per {settings.discord.progress_edit_interval_s} s)")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 10))
