"""/tts through discord.py's real client: progress edits, the attached audio, the buttons."""

from __future__ import annotations

import io
import itertools
import re
import unicodedata

import soundfile as sf

from cogs._text import quote_text
from tests.cogs.conftest import INTERVAL_S, WAIT_S, GatedEngine, Harness
from tests.fakes.discord import FakeInteraction

STAGE_ORDER = ["Queued", "Generating speech", "Encoding", "Storing the audio", "Done"]


def _stage(content: str | None) -> str | None:
    match = re.match(r"\S+ \*\*(.+?)\*\*", content or "")
    return match.group(1) if match else None


def _stages(ia: FakeInteraction) -> list[str | None]:
    return [_stage(e.json["content"]) for e in ia.edits if e.json and e.json.get("content")]


async def _run_tts(h: Harness, options: dict, **kw: object) -> tuple[FakeInteraction, dict]:
    ia = await h.fake.slash(h.guild, h.alice, "tts", options, **kw)
    msg = await ia.wait_original(lambda m: _stage(m["content"]) in ("Done", "Failed"),
                                 within=WAIT_S)
    return ia, msg


async def test_tts_defers_edits_in_stage_order_and_attaches_a_wav(harness: Harness) -> None:
    h = harness
    ia, msg = await _run_tts(h, {"text": "Hello there.", "voice": "af_bella"})
    callback = ia.callbacks[0].json
    assert callback["type"] == 5  # deferred at once: "thinking…"
    assert not (callback.get("data") or {}).get("flags", 0) & 64  # public
    stages = _stages(ia)
    assert stages[-1] == "Done" and len(stages) >= 2
    positions = [STAGE_ORDER.index(s) for s in stages]
    assert positions == sorted(positions), stages
    assert "af_bella" in msg["content"] and "American English" in msg["content"]
    # The final edit carries the file: a real WAV of the duration the message states.
    (attachment,) = msg["attachments"]
    assert attachment["filename"].endswith(".wav")
    final = ia.edits[-1]
    (upload,) = final.files
    data, rate = sf.read(io.BytesIO(upload.data))
    assert rate == 24000 and len(data) > 0
    stated = float(re.search(r"· ([0-9.]+) s", msg["content"]).group(1))
    assert abs(len(data) / rate - stated) < 0.06
    buttons = [c["label"] for row in msg["components"] for c in row["components"]]
    assert buttons == ["Delete"]  # no voice feature, and alice is not in a voice channel
    # Nothing the bot sent may ping anyone.
    for req in ia.edits:
        assert req.json["allowed_mentions"] == {"parse": []}


async def test_a_queued_job_shows_its_position_then_every_stage_in_order(
        make_harness, engine) -> None:
    gated = GatedEngine(engine)
    h: Harness = await make_harness(gated)
    first = await h.fake.slash(h.guild, h.alice, "tts", {"text": "First."})
    await first.wait_original(lambda m: _stage(m["content"]) == "Generating speech",
                              within=WAIT_S)
    second = await h.fake.slash(h.guild, h.bob, "tts", {"text": "Second."})
    waiting = await second.wait_original(lambda m: _stage(m["content"]) == "Queued",
                                         within=WAIT_S)
    assert "Position in the queue: **1**" in waiting["content"]
    assert "▱▱▱▱▱▱▱▱▱▱▱▱ 0%" in waiting["content"]
    gated.gate.set()
    for ia in (first, second):
        await ia.wait_original(lambda m: _stage(m["content"]) == "Done", within=WAIT_S)
    assert "Generating speech" in _stages(first)  # it was held there
    for ia in (first, second):
        stages = _stages(ia)
        # Stages closer together than the edit interval are merged; the order never changes.
        assert stages[-1] == "Done", stages
        positions = [STAGE_ORDER.index(s) for s in stages]
        assert positions == sorted(positions), stages
    assert _stages(second)[0] == "Queued"


async def test_progress_edits_respect_the_interval(harness: Harness) -> None:
    h = harness
    ia, _ = await _run_tts(h, {"text": "Rate limits matter."})
    times = [r.received_at for r in ia.edits]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert gaps and min(gaps) >= INTERVAL_S * 0.9, gaps


