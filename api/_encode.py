"""Incremental audio encoders: bytes leave as soon as each synthesised chunk is encoded.

WAV streams with the "unknown length" sizes (0xFFFFFFFF) players accept for live audio. The
codecs go through libsndfile (soundfile) writing into a sink that hands out what it has so far;
MP3 is encoded at a constant bitrate so decoders can size the stream without the Xing header
libsndfile would only fill in at the end, and FLAC says "total samples unknown" (RFC 9639).
"""

from __future__ import annotations

import io
import struct
from typing import Any

import numpy as np
import soundfile as sf

from tts_engine.audio import SAMPLE_RATE

#: OpenAI `response_format` -> (content type, libsndfile format, subtype) for the codecs.
_CODECS: dict[str, tuple[str, str, str]] = {
    "mp3": ("audio/mpeg", "MP3", "MPEG_LAYER_III"),
    "opus": ("audio/ogg", "OGG", "OPUS"),
    "flac": ("audio/flac", "FLAC", "PCM_16"),
}
CONTENT_TYPES: dict[str, str] = {
    "wav": "audio/wav",
    # Raw s16le at 24 kHz mono, as OpenAI sends it (audio/L16 would promise big-endian).
    "pcm": "audio/pcm",
    **{fmt: spec[0] for fmt, spec in _CODECS.items()},
}
FORMATS = tuple(CONTENT_TYPES)
#: Stored clips by file extension (the system's guesses vary, e.g. audio/x-wav).
FILE_TYPES = {"wav": "audio/wav", "ogg": "audio/ogg", "mp3": "audio/mpeg", "flac": "audio/flac"}
_UNKNOWN = 0xFFFFFFFF


def pcm16(samples: np.ndarray) -> bytes:
    """Float audio in [-1, 1] as little-endian signed 16-bit PCM."""
    clipped = np.clip(np.asarray(samples, dtype=np.float32), -1.0, 1.0)
    return (clipped * 32767.0).astype("<i2").tobytes()


def wav_stream_header(sample_rate: int = SAMPLE_RATE) -> bytes:
    """A mono PCM16 WAV header whose sizes say "unknown, read until the end"."""
    fmt = struct.pack("<HHIIHH", 1, 1, sample_rate, sample_rate * 2, 2, 16)
    return (
        b"RIFF" + struct.pack("<I", _UNKNOWN) + b"WAVE"
        + b"fmt " + struct.pack("<I", len(fmt)) + fmt
        + b"data" + struct.pack("<I", _UNKNOWN)
    )


class _Sink(io.RawIOBase):
    """A seekable file for libsndfile whose new bytes can be taken away as they appear.

    libsndfile may seek back at close to patch headers already sent; those late patches only
    land in the local copy, which is why the formats above are chosen to not need them.
    """

    def __init__(self) -> None:
        super().__init__()
        self._buf = bytearray()
        self._pos = 0
        self._sent = 0

    def readable(self) -> bool:
        return True

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self._buf[self._pos:self._pos + len(chunk)] = chunk
        self._pos += len(chunk)
        return len(chunk)

    def read(self, size: int = -1) -> bytes:
        end = len(self._buf) if size < 0 else self._pos + size
        data = bytes(self._buf[self._pos:end])
        self._pos += len(data)
        return data

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: len(self._buf)}[whence]
        self._pos = base + offset
        return self._pos

    def tell(self) -> int:
        return self._pos

    def take(self) -> bytes:
        """The bytes written since the last call."""
        data = bytes(self._buf[self._sent:])
        self._sent = len(self._buf)
        return data


class StreamEncoder:
    """Encodes 24 kHz mono float chunks into one continuous stream of `fmt` bytes."""

    def __init__(self, fmt: str) -> None:
        if fmt not in CONTENT_TYPES:
            raise ValueError(f"unknown format {fmt!r}")
        self.fmt = fmt
        self.content_type = CONTENT_TYPES[fmt]
        self._started = False
        self._sink: _Sink | None = None
        self._file: sf.SoundFile | None = None
        if fmt in _CODECS:
            _, major, subtype = _CODECS[fmt]
            self._sink = _Sink()
            # Both set: libsndfile ignores the bitrate mode without an explicit level.
            extra: dict[str, Any] = (
                {"bitrate_mode": "CONSTANT", "compression_level": 0.5} if fmt == "mp3" else {}
            )
            self._file = sf.SoundFile(
                self._sink, "w", samplerate=SAMPLE_RATE, channels=1,
                format=major, subtype=subtype, **extra,
            )

    def feed(self, chunk: np.ndarray) -> bytes:
        """Encode one chunk; returns whatever bytes are ready (possibly none yet)."""
        if self._file is not None and self._sink is not None:
            self._file.write(np.asarray(chunk, dtype=np.float32))
            return self._sink.take()
        head = b""
        if not self._started and self.fmt == "wav":
            head = wav_stream_header()
        self._started = True
        return head + pcm16(chunk)

    def close(self) -> None:
        """Release the encoder without producing more output (an abandoned stream)."""
        if self._file is not None:
            self._file.close()
            self._file = None

    def finish(self) -> bytes:
        """Flush the encoder; returns the stream's last bytes."""
        if self._file is not None and self._sink is not None:
            self._file.close()
            self._file = None
            return self._sink.take()
        if not self._started and self.fmt == "wav":
            self._started = True
            return wav_stream_header()
        return b""
