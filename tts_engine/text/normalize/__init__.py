"""Text normalisation: written forms (numbers, dates, times, money, units, links...) into the
words a person says, per language, before G2P.

It runs after the pronunciation dictionary, whose phoneme markup `[word](/phonemes/)` is passed
through untouched (an entry always wins), and before the length limit. Each rule is a compiled
regular expression whose replacement builds words with num2words; anything a rule cannot read
is left exactly as written, so no word is ever lost. See docs/normalisation.md for the choice of
rules over NeMo's WFST grammars.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from tts_engine.text.dictionary import PHONEME_MARKUP

log = logging.getLogger(__name__)

__all__ = ["normalize", "prepare"]


def _english(text: str, lang: str) -> str:
    from tts_engine.text.normalize._english import normalize_english

    return normalize_english(text, lang)


def _romance(text: str, lang: str) -> str:
    from tts_engine.text.normalize._other import normalize_other

    return normalize_other(text, lang)


def _cjk(text: str, lang: str) -> str:
    from tts_engine.text.normalize._cjk import normalize_cjk

    return normalize_cjk(text, lang)


_BY_LANGUAGE: dict[str, Callable[[str, str], str]] = {
    "a": _english, "b": _english,
    "e": _romance, "f": _romance, "i": _romance, "p": _romance, "h": _romance,
    "j": _cjk, "z": _cjk,
}


def normalize(text: str, lang: str) -> str:
    """`text` as it is said in `lang`; dictionary phoneme markup is kept as written."""
    rule = _BY_LANGUAGE.get(lang)
    if rule is None or not text:
        return text
    out, pos = [], 0
    for markup in PHONEME_MARKUP.finditer(text):
        out.append(_safe(rule, text[pos:markup.start()], lang))
        out.append(markup.group())
        pos = markup.end()
    out.append(_safe(rule, text[pos:], lang))
    return "".join(out)


def _safe(rule: Callable[[str, str], str], text: str, lang: str) -> str:
    if not text.strip():
        return text
    try:
        return rule(text, lang)
    except Exception:  # a rule's bug must never cost the user their message
        log.exception("normalisation failed for %r; the text is read as written", text[:80])
        return text


def prepare(lang: str) -> None:
    """Import and compile `lang`'s rules now (start-up) rather than on the first message."""
    normalize("1", lang)
