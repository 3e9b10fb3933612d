"""/dictionary through discord.py's real client: what reaches the engine from read-aloud, /say
and /tts, who may change a server's dictionary, paging, and changes made elsewhere."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot import dictionary
from storage.models import TTSProject
from tests.fakes.discord import payloads
from tts_engine import LocalEngine

from ._readaloud_helpers import MANAGER, read_until
from .conftest import WAIT_S, VoiceHarness


async def _dictionary(h: VoiceHarness, user: int, sub: str, permissions: int = MANAGER,
                      **options: Any) -> str:
    ia = await h.fake.slash(h.guild, user, f"dictionary {sub}", options, permissions=permissions)
    reply = await ia.response(within=WAIT_S)
    assert reply.json is not None
    return str(reply.json["data"]["content"])


async def test_the_dictionary_changes_what_reaches_the_engine(
        harness: VoiceHarness, engine: LocalEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    h = harness
    heard: list[str] = []
    real = engine._infer
    monkeypatch.setattr(engine, "_infer", lambda ps, *a: heard.append(ps) or real(ps, *a))
    await h.server_settings(read_channel_ids=[h.guild.text_channel_id],
                               announce_names=False)
    await h.join()
    denied = await _dictionary(h, h.bob, "add", payloads.MEMBER_PERMISSIONS, word="gg",
                               replacement="nope", scope="server")
    assert "Manage Server" in denied
    assert "Added" in await _dictionary(h, h.alice, "add", word="gg", replacement="get good",
                                        scope="server")
    assert "Added" in await _dictionary(h, h.alice, "add", word="Kokoro",
                                        replacement="/kˈOkəɹO/", scope="server")
    assert "Added" in await _dictionary(h, h.bob, "add", word="GG", replacement="good game")
    await h.message(h.alice, "gg Kokoro", name="alice")
    await h.message(h.bob, "gg Kokoro", name="bob")
    await read_until(h, "good game [Kokoro](/kˈOkəɹO/)")
    await h.slash(h.bob, "say", text="gg again")
    assert await read_until(h, "again") == ["get good [Kokoro](/kˈOkəɹO/)",
                                            "good game [Kokoro](/kˈOkəɹO/)", "good game again"]
    await h.fake.wait_until(lambda: any("kˈOkəɹO" in ps for ps in heard), WAIT_S)
    # Another front door (the HTTP API's dictionary routes call the same function) changes the
    # server's entry: the next message already hears it. Another process's change arrives by
    # NOTIFY (tests/bot/test_lookups.py).
    await dictionary.put(dictionary.Owner.guild(h.guild.id), "gg", "gee gee")
    assert "Removed" in await _dictionary(h, h.bob, "remove", word="gg")
    await h.message(h.bob, "gg now", name="bob")
    assert (await read_until(h, "now"))[-1] == "gee gee now"
    ia = await h.fake.slash(h.guild, h.bob, "tts", {"text": "gg on file"})
    await ia.response(within=WAIT_S)
    # The /tts job is queued (no workers here) with the text as typed, which /history shows,
    # and as it will be spoken.
    project = await _project(str(h.bob))
    assert project.text == "gg on file" and project.spoken == "gee gee on file"


async def _project(user_id: str) -> TTSProject:
    deadline = asyncio.get_running_loop().time() + WAIT_S
    while (project := await TTSProject.get_or_none(user_id=user_id)) is None:
        assert asyncio.get_running_loop().time() < deadline, "no /tts project"
        await asyncio.sleep(0.01)
    return project


async def test_dictionary_list_is_paged(harness: VoiceHarness) -> None:
    h = harness
    owner = dictionary.Owner.user(h.bob)
    for n in range(12):
        await dictionary.put(owner, f"word{n:02}", f"say {n}")
    first = await _dictionary(h, h.bob, "list")
    assert "(12 entries), page 1 of 2" in first and "**word09**" in first
    assert "word10" not in first
    second = await _dictionary(h, h.bob, "list", page=2)
    assert "page 2 of 2" in second and "**word11** → say 11" in second
    assert "empty" in await _dictionary(h, h.bob, "list", scope="server")


async def test_dictionary_list_fits_one_discord_message(harness: VoiceHarness) -> None:
    h = harness
    owner = dictionary.Owner.user(h.bob)
    words = [f"{n:02}" + "w" * 48 for n in range(25)]  # the longest words and replacements
    for word in words:
        await dictionary.put(owner, word, "r" * 200)
    seen: list[str] = []
    for page in range(1, 26):
        listing = await _dictionary(h, h.bob, "list", page=page)
        assert len(listing) <= 2000, len(listing)
        assert "(25 entries), page" in listing
        seen += [w for w in words if f"**{w}**" in listing]
        if f"page {page} of {page}" in listing:
            break
    assert seen == words  # every entry is on exactly one page, in order
