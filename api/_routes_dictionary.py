"""The caller's pronunciation dictionary: `GET /api/v1/dictionary`, `PUT` and `DELETE
/api/v1/dictionary/{word}`. The same entries apply to the caller's /tts, read-aloud, the API
and (for `wyoming.dictionary_user`) Wyoming."""

from __future__ import annotations

import logging

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from api._parse import acting_user, read_body
from bot import dictionary
from bot.dictionary import Owner
from tts_engine.text.dictionary import MAX_REPLACEMENT_CHARS

log = logging.getLogger(__name__)
routes = web.RouteTableDef()
ITEM = "/api/v1/dictionary/{word}"


class EntryBody(BaseModel):
    """`PUT /api/v1/dictionary/{word}`: what to say instead of the word."""

    # Strict like the other bodies: `"case_sensitive": 0` is a mistake, not `false`.
    model_config = ConfigDict(strict=True)
    replacement: str = Field(min_length=1, max_length=MAX_REPLACEMENT_CHARS,
                             description='Words, or Kokoro phonemes between slashes: "/kˈOkəɹO/"')
    case_sensitive: bool = False


def _owner(request: web.Request) -> Owner:
    return Owner.user(acting_user(request, request.query.get("user_id")))


def _view(entry: dictionary.Entry) -> dict[str, object]:
    return {"word": entry.word, "replacement": entry.replacement,
            "case_sensitive": entry.case_sensitive, "phonemes": entry.phonemes is not None}


@routes.get("/api/v1/dictionary")
async def list_entries(request: web.Request) -> web.Response:
    """The caller's entries, alphabetically."""
    owner = _owner(request)
    entries = await dictionary.entries(owner)
    return web.json_response({"user_id": owner.id, "limit": owner.limit,
                              "entries": [_view(e) for e in entries]})


@routes.put(ITEM)
async def put_entry(request: web.Request) -> web.Response:
    """Add or replace the entry for a word (201 when new)."""
    owner = _owner(request)
    body = await read_body(request, EntryBody)
    word = request.match_info["word"]
    new = await dictionary.put(owner, word, body.replacement, body.case_sensitive)
    log.info("api: dictionary entry %s for user %s", "added" if new else "updated", owner.id)
    entry = dictionary.Entry(word.strip(), body.replacement.strip(), body.case_sensitive)
    return web.json_response(_view(entry), status=201 if new else 200)


@routes.delete(ITEM)
async def delete_entry(request: web.Request) -> web.Response:
    """Remove the entry for a word (404 when there is none)."""
    await dictionary.remove(_owner(request), request.match_info["word"])
    return web.Response(status=204)
