"""Links, e-mail addresses, hashtags and the @/# forms Discord leaves in a message.

A link is read as people say it: the scheme and "www" dropped, the domain with its dots, and at
most two short word-like path segments (longer paths, queries and fragments are not read).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

log = logging.getLogger(__name__)

#: "dot", "at", "slash", "dash", "hashtag", "underscore" per language.
_WORDS = {
    "a": ("dot", "at", "slash", "dash", "hashtag", "underscore"),
    "e": ("punto", "arroba", "barra", "guion", "hashtag", "guion bajo"),
    "f": ("point", "arobase", "slash", "tiret", "hashtag", "tiret bas"),
    "i": ("punto", "chiocciola", "slash", "trattino", "hashtag", "trattino basso"),
    "p": ("ponto", "arroba", "barra", "traço", "hashtag", "sublinhado"),
    "h": ("डॉट", "एट", "स्लैश", "डैश", "हैशटैग", "अंडरस्कोर"),
}
#: Top-level domains people spell out letter by letter (most are said as a word: "com").
_SPELLED_TLD = {"io", "gg", "tv", "uk", "us", "de", "fr", "es", "it", "co", "ai", "me", "eu",
                "ca", "nz", "au", "br", "in", "jp", "cn", "fm", "ly", "sh", "ru", "nl", "be"}
# Bare domains (no scheme, no www) only with endings that are never ordinary words.
_TLDS = "com|org|net|edu|gov|info|dev|app|xyz|io|gg|tv|uk|ai"
URL = re.compile(
    r"(?:https?://|www\.)[^\s<>\"'()\[\]]+"
    rf"|\b[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9-]+)*\.(?:{_TLDS})\b(?:/[^\s<>\"'()]*)?",
    re.IGNORECASE,
)
EMAIL = re.compile(r"\b[\w.+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)+\b", re.IGNORECASE)
HASHTAG = re.compile(r"(?<![\w&#/])#([^\W\d_][\w]*)")
NUMBER_SIGN = re.compile(r"(?<![\w&#/])#(\d+)\b")
MENTION = re.compile(r"(?<![\w@/.])@([\w.]*\w)")
_TRAILING = ".,;:!?)"
_WORDLIKE = re.compile(r"[a-z]{1,15}", re.IGNORECASE)


def _words(lang: str) -> tuple[str, ...]:
    return _WORDS.get("a" if lang == "b" else lang, _WORDS["a"])


def _spell(part: str) -> str:
    return " ".join(part.upper())


def domain(host: str, lang: str) -> str:
    """A host name as said: "example dot com", "discord dot G G"."""
    dot, _, _, dash, _, _ = _words(lang)
    labels = host.lower().split(".")
    if labels and labels[0] == "www":
        labels = labels[1:]
    # English letter names for "io", "gg"; other languages' G2P reads the ending its own way.
    spell = lang in ("a", "b")
    said = [_spell(label) if spell and i == len(labels) - 1 and label in _SPELLED_TLD
            else label for i, label in enumerate(labels)]
    return f" {dot} ".join(s.replace("-", f" {dash} ") for s in said)


def url(match: re.Match[str], lang: str) -> str:
    """A link read naturally; trailing sentence punctuation stays outside it."""
    text = match.group()
    stripped = text.rstrip(_TRAILING)
    tail = text[len(stripped):]
    slash = _words(lang)[2]
    body = re.sub(r"^(?:https?://)", "", stripped, flags=re.IGNORECASE)
    host, _, path = body.partition("/")
    host = host.split("@")[-1].split(":")[0]
    spoken = domain(host, lang)
    segments = [s for s in re.split(r"[?#]", path, maxsplit=1)[0].split("/") if s]
    if 0 < len(segments) <= 2 and all(_WORDLIKE.fullmatch(s) for s in segments):
        spoken += "".join(f" {slash} {s}" for s in segments)
    return spoken + tail


def email(match: re.Match[str], lang: str) -> str:
    """user@host as "user at host dot org", dots and underscores in the user part said."""
    dot, at, _, dash, _, underscore = _words(lang)
    user, _, host = match.group().partition("@")
    user = (user.replace(".", f" {dot} ").replace("_", f" {underscore} ")
            .replace("-", f" {dash} ").replace("+", " plus "))
    return f"{user} {at} {domain(host, lang)}"


def web_rules(lang: str) -> list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]]:
    """The rules of this module for `lang`, in the order they must run."""
    hashtag = _words(lang)[4]
    at = _words(lang)[1]
    number_word = {"a": "number", "b": "number", "e": "número", "f": "numéro", "i": "numero",
                   "p": "número", "h": "नंबर"}.get(lang, "number")
    return [
        (EMAIL, lambda m: email(m, lang)),
        (URL, lambda m: url(m, lang)),
        (NUMBER_SIGN, lambda m: f"{number_word} {m.group(1)}"),
        (HASHTAG, lambda m: f"{hashtag} {m.group(1)}"),
        (MENTION, lambda m: f"{at} {m.group(1)}"),
    ]
