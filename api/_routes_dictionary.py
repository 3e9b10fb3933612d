"""The caller's pronunciation dictionary: `GET /api/v1/dictionary`, `PUT` and `DELETE
/api/v1/dictionary/{word}`. The same entries apply to the caller's /tts, read-aloud, the API
and (for `wyoming.dictionary_user`) Wyoming."""

from __future__ import annotations

import logging
import re

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from api._parse import acting_user, read_body
from api.errors import FieldInvalid
from bot import dictionary
from bot.dictionary import Owner
from tts_engine.text.dictionary import MAX_REPLACEMENT_CHARS, MAX_WORD_CHARS

log = logging.getLogger(__name__)
routes = web.RouteTableDef()
ITEM = "/api/v1/dictionary/{word}"
# Exactly what str.strip() removes (str.isspace), spelled out: ECMA's \s is not the same set.
_SPACES = r"\t\n\v\f\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_SPACE = rf"[{_SPACES}]"
_EDGE = rf"[^{_SPACES}\[\]()/\x00]"
#: The words an entry may have, as the OpenAPI document states it (ECMA and Python alike):
#: 1 to 50 characters around the spaces it is trimmed of, no brackets, slash, NUL or line
#: break inside. The route applies this same pattern, so the two cannot disagree.
WORD_PATTERN = (rf"^{_SPACE}*{_EDGE}(?:[^\[\]()/\n\x00]{{0,{MAX_WORD_CHARS - 2}}}{_EDGE})?"
                rf"{_SPACE}*$")
_WORD = re.compile(WORD_PATTERN)


class EntryBody(BaseModel):
    """`PUT /api/v1/dictionary/{word}`: what to say instead of the word."""

    # Strict like the other bodies: `"case_sensitive": 0` is a mistake, not `false`.
    model_config = ConfigDict(strict=True)
    replacement: str = Field(min_length=1, max_length=MAX_REPLACEMENT_CHARS,
                             description='Words, or Kokoro phonemes between slashes: "/kˈOkəɹO/"')
    case_sensitive: bool = False


def _word(request: web.Request) -> str:
    word = request.match_info["word"]
    if not _WORD.search(word):
        raise FieldInvalid("word", f"1 to {MAX_WORD_CHARS} characters, without brackets, "
                           "parentheses, slashes or line breaks")
    return word


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
    word = _word(request)
    body = await read_body(request, EntryBody)
    new = await dictionary.put(owner, word, body.replacement, body.case_sensitive)
    log.info("api: dictionary entry %s for user %s", "added" if new else "updated", owner.id)
    entry = dictionary.Entry(word.strip(), body.replacement.strip(), body.case_sensitive)
    return web.json_response(_view(entry), status=201 if new else 200)


@routes.delete(ITEM)
async def delete_entry(request: web.Request) -> web.Response:
    """Remove the entry for a word (404 when there is none)."""
    await dictionary.remove(_owner(request), _word(request))
    return web.Response(status=204)
