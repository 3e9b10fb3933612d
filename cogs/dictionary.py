"""/dictionary add|remove|list: pronunciation dictionaries, your own or the server's.

The entries live in `bot.dictionary`; every way the bot speaks applies them (read-aloud,
/say, /tts, the HTTP API and Wyoming).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot import dictionary
from bot.dictionary import ManageServerNeeded, Owner, ServerOnly
from cogs._text import NO_MENTIONS

if TYPE_CHECKING:
    from bot.client import TTSBot

Scope = Literal["me", "server"]
#: Discord's limit on a message, less room for the listing's heading.
_LISTING_ROOM = 2000 - 100


def _owner(interaction: discord.Interaction, scope: Scope, *, changing: bool) -> Owner:
    if scope == "me":
        return Owner.user(interaction.user.id)
    if interaction.guild_id is None:
        raise ServerOnly()
    if changing and not interaction.permissions.manage_guild:
        raise ManageServerNeeded()
    return Owner.guild(interaction.guild_id)


def _pages(lines: list[str]) -> list[list[str]]:
    """Lines in pages of at most PAGE_SIZE that fit one Discord message with their heading:
    long words and replacements make fewer lines a page (Discord refuses the whole message)."""
    pages: list[list[str]] = [[]]
    size = 0
    for line in lines:
        if pages[-1] and (len(pages[-1]) == dictionary.PAGE_SIZE
                          or size + len(line) + 1 > _LISTING_ROOM):
            pages.append([])
            size = 0
        pages[-1].append(line)
        size += len(line) + 1
    return pages


async def _send(interaction: discord.Interaction, text: str) -> None:
    await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)


class DictionaryCog(commands.GroupCog, name="dictionary",
                    description="How words are pronounced"):
    """Pronunciation dictionaries."""

    def __init__(self, bot: TTSBot) -> None:
        self.bot = bot
        super().__init__()

    @app_commands.command(name="add", description="Say a word differently (text or /phonemes/)")
    @app_commands.describe(
        word="The word as written", replacement='What to say: words, or phonemes as /kˈOkəɹO/',
        scope="Your own dictionary (default) or the server's (Manage Server)",
        match_case="Only when written with exactly this case")
    async def add(self, interaction: discord.Interaction, word: str, replacement: str,
                  scope: Scope = "me", match_case: bool = False) -> None:
        owner = _owner(interaction, scope, changing=True)
        new = await dictionary.put(owner, word, replacement, match_case)
        line = dictionary.describe(dictionary.Entry(word.strip(), replacement.strip(),
                                                    match_case))
        await _send(interaction, f"{'Added' if new else 'Updated'} in {owner.label.lower()} "
                                 f"dictionary: {line}")

    @app_commands.command(name="remove", description="Remove a dictionary entry")
    @app_commands.describe(word="The word to remove", scope="Your own dictionary or the server's")
    async def remove(self, interaction: discord.Interaction, word: str,
                     scope: Scope = "me") -> None:
        owner = _owner(interaction, scope, changing=True)
        entry = await dictionary.remove(owner, word)
        await _send(interaction, f"Removed **{entry.word}** from {owner.label.lower()} "
                                 "dictionary.")

    @app_commands.command(name="list", description="Show a dictionary, a page at a time")
    @app_commands.describe(scope="Your own dictionary or the server's", page="Which page")
    async def list_(self, interaction: discord.Interaction, scope: Scope = "me",
                    page: app_commands.Range[int, 1, 100] = 1) -> None:
        owner = _owner(interaction, scope, changing=False)
        entries = await dictionary.entries(owner)
        if not entries:
            await _send(interaction, f"{owner.label} dictionary is empty. Add words with "
                                     "/dictionary add.")
            return
        pages = _pages([dictionary.describe(e) for e in entries])
        page = min(page, len(pages))
        lines = "\n".join(pages[page - 1])
        await _send(interaction, f"{owner.label} dictionary ({len(entries)} entries), page "
                                 f"{page} of {len(pages)}:\n{lines}")


async def setup(bot: TTSBot) -> None:
    """Add the /dictionary commands."""
    await bot.add_cog(DictionaryCog(bot))
