"""The OpenAPI 3.1 document at /api/v1/openapi.json. Its schemas come from `api.schemas`, the same
models that validate requests and render responses."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import Any

from pydantic.json_schema import models_json_schema

from api import schemas
from api._encode import CONTENT_TYPES, FILE_TYPES
from api._routes_dictionary import WORD_PATTERN, EntryBody

_REF = "#/components/schemas/{model}"
_REQUESTS = (schemas.GenerateRequest, schemas.SpeechRequest)
_RESPONSES = (
    schemas.Accepted, schemas.Project, schemas.ProjectList, schemas.VoiceList, schemas.Health,
    schemas.Me, schemas.Problem,
)
_WHY = {
    400: "The body is not a JSON object.",
    401: "Missing or unknown API key.",
    403: "The user_id is not the key's user.",
    404: "No such project, voice or file (or not yours).",
    409: "The dictionary is full.",
    413: "The body or text is too long.",
    422: "A field is missing, of the wrong type, or out of range.",
    429: "Rate limit exceeded; see Retry-After.",
    503: "The engine, database or queue can't take the request now.",
}


#: One server-sent event: `data` holds the project's state as JSON.
_EVENT = {"type": "object", "properties": {
    "data": {"type": "string", "contentMediaType": "application/json"},
    "event": {"type": "string"}}}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": _REF.format(model=name)}


def _json(name: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(name)}}}


def _errors(*codes: int) -> dict[str, Any]:
    out: dict[str, Any] = {str(code): _json("Problem", _WHY[code]) for code in codes}
    if 429 in codes:
        out["429"]["headers"] = {
            "Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}
        }
    return out


def _op(summary: str, responses: dict[str, Any], secured: bool, **extra: Any) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary, "responses": responses, **extra}
    if secured:
        op["security"] = [{"bearer": []}]
        op["responses"].update(_errors(401, 429))
    else:
        op["responses"].update(_errors(429))
    return op


def _body(name: str) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": _ref(name)}}}


def _tts_id() -> list[dict[str, Any]]:
    return [{"name": "tts_id", "in": "path", "required": True,
             "schema": {"type": "string", "format": "uuid", "pattern": "^[0-9a-fA-F-]+$"}}]


def _list_params() -> list[dict[str, Any]]:
    def param(name: str, schema: dict[str, Any]) -> dict[str, Any]:
        return {"name": name, "in": "query", "required": False, "schema": schema}

    return [
        param("user_id", {"type": "string", "minLength": 1, "maxLength": 64,
                          "pattern": schemas.SOME_TEXT}),
        param("limit", {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}),
        param("offset", {"type": "integer", "minimum": 0, "maximum": 1_000_000, "default": 0}),
    ]


def _binary(types: Iterable[str]) -> dict[str, Any]:
    binary = {"schema": {"type": "string", "format": "binary"}}
    return {"content": {ctype: binary for ctype in sorted(set(types))}}


def _dictionary_paths(secured: bool) -> dict[str, Any]:
    """The caller's pronunciation dictionary (`api._routes_dictionary`)."""
    word = [{"name": "word", "in": "path", "required": True,
             "schema": {"type": "string", "pattern": WORD_PATTERN}}]
    entry = {"description": "The entry.",
             "content": {"application/json": {"schema": {"type": "object"}}}}
    body = {"required": True, "content": {"application/json": {
        "schema": EntryBody.model_json_schema()}}}
    return {
        "/api/v1/dictionary": {"get": _op(
            "The caller's pronunciation dictionary",
            {"200": {**entry, "description": "The entries."}, **_errors(403, 422)}, secured)},
        "/api/v1/dictionary/{word}": {
            "put": _op("Add or replace an entry (text, or /phonemes/)",
                       {"200": entry, "201": entry, **_errors(400, 403, 409, 422)}, secured,
                       parameters=word, requestBody=body),
            "delete": _op("Remove an entry", {"204": {"description": "Removed."},
                                              **_errors(403, 404, 422)}, secured,
                          parameters=word),
        },
    }


def _paths(secured: bool) -> dict[str, Any]:
    speech, stored = _binary(CONTENT_TYPES.values()), _binary(FILE_TYPES.values())
    return {
        **_dictionary_paths(secured),
        "/api/v1/tts/generate": {"post": _op(
            "Queue a TTS project", {"202": _json("Accepted", "Queued."),
                                    **_errors(400, 403, 404, 413, 422, 503)},
            secured, requestBody=_body("GenerateRequest"))},
        "/api/v1/tts/{tts_id}": {
            "get": _op("A project's status and audio link",
                       {"200": _json("Project", "The project."), **_errors(404)},
                       secured, parameters=_tts_id()),
            "delete": _op("Delete a project and its audio",
                          {"204": {"description": "Deleted."}, **_errors(404)},
                          secured, parameters=_tts_id()),
        },
        "/api/v1/tts/{tts_id}/events": {"get": _op(
            "A project's progress as server-sent events, until it ends",
            {"200": {"description": "One `data:` line of JSON per step.",
                     "content": {"text/event-stream": {"schema": _EVENT}}},
             **_errors(404)},
            secured, parameters=_tts_id())},
        "/api/v1/me": {"get": _op(
            "Who the caller is", {"200": _json("Me", "The caller's user id.")}, secured)},
        "/metrics": {"get": _op(
            "Prometheus metrics", {"200": {"description": "Prometheus' text format.",
                                           "content": {"text/plain": {"schema": {
                                               "type": "string"}}}}}, secured)},
        "/api/v1/tts/": {"get": _op(
            "The caller's projects, newest first",
            {"200": _json("ProjectList", "Projects."), **_errors(403, 422)},
            secured, parameters=_list_params())},
        "/v1/audio/speech": {"post": _op(
            "OpenAI-compatible speech, streamed as it is synthesised",
            {"200": {"description": "Audio in the requested format.", **speech},
             **_errors(400, 403, 404, 413, 422, 503)},
            secured, requestBody=_body("SpeechRequest"))},
        "/v1/audio/voices": {"get": _op(
            "Installed voices and the OpenAI aliases", {"200": _json("VoiceList", "Voices.")},
            secured)},
        "/healthz": {"get": {"summary": "Engine, database and queue", "responses": {
            "200": _json("Health", "All up."), "503": _json("Health", "Something is down.")}}},
        "/audio/{name}": {"get": {
            "summary": "A locally stored clip (Range requests supported)",
            "parameters": [{"name": "name", "in": "path", "required": True,
                            "schema": {"type": "string"}}],
            "responses": {"200": {"description": "The clip.", **stored},
                          "206": {"description": "Part of the clip.", **stored},
                          "404": _json("Problem", "No such clip."),
                          "416": {"description": "Range not satisfiable."}}}},
    }


@cache
def _components() -> dict[str, Any]:
    pairs = [(m, "validation") for m in _REQUESTS] + [(m, "serialization") for m in _RESPONSES]
    _, top = models_json_schema(pairs, ref_template=_REF)  # type: ignore[arg-type]
    return dict(top["$defs"])


def openapi_document(secured: bool) -> dict[str, Any]:
    """The document; `secured` adds bearer authentication to every protected operation."""
    doc: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": "Kokoro TTS API", "version": "1.0.0",
                 "description": "Text-to-speech jobs, OpenAI-compatible speech, and voices."},
        "paths": _paths(secured),
        "components": {"schemas": _components()},
    }
    if secured:
        doc["components"]["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
    return doc
