"""The bot's one typed settings object: `config.toml`, then environment overrides.

Secrets come from the environment (`DISCORD_TOKEN`, `CLOUDINARY_URL`, `DATABASE_URL`) or the file;
any key can be overridden as `TTSBOT__<SECTION>__<KEY>`. `config.example.toml` documents every key.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, IPvAnyNetwork, SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from tts_engine.config import EngineConfig

CONFIG_ENV = "TTSBOT_CONFIG"
DEFAULT_CONFIG_PATH = Path("config.toml")


class DiscordSettings(BaseModel):
    """Connection to Discord."""

    token: SecretStr | None = None
    # Sync slash commands to this guild only (instant); globally when unset.
    dev_guild_id: int | None = None
    sharded: bool = False
    shard_count: int | None = None
    # Seconds between edits of one progress message (Discord allows ~5 per 5 s per message).
    progress_edit_interval_s: float = Field(default=1.0, ge=0.2)
    # The privileged message content intent (read-aloud needs it; the rest of the bot does not).
    message_content: bool = True


class DatabaseSettings(BaseModel):
    """Where jobs and settings live."""

    url: str = "sqlite://data/bot.sqlite3"


class StorageSettings(BaseModel):
    """Where finished audio lives."""

    # "auto": Cloudinary when `cloudinary_url` (or CLOUDINARY_URL) is set, local files otherwise.
    backend: Literal["auto", "local", "cloudinary"] = "auto"
    local_dir: Path = Path("data/audio")
    # Base of the URLs of locally stored audio (served by the HTTP API under /audio/).
    public_base_url: str = "http://127.0.0.1:8080"
    cloudinary_url: SecretStr | None = None
    cloudinary_folder: str = "tts"
    upload_timeout_s: float = Field(default=60.0, gt=0)
    upload_attempts: int = Field(default=4, ge=1)
    # Keep the audio locally when Cloudinary keeps failing, instead of failing the job.
    fallback_to_local: bool = False


class JobSettings(BaseModel):
    """The job queue and its workers."""

    workers: int = Field(default=1, ge=0)
    timeout_s: float = Field(default=600.0, gt=0)
    max_attempts: int = Field(default=3, ge=1)
    retry_backoff_s: float = Field(default=2.0, ge=0)
    per_user_cap: int = Field(default=5, ge=1)
    global_cap: int = Field(default=200, ge=1)
    heartbeat_s: float = Field(default=5.0, gt=0)
    # A processing job whose heartbeat is older than this goes back to pending.
    lease_s: float = Field(default=30.0, gt=0)
    poll_interval_s: float = Field(default=1.0, gt=0)
    shutdown_grace_s: float = Field(default=20.0, ge=0)


class VoiceSettings(BaseModel):
    """Speaking in voice channels."""

    max_message_chars: int = Field(default=300, ge=10)
    name_repeat_s: float = Field(default=60.0, ge=0)
    ignore_prefix: str = "!"
    idle_timeout_s: float = Field(default=600.0, gt=0)
    empty_channel_grace_s: float = Field(default=15.0, ge=0)
    # Reading speed-up under a backlog until a server's /readaloud controls apply (channel
    # messages use the server's own: speedup_after, speedup_step, max_speedup, skip_after_s).
    backlog_threshold: int = Field(default=3, ge=1)
    max_speedup: float = Field(default=1.5, ge=1.0, le=2.0)
    queue_limit: int = Field(default=50, ge=1)
    # Seconds of audio synthesised ahead of playback at most (memory per server: ~48 KB per
    # second, plus one chunk); at least the longest start-up hold (bot.voice.pacing).
    read_ahead_s: float = Field(default=10.0, ge=5.0)


class ApiSettings(BaseModel):
    """The HTTP API (run inside the bot, or alone with `python -m bot api`)."""

    enabled: bool = False
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    # Bearer key -> user id. With no keys the API refuses to listen beyond loopback.
    keys: dict[str, str] = Field(default_factory=dict)
    # User ids (values of `keys`) whose keys are trusted bot keys: bot shards using this API as
    # a synthesis server (`engine.remote`). Their requests may carry a priority and fairness key
    # (voice before jobs, Discord servers in turn), and their rate limit is per fairness key.
    bot_users: list[str] = Field(default_factory=list)
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)
    rate_limit_per_minute: int = Field(default=60, ge=1)
    # The web page at /web/ (try voices, your projects, your dictionary).
    web: bool = True
    # Who the web page acts as when the API runs without keys (loopback only).
    web_user: str = Field(default="local", min_length=1, max_length=64)


class WyomingSettings(BaseModel):
    """The Wyoming TTS server for Home Assistant."""

    enabled: bool = False
    uri: str = "tcp://127.0.0.1:10200"
    # Whose pronunciation dictionary Wyoming applies (a user id, as in `api.keys`); none if unset.
    dictionary_user: str | None = None
    # Announce the server over zeroconf (`_wyoming._tcp`), so Home Assistant finds it by itself.
    zeroconf: bool = False
    # The name Home Assistant shows for the discovered server.
    zeroconf_name: str = Field(default="kokoro", min_length=1, max_length=63)
    # Wyoming has no authentication: beyond loopback it needs a list of the client addresses
    # or networks that may connect ("192.168.1.20", "192.168.1.0/24"), or an explicit yes.
    allowed_clients: list[IPvAnyNetwork] = Field(default_factory=list)
    allow_unauthenticated: bool = False
    # The most text one streamed synthesis (synthesize-start .. stop) may send, in characters.
    max_stream_chars: int = Field(default=100_000, ge=1)


class Settings(BaseSettings):
    """Everything the processes read at start-up."""

    model_config = SettingsConfigDict(
        env_prefix="TTSBOT__", env_nested_delimiter="__", extra="ignore"
    )

    log_level: str = "INFO"
    discord: DiscordSettings = Field(default_factory=DiscordSettings)
    engine: EngineConfig = Field(default_factory=EngineConfig)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    storage: StorageSettings = Field(default_factory=StorageSettings)
    jobs: JobSettings = Field(default_factory=JobSettings)
    voice: VoiceSettings = Field(default_factory=VoiceSettings)
    api: ApiSettings = Field(default_factory=ApiSettings)
    wyoming: WyomingSettings = Field(default_factory=WyomingSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The file's values arrive as init arguments; the environment wins over them.
        return (env_settings, init_settings)


# Plain environment names for the secrets, as deployments commonly set them.
_SECRET_ENV = {
    "DISCORD_TOKEN": ("discord", "token"),
    "CLOUDINARY_URL": ("storage", "cloudinary_url"),
    "DATABASE_URL": ("database", "url"),
}


def config_path(path: Path | None = None) -> Path:
    """The config file in use: `path`, else `$TTSBOT_CONFIG`, else `./config.toml`."""
    return path or Path(os.environ.get(CONFIG_ENV, DEFAULT_CONFIG_PATH))


def load_settings(path: Path | None = None) -> Settings:
    """Read the config file (optional) and apply environment overrides."""
    file = config_path(path)
    data: dict[str, Any] = tomllib.loads(file.read_text("utf-8")) if file.is_file() else {}
    for env_name, (section, key) in _SECRET_ENV.items():
        value = os.environ.get(env_name)
        if value:
            data.setdefault(section, {})[key] = value
    return Settings(**data)
