"""Number words through num2words, shaped for a phonemizer: no hyphens or commas (misaki and
espeak-ng would read them as pauses), American English without the British "and"."""

from __future__ import annotations

import functools
import logging
import re

from num2words import num2words

log = logging.getLogger(__name__)

#: Our language codes as num2words spells them (Hindi and Mandarin are not covered by it).
NUM2WORDS_LANG = {"a": "en", "b": "en", "e": "es", "f": "fr", "i": "it", "p": "pt_BR", "j": "ja"}
#: num2words refuses (or mis-reads) numbers this long; longer runs are read digit by digit.
MAX_DIGITS = 15
_SEPARATORS = re.compile(r"[,\-‐]+\s*|\s+")
_DIGIT_NAMES = {
    "a": "oh one two three four five six seven eight nine",
    "e": "cero uno dos tres cuatro cinco seis siete ocho nueve",
    "f": "zéro un deux trois quatre cinq six sept huit neuf",
    "i": "zero uno due tre quattro cinque sei sette otto nove",
    "p": "zero um dois três quatro cinco seis sete oito nove",
}


def _tidy(words: str, lang: str) -> str:
    words = _SEPARATORS.sub(" ", words).strip()
    if lang == "a":
        words = words.replace(" and ", " ")
    return words


@functools.lru_cache(maxsize=4096)
def cardinal(value: int, lang: str) -> str:
    """`value` in words ("one hundred five" for a, "one hundred and five" for b)."""
    if len(str(abs(value))) > MAX_DIGITS:
        return digits(str(value), lang)
    return _tidy(num2words(value, lang=NUM2WORDS_LANG[lang]), lang)


@functools.lru_cache(maxsize=1024)
def ordinal(value: int, lang: str) -> str:
    """`value` as an ordinal word ("twenty first")."""
    return _tidy(num2words(value, lang=NUM2WORDS_LANG[lang], to="ordinal"), lang)


@functools.lru_cache(maxsize=1024)
def year(value: int, lang: str) -> str:
    """An English year as said: "nineteen ninety nine", "two thousand five", "twenty twenty"."""
    return _tidy(num2words(value, lang="en", to="year"), lang)


def digits(text: str, lang: str, zero: str | None = None) -> str:
    """Each digit of `text` by name ("five five five"); English phone numbers say "oh" for
    zero, decimals `zero="zero"`."""
    names = _DIGIT_NAMES.get("a" if lang == "b" else lang)
    if names is None:
        return " ".join(ch for ch in text if ch.isdigit())
    table = names.split()
    if zero is not None:
        table[0] = zero
    return " ".join(table[int(ch)] for ch in text if ch.isdigit())


def number(text: str, lang: str, point: str, group: str = ",") -> str:
    """A written number ("1,200", "12.5", "-3") in words; `group` is the thousands mark and
    `point` the word said for the decimal mark ("point", "coma", "virgule")."""
    decimal_mark = "." if group == "," else ","
    whole, _, fraction = text.replace(group, "").partition(decimal_mark)
    sign = ""
    if whole.startswith(("-", "−")):
        sign, whole = ("minus " if lang in ("a", "b") else ""), whole[1:]
    spoken = cardinal(int(whole or "0"), lang)
    if fraction:
        spoken += f" {point} " + digits(fraction, lang, zero=cardinal(0, lang))
    return sign + spoken
