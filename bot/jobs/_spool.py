"""Encoded clips kept between a job's upload attempts, so a storage outage never costs a new
synthesis. In memory and per process: a retry claimed elsewhere synthesises again."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from uuid import UUID

#: Clips beyond this many bytes in all push out the oldest.
DEFAULT_MAX_BYTES = 256 * 1024 * 1024


@dataclass(frozen=True)
class SpooledClip:
    """A clip made and encoded, not yet stored."""

    data: bytes
    duration: float


class AudioSpool:
    """Bounded map of project id -> its encoded clip, oldest dropped first."""

    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        self._clips: OrderedDict[UUID, SpooledClip] = OrderedDict()
        self._bytes = 0

    def put(self, project_id: UUID, data: bytes, duration: float) -> SpooledClip:
        """Keep a clip until `discard` (or until newer clips need the room)."""
        self.discard(project_id)
        clip = self._clips[project_id] = SpooledClip(data, duration)
        self._bytes += len(data)
        while self._bytes > self.max_bytes and len(self._clips) > 1:
            _, dropped = self._clips.popitem(last=False)
            self._bytes -= len(dropped.data)
        return clip

    def get(self, project_id: UUID) -> SpooledClip | None:
        """The clip kept for a project, if any."""
        return self._clips.get(project_id)

    def discard(self, project_id: UUID) -> None:
        """Forget a project's clip (stored, or the job ended)."""
        clip = self._clips.pop(project_id, None)
        if clip is not None:
            self._bytes -= len(clip.data)
