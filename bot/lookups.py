"""Cached reads of what every message needs: server settings and read-aloud controls, a
user's defaults, spoken names (dictionaries are cached in `bot.dictionary`).

Each lookup answers from this process's cache or costs one query; writers call the matching
`*_changed()` so this process and (on PostgreSQL) every other one reads the row afresh.
Bounds, in entries: servers 20,000 (the whole `guild_settings` table is read at READY, or at
first use, when it fits, so a server without a row costs no query), users 20,000, spoken names
20,000.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from bot.voice.controls import ReadAloudControls
from storage import cache
from storage.models import GuildSettings, SpokenName, UserSettings

GUILD_ENTRIES = 20_000
USER_ENTRIES = 20_000
NAME_ENTRIES = 20_000


@dataclass(frozen=True)
class GuildView:
    """A server's settings row, with its read-aloud controls validated once."""

    settings: GuildSettings
    controls: ReadAloudControls
    read_channels: frozenset[int]

    @classmethod
    def of(cls, row: GuildSettings) -> GuildView:
        return cls(row, ReadAloudControls.load(row.readaloud),
                   frozenset(int(c) for c in row.read_channel_ids or []))


GUILDS: cache.RowCache[GuildView | None] = cache.RowCache("guild", GUILD_ENTRIES)
USERS: cache.RowCache[UserSettings | None] = cache.RowCache("user", USER_ENTRIES)
NAMES: cache.RowCache[str | None] = cache.RowCache("name", NAME_ENTRIES)
#: The read of the whole table in flight or done, and the cache generation it was for.
_fill: tuple[int, asyncio.Task[bool]] | None = None


async def _read_guilds(generation: int) -> bool:
    """Fill the cache with the whole table; False when it is larger than the cache."""
    rows = await GuildSettings.all().limit(GUILD_ENTRIES + 1)
    GUILDS.fill({str(r.guild_id): GuildView.of(r) for r in rows}, generation)
    return len(rows) <= GUILD_ENTRIES


def _read_again(generation: int) -> bool:
    if _fill is None:
        return True
    done_for, task = _fill
    if task.get_loop() is not asyncio.get_running_loop():
        return True
    if not task.done():
        return False
    if task.cancelled() or task.exception() is not None:
        return True
    return task.result() and done_for != generation and not GUILDS.complete


async def warm() -> None:
    """Read the whole settings table (one query; the bot calls it at READY), so servers
    without a row cost nothing, not even their first message. Messages arriving meanwhile
    wait for the same read. It is read again only after the cache was cleared or a read
    failed, not for each changed row (those are read one by one), and a table larger than
    the cache is read whole only once."""
    global _fill
    generation = GUILDS.generation
    if _read_again(generation):
        _fill = (generation, asyncio.ensure_future(_read_guilds(generation)))
    assert _fill is not None
    await asyncio.shield(_fill[1])


def known_guild(guild_id: int) -> tuple[bool, GuildView | None]:
    """(True, view) when the server's settings are known without a query; (False, None)
    otherwise. Lets the message listener drop a message without awaiting anything."""
    key = str(guild_id)
    if not GUILDS.known(key):
        return False, None
    return True, GUILDS.peek(key)


async def guild(guild_id: int) -> GuildView | None:
    """A server's settings and controls; None when it never saved any."""
    if not GUILDS.known(str(guild_id)) and not GUILDS.complete:
        await warm()

    async def load() -> GuildView | None:
        row = await GuildSettings.get_or_none(guild_id=guild_id)
        return GuildView.of(row) if row is not None else None
    return await GUILDS.get(str(guild_id), load, None)


async def guild_settings(guild_id: int) -> GuildSettings | None:
    """A server's settings row (cached); None when it never saved any."""
    view = await guild(guild_id)
    return view.settings if view is not None else None


async def user_settings(user_id: int | str) -> UserSettings | None:
    """A user's defaults (cached); None when they never saved any."""
    key = str(user_id)
    return await USERS.get(key, lambda: UserSettings.get_or_none(user_id=key), None)


async def spoken_name(guild_id: int, user_id: int) -> str | None:
    """The member's /nickname in that server (cached); None when unset."""
    async def load() -> str | None:
        row = await SpokenName.get_or_none(guild_id=guild_id, user_id=user_id)
        return row.name if row is not None else None
    return await NAMES.get(f"{guild_id}:{user_id}", load, None)


async def guild_changed(guild_id: int) -> None:
    """A server's settings were written."""
    await cache.changed(GUILDS, str(guild_id))


async def user_changed(user_id: int | str) -> None:
    """A user's defaults were written."""
    await cache.changed(USERS, str(user_id))


async def name_changed(guild_id: int, user_id: int) -> None:
    """A spoken name was set or removed."""
    await cache.changed(NAMES, f"{guild_id}:{user_id}")
