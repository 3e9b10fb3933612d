"""Every failure leaves the API as `{"detail": "..."}` with a fitting status, never a traceback."""

from __future__ import annotations

import logging
import uuid

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from api.errors import BodyTooLarge, RateLimited
from tts_engine.errors import TTSError

log = logging.getLogger(__name__)


def problem(status: int, detail: str, headers: dict[str, str] | None = None) -> web.Response:
    """The API's one error shape."""
    return web.json_response({"detail": detail}, status=status, headers=headers)


def _from_domain(err: TTSError) -> web.Response:
    headers = {"Retry-After": str(err.retry_after)} if isinstance(err, RateLimited) else None
    return problem(err.status, str(err), headers)


def _from_http(exc: web.HTTPException, max_body_bytes: int) -> web.Response:
    if isinstance(exc, web.HTTPRequestEntityTooLarge):
        return _from_domain(BodyTooLarge(max_body_bytes))
    # aiohttp's own exceptions (404 route, 405 method) carry a plain reason; keep their headers
    # (Allow on 405) but speak JSON like the rest of the API.
    headers = {k: v for k, v in exc.headers.items() if k.lower() in ("allow", "location")}
    return problem(exc.status, exc.reason, headers)


def error_middleware(max_body_bytes: int) -> Middleware:
    """Map domain errors to their status, aiohttp errors to JSON, and bugs to a logged 500."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except TTSError as err:
            return _from_domain(err)
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            return _from_http(exc, max_body_bytes)
        except (ConnectionResetError, ConnectionError):
            raise
        except Exception:
            incident = uuid.uuid4().hex[:12]
            log.exception("unhandled error %s on %s %s", incident, request.method, request.path)
            return problem(500, f"Internal server error (incident {incident}); it was logged.")

    return middleware
