"""Benchmark (not a test): many servers reading their channels aloud at once.

N servers (1, 4, 16 by default) each have a channel the bot reads aloud, where people write
ordinary chat: a seeded mix of short lines and 300-character messages, arriving at random
(exponential gaps, `--gap` seconds on average per channel). Everything goes through the real
path: discord.py's client against the loopback fake Discord, the voice players, the engine
(full-size random-weight checkpoint, fast path), and discord.py's voice client sending RTP to
the loopback fake voice server. For each N and each `engine.executor_workers` it prints p50 and
p95 time from message to its first audio packet (counted from the end of the previous message
in that channel when the bot was still reading it), how often playback ran dry mid-utterance
(underruns), process CPU per second of speech, and whether that N keeps up in real time.

    python -m benchmarks.multiserver [--quick] [--servers 1 4 16] [--workers 1 2]

Run from a checkout: it uses the fakes under `tests/fakes/`. Every run is bounded: messages
arrive for `--window` seconds, and whatever has not started `--drain` seconds later counts as
not started.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import resource
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks._bots import has_sound, post, voice_bot
from benchmarks._model import full_checkpoint, parser
from benchmarks._stats import quantile

SHORT = (
    "lol yes", "Who is up for a game tonight?", "brb, getting coffee",
    "That was a great match, well played everyone.", "ok see you at eight",
    "Did anyone see the new trailer?", "nice one", "I think the server is down again.",
    "thanks!", "Can someone help me with the quest?",
)
LONG_SENTENCES = (
    "Good evening, everyone, and thanks for joining the call tonight.",
    "We will go over the plan for the raid on Saturday before anything else.",
    "Please make sure your gear is repaired and that you bring enough potions for two hours.",
    "After that, anyone who wants to talk about the tournament may do so, but keep it short.",
    "The server restarts at midnight, so try to finish before then if you can manage it.",
    "If you cannot make it, write in the channel so we can find someone to fill your spot.",
)
#: Share of messages that are ~300 characters long.
LONG_SHARE = 0.3
#: A server keeps up when p95 first audio stays under this and playback (almost) never runs dry.
KEEPS_UP_P95_S = 2.0
KEEPS_UP_DRY_SHARE = 0.01


def long_message(rng: random.Random) -> str:
    """About 300 characters of whole sentences, in a seeded order."""
    parts = list(LONG_SENTENCES)
    rng.shuffle(parts)
    text = ""
    for part in parts:
        if len(text) + len(part) > 310:
            break
        text += part + " "
    return text.strip()


def schedule(rng: random.Random, window: float, gap: float) -> list[tuple[float, str]]:
    """One channel's messages: (seconds after the start, text)."""
    out, at = [], rng.uniform(0, min(gap, window) / 2)
    while at < window:
        text = long_message(rng) if rng.random() < LONG_SHARE else rng.choice(SHORT)
        out.append((at, text))
        at += rng.expovariate(1 / gap)
    return out


@dataclass
class Result:
    """One run: N servers, W inference workers."""

    servers: int
    workers: int
    latencies: list[float] = field(default_factory=list)
    not_started: int = 0
    sent: int = 0
    speech_s: float = 0.0
    dry_s: float = 0.0
    dry_utterances: int = 0
    cpu_s: float = 0.0
    load: float = 0.0

    def pct(self, q: float) -> float:
        """The q-quantile of first-audio latency (not-started messages count as infinite)."""
        return quantile(self.latencies + [float("inf")] * self.not_started, q)

    @property
    def keeps_up(self) -> bool:
        """Whether this N ran in real time: fast starts and (almost) no breaks."""
        dry = self.dry_s / self.speech_s if self.speech_s else 1.0
        return self.not_started == 0 and self.pct(0.95) < KEEPS_UP_P95_S and (
            dry < KEEPS_UP_DRY_SHARE)


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _channel(fake: Any, guild: Any, author: int, plan: list[tuple[float, str]],
                   t0: float) -> list[float]:
    sent = []
    for at, text in plan:
        await asyncio.sleep(max(0.0, t0 + at - time.monotonic()))  # the chat's own pace
        sent.append(await post(fake, guild, author, text))
    return sent


