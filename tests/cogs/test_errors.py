"""Every mistake reaches the user as one private sentence; unexpected faults carry an id."""

from __future__ import annotations

import logging
import re

import pytest

from tests.cogs.conftest import WAIT_S, GatedEngine, Harness
from tts_engine import EngineConfig, LocalEngine
from tts_engine.errors import (
    EngineNotReady,
    SpeedOutOfRange,
    TextEmpty,
    TextTooLong,
)

EPHEMERAL = 64


async def _private_answer(h: Harness, options: dict) -> str:
    ia = await h.fake.slash(h.guild, h.alice, "tts", options)
    reply = await ia.response()
    assert reply.json["type"] == 4, reply.json
    assert reply.json["data"]["flags"] & EPHEMERAL
    assert reply.json["data"]["allowed_mentions"] == {"parse": []}
    return str(reply.json["data"]["content"])


@pytest.mark.parametrize(("options", "expected"), [
    ({"text": "   "}, str(TextEmpty())),
    ({"text": "x" * 5001}, str(TextTooLong(5001, 5000))),
    ({"text": "hi", "speed": 3.0}, str(SpeedOutOfRange(3.0))),
])
async def test_invalid_requests_get_the_reason(harness: Harness, options: dict,
                                               expected: str) -> None:
    assert await _private_answer(harness, options) == expected
    assert await harness.jobs.history(str(harness.alice)) == []  # nothing was queued


async def test_unknown_voice_suggests_close_names(harness: Harness) -> None:
    answer = await _private_answer(harness, {"text": "hi", "voice": "af_bela"})
    assert "Did you mean" in answer and "af_bella" in answer


async def test_voice_and_language_that_do_not_match(harness: Harness) -> None:
    answer = await _private_answer(harness, {"text": "bonjour", "voice": "af_bella",
                                             "language": "f"})
    assert "does not speak French" in answer


async def test_engine_still_starting(make_harness, model_dir) -> None:
    cold = LocalEngine(EngineConfig(model_dir=model_dir, device="cpu", load="lazy"))
    h = await make_harness(cold)
    assert await _private_answer(h, {"text": "hi"}) == str(EngineNotReady())


async def test_a_full_queue_is_refused_privately_at_once_naming_delete(
        make_harness, engine) -> None:
    gated = GatedEngine(engine)
    h = await make_harness(gated, per_user_cap=1)
    first = await h.fake.slash(h.guild, h.alice, "tts", {"text": "one"})
    await first.wait_original(lambda m: "Generating" in m["content"], within=WAIT_S)
    # The refusal is the first and only answer: no public "thinking…" shown, then deleted.
    answer = await _private_answer(h, {"text": "two"})
    assert "limit is 1" in answer and "`/delete`" in answer, answer
    assert len(await h.jobs.history(str(h.alice))) == 1
    gated.gate.set()
    await first.wait_original(lambda m: "Done" in m["content"], within=WAIT_S)


async def test_unexpected_errors_are_logged_with_an_id(
        harness: Harness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:
    async def broken(*args: object, **kwargs: object) -> list:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(harness.jobs, "history", broken)
    with caplog.at_level(logging.ERROR):
        ia = await harness.fake.slash(harness.guild, harness.alice, "history")
        reply = await ia.response()
    content = reply.json["data"]["content"]
    ref = re.search(r"error id `([0-9a-f]{8})`", content)
    assert ref and reply.json["data"]["flags"] & EPHEMERAL
    assert "database on fire" not in content
    assert any(ref.group(1) in r.getMessage() and r.exc_info for r in caplog.records)
