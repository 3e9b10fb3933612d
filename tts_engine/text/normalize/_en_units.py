"""English quantities: temperatures, units, percentages, fractions, ranges, negative numbers,
ordinals, years and every number left, run after the forms of `_en_numbers`."""

from __future__ import annotations

import logging
import re

from tts_engine.text.normalize._en_numbers import NUM, Rule, num
from tts_engine.text.normalize._words import cardinal, ordinal, year

log = logging.getLogger(__name__)

#: unit -> (singular, plural). Case matters: "m" is metres, "M" is not a unit here; "in" is
#: left out (after a number it is mostly the preposition).
UNITS = {
    "mm": "millimeter", "cm": "centimeter", "m": "meter", "km": "kilometer",
    "mg": "milligram", "g": "gram", "kg": "kilogram", "t": "tonne",
    "ml": "milliliter", "mL": "milliliter", "l": "liter", "L": "liter",
    "ms": "millisecond", "s": "second", "sec": "second", "secs": "second", "min": "minute",
    "mins": "minute", "h": "hour", "hr": "hour", "hrs": "hour",
    "ft": "foot", "yd": "yard", "mi": "mile", "lb": "pound", "lbs": "pound", "oz": "ounce",
    "gal": "gallon", "mph": "mile per hour", "km/h": "kilometer per hour",
    "kph": "kilometer per hour", "kmh": "kilometer per hour",
    "B": "byte", "KB": "kilobyte", "kB": "kilobyte", "MB": "megabyte", "GB": "gigabyte",
    "TB": "terabyte", "KiB": "kibibyte", "MiB": "mebibyte", "GiB": "gibibyte",
    "Kb": "kilobit", "Mb": "megabit", "Gb": "gigabit", "Mbps": "megabit per second",
    "Gbps": "gigabit per second",
    "Hz": "hertz", "kHz": "kilohertz", "MHz": "megahertz", "GHz": "gigahertz",
    "W": "watt", "kW": "kilowatt", "kWh": "kilowatt hour", "V": "volt", "mAh": "milliamp hour",
    "fps": "frame per second", "px": "pixel", "dB": "decibel",
}
_IRREGULAR = {"foot": "feet", "hertz": "hertz", "kilohertz": "kilohertz",
              "megahertz": "megahertz", "gigahertz": "gigahertz", "inch": "inches"}
_BRITISH = {"meter": "metre", "liter": "litre"}
_FRACTIONS = {"½": (1, 2), "⅓": (1, 3), "⅔": (2, 3), "¼": (1, 4), "¾": (3, 4), "⅛": (1, 8),
              "⅜": (3, 8), "⅝": (5, 8), "⅞": (7, 8), "⅕": (1, 5)}
_UNIT_NAMES = "|".join(sorted((re.escape(u) for u in UNITS), key=len, reverse=True))


def _unit_word(unit: str, plural: bool, lang: str) -> str:
    words = UNITS[unit].split()
    # "miles per hour" but "kilowatt hours": the counted word takes the plural.
    counted = 0 if "per" in words else len(words) - 1
    if plural:
        words[counted] = _IRREGULAR.get(words[counted], words[counted] + "s")
    said = " ".join(words)
    if lang == "b":
        for us, uk in _BRITISH.items():
            said = said.replace(us, uk)
    return said


def _quantity(m: re.Match[str], lang: str) -> str:
    if m.group("u") == "m" and not m.group("sp"):
        return m.group()  # "5m" is as often minutes or millions as metres: left as written
    value = m.group("n")
    # "a 20 megabyte file": a quantity used as an adjective stays singular.
    adjective = re.search(r"\b[Aa]n? $", m.string[max(0, m.start() - 3):m.start()])
    plural = value.lstrip("-−") != "1" and not adjective
    sign = "minus " if value[0] in "-−" else ""
    return f"{sign}{num(value.lstrip('-−'), lang)} {_unit_word(m.group('u'), plural, lang)}"


def _temperature(m: re.Match[str], lang: str) -> str:
    value = m.group("n")
    sign = "minus " if value[0] in "-−" else ""
    scale = {"C": " Celsius", "F": " Fahrenheit"}.get((m.group("u") or "").upper(), "")
    degrees = "degree" if value.lstrip("-−") == "1" else "degrees"
    return f"{sign}{num(value.lstrip('-−'), lang)} {degrees}{scale}"


