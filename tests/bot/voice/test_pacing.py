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
    pacer = Pacer(rate=1.5)
    hold = pacer.hold_s(chars=300, speed=1.0, fed_s=1.0, last_chunk_s=1.0)
    assert hold > 1.0  # the first chunk alone would run dry before the next one
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
    pacer = Pacer(seconds_per_char=0.065)
    # 100 characters are 6.5 s; 4 s were made, in a 2 s chunk: 2.5 s are left, not 3 x 2 s.
    assert abs(pacer.next_chunk_s(100, 1.0, fed_s=4.0, last_chunk_s=2.0) - 2.5) < 1e-9
    assert pacer.next_chunk_s(1000, 1.0, fed_s=4.0, last_chunk_s=2.0) == 6.0
    assert pacer.next_chunk_s(100, 1.0, fed_s=7.0, last_chunk_s=2.0) == 0.0
