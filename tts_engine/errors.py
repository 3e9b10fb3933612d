"""The project's domain errors. Every error a user can cause or see derives from `TTSError`,
and its message is the sentence shown to that user: the wording lives here and in the
subclasses other layers add (`bot.jobs.errors`, `bot.voice.errors`, ...)."""

from __future__ import annotations

from collections.abc import Sequence

from tts_engine.speech import LANGUAGES


class TTSError(Exception):
    """Root of the project's domain errors; `str(err)` is fit to show a user."""

    #: HTTP-ish status the front doors map this error to.
    status: int = 400
    #: Whether the same request may succeed later (queued work retries these).
    transient: bool = False


class InvalidRequest(TTSError):
    """Input that can never succeed, whatever is retried."""

    status = 422


class TextEmpty(InvalidRequest):
    """Nothing to say: empty or whitespace-only text."""

    def __init__(self) -> None:
        super().__init__("There is no text to speak: the text is empty or only whitespace.")


class TextTooLong(InvalidRequest):
    """Text over the configured character limit (`engine.max_text_chars`)."""

    status = 413

    def __init__(self, length: int, limit: int, spoken: bool = False) -> None:
        self.length, self.limit = length, limit
        if spoken:  # under the limit as typed, over it once numbers and links became words
            super().__init__(f"Read aloud (numbers, dates and links as words), the text is "
                             f"{length:,} characters long; the limit is {limit:,}.")
            return
        super().__init__(f"The text is {length:,} characters long; the limit is {limit:,}.")


class SpeedOutOfRange(InvalidRequest):
    """A speed outside 0.5-2.0 (or not a number)."""

    def __init__(self, speed: float, low: float = 0.5, high: float = 2.0) -> None:
        self.speed = speed
        super().__init__(f"Speed {speed:g} is out of range: choose between {low:g} and {high:g}.")


class LanguageNotSupported(InvalidRequest):
    """A language code Kokoro doesn't have."""

    def __init__(self, code: str, known: Sequence[str]) -> None:
        self.code = code
        super().__init__(
            f"Unknown language {code!r}. Choose one of: {', '.join(known)}."
        )


class VoiceNotFound(InvalidRequest):
    """An unknown voice name; carries the closest known names."""

    status = 404

    def __init__(self, name: str, suggestions: Sequence[str] = ()) -> None:
        self.name, self.suggestions = name, list(suggestions)
        hint = f" Did you mean {', '.join(self.suggestions)}?" if self.suggestions else ""
        super().__init__(f"There is no voice called {name!r}.{hint}")


class VoiceLanguageMismatch(InvalidRequest):
    """A voice and a language chosen together that do not belong together."""

    def __init__(self, voice: str, lang: str) -> None:
        self.voice, self.lang = voice, lang
        name = LANGUAGES.get(lang, lang)
        super().__init__(
            f"The voice {voice!r} does not speak {name}. Pick a {name} voice (their names "
            f"start with {lang!r}), or leave the language out."
        )


class InvalidVoiceSpec(InvalidRequest):
    """A voice or blend spec that can't be parsed (`af_bella(2)+af_sky(1)` form)."""

    def __init__(self, spec: str, reason: str) -> None:
        self.spec = spec
        super().__init__(f"The voice {spec!r} can't be used: {reason}")


class LanguageExtraMissing(TTSError):
    """A language whose phonemizer packages are not installed."""

    status = 503

    def __init__(self, code: str, extra: str, install: str | None = None) -> None:
        self.code, self.extra = code, extra
        # `install` names a package outside misaki's extras (e.g. a dictionary wheel).
        what = f"the {install!r} package" if install else f"misaki's {extra!r} extra"
        command = f"pip install {install}" if install else f"pip install 'misaki[{extra}]'"
        super().__init__(f"Language {code!r} needs {what}, which is not installed: {command}.")


class ModelUnavailable(TTSError):
    """The weights are neither on disk nor reachable; says how to provide them."""

    status = 503


class EngineNotReady(TTSError):
    """The model is still loading."""

    status = 503
    transient = True

    def __init__(self) -> None:
        super().__init__("The voice engine is still starting up; try again in a moment.")


class SynthesisUnavailable(ModelUnavailable):
    """No synthesis server could take the request now (down, or busy past the retry window).

    The message names no server: their addresses are internal and go to the log instead."""

    transient = True

    def __init__(self, busy: bool = False) -> None:
        why = "busy" if busy else "unreachable"
        super().__init__(f"Speech synthesis is {why} at the moment; try again shortly.")


class SynthesisCancelled(TTSError):
    """The caller cancelled the synthesis; raised at the next chunk boundary."""

    status = 409

    def __init__(self) -> None:
        super().__init__("The speech was cancelled before it finished.")


class UnsupportedFormat(InvalidRequest):
    """An audio format the encoders don't know."""

    def __init__(self, fmt: str, known: Sequence[str]) -> None:
        self.format = fmt
        super().__init__(f"Unknown audio format {fmt!r}. Choose one of: {', '.join(known)}.")


class TextNotReadable(InvalidRequest):
    """Text the language's phonemizer can't read (rare: unusual symbols)."""

    def __init__(self, language: str) -> None:
        super().__init__(
            f"Part of this text can't be read aloud in {language}; try rephrasing it "
            "(for example, spell out very long numbers or unusual symbols)."
        )


class NothingToSay(TextEmpty):
    """Text with no speakable content (only symbols the phonemizer drops, like "$")."""

    def __init__(self) -> None:
        InvalidRequest.__init__(
            self, "There is nothing to read aloud in this text: it has no words or numbers."
        )
