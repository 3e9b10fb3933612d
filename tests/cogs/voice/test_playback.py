"""Speaking in voice through discord.py's real voice client: what arrives at the fake voice
server is decoded and compared with what the engine says for the same request."""

from __future__ import annotations

import numpy as np
import pytest

from tests.fakes.discord_voice import Utterance, waveform_match
from tts_engine import LocalEngine

from .conftest import WAIT_S, VoiceHarness

SHORT = "Hi there."
LONG = "The quick brown fox jumps over the lazy dog, and then it runs far away."


async def expected(engine: LocalEngine, text: str, voice: str, speed: float = 1.0) -> np.ndarray:
    audio = await engine.synthesize(engine.validate(text, voice=voice, speed=speed))
    return audio.samples


def seconds(samples: np.ndarray) -> float:
    return len(samples) / 24000


def match(utt: Utterance, samples: np.ndarray) -> float:
    return waveform_match(utt.samples, samples)


async def test_say_streams_queued_texts_in_order_in_the_right_voices(
        harness: VoiceHarness, engine: LocalEngine) -> None:
    h = harness
    await h.join()
    await h.slash(h.alice, "say", text=LONG, voice="af_bella")
    await h.slash(h.alice, "say", text=SHORT, voice="am_adam")
    first, second = await h.voice.wait_utterances(2, within=WAIT_S)
    assert not h.voice.errors

    long_bella, long_adam = (await expected(engine, LONG, "af_bella"),
                             await expected(engine, LONG, "am_adam"))
    short_adam, short_bella = (await expected(engine, SHORT, "am_adam"),
                               await expected(engine, SHORT, "af_bella"))
    print("match", match(first, long_bella), match(first, long_adam),
          match(second, short_adam), match(second, short_bella))
    assert (await h.speech_s(0, first)) == pytest.approx(seconds(long_bella), abs=0.1)
    assert (await h.speech_s(1, second)) == pytest.approx(seconds(short_adam), abs=0.1)
    assert first.audible > 0.9 * (await h.speech_s(0, first))
    assert match(first, long_bella) > 0.5 > 0.2 > match(first, long_adam)
    assert match(second, short_adam) > 0.5 > 0.2 > match(second, short_bella)
