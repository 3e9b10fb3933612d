"""Pronunciation dictionaries in the database: the one place every front door applies them.

Read-aloud, /say, /tts (through the job service), the HTTP API and Wyoming all call
`speakable()`. Each owner's entries are compiled once into one pattern and kept per process
(at most `CACHED_OWNERS` owners); a change made in any process is heard on the next message in
every other (`storage.cache`: local invalidation, PostgreSQL NOTIFY). Long texts are matched on
a worker thread so the event loop keeps serving everyone else.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from tortoise.exceptions import IntegrityError

from storage import cache
from storage.models import DictionaryEntry, DictionaryScope
from tts_engine.errors import InvalidRequest, TextTooLong, TTSError
from tts_engine.text.dictionary import Dictionary, Entry, apply_layers, check_entry, layered

log = logging.getLogger(__name__)

MAX_USER_ENTRIES = 100
MAX_GUILD_ENTRIES = 250
PAGE_SIZE = 10
#: Owners whose compiled dictionary is kept (each at most `MAX_GUILD_ENTRIES` entries).
CACHED_OWNERS = 4096
#: Texts longer than this are matched off the event loop.
OFF_LOOP_CHARS = 2000
_COMPILED: cache.RowCache[Dictionary] = cache.RowCache("dictionary", CACHED_OWNERS)


class DictionaryError(TTSError):
    """A dictionary change that can't be made; the message says why."""


class BadEntry(DictionaryError, InvalidRequest):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)


class DictionaryFull(DictionaryError):
    status = 409

    def __init__(self, limit: int, whose: str) -> None:
        super().__init__(f"{whose} dictionary is full ({limit} entries). Remove one first.")


class EntryNotFound(DictionaryError):
    status = 404

    def __init__(self, word: str) -> None:
        super().__init__(f"There is no entry for {word!r}.")


class ServerOnly(InvalidRequest):
    def __init__(self) -> None:
        super().__init__("A server dictionary can only be changed in that server.")


class ManageServerNeeded(TTSError):
    status = 403

    def __init__(self) -> None:
        super().__init__(
            "You need the Manage Server permission to change the server's dictionary.")


@dataclass(frozen=True)
class Owner:
    """Whose dictionary: a user (Discord user or API key user) or a server."""

    scope: DictionaryScope
    id: str

    @classmethod
    def user(cls, user_id: int | str) -> Owner:
        return cls(DictionaryScope.USER, str(user_id))

    @classmethod
    def guild(cls, guild_id: int) -> Owner:
        return cls(DictionaryScope.GUILD, str(guild_id))

    @property
    def limit(self) -> int:
        return MAX_USER_ENTRIES if self.scope is DictionaryScope.USER else MAX_GUILD_ENTRIES

    @property
    def key(self) -> str:
        """The owner as one string (`user:42`), its cache key."""
        return f"{self.scope.value}:{self.id}"

    @property
    def label(self) -> str:
        return "Your" if self.scope is DictionaryScope.USER else "The server's"


def _entry(row: DictionaryEntry) -> Entry:
    return Entry(row.word, row.replacement, row.case_sensitive)


async def entries(owner: Owner) -> list[Entry]:
    """An owner's entries, alphabetically."""
    rows = await DictionaryEntry.filter(scope=owner.scope, owner_id=owner.id)
    return _sorted([_entry(r) for r in rows])


def _sorted(found: list[Entry]) -> list[Entry]:
    return sorted(found, key=lambda e: (e.word.lower(), e.word))


async def compiled(owner: Owner) -> Dictionary:
    """An owner's entries as one compiled matcher (cached; one query when not)."""
    async def load() -> Dictionary:
        return layered(await entries(owner))
    return await _COMPILED.get(owner.key, load, Dictionary(()))


def cached(owner: Owner) -> bool:
    """Whether the owner's matcher is cached (no query to get it)."""
    return _COMPILED.known(owner.key)


def hold(owner: Owner, found: list[Entry], generation: int) -> None:
    """Cache the matcher of entries read along with other things (see `bot.lookups`)."""
    _COMPILED.put(owner.key, layered(_sorted(found)), generation)


def generation() -> int:
    """Read before a query whose entries go to `hold`."""
    return _COMPILED.generation


async def speakable(text: str, user_id: int | str | None, guild_id: int | None = None, *,
                    max_chars: int | None = None) -> str:
    """`text` with the user's dictionary applied, then the server's (for G2P).

    With `max_chars`, a longer text is refused (`TextTooLong`) before any matching."""
    if max_chars is not None and len(text) > max_chars:
        raise TextTooLong(len(text), max_chars)
    owners = [o for o in (Owner.user(user_id) if user_id is not None else None,
                          Owner.guild(guild_id) if guild_id is not None else None) if o]
    if not owners or not text:
        return text
    layers = [d for d in [await compiled(o) for o in owners] if d]
    if not layers:
        return text
    if len(text) > OFF_LOOP_CHARS:
        return await asyncio.to_thread(apply_layers, text, layers)
    return apply_layers(text, layers)


async def put(owner: Owner, word: str, replacement: str, case_sensitive: bool = False) -> bool:
    """Add or replace an entry; True when it is new."""
    word, replacement = word.strip(), replacement.strip()
    reason = check_entry(word, replacement)
    if reason is not None:
        raise BadEntry(reason)
    try:
        return await _put(owner, word, replacement, case_sensitive)
    except IntegrityError:
        # A concurrent write of the same word created its row first: replace that one.
        log.debug("dictionary entry %r of %s written concurrently; updating", word, owner.id)
        return await _put(owner, word, replacement, case_sensitive)


async def _put(owner: Owner, word: str, replacement: str, case_sensitive: bool) -> bool:
    row = await _find(owner, word)
    if row is None:
        if await DictionaryEntry.filter(scope=owner.scope, owner_id=owner.id).count() \
                >= owner.limit:
            raise DictionaryFull(owner.limit, owner.label)
        await DictionaryEntry.create(scope=owner.scope, owner_id=owner.id, word=word,
                                     replacement=replacement, case_sensitive=case_sensitive)
        await cache.changed(_COMPILED, owner.key)
        return True
    row.word, row.replacement, row.case_sensitive = word, replacement, case_sensitive
    await row.save()
    await cache.changed(_COMPILED, owner.key)
    return False


async def remove(owner: Owner, word: str) -> Entry:
    """Remove the entry for `word` (any case); `EntryNotFound` when there is none."""
    row = await _find(owner, word.strip())
    if row is None:
        raise EntryNotFound(word.strip())
    await row.delete()
    await cache.changed(_COMPILED, owner.key)
    return _entry(row)


async def _find(owner: Owner, word: str) -> DictionaryEntry | None:
    exact = await DictionaryEntry.get_or_none(scope=owner.scope, owner_id=owner.id, word=word)
    if exact is not None:
        return exact
    # Case-folded here, not in SQL: SQLite's case-insensitive matching is ASCII-only, and an
    # owner has at most a few hundred entries.
    folded = word.casefold()
    rows = [r for r in await DictionaryEntry.filter(scope=owner.scope, owner_id=owner.id)
            if r.word.casefold() == folded]
    return rows[0] if len(rows) == 1 else None


def describe(entry: Entry) -> str:
    """One line for a listing."""
    case = " (exact case)" if entry.case_sensitive else ""
    return f"**{entry.word}** → {entry.replacement}{case}"
