"""Typed keys for what the app and its requests carry."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from api._context import ApiContext

#: The API context (engine, jobs, settings) the handlers use.
CONTEXT: web.AppKey[ApiContext] = web.AppKey("api_context")

#: The caller's user id from their key; None when the API runs keyless on loopback.
USER_ID: web.RequestKey[str | None] = web.RequestKey("api_user_id")
