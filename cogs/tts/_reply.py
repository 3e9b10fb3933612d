"""Editing one /tts reply: through the interaction while its token lasts, then by message id.

An interaction token lasts 15 minutes; a long queue or a restart outlives it. The reply is
a normal message of the bot's in its channel, so after that it is edited by channel and
message id, as the bot's own message.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any
from uuid import UUID

import discord

if TYPE_CHECKING:
    from bot.client import TTSBot

log = logging.getLogger(__name__)

#: Edits the reply: `await edit(content=..., attachments=[...], view=..., allowed_mentions=...)`.
EditFn = Callable[..., Awaitable[Any]]

#: What Discord answers once an interaction token has expired (Invalid Webhook Token).
TOKEN_EXPIRED = 401


class Reply:
    """One reply to keep up to date, and what it shows now."""

    def __init__(self, bot: TTSBot, project_id: UUID, edit: EditFn,
                 channel_id: int | None, message_id: int | None) -> None:
        self.bot, self.project_id, self._edit = bot, project_id, edit
        self.channel_id, self.message_id = channel_id, message_id
        self._token_expired = False
        #: The content last shown (an unchanged state is not sent again).
        self.content: str | None = None

    async def edit(self, **fields: Any) -> None:
        """Apply `fields` to the reply, by message id once the token no longer works."""
        if not self._token_expired:
            try:
                await self._edit(**fields)
                self.content = fields.get("content", self.content)
                return
            except discord.HTTPException as exc:
                if exc.status != TOKEN_EXPIRED or not self.editable_by_id:
                    raise
                log.info("the interaction token of %s expired; editing its reply by id",
                         self.project_id)
                self._token_expired = True
                for file in fields.get("attachments") or []:
                    if isinstance(file, discord.File):
                        file.reset()  # the failed request read it
        assert self.channel_id is not None and self.message_id is not None
        channel = self.bot.get_partial_messageable(self.channel_id)
        await channel.get_partial_message(self.message_id).edit(**fields)
        self.content = fields.get("content", self.content)

    @property
    def editable_by_id(self) -> bool:
        """Whether the reply's channel and message are known."""
        return self.channel_id is not None and self.message_id is not None
