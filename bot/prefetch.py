"""Everything a read message needs about its author, in at most one query.

A message read aloud needs the author's defaults, their spoken name in that server, their
dictionary and the server's. Whatever of these is not cached is read in one statement (a
UNION ALL over the three tables) and handed to the caches, so a new author's first message
costs one query, and every later one none.
"""

from __future__ import annotations

from typing import Any

from bot import dictionary, lookups
from storage import db
from storage.models import UserSettings
from tts_engine.text.dictionary import Entry

# Every column as text, so the parts share one row shape on SQLite and PostgreSQL alike.
_USER = ("SELECT 'settings' AS part, voice AS a, lang AS b, CAST(speed AS TEXT) AS c "
         "FROM user_settings WHERE user_id = {}")
_NAME = ("SELECT 'name' AS part, name AS a, NULL AS b, NULL AS c "
         "FROM spoken_names WHERE guild_id = {} AND user_id = {}")
_WORDS = ("SELECT 'words:{part}' AS part, word AS a, replacement AS b, "
          "CAST(case_sensitive AS TEXT) AS c FROM dictionary_entries "
          "WHERE scope = {} AND owner_id = {}")
_TRUE = frozenset({"1", "true", "t"})


def _missing(guild_id: int, user_id: int) -> tuple[list[str], list[Any]]:
    """The parts of the statement for what is not cached, and their parameters."""
    parts: list[str] = []
    values: list[Any] = []
    if not lookups.USERS.known(str(user_id)):
        parts.append(_USER)
        values.append(str(user_id))
    if not lookups.NAMES.known(f"{guild_id}:{user_id}"):
        parts.append(_NAME)
        values += [guild_id, user_id]
    for owner in (dictionary.Owner.user(user_id), dictionary.Owner.guild(guild_id)):
        if not dictionary.cached(owner):
            parts.append(_WORDS.replace("{part}", owner.scope.value))
            values += [owner.scope.value, owner.id]
    return parts, values


def _numbered(parts: list[str]) -> str:
    """One statement with the dialect's placeholders (`?` or `$1`...)."""
    sql = " UNION ALL ".join(parts)
    if db.dialect() != "postgres":
        return sql.replace("{}", "?")
    pieces = sql.split("{}")
    return "".join(p + (f"${i + 1}" if i < len(pieces) - 1 else "")
                   for i, p in enumerate(pieces))


async def prefetch(guild_id: int, user_id: int) -> None:
    """Cache what reading `user_id`'s message in `guild_id` needs (one query at most)."""
    parts, values = _missing(guild_id, user_id)
    if not parts:
        return
    generations = (lookups.USERS.generation, lookups.NAMES.generation, dictionary.generation())
    rows = await db.connection().execute_query_dict(_numbered(parts), values)
    by_part: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_part.setdefault(row["part"], []).append(row)
    if _USER in parts:
        found = by_part.get("settings")
        settings = UserSettings(user_id=str(user_id), voice=found[0]["a"], lang=found[0]["b"],
                                speed=None if found[0]["c"] is None else float(found[0]["c"])
                                ) if found else None
        lookups.USERS.put(str(user_id), settings, generations[0])
    if _NAME in parts:
        names = by_part.get("name")
        lookups.NAMES.put(f"{guild_id}:{user_id}", names[0]["a"] if names else None,
                          generations[1])
    for owner in (dictionary.Owner.user(user_id), dictionary.Owner.guild(guild_id)):
        if _WORDS.replace("{part}", owner.scope.value) in parts:
            entries = [Entry(r["a"], r["b"], str(r["c"]).lower() in _TRUE)
                       for r in by_part.get(f"words:{owner.scope.value}", [])]
            dictionary.hold(owner, entries, generations[2])


__all__ = ["prefetch"]