def _collect(result: Result, voice: Any, bot: Any, guilds: list[Any],
             sent: list[list[float]]) -> None:
    from tests.fakes.discord_voice import _audio

    by_guild: dict[int, list[Any]] = {}
    for session in voice.sessions:
        by_guild.setdefault(int(session.identify["server_id"]), []).append(session.ssrc)
    for guild, times in zip(guilds, sent, strict=True):
        ssrcs = set(by_guild.get(guild.id, []))
        heard = _audio.split_utterances([p for p in voice.packets if p.ssrc in ssrcs])
        result.sent += len(times)
        for i, at in enumerate(times):
            if i < len(heard):
                # From the message, or from the end of the channel's previous utterance when
                # the bot was still reading that one: the wait synthesis adds.
                free = heard[i - 1].packets[-1].received_at if i else at
                result.latencies.append(heard[i].started_at - max(at, free))
            else:
                result.not_started += 1
        result.speech_s += sum(u.duration for u in heard)
        player = bot.voice_manager.player(guild.id)
        played = list(player.played) if player else []
        if player and player.current is not None:
            played.append(player.current)
        for u in played:
            if u.buffer is not None and u.buffer.underruns:
                result.dry_s += u.buffer.underruns * 0.02
                result.dry_utterances += 1


async def run_one(model_dir: Path, servers: int, workers: int, window: float, drain: float,
                  gap: float, seed: int, threads: int = 1) -> Result:
    """Start the fakes and a bot in `servers` voice channels; replay the seeded chat."""
    result = Result(servers, workers)
    async with voice_bot(model_dir, servers, workers, threads) as (
            fake, voice, bot, guilds, authors):
        rng = random.Random(seed)
        plans = [schedule(rng, window, gap) for _ in guilds]
        result.load = os.getloadavg()[0]
        cpu0, t0 = _cpu(), time.monotonic() + 0.5
        sent = await asyncio.gather(*(_channel(fake, g, a, plan, t0)
                                      for g, a, plan in zip(guilds, authors, plans,
                                                            strict=True)))
        total = sum(len(s) for s in sent)
        deadline = t0 + window + drain
        with contextlib.suppress(TimeoutError):
            await voice.wait_until(lambda: _started(bot, guilds) >= total,
                                   max(0.1, deadline - time.monotonic()))
        result.cpu_s = _cpu() - cpu0
        _collect(result, voice, bot, guilds, list(sent))
    return result


async def probes(model_dir: Path, trials: int, threads: int = 1) -> None:
    """One idle server: a short sentence's first audio, and a skip's cost to the next one."""
    async with voice_bot(model_dir, 1, 1, threads) as (fake, voice, bot, guilds, authors):
        guild, author = guilds[0], authors[0]
        player = bot.voice_manager.player(guild.id)
        short, skip = [], []
        for i in range(trials):
            start = len(voice.packets)
            sent = await post(fake, guild, author, SHORT[1 + i % 2])
            await voice.wait_until(lambda s=start: _sound_after(voice, s) is not None, 120)
            short.append(_heard(voice, start) - sent)
            await voice.wait_until(lambda s=start: any(p.end_marker for p in
                                                       voice.packets[s:]), 120)
            start = len(voice.packets)
            await post(fake, guild, author, long_message(random.Random(i)))
            await voice.wait_until(lambda s=start: _sound_after(voice, s) is not None, 120)
            await asyncio.sleep(0.5)  # the long message is well into its synthesis
            mark = len(voice.packets)
            skipped = time.monotonic()
            player.skip()
            await post(fake, guild, author, SHORT[3])
            await voice.wait_until(lambda m=mark: _sound_after(voice, m, after_end=True)
                                   is not None, 120)
            skip.append(_heard(voice, mark, after_end=True) - skipped)
            await voice.wait_until(lambda m=mark: sum(p.end_marker for p in
                                                      voice.packets[m:]) >= 10, 120)
        print(f"short sentence, message to first sound: median {statistics.median(short):.3f} s"
              f" (best {min(short):.3f} s, {trials} trials, load {os.getloadavg()[0]:.1f})")
        print(f"/skip during a 300-character message to the next message's first sound: median "
              f"{statistics.median(skip):.3f} s (best {min(skip):.3f} s)")


