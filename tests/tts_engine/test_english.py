"""English without spaCy's en_core_web_sm: punctuation, numbers, currency, unknown words."""

from __future__ import annotations

import logging

import pytest
import spacy

from tts_engine.g2p import G2P
from tts_engine.g2p.english import english_g2p


@pytest.fixture(scope="module")
def offline():
    """misaki's English G2P on the tokenizer-only pipeline (the path without the model)."""
    return english_g2p(british=False, use_model=False)


def phonemes(g2p, text: str) -> str:
    return str(g2p(text)[0]).strip()


def test_no_spacy_model_download_is_ever_attempted(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("spaCy model download attempted")

    monkeypatch.setattr(spacy.cli, "download", forbidden)
    monkeypatch.setattr(spacy.util, "is_package", lambda name: False)
    g2p = G2P()
    assert "wˈɛlkəm" in g2p.phonemize("a", "Hello, welcome")


def test_comma_pause_is_kept(offline):
    ps = phonemes(offline, "Hello, welcome")
    assert "," in ps
    assert ps.index(",") < ps.index("w")


def test_sentence_punctuation_is_kept(offline):
    ps = phonemes(offline, "Stop! Really? Yes; fine: done.")
    for mark in "!?;:.":
        assert mark in ps


def test_currency_is_read(offline):
    assert phonemes(offline, "$4.50") == phonemes(offline, "four dollars and fifty cents")


def test_numbers_are_read(offline):
    assert phonemes(offline, "I have 12 apples") == phonemes(offline, "I have twelve apples")
    assert phonemes(offline, "1,200") == phonemes(offline, "one thousand two hundred")


def test_unknown_words_go_to_espeak(offline):
    _, tokens = offline("Kokoro speaks")
    kokoro = next(t for t in tokens if t.text == "Kokoro")
    assert kokoro.phonemes and "❓" not in kokoro.phonemes
    assert len(kokoro.phonemes) >= 4


def test_british_differs_from_american():
    british = english_g2p(british=True, use_model=False)
    american = english_g2p(british=False, use_model=False)
    assert phonemes(british, "tomato") != phonemes(american, "tomato")


def test_one_warning_at_start_up(monkeypatch, caplog):
    monkeypatch.setattr(spacy.util, "is_package", lambda name: False)
    g2p = G2P()
    with caplog.at_level(logging.WARNING, logger="tts_engine.g2p"):
        g2p.prepare("a")
        g2p.prepare("b")
        g2p.phonemize("a", "Hello")
    warnings = [r for r in caplog.records if "en_core_web_sm" in r.getMessage()]
    assert len(warnings) == 1
