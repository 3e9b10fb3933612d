"""Pronunciation dictionaries as pure text, and phoneme entries reaching the model as written."""

from __future__ import annotations

import pytest

from tts_engine import LocalEngine
from tts_engine.text.dictionary import Dictionary, Entry, apply_layers, check_entry, layered


def test_whole_words_any_case_unless_the_entry_says_so() -> None:
    d = layered([Entry("gg", "good game"), Entry("NASA", "nasa", case_sensitive=True)])
    assert d.apply("GG, egg gg! Gg's nasa NASA") == \
        "good game, egg good game! good game's nasa nasa"
    assert d.apply("ggs don't count") == "ggs don't count"


def test_the_users_entries_come_before_the_servers_and_replace_once() -> None:
    user = [Entry("gg", "good game")]
    server = [Entry("gg", "get good"), Entry("good", "bad"), Entry("New York", "the big apple"),
              Entry("New", "old")]
    d = layered(user, server)
    # "good" from the replacement is not replaced again; the longer server word wins.
    assert d.apply("gg in New York, New") == "good game in the big apple, old"


def test_phoneme_entries_become_inline_markup_and_existing_markup_is_kept() -> None:
    d = layered([Entry("Kokoro", "/kˈOkəɹO/")])
    assert d.apply("Kokoro and [Kokoro](/kˈOkO/)") == \
        "[Kokoro](/kˈOkəɹO/) and [Kokoro](/kˈOkO/)"


@pytest.mark.parametrize(("word", "replacement", "problem"), [
    ("", "x", "need some text"), ("w" * 51, "x", "limit is 50"), ("x", "y" * 201, "limit is 200"),
    ("a[b", "x", "brackets"), ("x", "/a/b/", "slashes"), ("x", "//", "slashes"),
])
def test_bad_entries_are_refused_with_a_reason(word: str, replacement: str, problem: str) -> None:
    reason = check_entry(word, replacement)
    assert reason is not None and problem in reason
    assert check_entry("Kokoro", "/kˈOkᵊɹO/") is None


@pytest.mark.parametrize(("lang", "voice"), [("a", "af_heart"), ("e", "ef_dora")])
def test_phonemes_reach_the_model_unchanged(engine: LocalEngine, lang: str, voice: str,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    heard: list[str] = []
    real = engine._infer
    monkeypatch.setattr(engine, "_infer", lambda ps, *a: heard.append(ps) or real(ps, *a))
    text = layered([Entry("Kokoro", "/kˈOkᵊɹO/")]).apply("Hola, Kokoro.")
    engine.synthesize_sync(engine.validate(text, voice, lang))
    assert any("kˈOkᵊɹO" in ps for ps in heard), heard  # ᵊ survives (NFKC would fold it)


def test_each_owner_compiled_alone_applies_in_layers_like_one_dictionary() -> None:
    user = layered([Entry("gg", "good game"), Entry("Kokoro", "/kˈOkəɹO/")])
    server = layered([Entry("gg", "get good"), Entry("good", "bad"),
                      Entry("New York", "the big apple"), Entry("New", "old")])
    text = "gg in New York, New Kokoro and [good](/ɡʊd/) good. " * 3
    assert apply_layers(text, [user, server]) == \
        layered(user.entries, server.entries).apply(text)
    assert apply_layers(text, [layered([]), server]) == server.apply(text)


def test_layers_take_time_linear_in_the_text() -> None:
    import time

    server = layered([Entry(f"word{n}", f"said {n}") for n in range(250)])

    def seconds(words: int) -> float:
        text = "some word7 text " * words
        start = time.perf_counter()
        apply_layers(text, [server])
        return time.perf_counter() - start
    small, large = min(seconds(500) for _ in range(3)), min(seconds(4000) for _ in range(3))
    assert large < small * 8 * 3  # 8 times the text: about 8 times the time, not 64


def test_a_dictionary_tells_where_its_words_lie_and_where_one_is_still_arriving() -> None:
    words = Dictionary([Entry("Yahoo! Answers", "Y A"), Entry("NaN", "not a number", True)])
    text = "ask Yahoo! answers or nan or NaN"
    assert [text[a:b] for a, b in words.spans(text)] == ["Yahoo! answers", "NaN"]
    assert words.arriving("ask yahoo! An") == len("ask ")
    assert words.arriving("ask myyahoo! An") == len("ask myyahoo! An")  # not a word start
    assert words.arriving("ask Yahoo! Answers") == len("ask Yahoo! Answers")  # complete
    assert words.arriving("a Na") == 2
    assert words.arriving("a na") == 4  # case-sensitive entry
    assert Dictionary([]).arriving("anything") == len("anything")
