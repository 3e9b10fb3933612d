"""Odd input never crashes the phonemizers: it is read, or refused with a clear error."""

from __future__ import annotations

import pytest

from tts_engine.errors import TextNotReadable
from tts_engine.text.g2p import G2P


@pytest.fixture(scope="module")
def g2p():
    return G2P()


def test_long_numbers_in_japanese_are_read_digit_by_digit(g2p):
    ps = g2p.phonemize("j", "番号は12345678901234です。")
    assert ps.count("iʨi") >= 2  # "ichi" twice: the 1s are read one by one


def test_full_width_text_is_folded(g2p):
    assert g2p.phonemize("a", "ｈｅｌｌｏ") == g2p.phonemize("a", "hello")
    assert g2p.phonemize("j", "１２３") == g2p.phonemize("j", "123")


def test_english_falls_back_to_espeak_when_misaki_fails(g2p, monkeypatch):
    backend = g2p._backend("a")

    def broken(text):
        raise AssertionError("misaki edge case")

    monkeypatch.setattr(type(backend), "__call__", lambda self, text: broken(text))
    tokens = g2p.english_tokens("a", "Kokoro reads this.")
    assert [t.text for t in tokens] == ["Kokoro", "reads", "this."]
    assert all(t.phonemes for t in tokens)


def test_other_languages_refuse_clearly(g2p, monkeypatch):
    backend = g2p._backend("e")
    monkeypatch.setattr(type(backend), "__call__", lambda self, text: 1 / 0)
    with pytest.raises(TextNotReadable, match="Spanish"):
        g2p.phonemize("e", "Hola")


@pytest.mark.parametrize("text", ["😀 hi 🎉", "https://example.com/a?b=c", "$1,000,000.999",
                                  "C++ and 1e10", "~~strike~~ ||spoiler||", "٣٫٥", "$"])
def test_odd_english_never_raises(g2p, text):
    g2p.phonemize("a", text)
