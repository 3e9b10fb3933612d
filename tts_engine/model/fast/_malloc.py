"""Keep freed memory in the C heap for reuse instead of returning it to the OS.

Kokoro's decoder allocates tens of tensors of up to 50 MB per chunk. glibc serves blocks
that big with fresh `mmap`s and unmaps them on free, so every one is page-faulted in again on
first touch; in a VM that costs more than the arithmetic (measured: allocating and filling
12.5 M floats 69 ms, filling a reused buffer 1.7 ms). Raising glibc's mmap and trim thresholds
(what jemalloc/tcmalloc achieve for PyTorch CPU inference) lets those blocks be reused. The
price: the process keeps up to `TRIM_BYTES` of freed memory instead of handing it back.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import sys
import threading

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
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
            mallopt = libc.mallopt
        except (OSError, AttributeError):  # musl and friends have no mallopt
            return False
        mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
        ok = mallopt(M_MMAP_THRESHOLD, MMAP_BYTES) == 1
        ok = ok and mallopt(M_TRIM_THRESHOLD, TRIM_BYTES) == 1
        _tuned = ok
        log.debug("glibc malloc thresholds raised: %s", ok)
        return ok
