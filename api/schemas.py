"""The API's request and response bodies. They validate input, render output, and are the
OpenAPI document's schemas, so the document can't drift from the behaviour."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WithJsonSchema,
    WrapValidator,
)
from pydantic_core import PydanticCustomError

from tts_engine import LANGUAGES
from tts_engine.errors import LanguageNotSupported
from tts_engine.validation import LANGUAGE_ALIASES, language_code

#: Kokoro's language letters, as the original service takes them ("a": American English, ...).
LANG_CODES = tuple(LANGUAGES)


def _known_lang(code: str) -> str:
    # The engine's own reading, so its aliases ("en-us", "ja") work here too.
    try:
        return language_code(code)
    except LanguageNotSupported:
        raise ValueError(f"unknown language; choose one of: {', '.join(LANG_CODES)}") from None


# NUL can't be stored in PostgreSQL text and is never speech: refused in every string field.
_NO_NUL = r"^[^\x00]*$"
#: At least one visible character, and no NUL.
SOME_TEXT = r"^[^\x00]*\S[^\x00]*$"
Text = Annotated[str, StringConstraints(min_length=1, pattern=_NO_NUL)]
Name = Annotated[str, StringConstraints(max_length=255, pattern=_NO_NUL)]
UserId = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=64, pattern=SOME_TEXT),
]
# Discord ids are 64-bit numbers; larger ones would not fit the user_id column.
MAX_NUMERIC_USER_ID = 2**64 - 1


def _whole(value: object) -> object:
    # JSON Schema counts 36528.0 as an integer; so does this API.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


NumericUserId = Annotated[int, Field(ge=0, le=MAX_NUMERIC_USER_ID), BeforeValidator(_whole)]


def _either_form(value: object, handler: ValidatorFunctionWrapHandler) -> object:
    # One sentence naming both forms, not the first failed branch of the union.
    try:
        return handler(value)
    except ValidationError:
        raise PydanticCustomError(
            "user_id", "must be text of 1 to 64 characters, or a whole number from 0 to "
            "{limit}", {"limit": MAX_NUMERIC_USER_ID}) from None


AnyUserId = Annotated[UserId | NumericUserId, WrapValidator(_either_form)]
LangCode = Annotated[
    str,
    AfterValidator(_known_lang),
    WithJsonSchema({"type": "string", "enum": [*LANG_CODES, *LANGUAGE_ALIASES]}),
]
AudioFormat = Literal["wav", "mp3", "opus", "flac", "pcm"]
Status = Literal["pending", "processing", "completed", "failed", "cancelled"]


class _Body(BaseModel):
    # Strict: JSON types must be right ("1.5" is not a number), as the schema promises.
    model_config = ConfigDict(strict=True, extra="ignore")


class GenerateRequest(_Body):
    """POST /api/v1/tts/generate."""

    text: Text = Field(description="What to say.")
    voice: Name | None = Field(
        default=None, description='A voice ("af_heart") or blend ("af_bella,af_sky").'
    )
    speed: float = Field(default=1.0, ge=0.5, le=2.0, description="Speaking rate.")
    lang_code: LangCode | None = Field(
        default=None, description="Kokoro language letter; from the voice when omitted."
    )
    user_id: AnyUserId | None = Field(
        default=None, description="Required without API keys; must match the key's user."
    )


class SpeechRequest(_Body):
    """POST /v1/audio/speech, OpenAI's shape."""

    model: Name = Field(default="kokoro", description="Accepted for compatibility; ignored.")
    input: Text = Field(description="What to say.")
    voice: Name = Field(
        default="alloy", description="An OpenAI voice name, a Kokoro voice, or a blend."
    )
    response_format: AudioFormat = "mp3"
    speed: float = Field(default=1.0, ge=0.5, le=2.0, description="Speaking rate.")
    stream: bool = Field(default=True, description="Send audio while it is synthesised.")
    lang_code: LangCode | None = Field(default=None, description="Kokoro language letter.")
    user_id: UserId | None = Field(
        default=None,
        description="Whose pronunciation dictionary applies: the key's user (must match), or "
        "any user on an API without keys; none when omitted there.",
    )


class ListQuery(BaseModel):
    """GET /api/v1/tts/ query string."""

    user_id: UserId | None = None
    limit: int = Field(default=20, ge=1, le=100)
    offset: int = Field(default=0, ge=0, le=1_000_000)


class Project(BaseModel):
    """A TTS project as the API shows it."""

    tts_id: str
    user_id: str
    text: str = Field(description="The text as it was sent.")
    spoken_text: str = Field(description="The text as it is read: after the pronunciation "
                             "dictionaries, with numbers, dates and links as words.")
    voice: str
    speed: float
    lang_code: str
    audio_url: str | None
    status: Status
    progress: int
    created_at: datetime
    error: str | None = None


class Accepted(Project):
    """A project just queued, with its place in the queue."""

    position: int | None = Field(default=None, description="Place in the queue (1: next).")


class ProjectList(BaseModel):
    """GET /api/v1/tts/ response."""

    user_id: str
    items: list[Project]
    limit: int
    offset: int


class Voice(BaseModel):
    """One installed voice."""

    name: str
    lang_code: str
    language: str
    gender: str
    label: str


class VoiceList(BaseModel):
    """GET /v1/audio/voices response."""

    voices: list[Voice]
    openai_aliases: dict[str, str] = Field(description="OpenAI name -> the Kokoro voice used.")


class Health(BaseModel):
    """GET /healthz response."""

    status: Literal["ok", "degraded"]
    engine_loaded: bool
    database: bool
    queue_depth: int | None


class Me(BaseModel):
    """GET /api/v1/me response: who the caller is."""

    user_id: str = Field(description="The key's user; the web page's user without keys.")
    keys_required: bool = Field(description="Whether this API asks for keys.")


class Problem(BaseModel):
    """Every error response."""

    detail: str