def fraction(n: int, d: int, lang: str) -> str:
    """n/d as said: "one half", "three quarters", "five eighths"."""
    if d == 2:
        name = "half" if n == 1 else "halves"
    elif d == 4:
        name = "quarter" if n == 1 else "quarters"
    else:
        name = ordinal(d, lang) + ("s" if n != 1 else "")
    return f"{cardinal(n, lang)} {name}"


def _slash_fraction(m: re.Match[str], lang: str) -> str:
    n, d = int(m.group("n")), int(m.group("d"))
    if not 0 < n < d <= 16:
        return m.group()
    said = fraction(n, d, lang)
    if m.group("whole"):
        return f"{cardinal(int(m.group('whole')), lang)} and {said}"
    return said


def _glyph_fraction(m: re.Match[str], lang: str) -> str:
    n, d = _FRACTIONS[m.group("f")]
    said = fraction(n, d, lang)
    if m.group("whole"):
        return f"{cardinal(int(m.group('whole')), lang)} and {'a half' if d == 2 else said}"
    return said


def _range(m: re.Match[str], lang: str) -> str:
    a, b = m.group("a"), m.group("b")
    if re.fullmatch(r"1[1-9]\d\d|20\d\d", a) and re.fullmatch(r"1[1-9]\d\d|20\d\d", b):
        return f"{year(int(a), lang)} to {year(int(b), lang)}"
    return f"{num(a, lang)} to {b}"


def _plain(m: re.Match[str], lang: str) -> str:
    text = m.group("n")
    value = text.replace(",", "")
    before = m.string[max(0, m.start() - 12):m.start()].lower()
    if ("," not in text and re.fullmatch(r"1[1-9]\d\d|20\d\d", value)
            and re.search(r"\b(?:in|since|by|until|till|from|year|before|after|around|circa|"
                          r"during|summer|winter|spring|autumn|fall|of|class)\s+$", before)):
        return year(int(value), lang)
    return num(text, lang)


def rules(lang: str) -> list[Rule]:
    """The quantity rules for `lang` ("a" or "b"), in the order they must run."""
    return [
        (re.compile(r"\b(\d)['’](\d{1,2})(?:\"|”|'')(?!\w)"),
         lambda m: f"{cardinal(int(m.group(1)), lang)} foot {cardinal(int(m.group(2)), lang)}"),
        (re.compile(r"(?P<n>[-−]?\d+(?:\.\d+)?)\s?°\s?(?P<u>[CFcf](?![a-z]))?"),
         lambda m: _temperature(m, lang)),
        (re.compile(rf"(?<![\w.])(?P<n>[-−]?(?:{NUM}))\s?%"),
         lambda m: ("minus " if m.group("n")[0] in "-−" else "")
         + f"{num(m.group('n').lstrip('-−'), lang)} percent"),
        (re.compile(r"(?<![\w./])(?:(?P<whole>\d+)\s)?(?P<n>\d+)/(?P<d>\d+)(?![\w/])"),
         lambda m: _slash_fraction(m, lang)),
        (re.compile(r"(?:(?P<whole>\d+)\s?)?(?P<f>[½⅓⅔¼¾⅛⅜⅝⅞⅕])"),
         lambda m: _glyph_fraction(m, lang)),
        (re.compile(r"(?<![\w.,])(?P<a>\d+(?:\.\d+)?)\s?[-–—]\s?(?P<b>\d+(?:\.\d+)?)(?![\w.]*\d)"),
         lambda m: _range(m, lang)),
        (re.compile(rf"(?<![\w.])(?P<n>[-−]?(?:{NUM}))(?P<sp>\s?)(?P<u>{_UNIT_NAMES})(?![\w/])"),
         lambda m: _quantity(m, lang)),
        (re.compile(r"\b(\d+)(?:st|nd|rd|th)\b", re.IGNORECASE),
         lambda m: ordinal(int(m.group(1)), lang)),
        (re.compile(r"(?<![\w.])[-−](?=\d)"), lambda m: "minus "),
        (re.compile(rf"(?<![\w.])(?P<n>{NUM})(?![\w.]*\d|[^\W\d_])"),
         lambda m: _plain(m, lang)),
    ]
