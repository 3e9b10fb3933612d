"""A server's read-aloud controls (set with /readaloud, stored in `GuildSettings.readaloud`).

Who is read (a required role, a prefix, bots, the Stage audience, voice channels' own chat,
self-muted or deafened members) and how (seconds of speech, repeated characters, emoji,
"<name> said" and its template, which name, which voices, a priority role, the channel status),
and what happens when messages pile up (read faster, skip stale ones).
"""

from __future__ import annotations

import logging
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError, field_validator

from bot.voice.overload import Overload

log = logging.getLogger(__name__)

#: Characters per second of speech at speed 1.0 (Kokoro reads English at about 14-16).
CHARS_PER_SECOND = 15.0
DEFAULT_TEMPLATE = "{name} said"


class ReadAloudControls(BaseModel):
    """Every read-aloud control with its default (what a server gets before changing any)."""

    required_role_id: int | None = None
    required_prefix: str = Field(default="", max_length=16)
    read_bots: bool = False
    ignore_audience: bool = True
    voice_chat: bool = True
    read_self_muted: bool = True
    max_seconds: float = Field(default=20.0, ge=1.0, le=120.0)
    repeat_limit: int = Field(default=3, ge=0, le=20)  # 0: never collapse
    emoji: Literal["name", "skip"] = "name"
    name_template: str = Field(default=DEFAULT_TEMPLATE, max_length=64)
    name_source: Literal["nickname", "display"] = "nickname"
    allowed_voices: list[str] = Field(default_factory=list, max_length=50)
    priority_role_id: int | None = None
    voice_status: bool = True
    # Overload: read faster by `speedup_step` per message queued from `speedup_after` on, up
    # to `max_speedup` times; skip messages older than `skip_after_s` (0: never) with a summary.
    speedup_after: int = Field(default=3, ge=1, le=50)
    speedup_step: float = Field(default=0.1, ge=0.0, le=0.5)
    max_speedup: float = Field(default=1.5, ge=1.0, le=2.0)
    skip_after_s: float = Field(default=60.0, ge=0.0, le=3600.0)

    @field_validator("name_template")
    @classmethod
    def _has_name(cls, value: str) -> str:
        if "{name}" not in value:
            raise ValueError('the template needs "{name}" in it')
        return value

    @classmethod
    def load(cls, raw: dict[str, Any] | None) -> ReadAloudControls:
        """The stored controls; a value that no longer validates falls back to its default."""
        raw = dict(raw or {})
        try:
            return cls.model_validate(raw)
        except ValidationError as exc:
            bad = {str(err["loc"][0]) for err in exc.errors() if err["loc"]}
            log.warning("read-aloud controls: ignoring invalid %s", ", ".join(sorted(bad)))
            return cls.model_validate({k: v for k, v in raw.items() if k not in bad})

    def overload(self) -> Overload:
        """The server's overload behaviour for its player."""
        return Overload(self.speedup_after, self.speedup_step, self.max_speedup,
                        self.skip_after_s)

    def max_chars(self, speed: float = 1.0) -> int:
        """The longest text read, from `max_seconds` at `speed`."""
        return max(10, int(self.max_seconds * CHARS_PER_SECOND * speed))

    def said(self, name: str) -> str:
        """The "<name> said, " prefix."""
        return self.name_template.replace("{name}", name.replace("_", " ")) + ", "

    def describe(self) -> str:
        """The controls in a few lines, for /readaloud's answer."""
        role = f"<@&{self.required_role_id}>" if self.required_role_id else "anyone"
        prio = f"<@&{self.priority_role_id}>" if self.priority_role_id else "none"
        voices = ", ".join(self.allowed_voices) or "any"
        on = {True: "on", False: "off"}
        return "\n".join((
            f"Who: {role}; prefix: {self.required_prefix or 'none'}; "
            f"bots and webhooks: {on[self.read_bots]}; Stage audience ignored: "
            f"{on[self.ignore_audience]}; voice channel chat: {on[self.voice_chat]}; "
            f"self-muted or deafened members: {on[self.read_self_muted]}.",
            f"How: up to {self.max_seconds:g} s a message; repeated characters kept to "
            f"{self.repeat_limit or 'any number'}; emoji: {self.emoji}; names: "
            f'"{self.name_template}" with the {self.name_source} name.',
            f"Voices allowed: {voices}; priority role: {prio}; voice channel status: "
            f"{on[self.voice_status]}.",
            f"When messages pile up: {self.speedup_step:+.0%} speed per message queued from "
            f"{self.speedup_after} on, up to {self.max_speedup:g}x; messages waiting over "
            + (f"{self.skip_after_s:g} s are skipped with a summary."
               if self.skip_after_s else "any time are still read (skipping off)."),
        ))
