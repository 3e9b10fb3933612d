"""The fast path's C heap: freed memory kept for reuse, within a bound.

Kokoro's decoder allocates tens of tensors of up to 50 MB per chunk. glibc serves blocks
that big with fresh `mmap`s and unmaps them on free, so every one is page-faulted in again on
first touch; in a VM that costs more than the arithmetic (measured: allocating and filling
12.5 M floats 69 ms, filling a reused buffer 1.7 ms). Raising glibc's mmap and trim thresholds
(what jemalloc/tcmalloc achieve for PyTorch CPU inference) lets those blocks be reused.

The price: freed memory stays in the process. Kept alone, it has no bound: long-lived blocks
(cached clips, other threads' buffers) pin glibc's heaps around the freed ones, so under long
mixed load an API process went from 1.9 GB to 3.1 GB RSS in 5 minutes, all of it free memory
(`malloc_trim` brought it to 1.2 GB). `RetainedHeap` bounds it: after an inference, once the
RSS has grown a set amount past its size after the last release, the freed pages go back to
the OS (the next chunk faults its working set in once more).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import logging
import os
import sys
import threading
import time

log = logging.getLogger(__name__)

# mallopt() parameter numbers from glibc's <malloc.h>.
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
#: Blocks below this come from the heap, and up to this much free heap is kept.
MMAP_BYTES = 1 << 30
TRIM_BYTES = 1 << 30

_lock = threading.Lock()
_tuned = False


def tune_malloc() -> bool:
    """Raise glibc's thresholds once per process; False where there is no glibc `mallopt`."""
    global _tuned
    with _lock:
        if _tuned:
            return True
        if not sys.platform.startswith("linux"):
            return False
        mallopt = getattr(_libc(), "mallopt", None)
        if mallopt is None:  # musl and friends have no mallopt
            return False
        mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
        ok = mallopt(M_MMAP_THRESHOLD, MMAP_BYTES) == 1
        ok = ok and mallopt(M_TRIM_THRESHOLD, TRIM_BYTES) == 1
        _tuned = ok
        log.debug("glibc malloc thresholds raised: %s", ok)
        return ok


@functools.cache
def _libc() -> ctypes.CDLL | None:
    """The C library, looked up once (`find_library` may run ldconfig or a compiler)."""
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None


def malloc_trim() -> bool:
    """Hand every free page of every malloc arena back to the OS now; False without glibc."""
    trim = getattr(_libc(), "malloc_trim", None)
    if trim is None:
        return False
    trim(ctypes.c_size_t(0))
    return True


def _rss_bytes() -> int:
    """This process's resident memory (Linux: /proc/self/statm; 0 elsewhere)."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


class RetainedHeap:
    """Bounds the freed memory glibc keeps once `tune_malloc` has raised its thresholds.

    Call `check()` after each inference: when the process's RSS has grown `limit_bytes` past
    its size after the last release (or the first check), `malloc_trim(0)` hands every free
    page in every arena back to the OS. So the process holds what is in use plus at most
    `limit_bytes` of freed memory (plus one inference's growth), and a process whose use is
    steady pays the page faults again only when that much has piled up. Does nothing where
    malloc was not tuned or there is no glibc.
    """

    def __init__(self, limit_bytes: int) -> None:
        self.limit_bytes = limit_bytes
        self.releases = 0
        self._lock = threading.Lock()
        self._floor: int | None = None

    def check(self) -> bool:
        """Release freed memory if the bound is passed; True when it did."""
        if not _tuned:
            return False
        rss = _rss_bytes()
        with self._lock:
            if self._floor is None or rss < self._floor:
                self._floor = rss
                return False
            if rss - self._floor < self.limit_bytes:
                return False
            started = time.perf_counter()
            malloc_trim()
            self._floor = _rss_bytes()
            self.releases += 1
        log.info("returned %.0f MB of freed heap to the OS in %.0f ms (RSS now %.0f MB)",
                 (rss - self._floor) / 1e6, (time.perf_counter() - started) * 1000,
                 self._floor / 1e6)
        return True
