"""The normaliser against hand-written spoken forms, compared at the phoneme level with the
project's own G2P (what the model would be given), plus what it must never do."""

from __future__ import annotations

import pytest

from tests.tts_engine.text.pairs import AMERICAN, BRITISH, ENGLISH
from tts_engine.text.g2p import G2P
from tts_engine.text.normalize import normalize

CASES = ([("a", w, s) for w, s in ENGLISH + AMERICAN]
         + [("b", w, s) for w, s in ENGLISH + BRITISH])


@pytest.fixture(scope="module")
def g2p():
    return G2P()


@pytest.mark.parametrize(("lang", "written", "spoken"), CASES,
                         ids=[f"{lang}-{w[:40]}" for lang, w, _ in CASES])
def test_english_is_read_as_said(g2p, lang, written, spoken):
    said = normalize(written, lang)
    assert g2p.phonemize(lang, said) == g2p.phonemize(lang, spoken), said


def test_enough_pairs_across_both_locales():
    assert len({w for w, _ in ENGLISH + AMERICAN + BRITISH}) >= 150


@pytest.mark.parametrize("lang", ["a", "b"])
def test_dictionary_markup_is_untouched(lang):
    text = "Call [R2D2](/ˈɑɹ tˈu/) at 9:30 about [5 kg](/fˈIv/) and 5 kg."
    said = normalize(text, lang)
    assert "[R2D2](/ˈɑɹ tˈu/)" in said and "[5 kg](/fˈIv/)" in said
    assert said.endswith("five kilograms.")


@pytest.mark.parametrize("text", [
    "99/100 is not a fraction here", "12/25", "it is 31m away", "foo.bar", "x1.2.y",
    "5 in the box", "I", "a.b.c", "3.", "v", "$", "#", "@", "2026-13-45", "25:99",
])
def test_words_are_never_lost(text):
    said = normalize(text, "a")
    for word in text.replace("/", " ").split():
        if not any(ch.isdigit() for ch in word):
            assert word.strip(".,") in said, (text, said)


@pytest.mark.parametrize("lang", list("abefiphjz"))
def test_normalising_twice_changes_nothing(lang):
    # A stored job is validated again before it is played.
    text = "On 2026-12-06 at 9:30 it cost $4.50, 12.5% more; see example.com or #news."
    once = normalize(text, lang)
    assert normalize(once, lang) == once


def test_a_failing_rule_keeps_the_text(monkeypatch, caplog):
    from tts_engine.text.normalize import _english

    def broken(text, lang):
        raise RuntimeError("bug")

    monkeypatch.setattr(_english, "normalize_english", broken)
    assert normalize("It costs $5.", "a") == "It costs $5."
    assert "read as written" in caplog.text


def test_unknown_language_is_left_alone():
    assert normalize("It costs $5.", "x") == "It costs $5."
