"""Spanish, French, Italian, Brazilian Portuguese and Hindi: numbers, money, dates, times,
percentages and a few units. Numbers become words through num2words; Hindi keeps its digits,
which espeak-ng already reads as Hindi numbers (num2words has no Hindi)."""

from __future__ import annotations

import functools
import logging
import re

from tts_engine.text.normalize._en_numbers import Rule
from tts_engine.text.normalize._web import web_rules
from tts_engine.text.normalize._words import cardinal, ordinal

log = logging.getLogger(__name__)

#: Per language: point word, minus, percent, month names, date pattern "{d} {m} {y}".
_POINT = {"e": "coma", "f": "virgule", "i": "virgola", "p": "vírgula", "h": "दशमलव"}
_MINUS = {"e": "menos", "f": "moins", "i": "meno", "p": "menos", "h": "माइनस"}
_PERCENT = {"e": "por ciento", "f": "pour cent", "i": "per cento", "p": "por cento",
            "h": "प्रतिशत"}
_MONTHS = {
    "e": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre "
         "diciembre",
    "f": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    "i": "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre "
         "dicembre",
    "p": "janeiro fevereiro março abril maio junho julho agosto setembro outubro novembro "
         "dezembro",
    "h": "जनवरी फ़रवरी मार्च अप्रैल मई जून जुलाई अगस्त सितंबर अक्टूबर नवंबर दिसंबर",
}
_DATE = {"e": "{d} de {m} de {y}", "f": "{d} {m} {y}", "i": "{d} {m} {y}",
         "p": "{d} de {m} de {y}", "h": "{d} {m} {y}"}
