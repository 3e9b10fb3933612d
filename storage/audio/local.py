"""Audio kept as files on this machine, linked through the HTTP API's `/audio/` route."""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import re
import tempfile
import time
from pathlib import Path
from uuid import UUID

from storage.audio.base import AudioStore, StoredAudio
from storage.errors import AudioNotFound, StorageError

log = logging.getLogger(__name__)

_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
_NOT_WRITABLE = {errno.EROFS, errno.EACCES, errno.EPERM}


class LocalWriteFailed(StorageError):
    """Writing a clip to the audio folder failed: a full disk, a read-only or forbidden folder.

    Transient: an operator can free space or fix the folder, and the job is retried meanwhile.
    """

    def __init__(self, path: Path, exc: OSError) -> None:
        self.path, self.errno = path, exc.errno
        if exc.errno in _FULL:
            self.problem = "full"
        elif exc.errno in _NOT_WRITABLE:
            self.problem = "not_writable"
        else:
            self.problem = "local_io"
        super().__init__(f"could not write {path}: {exc.strerror or exc} (errno {exc.errno})")

# Keys are "<uuid>.<ext>": nothing a request can turn into a path outside the folder.
_KEY = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.[a-z0-9]{2,5}$")


class LocalAudioStore(AudioStore):
    """Files named `<project id>.<ext>` under `root`; URLs `<public_base_url>/audio/<name>`."""

    backend = "local"

    def __init__(self, root: Path, public_base_url: str) -> None:
        self.root = Path(root)
        self.public_base_url = public_base_url.rstrip("/")

    def path_for(self, key: str) -> Path:
        """The file of `key`, for serving it; `AudioNotFound` for any name that is not a key."""
        if not _KEY.match(key):
            raise AudioNotFound(f"no audio called {key!r}")
        return self.root / key

    def url_for(self, key: str) -> str:
        """The public link of a stored clip."""
        return f"{self.public_base_url}/audio/{key}"

    async def put(self, project_id: UUID, data: bytes, fmt: str) -> StoredAudio:
        """Write the clip atomically, so a reader never sees half a file."""
        key = f"{project_id}.{fmt}"
        path = self.path_for(key)
        try:
            await asyncio.to_thread(_write_atomic, path, data)
        except OSError as exc:
            raise LocalWriteFailed(path, exc) from exc
        return StoredAudio(self.backend, key, self.url_for(key), len(data))

    async def read(self, key: str, url: str | None = None) -> bytes:
        """The bytes of a stored clip."""
        path = self.path_for(key)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError as exc:
            raise AudioNotFound(f"no audio called {key!r}") from exc

    async def sweep(self, owned: set[str], older_than_s: float) -> int:
        """Remove the clips not in `owned` that are older than `older_than_s` (files being
        written now are younger); returns how many went."""
        return await asyncio.to_thread(_sweep, self.root, owned, older_than_s)

    async def delete(self, key: str) -> None:
        """Remove the file; a missing one is fine."""
        path = self.path_for(key)
        await asyncio.to_thread(path.unlink, missing_ok=True)
        log.debug("deleted %s", path)


def _sweep(root: Path, owned: set[str], older_than_s: float) -> int:
    if not root.is_dir():
        return 0
    cutoff, removed = time.time() - older_than_s, 0
    for path in root.iterdir():
        if _KEY.match(path.name) and path.name not in owned and \
                path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
