"""A loopback Cloudinary: the upload, destroy and delivery endpoints the real SDK talks to.

Point the SDK at it with `upload_prefix` (our store reads it from the CLOUDINARY_URL query).
It checks each signed request the way Cloudinary does: sha1 over the sorted `k=v` parameters
joined by `&` (without file, api_key, resource_type, cloud_name), followed by the api secret.
`mode` switches between a healthy service, an outage (503) and slow answers.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
from dataclasses import dataclass, field
from typing import Literal

from aiohttp import web
from aiohttp.typedefs import Handler

_UNSIGNED = {"file", "api_key", "resource_type", "cloud_name", "signature"}


def expected_signature(params: dict[str, str], secret: str) -> str:
    """What Cloudinary computes for a request with these parameters."""
    pairs = sorted(f"{k}={v}".replace("&", "%26") for k, v in params.items()
                   if k not in _UNSIGNED and v != "")
    return hashlib.sha1(("&".join(pairs) + secret).encode()).hexdigest()


@dataclass
class FakeCloudinary:
    """Serve with `async with FakeCloudinary() as fake:`; `fake.url` is a CLOUDINARY_URL."""

    cloud_name: str = "TestCloud"
    api_key: str = "1234567890"
    api_secret: str = "s3cr3t-Key"
    mode: Literal["ok", "outage", "slow"] = "ok"
    slow_s: float = 5.0
    assets: dict[str, bytes] = field(default_factory=dict)
    upload_requests: int = 0
    rejected_signatures: int = 0
    destroyed: list[str] = field(default_factory=list)
    #: Set each time an upload request arrives (tests wait on it, never sleep).
    upload_seen: asyncio.Event = field(default_factory=asyncio.Event)
    _versions: itertools.count[int] = field(default_factory=lambda: itertools.count(1_700_000_000))
    _runner: web.AppRunner | None = None
    base: str = ""

    @property
    def url(self) -> str:
        """The CLOUDINARY_URL that points the SDK at this fake."""
        return (f"cloudinary://{self.api_key}:{self.api_secret}@{self.cloud_name}"
                f"?upload_prefix={self.base}")

    async def __aenter__(self) -> FakeCloudinary:
        app = web.Application(client_max_size=64 * 1024 * 1024, middlewares=[_errors_as_json])
        app.router.add_post("/v1_1/{cloud}/{rtype}/upload", self._upload)
        app.router.add_post("/v1_1/{cloud}/{rtype}/destroy", self._destroy)
        app.router.add_get("/{cloud}/{rtype}/upload/v{version}/{path:.+}", self._deliver)
        self._runner = web.AppRunner(app, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _signed_params(self, request: web.Request) -> tuple[dict[str, str], bytes | None]:
        form = await request.post()
        params: dict[str, str] = {}
        data: bytes | None = None
        for key, value in form.items():
            if isinstance(value, web.FileField):
                data = value.file.read()
            else:
                params[key] = str(value)
        if request.match_info["cloud"] != self.cloud_name:
            raise _error(404, "Unknown cloud")
        if params.get("api_key") != self.api_key or "timestamp" not in params:
            raise _error(401, "Unknown API key or missing timestamp")
        if params.get("signature") != expected_signature(params, self.api_secret):
            self.rejected_signatures += 1
            raise _error(401, "Invalid Signature")
        return params, data

    async def _misbehave(self) -> None:
        if self.mode == "outage":
            raise _error(503, "Service Unavailable")
        if self.mode == "slow":
            await asyncio.sleep(self.slow_s)  # simulated latency, beyond the client's timeout

    async def _upload(self, request: web.Request) -> web.Response:
        self.upload_requests += 1
        self.upload_seen.set()
        await self._misbehave()
        params, data = await self._signed_params(request)
        if not data:
            raise _error(400, "Missing required parameter - file")
        public_id = params.get("public_id", f"anon{self.upload_requests}")
        if params.get("folder"):
            public_id = f"{params['folder']}/{public_id}"
        rtype, version = request.match_info["rtype"], next(self._versions)
        self.assets[public_id] = data
        delivery = f"{self.base}/{self.cloud_name}/{rtype}/upload/v{version}/{public_id}.wav"
        return web.json_response({
            "public_id": public_id, "version": version, "resource_type": rtype,
            "format": "wav", "bytes": len(data), "url": delivery, "secure_url": delivery,
        })

    async def _destroy(self, request: web.Request) -> web.Response:
        await self._misbehave()
        params, _ = await self._signed_params(request)
        public_id = params.get("public_id", "")
        if self.assets.pop(public_id, None) is None:
            return web.json_response({"result": "not found"})
        self.destroyed.append(public_id)
        return web.json_response({"result": "ok"})

    async def _deliver(self, request: web.Request) -> web.Response:
        path = request.match_info["path"].rsplit(".", 1)[0]
        data = self.assets.get(path)
        if data is None:
            raise web.HTTPNotFound()
        return web.Response(body=data, content_type="audio/wav")


class _Reject(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


def _error(status: int, message: str) -> _Reject:
    return _Reject(status, message)


@web.middleware
async def _errors_as_json(request: web.Request, handler: Handler) -> web.StreamResponse:
    # Cloudinary reports failures as {"error": {"message": ...}} with the HTTP status.
    try:
        return await handler(request)
    except _Reject as exc:
        return web.json_response({"error": {"message": exc.message}}, status=exc.status)
