"""What one maintainer's write costs: a small SPARQL Update on the curated store and on a scratch store.

A write on the curated store is checked (protected graphs), diffed, validated against the
shapes, reasoned again from scratch, recorded and published as a new snapshot, all in
the write worker process; on a scratch store (``serve --data``) it is applied and
published. Prints a table of timings (seconds).

    .venv/bin/python benchmarks/writes.py             # 10 writes each
    .venv/bin/python benchmarks/writes.py --runs 30
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

# benchmarks/http.py would shadow the standard library's http package that requests imports
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from coopgraph.config import load_settings
from coopgraph.contributions.writes import apply_update
from coopgraph.knowledge.build import build
from coopgraph.knowledge.foreign import load_foreign_files
from coopgraph.store.snapshots import SnapshotStore

ROOT = Path(__file__).resolve().parent.parent
ID = "https://w3id.org/coopgraph/id/"
LABEL = "http://www.w3.org/2000/01/rdf-schema#label"


def time_writes(store: SnapshotStore, settings, runs: int, graph: str) -> list[float]:
    timings = []
    for index in range(runs):
        text = f'INSERT DATA {{ GRAPH <{graph}> {{ <{ID}note/bench-{index}> <{LABEL}> "bench {index}"@en }} }}'
        started = time.perf_counter()
        apply_update(store, text, maintainer="benchmark", settings=settings)
        timings.append(time.perf_counter() - started)
    return timings


def row(name: str, triples: int, timings: list[float]) -> str:
    ordered = sorted(timings)
    p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
    return (
        f"| {name} | {triples:,} | {len(timings)} | {ordered[0]:.3f} | {statistics.median(ordered):.3f} | "
        f"{p90:.3f} | {ordered[-1]:.3f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="coopgraph-writes-") as tmp:
        curated_path = Path(tmp) / "curated"
        settings = load_settings(root=ROOT, store=str(curated_path))
        built, _ = build(settings)
        built.close()
        scratch_path = Path(tmp) / "scratch"
        load_foreign_files(
            settings.iris, scratch_path, [ROOT / "tests" / "data" / "w3c-sparql-protocol" / "protocol-dataset.trig"]
        )
        lines = [
            "| store | triples | writes | min | median | p90 | max |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for name, path, graph in (
            ("curated (validated, reasoned, recorded)", curated_path, settings.iris.data_graph("benchmark-notes")),
            ("scratch (serve --data)", scratch_path, "http://example.org/bench"),
        ):
            store = SnapshotStore(settings.iris, path, workers=1)
            try:
                triples = store.count()
                time_writes(store, settings, 1, graph)  # the write worker starts
                lines.append(row(name, triples, time_writes(store, settings, args.runs, graph)))
            finally:
                store.close()
        print("\n".join(lines))


if __name__ == "__main__":
    main()
