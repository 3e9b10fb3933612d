"""Reading request bodies and query strings into the API's schemas, with readable errors."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, NoReturn, TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from api._keys import USER_ID
from api.errors import BadRequest, FieldInvalid, Forbidden

if TYPE_CHECKING:
    from multidict import MultiMapping  # aiohttp's query type

M = TypeVar("M", bound=BaseModel)


def _invalid(err: ValidationError) -> FieldInvalid:
    first = err.errors()[0]
    field = ".".join(str(part) for part in first["loc"]) or "body"
    return FieldInvalid(field, first["msg"])


def _no_constant(name: str) -> NoReturn:
    # Python's json reads NaN and Infinity, which JSON does not have.
    raise BadRequest(f"The request body is not valid JSON: {name} is not a JSON number.")


def parse_json(raw: bytes) -> object:
    """Strict JSON: BadRequest for invalid text, NaN/Infinity, or nesting too deep to parse."""
    try:
        return json.loads(raw, parse_constant=_no_constant)
    except RecursionError:
        raise BadRequest("The request body is nested too deeply to read.") from None
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("The request body is not valid JSON.") from None


async def read_body(request: web.Request, model: type[M]) -> M:
    """The JSON body as `model`; BadRequest when it isn't a JSON object, 422 for bad fields."""
    raw = await request.read()
    if not raw.strip():
        raise BadRequest("The request body is empty; send a JSON object.")
    data = parse_json(raw)
    if not isinstance(data, dict):
        raise BadRequest("The request body must be a JSON object.")
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise _invalid(err) from None


def read_query(query: MultiMapping[str], model: type[M]) -> M:
    """The query string as `model` (numbers arrive as text, so this validation is lax)."""
    for key in set(query):
        if len(query.getall(key)) > 1:
            raise FieldInvalid(key, "given more than once; send it once")
    try:
        return model.model_validate(dict(query))
    except ValidationError as err:
        raise _invalid(err) from None


def acting_user(request: web.Request, claimed: str | int | None) -> str:
    """The user a request acts for: the key's user, which a claimed `user_id` must match."""
    key_user: str | None = request.get(USER_ID)
    claimed_id = None if claimed is None else str(claimed).strip()
    if key_user is None:
        if not claimed_id:
            raise FieldInvalid("user_id", "required when the API runs without keys")
        return claimed_id
    if claimed_id and claimed_id != key_user:
        raise Forbidden()
    return key_user


def dictionary_user(request: web.Request, claimed: str | None) -> str | None:
    """Whose dictionary applies: the key's user (a claimed user must match it); without keys,
    whoever is claimed, or nobody."""
    key_user: str | None = request.get(USER_ID)
    if key_user is None:
        return claimed
    if claimed and claimed != key_user:
        raise Forbidden()
    return key_user
