"""Following a job: edits its Discord reply at each stage, then attaches or links the audio.

A follower needs only the interaction's token and message id, both stored on the project, so
after a restart `resume()` picks up every unfinished project and keeps editing its reply.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from uuid import UUID

import discord

from bot.jobs import ProgressEvent, Stage
from cogs.tts._throttle import ProgressEditor
from storage.models import TTSProject

from .._audio import DEFAULT_UPLOAD_LIMIT, AudioFile, pick_audio
from .._text import NO_MENTIONS
from ._buttons import in_voice, result_view
from ._render import (
    done_content,
    ended_content,
    progress_content,
    stalled_after_s,
    worker_gone,
)
from ._reply import EditFn, Reply

if TYPE_CHECKING:
    from bot.client import TTSBot

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReplyTarget:
    """Where a project's reply lives and how to edit it."""

    project_id: UUID
    edit: EditFn
    user_id: int
    guild_id: int | None
    channel_id: int | None = None
    upload_limit: int = DEFAULT_UPLOAD_LIMIT
    message_id: int | None = None


class ProgressTracker:
    """One follower task per project with a reply to keep up to date."""

    def __init__(self, bot: TTSBot) -> None:
        self.bot = bot
        self._tasks: dict[UUID, asyncio.Task[None]] = {}

    def follow(self, target: ReplyTarget) -> asyncio.Task[None]:
        """Start following `target`'s project (once)."""
        current = self._tasks.get(target.project_id)
        if current is not None and not current.done():
            return current
        task = asyncio.create_task(self._follow(target), name=f"follow-{target.project_id}")
        self._tasks[target.project_id] = task
        task.add_done_callback(lambda _: self._tasks.pop(target.project_id, None))
        return task

    async def resume(self) -> int:
        """Re-follow every unfinished project that has a reply (after a restart)."""
        count = 0
        for project in await self.bot.jobs.unfinished_with_messages():
            if not project.interaction_token or project.progress_message_id is None:
                continue
            webhook = discord.Webhook.partial(
                self._application_id(), project.interaction_token, client=self.bot)
            edit = _edit_by_id(webhook, project.progress_message_id)
            self.follow(ReplyTarget(project.id, edit, int(project.user_id), project.guild_id,
                                    project.progress_channel_id,
                                    message_id=project.progress_message_id))
            count += 1
        if count:
            log.info("following %d unfinished projects again after a restart", count)
        return count

    def _application_id(self) -> int:
        app_id = self.bot.application_id
        assert app_id is not None, "resume() runs after login"
        return app_id

    async def close(self) -> None:
        """Stop following (the jobs themselves carry on)."""
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _follow(self, target: ReplyTarget) -> None:
        reply = Reply(self.bot, target.project_id, target.edit, target.channel_id,
                      target.message_id)
        editor: ProgressEditor[ProgressEvent] = ProgressEditor(
            lambda event: self._show(target, reply, event),
            self.bot.settings.discord.progress_edit_interval_s,
        )
        try:
            async for event in self._events(target.project_id):
                if event.stage.final:
                    await editor.finish(event)
                    return
                await editor.update(event)
        except Exception:
            log.exception("following project %s failed", target.project_id)
        finally:
            await editor.close()

    async def _events(self, project_id: UUID) -> AsyncIterator[ProgressEvent]:
        """The job's events; while it runs and nothing happens, its last event again from time
        to time, so that a worker that went silent is noticed (the row does not change)."""
        inbox: asyncio.Queue[ProgressEvent | None] = asyncio.Queue()
        pump = asyncio.create_task(_pump(self.bot.jobs.subscribe(project_id), inbox))
        recheck_s = stalled_after_s(self.bot.settings.jobs.heartbeat_s)
        last: ProgressEvent | None = None
        try:
            while True:
                try:
                    async with asyncio.timeout(recheck_s):
                        event = await inbox.get()
                except TimeoutError:
                    if last is not None and last.stage is not Stage.QUEUED:
                        yield last
                    continue
                if event is None:
                    return
                last = event
                yield event
        finally:
            pump.cancel()
            await asyncio.gather(pump, return_exceptions=True)

    async def _show(self, target: ReplyTarget, reply: Reply, event: ProgressEvent) -> None:
        project = await self.bot.jobs.get(target.project_id)
        if project is None:
            await reply.edit(content="🗑️ This project was deleted.", attachments=[], view=None,
                             allowed_mentions=NO_MENTIONS)
        elif event.stage is Stage.DONE:
            await self._show_done(target, reply, project)
        elif event.stage.final:
            await self._deliver(target, reply, content=ended_content(event, project), view=None)
        else:
            jobs = self.bot.settings.jobs
            content = progress_content(event, project, max_attempts=jobs.max_attempts,
                                       worker_gone=worker_gone(project, jobs.heartbeat_s,
                                                               self.bot.jobs.worker_id))
            if content != reply.content:
                await reply.edit(content=content, allowed_mentions=NO_MENTIONS)

    async def _show_done(self, target: ReplyTarget, reply: Reply, project: TTSProject) -> None:
        file = await pick_audio(self.bot.jobs, project, target.upload_limit)
        guild = self.bot.get_guild(target.guild_id) if target.guild_id else None
        member = guild.get_member(target.user_id) if guild else None
        view = result_view(self.bot, project.id.hex, show_play=in_voice(member))
        await self._deliver(target, reply, content=done_content(project, attached=file is not None),
                            file=file, view=view)
        log.info("project %s delivered (%s)", project.id,
                 file.filename if file else "as a link")

    async def _deliver(self, target: ReplyTarget, reply: Reply, *, content: str,
                       view: discord.ui.View | None, file: AudioFile | None = None) -> None:
        """The final edit; if the reply can no longer be edited at all (deleted, or neither
        its token nor its id works), the result goes to the channel as a new message."""
        try:
            await reply.edit(content=content, attachments=[file.to_file()] if file else [],
                             view=view, allowed_mentions=NO_MENTIONS)
            return
        except discord.HTTPException as exc:
            if exc.status not in (401, 403, 404) or target.channel_id is None:
                raise
            log.info("reply of %s is no longer editable (%s); posting the result instead",
                     target.project_id, exc.status)
        channel = self.bot.get_partial_messageable(target.channel_id)
        await channel.send(content=content, file=file.to_file() if file else discord.utils.MISSING,
                           view=view or discord.utils.MISSING, allowed_mentions=NO_MENTIONS)


async def _pump(events: AsyncIterator[ProgressEvent],
                inbox: asyncio.Queue[ProgressEvent | None]) -> None:
    try:
        async for event in events:
            inbox.put_nowait(event)
    except Exception:
        log.exception("following a job's progress failed")
    finally:
        inbox.put_nowait(None)


def _edit_by_id(webhook: discord.Webhook, message_id: int) -> EditFn:
    async def edit(**kwargs: Any) -> Any:
        return await webhook.edit_message(message_id, **kwargs)
    return edit
