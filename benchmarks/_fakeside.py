"""The loopback fakes in a process of their own, for the shard benchmark.

On a real install Discord is not in the bot's process. Run beside the bot, the fakes (the
gateway, REST, the voice server decrypting and decoding every packet) would take the bot's
GIL, CPU time and memory and be counted as the bot's, so here they run in a child process
that builds the servers, sends the seeded messages and reports what its voice server heard.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import ssl
import time
from multiprocessing.connection import Connection
from typing import Any

from benchmarks._bots import WAIT_S, fakes, post

#: One planned message: (seconds after the start, guild index, text).
Planned = tuple[float, int, str]


class FakeSide:
    """The parent's handle on the fakes' process: what the bot needs to log in (`token`,
    `client_ssl`, `base_url`), the servers (`guilds`, the first `voice` with a chatter in
    voice), and the traffic."""

    def __init__(self, servers: int, voice: int) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(target=_main, args=(child, servers, voice),
                                        daemon=True)
        self._process.start()
        child.close()
        hello = self._reply()
        self.base_url: str = hello["base_url"]
        self.token: str = hello["token"]
        self.client_ssl = ssl.create_default_context(cadata=hello["ca_pem"])
        self.guilds: list[Any] = hello["guilds"]

    async def send(self, plan: list[Planned]) -> None:
        """Send the plan's messages, each at its time; returns when the last is sent."""
        self._conn.send(("send", plan))
        await asyncio.to_thread(self._reply, plan[-1][0] + WAIT_S if plan else WAIT_S)

    async def first_audio(self) -> tuple[float, list[float], int]:
        """(CPU seconds the fakes' process used, first-audio delays in the voice servers,
        messages there not heard)."""
        self._conn.send(("report", None))
        return await asyncio.to_thread(self._reply)

    def close(self) -> None:
        """Stop the fakes (after the bot has closed) and their process."""
        with contextlib.suppress(OSError):
            self._conn.send(("stop", None))
        self._process.join(30)
        if self._process.is_alive():
            self._process.kill()
            self._process.join()
        self._conn.close()

    def _reply(self, within: float = WAIT_S) -> Any:
        if not self._conn.poll(within):
            raise TimeoutError(f"the fakes' process did not answer within {within:.0f} s")
        return self._conn.recv()


class UtteranceSpans:
    """Stands in for the fake voice server's list of received packets: keeps when each
    utterance began and ended per SSRC (discord.py ends each played source with silence
    markers), not the packets, so the fakes' memory does not grow with the audio they hear."""

    def __init__(self) -> None:
        self.spans: dict[int, list[list[float]]] = {}
        self._open: set[int] = set()
        self.count = 0

    def append(self, packet: Any) -> None:
        self.count += 1
        if packet.end_marker:
            self._open.discard(packet.ssrc)
        elif packet.ssrc in self._open:
            self.spans[packet.ssrc][-1][1] = packet.received_at
        else:
            self._open.add(packet.ssrc)
            self.spans.setdefault(packet.ssrc, []).append(
                [packet.received_at, packet.received_at])

    def __len__(self) -> int:
        return self.count


def _main(conn: Connection, servers: int, voice: int) -> None:
    asyncio.run(_serve(conn, servers, voice))


async def _serve(conn: Connection, servers: int, voice_count: int) -> None:
    discord_fake, voice_fake = fakes()
    voice, fake = voice_fake.FakeVoiceServer(), discord_fake.FakeDiscord()
    voice.packets = UtteranceSpans()
    guilds = [fake.add_guild(f"Server {i}") for i in range(servers)]
    authors = [int(fake.add_member(g, "chatter", voice_channel_id=(
        g.voice_channel_id if i < voice_count else None))["user"]["id"])
        for i, g in enumerate(guilds)]
    await voice.start()
    fake.voice_endpoint = voice.endpoint
    await fake.start()
    conn.send({"base_url": fake.base_url, "token": fake.token, "ca_pem": voice.ca_pem,
               "guilds": guilds})
    sent: dict[int, list[float]] = {}
    cpu0 = time.process_time()
    try:
        while True:
            command, argument = await asyncio.to_thread(conn.recv)
            if command == "send":
                await _traffic(fake, guilds, authors, argument, voice_count, sent)
                conn.send(None)
            elif command == "report":
                first, unheard = _first_audio(voice, guilds, sent)
                conn.send((time.process_time() - cpu0, first, unheard))
            else:
                break
    finally:
        await fake.stop()
        await voice.stop()


async def _traffic(fake: Any, guilds: list[Any], authors: list[int], plan: list[Planned],
                   voice_count: int, sent: dict[int, list[float]]) -> None:
    """Send the plan; keeps the voice servers' send times in `sent`."""
    t0 = time.monotonic()
    for at, index, text in plan:
        delay = t0 + at - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        when = await post(fake, guilds[index], authors[index], text)
        if index < voice_count:
            sent.setdefault(index, []).append(when)


def _first_audio(voice: Any, guilds: list[Any], sent: dict[int, list[float]]
                 ) -> tuple[list[float], int]:
    """Each voice-server message's wait for its first packet: from the message, or from the
    end of the previous utterance when the channel was still speaking."""
    spans: UtteranceSpans = voice.packets
    by_guild: dict[int, set[int]] = {}
    for session in list(voice.sessions):
        by_guild.setdefault(int(session.identify["server_id"]), set()).add(session.ssrc)
    first, unheard = [], 0
    for index, times in sent.items():
        heard = sorted(span for ssrc in by_guild.get(guilds[index].id, set())
                       for span in spans.spans.get(ssrc, []))
        for i, at in enumerate(times):
            if i >= len(heard):
                unheard += 1
                continue
            # discord.py sends nothing between utterances: the first packet starts one.
            free = heard[i - 1][1] if i else at
            first.append(heard[i][0] - max(at, free))
    return first, unheard
