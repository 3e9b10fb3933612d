"""The fake Discord carries discord.py's real client: login, gateway, commands, components."""

from __future__ import annotations

import asyncio

import discord
from discord import app_commands
from discord.ext import commands

from tests.fakes.discord import FakeDiscord


class _Echo(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="Again", custom_id="echo:again")
    async def again(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await interaction.response.edit_message(content="again")


def _plain_bot(sharded: bool = False) -> commands.Bot:
    cls = commands.AutoShardedBot if sharded else commands.Bot
    bot = cls(command_prefix=[], intents=discord.Intents.default(), guild_ready_timeout=0.1)

    @bot.tree.command()
    @app_commands.describe(word="what to say")
    async def echo(interaction: discord.Interaction, word: str, times: int = 1) -> None:
        await interaction.response.send_message(word * times, view=_Echo())

    return bot


async def _run(fake: FakeDiscord, bot: commands.Bot) -> asyncio.Task[None]:
    await bot.login(fake.token)
    task = asyncio.create_task(bot.connect(reconnect=False))
    await asyncio.wait_for(bot.wait_until_ready(), 10)
    return task


async def test_client_connects_and_answers_a_slash_command() -> None:
    fake = FakeDiscord()
    guild = fake.add_guild()
    await fake.start()
    bot = _plain_bot()
    try:
        with fake.patched():
            task = await _run(fake, bot)
            assert bot.get_guild(guild.id) is not None
            await bot.tree.sync()
            assert [c["name"] for c in fake.commands[None]] == ["echo"]
            ia = await fake.slash(guild, 42, "echo", {"word": "ab", "times": 2})
            msg = await ia.wait_original(lambda m: m["content"] == "abab")
            assert msg["components"][0]["components"][0]["custom_id"] == "echo:again"
            click = await fake.click(guild, 42, int(msg["id"]), "echo:again")
            await click.wait_original(lambda m: m["content"] == "again")
            await bot.close()
            await asyncio.wait_for(task, 5)
    finally:
        await bot.close()
        await fake.stop()


async def test_sharded_client_and_voice_state_hook() -> None:
    fake = FakeDiscord()
    guild = fake.add_guild()
    await fake.start()
    bot = _plain_bot(sharded=True)
    try:
        with fake.patched():
            await _run(fake, bot)
            assert any(r.path == "/gateway/bot" for r in fake.requests)
            g = bot.get_guild(guild.id)
            assert g is not None
            ws = bot._get_websocket(guild.id)
            await ws.voice_state(guild.id, guild.voice_channel_id)
            await fake.wait_for_frame(4, lambda d: int(d["channel_id"]) == guild.voice_channel_id)
    finally:
        await bot.close()
        await fake.stop()


async def test_wrong_token_is_refused() -> None:
    fake = FakeDiscord(token="right")
    await fake.start()
    bot = _plain_bot()
    try:
        with fake.patched():
            try:
                await bot.login("wrong")
            except discord.LoginFailure:
                pass
            else:
                raise AssertionError("login with a wrong token succeeded")
    finally:
        await bot.close()
        await fake.stop()
