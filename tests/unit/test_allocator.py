"""The allocator keeps freed memory for reuse: a buffer like the last one costs no page faults."""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest

from adapters.system import retain_freed_memory

pytestmark = pytest.mark.skipif(
    platform.libc_ver()[0] != "glibc", reason="the settings are glibc's own"
)

# four 4 MiB buffers at once, freed, twenty times: what reading and copying originals does
FAULTS = """
import resource, sys
from adapters.system import retain_freed_memory
retain_freed_memory(int(sys.argv[1]))
def faults():
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(20):
        held = [b"x" * (4 << 20) for _ in range(4)]
        del held
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
faults()
print(faults())
"""
PAGES_TOUCHED = 20 * 4 * (4 << 20) // 4096


def page_faults(retain_bytes: int) -> int:
    run = subprocess.run(
        [sys.executable, "-c", FAULTS, str(retain_bytes)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return int(run.stdout)


def test_freed_buffers_are_reused_without_page_faults() -> None:
    untouched, retained = page_faults(0), page_faults(64 << 20)

    assert untouched > PAGES_TOUCHED // 2  # glibc gave the memory back and faulted it in again
    assert retained < PAGES_TOUCHED // 100


def test_zero_leaves_the_allocator_alone() -> None:
    assert retain_freed_memory(0) is False
