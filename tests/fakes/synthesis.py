"""A loopback fake of a synthesis server (this project's API as `engine.remote` sees it):
scripted answers to `/v1/audio/speech`, a voice list, and a `/healthz` that counts probes."""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field

from aiohttp import web

from api.server import ApiServer, serve_app

#: 0.1 s of 24 kHz s16le silence: what a scripted success streams.
PCM = b"\0\0" * 2400


@dataclass
class Answer:
    """One scripted answer: a status, its headers, and for 200 the PCM body."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class FakeSynthServer:
    """Answers speech requests from `script` in order (then 200s); records what it saw."""

    script: deque[Answer] = field(default_factory=deque)
    requests: list[dict[str, str]] = field(default_factory=list)
    health_probes: int = 0
    server: ApiServer | None = None
    #: Set at every health probe (a test clears it to wait for the next).
    probed: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def url(self) -> str:
        assert self.server is not None
        return self.server.url

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/v1/audio/speech", self._speech)
        app.router.add_get("/v1/audio/voices", self._voices)
        app.router.add_get("/healthz", self._health)
        self.server = await serve_app(app, "127.0.0.1", 0)

    async def stop(self) -> None:
        if self.server is not None:
            await self.server.stop()

    async def _speech(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(dict(request.headers))
        answer = self.script.popleft() if self.script else Answer()
        if answer.status != 200:
            return web.json_response({"detail": "scripted"}, status=answer.status,
                                     headers=answer.headers)
        return web.Response(body=PCM, content_type="application/octet-stream")

    async def _voices(self, request: web.Request) -> web.Response:
        return web.json_response({"voices": [{"name": "af_heart"}, {"name": "am_adam"}]})

    async def _health(self, request: web.Request) -> web.Response:
        self.health_probes += 1
        self.probed.set()
        return web.json_response({"status": "ok"})
