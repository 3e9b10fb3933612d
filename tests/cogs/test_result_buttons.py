"""The buttons of a finished /tts reply, and delivery when the reply can't be edited."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from tests.cogs.conftest import WAIT_S, Harness
from tests.fakes.discord import reply


def _buttons(msg: dict) -> dict[str, str]:
    return {c["label"]: c["custom_id"] for row in msg["components"] for c in row["components"]}


async def _finished(h: Harness, user: int, text: str) -> tuple[Any, dict]:
    ia = await h.fake.slash(h.guild, user, "tts", {"text": text})
    msg = await ia.wait_original(lambda m: "Done" in m["content"], within=WAIT_S)
    return ia, msg


class RecordingVoice:
    """Stands in for the voice feature's manager: records what it was asked to play."""

    def __init__(self) -> None:
        self.played: list[tuple[int, int, str]] = []

    async def play_project(self, guild: Any, member: Any, project: Any) -> None:
        self.played.append((guild.id, member.id, project.text))


async def test_play_in_voice_shows_for_a_member_in_voice_and_hands_over(
        harness: Harness) -> None:
    h = harness
    voice = RecordingVoice()
    h.bot.voice_manager = voice
    _, msg = await _finished(h, h.alice, "Not in voice.")
    assert list(_buttons(msg)) == ["Delete"]  # alice is not in a voice channel
    _, msg = await _finished(h, h.carol, "Play me.")
    buttons = _buttons(msg)
    assert list(buttons) == ["Play in voice", "Delete"]
    click = await h.fake.click(h.guild, h.carol, int(msg["id"]), buttons["Play in voice"])
    await h.fake.wait_until(lambda: bool(click.followups), WAIT_S)
    assert voice.played == [(h.guild.id, h.carol, "Play me.")]
    assert click.followups[0].json["flags"] & 64


async def test_delete_button_asks_then_removes_the_audio_from_the_reply(
        harness: Harness) -> None:
    h = harness
    ia, msg = await _finished(h, h.alice, "Short lived.")
    (project,) = await h.jobs.history(str(h.alice))
    # Someone else's click is refused.
    other = await h.fake.click(h.guild, h.bob, int(msg["id"]), _buttons(msg)["Delete"])
    assert "isn't yours" in (await other.response()).json["data"]["content"]
    click = await h.fake.click(h.guild, h.alice, int(msg["id"]), _buttons(msg)["Delete"])
    await click.response()
    question = click.original
    assert question["flags"] & 64 and "Short lived." in question["content"]
    confirm = await h.fake.click(h.guild, h.alice, int(question["id"]),
                                 _buttons(question)["Delete"])
    await confirm.wait_original(lambda m: m["content"].startswith("🗑️ Deleted"))
    assert await h.jobs.get(project.id) is None
    public = await ia.wait_original(lambda m: "deleted" in m["content"])
    assert public["attachments"] == [] and public["components"] == []


async def test_a_reply_that_cannot_be_edited_gets_the_result_posted_in_the_channel(
        harness: Harness) -> None:
    h = harness

    async def gone(request: web.Request, match: re.Match[str]) -> web.Response:
        return reply({"message": "Unknown Message", "code": 10008}, 404)

    ia = await h.fake.slash(h.guild, h.alice, "tts", {"text": "Late delivery."})
    await ia.response()
    h.fake.override("PATCH", r"/webhooks/.*", gone)  # someone deleted the reply
    posted = await h.fake.wait_for_request(
        lambda r: r.method == "POST" and r.path == f"/channels/{h.guild.text_channel_id}/messages",
        within=WAIT_S)
    assert "Done" in posted.json["content"] and posted.files[0].filename.endswith(".wav")
    assert posted.json["allowed_mentions"] == {"parse": []}
