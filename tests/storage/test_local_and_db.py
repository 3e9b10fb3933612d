"""Local audio files, the schema and its migrations."""

from __future__ import annotations

import uuid

import pytest
from tortoise.exceptions import ValidationError

from storage.audio import LocalAudioStore
from storage.db import close_db, init_db, normalise_url
from storage.errors import AudioNotFound
from storage.models import GuildSettings, ProjectStatus, TTSProject, UserSettings, request_key


async def test_local_store_writes_links_and_deletes(tmp_path):
    store = LocalAudioStore(tmp_path / "audio", "http://127.0.0.1:8080/")
    pid = uuid.uuid4()
    stored = await store.put(pid, b"RIFF", "wav")
    assert stored.url == f"http://127.0.0.1:8080/audio/{pid}.wav"
    assert (tmp_path / "audio" / f"{pid}.wav").read_bytes() == b"RIFF"
    assert await store.read(stored.key) == b"RIFF"
    await store.delete(stored.key)
    await store.delete(stored.key)
    with pytest.raises(AudioNotFound):
        await store.read(stored.key)


@pytest.mark.parametrize("name", ["../etc/passwd", "x.wav", f"{uuid.uuid4()}.wav/../../a", ""])
def test_local_store_refuses_names_that_are_not_keys(tmp_path, name):
    with pytest.raises(AudioNotFound):
        LocalAudioStore(tmp_path, "http://x").path_for(name)


async def test_upgrade_keeps_every_row(database):
    project = await TTSProject.create(user_id="1", text="Keep me.", voice="af_heart",
                                      lang_code="a", request_key="k")
    await UserSettings.create(user_id="1", voice="bf_emma", speed=1.2, lang="b")
    await GuildSettings.create(guild_id=2**62, read_channel_ids=[1, 2**60], auto_join=True)
    await close_db()
    await init_db(database)  # start-up again: migrations run, nothing is lost
    again = await TTSProject.get(id=project.id)
    assert again.text == "Keep me." and again.status == ProjectStatus.PENDING
    assert (await UserSettings.get(user_id="1")).voice == "bf_emma"
    guild = await GuildSettings.get(guild_id=2**62)
    assert guild.read_channel_ids == [1, 2**60] and guild.auto_join and guild.announce_names


async def test_speed_outside_the_range_is_refused_by_the_model(database):
    with pytest.raises(ValidationError):
        await TTSProject.create(user_id="1", text="x", voice="af_heart", lang_code="a",
                                request_key="k", speed=3.0)


async def test_sqlite_directory_is_created(tmp_path):
    url = f"sqlite://{tmp_path}/deep/er/bot.sqlite3"
    await init_db(url)
    try:
        assert (tmp_path / "deep" / "er" / "bot.sqlite3").exists()
    finally:
        await close_db()


def test_request_key_tells_requests_apart():
    base = request_key("Hi.", "af_heart", 1.0, "a")
    assert base == request_key("Hi.", "af_heart", 1.0, "a")
    assert len({base, request_key("Hi!", "af_heart", 1.0, "a"),
                request_key("Hi.", "af_sky", 1.0, "a"), request_key("Hi.", "af_heart", 1.1, "a"),
                request_key("Hi.", "af_heart", 1.0, "b")}) == 5


def test_postgres_url_spellings():
    assert normalise_url("postgresql://u@h/db") == "postgres://u@h/db"
    assert normalise_url("sqlite://data/x") == "sqlite://data/x"


async def test_projects_from_before_the_spoken_text_say_their_text(tmp_path):
    from tortoise import connections
    from tortoise.migrations.api import migrate

    from storage.db import tortoise_config

    url = f"sqlite://{tmp_path}/old.sqlite3"
    await migrate(config=tortoise_config(url), target="models.0002_readaloud_dictionary")
    pid = uuid.uuid4()
    # A row as the previous schema held it: `text` was the text as spoken.
    await connections.get("default").execute_query(
        "INSERT INTO tts_projects (id, created_at, updated_at, user_id, source, text, voice, "
        "speed, lang_code, request_key, status, progress, attempts) VALUES "
        "(?, '2026-12-01 10:00:00', '2026-12-01 10:00:00', '1', 'discord', "
        "'twenty three dollars', 'af_heart', 1.0, 'a', 'k', 'completed', 100, 1)", [str(pid)])
    await connections.close_all()
    await init_db(url)
    try:
        old = await TTSProject.get(id=pid)
        assert old.spoken_text is None and old.spoken == "twenty three dollars"
        new = await TTSProject.create(user_id="1", text="$23", spoken_text="twenty three dollars",
                                      voice="af_heart", lang_code="a", request_key="k")
        assert (await TTSProject.get(id=new.id)).spoken == "twenty three dollars"
    finally:
        await close_db()