def _heard(voice: Any, start: int, after_end: bool = False) -> float:
    at = _sound_after(voice, start, after_end)
    assert at is not None
    return at


def _sound_after(voice: Any, start: int, after_end: bool = False) -> float | None:
    """When the first packet with sound after packet `start` arrived (with `after_end`: in the
    next utterance, after an end marker)."""
    packets = voice.packets[start:]
    if after_end:
        ends = [i for i, p in enumerate(packets) if p.end_marker]
        if not ends:
            return None
        packets = packets[ends[0]:]
    for packet in packets:
        if not packet.end_marker and has_sound(packet):
            return float(packet.received_at)
    return None


def _started(bot: Any, guilds: list[Any]) -> int:
    """Utterances begun so far, over every server (finished or playing)."""
    count = 0
    for g in guilds:
        player = bot.voice_manager.player(g.id)
        if player is not None:
            count += len(player.played) + (player.current is not None
                                           and player.current.started_at is not None)
    return count


def report(results: list[Result]) -> None:
    """The table, then the largest N that kept up per worker count."""
    print("servers workers  msgs  p50 first  p95 first  not started  dry s (utts)  "
          "speech s  CPU s/speech s  load  keeps up")
    for r in results:
        cpu = r.cpu_s / r.speech_s if r.speech_s else float("nan")
        print(f"{r.servers:>7} {r.workers:>7} {r.sent:>5} {r.pct(0.5):>9.3f}s "
              f"{r.pct(0.95):>9.3f}s {r.not_started:>12} {r.dry_s:>7.1f} ({r.dry_utterances:>3}) "
              f"{r.speech_s:>9.1f} {cpu:>15.2f} {r.load:>5.1f}  {'yes' if r.keeps_up else 'no'}")
    for workers in sorted({r.workers for r in results}):
        ok = [r.servers for r in results if r.workers == workers and r.keeps_up]
        print(f"executor_workers={workers}: largest N kept in real time: "
              f"{max(ok) if ok else 'none of those tried'}")
    print(f"(p95 of first audio counts not-started messages as infinite; 'keeps up' = all "
          f"started, p95 < {KEEPS_UP_P95_S:g} s, dry < {KEEPS_UP_DRY_SHARE:.0%} of speech; "
          f"load = 1-min load average at the start of each run)")


def main(argv: list[str] | None = None) -> None:
    """`python -m benchmarks.multiserver`: build or reuse the checkpoint, run, print."""
    command = parser(__doc__)
    command.add_argument("--quick", action="store_true", help="short windows (~5 min in all)")
    command.add_argument("--servers", type=int, nargs="+", default=[1, 4, 16])
    command.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    command.add_argument("--window", type=float, help="seconds of chat per run")
    command.add_argument("--drain", type=float, help="seconds after the chat to wait for starts")
    command.add_argument("--gap", type=float, default=15.0, help="mean seconds between messages")
    command.add_argument("--seed", type=int, default=12)
    command.add_argument("--probes", type=int, default=3,
                         help="trials of the short-message and skip probes (0: none)")
    command.add_argument("--threads", type=int, default=1,
                         help="torch threads per inference (1: best on a busy machine)")
    args = command.parse_args(argv)
    window = args.window or (20.0 if args.quick else 60.0)
    drain = args.drain or (15.0 if args.quick else 45.0)
    model_dir = full_checkpoint(args.bench_dir)
    if args.probes:
        asyncio.run(probes(model_dir, args.probes, args.threads))
    results = []
    for workers in args.workers:
        for servers in args.servers:
            result = asyncio.run(run_one(model_dir, servers, workers, window, drain,
                                         args.gap, args.seed, args.threads))
            results.append(result)
            report([result])
    print()
    report(results)


if __name__ == "__main__":
    main()
