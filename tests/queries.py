"""Counting the database queries a piece of code makes (tests and benchmarks)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from tortoise import connections

_METHODS = ("execute_query", "execute_query_dict", "execute_insert", "execute_many",
            "execute_script")


@contextlib.contextmanager
def counting_queries() -> Iterator[list[str]]:
    """Within the block, every SQL statement sent on the default connection is appended to
    the yielded list (the ORM's reads and writes, and raw queries alike)."""
    conn = connections.get("default")
    seen: list[str] = []
    originals: dict[str, Any] = {}
    for name in _METHODS:
        original = getattr(conn, name)
        originals[name] = original

        async def counted(query: str, *args: Any, _original: Any = original,
                          **kwargs: Any) -> Any:
            seen.append(query)
            return await _original(query, *args, **kwargs)
        setattr(conn, name, counted)
    try:
        yield seen
    finally:
        for name in _METHODS:
            delattr(conn, name) if name in vars(conn) else None
