"""Grapheme-to-phoneme for every Kokoro language, built lazily, one per language per process.

espeak-ng is a C library with global state and misaki's front ends are not documented as
thread-safe, so every call goes through one lock; inference itself runs outside it.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from misaki.token import MToken

from tts_engine.errors import LanguageExtraMissing, LanguageNotSupported, TextNotReadable
from tts_engine.speech import LANGUAGES
from tts_engine.text.dictionary import split_phonemes
from tts_engine.text.g2p.english import (
    english_g2p,
    espeak_tokens,
    has_spacy_model,
    normalise,
    tokens_to_phonemes,
)
from tts_engine.text.g2p.japanese import normalise as normalise_japanese

log = logging.getLogger(__name__)

#: espeak-ng voice per language code.
ESPEAK_LANGUAGES = {"e": "es", "f": "fr-fr", "h": "hi", "i": "it", "p": "pt-br"}
ENGLISH = ("a", "b")


class G2P:
    """Phonemizers for all languages, shared by every caller of one engine."""

    def __init__(self, zh_version: str | None = None) -> None:
        self._zh_version = zh_version
        self._lock = threading.RLock()
        self._backends: dict[str, Any] = {}
        self._warned = False

    def _backend(self, lang: str) -> Any:
        backend = self._backends.get(lang)
        if backend is None:
            backend = self._build(lang)
            self._backends[lang] = backend
        return backend

    def _build(self, lang: str) -> Any:
        if lang in ENGLISH:
            if not has_spacy_model() and not self._warned:
                self._warned = True
                log.warning(
                    "spaCy's en_core_web_sm is not installed: English uses a tokenizer-only "
                    "pipeline with rule-based tags and espeak-ng for unknown words "
                    "(python -m spacy download en_core_web_sm reads more heteronyms right)."
                )
            return english_g2p(british=lang == "b")
        if lang in ESPEAK_LANGUAGES:
            from misaki import espeak

            return espeak.EspeakG2P(language=ESPEAK_LANGUAGES[lang])
        if lang == "j":
            from tts_engine.text.g2p.japanese import japanese_g2p

            return japanese_g2p()
        if lang == "z":
            return self._mandarin()
        raise LanguageNotSupported(lang, list(LANGUAGES))

    def _mandarin(self) -> Any:
        try:
            from misaki import zh
        except ImportError as exc:
            raise LanguageExtraMissing("z", "zh") from exc
        english = self._backend("a")

        def read_english(text: str) -> str:
            return str(english(text)[0])

        return zh.ZHG2P(version=self._zh_version, en_callable=read_english)

    def prepare(self, lang: str) -> None:
        """Build the phonemizer of `lang` now (start-up), raising what first use would."""
        with self._lock:
            self._backend(lang)

    def english_tokens(self, lang: str, text: str) -> list[MToken]:
        """misaki tokens (text, phonemes, whitespace) of English `text`."""
        text = normalise(text)
        with self._lock:
            backend = self._backend(lang)
            try:
                _, tokens = backend(text)
            except Exception:  # misaki has sharp edges; espeak-ng still reads the words
                log.warning("misaki failed on %r; reading it with espeak-ng", text[:80])
                if backend.fallback is None:
                    raise TextNotReadable(LANGUAGES[lang]) from None
                tokens = espeak_tokens(backend.fallback, text)
        return list(tokens)

    def phonemize(self, lang: str, text: str) -> str:
        """The phoneme string of `text` in `lang`."""
        if lang in ENGLISH:
            return tokens_to_phonemes(self.english_tokens(lang, text))
        pieces = split_phonemes(text)
        if any(is_phonemes for _, is_phonemes in pieces):
            # Dictionary phonemes reach the model as written; the rest goes through G2P.
            return " ".join(p.strip() if is_phonemes else self.phonemize(lang, p)
                            for p, is_phonemes in pieces if p.strip()).strip()
        if lang == "j":
            text = normalise_japanese(text)
        with self._lock:
            backend = self._backend(lang)
            try:
                result = backend(text)
            except Exception as exc:
                log.warning("%s G2P failed on %r: %r", LANGUAGES[lang], text[:80], exc)
                raise TextNotReadable(LANGUAGES[lang]) from exc
        return str(result[0] if isinstance(result, tuple) else result).strip()


def check_language(lang: str) -> None:
    """Raise `LanguageExtraMissing` now if `lang`'s front end is not installed (cheap check)."""
    from importlib.util import find_spec

    if lang == "z" and (find_spec("jieba") is None or find_spec("pypinyin") is None):
        raise LanguageExtraMissing("z", "zh")
    if lang == "j":
        from tts_engine.text.g2p.japanese import PACKAGES, dictionary_dir

        if any(find_spec(name) is None for name in ("fugashi", "jaconv", "mojimoji")):
            raise LanguageExtraMissing("j", "ja", install=PACKAGES)

        dictionary_dir()
