"""Benchmark (not a test): the first sound of a chat line, step by step.

A message is written in a channel the bot reads aloud: the loopback fake Discord, discord.py's
real voice client, a full-size random-weight checkpoint whose phonemes last as long as real
speech's. Every step between the MESSAGE_CREATE's dispatch and the first RTP packet with sound
reaching the fake voice server is timed (`time.monotonic`, one process), for four cases:

- `line`: a one-line message (one short sentence), no name announced;
- `long`: a line, then a 300-character text (the first chunk is the line);
- `named`: a one-line message introduced by "<name> said" (the phrase comes from the engine's
  cache after the first time, while the message itself is synthesised);
- `skip`: `/skip` during a long message, to the next message's first sound.

For each: median and p95 of every step, and the silence heard after the first sound (frames of
silence the player had to send because synthesis fell behind). `--hogs N` runs N CPU-bound
processes on the same cores for the whole run (contention); `--threads` sets torch's threads.

    python -m benchmarks.first_audio [--trials 10] [--hogs 0] [--threads 0]
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks._bots import WAIT_S, first_sound, post, voice_bot
from benchmarks._model import TEXT_300, full_checkpoint, parser
from benchmarks._stats import quantile

#: One short sentence each.
LINES = (
    "Is anyone up for a game tonight?", "I just got home from work.",
    "That was a really good movie.", "Can someone send me the link again?",
    "We should meet at the park tomorrow.", "My cat knocked the plant over again.",
    "The pizza is almost ready now.", "Who left the door open?",
    "I think the server is down.", "Let me know when you are free.",
    "The train was late this morning.", "Happy birthday to my best friend!",
)
#: Said after a line to make it new: no clip comes from the engine's cache.
TAILS = ("", "for real", "I guess", "right now", "again", "by the way", "to be honest",
         "as usual")


def distinct_lines() -> Iterator[str]:
    """LINES, then each with a tail before its last mark, and so on: no text twice."""
    for tail in TAILS:
        for line in LINES:
            yield f"{line[:-1]}, {tail}{line[-1]}" if tail else line


#: The steps, in order: (mark, what happens between the previous mark and this one).
STEPS = (
    ("event", "gateway to the message listener"),
    ("looked_up", "settings, defaults, name and dictionary look-ups"),
    ("text", "rendering, dictionary, name"),
    ("validated", "normalisation and validation"),
    ("queued", "queued on the server's player"),
    ("scheduled", "waiting for the engine's executor"),
    ("g2p", "G2P of the first chunk"),
    ("model", "the model on the first chunk"),
    ("fed", "handed to the player's buffer"),
    ("play", "the player's start (pacing)"),
    ("read", "first frame read by discord.py (resampling)"),
    ("heard", "Opus, RTP, UDP to the first packet with sound"),
)


class Trace:
    """First time each step was reached during the current message."""

    def __init__(self) -> None:
        self.marks: dict[str, float] = {}
        self.on = False

    def mark(self, name: str) -> None:
        if self.on and name not in self.marks:
            self.marks[name] = time.monotonic()


@contextlib.contextmanager
def _patched(trace: Trace, bot: Any) -> Iterator[None]:
    """Wrap the functions at each step's end so they mark the trace."""
    import discord

    from bot.voice import player as player_module
    from bot.voice import source as source_module
    from cogs.voice import _cog, _reader

    undo: list[Callable[[], None]] = []

    def wrap(owner: Any, name: str, mark_before: str | None = None,
             mark_after: str | None = None) -> None:
        original = getattr(owner, name)
        if asyncio.iscoroutinefunction(original):
            async def wrapped(*args: Any, **kwargs: Any) -> Any:
                if mark_before:
                    trace.mark(mark_before)
                result = await original(*args, **kwargs)
                if mark_after:
                    trace.mark(mark_after)
                return result
        else:
            def wrapped(*args: Any, **kwargs: Any) -> Any:  # type: ignore[misc]
                if mark_before:
                    trace.mark(mark_before)
                result = original(*args, **kwargs)
                if mark_after:
                    trace.mark(mark_after)
                return result
        wrapped.__name__ = original.__name__
        setattr(owner, name, wrapped)
        undo.append(lambda: setattr(owner, name, original))

    wrap(_cog.VoiceCog, "on_message", mark_before="event")
    wrap(_reader, "_voice_for", mark_after="looked_up")
    wrap(_reader, "_text", mark_after="text")
    wrap(bot.engine, "validate", mark_after="validated")
    wrap(player_module.GuildPlayer, "enqueue", mark_after="queued")
    wrap(bot.engine, "_infer", mark_before="g2p", mark_after="model")
    wrap(source_module.FrameBuffer, "feed", mark_after="fed")
    wrap(discord.VoiceClient, "play", mark_before="play")
    engine_chunks = bot.engine._chunks

    def chunks(req: Any, *args: Any) -> Any:
        trace.mark("scheduled")
        return engine_chunks(req, *args)
    bot.engine._chunks = chunks
    undo.append(lambda: setattr(bot.engine, "_chunks", engine_chunks))
    source_read = source_module.StreamSource.read

    def read(self: Any) -> bytes:
        frame = source_read(self)
        if frame and frame != source_module.SILENCE:
            trace.mark("read")
        return frame
    source_module.StreamSource.read = read  # type: ignore[method-assign]
    undo.append(lambda: setattr(source_module.StreamSource, "read", source_read))
    try:
        yield
    finally:
        for step in reversed(undo):
            step()


