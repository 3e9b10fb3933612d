"""English: abbreviations, Roman numerals where the context says so, then the number rules."""

from __future__ import annotations

import functools
import logging
import re

from tts_engine.text.normalize import _en_numbers, _en_units
from tts_engine.text.normalize._en_numbers import Rule
from tts_engine.text.normalize._web import web_rules
from tts_engine.text.normalize._words import cardinal, ordinal

log = logging.getLogger(__name__)

_ROMAN = r"(?=[MDCLXVI])M{0,3}(?:CM|CD|D?C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})"
_ROMAN_VALUES = {"M": 1000, "D": 500, "C": 100, "L": 50, "X": 10, "V": 5, "I": 1}
#: Words after which a Roman numeral is a number ("chapter four", "Super Bowl fifty eight").
_COUNTED = (r"Chapter|Part|Volume|Vol\.|Book|Act|Scene|Section|Article|Appendix|Phase|"
            r"Episode|Season|Level|Stage|Title|Type|Class|Grade|War|Bowl|Rocky|Fantasy|Apollo")
#: Given names of rulers and popes: "Henry VIII" is "Henry the Eighth".
_REGNAL = (r"Henry|Elizabeth|George|Louis|Charles|Edward|William|James|Richard|John|Mary|"
           r"Victoria|Anne|Philip|Peter|Frederick|Ferdinand|Alexander|Nicholas|Catherine|"
           r"Constantine|Leo|Pius|Benedict|Gregory|Innocent|Clement|Paul|Francis|Otto|Ivan|"
           r"Ramesses|Ramses|Napoleon|Alfonso|Juan|Carlos|Felipe|Gustav|Christian|Harald|"
           r"Olaf|Wilhelm|Ludwig|David|Malcolm|Robert|Stephen|Matilda|Jean|Sancho|Urban")


def roman_value(text: str) -> int:
    """The value of a valid Roman numeral."""
    total = 0
    for ch, nxt in zip(text, [*text[1:], ""], strict=True):
        value = _ROMAN_VALUES[ch]
        total += -value if nxt and _ROMAN_VALUES[nxt] > value else value
    return total


def _counted(m: re.Match[str], lang: str) -> str:
    return f"{m.group(1)} {cardinal(roman_value(m.group(2)), lang)}"


def _regnal(m: re.Match[str], lang: str) -> str:
    return f"{m.group(1)} the {ordinal(roman_value(m.group(2)), lang)}"


def _sentence_end(m: re.Match[str]) -> str:
    """A period an abbreviation took with it, given back when it also ended the sentence."""
    after = m.string[m.end():m.end() + 2]
    return "." if not after.strip() or (after[:1] == " " and after[1:].isupper()) else ""


#: abbreviation (with its period) -> words; the period is kept when it ends a sentence.
_ABBREVIATIONS = {
    "Mr.": "Mister", "Mrs.": "Missus", "Ms.": "Miz", "Prof.": "Professor", "Jr.": "Junior",
    "Sr.": "Senior", "vs.": "versus", "vs": "versus", "etc.": "et cetera",
    "e.g.": "for example", "i.e.": "that is", "approx.": "approximately", "Mt.": "Mount",
    "Ave.": "Avenue", "Rd.": "Road", "Blvd.": "Boulevard", "Dept.": "Department",
    "Inc.": "Incorporated", "Ltd.": "Limited", "Fig.": "Figure", "Gov.": "Governor",
    "Sgt.": "Sergeant", "Capt.": "Captain", "Lt.": "Lieutenant", "Gen.": "General",
    "w/": "with", "w/o": "without", "&": "and",
}
_ABBREVIATION = re.compile(
    r"(?<![\w.])(" + "|".join(re.escape(a) for a in sorted(_ABBREVIATIONS, key=len,
                                                             reverse=True)) + r")(?![\w/])")


#: Titles stand before a name, so their period never ends a sentence.
_TITLES = {"Mr.", "Mrs.", "Ms.", "Prof.", "Mt.", "Gov.", "Sgt.", "Capt.", "Lt.", "Gen."}


def _abbreviation(m: re.Match[str]) -> str:
    word = m.group(1)
    spoken = _ABBREVIATIONS[word]
    return spoken + (_sentence_end(m) if word.endswith(".") and word not in _TITLES else "")


def _street_or_saint(m: re.Match[str]) -> str:
    """"St." before a name is Saint ("St. Louis"); after one it is Street ("Baker St.")."""
    after = m.string[m.end():m.end() + 2]
    if after[:1] == " " and after[1:].isupper() and not m.group(1):
        return "Saint"
    return f"{m.group(1) or ''}Street" + _sentence_end(m)


def _doctor_or_drive(m: re.Match[str]) -> str:
    after = m.string[m.end():m.end() + 2]
    if m.group(1) and not (after[:1] == " " and after[1:].isupper()):
        return f"{m.group(1)}Drive" + _sentence_end(m)
    return f"{m.group(1) or ''}Doctor" + ("." if not after.strip() else "")


@functools.cache
def rules(lang: str) -> tuple[Rule, ...]:
    """Every English rule for `lang` ("a" or "b"), in the order they run."""
    return (
        *web_rules(lang),
        (re.compile(rf"\b((?i:{_COUNTED}|World War|Super Bowl)) ({_ROMAN})\b"),
         lambda m: _counted(m, lang)),
        (re.compile(rf"\b({_REGNAL}) ({_ROMAN})\b(?!')"), lambda m: _regnal(m, lang)),
        (re.compile(r"(?<![\w.])((?:[A-Z][a-z]+ )?)St\.(?!\w)"), _street_or_saint),
        (re.compile(r"(?<![\w.])((?:[A-Z][a-z]+ )?)Dr\.(?!\w)"), _doctor_or_drive),
        (_ABBREVIATION, _abbreviation),
        (re.compile(r"\bNo\.\s?(?=\d)"), lambda m: "number "),
        (re.compile(r"\b24/7\b"), lambda m: "twenty four seven"),
        *_en_numbers.rules(lang),
        *_en_units.rules(lang),
    )


def normalize_english(text: str, lang: str) -> str:
    """`text` with its written forms in words, American (`a`) or British (`b`)."""
    for pattern, replace in rules(lang):
        text = pattern.sub(replace, text)
    return text
