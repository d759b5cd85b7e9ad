"""The store folder against the in-memory copy: stored queries and exports, side by side in one run.

For each size, synthetic data (benchmarks/generate.py) is built into a store folder by
``coopgraph build``; its published snapshot is then read three ways:

- **graph by graph**: the default graph given as the list of the store's graphs, as store
  folders were read before they kept the union of their graphs (the baseline);
- **store folder**: as served now, the default graph read from the union graph the folder
  keeps (``coopgraph.store.embedded.UNION_GRAPH``);
- **in memory**: the copy ``coopgraph serve`` makes of stores under ``query_memory_max_quads``.

Each stored query runs with its parameters bound to values of the synthetic graph (as
``benchmarks/run.py`` does); Turtle and JSON-LD exports write the 'all' view. The table gives
medians and the ratios store folder / in memory (target: at most 1.5) and graph by graph /
store folder (the speed-up). Writes are timed too: one contribution and one withdrawal on the
store folder, which now keep the union current.

Exports are timed twice from the store folder: written from the snapshot (what the first
export of a version costs: it writes the file the folder keeps), and copied from that kept
file (every later export of the same version, as ``coopgraph export --store`` and releases
make them). ``--reuse`` keeps a project and store folder already in ``--out``;
``--exports-only`` skips the queries and the writes.

    python benchmarks/store_folder.py --sizes 100k,1M --runs 3
"""

from __future__ import annotations

import os
import sys

sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]

import argparse  # noqa: E402
import importlib.util  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import pyoxigraph as ox  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

from coopgraph.config import load_settings  # noqa: E402
from coopgraph.contributions import ledger  # noqa: E402
from coopgraph.export import export  # noqa: E402
from coopgraph.formats import RDF_FORMATS  # noqa: E402
from coopgraph.knowledge.build import build  # noqa: E402
from coopgraph.queries import bind_parameters, load_stored_queries  # noqa: E402
from coopgraph.store.embedded import UNION_GRAPH, OxigraphStore  # noqa: E402
from coopgraph.store.snapshots import SnapshotStore, current_snapshot, snapshots_dir  # noqa: E402

_spec = importlib.util.spec_from_file_location("benchmark_generate", HERE / "generate.py")
generate = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(generate)

WAYS = ("graph by graph", "store folder", "in memory")


