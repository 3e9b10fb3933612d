"""The fakes' own tests use the voice cog's harness: the fake Discord and the fake voice server."""

from tests.cogs.voice.conftest import fake_discord, fake_voice  # noqa: F401 (fixtures)
