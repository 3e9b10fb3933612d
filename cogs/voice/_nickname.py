"""/nickname: how read-aloud says a member's name (your own; others' with Manage Nicknames)."""

from __future__ import annotations

import discord
from discord import app_commands

from bot import lookups
from bot.voice.errors import MAX_SPOKEN_NAME_CHARS, NicknameNotAllowed, NicknameTooLong
from cogs._text import NO_MENTIONS
from storage.models import SpokenName

#: Words that remove a spoken name (read-aloud goes back to the member's Discord name).
RESET_WORDS = frozenset({"reset", "off", "none", "-"})


async def set_spoken_name(guild_id: int, user_id: int, name: str | None) -> str | None:
    """Save (or, with a reset word, remove) a spoken name; returns the name now used."""
    if name is None or name.strip().lower() in RESET_WORDS:
        await SpokenName.filter(guild_id=guild_id, user_id=user_id).delete()
        await lookups.name_changed(guild_id, user_id)
        return None
    name = " ".join(name.split())
    if len(name) > MAX_SPOKEN_NAME_CHARS:
        raise NicknameTooLong()
    await SpokenName.update_or_create(defaults={"name": name}, guild_id=guild_id,
                                      user_id=user_id)
    await lookups.name_changed(guild_id, user_id)
    return name


@app_commands.command(name="nickname", description="How read-aloud says a name")
@app_commands.describe(name='The name to say ("reset" for the Discord name)',
                       member="Whose name (someone else's needs Manage Nicknames)")
@app_commands.guild_only()
async def nickname(interaction: discord.Interaction, name: str,
                   member: discord.Member | None = None) -> None:
    """Set how the bot says your name, or someone else's."""
    assert interaction.guild_id is not None
    target = member or interaction.user
    if target.id != interaction.user.id and not interaction.permissions.manage_nicknames:
        raise NicknameNotAllowed()
    saved = await set_spoken_name(interaction.guild_id, target.id, name)
    whose = "your" if target.id == interaction.user.id else f"{target.mention}'s"
    text = f"I'll say {whose} name as “{saved}”." if saved else \
        f"I'll say {whose} Discord name again."
    await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
