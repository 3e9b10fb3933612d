"""Reading Wyoming events with bounds: a client can't make the server buffer or parse megabytes.

The wyoming package's reader trusts the announced `data_length` and `payload_length`; this one
refuses an event larger than the limit before reading it, and treats a client that goes away
mid-event as a plain disconnect.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from wyoming.event import Event

from tts_engine.errors import InvalidRequest

#: The most a single event may carry (JSON data plus payload). A TTS client sends text only.
MAX_EVENT_BYTES = 256 * 1024
#: The longest header line the server's stream readers accept (asyncio's `limit`).
HEADER_LIMIT = 64 * 1024


class EventTooLarge(InvalidRequest):
    """An event over the size limit; the connection is closed after saying so."""

    status = 413

    def __init__(self, size: int | None, limit: int) -> None:
        what = "A Wyoming event" if size is None else f"A Wyoming event of {size:,} bytes"
        super().__init__(
            f"{what} is over the limit of {limit:,} bytes; send long text as several "
            "synthesize-chunk events."
        )


class MalformedEvent(InvalidRequest):
    """Bytes that are not a Wyoming event."""

    def __init__(self) -> None:
        super().__init__("That is not a Wyoming event; the connection is closed.")


class StreamTooLong(InvalidRequest):
    """A streamed synthesis that sent more text than `wyoming.max_stream_chars`."""

    status = 413

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"This stream sent more than {limit:,} characters of text; the rest is not spoken. "
            "Start a new synthesis for more."
        )


class ClientNotAllowed(InvalidRequest):
    """A client whose address is not in `wyoming.allowed_clients`."""

    status = 403

    def __init__(self, address: str) -> None:
        super().__init__(f"{address} may not use this speech server; the connection is closed.")


def _length(header: dict[str, Any], key: str) -> int:
    value = header.get(key)
    if value is None:
        return 0
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise MalformedEvent()
    return value


async def read_event(reader: asyncio.StreamReader, limit: int = MAX_EVENT_BYTES) -> Event | None:
    """The next event, or None when the client has gone (cleanly or mid-event).

    Raises `EventTooLarge` or `MalformedEvent`; the caller answers and closes the connection.
    """
    try:
        line = await reader.readline()
    except ValueError:  # a header line over the reader's own limit
        raise EventTooLarge(None, HEADER_LIMIT) from None
    except (ConnectionError, OSError):
        return None
    if not line:
        return None
    try:
        header = json.loads(line)
    except ValueError:
        raise MalformedEvent() from None
    if not isinstance(header, dict) or not isinstance(header.get("type"), str):
        raise MalformedEvent()
    data_length, payload_length = _length(header, "data_length"), _length(header, "payload_length")
    if data_length + payload_length > limit:
        raise EventTooLarge(data_length + payload_length, limit)
    data = header.get("data") or {}
    if not isinstance(data, dict):
        raise MalformedEvent()
    try:
        if data_length:
            extra = json.loads(await reader.readexactly(data_length))
            if not isinstance(extra, dict):
                raise MalformedEvent()
            data.update(extra)
        payload = await reader.readexactly(payload_length) if payload_length else None
    except (asyncio.IncompleteReadError, ConnectionError, OSError):
        return None  # the client went away in the middle of an event
    except ValueError:
        raise MalformedEvent() from None
    return Event(type=header["type"], data=data, payload=payload)
