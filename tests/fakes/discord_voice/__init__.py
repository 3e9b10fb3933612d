"""A loopback Discord voice server that discord.py's real `VoiceClient` connects to.

Usage (with the fake Discord of `tests.fakes.discord`)::

    voice = FakeVoiceServer()
    await voice.start()
    fake.voice_endpoint = voice.endpoint           # VOICE_SERVER_UPDATE points here
    bot = create_bot(..., connector=aiohttp.TCPConnector(ssl=voice.client_ssl))
    ...
    [utt] = await voice.wait_utterances(1)         # decoded audio, split per played source
    assert utt.audible > 1.0 and not voice.errors

The voice gateway (`wss://127.0.0.1:<port>/?v=8`, a certificate made at start-up): IDENTIFY (0)
-> HELLO (8) + READY (2: ssrc, ip, port, modes) -> the client's UDP IP discovery (74 bytes) ->
SELECT PROTOCOL (1) -> SESSION DESCRIPTION (4: mode, secret_key, dave_protocol_version 0);
heartbeats (3) are ACKed (6), SPEAKING (5) recorded, RESUME (7) answered RESUMED (9).
UDP: RTP packets in `aead_xchacha20_poly1305_rtpsize` are decrypted (the RTP header is the
associated data; the 4-byte counter at the end, zero-padded to 24 bytes, is the nonce) and
their Opus decoded to 48 kHz stereo PCM: `voice.packets`. Failures land in `voice.errors`.
`await voice.drop(code)` closes the websockets (4014 kicked, 4006 forces a reconnect).
"""

from __future__ import annotations

from ._audio import Utterance, envelope, similarity, split_utterances, waveform_match
from ._rtp import ReceivedPacket, decrypt, discovery_response
from ._server import FakeVoiceServer, VoiceSession

__all__ = [
    "FakeVoiceServer", "ReceivedPacket", "Utterance", "VoiceSession", "decrypt",
    "discovery_response", "envelope", "similarity", "split_utterances", "waveform_match",
]
