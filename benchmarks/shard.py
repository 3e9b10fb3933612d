"""Benchmark (not a test): one bot process in thousands of servers, reading in a few.

The bot (discord.py's real client, the real cogs) logs in to the loopback fake Discord as a
member of `--servers` servers and joins voice in `--voice` of them, which read their text
channel aloud. A seeded stream of `--rate` messages a second lands on servers chosen at random
(so most land where the bot is not reading; a tenth of the other servers have a read channel
configured but no voice) for `--duration` seconds. Synthesis goes through two synthesis servers
(`engine.remote`, each `python -m bot api` on a tiny checkpoint with realistic durations), or
with `--synthesis local` through the local engine on that checkpoint.

The fakes run in a process of their own (`benchmarks._fakeside`), as Discord does, so the bot's
process, its loop, GIL, CPU and memory, carries only the bot. Printed: event-loop lag
p50/p99/max (a 20 ms ticker on the bot's loop), database queries per message where the bot
reads and where it does not (counted in the message listener's context), RSS at the start,
after one minute and at the end (then after a full garbage collection, and after
`malloc_trim`, which hands back what the C heap kept of freed memory), RSS each minute with
the audio the players hold and the utterances queued, CPU per message (the bot's process),
and first audio p50/p95 in the voice channels (from the message, or from the end of the
previous utterance when the channel was still speaking).

    python -m benchmarks.shard [--duration 600] [--rate 200] [--servers 5000] [--voice 50]
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import gc
import os
import random
import resource
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks._bots import fakes, start_bot
from benchmarks._fakeside import FakeSide
from benchmarks._model import parser
from benchmarks._stats import quantile
from benchmarks.multiserver import SHORT
from benchmarks.remote import KEY, rss_mb, start_server
from tts_engine import EngineConfig, LocalEngine
from tts_engine.model.heap import malloc_trim
from tts_engine.tools.checkpoint import build_checkpoint, tiny_config

#: Which kind of message the listener is handling ("read" / "not read"), for the query hook.
KIND: contextvars.ContextVar[str] = contextvars.ContextVar("kind", default="other")
VOICES = ("af_heart",)


@dataclass
class Figures:
    """What one run measured."""

    lags: list[float] = field(default_factory=list)
    queries: Counter[str] = field(default_factory=Counter)
    messages: Counter[str] = field(default_factory=Counter)
    rss: dict[str, float] = field(default_factory=dict)
    cpu_s: float = 0.0
    #: CPU seconds of the fakes' process (not the bot's; for the record).
    fake_cpu_s: float = 0.0
    first_audio: list[float] = field(default_factory=list)
    unheard: int = 0
    #: Each minute: (RSS MB, MB of audio the players hold, utterances queued).
    minutes: list[tuple[float, float, int]] = field(default_factory=list)
    #: Objects a full collection found unreachable at the end.
    collected: int = 0
    #: Garbage collector pauses on the bot's thread, seconds, by generation.
    gc_pauses: dict[int, list[float]] = field(default_factory=dict)


def checkpoint(root: Path) -> Path:
    """A tiny checkpoint whose phonemes last as long as real speech's (built once)."""
    out = root / "kokoro-tiny-3fpp"
    if not (out / ".done").exists():
        build_checkpoint(out, VOICES, config=tiny_config(), frames_per_phoneme=3.0)
        (out / ".done").write_text("ok", "utf-8")
    return out


def _count_queries(figures: Figures) -> None:
    """Count every statement on the default connection under the current KIND."""
    from tortoise import connections

    conn = connections.get("default")
    for name in ("execute_query", "execute_query_dict", "execute_insert", "execute_many"):
        original = getattr(conn, name)

        async def counted(query: str, *args: Any, _original: Any = original,
                          **kwargs: Any) -> Any:
            figures.queries[KIND.get()] += 1
            return await _original(query, *args, **kwargs)
        setattr(conn, name, counted)


def _label_messages(figures: Figures, voice_guilds: set[int]) -> None:
    """Run the voice cog's message listener with KIND set (before the bot is created)."""
    from cogs.voice._cog import VoiceCog

    original = VoiceCog.on_message

    async def on_message(self: Any, message: Any) -> None:
        kind = "read" if message.guild and message.guild.id in voice_guilds else "not read"
        figures.messages[kind] += 1
        KIND.set(kind)
        await original(self, message)
    on_message.__name__ = "on_message"
    VoiceCog.on_message = on_message  # type: ignore[method-assign]


