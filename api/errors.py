"""Errors only the front doors raise; like every domain error, `str(err)` is the user's sentence."""

from __future__ import annotations

import math

from tts_engine.errors import InvalidRequest, TTSError


class ApiError(TTSError):
    """Root of the HTTP API's own errors."""


class BadRequest(ApiError):
    """The request can't be read at all (not JSON, wrong types)."""

    status = 400


class Unauthorized(ApiError):
    status = 401

    def __init__(self) -> None:
        super().__init__(
            "Missing or unknown API key: send it as 'Authorization: Bearer <key>'."
        )


class Forbidden(ApiError):
    status = 403

    def __init__(self) -> None:
        super().__init__("This API key can only act for its own user_id.")


class AudioNotFound(ApiError):
    status = 404

    def __init__(self) -> None:
        super().__init__("There is no such audio file.")


class BodyTooLarge(ApiError):
    status = 413

    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(f"The request body is larger than the limit of {limit:,} bytes.")


class RateLimited(ApiError):
    status = 429

    def __init__(self, retry_after: float) -> None:
        # Retry-After takes whole seconds; rounding down would invite an immediate second 429.
        self.retry_after = max(1, math.ceil(retry_after))
        super().__init__(f"Too many requests; try again in {self.retry_after} s.")


class FieldInvalid(InvalidRequest):
    """One field of the JSON body or query has the wrong type or value."""

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        super().__init__(f"{field}: {reason}")


class UnsafeBind(ApiError):
    """Start-up refusal: an API without keys would be open to the whole network."""

    status = 500

    def __init__(self, host: str) -> None:
        self.host = host
        super().__init__(
            f"Refusing to serve the HTTP API on {host!r} without API keys: anyone on the "
            "network could use it. Add keys under [api.keys] in config.toml, or set "
            "[api] host = \"127.0.0.1\"."
        )


class UnsafeWyomingBind(ApiError):
    """Start-up refusal: Wyoming has no authentication, so beyond loopback it needs consent."""

    status = 500

    def __init__(self, uri: str) -> None:
        self.uri = uri
        super().__init__(
            f"Refusing to serve Wyoming on {uri!r}: it has no authentication, so anyone on the "
            "network could use it. List the machines that may connect in [wyoming] "
            "allowed_clients, set [wyoming] allow_unauthenticated = true, or use a loopback "
            "address."
        )


class StartupFailed(ApiError):
    """`python -m bot api` can't start: a taken port, an unreachable or unsupported database."""

    status = 500
