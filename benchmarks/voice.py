"""Benchmark (not a test): time to first audio in a voice channel.

A 300-character message is written in a channel the bot reads aloud; the figure is the time from
dispatching that MESSAGE_CREATE to the first RTP packet (and the first one with sound in it)
reaching a loopback fake Discord voice server, through discord.py's real voice client, with a
full-size random-weight Kokoro checkpoint (cached under `.bench/`). It is compared with the time
the engine takes to synthesise the whole message.

    python -m benchmarks.voice [--trials 3]

Run from a checkout: it uses the fakes under `tests/fakes/`.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks._bots import WAIT_S, first_sound, post, voice_bot
from benchmarks._model import first_chunk, trials_and_checkpoint


@dataclass
class Trial:
    """One message read aloud."""

    first_packet_s: float
    first_sound_s: float
    full_synthesis_s: float
    audio_s: float
    #: The engine alone: `engine.stream`'s first chunk, measured just before.
    engine_first_s: float


async def _trial(fake: Any, voice: Any, bot: Any, guild: Any, author: int, text: str) -> Trial:
    engine_first = await first_chunk(bot.engine, text)
    start = len(voice.packets)
    sent = await post(fake, guild, author, text, "alice")
    await voice.wait_until(lambda: first_sound(voice.packets[start:]) is not None, WAIT_S)
    first = voice.packets[start]
    sound = first_sound(voice.packets[start:])
    player = bot.voice_manager.player(guild.id)
    player.stop()  # the figure is taken; don't sit through 20 s of noise
    await voice.wait_until(lambda: any(pk.end_marker for pk in voice.packets[start:]), WAIT_S)
    request = bot.engine.validate(text)
    began = time.perf_counter()
    audio = await bot.engine.synthesize(request)
    full = time.perf_counter() - began
    return Trial(first.received_at - sent, sound.received_at - sent, full, audio.duration,
                 engine_first)


async def run(trials: int, model_dir: Path) -> list[Trial]:
    """Start the fakes and the bot, join voice, and time `trials` messages."""
    from benchmarks._model import TEXT_300

    async with voice_bot(model_dir, member="alice") as (fake, voice, bot, guilds, authors):
        return [await _trial(fake, voice, bot, guilds[0], authors[0], TEXT_300)
                for _ in range(trials)]


def report(results: list[Trial]) -> None:
    """Print each trial and the medians."""
    print("trial  first RTP  first sound  engine 1st chunk  full synthesis  audio  sound/full")
    for n, t in enumerate(results, 1):
        share = t.first_sound_s / t.full_synthesis_s
        print(f"{n:>5}  {t.first_packet_s:8.3f}s  {t.first_sound_s:10.3f}s  "
              f"{t.engine_first_s:15.3f}s  {t.full_synthesis_s:13.2f}s  {t.audio_s:5.1f}s  "
              f"{share:9.1%}")
    med = statistics.median
    first = med(t.first_sound_s for t in results)
    full = med(t.full_synthesis_s for t in results)
    print(f"median time to first audio: {med(t.first_packet_s for t in results):.3f} s "
          f"(first RTP packet), {first:.3f} s (first packet with sound)")
    print(f"best time to first audio: {min(t.first_sound_s for t in results):.3f} s; "
          f"median engine-alone first chunk: {med(t.engine_first_s for t in results):.3f} s")
    print(f"median full synthesis: {full:.2f} s for {med(t.audio_s for t in results):.1f} s "
          f"of audio; first audio at {first / full:.1%} of it "
          f"(targets: < 1 s and < 25%)")


def main(argv: list[str] | None = None) -> None:
    """`python -m benchmarks.voice`: build or reuse the checkpoint, run, print."""
    report(asyncio.run(run(*trials_and_checkpoint(__doc__, 5, argv))))


if __name__ == "__main__":
    main()
