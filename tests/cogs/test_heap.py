"""A bot in many servers keeps its long-lived objects out of the garbage collector's way."""

from __future__ import annotations

import gc

import discord

from tests.cogs.conftest import Harness


async def test_the_server_cache_is_frozen_once_ready(harness: Harness) -> None:
    # Frozen objects are in no generation: a full collection does not walk them.
    assert gc.get_freeze_count() > 0
    tracked = {id(o) for o in gc.get_objects() if isinstance(o, discord.Guild)}
    assert [g for g in harness.bot.guilds if id(g) in tracked] == []
    gc.unfreeze()  # the rest of the session collects as usual
