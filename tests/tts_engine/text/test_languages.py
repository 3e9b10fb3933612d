"""Spanish, French, Italian, Portuguese, Hindi, Japanese and Mandarin pairs, at the phoneme
level with each language's own front end."""

from __future__ import annotations

import pytest

from tests.tts_engine.text.pairs import BY_LANGUAGE
from tts_engine.text.g2p import G2P
from tts_engine.text.normalize import normalize

OTHERS = "efiphjz"
CASES = [(lang, w, s) for lang in OTHERS for w, s in BY_LANGUAGE[lang]]


@pytest.fixture(scope="module")
def g2p():
    return G2P()


@pytest.mark.parametrize(("lang", "written", "spoken"), CASES,
                         ids=[f"{lang}-{w[:30]}" for lang, w, _ in CASES])
def test_read_as_said(g2p, lang, written, spoken):
    said = normalize(written, lang)
    assert g2p.phonemize(lang, said) == g2p.phonemize(lang, spoken), said


@pytest.mark.parametrize("lang", list(OTHERS))
def test_at_least_twenty_pairs(lang):
    assert len(BY_LANGUAGE[lang]) >= 20
