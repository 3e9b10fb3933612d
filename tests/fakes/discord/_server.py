"""FakeDiscord: state, recording, waiting, and the helpers tests drive it with."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import discord
import discord.http
import yarl
from aiohttp import web

from . import _payloads as p
from ._gateway import GatewayFrame, GatewaySession, OpHook, handle_gateway
from ._rest import RecordedRequest, build_routes, record_middleware

API_PREFIX = "/api/v10"


def gateway_url(base_url: str) -> str:
    """The gateway's ws:// URL of the fake listening on `base_url`."""
    return base_url.replace("http://", "ws://") + "/gateway"


@contextlib.contextmanager
def pointed_at(base_url: str) -> Iterator[None]:
    """Point discord.py's REST base and gateway at the fake listening on `base_url` (restored
    on exit); the fake may run in another process."""
    old_base = discord.http.Route.BASE
    old_gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    discord.http.Route.BASE = base_url + API_PREFIX
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url(base_url))
    try:
        yield
    finally:
        discord.http.Route.BASE = old_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old_gateway


@dataclass
class FakeGuild:
    """Handles to the ids of a guild the fake serves (see `FakeDiscord.add_guild`)."""

    id: int
    text_channel_id: int
    voice_channel_id: int
    owner_id: int
    members: dict[int, dict[str, Any]] = field(default_factory=dict)


@dataclass
class FakeInteraction:
    """An interaction the fake sent; its replies are found by token."""

    fake: FakeDiscord
    id: int
    token: str
    payload: dict[str, Any]

    @property
    def callbacks(self) -> list[RecordedRequest]:
        """The bot's callback requests for this interaction (normally one)."""
        return [r for r in self.fake.requests
                if r.path == f"/interactions/{self.id}/{self.token}/callback"]

    @property
    def edits(self) -> list[RecordedRequest]:
        """Every PATCH of the original response, in order."""
        return [r for r in self.fake.requests if r.method == "PATCH"
                and r.path.endswith(f"/{self.token}/messages/@original")]

    @property
    def followups(self) -> list[RecordedRequest]:
        """Follow-up messages the bot posted."""
        return [r for r in self.fake.requests if r.method == "POST"
                and r.path == f"/webhooks/{self.fake.application_id}/{self.token}"]

    @property
    def original(self) -> dict[str, Any] | None:
        """The current state of the original response message, if any."""
        mid = self.fake.originals.get(self.token)
        return self.fake.messages.get(mid) if mid else None

    async def response(self, within: float = 10.0) -> RecordedRequest:
        """Wait for the bot's callback and return it."""
        await self.fake.wait_until(lambda: bool(self.callbacks), within)
        return self.callbacks[0]

    async def wait_original(
        self, pred: Callable[[dict[str, Any]], bool], within: float = 15.0
    ) -> dict[str, Any]:
        """Wait until the original response satisfies `pred`; return it."""
        await self.fake.wait_until(lambda: self.original is not None and pred(self.original),
                                   within)
        assert self.original is not None
        return self.original


