"""A server's read-aloud controls (set with /readaloud, stored in `GuildSettings.readaloud`).

Who is read (a required role, a prefix, bots, the Stage audience, voice channels' own chat,
self-muted or deafened members) and how (seconds of speech, repeated characters, emoji,
"<name> said" and its template, which name, which voices, a priority role, the channel status).
"""

from __future__ import annotations

import logging
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError, field_validator

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
        ))
