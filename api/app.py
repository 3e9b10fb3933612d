"""The aiohttp application: routes, error mapping, authentication and limits."""

from __future__ import annotations

from aiohttp import web

from api import (
    _routes_dictionary,
    _routes_metrics,
    _routes_misc,
    _routes_openai,
    _routes_tts,
    _routes_web,
)
from api._auth import KeyRing, RateLimiter, auth_middleware
from api._context import ApiContext
from api._keys import CONTEXT
from api._middleware import error_middleware


def create_app(ctx: ApiContext, limiter: RateLimiter | None = None) -> web.Application:
    """The HTTP API over `ctx`; `limiter` replaces the per-key rate limiter (tests)."""
    api = ctx.api
    limiter = limiter or RateLimiter(api.rate_limit_per_minute)
    app = web.Application(
        client_max_size=api.max_body_bytes,
        middlewares=[
            # Outermost first: errors raised by the auth layer are rendered too.
            error_middleware(api.max_body_bytes),
            auth_middleware(KeyRing(api.keys), limiter, api.max_body_bytes,
                            frozenset(api.bot_users)),
        ],
    )
    app[CONTEXT] = ctx
    app.add_routes(_routes_tts.routes)
    app.add_routes(_routes_openai.routes)
    app.add_routes(_routes_misc.routes)
    app.add_routes(_routes_dictionary.routes)
    app.add_routes(_routes_metrics.routes)
    app.add_routes(_routes_web.routes)
    if api.web:
        _routes_web.add_page(app)
    return app
