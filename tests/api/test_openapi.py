"""The OpenAPI document matches the behaviour: schemathesis fuzzes the live API on loopback."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

from api.openapi import openapi_document
from tests.api.conftest import ALICE, MakeApi

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
# Any non-empty string is schema-valid text, but text with nothing pronounceable in it (control
# characters, lone symbols) is refused with 422 by design, which no JSON Schema can express.
# For the two operations that speak, valid data may therefore also meet 422 (and 413 past the
# engine's length limit); every other check stays on.
CONFIG = """
[[operations]]
include-path-regex = "^/(v1/audio/speech|api/v1/tts/generate)$"
checks.positive_data_acceptance.expected-statuses = ["2XX", 401, 403, 404, 413, 422, 429]

# A project's event stream lasts as long as the project, and this run has no workers, so every
# call on a generated project would hang until the request timeout. Its behaviour and its events
# are tested in test_jobs_api.py.
[[operations]]
include-path-regex = "/events$"
enabled = false
"""


async def test_the_document_is_served_and_describes_every_route(make_api: MakeApi) -> None:
    api = await make_api()
    async with api.session.get(api.url("/api/v1/openapi.json")) as r:  # public
        assert r.status == 200
        doc = await r.json()
    assert doc == openapi_document(secured=True)
    assert doc["openapi"].startswith("3.")
    assert set(doc["paths"]) == {
        "/api/v1/tts/generate", "/api/v1/tts/{tts_id}", "/api/v1/tts/", "/v1/audio/speech",
        "/v1/audio/voices", "/healthz", "/audio/{name}", "/api/v1/dictionary",
        "/api/v1/dictionary/{word}", "/api/v1/tts/{tts_id}/events", "/api/v1/me", "/metrics",
    }
    registered = {
        (route.method, route.resource.canonical)
        for route in api.server.runner.app.router.routes()
        if route.resource is not None and route.method != "HEAD"
        # The web page and its files are for browsers, not part of the API.
        and not route.resource.canonical.startswith("/web")
    }
    documented = {
        (method.upper(), path) for path, ops in doc["paths"].items() for method in ops
    } | {("GET", "/api/v1/openapi.json")}
    assert registered == documented


@pytest.mark.slow
async def test_schemathesis_finds_no_mismatch(make_api: MakeApi, tmp_path: Path) -> None:
    # Generous limits so fuzzing meets real validation rather than the rate limit or the queue
    # cap (both have their own tests); no workers, so generated jobs just wait in the queue.
    api = await make_api(
        workers=0, rate_limit_per_minute=1_000_000,
        jobs={"per_user_cap": 100_000, "global_cap": 100_000},
    )
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG)
    args = [
        "--config-file", str(config),
        "run", api.url("/api/v1/openapi.json"),
        "--checks", "all",
        "--max-examples", "8",
        "--phases", "examples,coverage,fuzzing",
        "--workers", "1",
        "--request-timeout", "60",
        "--header", f"Authorization:{ALICE['Authorization']}",
        "--seed", "1",
    ]
    proc = await asyncio.create_subprocess_exec(
        str(SCHEMATHESIS), *args, cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    async with asyncio.timeout(600):
        output, _ = await proc.communicate()
    text = output.decode(errors="replace")
    assert proc.returncode == 0, text[-6000:]