@dataclass
class Trial:
    """One message: the step marks (seconds after the dispatch) and what followed."""

    marks: dict[str, float]
    silence_s: float


@dataclass
class Case:
    """A case's trials."""

    name: str
    trials: list[Trial] = field(default_factory=list)


async def _wait_heard(voice: Any, start: int) -> Any:
    await voice.wait_until(lambda: first_sound(voice.packets[start:]) is not None, WAIT_S)
    return first_sound(voice.packets[start:])


async def _message(trace: Trace, fake: Any, voice: Any, bot: Any, guild: Any, author: int,
                   text: str, *, listen_s: float = 0.0) -> Trial:
    """Post `text`, trace it to its first sound, listen `listen_s` more, then stop it."""
    player = bot.voice_manager.player(guild.id)
    start = len(voice.packets)
    trace.marks, trace.on = {}, True
    sent = await post(fake, guild, author, text, "alice")
    heard = await _wait_heard(voice, start)
    trace.marks["heard"] = heard.received_at
    trace.on = False
    current = player.current
    if listen_s:
        await asyncio.sleep(listen_s)
    silence = current.buffer.underruns * 0.02 if current is not None and current.buffer else 0.0
    await _quiet(voice, player)
    return Trial({k: v - sent for k, v in trace.marks.items()}, silence)


async def _quiet(voice: Any, player: Any) -> None:
    """Stop what plays and wait until nothing does (so the next message is heard alone)."""
    player.stop()
    deadline = asyncio.get_running_loop().time() + WAIT_S
    while player.current is not None or player.queue or not (
            voice.packets and voice.packets[-1].end_marker):
        assert asyncio.get_running_loop().time() < deadline, "the player never went quiet"
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.1)


async def _skip(trace: Trace, fake: Any, voice: Any, bot: Any, guild: Any, author: int,
                opening: str, text: str) -> Trial:
    """A long message plays; a line is queued behind it; `/skip` to the line's first sound."""
    from tests.fakes.discord_voice._audio import split_utterances

    player = bot.voice_manager.player(guild.id)
    start = len(voice.packets)
    await post(fake, guild, author, f"{opening} {TEXT_300}", "alice")
    await _wait_heard(voice, start)
    await post(fake, guild, author, text, "alice")
    await asyncio.sleep(1.0)  # the line waits its turn while the long one plays
    start = len(voice.packets)
    trace.marks, trace.on = {}, True
    skipped = time.monotonic()
    player.skip()

    def line() -> Any:  # the first utterance begun after the skip, once it has sound
        for heard in split_utterances(voice.packets[start:]):
            if heard.started_at > skipped:
                return first_sound(heard.packets)
        return None
    await voice.wait_until(lambda: line() is not None, WAIT_S)
    trace.marks["heard"] = line().received_at
    trace.on = False
    await _quiet(voice, player)
    return Trial({k: v - skipped for k, v in trace.marks.items()}, 0.0)


async def _announce(guild: Any, author: int) -> None:
    from storage.models import GuildSettings

    await GuildSettings.create(guild_id=guild.id, read_channel_ids=[guild.text_channel_id],
                               announce_names=True)


