"""English numbers with what goes around them: money, dates, times, phone numbers, versions,
percentages, fractions, ranges, ordinals, years and plain numbers (American `a`, British `b`)."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from tts_engine.text.normalize._words import cardinal, digits, number, ordinal, year

log = logging.getLogger(__name__)

Rule = tuple[re.Pattern[str], Callable[[re.Match[str]], str]]
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")
_MONTH_ABBR = {m[:3].lower(): i + 1 for i, m in enumerate(MONTHS)} | {"sept": 9}
MONTH_NAME = "(?:" + "|".join(MONTHS) + r"|(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.?)"
NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_CURRENCIES = {"$": ("dollar", "dollars", "cent", "cents"), "£": ("pound", "pounds", "penny",
               "pence"), "€": ("euro", "euros", "cent", "cents"), "¥": ("yen", "yen", "", ""),
               "₹": ("rupee", "rupees", "paisa", "paise")}
_CODES = {"usd": "$", "gbp": "£", "eur": "€", "jpy": "¥", "inr": "₹"}
_SCALE = {"k": "thousand", "m": "million", "mn": "million", "b": "billion", "bn": "billion",
          "t": "trillion", "thousand": "thousand", "million": "million", "billion": "billion",
          "trillion": "trillion"}
_SCALES = r"(?:thousand|million|billion|trillion|bn|mn|[kmbt])\b"


def num(text: str, lang: str) -> str:
    """A written English number in words."""
    return number(text, lang, "point")


def _amount(symbol: str, value: str, scale: str | None, lang: str) -> str:
    one, many, cent, cents = _CURRENCIES[symbol]
    if scale:
        return f"{num(value, lang)} {_SCALE[scale.lower()]} {many}"
    whole, _, frac = value.replace(",", "").partition(".")
    units = int(whole or "0")
    said = f"{cardinal(units, lang)} {one if units == 1 else many}"
    if frac and cent and len(frac) <= 2 and int(frac.ljust(2, "0")):
        sub = int(frac.ljust(2, "0"))
        said += f" and {cardinal(sub, lang)} {cent if sub == 1 else cents}"
    elif frac and not (cent and len(frac) <= 2):
        return f"{num(value, lang)} {many}"
    return said


def _money(m: re.Match[str], lang: str) -> str:
    symbol = m.group("sym") or _CODES[m.group("code").lower()]
    sign = "minus " if m.group("neg") else ""
    return sign + _amount(symbol, m.group("val"), m.group("scale"), lang)


def _date_words(y: int | None, mo: int, d: int, lang: str) -> str:
    if lang == "b":
        said = f"the {ordinal(d, lang)} of {MONTHS[mo - 1]}"
        return said + (f" {year(y, lang)}" if y is not None else "")
    said = f"{MONTHS[mo - 1]} {ordinal(d, lang)}"
    return said + (f", {year(y, lang)}" if y is not None else "")


def _valid(mo: int, d: int) -> bool:
    return 1 <= mo <= 12 and 1 <= d <= 31


def _iso(m: re.Match[str], lang: str) -> str:
    y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
    return _date_words(y, mo, d, lang) if _valid(mo, d) else m.group()


def _numeric_date(m: re.Match[str], lang: str) -> str:
    a, b, y = int(m.group(1)), int(m.group(2)), m.group(3)
    mo, d = (a, b) if lang == "a" else (b, a)
    if not _valid(mo, d) and _valid(d, mo):  # 25/12 in America, 12/25 in Britain: one reading
        mo, d = d, mo
    if not _valid(mo, d):
        return m.group()
    full = int(y) if len(y) == 4 else 2000 + int(y)
    return _date_words(full, mo, d, lang)


def _month_first(m: re.Match[str], lang: str) -> str:
    mo = _MONTH_ABBR[m.group("mon")[:3].lower()]
    d = int(m.group("day"))
    y = int(m.group("year")) if m.group("year") else None
    return _date_words(y, mo, d, lang) if _valid(mo, d) else m.group()


def _day_first(m: re.Match[str], lang: str) -> str:
    mo = _MONTH_ABBR[m.group("mon")[:3].lower()]
    d = int(m.group("day"))
    y = int(m.group("year")) if m.group("year") else None
    if not _valid(mo, d):
        return m.group()
    said = f"the {ordinal(d, lang)} of {MONTHS[mo - 1]}"
    return said + (f" {year(y, lang)}" if y is not None else "")


def _clock(h: int, mi: int, lang: str) -> str:
    if mi == 0:
        return f"{cardinal(h, lang)} o'clock" if h <= 12 else f"{cardinal(h, lang)} hundred"
    minutes = f"oh {cardinal(mi, lang)}" if mi < 10 else cardinal(mi, lang)
    return f"{cardinal(h, lang)} {minutes}"


def _time(m: re.Match[str], lang: str) -> str:
    h, mi = int(m.group("h")), int(m.group("m") or 0)
    suffix = (m.group("ampm") or "").lower().replace(".", "")
    if h > 23 or mi > 59 or (suffix and not 1 <= h <= 12):
        return m.group()
    if suffix:
        said = cardinal(h, lang) if mi == 0 else _clock(h, mi, lang)
        return f"{said} {suffix[0]}.m."
    if h == 0 and mi == 0:
        return "midnight"
    said = _clock(12 if h == 0 else h, mi, lang) + (" a.m." if h == 0 else "")
    if m.group("s"):
        said += f" and {cardinal(int(m.group('s')), lang)} seconds"
    return said


def _phone(m: re.Match[str], lang: str) -> str:
    groups = re.findall(r"\d+", m.group("num"))
    said = ", ".join(digits(g, lang) for g in groups)
    return ("plus " + digits(m.group("cc"), lang) + ", " if m.group("cc") else "") + said


def _version(m: re.Match[str], lang: str) -> str:
    parts = m.group("v").split(".")
    said = " point ".join(cardinal(int(p), lang) for p in parts)
    return ("version " if m.group("pre") else "") + said


def _ip(m: re.Match[str], lang: str) -> str:
    return " dot ".join(cardinal(int(p), lang) for p in m.group().split("."))


_PHONE = re.compile(
    r"(?<![\w.,/-])(?:\+(?P<cc>\d{1,3})[ .-]?)?(?P<num>\(?\d{3}\)?[ .-]\d{3}[ .-]\d{4}"
    r"|\d{3}[ -]\d{4}|0\d{2,4} \d{3} ?\d{3,4})(?![\w.,/-]*\d)"
)


def _decade(m: re.Match[str], lang: str) -> str:
    said = year(int(m.group(1)), lang)
    if said.endswith("y"):
        return said[:-1] + "ies"
    return said + "s"


def rules(lang: str) -> list[Rule]:
    """The number rules for `lang` ("a" or "b"), in the order they must run."""
    return [
        (re.compile(rf"(?<![\w.])(?P<neg>[-−])?(?P<sym>[$£€¥₹])\s?(?P<val>{NUM})"
                    rf"(?:\s?(?P<scale>{_SCALES}))?(?P<code>)", re.IGNORECASE),
         lambda m: _money(m, lang)),
        (re.compile(rf"(?<![\w.])(?P<neg>)(?P<sym>)(?P<val>{NUM})(?:\s?(?P<scale>{_SCALES}))?"
                    r"\s?(?P<code>USD|GBP|EUR|JPY|INR)\b"), lambda m: _money(m, lang)),
        (re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b"), lambda m: _iso(m, lang)),
        (re.compile(r"\b(\d{1,2})[/.](\d{1,2})[/.](\d{4}|\d{2})\b"),
         lambda m: _numeric_date(m, lang)),
        (re.compile(rf"\b(?P<mon>{MONTH_NAME})\s(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\b"
                    r"(?:,?\s(?P<year>\d{4})\b)?"), lambda m: _month_first(m, lang)),
        (re.compile(rf"\b(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s(?:of\s)?(?P<mon>{MONTH_NAME})"
                    r"(?:,?\s(?P<year>\d{4})\b)?"), lambda m: _day_first(m, lang)),
        (re.compile(r"(?<![\d:.])(?P<h>\d{1,2})(?::(?P<m>\d{2}))?(?::(?P<s>\d{2}))?\s?"
                    r"(?P<ampm>[ap]\.?m\.?)(?!\w)", re.IGNORECASE), lambda m: _time(m, lang)),
        (re.compile(r"(?<![\d:.])(?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2}))?(?P<ampm>)"
                    r"(?![\d:])"), lambda m: _time(m, lang)),
        (_PHONE, lambda m: _phone(m, lang)),
        (re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b"), lambda m: _ip(m, lang)),
        (re.compile(r"(?:(?P<pre>\bv)|(?<![\w.]))(?P<v>\d+\.\d+\.\d+(?:\.\d+)?|(?<=v)\d+\.\d+)"
                    r"(?![\d.]*\d)"), lambda m: _version(m, lang)),
        (re.compile(r"\b(1[1-9]\d0|20\d0)'?s\b"), lambda m: _decade(m, lang)),
    ]
