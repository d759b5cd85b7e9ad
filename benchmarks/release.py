"""Release benchmark: time and peak memory of `coopgraph release` against a plain N-Triples export.

Each step runs in its own process over the same on-disk store (the way `coopgraph release
--store PATH` runs), so its peak resident memory is its own. What it shows: the release
writes five dumps, four tables and the description in a small multiple of one export's
time, and its memory stays flat while the files it writes grow with the graph (the
dumps stream from the store to disk; nothing holds the graph in Python).

    python benchmarks/release.py [--sizes 100000,1000000]

The data is made up (example.org, "Testville n"; see benchmarks/http.py), loaded next to
the curated ontology so the statistics have classes and properties to count.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# This folder's http.py would shadow the standard library's http package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]

STEP = r"""
import json, os, resource, sys, time, tracemalloc
from pathlib import Path
from coopgraph.config import load_settings
from coopgraph.store.embedded import OxigraphStore
step, store_path, out = sys.argv[1], sys.argv[2], Path(sys.argv[3])
settings = load_settings(environ={}, root=sys.argv[4], releases_dir=str(out))
store = OxigraphStore(settings.iris, store_path, read_only=True)
if os.environ.get("TRACE"):
    tracemalloc.start()
started = time.perf_counter()
if step == "open":
    pass
elif step == "export":
    from coopgraph.export import export
    from coopgraph.formats import RDF_FORMATS
    with open(out / "dump.nt", "wb") as fh:
        export(store, RDF_FORMATS["ntriples"], fh)
elif step == "statistics":
    from coopgraph.describe.void import compute_statistics
    compute_statistics(store)
elif step == "release":
    from coopgraph.release import make_release
    make_release(store, settings, version="bench")
seconds = time.perf_counter() - started
written = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
print(json.dumps({"seconds": seconds, "rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  "written": written, "python_peak": tracemalloc.get_traced_memory()[1]}))
"""


def build_store(folder: Path, triples: int) -> int:
    """Load the curated ontology and a synthetic data graph into a store folder; return its size."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("coopgraph_http_benchmark", HERE / "http.py")
    http_benchmark = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(http_benchmark)
    from coopgraph.formats import RDF_FORMATS
    from coopgraph.namespaces import Iris
    from coopgraph.store.embedded import OxigraphStore

    data = folder / "synthetic.ttl"
    http_benchmark.synthetic_turtle(data, triples)
    iris = Iris()
    store = OxigraphStore(iris, folder / "store")
    store.bulk_load_file(iris.ontology_graph, ROOT / "ontology" / "coopgraph.ttl", RDF_FORMATS["turtle"])
    store.bulk_load_file(iris.data_graph("synthetic"), data, RDF_FORMATS["turtle"])
    size = store.count()
    store.close()
    data.unlink()
    return size


def run(step: str, folder: Path, trace: bool = False) -> dict:
    """Run one step in a fresh process; ``trace`` measures Python's own allocations (slower, so apart)."""
    import os

    out = folder / f"out-{step}"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    env = {**os.environ, "TRACE": "1"} if trace else dict(os.environ)
    result = subprocess.run(
        [sys.executable, "-c", STEP, step, str(folder / "store"), str(out), str(ROOT)],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    shutil.rmtree(out, ignore_errors=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000", help="synthetic graph sizes (triples), comma-separated")
    args = parser.parse_args()
    print(
        "| graph (triples) | step | seconds | vs export | peak RSS MB | RSS over idle MB | Python peak MB | "
        "files written MB |"
    )
    print("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for size in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory(prefix="coopgraph-bench-") as tmp:
            folder = Path(tmp)
            started = time.perf_counter()
            triples = build_store(folder, size)
            print(f"<!-- {triples:,} quads loaded in {time.perf_counter() - started:.1f} s -->", file=sys.stderr)
            steps = ("export", "statistics", "release")
            results = {step: run(step, folder) for step in ("open", *steps)}
            traced = {step: run(step, folder, trace=True) for step in steps}
            idle, baseline = results["open"]["rss_kb"], results["export"]["seconds"]
            for step in steps:
                r = results[step]
                print(
                    f"| {triples:,} | {step} | {r['seconds']:.2f} | {r['seconds'] / baseline:.2f}x | "
                    f"{r['rss_kb'] / 1024:.0f} | {(r['rss_kb'] - idle) / 1024:.0f} | "
                    f"{traced[step]['python_peak'] / 1e6:.1f} | {r['written'] / 1e6:.1f} |"
                )


if __name__ == "__main__":
    main()