async def test_too_large_for_the_upload_limit_falls_back_to_ogg_then_link(
        harness: Harness) -> None:
    h = harness
    _, msg = await _run_tts(h, {"text": "Small server limits."}, attachment_size_limit=30_000)
    names = [a["filename"] for a in msg["attachments"]]
    assert len(names) == 1 and names[0].endswith(".ogg"), names
    _, msg = await _run_tts(h, {"text": "Even smaller."}, attachment_size_limit=100)
    assert msg["attachments"] == []
    assert "http://files.test/audio/" in msg["content"]


async def test_defaults_come_from_user_then_server_settings(harness: Harness) -> None:
    h = harness
    manager = await h.fake.slash(h.guild, h.bob, "settings server", {"voice": "bf_emma"},
                                 permissions=1 << 5)
    await manager.wait_original(lambda m: "bf_emma" in m["content"])
    _, msg = await _run_tts(h, {"text": "Server default."})
    assert "bf_emma" in msg["content"] and "British English" in msg["content"]
    mine = await h.fake.slash(h.guild, h.alice, "settings user", {"voice": "am_adam",
                                                                  "speed": 1.5})
    await mine.wait_original(lambda m: "am_adam" in m["content"])
    _, msg = await _run_tts(h, {"text": "User default."})
    assert "am_adam" in msg["content"]
    project = (await h.jobs.history(str(h.alice), limit=1))[0]
    assert project.voice == "am_adam" and project.speed == 1.5


async def test_voice_autocomplete_is_fuzzy_and_filtered_by_language(harness: Harness) -> None:
    h = harness
    choices = await h.fake.autocomplete(h.guild, h.alice, "tts", {"text": "x", "voice": "bela"},
                                        focused="voice")
    assert choices and choices[0]["value"] == "af_bella"
    choices = await h.fake.autocomplete(h.guild, h.alice, "tts",
                                        {"text": "x", "language": "b", "voice": ""},
                                        focused="voice")
    assert {c["value"] for c in choices} == {"bf_emma", "bm_george"}


async def test_tts_in_a_direct_message(harness: Harness) -> None:
    h = harness
    ia = await h.fake.slash(None, h.alice, "tts", {"text": "Just us."})
    msg = await ia.wait_original(lambda m: _stage(m["content"]) == "Done", within=WAIT_S)
    assert msg["attachments"][0]["filename"].endswith(".wav")
    (project,) = await h.jobs.history(str(h.alice))
    assert project.guild_id is None and project.channel_id == h.fake.dm_channels[h.alice]


async def test_with_discord_latency_the_reply_reaches_the_stage_being_worked_on(
        make_harness, engine) -> None:
    # Discord answers in about 0.25 s; stages that change while an edit is on its way must
    # still reach the reply, without waiting for a later event (there is none mid-synthesis).
    gated = GatedEngine(engine)
    h: Harness = await make_harness(gated)
    h.fake.rest_latency_s = 0.25
    ia = await h.fake.slash(h.guild, h.alice, "tts", {"text": "Slow network."})
    # Held in synthesis: the newest state (generating, 30%) must be what the reply says.
    msg = await ia.wait_original(
        lambda m: _stage(m["content"]) == "Generating speech" and "30%" in m["content"],
        within=20)
    assert "Position in the queue" not in msg["content"]
    gated.gate.set()
    await ia.wait_original(lambda m: _stage(m["content"]) == "Done", within=WAIT_S)


async def test_the_public_reply_quotes_the_text_safely_and_readably(harness: Harness) -> None:
    h = harness
    text = "# Big news\x00 ring\x07 \x1b[31mred \u202eevil\u2066 ok"
    _, msg = await _run_tts(h, {"text": text})
    quote = next(line for line in msg["content"].splitlines() if line.startswith("> "))
    # Control characters and whole escape sequences are never spoken, so they are gone from
    # what is quoted too; direction overrides dropped, no heading.
    assert quote == "> \\# Big news ring red evil ok", quote
    assert not any(unicodedata.category(c) == "Cc" for c in msg["content"].replace("\n", ""))
    # The quote is the text as typed (not as said: "1." stays "1."); a numbered list is still
    # never started.
    _, msg = await _run_tts(h, {"text": "1. first -# small"})
    quote = next(line for line in msg["content"].splitlines() if line.startswith("> "))
    assert quote == "> 1\\. first -# small", quote
    assert quote_text("1. first -# small", 100) == "1\\. first -# small"
