"""Cached settings and dictionaries: read once, forgotten on every write here or in another
process (PostgreSQL), matched off the event loop for long texts, never before the length
check."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from bot import dictionary, lookups
from storage import db
from storage.models import GuildSettings
from tests.conftest import PG_BASE_URL
from tests.queries import counting_queries
from tts_engine.errors import TextTooLong

ROOT = Path(__file__).resolve().parents[2]
# One entry per word: the kind of dictionary that held the loop ~0.5 s over 64 KB.
WORDS = [f"word{n}" for n in range(100)]


async def _fill(owner: dictionary.Owner) -> None:
    for word in WORDS:
        await dictionary.put(owner, word, f"said {word}")


async def test_a_long_text_is_matched_off_the_event_loop(
        database: str, monkeypatch: pytest.MonkeyPatch) -> None:
    await _fill(dictionary.Owner.user("7"))
    threads: list[threading.Thread] = []
    real = dictionary.apply_layers

    def spy(text: str, layers: list[object]) -> str:
        threads.append(threading.current_thread())
        return real(text, layers)  # type: ignore[arg-type]
    monkeypatch.setattr(dictionary, "apply_layers", spy)
    assert await dictionary.speakable("word1 x", "7") == "said word1 x"
    long = " ".join(WORDS * 20)
    said = await dictionary.speakable(long, "7")
    assert said.count("said word99") == 20
    assert threads[0] is threading.main_thread()
    assert threads[1] is not threading.main_thread()


async def test_the_length_is_checked_before_the_dictionary_is_read(database: str) -> None:
    await _fill(dictionary.Owner.user("7"))
    lookups.GUILDS.clear()
    with counting_queries() as queries, pytest.raises(TextTooLong):
        await dictionary.speakable("word1 " * 20_000, "7", 42, max_chars=5000)
    assert queries == []


async def test_lookups_are_read_once_and_again_after_a_write(database: str) -> None:
    await GuildSettings.create(guild_id=1, read_channel_ids=[10])
    with counting_queries() as queries:
        for _ in range(3):
            assert (await lookups.guild(1)).read_channels == {10}  # type: ignore[union-attr]
            assert await lookups.guild(2) is None  # no row: known from the one table read
            assert await lookups.user_settings(5) is None
            assert await lookups.spoken_name(1, 5) is None
    assert len(queries) == 3  # the table, the user, the name
    await GuildSettings.filter(guild_id=1).update(read_channel_ids=[11])
    await lookups.guild_changed(1)
    await GuildSettings.create(guild_id=2, read_channel_ids=[20])
    await lookups.guild_changed(2)
    assert (await lookups.guild(1)).read_channels == {11}  # type: ignore[union-attr]
    assert (await lookups.guild(2)).read_channels == {20}  # type: ignore[union-attr]


async def test_messages_arriving_together_share_one_read_of_the_settings_table(
        database: str) -> None:
    await GuildSettings.create(guild_id=1, read_channel_ids=[10])
    lookups.GUILDS.clear()  # a new process, or one whose LISTEN connection came back
    with counting_queries() as queries:
        views = await asyncio.gather(*(lookups.guild(n) for n in range(1, 41)))
    assert views[0] is not None and views[1:] == [None] * 39
    assert len(queries) == 1, queries


async def test_a_changed_server_is_read_alone_not_the_whole_table_again(database: str
                                                                       ) -> None:
    await GuildSettings.create(guild_id=1, read_channel_ids=[10])
    await lookups.warm()  # as at READY
    with counting_queries() as queries:
        assert await lookups.guild(1) is not None and await lookups.guild(2) is None
    assert queries == []
    await GuildSettings.filter(guild_id=1).update(read_channel_ids=[11])
    await lookups.guild_changed(1)
    with counting_queries() as queries:
        assert (await lookups.guild(1)).read_channels == {11}  # type: ignore[union-attr]
        assert await lookups.guild(2) is None
    assert len(queries) == 1 and "WHERE" in queries[0].upper(), queries


def _other_process(url: str, script: str) -> None:
    """Run `script` (with `url` opened) in a separate Python process, as another bot would."""
    code = ("import asyncio, sys\nfrom storage import db\nfrom bot import dictionary, lookups\n"
            "async def main():\n    await db.init_db(sys.argv[1], apply_migrations=False)\n"
            + "".join(f"    {line}\n" for line in script.splitlines())
            + "    await db.close_db()\nasyncio.run(main())\n")
    subprocess.run([sys.executable, "-c", code, url], cwd=ROOT, check=True, timeout=120,
                   env={**os.environ, "PYTHONPATH": str(ROOT)})


@pytest.mark.skipif(not PG_BASE_URL, reason="needs TEST_DATABASE_URL (PostgreSQL)")
@pytest.mark.parametrize("database", ["postgres"], indirect=True)
async def test_a_write_in_another_process_is_seen_here(database: str) -> None:
    owner = dictionary.Owner.guild(9)
    await dictionary.put(owner, "gg", "good game")
    await GuildSettings.create(guild_id=9, read_channel_ids=[1])
    assert await dictionary.speakable("gg", None, 9) == "good game"
    assert (await lookups.guild(9)).read_channels == {1}  # type: ignore[union-attr]
    await asyncio.to_thread(_other_process, database, (
        "await dictionary.put(dictionary.Owner.guild(9), 'gg', 'get good')\n"
        "from storage.models import GuildSettings\n"
        "await GuildSettings.filter(guild_id=9).update(read_channel_ids=[2])\n"
        "await lookups.guild_changed(9)"))
    deadline = asyncio.get_running_loop().time() + 30
    while await dictionary.speakable("gg", None, 9) != "get good" or \
            (await lookups.guild(9)).read_channels != {2}:  # type: ignore[union-attr]
        assert asyncio.get_running_loop().time() < deadline, "the change was never seen"
        await asyncio.sleep(0.05)


@pytest.mark.skipif(not PG_BASE_URL, reason="needs TEST_DATABASE_URL (PostgreSQL)")
@pytest.mark.parametrize("database", ["postgres"], indirect=True)
async def test_nothing_is_cached_while_the_listen_connection_is_down(
        database: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncpg

    from storage import cache

    await GuildSettings.create(guild_id=3, read_channel_ids=[1])
    await lookups.guild(3)
    listener = cache._listener
    assert listener is not None and listener._conn is not None
    # Hold the reconnection until the test has read while the connection is down (it
    # would otherwise reopen within milliseconds and the "down" state could not be seen).
    reopen = asyncio.Event()
    real_open = listener.open

    async def held_open() -> None:
        await reopen.wait()
        await real_open()
    monkeypatch.setattr(listener, "open", held_open)
    admin = await asyncpg.connect(db.normalise_url(database))
    try:
        await admin.execute("SELECT pg_terminate_backend($1)", listener._conn.get_server_pid())
        deadline = asyncio.get_running_loop().time() + 30
        while cache._live:
            assert asyncio.get_running_loop().time() < deadline, "the drop was never noticed"
            await asyncio.sleep(0.01)
        # A write by a process whose notification this one cannot hear now:
        await admin.execute("UPDATE guild_settings SET read_channel_ids = '[5]' "
                            "WHERE guild_id = 3")
        assert (await lookups.guild(3)).read_channels == {5}  # type: ignore[union-attr]
        await admin.execute("UPDATE guild_settings SET read_channel_ids = '[6]' "
                            "WHERE guild_id = 3")
        assert (await lookups.guild(3)).read_channels == {6}  # type: ignore[union-attr]
        reopen.set()
        while not cache._live or listener._conn is None:
            assert asyncio.get_running_loop().time() < deadline, "never reopened"
            await asyncio.sleep(0.01)
        assert (await lookups.guild(3)).read_channels == {6}  # type: ignore[union-attr]
    finally:
        reopen.set()
        await admin.close()
