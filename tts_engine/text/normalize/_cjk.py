"""Japanese and Mandarin: the forms their front ends misread, rewritten in their own script.

Mandarin's front end (misaki's ZHG2P) already runs cn2an, which reads "2026年12月6日", "12.5%"
and plain numbers right; what it misreads is rewritten into those forms (ISO dates, clock
times, currency signs, degrees, long digit runs). Japanese numbers become kanji numerals
(num2words), which the MeCab dictionary reads with the right counter sounds (十二月 "juunigatsu",
六日 "muika"), where digits were read one way whatever followed them.
"""

from __future__ import annotations

import functools
import logging
import re

from tts_engine.text.normalize._en_numbers import Rule
from tts_engine.text.normalize._web import web_rules
from tts_engine.text.normalize._words import cardinal

log = logging.getLogger(__name__)

_ZH_DIGITS = "零一二三四五六七八九"
_ZH_MONEY = {"¥": "元", "￥": "元", "$": "美元", "€": "欧元", "£": "英镑"}
_JA_MONEY = {"¥": "円", "￥": "円", "$": "ドル", "€": "ユーロ", "£": "ポンド"}
_MONEY_SIGNS = "|".join(re.escape(s) for s in _ZH_MONEY)


def _ja_number(text: str) -> str:
    whole, _, frac = text.replace(",", "").partition(".")
    said = cardinal(int(whole), "j")
    return said + ("点" + "".join(_ZH_DIGITS[int(d)] for d in frac) if frac else "")


def _date(m: re.Match[str], lang: str) -> str:
    y, mo, d = (int(g) for g in m.groups())
    if not (1 <= mo <= 12 and 1 <= d <= 31):
        return m.group()
    if lang == "j":
        return f"{cardinal(y, 'j')}年{cardinal(mo, 'j')}月{cardinal(d, 'j')}日"
    return f"{y}年{mo}月{d}日"


def _time(m: re.Match[str], lang: str) -> str:
    h, mi = int(m.group(1)), int(m.group(2))
    if h > 23 or mi > 59:
        return m.group()
    if lang == "j":
        return f"{cardinal(h, 'j')}時" + (f"{cardinal(mi, 'j')}分" if mi else "")
    return f"{h}点" + (f"{mi}分" if mi else "")


def _money(m: re.Match[str], lang: str) -> str:
    value = m.group(2).replace(",", "")
    if lang == "j":
        return _ja_number(value) + _JA_MONEY[m.group(1)]
    return value + _ZH_MONEY[m.group(1)]


@functools.cache
def rules(lang: str) -> tuple[Rule, ...]:
    """Every rule for `lang` ("j" or "z"), in the order they run."""
    web = web_rules("a")  # links and addresses are read with English words in both
    shared: list[Rule] = [
        *web,
        (re.compile(r"(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)"),
         lambda m: _date(m, lang)),
        (re.compile(r"(?<![\d:])(\d{1,2}):(\d{2})(?![\d:])"), lambda m: _time(m, lang)),
        (re.compile(rf"({_MONEY_SIGNS})\s?(\d[\d,]*(?:\.\d+)?)"), lambda m: _money(m, lang)),
    ]
    if lang == "z":
        return (
            *shared,
            (re.compile(r"(-?\d+(?:\.\d+)?)\s?°C"), lambda m: f"{m.group(1)}摄氏度"),
            (re.compile(r"\d{7,}"), lambda m: "".join(_ZH_DIGITS[int(d)] for d in m.group())),
        )
    return (
        *shared,
        (re.compile(r"(\d+(?:\.\d+)?)\s?%"), lambda m: _ja_number(m.group(1)) + "パーセント"),
        (re.compile(r"(-?\d+(?:\.\d+)?)\s?°C"),
         lambda m: ("マイナス" if m.group(1)[0] == "-" else "")
         + _ja_number(m.group(1).lstrip("-")) + "度"),
        (re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d{1,15}(?:\.\d+)?"),
         lambda m: _ja_number(m.group())),
    )


def normalize_cjk(text: str, lang: str) -> str:
    """`text` with the forms its front end misreads rewritten for `lang` ("j" or "z")."""
    for pattern, replace in rules(lang):
        text = pattern.sub(replace, text)
    return text
