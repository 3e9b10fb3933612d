"""Where finished audio lives: local files or Cloudinary, behind one interface."""

from __future__ import annotations

from storage.audio.base import AudioStore, StoredAudio
from storage.audio.cloudinary import CloudinaryAudioStore, parse_cloudinary_url
from storage.audio.local import LocalAudioStore
from storage.audio.retry import FallbackStore, RetryingStore

__all__ = [
    "AudioStore",
    "CloudinaryAudioStore",
    "FallbackStore",
    "LocalAudioStore",
    "RetryingStore",
    "StoredAudio",
    "parse_cloudinary_url",
]
