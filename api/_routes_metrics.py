"""`GET /metrics`: the process's Prometheus metrics (keyed like the rest of the API)."""

from __future__ import annotations

from aiohttp import web

from api._keys import CONTEXT
from bot import metrics

routes = web.RouteTableDef()


@routes.get("/metrics")
async def scrape(request: web.Request) -> web.Response:
    """Jobs, queues, synthesis and audio seconds, first-audio latency, voice, storage, servers."""
    body, content_type = await metrics.render(
        request.app[CONTEXT].engine, request.headers.get("Accept")
    )
    return web.Response(body=body, headers={"Content-Type": content_type})
