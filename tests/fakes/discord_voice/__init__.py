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

DAVE (end-to-end encryption), with `FakeVoiceServer(dave_version=1, channel_of=
fake.voice_channel)`: clients announcing a lower `max_dave_protocol_version` are closed with
4017; op 4 says `dave_protocol_version: 1`; each voice channel has a `DaveGroup` (`voice.group(
channel_id)`) run as Discord's gateway runs it, the gateway being the MLS delivery service and
external sender (`_mls.py`, on the `rfc9420` package): op 25 external sender, op 26 key package,
op 27 external Add/Remove proposals, op 28 commit (+ welcome), first valid commit of an epoch
announced (op 29) and welcomed (op 30), op 23 -> op 22 once every member is ready, sole member
reset (op 24 epoch 1 + op 21 transition 0), `await group.downgrade()` (op 21 to protocol 0).
`await voice.add_listener(user_id, channel_id)` adds a member who is a real DAVE client
(`DaveListener`, on `davey`): it decrypts and decodes what the bot sends into `.packets` /
`.utterances()`, and keeps frames sent without end-to-end encryption while DAVE is in force in
`.plain`. The server itself cannot hear DAVE frames (`packet.e2ee`, empty `pcm`). See
docs/dave.md for what is and is not modelled.
"""

from __future__ import annotations

from ._audio import Utterance, envelope, similarity, split_utterances, waveform_match
from ._dave import CommitRecord, DaveGroup
from ._member import DaveListener
from ._rtp import ReceivedPacket, decrypt, discovery_response, is_dave_frame
from ._server import FakeVoiceServer
from ._session import VoiceSession

__all__ = [
    "CommitRecord", "DaveGroup", "DaveListener", "FakeVoiceServer", "ReceivedPacket",
    "Utterance", "VoiceSession", "decrypt", "discovery_response", "envelope", "is_dave_frame",
    "similarity", "split_utterances", "waveform_match",
]
