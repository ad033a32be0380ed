"""glibc's allocator asked to keep freed memory for reuse; a no-op where there is no glibc.

Python hands every buffer above 512 bytes to `malloc`, and glibc serves a large one (an
original of megabytes, each chunk read from the origin, a decoded frame) from a fresh `mmap`
and gives it back to the kernel when freed, or trims the heap when its top is free. The next
buffer then costs a page fault for every 4 KiB and the kernel's zeroing of each page: a
3.6 MB original read through httpx cost 10-11 ms of CPU that way, 6 ms with its freed memory
reused (docs/performance.md). `retain_freed_memory` serves buffers below `MMAP_CEILING` from
the heap and keeps up to `retain_bytes` of freed heap in the process.
"""

from __future__ import annotations

import ctypes
import logging
import sys

log = logging.getLogger(__name__)

# mallopt parameters (glibc's malloc.h)
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
# glibc's own ceiling for the mmap threshold on 64-bit systems: 4 MiB * sizeof(long)
MMAP_CEILING = 32 * 1024 * 1024


def retain_freed_memory(retain_bytes: int) -> bool:
    """Keep up to `retain_bytes` of freed memory for reuse; True when glibc took the settings.

    0 leaves the allocator as it is. Applies to the calling process, from now on.
    """
    if retain_bytes <= 0 or not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    threshold = min(retain_bytes, MMAP_CEILING)
    taken = mallopt(M_MMAP_THRESHOLD, threshold) == 1 and mallopt(M_TRIM_THRESHOLD, retain_bytes)
    if not taken:  # musl and other libcs accept the call and ignore it
        log.debug("the C library did not take the allocator settings")
    return bool(taken)
