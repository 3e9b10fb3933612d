"""The database schema: TTS projects (the durable jobs) and per-user and per-guild settings.

Every schema change goes through a migration in `storage/migrations/` (Tortoise's own
migration tool), so an upgrade keeps every row.
"""

from __future__ import annotations

import hashlib
from enum import StrEnum

from tortoise import fields
from tortoise.models import Model
from tortoise.validators import MaxValueValidator, MinValueValidator


class ProjectStatus(StrEnum):
    """Where a project is in its life; the first two are active, the rest final."""

    PENDING = "pending"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def active(self) -> bool:
        """Queued or running: counts against the queue caps."""
        return self in ACTIVE_STATUSES

    @property
    def final(self) -> bool:
        """Nothing will change this project any more."""
        return not self.active


ACTIVE_STATUSES = (ProjectStatus.PENDING, ProjectStatus.PROCESSING)
FINAL_STATUSES = (ProjectStatus.COMPLETED, ProjectStatus.FAILED, ProjectStatus.CANCELLED)


def request_key(text: str, voice: str, speed: float, lang_code: str) -> str:
    """A digest identifying the audio a request produces; equal requests may share audio."""
    raw = "\x1f".join((lang_code, voice, f"{speed:.3f}", text))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


class TTSProject(Model):
    """One text-to-speech request and its result: the unit the job system carries."""

    id = fields.UUIDField(primary_key=True)
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)
    updated_at = fields.DatetimeField(auto_now=True)
    user_id = fields.CharField(max_length=64, db_index=True)
    source = fields.CharField(max_length=16, default="discord")
    # As the user typed it: what /history, the progress message and the API show.
    text = fields.TextField()
    # As it is synthesised: after the pronunciation dictionaries and normalisation (numbers,
    # dates, links as words). Null on rows from before it was kept (their `text` is it).
    spoken_text = fields.TextField(null=True)
    voice = fields.CharField(max_length=255)
    speed = fields.FloatField(
        default=1.0, validators=[MinValueValidator(0.5), MaxValueValidator(2.0)]
    )
    lang_code = fields.CharField(max_length=8)
    request_key = fields.CharField(max_length=64, db_index=True)
    status = fields.CharEnumField(ProjectStatus, max_length=16, default=ProjectStatus.PENDING)
    progress = fields.SmallIntField(default=0)
    error = fields.TextField(null=True)
    attempts = fields.SmallIntField(default=0)
    # Discord context: where the request came from and where its progress message lives, so a
    # restarted bot can keep editing it (the interaction token is valid for 15 minutes).
    guild_id = fields.BigIntField(null=True, db_index=True)
    channel_id = fields.BigIntField(null=True)
    progress_channel_id = fields.BigIntField(null=True)
    progress_message_id = fields.BigIntField(null=True)
    interaction_token = fields.TextField(null=True)
    # The lease: which worker runs the job, and when it last said it is alive.
    worker_id = fields.CharField(max_length=96, null=True)
    heartbeat_at = fields.DatetimeField(null=True)
    # A retried job is not claimed again before this moment (backoff).
    not_before = fields.DatetimeField(null=True)
    started_at = fields.DatetimeField(null=True)
    finished_at = fields.DatetimeField(null=True)
    # The result.
    audio_url = fields.CharField(max_length=1024, null=True)
    duration_s = fields.FloatField(null=True)
    audio_format = fields.CharField(max_length=8, null=True)
    size_bytes = fields.IntField(null=True)
    storage_backend = fields.CharField(max_length=16, null=True)
    storage_key = fields.CharField(max_length=255, null=True, db_index=True)

    class Meta:
        table = "tts_projects"
        indexes = (("status", "created_at"),)

    @property
    def spoken(self) -> str:
        """The text the engine says for this project."""
        return self.text if self.spoken_text is None else self.spoken_text

    def __str__(self) -> str:
        return f"TTSProject({self.id}, {self.status}, {self.progress}%)"


class UserSettings(Model):
    """A user's defaults for /tts (unset fields fall back to the guild's, then the engine's)."""

    user_id = fields.CharField(max_length=64, primary_key=True)
    voice = fields.CharField(max_length=255, null=True)
    speed = fields.FloatField(
        null=True, validators=[MinValueValidator(0.5), MaxValueValidator(2.0)]
    )
    lang = fields.CharField(max_length=8, null=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "user_settings"


class GuildSettings(Model):
    """A server's defaults and its voice-channel behaviour."""

    guild_id = fields.BigIntField(primary_key=True, generated=False)
    voice = fields.CharField(max_length=255, null=True)
    speed = fields.FloatField(
        null=True, validators=[MinValueValidator(0.5), MaxValueValidator(2.0)]
    )
    lang = fields.CharField(max_length=8, null=True)
    # Text channels whose messages are read aloud in the guild's voice channel.
    read_channel_ids: fields.Field[list[int]] = fields.JSONField(default=list)
    auto_join = fields.BooleanField(default=False)
    announce_names = fields.BooleanField(default=True)
    # The read-aloud controls (who is read and how), validated by `bot.voice.controls`.
    readaloud: fields.Field[dict[str, object]] = fields.JSONField(default=dict)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "guild_settings"


class DictionaryScope(StrEnum):
    """Whose pronunciation dictionary an entry belongs to."""

    USER = "user"
    GUILD = "guild"


class DictionaryEntry(Model):
    """One pronunciation-dictionary entry of a user or a server (`tts_engine.text.dictionary`)."""

    id = fields.IntField(primary_key=True)
    scope = fields.CharEnumField(DictionaryScope, max_length=8)
    # A user id (also an API key's user) or a guild id, as text.
    owner_id = fields.CharField(max_length=64)
    word = fields.CharField(max_length=64)
    replacement = fields.CharField(max_length=256)
    case_sensitive = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "dictionary_entries"
        unique_together = (("scope", "owner_id", "word"),)
        indexes = (("scope", "owner_id"),)


class SpokenName(Model):
    """How read-aloud says a member's name in one server (/nickname)."""

    id = fields.IntField(primary_key=True)
    guild_id = fields.BigIntField()
    user_id = fields.BigIntField()
    name = fields.CharField(max_length=64)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "spoken_names"
        unique_together = (("guild_id", "user_id"),)
