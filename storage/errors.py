"""Failures of the audio stores. The job layer turns them into user-facing errors."""

from __future__ import annotations


class StorageError(Exception):
    """Storing, reading or deleting audio failed."""

    #: Whether trying again later may succeed (network outage, timeout, server error).
    transient: bool = True
    #: What went wrong, for the job layer's wording: "unreachable" (a remote store), "full"
    #: (no space left), "not_writable" (read-only or forbidden folder), "rejected".
    problem: str = "unreachable"


class PermanentStorageError(StorageError):
    """A failure that retrying cannot fix: bad credentials, a rejected file."""

    transient = False
    problem = "rejected"


class AudioNotFound(StorageError):
    """The store holds nothing under that key."""

    transient = False
