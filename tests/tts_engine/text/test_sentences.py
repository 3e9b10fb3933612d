"""Streamed text is spoken sentence by sentence, as each completes."""

from __future__ import annotations

import time

from tts_engine.text.dictionary import Dictionary, Entry
from tts_engine.text.sentences import SentenceStream


def test_sentences_come_out_as_soon_as_they_end() -> None:
    splitter = SentenceStream()
    assert splitter.add("Hello there.") == []  # "there.5" would be no sentence end
    assert splitter.add(" How are") == ["Hello there."]
    assert splitter.add(" you? Fine") == ["How are you?"]
    assert splitter.finish() == "Fine"
    assert splitter.finish() == ""


def test_abbreviations_and_decimals_do_not_split() -> None:
    splitter = SentenceStream()
    assert splitter.add("Dr. Smith paid 3.50 dollars! Then left. ") == [
        "Dr. Smith paid 3.50 dollars!",
        "Then left.",
    ]


def test_cjk_full_stops_split_without_spaces() -> None:
    splitter = SentenceStream()
    assert splitter.add("你好。今天") == ["你好。"]
    assert splitter.finish() == "今天"


def test_closing_quotes_stay_with_their_sentence() -> None:
    splitter = SentenceStream()
    assert splitter.add('She said "stop." Then ') == ['She said "stop."']


def test_an_unterminated_stream_is_cut_into_pieces_no_longer_than_the_cap() -> None:
    splitter = SentenceStream(max_chars=100)
    words = " ".join(f"word{n}" for n in range(400))  # ~3,500 characters, no sentence end
    pieces: list[str] = []
    for start in range(0, len(words), 37):
        pieces += splitter.add(words[start:start + 37])
    pieces.append(splitter.finish())
    assert all(0 < len(piece) <= 100 for piece in pieces)
    # Cut between words, nothing lost or repeated.
    assert " ".join(pieces).split() == words.split()


def test_a_terminated_sentence_over_the_cap_is_cut_too() -> None:
    splitter = SentenceStream(max_chars=50)
    sentence = "This clause goes on, and on, " * 6 + "then ends. "
    pieces = splitter.add(sentence)
    assert all(len(piece) <= 50 for piece in pieces)
    assert " ".join(pieces).split() == sentence.split()


def test_megabytes_without_a_sentence_end_take_linear_time() -> None:
    # The old splitter rescanned everything received at every piece: minutes for this.
    splitter = SentenceStream(max_chars=1000)
    piece = "abc " * 2500  # 10 KB
    start = time.perf_counter()
    total = 0
    for _ in range(500):  # 5 MB
        total += sum(len(p) for p in splitter.add(piece))
    elapsed = time.perf_counter() - start
    assert total > 4_900_000
    assert elapsed < 3.0, f"{elapsed:.1f} s for 5 MB"


def test_a_long_run_of_punctuation_is_not_rescanned() -> None:
    splitter = SentenceStream(max_chars=1000)
    start = time.perf_counter()
    for _ in range(2000):
        splitter.add("!" * 1000)
    assert time.perf_counter() - start < 3.0


def test_a_stream_never_cuts_phoneme_markup_even_while_it_arrives() -> None:
    markup = "[U.S. Army](/jˈu ɛs ˈɑɹmi/)"
    stream = SentenceStream(max_chars=200)
    said: list[str] = []
    for piece in ("They met the [U.S. ", "Army](/jˈu ", "ɛs ˈɑɹmi/) at noon. ", "Then rest."):
        said += stream.add(piece)
    said.append(stream.finish())
    assert said == [f"They met the {markup} at noon.", "Then rest."]
    long = SentenceStream(max_chars=30)  # too long for one piece: cut beside the markup
    cut = [*long.add(f"Some words before it {markup} and after. "), long.finish()]
    assert sum(markup in piece for piece in cut) == 1, cut


def test_a_stream_never_cuts_a_dictionary_word_even_while_it_arrives() -> None:
    words = Dictionary([Entry("Yahoo! Answers", "/jˈɑhu ˈænsəɹz/"), Entry("gg", "good game")])
    pieces = ("I asked Yahoo!", " Ans", "wers today. gg. ", "Then g", "g rest.")
    said: list[str] = []
    plain: list[str] = []
    stream, without = SentenceStream(words=words), SentenceStream()
    for piece in pieces:
        said += stream.add(piece)
        plain += without.add(piece)
    said.append(stream.finish())
    plain.append(without.finish())
    assert said == ["I asked Yahoo! Answers today.", "gg.", "Then gg rest."]
    # What the dictionary changes: without it the "!" inside the entry ends a sentence.
    assert plain[0] == "I asked Yahoo!"


def test_a_dictionary_word_only_begun_holds_back_the_ends_inside_it_alone() -> None:
    stream = SentenceStream(words=Dictionary([Entry("Yahoo! Answers", "Y A")]))
    # "Fine." ends before the entry could start; "Yahoo! " may still become the entry.
    assert stream.add("Fine. Yahoo! ") == ["Fine."]
    assert stream.add("Mail is down. ") == ["Yahoo!", "Mail is down."]
