"""Chunking long text: every chunk fits the 510-phoneme window; nothing lost or reordered."""

from __future__ import annotations

import re

import pytest

from tts_engine.text.chunking import (
    FIRST_MAX,
    FIRST_MIN,
    FIRST_TARGET,
    GROWTH_MIN,
    MAX_PHONEMES,
    PARAGRAPH_PAUSE_S,
    RAMP,
    growth,
    iter_chunks,
    sentences,
)
from tts_engine.text.dictionary import Entry, layered
from tts_engine.text.g2p import G2P

WORDS = [
    "the", "quick", "brown", "fox", "jumps", "over", "a", "lazy", "dog", "while", "seven",
    "bright", "wizards", "quietly", "explain", "how", "Kokoro", "reads", "long", "stories",
]


def prose(n_chars: int, punctuated: bool) -> str:
    """Deterministic text of about `n_chars` characters."""
    out, i = [], 0
    while sum(len(w) + 1 for w in out) < n_chars:
        word = WORDS[i % len(WORDS)]
        if punctuated and i % 17 == 16:
            word += "."
        elif punctuated and i % 7 == 6:
            word += ","
        out.append(word)
        i += 1
    return " ".join(out)


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def g2p():
    return G2P()


def check(chunks, text):
    assert all(len(c.phonemes) <= MAX_PHONEMES for c in chunks)
    assert squash("".join(c.text for c in chunks)) == squash(text)  # nothing lost, order kept
    assert all(c.phonemes for c in chunks if c.text.strip())


@pytest.mark.parametrize("punctuated", [True, False])
def test_english_5000_chars(g2p, punctuated):
    text = prose(5000, punctuated)
    chunks = list(iter_chunks(text, "a", g2p))
    check(chunks, text)
    assert len(chunks) >= 10  # really split, not one truncated chunk
    if punctuated:
        # The waterfall cuts at sentence ends when it can.
        assert sum(c.text.endswith(".") for c in chunks[1:-1]) >= len(chunks[1:-1]) // 2


@pytest.mark.parametrize("punctuated", [True, False])
def test_spanish_5000_chars(g2p, punctuated):
    text = prose(5000, punctuated)
    chunks = list(iter_chunks(text, "e", g2p))
    check(chunks, text)
    assert all(len(c.text) <= 400 for c in chunks)


def test_mandarin_splits_at_cjk_sentence_ends(g2p):
    text = "今天天气很好！我们去公园散步吧。你觉得怎么样？" * 12
    chunks = list(iter_chunks(text, "z", g2p))
    check(chunks, text)
    assert len(chunks) > 1
    assert all(c.text.rstrip()[-1] in "。！？" for c in chunks)


def test_cjk_without_punctuation_is_still_split(g2p):
    text = "我们去公园散步" * 120  # 840 characters, no punctuation at all
    chunks = list(iter_chunks(text, "z", g2p))
    check(chunks, text)
    assert len(chunks) >= 3


def test_one_enormous_word_is_split_not_truncated(g2p):
    number = "1234567890" * 40  # read digit by digit: far over 510 phonemes
    chunks = list(iter_chunks(f"Call {number} now.", "a", g2p))
    assert all(len(c.phonemes) <= MAX_PHONEMES for c in chunks)
    assert sum(len(c.phonemes) for c in chunks) > MAX_PHONEMES


def test_a_short_first_sentence_is_the_first_chunk(g2p):
    text = "Hi there. " + prose(1200, punctuated=True)
    assert next(iter_chunks(text, "a", g2p)).text == "Hi there."
    assert next(iter_chunks(text, "e", g2p)).text.strip() == "Hi there."


def test_a_long_first_sentence_stops_at_its_first_clause(g2p):
    text = "When the long story finally begins, " + prose(600, punctuated=False) + ". More."
    for lang in ("a", "e"):
        first = next(iter_chunks(text, lang, g2p))
        assert first.text.strip() == "When the long story finally begins,"


def test_an_ordinary_first_sentence_is_never_cut_at_a_word(g2p):
    # Cut at "the", real Kokoro ends the chunk on a falling "the": Whisper heard "close that. Door".
    for text in ("Please close the door when you leave the room. Thank you.",
                 "The children played in the park until the sun went down and the lights came "
                 "on in the houses along the river. Then they went home."):
        first = next(iter_chunks(text, "a", g2p))
        assert first.text.strip() == text.split(". ")[0] + "."


@pytest.mark.parametrize("lang", ["a", "e"])
def test_a_first_sentence_without_clauses_is_cut_short(g2p, lang):
    text = prose(1200, punctuated=False)
    chunks = list(iter_chunks(text, lang, g2p))
    assert FIRST_MIN <= len(chunks[0].phonemes) <= FIRST_TARGET + 15
    assert len(chunks[1].phonemes) > FIRST_TARGET  # only the first one is short
    check(chunks, text)


def test_cjk_first_chunk_is_short(g2p):
    text = "我们今天一起去公园散步然后吃饭，" * 8 + "好吗？"
    chunks = list(iter_chunks(text, "z", g2p))
    assert len(chunks[0].phonemes) <= FIRST_MAX
    assert chunks[0].text == "我们今天一起去公园散步然后吃饭，"
    check(chunks, text)


def test_paragraph_breaks_become_pauses(g2p):
    text = "First one.\n\nSecond one.\n   \nThird."
    chunks = list(iter_chunks(text, "a", g2p))
    assert [c.pause_after for c in chunks] == [PARAGRAPH_PAUSE_S, PARAGRAPH_PAUSE_S, 0.0]
    check(chunks, text)


