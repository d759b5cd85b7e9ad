"""Freed memory goes back to the system after writes (see coopgraph.store.memory for why)."""

from __future__ import annotations

import ctypes.util
import re
import sys
from pathlib import Path

import pytest

from coopgraph.store.memory import preloaded_allocator, release_free_memory


def resident_kb() -> int:
    return int(re.search(r"VmRSS:\s+(\d+) kB", Path("/proc/self/status").read_text()).group(1))


@pytest.mark.skipif(not sys.platform.startswith("linux") or not ctypes.util.find_library("c"), reason="glibc only")
@pytest.mark.skipif(preloaded_allocator() is not None, reason="malloc_trim acts on glibc's heap only")
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


def test_a_slow_query_gives_its_freed_memory_back(tmp_path, monkeypatch):
    """A query past TRIM_AFTER_SECONDS (a GROUP BY over a whole store, say) is followed by a trim, a quick one is not.

    Measured at 1M triples from a store folder, the home page's figures had left each web
    worker 400 MiB larger for good; with the trim, 110 MiB (benchmarks/RESULTS.md)."""
    from coopgraph.knowledge.foreign import load_foreign_files
    from coopgraph.namespaces import Iris
    from coopgraph.store import snapshots

    data = tmp_path / "towns.ttl"
    data.write_text("<https://example.org/a> <https://example.org/near> <https://example.org/b> .\n")
    iris = Iris()
    load_foreign_files(iris, tmp_path / "store", [data])
    cache: dict = {}
    snapshots.serve_snapshots(
        cache, iris.base, str(tmp_path / "store"), 0, snapshots.current_snapshot(tmp_path / "store")
    )
    trims = []
    monkeypatch.setattr(snapshots, "release_free_memory", lambda: trims.append(1))
    request = {
        "snapshot": snapshots.current_snapshot(tmp_path / "store"),
        "sparql": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
        "default_graphs": None,
        "named_graphs": None,
        "max_rows": 10,
    }
    for serialized in (False, True):
        asked = {**request, "serialize": ("json", "ntriples", None)} if serialized else request
        monkeypatch.setattr(snapshots, "TRIM_AFTER_SECONDS", 3600.0)
        snapshots.answer_query(cache, asked)
        assert trims == []
        monkeypatch.setattr(snapshots, "TRIM_AFTER_SECONDS", -1.0)  # every query counts as slow
        snapshots.answer_query(cache, asked)
        assert trims == [1]
        trims.clear()
