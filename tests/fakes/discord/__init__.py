"""A loopback fake Discord (REST + gateway) that discord.py's real client connects to.

Usage::

    fake = FakeDiscord(token="t")
    guild = fake.add_guild()                       # before the bot connects: sent in GUILD_CREATE
    alice = fake.add_member(guild, "alice", voice_channel_id=guild.voice_channel_id)
    await fake.start()                             # 127.0.0.1, free port
    with fake.patched():                           # Route.BASE and DEFAULT_GATEWAY point here
        await bot.login("t"); task = asyncio.create_task(bot.connect())
        await asyncio.wait_for(bot.wait_until_ready(), 10)
        ia = await fake.slash(guild, alice_id, "tts", {"text": "hi", "speed": 1.2})
        await ia.response()                        # the bot's callback (defer/reply)
        msg = await ia.wait_original(lambda m: m["attachments"])   # wait on message state
    await fake.stop()

REST (under `/api/v10`): `GET /users/@me` (401 unless `Authorization: Bot <token>`),
`GET /oauth2/applications/@me`, `GET /gateway/bot`, `PUT|GET /applications/{app}[/guilds/{g}]
/commands` (stored in `fake.commands[guild_id or None]`), `POST /interactions/{id}/{token}
/callback` (types 4, 5, 6, 7, 8), `GET|PATCH|DELETE /webhooks/{app}/{token}/messages/@original`
and `/messages/{id}`, `POST /webhooks/{app}/{token}` (follow-ups), `POST /channels/{id}/messages`,
`GET|PATCH|DELETE /channels/{id}/messages/{id}`, `PUT /channels/{id}/voice-status` (kept in
`fake.voice_statuses[channel_id]`); uploaded files are served at
`/attachments/{id}`. Unknown routes answer a JSON 404. Every request is recorded in
`fake.requests` as `RecordedRequest(method, path, query, json, files, headers)`, where `json` is
the body or the multipart `payload_json` and `files` the uploaded parts. Messages the bot creates
live in `fake.messages[id]` (payload dicts, updated by edits); `fake.originals[token]` is the
message id of an interaction's original response. `fake.override(method, path_regex, handler)`
answers matching requests with `await handler(request, match)` (e.g. to inject errors).
`fake.rest_latency_s` delays every REST answer (Discord's is about 0.25 s); a token added to
`fake.expired_tokens` makes its webhook and callback calls answer 401 (50027), as Discord does
15 minutes after the interaction.

Gateway (`/gateway`, plain JSON text frames): HELLO, then IDENTIFY -> READY + one GUILD_CREATE per
guild the shard owns; heartbeats are ACKed; RESUME -> RESUMED; REQUEST_GUILD_MEMBERS (8) ->
GUILD_MEMBERS_CHUNK; VOICE_STATE_UPDATE (4) -> VOICE_STATE_UPDATE for the bot, then
VOICE_SERVER_UPDATE with `endpoint=fake.voice_endpoint`. Each frame the client sends is
recorded in `fake.frames` (`GatewayFrame(op, d, shard_id)`). `fake.on_gateway_op(op, hook)`
replaces the handling of an opcode with `await hook(session, data)`; `session.dispatch(event,
data)` answers on that shard. `await fake.dispatch(event, data, guild_id=None)` sends any event
(MESSAGE_CREATE, VOICE_STATE_UPDATE, ...) to every shard, or the one owning `guild_id`.

Interactions: `fake.slash(guild, user_id, "settings user", {...}, permissions=...,
attachment_size_limit=...)` (`guild=None`: a DM, channel id in `fake.dm_channels[user_id]`),
`fake.autocomplete(guild, user_id, "tts", {...}, focused="voice")`
(returns the choices), `fake.click(guild, user_id, message_id, custom_id)`,
`fake.select(guild, user_id, message_id, custom_id, values)`; each returns a `FakeInteraction`
with `.callbacks`, `.edits`, `.followups`, `.original`, `await .response()`,
`await .wait_original(pred)`. Waiting: `await fake.wait_until(pred, within=10.0)`,
`wait_for_request(pred)`, `wait_for_frame(op, pred)` (all re-checked on every change; no sleeps).
Payload builders (users, members, channels, voice states, messages) live in `payloads`.
"""

from __future__ import annotations

from . import _payloads as payloads
from ._gateway import GatewayFrame, GatewaySession
from ._rest import RecordedFile, RecordedRequest, reply
from ._server import FakeDiscord, FakeGuild, FakeInteraction, pointed_at

__all__ = [
    "FakeDiscord", "FakeGuild", "FakeInteraction", "GatewayFrame", "GatewaySession",
    "RecordedFile", "RecordedRequest", "payloads", "pointed_at", "reply",
]