def test_sentences_keep_decimals_and_abbreviations_together():
    assert sentences("It costs 4.50 today. Ask Dr. Who, e.g. now! Fin") == [
        "It costs 4.50 today. ", "Ask Dr. Who, e.g. now! ", "Fin",
    ]
    assert sentences("नमस्ते दोस्त। आप कैसे हैं?") == ["नमस्ते दोस्त। ", "आप कैसे हैं?"]


@pytest.mark.parametrize("cap", [120, 250])
def test_chunks_grow_from_a_short_first_one_up_to_the_cap(g2p, cap):
    """A stream starts after a tiny inference; later chunks grow (each synthesised while the
    one before plays) but none exceeds the cap that bounds another server's wait."""
    text = prose(3000, punctuated=True)
    chunks = list(iter_chunks(text, "a", g2p, max_phonemes=cap))
    sizes = [len(c.phonemes) for c in chunks]
    assert sizes[0] <= FIRST_MAX and max(sizes) <= cap
    assert max(sizes) > cap // 2  # they do grow to near the cap
    for i, size in enumerate(sizes):  # at most 3x per step from the first chunk's size
        assert size <= max(FIRST_MAX, FIRST_TARGET * 3 ** i)
    check(chunks, text)


ARMY = "[U.S. Army](/jˈu ɛs ˈɑɹmi/)"
HOLA = "[Hola, mundo](/ˈola mˈundo/)"


def whole_in_one_chunk(chunks, markup):
    return sum(markup in c.text for c in chunks) == 1


def test_sentences_never_cut_dictionary_phoneme_markup():
    said = layered([Entry("U.S. Army", "/jˈu ɛs ˈɑɹmi/")]).apply("The U.S. Army came. It left.")
    assert sentences(said) == [f"The {ARMY} came. ", "It left."]


def test_english_chunks_keep_phoneme_markup_whole(g2p):
    text = f"Yesterday {ARMY} came. Then they left again for the long road home."
    chunks = list(iter_chunks(text, "a", g2p))
    assert chunks[0].text.startswith("Yesterday")
    assert not any("[" in c.phonemes or "(" in c.phonemes for c in chunks)
    assert "jˈu ɛs ˈɑɹmi" in " ".join(c.phonemes for c in chunks)


@pytest.mark.parametrize("text", [
    # The first clause mark is the comma inside the markup (the first chunk's cut).
    f"Esta mañana {HOLA} dijo el niño a todos sus amigos en la escuela grande del pueblo.",
    # Over 400 characters without a clause mark before the markup (the length cut).
    " ".join(["palabra"] * 48) + f" {HOLA} y otras palabras más después de eso.",
])
def test_other_languages_keep_phoneme_markup_whole(g2p, text):
    chunks = list(iter_chunks(text, "e", g2p))
    check(chunks, text)
    assert whole_in_one_chunk(chunks, HOLA), [c.text for c in chunks]
    assert not any("[" in c.phonemes or "]" in c.phonemes for c in chunks)


def test_chunks_grow_only_as_fast_as_the_measured_rate_makes_them_in_time(g2p):
    """A stream told its synthesis rate grows each chunk at most `growth(rate)` times (each
    must be made while the one before plays); fast machines and batch work grow at RAMP."""
    assert growth(None) == RAMP == growth(20.0)
    assert growth(3.6) == 2.0
    assert growth(1.2) == growth(0.3) == 1.0  # barely keeping up: chunks stop growing
    text = prose(3000, punctuated=True)
    sizes = {
        rate: [len(c.phonemes) for c in iter_chunks(text, "a", g2p, rate=lambda r=rate: r)]
        for rate in (None, 10.0, 2.0)
    }
    assert sizes[10.0] == sizes[None]
    slow = sizes[2.0]
    for i, size in enumerate(slow[1:5], 1):  # from the first chunk's length, 1.11x a chunk
        assert size <= max(GROWTH_MIN, slow[0] * growth(2.0) ** i)
    assert sum(slow[1:3]) < sum(sizes[None][1:3])  # smaller early chunks...
    assert max(slow) > MAX_PHONEMES // 2  # ...that still grow to near the cap
    check([*iter_chunks(text, "a", g2p, rate=lambda: 2.0)], text)


@pytest.mark.parametrize("lang", ["e", "z"])
def test_other_languages_grow_their_chunks_as_english_does(g2p, lang):
    """The player predicts each chunk from the last (`Pacer.next_chunk_s`): a Spanish message's
    second chunk must not be a 400-character group where the machine makes speech at 2x."""
    text = prose(3000, punctuated=True) if lang == "e" else "今天天气很好，我们去公园散步吧。" * 40
    slow = [len(c.phonemes) for c in iter_chunks(text, lang, g2p, rate=lambda: 2.0)]
    fast = [len(c.phonemes) for c in iter_chunks(text, lang, g2p)]
    grown = max(GROWTH_MIN, int(slow[0] * growth(2.0)))
    for size in slow[1:]:
        assert size <= grown, slow
        grown = max(GROWTH_MIN, int(max(size, grown) * growth(2.0)))
    assert sum(slow[1:4]) < sum(fast[1:4]), (slow, fast)
    check([*iter_chunks(text, lang, g2p, rate=lambda: 2.0)], text)
