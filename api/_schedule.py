"""Scheduling asked for by a trusted bot key: the priority and fairness key a bot shard sends
with each synthesis request, so that voice goes before jobs and Discord servers take turns on
this synthesis server just as they would in the shard's own engine.

Only keys whose user id is in `api.bot_users` may ask; anyone else's headers are ignored (a
client could otherwise jump the queue, or dodge its rate limit with made-up fairness keys).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web

from api.errors import FieldInvalid
from tts_engine.synthesis.remote import FAIRNESS_HEADER, PRIORITY_HEADER
from tts_engine.synthesis.scheduler import Priority

#: Longest fairness key accepted (a Discord id is 20 digits).
MAX_KEY_CHARS = 64


@dataclass(frozen=True)
class Schedule:
    """Where a request goes in the engine's queue."""

    priority: Priority
    #: Who asked, for round robin; None: the request is its own key.
    key: str | None

    def engine_kwargs(self, user_id: str | None) -> dict[str, Any]:
        """Keyword arguments for `engine.stream` / `engine.synthesize`."""
        key = None if self.key is None else f"{user_id}:{self.key}"
        return {"priority": self.priority, "key": key}


SCHEDULE: web.RequestKey[Schedule] = web.RequestKey("api_schedule")


def requested(request: web.Request) -> Schedule | None:
    """The scheduling headers of `request`, if it sent any; a clear error if malformed."""
    priority = request.headers.get(PRIORITY_HEADER)
    key = request.headers.get(FAIRNESS_HEADER)
    if priority is None and key is None:
        return None
    names = {p.name.lower(): p for p in Priority}
    if priority is not None and priority.lower() not in names:
        raise FieldInvalid(PRIORITY_HEADER, f"must be one of {', '.join(names)}")
    if key is not None and not (0 < len(key) <= MAX_KEY_CHARS):
        raise FieldInvalid(FAIRNESS_HEADER, f"must be 1 to {MAX_KEY_CHARS} characters")
    return Schedule(names[priority.lower()] if priority else Priority.INTERACTIVE, key)


def engine_kwargs(request: web.Request, user_id: str | None) -> dict[str, Any]:
    """The engine's scheduling arguments for `request` (none unless a bot key asked)."""
    schedule = request.get(SCHEDULE)
    return {} if schedule is None else schedule.engine_kwargs(user_id)
