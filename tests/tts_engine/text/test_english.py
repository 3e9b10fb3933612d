"""English without spaCy's en_core_web_sm: punctuation, numbers, currency, unknown words."""

from __future__ import annotations

import logging

import pytest
import spacy

from tts_engine.text.g2p import G2P
from tts_engine.text.g2p.english import english_g2p


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
    with caplog.at_level(logging.WARNING, logger="tts_engine.text.g2p"):
        g2p.prepare("a")
        g2p.prepare("b")
        g2p.phonemize("a", "Hello")
    warnings = [r for r in caplog.records if "en_core_web_sm" in r.getMessage()]
    assert len(warnings) == 1


# --- closed classes and heteronyms (rule tags; misaki + en_core_web_sm reads these the same) ---
PINNED = {
    "We have 3 cats and a dog.": "wˌi hæv θɹˈi kˈæts ænd ɐ dˈɔɡ.",
    "I think that it will rain in the afternoon.":
        "ˌI θˈɪŋk ðæt ɪt wɪl ɹˈAn ɪn ði ˌæftəɹnˈun.",
    "I want to record a new song for the record.":
        "ˌI wˈɑnt tə ɹəkˈɔɹd ɐ nˈu sˈɔŋ fɔɹ ðə ɹˈɛkəɹd.",
    "She will present a present to her mother.":
        "ʃˌi wɪl pɹizˈɛnt ɐ pɹˈɛzᵊnt tə hɜɹ mˈʌðəɹ.",
    "Please close the door, the shop is close to here.":
        "plˈiz klˈOz ðə dˈɔɹ, ðə ʃˈɑp ɪz klˈOs tə hˈɪɹ.",
    "They live in a small house near the river.":
        "ðˌA lˈɪv ɪn ɐ smˈɔl hˈWs nˌɪɹ ðə ɹˈɪvəɹ.",
    "We watched a live show last night.": "wˌi wˈɑʧt ɐ lˈIv ʃˈO lˈæst nˈIt.",
    "I used to play the piano every day.": "ˌI jˈust tə plˈA ðə piˈænO ˈɛvəɹi dˈA.",
    "Excuse me, is this seat taken?": "ɪkskjˈuz mˌi, ɪz ðɪs sˈit tˈAkən?",
    "I object to that plan.": "ˌI əbʤˈɛkt tə ðˈæt plˈæn.",
    "He wound the clock before bed.": "hˌi wˈWnd ðə klˈɑk bəfˈɔɹ bˈɛd.",
    "Could you read this for me?": "kˌʊd ju ɹˈid ðɪs fɔɹ mˌi?",
    "I have read that book twice.": "ˌI hæv ɹˈɛd ðˈæt bˈʊk twˈIs.",
    "Dr. Smith lives on Main Street.": "dˈɑktəɹ smˈɪθ lˈɪvz ˌɔn mˈAn stɹˈit.",
}


@pytest.mark.parametrize("text", list(PINNED))
def test_sentences_read_as_with_the_spacy_model(offline, text):
    assert phonemes(offline, text) == PINNED[text]


def test_the_article_is_never_read_as_a_letter(offline):
    for text in ("A cat sat on a mat.", "It was a long day.", "Give me a minute, a second."):
        _, tokens = offline(text)
        articles = [t.phonemes for t in tokens if t.text in ("a", "A")]
        assert articles and all(ps == "ɐ" for ps in articles), (text, articles)
