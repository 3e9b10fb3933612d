"""Request validation: what a user typing a bad voice, speed, language or text gets back."""

from __future__ import annotations

import pytest

from tts_engine import EngineConfig, LocalEngine
from tts_engine.errors import (
    InvalidVoiceSpec,
    LanguageNotSupported,
    NothingToSay,
    SpeedOutOfRange,
    TextEmpty,
    TextTooLong,
    VoiceLanguageMismatch,
    VoiceNotFound,
)


@pytest.fixture(scope="module")
def fresh(model_dir):
    """An engine that has not loaded its model: validation must not need it."""
    eng = LocalEngine(EngineConfig(model_dir=model_dir, device="cpu", max_text_chars=100))
    yield eng
    eng.close()


def test_validation_needs_no_model(fresh):
    req = fresh.validate("Hello there.", voice="bf_emma")
    assert (req.voice, req.lang, req.speed) == ("bf_emma", "b", 1.0)
    assert not fresh.ready


def test_defaults_and_language_from_voice(fresh):
    assert fresh.validate("Hi").voice == "af_heart"
    assert fresh.validate("Hola", lang="e").voice == "ef_dora"  # the language's own voice
    assert fresh.validate("Ciao", voice="if_sara").lang == "i"
    assert fresh.validate("Hi", lang="en-gb").lang == "b"  # Kokoro's aliases work too


def test_unknown_voice_suggests_the_closest(fresh):
    with pytest.raises(VoiceNotFound) as err:
        fresh.validate("Hi", voice="af_bela")
    assert "af_bella" in err.value.suggestions
    assert "af_bella" in str(err.value)


@pytest.mark.parametrize("spec", ["", "af_bella,", "af_bella(0)+af_sky", "af_bella(x)", "a b"])
def test_malformed_blends_are_rejected(fresh, spec):
    with pytest.raises((InvalidVoiceSpec, TextEmpty)):
        fresh.validate("Hi", voice=spec or ",")


def test_blend_specs_are_normalised(fresh):
    assert fresh.validate("Hi", voice="af_bella,af_sky").voice == "af_bella(0.5)+af_sky(0.5)"
    weighted = fresh.validate("Hi", voice="af_bella(2)+af_sky(1)").voice
    assert weighted == "af_bella(0.6667)+af_sky(0.3333)"
    with pytest.raises(VoiceNotFound):
        fresh.validate("Hi", voice="af_bella+zz_nobody")


@pytest.mark.parametrize("speed", [0.49, 2.01, 0, -1, float("nan"), float("inf")])
def test_speed_out_of_range(fresh, speed):
    with pytest.raises(SpeedOutOfRange):
        fresh.validate("Hi", speed=speed)


@pytest.mark.parametrize("speed", [0.5, 2.0, 1.25])
def test_speed_limits_are_inclusive(fresh, speed):
    assert fresh.validate("Hi", speed=speed).speed == speed


@pytest.mark.parametrize("lang", ["x", "de", "", "english"])
def test_unknown_language(fresh, lang):
    with pytest.raises(LanguageNotSupported) as err:
        fresh.validate("Hi", lang=lang)
    assert "a, b, e, f, h, i, p, j, z" in str(err.value)


@pytest.mark.parametrize("text", ["", "   ", "\n\t \n"])
def test_empty_text(fresh, text):
    with pytest.raises(TextEmpty):
        fresh.validate(text)


def test_control_characters_never_reach_the_request(fresh):
    # A NUL in a job's text made PostgreSQL refuse the insert; none of these is ever spoken.
    req = fresh.validate("Hello\x00 there\x07\x1b[31m\nfriend\u202e")
    assert req.text == "Hello there\nfriend\u202e"  # the colour code goes whole


def test_text_limit_from_config(fresh):
    fresh.validate("x" * 100)
    with pytest.raises(TextTooLong) as err:
        fresh.validate("x" * 101)
    assert "101" in str(err.value) and "100" in str(err.value)


def test_voice_language_mismatch_is_refused_for_every_part_of_a_blend(fresh):
    with pytest.raises(VoiceLanguageMismatch) as err:
        fresh.validate("Bonjour", voice="af_heart", lang="f")
    assert "af_heart" in str(err.value) and "French" in str(err.value)
    with pytest.raises(VoiceLanguageMismatch):
        fresh.validate("Hello", voice="af_heart(2)+bf_emma(1)", lang="a")
    # Left to the voice, the language is the lead voice's; a blend may mix languages then.
    assert fresh.validate("Hello", voice="af_heart,bf_emma").lang == "a"
    assert fresh.validate("Hello", voice="bf_emma", lang="en-gb").lang == "b"


def test_a_voice_may_speak_another_language_when_the_config_allows(model_dir):
    accents = LocalEngine(EngineConfig(model_dir=model_dir, device="cpu", load="lazy",
                                       cross_language_voices=True))
    try:
        assert accents.validate("Bonjour", voice="af_heart", lang="f").lang == "f"
    finally:
        accents.close()


def test_voice_listing_and_suggestions(fresh):
    names = [v.name for v in fresh.voices()]
    assert "af_heart" in names and "zf_xiaobei" in names
    british = fresh.voices("b")
    assert {v.name for v in british} == {"bf_emma", "bm_george"}
    assert {v.gender for v in british} == {"female", "male"}
    assert fresh.suggest_voices("bel")[0] == "af_bella"
    assert fresh.suggest_voices("", lang="e") == ["ef_dora"]
    assert fresh.suggest_voices("af_bella,af_s")[0] == "af_bella,af_sky"


async def test_start_loads_and_warms_or_waits_when_lazy(model_dir):
    lazy = LocalEngine(EngineConfig(model_dir=model_dir, device="cpu", load="lazy", threads=1))
    eager = LocalEngine(EngineConfig(model_dir=model_dir, device="cpu", threads=1))
    try:
        await lazy.start()
        assert not lazy.ready
        await eager.start()
        assert eager.ready
    finally:
        lazy.close()
        eager.close()


def test_limit_applies_to_what_is_said(model_dir):
    # 40 characters as typed, far more once the numbers are words: refused, saying why.
    eng = LocalEngine(EngineConfig(model_dir=model_dir, device="cpu", max_text_chars=60))
    typed = "Call 555-0123 or 555-0199 at 21:45."
    assert len(typed) <= 60
    with pytest.raises(TextTooLong) as err:
        eng.validate(typed)
    assert "Read aloud" in str(err.value) and "60" in str(err.value)


def test_normalisation_can_be_switched_off(model_dir):
    eng = LocalEngine(EngineConfig(model_dir=model_dir, device="cpu", normalize_text=False))
    assert eng.validate("It weighs 5 kg.").text == "It weighs 5 kg."
    assert LocalEngine(EngineConfig(model_dir=model_dir, device="cpu")).validate(
        "It weighs 5 kg.").text == "It weighs five kilograms."


@pytest.mark.parametrize("text", [
    "\x01\x02\x03\x1b[31m\x7f",  # a colour code and nothing else
    "\x1b]0;title\x07\x1b[2J",  # a window title and a clear screen
    "\x9b1;31m",  # the one-byte form of the same colour code
])
def test_escape_sequences_are_not_speech(fresh, text):
    with pytest.raises(NothingToSay):
        fresh.validate(text)


def test_whole_escape_sequences_are_removed(fresh):
    said = fresh.validate("\x1b[1;31mred\x1b[0m alert\x1b]8;;http://x\x1b\\ now\x1bc")
    assert said.text == "red alert now"
