"""Builders of Discord API payloads shaped as discord.py 2.7 expects them."""

from __future__ import annotations

import itertools
import time
from datetime import UTC, datetime
from typing import Any

DISCORD_EPOCH_MS = 1420070400000
_counter = itertools.count(1)

#: Permission bits the tests use.
MANAGE_GUILD = 1 << 5
ALL_PERMISSIONS = (1 << 53) - 1
#: Connect, speak, view, send, attach files, embed links, read history, use app commands.
MEMBER_PERMISSIONS = (1 << 20) | (1 << 21) | (1 << 10) | (1 << 11) | (1 << 15) | (1 << 14) \
    | (1 << 16) | (1 << 31)


def snowflake() -> int:
    """A fresh, valid, increasing snowflake (its timestamp is now)."""
    ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
    return (ms << 22) | (next(_counter) & 0x3FFFFF)


def now_iso() -> str:
    """The current time as Discord writes it."""
    return datetime.now(UTC).isoformat()


def user(user_id: int, name: str, *, bot: bool = False) -> dict[str, Any]:
    """A user object."""
    return {
        "id": str(user_id), "username": name, "global_name": name, "discriminator": "0",
        "avatar": None, "bot": bot, "public_flags": 0,
    }


def member(
    user_payload: dict[str, Any], *, roles: list[int] | None = None, nick: str | None = None,
    permissions: int | None = None,
) -> dict[str, Any]:
    """A guild member object; `permissions` is set only inside interactions."""
    data: dict[str, Any] = {
        "user": user_payload, "roles": [str(r) for r in roles or []], "nick": nick,
        "joined_at": now_iso(), "deaf": False, "mute": False, "flags": 0,
    }
    if permissions is not None:
        data["permissions"] = str(permissions)
    return data


def text_channel(channel_id: int, guild_id: int, name: str, position: int = 0) -> dict[str, Any]:
    """A guild text channel."""
    return {
        "id": str(channel_id), "guild_id": str(guild_id), "type": 0, "name": name,
        "position": position, "permission_overwrites": [], "nsfw": False, "topic": None,
        "last_message_id": None, "rate_limit_per_user": 0, "parent_id": None,
    }


def voice_channel(channel_id: int, guild_id: int, name: str, position: int = 0) -> dict[str, Any]:
    """A guild voice channel."""
    return {
        "id": str(channel_id), "guild_id": str(guild_id), "type": 2, "name": name,
        "position": position, "permission_overwrites": [], "bitrate": 64000,
        "user_limit": 0, "rtc_region": None, "parent_id": None, "nsfw": False,
    }


def voice_state(
    guild_id: int, channel_id: int | None, user_id: int, session_id: str = "fake-session",
    member_payload: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A voice state (a member in a voice channel, or leaving one when channel_id is None)."""
    data: dict[str, Any] = {
        "guild_id": str(guild_id), "channel_id": str(channel_id) if channel_id else None,
        "user_id": str(user_id), "session_id": session_id, "deaf": False, "mute": False,
        "self_deaf": False, "self_mute": False, "self_video": False, "suppress": False,
        "request_to_speak_timestamp": None,
    }
    if member_payload is not None:
        data["member"] = member_payload
    return data


def role(role_id: int, name: str, permissions: int, position: int = 0) -> dict[str, Any]:
    """A role object."""
    return {
        "id": str(role_id), "name": name, "permissions": str(permissions), "position": position,
        "color": 0, "hoist": False, "managed": False, "mentionable": False, "flags": 0,
    }


def message(
    message_id: int, channel_id: int, author: dict[str, Any], content: str = "",
    **extra: Any,
) -> dict[str, Any]:
    """A message object; `extra` overrides or adds fields (embeds, components, attachments...)."""
    data: dict[str, Any] = {
        "id": str(message_id), "channel_id": str(channel_id), "author": author,
        "content": content, "timestamp": now_iso(), "edited_timestamp": None, "tts": False,
        "mention_everyone": False, "mentions": [], "mention_roles": [], "attachments": [],
        "embeds": [], "components": [], "pinned": False, "type": 0, "flags": 0,
    }
    data.update(extra)
    return data


def _option_type(value: Any) -> int:
    if isinstance(value, bool):
        return 5
    if isinstance(value, int):
        return 4
    if isinstance(value, float):
        return 10
    return 3


def command_options(
    options: dict[str, Any], focused: str | None = None
) -> list[dict[str, Any]]:
    """Slash-command options from `{name: value}`; the type is inferred from the value."""
    out = []
    for name, value in options.items():
        opt: dict[str, Any] = {"name": name, "type": _option_type(value), "value": value}
        if name == focused:
            opt["focused"] = True
            opt["type"] = 3
        out.append(opt)
    return out
