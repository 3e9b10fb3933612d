"""Benchmark (not a test): read-aloud from a message arriving to its first audio packet, with
a pronunciation dictionary and every clean-up control on.

A short message and a 300-character one, each full of what the clean-up handles (a mention,
emoji, a custom emoji, repeated letters, a link, dictionary words and a phoneme entry), are
written in a channel the bot reads aloud, with "<name> said" announced and the server's and the
user's dictionaries holding 100 entries each. The figure is the time from dispatching the
MESSAGE_CREATE to the first RTP packet (and the first one with sound) at the loopback fake
voice server, through discord.py's real client, on the full-size random-weight checkpoint.

    python -m benchmarks.readaloud [--trials 3]

Run from a checkout: it uses the fakes under `tests/fakes/`.
"""

from __future__ import annotations

import asyncio
import statistics
from pathlib import Path
from typing import Any

from benchmarks._bots import WAIT_S, first_sound, post, voice_bot
from benchmarks._model import trials_and_checkpoint

SHORT = "gg Kokoro, soooooo good 👍 <:party_blob:1>"
LONG = ("gg everyone!!! Tonight Kokoro reads the minutes of the last meeting 📋, then we vote on "
        "the new schedule for the community garden 🌻. After that, anyone who wants to talk "
        "about the summer festival may do so, but pleeeeease keep it short, because the hall "
        "closes at nine https://example.com/hall and the caretaker wants to go home 🏠 ok?")


async def _dictionaries(guild_id: int, user_id: int) -> None:
    from bot import dictionary

    guild, user = dictionary.Owner.guild(guild_id), dictionary.Owner.user(user_id)
    for n in range(99):
        await dictionary.put(guild, f"term{n}", f"server word {n}")
        await dictionary.put(user, f"mine{n}", f"my word {n}")
    await dictionary.put(guild, "Kokoro", "/kˈOkəɹO/")
    await dictionary.put(user, "gg", "good game")


async def _trial(fake: Any, voice: Any, bot: Any, guild: Any, author: int, text: str
                 ) -> tuple[float, float, float]:
    """(first RTP packet, first packet with sound, queued: the read-aloud path alone), in
    seconds from the message's dispatch."""
    start = len(voice.packets)
    sent = await post(fake, guild, author, text, "alice")

    def fresh() -> list[Any]:
        return [pk for pk in voice.packets[start:] if pk.received_at >= sent]

    await voice.wait_until(lambda: first_sound(fresh()) is not None, WAIT_S)
    first, sound = fresh()[0], first_sound(fresh())
    player = bot.voice_manager.player(guild.id)
    utterance = player.current
    player.stop()  # the figure is taken
    await voice.wait_until(lambda: any(pk.end_marker for pk in fresh()), WAIT_S)
    # Let the stopped utterance's last frames drain before the next trial's clock starts
    # (a benchmark, not a test: a pause is fine here).
    await asyncio.sleep(1.0)
    queued = utterance.queued_at - sent if utterance is not None else float("nan")
    return first.received_at - sent, sound.received_at - sent, queued


async def _setup(guild: Any, alice: int) -> None:
    from storage.models import GuildSettings

    controls = {"repeat_limit": 3, "emoji": "name", "max_seconds": 30.0,
                "name_template": "{name} said", "voice_status": True}
    await GuildSettings.create(guild_id=guild.id, read_channel_ids=[guild.text_channel_id],
                               announce_names=True, readaloud=controls)
    await _dictionaries(guild.id, alice)


async def run(trials: int, model_dir: Path) -> dict[str, list[tuple[float, float, float]]]:
    """Start the fakes and the bot, join voice, and time `trials` of each message."""
    async with voice_bot(model_dir, member="alice", setup=_setup) as (
            fake, voice, bot, guilds, authors):
        bot.voice_manager.announcer.repeat_s = 0  # "alice said" every time
        return {name: [await _trial(fake, voice, bot, guilds[0], authors[0], text)
                       for _ in range(trials)]
                for name, text in (("short", SHORT), ("300 chars", LONG))}


def report(results: dict[str, list[tuple[float, float, float]]]) -> None:
    """Print the trials and the medians per message."""
    print(f"short message: {len(SHORT)} chars; long message: {len(LONG)} chars")
    print("message     trial  queued  first RTP  first sound")
    for name, trials in results.items():
        for n, (packet, sound, queued) in enumerate(trials, 1):
            print(f"{name:<10}  {n:>5}  {queued:5.3f}s  {packet:8.3f}s  {sound:10.3f}s")
    med = statistics.median
    for name, trials in results.items():
        print(f"median {name}: {med(t[2] for t in trials):.3f} s to queued (clean-up, "
              f"dictionary, settings), {med(t[0] for t in trials):.3f} s to the first packet, "
              f"{med(t[1] for t in trials):.3f} s to the first sound")


def main(argv: list[str] | None = None) -> None:
    """`python -m benchmarks.readaloud`: build or reuse the checkpoint, run, print."""
    report(asyncio.run(run(*trials_and_checkpoint(__doc__, 3, argv))))


if __name__ == "__main__":
    main()
