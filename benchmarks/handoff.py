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

``--wsgi`` also times whole requests to ``/sparql`` (the WSGI app called in this process, no
HTTP), beside a bare Flask + pyoxigraph app over the same union graph: coopgraph with its
answer cache, without it (the query handed to a query thread, as served), and without it
with the query run in the request thread (the hand-off left out, as it cannot be in a
server: nothing would then answer 503 at the time limit). "vs bare" is the bare app's time
over the row's.
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
JSON = "application/sparql-results+json"
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


def wsgi_requests(settings, path: Path, disk, sparql: str, repeat: int, runs: int) -> None:
    """Time whole GET /sparql requests in this process: the bare app, then coopgraph three ways."""
    import io

    import pyoxigraph as ox
    from flask import Flask, Response, request
    from werkzeug.test import EnvironBuilder

    from coopgraph.store.base import UNION_GRAPH
    from coopgraph.store.pool import InlineRunner
    from coopgraph.web import create_app

    # the bare app's store: the union of the graphs as its default graph, in memory (as served)
    union = ox.Store()
    kept = disk.native.quads_for_pattern(None, None, None, ox.NamedNode(UNION_GRAPH))
    union.bulk_extend(ox.Quad(q.subject, q.predicate, q.object, ox.DefaultGraph()) for q in kept)

    bare = Flask("bare")

    @bare.get("/sparql")
    def answer():
        result = union.query(request.args["query"])
        return Response(result.serialize(format=ox.QueryResultsFormat.JSON), mimetype=JSON)

    def coopgraph(cache_entries: int):
        overrides = dict(query_isolation="recycle", answer_cache_entries=cache_entries, max_queries_per_client=0)
        app = create_app(settings.with_overrides(store=str(path), **overrides))
        app.extensions["coopgraph"].runaway_handler = lambda: None
        return app

    apps = {
        "bare Flask + pyoxigraph": bare,
        "coopgraph, answer cache": coopgraph(1000),
        "coopgraph, no cache (query thread)": coopgraph(0),
        "coopgraph, no cache, request thread": coopgraph(0),
    }
    # the SnapshotStore itself (with the per-client limit off it is not wrapped)
    store = apps["coopgraph, no cache, request thread"].extensions["coopgraph"].store
    store.pool.warm_up()
    inline = InlineRunner()
    inline._cache = store.pool._cache  # the snapshot the query thread would read, prepared
    store.pool = inline
    environ = EnvironBuilder(path="/sparql", query_string={"query": sparql}, headers={"Accept": JSON}).get_environ()

    def call(app):
        replies = []
        body = app({**environ, "wsgi.input": io.BytesIO(b"")}, lambda status, headers, exc=None: replies.append(status))
        b"".join(body)
        body.close()
        assert replies == ["200 OK"], replies

    try:
        medians = {name: measure(lambda a=app: call(a), repeat, runs) for name, app in apps.items()}
    finally:
        for app in apps.values():
            if "coopgraph" in app.extensions:
                app.extensions["coopgraph"].store.close()
    baseline = medians["bare Flask + pyoxigraph"][0]
    print(f"\n{'GET /sparql, ' + sparql[:40] + '...':48} {'median us':>10} {'best us':>10} {'vs bare':>8}")
    for name, (median, best) in medians.items():
        print(f"{name:48} {median:10.1f} {best:10.1f} {baseline / median:8.0%}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2000, help="queries per timeit run")
    parser.add_argument("--runs", type=int, default=5, help="timeit runs (the median and best are shown)")
    parser.add_argument("--one-cpu", action="store_true", help="confine the process to one CPU first")
    parser.add_argument("--wsgi", action="store_true", help="time whole requests too, beside a bare Flask app")
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
            if args.wsgi:
                wsgi_requests(settings, path, stores["process"].reader(), QUERIES["select"], args.repeat, args.runs)
        finally:
            for store in stores.values():
                store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
