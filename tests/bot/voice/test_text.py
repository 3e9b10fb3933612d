"""Text clean-up before speaking: what a listener hears instead of markup, emoji and
attachments; and the read-aloud controls' stored form."""

from __future__ import annotations

import pytest

from bot.voice.controls import ReadAloudControls
from bot.voice.text import (
    NameAnnouncer,
    clean_text,
    collapse_repeats,
    cut,
    describe_attachments,
    unicode_emoji,
)

NAMES = {("user", 1): "Alice_Smith", ("role", 2): "Moderators", ("channel", 3): "general"}


def lookup(kind: str, target: int) -> str | None:
    return NAMES.get((kind, target))


def clean(text: str, limit: int = 300) -> str:
    return clean_text(text, lookup, limit)  # type: ignore[arg-type]


@pytest.mark.parametrize(("raw", "spoken"), [
    ("look https://example.com/a?b=c now", "look a link now"),
    ("see <https://example.com>", "see a link"),
    ("[the docs](https://example.com/docs) say so", "the docs say so"),
    ("nice <:party_parrot:123456789012345678>!", "nice party parrot!"),
    ("<a:dance:123456789012345678>", "dance"),
    ("hi <@1> and <@!1>", "hi Alice Smith and Alice Smith"),
    ("ask <@&2> in <#3>", "ask Moderators in general"),
    ("who is <@99>?", "who is someone?"),
    ("@everyone look", "everyone look"),
    ("run ```py\nprint('x')\n``` please", "run a code block please"),
    ("the answer is ||secret|| ok", "the answer is ok"),
    ("use `pip install` here", "use pip install here"),
    ("**bold** and *it* and ~~gone~~", "bold and it and gone"),
    ("# Title\n> quoted", "Title quoted"),
    ("snake_case stays", "snake_case stays"),
    ("meet at <t:1700000000:R>", "meet at a time"),
])
def test_markup_becomes_speech(raw: str, spoken: str) -> None:
    assert clean(raw) == spoken


def test_message_of_only_a_spoiler_says_nothing() -> None:
    assert clean("||all of it||") == ""


def test_long_messages_are_cut_at_a_word_with_and_so_on() -> None:
    text = "word " * 100
    out = clean(text, limit=60)
    assert len(out) <= 60
    assert out.endswith(", and so on.")
    assert "wor," not in out and out.startswith("word word")


def test_short_messages_are_not_cut() -> None:
    assert cut("short enough", 60) == "short enough"


def test_names_are_announced_once_per_person_per_interval() -> None:
    now = [0.0]
    names = NameAnnouncer(60.0, clock=lambda: now[0])
    assert names.prefix(1, 10, "alice") == "alice said, "
    assert names.prefix(1, 20, "bob") == "bob said, "
    now[0] = 59.0
    assert names.prefix(1, 10, "alice") == ""
    assert names.prefix(2, 10, "alice") == "alice said, "  # another server
    now[0] = 120.0
    assert names.prefix(1, 10, "alice") == "alice said, "
    names.forget(1)
    assert names.prefix(1, 10, "alice") == "alice said, "


def test_repeated_characters_are_collapsed_past_the_limit() -> None:
    assert collapse_repeats("soooooo gooood!!!!!!", 3) == "sooo goood!!!"
    assert collapse_repeats("soooooo", 0) == "soooooo"  # 0: never


def test_digits_are_never_collapsed_so_numbers_and_mentioned_ids_survive() -> None:
    assert collapse_repeats("won 1000000 coins", 3) == "won 1000000 coins"
    # A snowflake with a run of equal digits still names its member (it read "someone").
    names = {("user", 1579444447781849814): "bob"}
    spoken = clean_text("hey <@1579444447781849814> look", lambda kind, target: names.get(
        (kind, target)), 300, repeat_limit=3)
    assert spoken == "hey bob look"


def test_unicode_emoji_by_name_or_skipped() -> None:
    assert " ".join(unicode_emoji("nice 👍🏽 ❤️ 🇫🇷", "name").split()) == \
        "nice thumbs up medium skin tone red heart France"
    assert unicode_emoji("nice 👍", "skip").strip() == "nice"


def test_attachments_and_stickers_are_described_by_kind() -> None:
    assert describe_attachments(["image/png"], []) == "an image"
    assert describe_attachments(["image/png", "image/gif", "video/mp4", None], ["wave"]) == \
        "2 images, a video, a file and a sticker: wave"
    assert describe_attachments(["audio/ogg"], [], voice_message=True) == "a voice message"
    assert describe_attachments([], []) == ""


def test_stored_controls_that_no_longer_validate_fall_back_to_defaults() -> None:
    controls = ReadAloudControls.load({"repeat_limit": 99, "emoji": "skip",
                                       "name_template": "no name here"})
    assert (controls.repeat_limit, controls.emoji) == (3, "skip")
    assert controls.said("big_bob") == "big bob said, "
    assert ReadAloudControls(max_seconds=2).max_chars(speed=1.5) == 45


def test_a_cut_never_splits_dictionary_phoneme_markup() -> None:
    text = "word " * 8 + "[Kokoro](/kˈOkəɹO/) " * 5
    for limit in range(30, 120, 3):
        out = cut(text, limit)
        assert len(out) <= limit
        assert out.count("[") == out.count("](/") == out.count("/)"), (limit, out)
