"""The fake's REST routes and the middleware that records every request."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from . import _payloads as p

if TYPE_CHECKING:
    from ._server import FakeDiscord

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
EPHEMERAL, LOADING = 1 << 6, 1 << 7


@dataclass
class RecordedFile:
    """A file the bot uploaded in a multipart request."""

    field: str
    filename: str
    content_type: str
    data: bytes


@dataclass
class RecordedRequest:
    """One REST request the bot made (path without the `/api/v10` prefix)."""

    method: str
    path: str
    query: dict[str, str]
    json: Any
    files: list[RecordedFile] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    #: `time.monotonic()` when the request arrived (for rate-limit assertions).
    received_at: float = field(default_factory=time.monotonic)


REC = web.RequestKey("rec", RecordedRequest)


def reply(data: Any, status: int = 200) -> web.Response:
    """JSON with exactly `application/json`: discord.py rejects a charset suffix."""
    body = b"" if data is None else json.dumps(data).encode()
    return web.Response(body=body, status=status, content_type="application/json")


async def _parse(request: web.Request) -> tuple[Any, list[RecordedFile]]:
    if request.content_type.startswith("multipart/"):
        payload: Any = None
        files: list[RecordedFile] = []
        reader = await request.multipart()
        async for part in reader:
            raw = await part.read()  # type: ignore[union-attr]
            if part.name == "payload_json":
                payload = json.loads(raw)
            else:
                files.append(RecordedFile(part.name or "", part.filename or "",
                                          part.headers.get("Content-Type", ""), bytes(raw)))
        return payload, files
    raw = await request.read()
    return (json.loads(raw) if raw else None), []


#: Discord refuses a message whose content is longer than this (400, code 50035).
MAX_CONTENT_CHARS = 2000


def _too_long(body: Any) -> bool:
    """A message body (or an interaction callback's `data`) with content over the limit."""
    if isinstance(body, dict) and isinstance(body.get("data"), dict):
        body = body["data"]
    content = body.get("content") if isinstance(body, dict) else None
    return isinstance(content, str) and len(content) > MAX_CONTENT_CHARS


def record_middleware(fake: FakeDiscord) -> Any:
    """Record each REST request, check the bot token, and apply overrides."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path == "/gateway":
            return await handler(request)
        path = request.path.removeprefix("/api/v10")
        body, files = await _parse(request)
        rec = RecordedRequest(request.method, path, dict(request.query), body, files,
                              dict(request.headers))
        request[REC] = rec
        fake.requests.append(rec)
        await fake.notify()
        if fake.rest_latency_s:
            await asyncio.sleep(fake.rest_latency_s)  # a slow network, not synchronisation
        if fake.expired_tokens.intersection(path.split("/")):
            return reply({"message": "Invalid Webhook Token", "code": 50027}, 401)
        webhookish = path.startswith(("/webhooks/", "/interactions/", "/attachments/"))
        if not webhookish and request.headers.get("Authorization") != f"Bot {fake.token}":
            return reply({"message": "401: Unauthorized", "code": 0}, 401)
        if _too_long(body):
            return reply({"message": "Invalid Form Body", "code": 50035, "errors": {
                "content": {"_errors": [{"code": "BASE_TYPE_MAX_LENGTH",
                                         "message": "Must be 2000 or fewer in length."}]}}},
                400)
        for method, pattern, override in fake.overrides:
            match = re.fullmatch(pattern, path)
            if method == request.method and match:
                return await override(request, match)  # type: ignore[no-any-return]
        return await handler(request)

    return middleware


def _apply(fake: FakeDiscord, msg: dict[str, Any], body: dict[str, Any],
           files: list[RecordedFile]) -> dict[str, Any]:
    """Apply a create/edit body (and uploaded files) to a stored message."""
    for key in ("content", "embeds", "components", "flags"):
        if key in body and body[key] is not None:
            msg[key] = body[key]
    if "attachments" in body or files:
        kept = {str(a.get("id")) for a in body.get("attachments") or []}
        attachments = [a for a in msg["attachments"] if a["id"] in kept]
        for f in files:
            aid = p.snowflake()
            fake.attachment_data[aid] = f.data
            attachments.append({
                "id": str(aid), "filename": f.filename, "size": len(f.data),
                "content_type": f.content_type, "url": f"{fake.base_url}/attachments/{aid}",
                "proxy_url": f"{fake.base_url}/attachments/{aid}",
            })
        msg["attachments"] = attachments
    if "content" in body or "embeds" in body:
        msg["flags"] = msg.get("flags", 0) & ~LOADING
    return msg


def _new_message(fake: FakeDiscord, channel_id: int, body: dict[str, Any],
                 files: list[RecordedFile], *, webhook: bool = False) -> dict[str, Any]:
    msg = p.message(p.snowflake(), channel_id, fake.bot_user)
    if webhook:
        msg["webhook_id"] = str(fake.application_id)
        msg["application_id"] = str(fake.application_id)
    _apply(fake, msg, body or {}, files)
    fake.messages[int(msg["id"])] = msg
    return msg


def _interaction_channel(fake: FakeDiscord, token: str) -> int:
    handle = fake.interactions.get(token)
    return int(handle.payload.get("channel_id", 0)) if handle else 0


def build_routes(fake: FakeDiscord, app: web.Application, prefix: str) -> None:
    """Add the REST routes discord.py's client uses."""
    r = app.router

    async def users_me(request: web.Request) -> web.Response:
        return reply(fake.bot_user)

    async def app_me(request: web.Request) -> web.Response:
        return reply({
            "id": str(fake.application_id), "name": "TTS Bot", "description": "", "icon": None,
            "bot_public": True, "bot_require_code_grant": False, "verify_key": "00",
            "owner": p.user(p.snowflake(), "owner"), "flags": 0, "team": None,
            "summary": "", "rpc_origins": [],
        })

    async def gateway_bot(request: web.Request) -> web.Response:
        return reply({"url": fake.gateway_url, "shards": 1, "session_start_limit": {
            "total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}})

    async def put_commands(request: web.Request) -> web.Response:
        guild = request.match_info.get("guild")
        cmds = [dict(c, id=str(p.snowflake()), application_id=str(fake.application_id),
                     version="1") for c in request[REC].json or []]
        fake.commands[int(guild) if guild else None] = cmds
        await fake.notify()
        return reply(cmds)

    async def get_commands(request: web.Request) -> web.Response:
        guild = request.match_info.get("guild")
        return reply(fake.commands.get(int(guild) if guild else None, []))

    async def callback(request: web.Request) -> web.Response:
        rec: RecordedRequest = request[REC]
        token = request.match_info["token"]
        body, kind = rec.json or {}, (rec.json or {}).get("type")
        data = body.get("data") or {}
        handle = fake.interactions.get(token)
        msg: dict[str, Any] | None = None
        if kind in (4, 5):
            flags = (data.get("flags") or 0) | (LOADING if kind == 5 else 0)
            msg = _new_message(fake, _interaction_channel(fake, token), dict(data, flags=flags),
                               rec.files, webhook=True)
            fake.originals[token] = int(msg["id"])
        elif kind in (6, 7) and handle and "message" in handle.payload:
            msg = fake.messages[int(handle.payload["message"]["id"])]
            if kind == 7:
                _apply(fake, msg, data, rec.files)
            fake.originals[token] = int(msg["id"])
        await fake.notify()
        out: dict[str, Any] = {"interaction": {
            "id": request.match_info["iid"], "type": handle.payload["type"] if handle else 2,
            "response_message_loading": kind == 5,
            "response_message_ephemeral": bool((data.get("flags") or 0) & EPHEMERAL)}}
        if msg is not None:
            out["interaction"]["response_message_id"] = msg["id"]
            out["resource"] = {"type": kind, "message": msg}
        return reply(out)

    async def original(request: web.Request) -> web.Response:
        rec: RecordedRequest = request[REC]
        mid = fake.originals.get(request.match_info["token"])
        if mid is None:
            return reply({"message": "Unknown Message", "code": 10008}, 404)
        msg = fake.messages[mid]
        if request.method == "PATCH":
            _apply(fake, msg, rec.json or {}, rec.files)
            msg["edited_timestamp"] = p.now_iso()
        elif request.method == "DELETE":
            del fake.messages[mid], fake.originals[request.match_info["token"]]
            await fake.notify()
            return web.Response(status=204)
        await fake.notify()
        return reply(msg)

    async def followup(request: web.Request) -> web.Response:
        rec: RecordedRequest = request[REC]
        token = request.match_info["token"]
        msg = _new_message(fake, _interaction_channel(fake, token), rec.json or {}, rec.files,
                           webhook=True)
        await fake.notify()
        return reply(msg)

    async def webhook_message(request: web.Request) -> web.Response:
        rec: RecordedRequest = request[REC]
        mid = int(request.match_info["mid"])
        if mid not in fake.messages:
            return reply({"message": "Unknown Message", "code": 10008}, 404)
        if request.method == "DELETE":
            del fake.messages[mid]
            await fake.notify()
            return web.Response(status=204)
        if request.method == "PATCH":
            _apply(fake, fake.messages[mid], rec.json or {}, rec.files)
        await fake.notify()
        return reply(fake.messages[mid])

    async def channel_messages(request: web.Request) -> web.Response:
        rec: RecordedRequest = request[REC]
        msg = _new_message(fake, int(request.match_info["cid"]), rec.json or {}, rec.files)
        await fake.notify()
        return reply(msg)

    async def voice_status(request: web.Request) -> web.Response:
        # Discord answers 204; the status is shown in the channel list (kept per channel).
        rec: RecordedRequest = request[REC]
        fake.voice_statuses[int(request.match_info["cid"])] = (rec.json or {}).get("status")
        await fake.notify()
        return web.Response(status=204)

    async def attachment(request: web.Request) -> web.Response:
        data = fake.attachment_data.get(int(request.match_info["aid"]))
        if data is None:
            return reply({"message": "Unknown Attachment"}, 404)
        return web.Response(body=data, content_type="application/octet-stream")

    r.add_get(prefix + "/users/@me", users_me)
    r.add_get(prefix + "/oauth2/applications/@me", app_me)
    r.add_get(prefix + "/gateway/bot", gateway_bot)
    r.add_put(prefix + "/applications/{app}/commands", put_commands)
    r.add_get(prefix + "/applications/{app}/commands", get_commands)
    r.add_put(prefix + "/applications/{app}/guilds/{guild}/commands", put_commands)
    r.add_get(prefix + "/applications/{app}/guilds/{guild}/commands", get_commands)
    r.add_post(prefix + "/interactions/{iid}/{token}/callback", callback)
    r.add_route("*", prefix + "/webhooks/{app}/{token}/messages/@original", original)
    r.add_route("*", prefix + "/webhooks/{app}/{token}/messages/{mid:[0-9]+}", webhook_message)
    r.add_post(prefix + "/webhooks/{app}/{token}", followup)
    r.add_post(prefix + "/channels/{cid}/messages", channel_messages)
    r.add_route("*", prefix + "/channels/{cid}/messages/{mid:[0-9]+}", webhook_message)
    r.add_put(prefix + "/channels/{cid}/voice-status", voice_status)
    r.add_get("/attachments/{aid}", attachment)

    async def not_found(request: web.Request) -> web.Response:
        return reply({"message": "404: Not Found (fake Discord has no such route)", "code": 0},
                     404)

    r.add_route("*", prefix + "/{tail:.*}", not_found)
