"""The original service's job endpoints: generate, status, history, delete."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from typing import TYPE_CHECKING

from aiohttp import web

from api._keys import CONTEXT, USER_ID
from api._parse import acting_user, read_body, read_query
from api.schemas import Accepted, GenerateRequest, ListQuery, Project, ProjectList
from bot.jobs import JobRequest
from bot.jobs.errors import ProjectNotFound

if TYPE_CHECKING:
    from storage.models import TTSProject

log = logging.getLogger(__name__)
routes = web.RouteTableDef()
# Only id-like segments, so "/api/v1/tts/generate" is never taken for a project id.
TTS_ITEM = "/api/v1/tts/{tts_id:[0-9a-fA-F-]+}"


def project_view(project: TTSProject) -> Project:
    """A stored project as the API shows it; the audio link only once the audio exists."""
    status = str(project.status)
    return Project(
        tts_id=str(project.id),
        user_id=project.user_id,
        text=project.text,
        spoken_text=project.spoken,
        voice=project.voice,
        speed=project.speed,
        lang_code=project.lang_code,
        audio_url=project.audio_url if status == "completed" else None,
        status=status,  # type: ignore[arg-type]
        progress=project.progress,
        created_at=project.created_at,
        error=project.error,
    )


def _json(model: Project | ProjectList, status: int = 200) -> web.Response:
    return web.json_response(model.model_dump(mode="json"), status=status)


async def _owned_project(request: web.Request) -> TTSProject:
    """The project named in the path, if the caller may see it; 404 otherwise (no hints)."""
    raw_id = request.match_info["tts_id"]
    try:
        tts_id = uuid.UUID(raw_id)
    except ValueError:
        raise ProjectNotFound(raw_id) from None
    project = await request.app[CONTEXT].jobs.get(tts_id)
    key_user = request.get(USER_ID)
    if project is None or (key_user is not None and project.user_id != key_user):
        raise ProjectNotFound(raw_id)
    return project


@routes.post("/api/v1/tts/generate")
async def generate(request: web.Request) -> web.Response:
    """Queue a TTS project; answers at once with its id and `pending` status."""
    ctx = request.app[CONTEXT]
    body = await read_body(request, GenerateRequest)
    user_id = acting_user(request, body.user_id)
    # Shielded: a client hanging up mid-request must not cut the submission in half. The
    # service validates before queueing, so a bad voice or speed is a 4xx, not a failed job.
    result = await asyncio.shield(ctx.jobs.submit(
        JobRequest(
            user_id=user_id, text=body.text, voice=body.voice, speed=body.speed,
            lang=body.lang_code, source="api",
        )
    ))
    view = Accepted(**project_view(result.project).model_dump(), position=result.position)
    log.info("api: queued project %s for user %s", view.tts_id, user_id)
    response = _json(view, status=202)
    response.headers["Location"] = f"/api/v1/tts/{view.tts_id}"
    return response


@routes.get(TTS_ITEM)
async def status(request: web.Request) -> web.Response:
    """A project's status, progress, request, and audio link when completed."""
    return _json(project_view(await _owned_project(request)))


@routes.get("/api/v1/tts/")
async def history(request: web.Request) -> web.Response:
    """The caller's projects, newest first."""
    query = read_query(request.query, ListQuery)
    user_id = acting_user(request, query.user_id)
    projects = await request.app[CONTEXT].jobs.history(
        user_id, limit=query.limit, offset=query.offset
    )
    items = [project_view(p) for p in projects]
    return _json(ProjectList(user_id=user_id, items=items, limit=query.limit, offset=query.offset))


@routes.delete(TTS_ITEM)
async def delete(request: web.Request) -> web.Response:
    """Remove a project and its stored audio (a running job is cancelled first)."""
    project = await _owned_project(request)
    await asyncio.shield(request.app[CONTEXT].jobs.delete(project.id))
    log.info("api: deleted project %s", project.id)
    return web.Response(status=204)


@routes.get(TTS_ITEM + "/events")
async def events(request: web.Request) -> web.StreamResponse:
    """A project's progress as server-sent events, its current state first, until it ends.

    One request follows a job to the end, so a page showing it live spends one request of the
    rate limit instead of one per poll.
    """
    project = await _owned_project(request)
    response = web.StreamResponse(headers={
        "Content-Type": "text/event-stream", "Cache-Control": "no-store",
    })
    await response.prepare(request)
    async for event in request.app[CONTEXT].jobs.subscribe(project.id):
        data = {
            "tts_id": str(event.project_id), "status": event.status, "progress": event.progress,
            "position": event.position, "error": event.error,
            "audio_url": event.audio_url if event.status == "completed" else None,
        }
        await response.write(f"data: {json.dumps(data)}\n\n".encode())
    await response.write_eof()
    return response
