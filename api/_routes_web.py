"""The web page (`/web/`): try voices, your projects, your dictionary; and `GET /api/v1/me`.

The page is plain HTML, CSS and JavaScript from `api/web/static/`, served as files (no build
step, nothing from a CDN). It holds no data: everything it shows comes from the API with the
signed-in key, so it reaches nothing the key could not reach with curl.
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from api._keys import CONTEXT, USER_ID
from api.schemas import Me

STATIC = Path(__file__).parent / "web" / "static"
#: Served without a key: the page and its files, which carry no user's data.
PUBLIC_PREFIX = "/web"
_HEADERS = {
    # The page runs only its own files and may be framed by nobody; audio may come from the
    # audio store, wherever `storage.public_base_url` or Cloudinary puts it.
    "Content-Security-Policy": (
        "default-src 'self'; media-src 'self' blob: http: https:; img-src 'self' data:; "
        "frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-cache",
}

routes = web.RouteTableDef()


@routes.get("/api/v1/me")
async def me(request: web.Request) -> web.Response:
    """Who the caller is: the key's user, or the web page's user on a keyless API."""
    api = request.app[CONTEXT].api
    user = request.get(USER_ID)
    view = Me(user_id=api.web_user if user is None else user, keys_required=bool(api.keys))
    return web.json_response(view.model_dump())


async def _index(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "index.html", headers=_HEADERS)


async def _to_page(request: web.Request) -> web.Response:
    raise web.HTTPFound("/web/")


def add_page(app: web.Application) -> None:
    """Serve the page at `/web/` and its files under `/web/static/`."""
    app.router.add_get("/web", _to_page)
    app.router.add_get("/web/", _index)
    app.router.add_static("/web/static/", STATIC, append_version=False)