@contextlib.contextmanager
def _gc_pauses(figures: Figures) -> Iterator[None]:
    """Time each collection the bot's event-loop thread makes (not its player threads')."""
    started: list[float] = []
    me = threading.get_ident()

    def callback(phase: str, info: dict[str, int]) -> None:
        if threading.get_ident() != me:
            return
        if phase == "start":
            started.append(time.perf_counter())
        elif started:
            figures.gc_pauses.setdefault(info["generation"], []).append(
                time.perf_counter() - started.pop())
    gc.callbacks.append(callback)
    try:
        yield
    finally:
        gc.callbacks.remove(callback)


async def _ticker(figures: Figures, stop: asyncio.Event, period: float = 0.02) -> None:
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        due = loop.time() + period
        await asyncio.sleep(period)
        figures.lags.append(max(0.0, loop.time() - due))


def _plan(rng: random.Random, duration: float, rate: float, guilds: int
          ) -> list[tuple[float, int, str]]:
    """(seconds after the start, guild index, text), seeded."""
    out, at = [], 0.0
    while at < duration:
        out.append((at, rng.randrange(guilds), rng.choice(SHORT)))
        at += rng.expovariate(rate)
    return out


async def _sample_rss(figures: Figures, when: str) -> None:
    figures.rss[when] = rss_mb()


async def _each_minute(figures: Figures, bot: Any) -> None:
    """What the process holds each minute: RSS, the players' audio and their queues."""
    while True:
        await asyncio.sleep(60.0)
        players = list(bot.voice_manager.players.values())
        figures.minutes.append((rss_mb(), sum(p.buffered_bytes() for p in players) / 1e6,
                                sum(len(p.queue) for p in players)))


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _setup(guilds: list[Any], voice_count: int, rng: random.Random) -> None:
    """Voice servers read their text channel; a tenth of the others have one configured."""
    from storage.models import GuildSettings

    rows = [GuildSettings(guild_id=g.id, read_channel_ids=[g.text_channel_id],
                          announce_names=False)
            for i, g in enumerate(guilds) if i < voice_count or rng.random() < 0.1]
    await GuildSettings.bulk_create(rows, batch_size=500)


@contextlib.asynccontextmanager
async def _engine(kind: str, model_dir: Path, tmp: Path, nice: int) -> Any:
    """The bot's engine: two synthesis servers behind `engine.remote`, or a local one."""
    from tts_engine.synthesis.remote import RemoteEngine

    if kind == "local":
        engine: Any = LocalEngine(EngineConfig(model_dir=model_dir, device="cpu",
                                               cache_entries=0, threads=1))
        await engine.start()
        yield engine
        engine.close()
        return
    # At the lowest CPU priority: on a real install they run on machines of their own, here
    # they share the bot's cores and would otherwise be what the bot's loop waits for.
    servers = [start_server(model_dir, Path(tempfile.mkdtemp(dir=tmp)), nice=nice)
               for _ in range(2)]
    try:
        engine = RemoteEngine(EngineConfig(remote=[url for _, url in servers], remote_key=KEY))
        await engine.start()
        yield engine
        engine.close()
    finally:
        for process, _ in servers:
            process.kill()
            process.wait()


async def run(args: Any, model_dir: Path) -> Figures:
    """Start everything, send the seeded stream, measure."""
    from storage import db

    figures, rng = Figures(), random.Random(args.seed)
    side = FakeSide(args.servers, args.voice)
    try:
        guilds = side.guilds
        _label_messages(figures, {g.id for g in guilds[:args.voice]})
        with tempfile.TemporaryDirectory() as tmp, fakes()[0].pointed_at(side.base_url):
            url = f"sqlite://{tmp}/shard.sqlite3"
            await db.init_db(url)
            await _setup(guilds, args.voice, rng)
            async with _engine(args.synthesis, model_dir, Path(tmp), args.nice) as engine:
                running = await start_bot(side, side, engine, url, Path(tmp))
                try:
                    await _measure(args, figures, side, running.bot, rng)
                finally:
                    await running.bot.voice_manager.close()
                    await running.bot.close()
                    await asyncio.gather(running.task, return_exceptions=True)
                    await running.jobs.stop()
                    await db.close_db()
    finally:
        side.close()
    return figures


