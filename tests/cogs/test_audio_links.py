"""Audio links are shown only where someone can open them; otherwise the audio is attached."""

from __future__ import annotations

import io
from pathlib import Path

import soundfile as sf

from storage.audio import LocalAudioStore
from tests.cogs.conftest import WAIT_S, Harness
from tests.cogs.test_tts import _stage

EPHEMERAL = 64
#: The default `storage.public_base_url`: the bot's own machine, which nobody else can reach.
LOOPBACK = "http://127.0.0.1:8080"


async def _done(h: Harness, text: str, **kw: object) -> dict:
    ia = await h.fake.slash(h.guild, h.alice, "tts", {"text": text}, **kw)
    return await ia.wait_original(lambda m: _stage(m["content"]) == "Done", within=WAIT_S)


async def test_too_large_with_local_storage_shows_no_dead_link(make_harness,
                                                              tmp_path: Path) -> None:
    h: Harness = await make_harness(store=LocalAudioStore(tmp_path / "audio", LOOPBACK))
    msg = await _done(h, "Far too big for this server.", attachment_size_limit=100)
    assert msg["attachments"] == []
    assert "127.0.0.1" not in msg["content"] and "http" not in msg["content"], msg["content"]
    assert "Too large to attach" in msg["content"]


async def test_history_attaches_audio_instead_of_a_dead_link(make_harness,
                                                             tmp_path: Path) -> None:
    h: Harness = await make_harness(store=LocalAudioStore(tmp_path / "audio", LOOPBACK))
    await _done(h, "Keep this one.")
    ia = await h.fake.slash(h.guild, h.alice, "history")
    await ia.response()
    page = ia.original
    assert "127.0.0.1" not in str(page["embeds"]), page["embeds"]
    (menu,) = [c for row in page["components"] for c in row["components"]
               if c["custom_id"] == "history:audio"]
    (option,) = menu["options"]
    assert "Keep this one" in option["label"]
    got = await h.fake.select(h.guild, h.alice, int(page["id"]), "history:audio",
                              [option["value"]])
    await h.fake.wait_until(lambda: bool(got.followups), WAIT_S)
    sent = got.followups[0]
    assert sent.json["flags"] & EPHEMERAL
    (upload,) = sent.files
    data, rate = sf.read(io.BytesIO(upload.data))
    assert rate == 24000 and len(data) > 0


async def test_a_public_base_url_is_linked(make_harness, tmp_path: Path) -> None:
    h: Harness = await make_harness(
        store=LocalAudioStore(tmp_path / "audio", "https://tts.example.com"))
    msg = await _done(h, "Linked.", attachment_size_limit=100)
    assert "(https://tts.example.com/audio/" in msg["content"]
    ia = await h.fake.slash(h.guild, h.alice, "history")
    await ia.response()
    assert "https://tts.example.com/audio/" in str(ia.original["embeds"])
