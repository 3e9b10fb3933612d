"""End-to-end tests run the bot in voice: the voice harness of the voice cog's tests."""

from tests.cogs.voice.conftest import (  # noqa: F401 (fixtures)
    fake_discord,
    fake_voice,
    make_voice_harness,
)