async def _measure(args: Any, figures: Figures, side: FakeSide, bot: Any,
                   rng: random.Random) -> None:
    for g in side.guilds[:args.voice]:
        channel = bot.get_guild(g.id).get_channel(g.voice_channel_id)
        await bot.voice_manager.join(channel)
    plan = _plan(rng, args.duration, args.rate, len(side.guilds))
    _count_queries(figures)
    stop = asyncio.Event()
    ticker = asyncio.create_task(_ticker(figures, stop))
    await _sample_rss(figures, "start")
    cpu0, t0 = _cpu(), time.monotonic()
    traffic = asyncio.ensure_future(side.send(plan))
    minutes = asyncio.create_task(_each_minute(figures, bot))
    with _gc_pauses(figures):
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(traffic), 60.0)
        await _sample_rss(figures, "1 min")
        await traffic
    await _sample_rss(figures, "end")
    figures.cpu_s = _cpu() - cpu0
    minutes.cancel()
    # How much of the end's RSS is garbage in reference cycles not collected yet, then memory
    # the C heap keeps after it was freed (neither is held by the bot).
    figures.collected = gc.collect()
    await _sample_rss(figures, "end after a full collection")
    if malloc_trim():
        await _sample_rss(figures, "end after malloc_trim")
    await asyncio.sleep(args.drain)  # the last messages' speech begins
    stop.set()
    await ticker
    figures.fake_cpu_s, first, figures.unheard = await side.first_audio()
    figures.first_audio.extend(first)
    print(f"sent {len(plan)} messages in {time.monotonic() - t0 - args.drain:.0f} s")


def report(args: Any, f: Figures) -> None:
    """The figures, then one table row (for docs/scale.md)."""
    ms = [x * 1000 for x in f.lags]
    per = {k: f.queries[k] / f.messages[k] if f.messages[k] else float("nan")
           for k in ("read", "not read")}
    total = sum(f.messages.values())
    cpu_ms = f.cpu_s / total * 1000 if total else float("nan")
    print(f"load {os.getloadavg()[0]:.1f} ({os.cpu_count()} CPUs); {args.servers} servers, "
          f"voice in {args.voice}, {args.rate:g} msg/s for {args.duration:g} s, synthesis "
          f"{args.synthesis} (nice {args.nice})")
    print(f"event-loop lag ms: p50 {quantile(ms, 0.5):.1f}  p99 {quantile(ms, 0.99):.1f}  "
          f"max {max(ms, default=float('nan')):.1f}")
    print("garbage collector pauses (bot thread): " + ", ".join(
        f"gen {g}: {len(p)} x, max {max(p) * 1000:.1f} ms, total {sum(p):.2f} s"
        for g, p in sorted(f.gc_pauses.items())))
    print(f"messages: {f.messages['read']} read, {f.messages['not read']} not read; "
          f"queries per message: read {per['read']:.3f}, not read {per['not read']:.3f} "
          f"({f.queries['read']} and {f.queries['not read']} queries; "
          f"other queries: {f.queries['other']})")
    print("RSS MB: " + ", ".join(f"{k} {v:.0f}" for k, v in f.rss.items())
          + f" (the full collection found {f.collected} unreachable objects)")
    print("each minute, RSS MB (audio the players hold MB, utterances queued): " + ", ".join(
        f"{rss:.0f} ({audio:.1f}, {queued})" for rss, audio, queued in f.minutes))
    print(f"CPU per message: {cpu_ms:.2f} ms (the bot's process {f.cpu_s:.1f} s; the fakes' "
          f"process {f.fake_cpu_s:.1f} s)")
    first = f.first_audio
    print(f"first audio s: p50 {quantile(first, 0.5):.3f}  p95 {quantile(first, 0.95):.3f}  "
          f"({len(first)} heard, {f.unheard} not heard)")
    print(f"| {quantile(ms, 0.5):.1f} / {quantile(ms, 0.99):.1f} / {max(ms, default=0):.0f} ms "
          f"| {per['read']:.3f} | {per['not read']:.3f} "
          f"| {' / '.join(f'{f.rss[k]:.0f}' for k in ('start', '1 min', 'end'))} MB "
          f"| {cpu_ms:.2f} ms "
          f"| {quantile(first, 0.5):.2f} / {quantile(first, 0.95):.2f} s |")


def main(argv: list[str] | None = None) -> None:
    """`python -m benchmarks.shard`."""
    command = parser(__doc__)
    command.add_argument("--duration", type=float, default=600.0, help="seconds of traffic")
    command.add_argument("--rate", type=float, default=200.0, help="messages per second")
    command.add_argument("--servers", type=int, default=5000)
    command.add_argument("--voice", type=int, default=50, help="servers with the bot in voice")
    command.add_argument("--synthesis", choices=("remote", "local"), default="remote")
    command.add_argument("--drain", type=float, default=15.0,
                         help="seconds after the traffic for the last speech to begin")
    command.add_argument("--seed", type=int, default=18)
    command.add_argument("--nice", type=int, default=19,
                         help="CPU priority of the synthesis servers (0: the bot's)")
    args = command.parse_args(argv)
    model_dir = checkpoint(args.bench_dir)
    figures = asyncio.run(run(args, model_dir))
    report(args, figures)


if __name__ == "__main__":
    main()