#: symbol -> (one, many, cent one, cent many) per language.
_MONEY = {
    "e": {"€": ("euro", "euros", "céntimo", "céntimos"), "$": ("dólar", "dólares", "centavo",
          "centavos")},
    "f": {"€": ("euro", "euros", "centime", "centimes"), "$": ("dollar", "dollars", "cent",
          "cents")},
    "i": {"€": ("euro", "euro", "centesimo", "centesimi"), "$": ("dollaro", "dollari",
          "centesimo", "centesimi")},
    "p": {"R$": ("real", "reais", "centavo", "centavos"), "€": ("euro", "euros", "cêntimo",
          "cêntimos"), "$": ("dólar", "dólares", "centavo", "centavos")},
    "h": {"₹": ("रुपया", "रुपये", "पैसा", "पैसे"), "$": ("डॉलर", "डॉलर", "सेंट", "सेंट")},
}
_AND = {"e": "con", "f": "et", "i": "e", "p": "e", "h": "और"}
_UNITS = {
    "e": {"km": "kilómetros", "kg": "kilos", "m": "metros", "cm": "centímetros", "g": "gramos",
          "l": "litros", "°C": "grados", "°": "grados"},
    "f": {"km": "kilomètres", "kg": "kilos", "m": "mètres", "cm": "centimètres", "g": "grammes",
          "l": "litres", "°C": "degrés", "°": "degrés"},
    "i": {"km": "chilometri", "kg": "chili", "m": "metri", "cm": "centimetri", "g": "grammi",
          "l": "litri", "°C": "gradi", "°": "gradi"},
    "p": {"km": "quilômetros", "kg": "quilos", "m": "metros", "cm": "centímetros", "g": "gramas",
          "l": "litros", "°C": "graus", "°": "graus"},
    "h": {"km": "किलोमीटर", "kg": "किलो", "m": "मीटर", "cm": "सेंटीमीटर", "g": "ग्राम",
          "l": "लीटर", "°C": "डिग्री", "°": "डिग्री"},
}
#: A number written the local way: "1.234,5" (e, i, p), "1 234,5" (f), "1,234.5" (h).
_NUM = {"e": r"\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d+(?:,\d+)?",
        "f": r"\d{1,3}(?:[  ]\d{3})+(?:,\d+)?|\d+(?:,\d+)?",
        "h": r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"}


def _num_pattern(lang: str) -> str:
    return _NUM.get(lang, _NUM["e"])


def say_number(text: str, lang: str) -> str:
    """A local written number in words (Hindi: digits kept, the decimal mark said)."""
    if lang == "h":
        whole, _, frac = text.replace(",", "").partition(".")
        return whole + (f" {_POINT[lang]} " + " ".join(frac) if frac else "")
    whole, _, frac = re.sub(r"[.  ]", "", text).partition(",")
    said = cardinal(int(whole), lang)
    if frac:
        said += f" {_POINT[lang]} " + (cardinal(int(frac), lang) if not frac.startswith("0")
                                       else " ".join(cardinal(int(d), lang) for d in frac))
    return said


def _card(value: int, lang: str) -> str:
    return str(value) if lang == "h" else cardinal(value, lang)


def _date(d: int, mo: int, y: int, lang: str) -> str:
    if not (1 <= mo <= 12 and 1 <= d <= 31):
        raise ValueError("not a date")
    day = ordinal(1, lang) if d == 1 and lang in "fip" else _card(d, lang)
    return _DATE[lang].format(d=day, m=_MONTHS[lang].split()[mo - 1], y=_card(y, lang))


def _safe_date(m: re.Match[str], lang: str, order: str) -> str:
    parts = dict(zip(order, (int(g) for g in m.groups()), strict=True))
    try:
        return _date(parts["d"], parts["m"], parts["y"], lang)
    except ValueError:
        return m.group()


def _time(m: re.Match[str], lang: str) -> str:
    h, mi = int(m.group(1)), int(m.group(2) or 0)
    if h > 23 or mi > 59:
        return m.group()
    hours, minutes = _card(h, lang), _card(mi, lang)
    if lang == "e":
        return f"{hours} en punto" if mi == 0 else f"{hours} y {minutes}"
    if lang == "f":
        word = "heure" if h == 1 else "heures"
        return f"{hours} {word}" + (f" {minutes}" if mi else "")
    if lang == "i":
        return f"{hours} in punto" if mi == 0 else f"{hours} e {minutes}"
    if lang == "p":
        return f"{hours} horas" if mi == 0 else f"{hours} e {minutes}"
    return f"{hours} बजे" if mi == 0 else f"{hours} बजकर {minutes} मिनट"


def _money(m: re.Match[str], lang: str) -> str:
    one, many, cent, cents = _MONEY[lang][m.group("sym") or m.group("sym2")]
    value = m.group("v") or m.group("v2")
    mark = "." if lang == "h" else ","
    whole, _, frac = value.partition(mark)
    units = int(re.sub(r"[.,  ]", "", whole))
    said = f"{_card(units, lang)} {one if units == 1 else many}"
    if frac and len(frac) <= 2 and int(frac.ljust(2, "0")):
        sub = int(frac.ljust(2, "0"))
        said += f" {_AND[lang]} {_card(sub, lang)} {cent if sub == 1 else cents}"
    return said


@functools.cache
def rules(lang: str) -> tuple[Rule, ...]:
    """Every rule for `lang` (e, f, i, p or h), in the order they run."""
    num = _num_pattern(lang)
    symbols = "|".join(re.escape(s) for s in sorted(_MONEY[lang], key=len, reverse=True))
    units = "|".join(re.escape(u) for u in sorted(_UNITS[lang], key=len, reverse=True))
    return (
        *web_rules(lang),
        (re.compile(rf"(?:(?P<sym>{symbols})\s?(?P<v>{num})|(?P<v2>{num})\s?(?P<sym2>{symbols}))"),
         lambda m: _money(m, lang)),
        (re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b"), lambda m: _safe_date(m, lang, "ymd")),
        (re.compile(r"\b(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\b"),
         lambda m: _safe_date(m, lang, "dmy")),
        (re.compile(r"(?<![\d:,.])(\d{1,2})(?::|h(?=\d{2}\b))(\d{2})(?![\d:])"),
         lambda m: _time(m, lang)),
        (re.compile(r"(?<![\w.,])[-−](?=\d)"), lambda m: f"{_MINUS[lang]} "),
        (re.compile(rf"(?<![\w.,])(?P<n>{num})\s?%"),
         lambda m: f"{say_number(m.group('n'), lang)} {_PERCENT[lang]}"),
        (re.compile(rf"(?<![\w.,])(?P<n>{num})\s?(?P<u>{units})(?!\w)"),
         lambda m: f"{say_number(m.group('n'), lang)} {_UNITS[lang][m.group('u')]}"),
        (re.compile(rf"(?<![\w.,])(?P<n>{num})(?![\w.,]*\d)"),
         lambda m: say_number(m.group("n"), lang)),
    )


def normalize_other(text: str, lang: str) -> str:
    """`text` with its written forms in words for `lang`."""
    for pattern, replace in rules(lang):
        text = pattern.sub(replace, text)
    return text
