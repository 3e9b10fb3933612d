"""The one interface every audio store implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar
from uuid import UUID


@dataclass(frozen=True)
class StoredAudio:
    """Where a clip ended up: enough to link it, fetch it again and delete it."""

    backend: str
    key: str
    url: str
    size_bytes: int


class AudioStore(ABC):
    """Keeps finished audio somewhere a user can fetch it from."""

    #: Short name recorded on each project (`local`, `cloudinary`).
    backend: ClassVar[str]

    @abstractmethod
    async def put(self, project_id: UUID, data: bytes, fmt: str) -> StoredAudio:
        """Store the clip of `project_id`; raises `StorageError` when it cannot."""

    @abstractmethod
    async def read(self, key: str, url: str | None = None) -> bytes:
        """The bytes stored under `key` (`url` is where the store said they live)."""

    @abstractmethod
    async def delete(self, key: str) -> None:
        """Remove the clip under `key`; a clip that is already gone is not an error."""

    def for_backend(self, backend: str | None) -> AudioStore:
        """The store holding clips recorded under `backend` (itself, unless it combines stores)."""
        return self

    async def close(self) -> None:  # noqa: B027 - most stores hold nothing to release
        """Release connections and threads."""
