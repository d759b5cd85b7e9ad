"""The cost of handing a query to a query process: a round trip through SnapshotStore.

    .venv/bin/python benchmarks/handoff.py --repeat 2000

Builds the miniature test project into a temporary store folder, then times one cheap
query (ASK, SELECT of two rows) answered by the store's worker processes
(``isolation="process"``) and by threads of this process (``isolation="recycle"``), next to
the same query on the store opened in this process (no hand-off at all). The difference
is the hand-off: sending the request over the pipe and the answer back. Prints a table of
the median and best of several timeit runs, in microseconds per query. The "no-op" rows
hand over a function that does nothing: what the hand-off alone costs.

``--one-cpu`` confines the process (and so every thread it starts) to one CPU first: the
difference from a run without it is what waking a thread on another CPU costs.
"""

from __future__ import annotations

import os
import sys

# This folder holds a script named http.py, which would stand in for the standard library's http.
sys.path = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]

import argparse
import statistics
import tempfile
import timeit
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MINI = ROOT / "tests" / "fixtures" / "mini"
QUERIES = {
    "ask": "ASK { ?s a <https://example.org/mini#City> }",
    "select": "SELECT ?s WHERE { ?s a <https://example.org/mini#Region> } ORDER BY ?s",
}


def measure(call, repeat: int, runs: int) -> tuple[float, float]:
    """(median, best) microseconds per call over ``runs`` timeit runs of ``repeat`` calls."""
    for _ in range(min(repeat, 200)):  # warm: the snapshot opened and copied into memory
        call()
    times = [t / repeat * 1e6 for t in timeit.repeat(call, number=repeat, repeat=runs)]
    return statistics.median(times), min(times)


def _nothing(cache: dict) -> None:
    """What the no-op rows hand over (a module-level function: a query process must import it)."""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2000, help="queries per timeit run")
    parser.add_argument("--runs", type=int, default=5, help="timeit runs (the median and best are shown)")
    parser.add_argument("--one-cpu", action="store_true", help="confine the process to one CPU first")
    args = parser.parse_args()
    if args.one_cpu:
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})

    from coopgraph.config import load_settings
    from coopgraph.knowledge.build import build
    from coopgraph.store.snapshots import SnapshotStore

    settings = load_settings(environ={}, root=str(MINI))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "store"
        store, _ = build(settings.with_overrides(store=str(path)))
        store.close()
        stores = {
            "process": SnapshotStore(settings.iris, path, workers=1, memory_max_quads=1_000_000),
            "recycle": SnapshotStore(
                settings.iris, path, workers=1, memory_max_quads=1_000_000, isolation="recycle", on_runaway=lambda: None
            ),
        }
        try:
            in_process = stores["process"].reader().serving_copy()
            print(f"{'query':8} {'where':10} {'median us':>10} {'best us':>10}")
            for name, sparql in QUERIES.items():
                rows = [("in-process", lambda: in_process.query(sparql))]
                rows += [(mode, lambda s=s: s.query(sparql, timeout=30)) for mode, s in stores.items()]
                for where, call in rows:
                    median, best = measure(call, args.repeat, args.runs)
                    print(f"{name:8} {where:10} {median:10.1f} {best:10.1f}")
            for mode, store in stores.items():
                median, best = measure(lambda s=store: s.pool.call(_nothing, timeout=30), args.repeat, args.runs)
                print(f"{'no-op':8} {mode:10} {median:10.1f} {best:10.1f}")
        finally:
            for store in stores.values():
                store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
