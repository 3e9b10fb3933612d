"""/history paging, /delete with its authorisation both ways, and /voices."""

from __future__ import annotations

from bot.jobs import JobRequest
from tests.cogs.conftest import Harness

EPHEMERAL = 64
MANAGE_GUILD = 1 << 5


async def _queue(h: Harness, user: int, *texts: str) -> list[str]:
    ids = []
    for text in texts:
        result = await h.jobs.submit(JobRequest(user_id=str(user), text=text,
                                                guild_id=h.guild.id))
        ids.append(str(result.project.id))
    return ids


def _buttons(msg: dict) -> dict[str, dict]:
    return {c["custom_id"]: c for row in msg["components"] for c in row["components"]}


async def test_history_pages_newest_first(make_harness) -> None:
    h: Harness = await make_harness(workers=0, per_user_cap=10)
    await _queue(h, h.alice, "first", "second", "third")
    await _queue(h, h.bob, "not alice's")
    ia = await h.fake.slash(h.guild, h.alice, "history", {"limit": 2})
    reply = await ia.response()
    assert reply.json["data"]["flags"] & EPHEMERAL
    page = ia.original
    fields = page["embeds"][0]["fields"]
    assert ["third" in fields[0]["value"], "second" in fields[1]["value"]] == [True, True]
    assert "pending" in fields[0]["name"] and "0%" in fields[0]["name"]
    buttons = _buttons(page)
    assert buttons["history:previous"].get("disabled") and not buttons["history:next"].get(
        "disabled")
    nxt = await h.fake.click(h.guild, h.alice, int(page["id"]), "history:next")
    page = await nxt.wait_original(lambda m: "first" in str(m["embeds"]))
    (only,) = page["embeds"][0]["fields"]
    assert "first" in only["value"] and "not alice" not in str(page["embeds"])
    assert _buttons(page)["history:next"].get("disabled")
    # Someone else cannot page through it.
    other = await h.fake.click(h.guild, h.bob, int(page["id"]), "history:previous")
    refusal = await other.response()
    assert refusal.json["data"]["flags"] & EPHEMERAL and "someone else" in refusal.json[
        "data"]["content"]


async def test_delete_own_project_after_confirmation(make_harness) -> None:
    h: Harness = await make_harness(workers=0)
    (pid,) = await _queue(h, h.alice, "delete me")
    choices = await h.fake.autocomplete(h.guild, h.alice, "delete", {"project": ""},
                                        focused="project")
    assert [c["value"] for c in choices] == [pid]
    ia = await h.fake.slash(h.guild, h.alice, "delete", {"project": pid})
    await ia.response()
    question = ia.original
    assert question["flags"] & EPHEMERAL and "delete me" in question["content"]
    assert await h.jobs.get(pid) is not None  # nothing happens before the confirmation
    confirm = await h.fake.click(h.guild, h.alice, int(question["id"]), f"project:delete:"
                                 f"{pid.replace('-', '')}")
    await confirm.wait_original(lambda m: m["content"].startswith("🗑️ Deleted"))
    assert await h.jobs.get(pid) is None


async def test_someone_elses_project_is_refused_unless_manager(make_harness) -> None:
    h: Harness = await make_harness(workers=0)
    (pid,) = await _queue(h, h.alice, "alice's words")
    choices = await h.fake.autocomplete(h.guild, h.bob, "delete", {"project": ""},
                                        focused="project")
    assert choices == []  # bob's autocomplete only lists bob's projects
    ia = await h.fake.slash(h.guild, h.bob, "delete", {"project": pid})
    refusal = (await ia.response()).json["data"]
    assert refusal["flags"] & EPHEMERAL and "isn't yours" in refusal["content"]
    assert await h.jobs.get(pid) is not None
    # A server manager may, in the project's own server.
    ia = await h.fake.slash(h.guild, h.bob, "delete", {"project": pid}, permissions=MANAGE_GUILD)
    await ia.response()
    confirm = await h.fake.click(h.guild, h.bob, int(ia.original["id"]),
                                 f"project:delete:{pid.replace('-', '')}",
                                 permissions=MANAGE_GUILD)
    await confirm.wait_original(lambda m: m["content"].startswith("🗑️ Deleted"))
    assert await h.jobs.get(pid) is None


async def test_voices_lists_by_language(harness: Harness) -> None:
    h = harness
    ia = await h.fake.slash(h.guild, h.alice, "voices")
    embed = (await ia.response()).json["data"]["embeds"][0]
    names = [f["name"] for f in embed["fields"]]
    assert "American English" in names and "French" in names
    ia = await h.fake.slash(h.guild, h.alice, "voices", {"language": "b"})
    embed = (await ia.response()).json["data"]["embeds"][0]
    (field,) = embed["fields"]
    assert field["name"] == "British English" and "bf_emma" in field["value"]
    # Each voice is described once: name, language and gender, nothing repeated.
    assert "`bf_emma` Emma (British English, female)\n" in field["value"] + "\n", field


async def test_voice_autocomplete_labels_say_each_thing_once(harness: Harness) -> None:
    h = harness
    choices = await h.fake.autocomplete(h.guild, h.alice, "tts", {"text": "x", "voice": "bella"},
                                        focused="voice")
    assert choices[0]["name"] == "af_bella — Bella (American English, female)", choices[0]