def median_of(action, runs: int, limit: float) -> float | None:
    """Median seconds of ``runs`` runs; None if the first run passes ``limit`` (then not repeated)."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
        if times[0] > limit:
            return None
    return statistics.median(times)


def show(seconds: float | None) -> str:
    if seconds is None:
        return "over the limit"
    return f"{seconds * 1000:,.1f} ms" if seconds < 1 else f"{seconds:,.2f} s"


def ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}" if a is not None and b else "n/a"


def readers(settings, folder: Path) -> dict[str, OxigraphStore]:
    snapshot = str(snapshots_dir(folder) / current_snapshot(folder))
    old = OxigraphStore.wrap(settings.iris, ox.Store.read_only(snapshot), read_union=False)
    new = OxigraphStore.wrap(settings.iris, ox.Store.read_only(snapshot))
    return {"graph by graph": old, "store folder": new, "in memory": new.serving_copy()}


def kept_exports(settings, folder: Path, fmt: str, runs: int) -> tuple[float, float]:
    """(the first export of the snapshot's version, the median of the later ones), as the command line reads it."""
    name = current_snapshot(folder)
    for kept in (folder / "derived").glob(f"*/export-all.{fmt}"):
        kept.unlink()  # a file kept by an earlier run
    reader = OxigraphStore.wrap(
        settings.iris, ox.Store.read_only(str(snapshots_dir(folder) / name)), snapshot=(folder, name)
    )
    times = []
    try:
        for _ in range(runs + 1):
            with tempfile.TemporaryFile() as fh:
                started = time.perf_counter()
                export(reader, RDF_FORMATS[fmt], fh, view="all")
                times.append(time.perf_counter() - started)
    finally:
        reader.close()
    return times[0], statistics.median(times[1:])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100k,1M")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--limit", type=float, default=60.0, help="seconds after which a query is not repeated")
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "coopgraph-store-folder-bench")
    parser.add_argument("--reuse", action="store_true", help="use the project and store folder already in --out")
    parser.add_argument("--exports-only", action="store_true", help="time the exports only")
    args = parser.parse_args(argv)
    rows = []
    for size in [s.strip() for s in args.sizes.split(",") if s.strip()]:
        project = args.out / size
        folder = args.out / f"{size}-store"
        settings = load_settings(environ={}, root=str(project), store=str(folder))
        if not (args.reuse and project.is_dir() and folder.is_dir()):
            if project.exists():
                shutil.rmtree(project)
            generate.write_project(project, generate.parse_size(size))
            shutil.rmtree(folder, ignore_errors=True)
            settings = load_settings(environ={}, root=str(project), store=str(folder))
            started = time.perf_counter()
            store, report = build(settings, validate=False)
            store.close()
            print(f"{size}: built in {time.perf_counter() - started:.1f} s", flush=True)
        ways = readers(settings, folder)
        queries, _ = load_stored_queries(settings.queries_dir, settings.iris.prefixes())
        for name, query in sorted(queries.items()):
            if args.exports_only:
                break
            raw = generate.parameter_values(query, ways["store folder"])
            if raw is None:
                continue
            bindings = bind_parameters(query, raw, ways["store folder"], settings.iris.prefixes())
            cells = {}
            for way, reader in ways.items():
                cells[way] = median_of(lambda r=reader: r.query(query.text, bindings=bindings), args.runs, args.limit)
            rows.append((size, f"query {name}", cells))
            print(f"  {name}: " + ", ".join(f"{w} {show(s)}" for w, s in cells.items()), flush=True)
        for label, fmt in (("Turtle", "turtle"), ("JSON-LD", "jsonld")):
            cells = {}
            for way, reader in ways.items():

                def write(r=reader):
                    with tempfile.TemporaryFile() as fh:
                        export(r, RDF_FORMATS[fmt], fh, view="all")

                cells[way] = median_of(write, args.runs, args.limit * 5)
            rows.append((size, f"export {label}", cells))
            print(f"  export {label}: " + ", ".join(f"{w} {show(s)}" for w, s in cells.items()), flush=True)
            first, later = kept_exports(settings, folder, fmt, args.runs)
            rows.append((size, f"export {label}, first of a version (writes the kept file)", {"store folder": first}))
            rows.append((size, f"export {label}, kept", {"store folder": later, "in memory": cells["in memory"]}))
            print(f"  export {label} kept: first {show(first)}, later {show(later)}", flush=True)
        # the floor: pyoxigraph itself writing the union graph from the files, no coopgraph code
        folder_reader = ways["store folder"]

        def engine_dump():
            with tempfile.TemporaryFile() as fh:
                folder_reader.native.dump(fh, ox.RdfFormat.TURTLE, from_graph=ox.NamedNode(UNION_GRAPH))

        floor = median_of(engine_dump, args.runs, args.limit * 5)
        rows.append((size, "export Turtle: pyoxigraph's own dump of the union (the floor)", {"store folder": floor}))
        print(f"  pyoxigraph's own Turtle dump of the union graph: {show(floor)}", flush=True)
        for reader in ways.values():
            reader.close()
        if args.exports_only:
            continue
        served = SnapshotStore(settings.iris, folder, workers=1)
        try:
            found = served.select(
                "SELECT ?c ?source WHERE { ?c a <https://w3id.org/coopgraph/ontology#Municipality> ; "
                "<http://purl.org/dc/terms/source> ?source FILTER(CONTAINS(STR(?c), 'synth')) } LIMIT 1"
            )[0]
            note = (
                f'{found["c"]} <http://www.w3.org/2000/01/rdf-schema#comment> "A note for the benchmark"@en ; '
                f"<http://purl.org/dc/terms/source> {found['source']} .\n"
            ).encode()
            started = time.perf_counter()
            record, _ = ledger.submit(served, note, RDF_FORMATS["turtle"], contributor="bench", description="benchmark")
            submitted = time.perf_counter() - started
            started = time.perf_counter()
            ledger.withdraw(served, record.id, maintainer="bench")
            withdrawn = time.perf_counter() - started
        finally:
            served.close()
        rows.append((size, "contribution: submit", {"store folder": submitted}))
        rows.append((size, "contribution: withdraw", {"store folder": withdrawn}))
        print(f"  submit {show(submitted)}, withdraw {show(withdrawn)}", flush=True)
        disk = sum(f.stat().st_size for f in (folder / "db").rglob("*") if f.is_file())
        print(f"  primary database on disk: {disk / 2**20:,.0f} MiB", flush=True)

    print()
    print("| size | operation | graph by graph | store folder | in memory | folder / memory | by graph / folder |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for size, operation, cells in rows:
        old, new, memory = (cells.get(w) for w in WAYS)
        print(
            f"| {size} | {operation} | {show(old) if 'graph by graph' in cells else ''} | {show(new)} | "
            f"{show(memory) if 'in memory' in cells else ''} | {ratio(new, memory)} | {ratio(old, new)} |"
        )


if __name__ == "__main__":
    main()
