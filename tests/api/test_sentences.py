"""Streamed text is spoken sentence by sentence, as each completes."""

from __future__ import annotations

from api.wyoming_tts._sentences import SentenceSplitter


def test_sentences_come_out_as_soon_as_they_end() -> None:
    splitter = SentenceSplitter()
    assert splitter.add("Hello there.") == []  # "there.5" would be no sentence end
    assert splitter.add(" How are") == ["Hello there."]
    assert splitter.add(" you? Fine") == ["How are you?"]
    assert splitter.finish() == "Fine"
    assert splitter.finish() == ""


def test_abbreviations_and_decimals_do_not_split() -> None:
    splitter = SentenceSplitter()
    assert splitter.add("Dr. Smith paid 3.50 dollars! Then left. ") == [
        "Dr. Smith paid 3.50 dollars!",
        "Then left.",
    ]


def test_cjk_full_stops_split_without_spaces() -> None:
    splitter = SentenceSplitter()
    assert splitter.add("你好。今天") == ["你好。"]
    assert splitter.finish() == "今天"


def test_closing_quotes_stay_with_their_sentence() -> None:
    splitter = SentenceSplitter()
    assert splitter.add('She said "stop." Then ') == ['She said "stop."']
