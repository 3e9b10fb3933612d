"""Audio uploaded to Cloudinary through the official SDK (audio is a `video` resource there)."""

from __future__ import annotations

import asyncio
import io
import logging
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit
from uuid import UUID

import aiohttp
import cloudinary.exceptions
import cloudinary.uploader

from storage.audio.base import AudioStore, StoredAudio
from storage.errors import AudioNotFound, PermanentStorageError, StorageError

log = logging.getLogger(__name__)

RESOURCE_TYPE = "video"
# Answers that no retry can change; everything else (5xx, 420/429, sockets) is worth retrying.
_PERMANENT = (
    cloudinary.exceptions.BadRequest,
    cloudinary.exceptions.AuthorizationRequired,
    cloudinary.exceptions.NotAllowed,
    cloudinary.exceptions.AlreadyExists,
)


def parse_cloudinary_url(url: str) -> dict[str, Any]:
    """`cloudinary://key:secret@cloud?opt=val` -> SDK options (query keys pass through)."""
    parts = urlsplit(url)
    if parts.scheme != "cloudinary" or not parts.username or not parts.password:
        raise ValueError("a Cloudinary URL looks like cloudinary://api_key:api_secret@cloud_name")
    # The cloud name is case-sensitive, and urlsplit lowercases `hostname`.
    cloud_name = parts.netloc.rsplit("@", 1)[1]
    options: dict[str, Any] = dict(parse_qsl(parts.query))
    options.update(
        cloud_name=cloud_name, api_key=unquote(parts.username), api_secret=unquote(parts.password)
    )
    return options


class CloudinaryAudioStore(AudioStore):
    """Public id `tts_<uuid>` in `folder`; delete removes the asset.

    The SDK is blocking, so every call runs in a thread. Credentials go with each call rather
    than into the SDK's global config, so two stores never disturb each other.
    """

    backend = "cloudinary"

    def __init__(self, cloudinary_url: str, *, folder: str = "tts", timeout_s: float = 60.0):
        self._options = parse_cloudinary_url(cloudinary_url)
        self.folder = folder.strip("/")
        self.timeout_s = timeout_s
        self._session: aiohttp.ClientSession | None = None

    async def put(self, project_id: UUID, data: bytes, fmt: str) -> StoredAudio:
        """Upload one clip; `StorageError` (transient or not) when Cloudinary refuses."""
        stream = io.BytesIO(data)
        stream.name = f"tts_{project_id}.{fmt}"
        result = await self._call(
            cloudinary.uploader.upload,
            stream,
            public_id=f"tts_{project_id}",
            folder=self.folder or None,
            resource_type=RESOURCE_TYPE,
            overwrite=True,
        )
        try:
            url = result.get("secure_url") or result["url"]
            return StoredAudio(self.backend, result["public_id"], url, len(data))
        except (KeyError, TypeError) as exc:
            raise StorageError(f"Cloudinary answered an upload without a URL: {result!r}") from exc

    async def read(self, key: str, url: str | None = None) -> bytes:
        """Download the asset from its delivery URL."""
        if not url:
            raise AudioNotFound(f"no URL recorded for Cloudinary asset {key!r}")
        session = self._http()
        try:
            async with session.get(url) as resp:
                if resp.status == 404:
                    raise AudioNotFound(f"Cloudinary has no asset {key!r}")
                if resp.status >= 400:
                    raise StorageError(f"Cloudinary answered {resp.status} for {key!r}")
                return await resp.read()
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise StorageError(f"could not download {key!r} from Cloudinary: {exc!r}") from exc

    async def delete(self, key: str) -> None:
        """Destroy the asset and invalidate cached copies; "not found" counts as deleted."""
        result = await self._call(
            cloudinary.uploader.destroy, key, resource_type=RESOURCE_TYPE, invalidate=True
        )
        outcome = result.get("result") if isinstance(result, dict) else None
        if outcome not in ("ok", "not found"):
            raise StorageError(f"Cloudinary did not delete {key!r}: {result!r}")

    async def close(self) -> None:
        """Close the download session."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            timeout = aiohttp.ClientTimeout(total=self.timeout_s)
            self._session = aiohttp.ClientSession(timeout=timeout)
        return self._session

    async def _call(self, func: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        options = {**self._options, **kwargs, "timeout": self.timeout_s}
        try:
            result: dict[str, Any] = await asyncio.to_thread(func, *args, **options)
        except _PERMANENT as exc:
            raise PermanentStorageError(f"Cloudinary refused the request: {exc}") from exc
        except cloudinary.exceptions.NotFound as exc:
            raise AudioNotFound(f"Cloudinary: {exc}") from exc
        except cloudinary.exceptions.Error as exc:
            raise StorageError(f"Cloudinary is unreachable or failing: {exc}") from exc
        return result
