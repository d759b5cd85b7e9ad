"""Freed memory goes back to the system after writes (see coopgraph.store.memory for why)."""

from __future__ import annotations

import ctypes.util
import re
import sys
from pathlib import Path

import pytest

from coopgraph.store.memory import release_free_memory


def resident_kb() -> int:
    return int(re.search(r"VmRSS:\s+(\d+) kB", Path("/proc/self/status").read_text()).group(1))


@pytest.mark.skipif(not sys.platform.startswith("linux") or not ctypes.util.find_library("c"), reason="glibc only")
def test_trimming_returns_memory_that_fragmentation_kept():
    # Many small blocks, every other one freed: the heap cannot shrink by itself past the survivors.
    blocks = [bytearray(2048) for _ in range(60_000)]
    survivors = blocks[::50]
    del blocks
    before = resident_kb()
    assert release_free_memory() is True
    after = resident_kb()
    assert after < before - 20_000, (before, after)  # well over half of the ~120 MB freed comes back
    assert survivors


@pytest.mark.skipif(not sys.platform.startswith("linux") or not ctypes.util.find_library("c"), reason="glibc only")
def test_the_arena_cap_is_accepted_by_the_c_library_and_a_nonsense_cap_is_not_applied():
    from coopgraph.store.memory import limit_arenas

    assert limit_arenas(0) is False
    assert limit_arenas(8) is True  # the default cap on 2 cores; leaves the test process as it was
