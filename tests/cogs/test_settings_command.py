"""/settings: personal and server defaults, who may set the server's, and bad values."""

from __future__ import annotations

from storage.models import GuildSettings, UserSettings
from tests.cogs.conftest import Harness

EPHEMERAL = 64
MANAGE_GUILD = 1 << 5


async def _answer(h: Harness, user: int, command: str, options: dict | None = None,
                  **kw: object) -> str:
    ia = await h.fake.slash(h.guild, user, command, options or {}, **kw)
    data = (await ia.response()).json["data"]
    assert data["flags"] & EPHEMERAL
    return str(data["content"])


async def test_user_defaults_saved_shown_and_reset(harness: Harness) -> None:
    h = harness
    text = await _answer(h, h.alice, "settings user", {"voice": "ff_siwis", "speed": 0.8})
    assert "ff_siwis" in text and "0.8" in text
    row = await UserSettings.get(user_id=str(h.alice))
    assert (row.voice, row.speed) == ("ff_siwis", 0.8)
    assert "ff_siwis" in await _answer(h, h.alice, "settings show")
    assert "nothing set" in await _answer(h, h.alice, "settings user", {"reset": True})


async def test_only_managers_set_server_defaults(harness: Harness) -> None:
    h = harness
    refused = await _answer(h, h.bob, "settings server", {"voice": "bf_emma"})
    assert "Manage Server" in refused
    assert await GuildSettings.get_or_none(guild_id=h.guild.id) is None
    done = await _answer(h, h.bob, "settings server", {"speed": 1.25}, permissions=MANAGE_GUILD)
    assert "1.25" in done
    assert (await GuildSettings.get(guild_id=h.guild.id)).speed == 1.25


async def test_bad_values_are_refused_and_nothing_saved(harness: Harness) -> None:
    h = harness
    assert "no voice called 'zz_nobody'" in await _answer(h, h.alice, "settings user",
                                                          {"voice": "zz_nobody"})
    assert "does not speak Japanese" in await _answer(
        h, h.alice, "settings user", {"voice": "af_bella", "language": "j"})
    assert "out of range" in await _answer(h, h.alice, "settings user", {"speed": 9.0})
    assert await UserSettings.get_or_none(user_id=str(h.alice)) is None
