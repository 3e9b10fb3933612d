"""Discord frames are the right shape: 48 kHz stereo 20 ms frames of the same sound."""

from __future__ import annotations

import numpy as np

from bot.voice.pcm import DiscordPCM

RATE = 24000


def tone(seconds: float = 0.5, freq: float = 440.0) -> np.ndarray:
    t = np.arange(int(RATE * seconds)) / RATE
    return (0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def test_discord_pcm_frames():
    samples = tone(1.0)
    pcm = DiscordPCM()
    out = b""
    for start in range(0, len(samples), 1234):  # odd chunk sizes, like a real stream
        piece = pcm.feed(samples[start:start + 1234])
        assert len(piece) % DiscordPCM.FRAME_BYTES == 0
        out += piece
    out += pcm.flush()
    assert len(out) % DiscordPCM.FRAME_BYTES == 0
    stereo = np.frombuffer(out, dtype="<i2").reshape(-1, 2)
    assert np.array_equal(stereo[:, 0], stereo[:, 1])
    # 48 kHz: twice the samples, padded to the last 20 ms frame.
    assert 2 * len(samples) <= len(stereo) < 2 * len(samples) + 960
    # Still a 440 Hz tone after resampling.
    spectrum = np.abs(np.fft.rfft(stereo[:48000, 0].astype(np.float32)))
    assert abs(np.argmax(spectrum) * 48000 / 48000 - 440) < 2
