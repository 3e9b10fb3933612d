"""The voice manager: one player per server, joining, leaving, and cleaning up after Discord.

The bot reaches it as `bot.voice_manager`. Players end (and the bot leaves) when the channel
has no humans left after a grace period, after the idle timeout, or when Discord disconnects
the bot; a move by Discord keeps the player and its queue (discord.py follows the move).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import discord

from bot.metrics import VOICE_CHANNELS
from bot.settings import VoiceSettings
from bot.voice.errors import BusyElsewhere, ConnectFailed, NotConnected, NotInVoice
from bot.voice.locks import KeyedLocks
from bot.voice.overload import Overload
from bot.voice.pacing import Pacer
from bot.voice.player import GuildPlayer
from bot.voice.text import NameAnnouncer
from bot.voice.utterance import Utterance
from tts_engine import Engine, SpeechRequest

log = logging.getLogger(__name__)

#: Also how long discord.py's player and reconnects wait. Above 30 s on purpose: after a dropped
#: connection discord.py's UDP reader can sit up to 30 s in select() on the old socket before
#: it sees the new one, and IP discovery waits on that reader.
CONNECT_TIMEOUT_S = 45.0
#: How long the player thread holds audio while the channel's DAVE group is still forming (just
#: joined or moved: discord.py would send it without end-to-end encryption meanwhile).
DAVE_HOLD_S = 2.0
VoiceChannel = discord.VoiceChannel | discord.StageChannel


class TrackedVoiceClient(discord.VoiceClient):
    """discord.py's voice client, telling the manager when it is torn down for good
    (left, kicked, channel deleted, or a failed reconnect)."""

    def __init__(self, client: discord.Client, channel: discord.abc.Connectable, *,
                 on_cleanup: Any) -> None:
        super().__init__(client, channel)
        self._on_cleanup = on_cleanup
        #: When the player thread began holding audio for a forming DAVE group.
        self._dave_held_since: float | None = None

    def cleanup(self) -> None:
        """Unregister (discord.py), then let the manager drop the player."""
        super().cleanup()
        self._on_cleanup(self)

    def send_audio_packet(self, data: bytes, *, encode: bool = True) -> None:
        """Send one frame, never without end-to-end encryption where Discord asked for DAVE.

        discord.py sends audio unencrypted until its DAVE session has keys (after a join or a
        move, or alone after a reset): DAVE listeners drop such frames and the voice server
        could hear them. The player thread holds the frame until the group is ready, up to
        `DAVE_HOLD_S` once; after that frames are dropped until it is.
        """
        if not (encode is False and data == discord.opus.OPUS_SILENCE) and not self._e2ee_ready():
            return
        super().send_audio_packet(data, encode=encode)

    def _e2ee_ready(self) -> bool:
        state = self._connection
        if state.dave_protocol_version == 0 or state.can_encrypt:
            self._dave_held_since = None
            return True
        now = time.monotonic()
        since = self._dave_held_since
        if since is None:
            since = self._dave_held_since = now
            log.info("holding audio until the DAVE group of guild %s is ready", self.guild.id)
        while now - since < DAVE_HOLD_S:
            time.sleep(0.005)  # the player thread; the event loop sets up the keys meanwhile
            if state.dave_protocol_version == 0 or state.can_encrypt:
                self._dave_held_since = None
                return True
            now = time.monotonic()
        return False


class VoiceManager:
    """Owns the per-server players."""

    def __init__(self, bot: discord.Client, engine: Engine, settings: VoiceSettings) -> None:
        self.bot = bot
        self.engine = engine
        self.settings = settings
        self.players: dict[int, GuildPlayer] = {}
        self.announcer = NameAnnouncer(settings.name_repeat_s)
        #: Synthesis speed measured across every server (one machine, one engine).
        self.pacer = Pacer()
        self._locks = KeyedLocks()
        self._leave_timers: dict[int, asyncio.Task[None]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._changed = asyncio.Event()
        #: Servers already told that read-aloud lacks the message content intent.
        self.content_notices: set[int] = set()
        #: Voice channel id -> the status the bot last set there ("Reading #general").
        self.voice_status: dict[int, str] = {}
        players = self.players  # read at each scrape, so the figure is never stale
        VOICE_CHANNELS.set_function(lambda: len(players))

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_until(self, pred: Callable[[], bool], within: float) -> None:
        """Wait until `pred()` holds, re-checked whenever a player or voice client comes or
        goes (`TimeoutError` after `within` seconds)."""
        deadline = asyncio.get_running_loop().time() + within
        while not pred():
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                raise TimeoutError("voice state did not settle in time")
            await asyncio.wait_for(self._changed.wait(), left)

    def player(self, guild_id: int) -> GuildPlayer | None:
        """The live player of a server, if the bot is in voice there."""
        player = self.players.get(guild_id)
        return player if player is not None and player.running else None

    # --- joining and leaving ---------------------------------------------------------------
    async def join(self, channel: VoiceChannel) -> GuildPlayer:
        """Connect to `channel` (or move there) and return the server's player."""
        guild = channel.guild
        async with self._locks.hold(guild.id):
            player = self.player(guild.id)
            if player is not None and player.voice_client.is_connected():
                if player.voice_client.channel.id != channel.id:
                    await player.voice_client.move_to(channel)
                self.check_empty(guild)
                return player
            await self._drop(guild)
            try:
                vc = await channel.connect(
                    cls=partial(TrackedVoiceClient, on_cleanup=self._cleaned_up),
                    timeout=CONNECT_TIMEOUT_S, self_deaf=True)
            except (TimeoutError, discord.ClientException, OSError) as exc:
                raise ConnectFailed(channel.name, type(exc).__name__) from exc
            assert isinstance(vc, discord.VoiceClient)
            player = GuildPlayer(self.engine, vc, self.settings, on_idle=self._idle,
                                 pacer=self.pacer)
            self.players[guild.id] = player
            player.start()
            log.info("joined voice channel %s in guild %s", channel.id, guild.id)
            self._notify()
            self.check_empty(guild)
            return player

    async def leave(self, guild: discord.Guild) -> bool:
        """Stop the player and disconnect; False when the bot was not in voice there."""
        was_in = self.player(guild.id) is not None or guild.voice_client is not None
        await self._drop(guild)
        return was_in

    def _forget(self, guild_id: int) -> None:
        """Drop what the manager keeps about a server it no longer speaks in."""
        self._cancel_leave(guild_id)
        self.announcer.forget(guild_id)
        self.content_notices.discard(guild_id)

    async def _drop(self, guild: discord.Guild) -> None:
        self._forget(guild.id)
        player = self.players.pop(guild.id, None)
        if player is not None:
            await self._clear_status(player.voice_client.channel)
            await player.close()
        vc = guild.voice_client
        if vc is not None:
            await vc.disconnect(force=True)
        self._notify()

    async def _clear_status(self, channel: Any) -> None:
        """Remove the "Reading #channel" status the bot set, when leaving that channel."""
        if self.voice_status.pop(channel.id, None) is None:
            return
        try:
            await channel.edit(status=None)
        except (discord.HTTPException, TypeError, RuntimeError, OSError) as exc:
            log.info("could not clear the status of voice channel %s: %s", channel.id, exc)

    def _cleaned_up(self, vc: TrackedVoiceClient) -> None:
        """The voice client is gone for good: no zombie player may outlive it."""
        self._notify()
        player = self.players.get(vc.guild.id)
        if player is not None and player.voice_client is vc:
            log.info("voice client of guild %s torn down; dropping its player", vc.guild.id)
            del self.players[vc.guild.id]
            self._forget(vc.guild.id)
            self._spawn(player.close())
        if vc.channel is not None and vc.channel.id in self.voice_status:
            self._spawn(self._clear_status(vc.channel))

    async def _idle(self, player: GuildPlayer) -> None:
        """The player's loop ended by itself (idle timeout, or the connection never came
        back): leave."""
        if self.players.get(player.guild_id) is player:
            del self.players[player.guild_id]
            self._forget(player.guild_id)
            await self._clear_status(player.voice_client.channel)
            await player.voice_client.disconnect(force=True)
            self._notify()

    async def forget_guild(self, guild: discord.Guild) -> None:
        """The bot left (or was removed from) a server: nothing of it stays here."""
        await self._drop(guild)

    async def close(self) -> None:
        """Leave every voice channel (shutdown)."""
        for guild_id in list(self.players):
            guild = self.bot.get_guild(guild_id)
            if guild is not None:
                await self._drop(guild)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # --- empty channel ---------------------------------------------------------------------
    def check_empty(self, guild: discord.Guild) -> None:
        """Leave after `empty_channel_grace_s` when no human is in the bot's channel; a
        human coming back in time cancels that."""
        player = self.player(guild.id)
        channel = player.voice_client.channel if player is not None else None
        if channel is None:
            return
        if any(not m.bot for m in channel.members):
            self._cancel_leave(guild.id)
        elif guild.id not in self._leave_timers:
            task = asyncio.get_running_loop().create_task(self._leave_when_empty(guild))
            self._leave_timers[guild.id] = task

    async def _leave_when_empty(self, guild: discord.Guild) -> None:
        await asyncio.sleep(self.settings.empty_channel_grace_s)  # the grace period itself
        self._leave_timers.pop(guild.id, None)
        player = self.player(guild.id)
        if player is not None and not any(not m.bot for m in player.voice_client.channel.members):
            log.info("voice channel empty in guild %s; leaving", guild.id)
            await self._drop(guild)

    def _cancel_leave(self, guild_id: int) -> None:
        task = self._leave_timers.pop(guild_id, None)
        if task is not None and task is not asyncio.current_task():
            task.cancel()

    # --- speaking --------------------------------------------------------------------------
    async def player_for(self, guild: discord.Guild, member: discord.Member | None, *,
                         join: bool = True) -> GuildPlayer:
        """The player that should speak for `member`: the current one if `member` shares its
        channel, else (with `join`) a new connection to the member's channel."""
        wanted = member.voice.channel if member is not None and member.voice else None
        player = self.player(guild.id)
        if player is not None:
            here = player.voice_client.channel
            if wanted is not None and wanted.id != here.id:
                raise BusyElsewhere(here.mention)
            return player
        if not join:
            raise NotConnected()
        if wanted is None:
            raise NotInVoice()
        return await self.join(wanted)

    def enqueue(self, guild_id: int, request: SpeechRequest, label: str = "", *,
                priority: bool = False, overload: Overload | None = None,
                lead: SpeechRequest | None = None) -> Utterance:
        """Queue a validated request (after `lead`, e.g. "alice said") on the server's
        player; `NotConnected` when none. With `overload` (a channel message, under the
        server's controls) it may be sped up or skipped when the queue backs up."""
        player = self.player(guild_id)
        if player is None:
            raise NotConnected()
        if overload is not None:
            player.overload = overload
        return player.enqueue(request, label, priority=priority, skippable=overload is not None,
                              lead=lead)

    async def say(self, guild: discord.Guild, member: discord.Member | None,
                  request: SpeechRequest, label: str = "") -> tuple[Utterance, int]:
        """Join the member's channel if needed and queue `request`; returns the utterance and
        how many are ahead of it."""
        player = await self.player_for(guild, member)
        ahead = player.position
        return player.enqueue(request, label), ahead

    async def play_project(self, guild: discord.Guild, member: discord.Member | None,
                           project: Any) -> int:
        """Read a finished /tts project (a `storage.models.TTSProject`) in the member's voice
        channel; returns how many utterances are ahead of it."""
        request = self.engine.validate(project.spoken, project.voice, project.lang_code,
                                       project.speed)
        _, ahead = await self.say(guild, member, request, label=f"project {project.id}")
        return ahead
