"""Command sync targets and sharding."""

from __future__ import annotations

from bot.client import ShardedTTSBot
from tests.cogs.conftest import Harness, bot_settings, connect


async def test_dev_guild_sync_is_per_guild(harness: Harness) -> None:
    h = harness
    h.bot.settings.discord.dev_guild_id = h.guild.id
    await h.bot.sync_commands()
    names = {c["name"] for c in h.fake.commands[h.guild.id]}
    assert {"tts", "history", "delete", "voices", "settings"} <= names


async def test_sharded_bot_connects_and_answers(harness: Harness, model_dir) -> None:
    h = harness
    await h.bot.close()  # one client at a time on the fake gateway
    settings = bot_settings(model_dir)
    settings.discord.sharded = True
    bot, task = await connect(h.fake, settings, h.bot.engine, h.jobs)
    try:
        assert isinstance(bot, ShardedTTSBot)
        assert any(r.path == "/gateway/bot" for r in h.fake.requests)
        ia = await h.fake.slash(h.guild, h.alice, "voices")
        assert (await ia.response()).json["data"]["embeds"]
    finally:
        await bot.close()
        task.cancel()