async def run(trials: int, model_dir: Path, threads: int, cases: list[str]) -> list[Case]:
    """Every case, `trials` messages each."""
    trace, out = Trace(), []
    async with voice_bot(model_dir, threads=threads, member="alice", setup=_announce,
                         cache_entries=64) as (fake, voice, bot, guilds, authors):
        guild, author = guilds[0], authors[0]
        manager = bot.voice_manager
        with _patched(trace, bot):
            lines = distinct_lines()
            for name in cases:
                case = Case(name)
                for n in range(trials + 1):  # the first one warms up, and is not counted
                    if name == "named":
                        manager.announcer.forget(guild.id)
                    else:  # no announcement: the name was just said
                        manager.announcer.prefix(guild.id, author, "alice")
                    if n == 0:
                        await _message(trace, fake, voice, bot, guild, author, next(lines))
                    elif name == "skip":
                        case.trials.append(await _skip(trace, fake, voice, bot, guild,
                                                       author, next(lines), next(lines)))
                    else:
                        text = f"{next(lines)} {TEXT_300}" if name == "long" else next(lines)
                        case.trials.append(await _message(
                            trace, fake, voice, bot, guild, author, text,
                            listen_s=8.0 if name == "long" else 2.0))
                out.append(case)
                report([case])
    return out


def setting(hogs: int, threads: int) -> None:
    """The machine and the settings of the run."""
    print(f"load {os.getloadavg()[0]:.1f} ({os.cpu_count()} CPUs), {hogs} CPU hogs, "
          f"torch threads {threads or 'default'}, OMP_WAIT_POLICY="
          f"{os.environ.get('OMP_WAIT_POLICY', '(unset)')}, GOMP_SPINCOUNT="
          f"{os.environ.get('GOMP_SPINCOUNT', '(unset)')}", flush=True)


def report(cases: list[Case]) -> None:
    """Per case: each step's median and p95 (ms), the first sound, the silence after it."""
    for case in cases:
        print(f"\n{case.name}: {len(case.trials)} trials (ms: median / p95 of each step)")
        for mark, what in STEPS:
            values = [t.marks[mark] for t in case.trials if mark in t.marks]
            if not values:
                continue
            steps = [(t.marks[mark] - max([v for k, v in t.marks.items()
                                           if _before(k, mark)], default=0.0)) * 1000
                     for t in case.trials if mark in t.marks]
            print(f"  {what:52} {statistics.median(steps):7.1f} / {quantile(steps, 0.95):7.1f}"
                  f"   (at {statistics.median(values) * 1000:7.1f})")
        heard = [t.marks["heard"] * 1000 for t in case.trials]
        silence = [t.silence_s * 1000 for t in case.trials]
        print(f"  FIRST SOUND {statistics.median(heard):.0f} ms median, "
              f"p95 {quantile(heard, 0.95):.0f} ms (best {min(heard):.0f}, worst {max(heard):.0f});"
              f" silence after it: max {max(silence):.0f} ms"
              f" ({sum(s > 100 for s in silence)} of {len(silence)} over 100 ms)", flush=True)


def _before(mark: str, than: str) -> bool:
    order = [m for m, _ in STEPS]
    return mark in order and order.index(mark) < order.index(than)


@contextlib.contextmanager
def hogs(count: int, seconds: float) -> Iterator[None]:
    """`count` CPU-bound processes (each ends by itself after `seconds`)."""
    code = f"import time\nend = time.time() + {seconds}\nwhile time.time() < end: pass\n"
    procs = [subprocess.Popen([sys.executable, "-c", code]) for _ in range(count)]
    try:
        yield
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()


def main(argv: list[str] | None = None) -> None:
    """`python -m benchmarks.first_audio`."""
    command = parser(__doc__, trials=10)
    command.add_argument("--hogs", type=int, default=0, help="CPU-bound processes beside")
    command.add_argument("--threads", type=int, default=0, help="torch threads (0: default)")
    command.add_argument("--cases", nargs="+", default=["line", "long", "named", "skip"],
                         choices=["line", "long", "named", "skip"])
    args = command.parse_args(argv)
    model_dir = full_checkpoint(args.bench_dir)
    with hogs(args.hogs, 3600):
        setting(args.hogs, args.threads)
        asyncio.run(run(args.trials, model_dir, args.threads, args.cases))
        setting(args.hogs, args.threads)


if __name__ == "__main__":
    main()