class FakeDiscord:
    """A loopback Discord: REST under `/api/v10`, the gateway at `/gateway`."""

    def __init__(self, token: str = "fake-token") -> None:
        self.token = token
        self.application_id = p.snowflake()
        self.bot_user = p.user(p.snowflake(), "TTS Bot", bot=True)
        self.bot_user_id = int(self.bot_user["id"])
        self.guilds: dict[int, dict[str, Any]] = {}
        self.messages: dict[int, dict[str, Any]] = {}
        self.originals: dict[str, int] = {}
        self.attachment_data: dict[int, bytes] = {}
        self.interactions: dict[str, FakeInteraction] = {}
        #: user id -> the id of the bot's DM channel with that user.
        self.dm_channels: dict[int, int] = {}
        #: voice channel id -> the status the bot set on it (`PUT /channels/{id}/voice-status`).
        self.voice_statuses: dict[int, str | None] = {}
        self.commands: dict[int | None, list[dict[str, Any]]] = {}
        self.requests: list[RecordedRequest] = []
        self.frames: list[GatewayFrame] = []
        self.sessions: list[GatewaySession] = []
        self.op_hooks: dict[int, OpHook] = {}
        self.overrides: list[tuple[str, str, Callable[..., Any]]] = []
        #: Seconds every REST request takes to be answered (Discord's is about 0.25 s).
        self.rest_latency_s = 0.0
        #: Interaction tokens that have expired (Discord's last 15 minutes): webhook calls
        #: with them answer 401 Invalid Webhook Token.
        self.expired_tokens: set[str] = set()
        #: Where VOICE_SERVER_UPDATE points the bot (host:port of a fake voice server).
        self.voice_endpoint = "127.0.0.1:1"
        #: (guild id, user id) -> the voice channel the user is in, from every voice state sent.
        self.voice_channels: dict[tuple[int, int], int | None] = {}
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    # --- lifecycle -------------------------------------------------------------------------
    async def start(self) -> None:
        """Listen on a free loopback port."""
        app = web.Application(middlewares=[record_middleware(self)], client_max_size=64 << 20)

        async def gateway(request: web.Request) -> web.WebSocketResponse:
            return await handle_gateway(self, request)

        app.router.add_get("/gateway", gateway)
        build_routes(self, app, API_PREFIX)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        """Close every gateway session and stop listening."""
        for session in list(self.sessions):
            await session.ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def gateway_url(self) -> str:
        """The gateway's ws:// URL."""
        return gateway_url(self.base_url)

    def patched(self) -> contextlib.AbstractContextManager[None]:
        """Point discord.py's REST base and gateway at this fake (restored on exit)."""
        return pointed_at(self.base_url)

    # --- waiting ---------------------------------------------------------------------------
    async def notify(self) -> None:
        """Wake every `wait_until` (called after each state change)."""
        async with self._changed:
            self._changed.notify_all()

    async def wait_until(self, pred: Callable[[], bool], within: float = 10.0) -> None:
        """Wait until `pred()` holds, re-checked after every request and frame."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(pred), within)

    async def wait_for_request(
        self, pred: Callable[[RecordedRequest], bool], within: float = 10.0
    ) -> RecordedRequest:
        """The first recorded request matching `pred` (waiting for it if needed)."""
        await self.wait_until(lambda: any(pred(r) for r in self.requests), within)
        return next(r for r in self.requests if pred(r))

    async def wait_for_frame(
        self, op: int, pred: Callable[[Any], bool] = lambda d: True, within: float = 10.0
    ) -> GatewayFrame:
        """The first gateway frame with opcode `op` whose data matches `pred`."""
        def found() -> bool:
            return any(f.op == op and pred(f.d) for f in self.frames)
        await self.wait_until(found, within)
        return next(f for f in self.frames if f.op == op and pred(f.d))

    async def _record_frame(self, frame: GatewayFrame) -> None:
        self.frames.append(frame)
        await self.notify()

    # --- hooks -----------------------------------------------------------------------------
    def on_gateway_op(self, op: int, hook: OpHook) -> None:
        """Replace the fake's handling of gateway opcode `op` with `hook(session, data)`."""
        self.op_hooks[op] = hook

    def override(self, method: str, path_regex: str, handler: Callable[..., Any]) -> None:
        """Answer REST requests matching `method` and `path_regex` (after /api/v10) with
        `await handler(request, match) -> web.Response` instead of the default route."""
        self.overrides.append((method.upper(), path_regex, handler))

    # --- guilds and events -----------------------------------------------------------------
    def add_guild(self, name: str = "Test Server", *, owner_id: int | None = None) -> FakeGuild:
        """A guild with one text and one voice channel and the bot as a member.
        Call before the bot connects (it arrives in GUILD_CREATE) or send it with
        `dispatch("GUILD_CREATE", fake.guilds[id])`."""
        gid = p.snowflake()
        text_id, voice_id = p.snowflake(), p.snowflake()
        owner = owner_id or p.snowflake()
        self.guilds[gid] = {
            "id": str(gid), "name": name, "owner_id": str(owner), "icon": None,
            "roles": [p.role(gid, "@everyone", p.MEMBER_PERMISSIONS)],
            "channels": [p.text_channel(text_id, gid, "general"),
                         p.voice_channel(voice_id, gid, "Voice", 1)],
            "members": [p.member(self.bot_user)], "voice_states": [], "threads": [],
            "presences": [], "emojis": [], "stickers": [], "features": [], "stage_instances": [],
            "member_count": 1, "large": False, "unavailable": False, "joined_at": p.now_iso(),
            "premium_tier": 0, "afk_timeout": 300, "mfa_level": 0, "verification_level": 0,
            "explicit_content_filter": 0, "default_message_notifications": 0,
            "preferred_locale": "en-US", "nsfw_level": 0, "system_channel_flags": 0,
        }
        return FakeGuild(gid, text_id, voice_id, owner)

    def add_member(
        self, guild: FakeGuild, name: str, *, user_id: int | None = None,
        voice_channel_id: int | None = None,
    ) -> dict[str, Any]:
        """Add a member to a guild's GUILD_CREATE payload (optionally in a voice channel)."""
        uid = user_id or p.snowflake()
        mem = p.member(p.user(uid, name))
        data = self.guilds[guild.id]
        data["members"].append(mem)
        data["member_count"] = len(data["members"])
        guild.members[uid] = mem
        if voice_channel_id is not None:
            data["voice_states"].append(p.voice_state(guild.id, voice_channel_id, uid))
            self.voice_channels[guild.id, uid] = voice_channel_id
        return mem

    def voice_channel(self, guild_id: int, user_id: int) -> int | None:
        """The voice channel a user is in, as Discord knows it (what a voice server asks)."""
        return self.voice_channels.get((guild_id, user_id))

    def _track_voice_state(self, event: str, data: Any) -> None:
        if event == "VOICE_STATE_UPDATE" and data.get("guild_id"):
            channel = data.get("channel_id")
            self.voice_channels[int(data["guild_id"]), int(data["user_id"])] = (
                int(channel) if channel else None)

    async def dispatch(self, event: str, data: Any, guild_id: int | None = None) -> None:
        """Send a DISPATCH event to every session (or to the shard owning `guild_id`)."""
        self._track_voice_state(event, data)
        for session in list(self.sessions):
            if guild_id is None or session.owns_guild(guild_id):
                await session.dispatch(event, data)

    async def answer_voice_state_update(self, session: GatewaySession, data: Any) -> None:
        """Default op 4 answer: VOICE_STATE_UPDATE for the bot, then VOICE_SERVER_UPDATE."""
        guild_id = int(data["guild_id"])
        channel = data.get("channel_id")
        state = p.voice_state(guild_id, int(channel) if channel else None, self.bot_user_id,
                              session_id="fake-voice-session",
                              member_payload=p.member(self.bot_user))
        self._track_voice_state("VOICE_STATE_UPDATE", state)
        await session.dispatch("VOICE_STATE_UPDATE", state)
        if channel:
            await session.dispatch("VOICE_SERVER_UPDATE", {
                "token": "fake-voice-token", "guild_id": str(guild_id),
                "endpoint": self.voice_endpoint,
            })

    # --- interactions ----------------------------------------------------------------------
    async def send_interaction(
        self, guild: FakeGuild | None, user_id: int, kind: int, data: dict[str, Any], *,
        permissions: int = p.MEMBER_PERMISSIONS, message: dict[str, Any] | None = None,
        attachment_size_limit: int = 10 * 1024 * 1024, name: str = "tester",
    ) -> FakeInteraction:
        """Dispatch INTERACTION_CREATE of type `kind` (2 command, 3 component, 4 autocomplete)."""
        iid, token = p.snowflake(), f"itoken-{p.snowflake()}"
        user = p.user(user_id, name)
        payload: dict[str, Any] = {
            "id": str(iid), "type": kind, "token": token, "version": 1, "data": data,
            "application_id": str(self.application_id), "locale": "en-US",
            "attachment_size_limit": attachment_size_limit, "app_permissions": str(
                p.ALL_PERMISSIONS), "entitlements": [], "authorizing_integration_owners": {},
            "context": 0 if guild else 1,
        }
        if guild is not None:
            payload["guild_id"] = str(guild.id)
            payload["guild_locale"] = "en-US"
            payload["channel_id"] = str(guild.text_channel_id)
            payload["channel"] = {"id": str(guild.text_channel_id), "type": 0, "name": "general",
                                  "guild_id": str(guild.id)}
            payload["member"] = p.member(user, permissions=permissions)
        else:
            dm_id = self.dm_channels.setdefault(user_id, p.snowflake())
            payload["user"] = user
            payload["channel_id"] = str(dm_id)
            payload["channel"] = {"id": str(dm_id), "type": 1, "recipients": [user]}
        if message is not None:
            payload["message"] = message
        handle = FakeInteraction(self, iid, token, payload)
        self.interactions[token] = handle
        await self.dispatch("INTERACTION_CREATE", payload, guild.id if guild else None)
        return handle

    async def slash(
        self, guild: FakeGuild | None, user_id: int, command: str,
        options: dict[str, Any] | None = None, **kw: Any,
    ) -> FakeInteraction:
        """Invoke `/command` (a space means a subcommand: `"settings user"`) with options."""
        name, *sub = command.split()
        opts = p.command_options(options or {})
        for subname in reversed(sub):
            opts = [{"name": subname, "type": 1, "options": opts}]
        data = {"id": str(p.snowflake()), "name": name, "type": 1, "options": opts}
        if guild is not None:
            data["guild_id"] = str(guild.id)
        return await self.send_interaction(guild, user_id, 2, data, **kw)

    async def autocomplete(
        self, guild: FakeGuild | None, user_id: int, command: str, options: dict[str, Any],
        focused: str, **kw: Any,
    ) -> list[dict[str, Any]]:
        """Ask for autocomplete choices of option `focused`; return the bot's choices."""
        name, *sub = command.split()
        opts = p.command_options(options, focused)
        for subname in reversed(sub):
            opts = [{"name": subname, "type": 1, "options": opts}]
        data = {"id": str(p.snowflake()), "name": name, "type": 1, "options": opts}
        handle = await self.send_interaction(guild, user_id, 4, data, **kw)
        reply = await handle.response()
        assert reply.json is not None and reply.json["type"] == 8, reply.json
        return list(reply.json["data"]["choices"])

    async def select(
        self, guild: FakeGuild | None, user_id: int, message_id: int, custom_id: str,
        values: list[str], **kw: Any,
    ) -> FakeInteraction:
        """Choose `values` in the string select menu `custom_id` on a stored message."""
        data = {"custom_id": custom_id, "component_type": 3, "values": values}
        return await self.send_interaction(
            guild, user_id, 3, data, message=self.messages[message_id], **kw)

    async def click(
        self, guild: FakeGuild | None, user_id: int, message_id: int, custom_id: str, **kw: Any
    ) -> FakeInteraction:
        """Press the button `custom_id` on a stored message."""
        data = {"custom_id": custom_id, "component_type": 2}
        return await self.send_interaction(
            guild, user_id, 3, data, message=self.messages[message_id], **kw)
