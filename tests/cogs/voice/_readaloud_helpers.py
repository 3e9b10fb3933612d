"""Helpers of the read-aloud tests: configuring through /readaloud and seeing what is read."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.fakes.discord import payloads

from .conftest import WAIT_S, VoiceHarness

MANAGER = payloads.MANAGE_GUILD | payloads.MEMBER_PERMISSIONS


async def configure(h: VoiceHarness, **options: Any) -> str:
    """Run /readaloud as a server manager; returns the bot's answer."""
    ia = await h.fake.slash(h.guild, h.alice, "readaloud", options, permissions=MANAGER)
    reply = await ia.response(within=WAIT_S)
    assert reply.json is not None
    return str(reply.json["data"]["content"])


async def configure_roles(h: VoiceHarness, **roles: dict[str, Any]) -> str:
    """Run /readaloud with role options (`name=role payload`), resolved as Discord sends them."""
    data = {"id": str(payloads.snowflake()), "name": "readaloud", "type": 1,
            "guild_id": str(h.guild.id),
            "resolved": {"roles": {r["id"]: r for r in roles.values()}},
            "options": [{"name": k, "type": 8, "value": r["id"]} for k, r in roles.items()]}
    ia = await h.fake.send_interaction(h.guild, h.alice, 2, data, permissions=MANAGER)
    reply = await ia.response(within=WAIT_S)
    assert reply.json is not None
    return str(reply.json["data"]["content"])


async def nickname_for(h: VoiceHarness, by: int, name: str, member: int,
                       permissions: int = payloads.MEMBER_PERMISSIONS) -> str:
    """/nickname for another member (a resolved user option, as Discord sends it)."""
    user = payloads.user(member, "member")
    part = payloads.member(user)
    del part["user"]
    data = {"id": str(payloads.snowflake()), "name": "nickname", "type": 1,
            "guild_id": str(h.guild.id),
            "resolved": {"users": {str(member): user}, "members": {str(member): part}},
            "options": [{"name": "name", "type": 3, "value": name},
                        {"name": "member", "type": 6, "value": str(member)}]}
    ia = await h.fake.send_interaction(h.guild, by, 2, data, permissions=permissions)
    reply = await ia.response(within=WAIT_S)
    assert reply.json is not None
    return str(reply.json["data"]["content"])


def texts(h: VoiceHarness) -> list[str]:
    """The text of everything the player read, reads, or has queued, in order."""
    player = h.player
    items = [*player.played, *([player.current] if player.current else []), *player.queue]
    return [u.text for u in items]


async def read_until(h: VoiceHarness, marker: str, count: int = 1) -> list[str]:
    """`texts(h)` once `count` of them end with `marker` (messages are handled in order, so
    every message sent before the marker has been decided by then)."""
    deadline = asyncio.get_running_loop().time() + WAIT_S
    while sum(t.endswith(marker) for t in texts(h)) < count:
        assert asyncio.get_running_loop().time() < deadline, f"{marker!r} never queued"
        await asyncio.sleep(0.01)
    return texts(h)


async def voice_state(h: VoiceHarness, user: int, name: str, **state: Any) -> None:
    """A member's voice state changes (self_mute, self_deaf, suppress...)."""
    member = payloads.member(payloads.user(user, name))
    data = payloads.voice_state(h.guild.id, h.guild.voice_channel_id, user,
                                member_payload=member)
    data.update(state)
    await h.fake.dispatch("VOICE_STATE_UPDATE", data, h.guild.id)
