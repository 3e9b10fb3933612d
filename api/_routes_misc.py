"""Locally stored audio (with range requests), the health probe, and the OpenAPI document."""

from __future__ import annotations

import logging
import re

from aiohttp import web

from api._encode import FILE_TYPES
from api._keys import CONTEXT
from api.errors import AudioNotFound
from api.openapi import openapi_document
from api.schemas import Health

log = logging.getLogger(__name__)
routes = web.RouteTableDef()

# Only names the audio store writes; anything else (dots, slashes) never reaches the disk.
_AUDIO_NAME = re.compile(r"[A-Za-z0-9_-]{1,128}\.(wav|ogg|mp3|flac)")


@routes.get("/audio/{name}")
async def audio_file(request: web.Request) -> web.StreamResponse:
    """A finished clip from the local store; supports Range, HEAD and conditional requests."""
    name = request.match_info["name"]
    match = _AUDIO_NAME.fullmatch(name)
    if match is None:
        raise AudioNotFound()
    path = request.app[CONTEXT].audio_dir / name
    if not path.is_file():
        raise AudioNotFound()
    headers = {"Content-Type": FILE_TYPES[match[1]], "Cache-Control": "public, max-age=86400"}
    return web.FileResponse(path, headers=headers)


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.Response:
    """Engine loaded (or lazy), database reachable, queue depth; 503 when something is down."""
    ctx = request.app[CONTEXT]
    depth: int | None
    try:
        depth, database = await ctx.queue_depth(), True
    except Exception:  # any failure to query is "unreachable" for a probe
        log.warning("health: the database did not answer", exc_info=True)
        depth, database = None, False
    loaded = ctx.engine.ready
    # A lazily loaded engine loads at its first request: not loaded yet is not "down".
    engine_ok = loaded or ctx.engine.config.load == "lazy"
    health = Health(
        status="ok" if engine_ok and database else "degraded",
        engine_loaded=loaded,
        database=database,
        queue_depth=depth,
    )
    return web.json_response(health.model_dump(), status=200 if health.status == "ok" else 503)


@routes.get("/api/v1/openapi.json")
async def openapi(request: web.Request) -> web.Response:
    """This API's OpenAPI 3.1 document."""
    return web.json_response(openapi_document(request.app[CONTEXT].api.keys != {}))
