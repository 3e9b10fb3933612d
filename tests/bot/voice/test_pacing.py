"""When playback starts: at once when synthesis keeps up, later (never mid-sentence dry) when
it is slow."""

from __future__ import annotations

from bot.voice.pacing import MAX_HOLD_S, Pacer


def test_a_fast_machine_starts_on_the_first_chunk():
    pacer = Pacer(rate=5.0)
    first = 1.0  # seconds of audio in the first chunk
    assert pacer.hold_s(chars=300, speed=1.0, fed_s=first, last_chunk_s=first) <= first


def test_a_short_message_needs_nothing_more():
    pacer = Pacer(rate=0.5)  # even on a slow machine: nothing is left to wait for
    assert pacer.hold_s(chars=10, speed=1.0, fed_s=1.0, last_chunk_s=1.0) == 0.0


def test_a_slow_machine_waits_for_more_audio_but_not_forever():
    pacer = Pacer(rate=1.1)
    hold = pacer.hold_s(chars=300, speed=1.0, fed_s=1.0, last_chunk_s=1.0)
    # The next chunk (no longer than the first at this rate) takes 0.9 s to make: too close
    # to the first chunk's 1 s to start on it alone.
    assert hold > 1.0
    hopeless = Pacer(rate=0.2).hold_s(chars=300, speed=1.0, fed_s=1.0, last_chunk_s=1.0)
    assert hopeless == MAX_HOLD_S


def test_the_rate_follows_what_is_measured():
    pacer = Pacer()
    for _ in range(20):
        pacer.chunk(audio_s=1.0, wall_s=2.0)
    assert 0.45 < pacer.rate < 0.6
    pacer.utterance(chars=100, audio_s=8.0, speed=1.0)
    assert pacer.seconds_per_char > 0.065


def test_a_cached_clip_says_nothing_of_the_synthesis_rate():
    pacer = Pacer(rate=1.1)
    pacer.chunk(audio_s=2.4, wall_s=0.001)  # "gg" again, straight from the cache
    assert pacer.rate == 1.1
    # So the next long message on this slow machine is still held back before it starts:
    assert pacer.hold_s(chars=300, speed=1.0, fed_s=2.0, last_chunk_s=2.0) > 2.0


def test_the_next_first_chunk_goes_in_between_only_when_the_audio_playing_outlasts_it():
    # A line (2 s of speech) and the playing one's next chunk (6 s) take 0.8 s at ten times
    # real time: 1 s of audio playing is too little to wait for them safely, 2 s is not.
    fast = Pacer(rate=10.0)
    assert not fast.can_interleave(1.0, own_next_s=6.0, chars=31, speed=1.0)
    assert fast.can_interleave(2.0, own_next_s=6.0, chars=31, speed=1.0)
    # Where synthesis barely keeps up, the same 2 s is not enough.
    assert not Pacer(rate=1.5).can_interleave(2.0, own_next_s=6.0, chars=31, speed=1.0)
    # A long message's first chunk is one sentence, not the whole text.
    assert fast.can_interleave(4.0, own_next_s=6.0, chars=5000, speed=1.0)


def test_the_next_chunk_is_at_most_what_is_left_of_the_text():
    pacer = Pacer(rate=10.0, seconds_per_char=0.065)
    # 100 characters are 6.5 s; 4 s were made, in a 2 s chunk: 2.5 s are left, not 3 x 2 s.
    assert abs(pacer.next_chunk_s(100, 1.0, fed_s=4.0, last_chunk_s=2.0) - 2.5) < 1e-9
    assert pacer.next_chunk_s(1000, 1.0, fed_s=4.0, last_chunk_s=2.0) == 6.0
    assert pacer.next_chunk_s(100, 1.0, fed_s=7.0, last_chunk_s=2.0) == 0.0


def test_the_next_chunk_grows_as_the_engine_grows_it_at_this_rate():
    # The engine cuts the next chunk at most `growth(rate)` times the last (chunking).
    assert Pacer(rate=10.0).next_chunk_s(1000, 1.0, fed_s=2.0, last_chunk_s=2.0) == 6.0
    assert Pacer(rate=3.6).next_chunk_s(1000, 1.0, fed_s=2.0, last_chunk_s=2.0) == 4.0
    assert Pacer(rate=1.2).next_chunk_s(1000, 1.0, fed_s=3.0, last_chunk_s=3.0) == 3.0
    # However short the last chunk, the next may hold ~2 s (`chunking.GROWTH_MIN` phonemes).
    assert Pacer(rate=1.2).next_chunk_s(1000, 1.0, fed_s=0.5, last_chunk_s=0.5) == 2.25


def test_where_chunks_grow_slowly_a_two_times_real_time_machine_starts_at_once():
    # A line (2.8 s of speech) before a long message: its next chunk (1.11 x 2.8 s) is made in
    # 1.6 s at 2x, while the line plays. With chunks growing 3x it waited for that chunk
    # (7.5 s on a 2-core AVX2 CPU).
    pacer = Pacer(rate=2.0)
    assert pacer.hold_s(chars=330, speed=1.0, fed_s=2.8, last_chunk_s=2.8) <= 2.8


def test_after_a_lead_phrase_the_next_chunk_is_the_texts_first_not_a_grown_lead():
    # "alice said" (0.8 s, cached) plays while the line (40 characters, ~2.6 s) is made: a
    # 7x machine makes it before the phrase ends, a 2x machine would leave a gap after it.
    lead_s, chars = 0.8, 52
    for rate, starts_at_once in ((7.0, True), (2.0, False)):
        pacer = Pacer(rate=rate, seconds_per_char=0.065)
        # A long text's first chunk is one sentence of it, not the whole text.
        assert pacer.next_chunk_s(500, 1.0, fed_s=lead_s, last_chunk_s=0.0) == \
            pacer.first_chunk_s(500, 1.0) < 500 * 0.065 - lead_s
        hold = pacer.hold_s(chars, 1.0, fed_s=lead_s, last_chunk_s=0.0)
        assert (hold <= lead_s) is starts_at_once, (rate, hold)
