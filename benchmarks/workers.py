"""Memory of a whole server by number of web workers, on a store folder, with the pages served too.

``coopgraph serve --store FOLDER`` is started with 1, 2 and 4 workers (4 threads each) on
127.0.0.1. Each worker is asked, over new connections so the arbiter spreads them, for a
small SPARQL query, the stored-query list, the home page and a place's page (and with
``--search`` a search too), ``--rounds`` times per worker. Then the proportional set size (PSS, from
``/proc/PID/smaps_rollup``) is summed over the server's processes: PSS counts a page shared
by several processes once in all, so the sum is what the server holds. The table also
gives the arbiter's share and the largest worker's.

Target (issue 16): 4 workers in at most twice the memory of 1.

``--bare`` adds the floor: a bare Flask + pyoxigraph app under the same gunicorn settings,
each worker opening the same published snapshot read-only, asked the same SPARQL queries
(it has no pages). ``--sparql-only`` asks coopgraph those SPARQL queries only, so the two
rows compare like with like.

    python benchmarks/workers.py --store /path/to/store-folder --project /path/to/project [--bare]
"""

from __future__ import annotations

import os
import sys

sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]

import argparse  # noqa: E402
import atexit  # noqa: E402
import importlib.util  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import requests  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"benchmark_{name}", HERE / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


run = _load("run")  # process_tree, pss_of, generate_port, wait_until_serving, stop_server
http_bench = _load("http")  # BARE_APP, the floor: Flask + pyoxigraph, nothing else

MIB = 2**20
SMALL_QUERY = "SELECT ?s WHERE { ?s a <http://www.w3.org/2004/02/skos/core#Concept> } LIMIT 5"
CITY_QUERY = "SELECT ?s WHERE { ?s a <https://w3id.org/coopgraph/ontology#Municipality> } LIMIT 1"
#: the pairings per programme: an aggregate over the whole graph, as the home page's figures
COUNT_QUERY = (
    "SELECT ?p (COUNT(?x) AS ?n) WHERE { ?x <https://w3id.org/coopgraph/ontology#isCarriedOutWithin> ?p } GROUP BY ?p"
)


def requests_for(url: str, search: bool, sparql_only: bool = False) -> list[tuple[str, dict]]:
    """What a visitor and a client ask for: (path, query parameters)."""
    found = requests.get(
        url + "/sparql",
        params={"query": CITY_QUERY},
        headers={"Accept": "application/sparql-results+json"},
        timeout=600,
    ).json()["results"]["bindings"]
    asks = [("/sparql", {"query": SMALL_QUERY}), ("/sparql", {"query": COUNT_QUERY})]
    if found:
        city = found[0]["s"]["value"]
        asks.append(("/sparql", {"query": f"CONSTRUCT {{ <{city}> ?p ?o }} WHERE {{ <{city}> ?p ?o }}"}))
    if sparql_only:
        return asks
    asks += [("/api/queries", {}), ("/", {})]
    if search:
        asks.append(("/search", {"q": "city"}))
    if found:
        asks.append(("/resource", {"iri": found[0]["s"]["value"]}))
    return asks


def bare_command(store: Path, workers: int, port: int) -> tuple[list[str], dict]:
    """gunicorn serving BARE_APP on the store's published snapshot, as coopgraph serve runs it."""
    store = store.resolve()  # gunicorn runs in another folder
    snapshot = store / "snapshots" / (store / "snapshots" / "CURRENT").read_text().strip()
    folder = Path(tempfile.mkdtemp(prefix="bare-app-"))
    atexit.register(shutil.rmtree, folder, True)
    (folder / "bare_app.py").write_text(http_bench.BARE_APP)
    gunicorn = Path(sys.executable).parent / "gunicorn"
    command = [str(gunicorn), "--chdir", str(folder), "-b", f"127.0.0.1:{port}", "-w", str(workers)]
    command += ["--threads", "4", "-k", "gthread", "bare_app:app"]
    return command, {"BENCH_SNAPSHOT": str(snapshot)}


def measure(
    project: Path, store: Path, workers: int, rounds: int, env: dict, search: bool, *, bare=False, sparql_only=False
) -> dict:
    port = run.generate_port()
    if bare:
        command, extra = bare_command(store, workers, port)
        env = {**env, **extra}
    else:
        command = [sys.executable, "-m", "coopgraph.cli", "--root", str(project), "serve", "--store", str(store)]
        command += ["--workers", str(workers), "--threads", "4", "--host", "127.0.0.1", "--port", str(port)]
    log = tempfile.TemporaryFile("w+")  # read back if the server fails to start; gone when closed
    process = subprocess.Popen(
        command,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src"), **env},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        run.wait_until_serving(url, log, 180)
        started = time.perf_counter()
        asks = requests_for(url, search, sparql_only or bare)
        statuses: dict[int, int] = {}
        for _ in range(rounds * workers):
            for path, params in asks:
                response = requests.get(url + path, params=params, headers={"Connection": "close"}, timeout=600)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        seconds = time.perf_counter() - started
        time.sleep(2)
        tree = run.process_tree(process.pid)
        pss = {pid: run.pss_of(pid) for pid in tree}
        children = [pid for pid in tree if pid != process.pid]
        return {
            "workers": workers,
            "total": sum(pss.values()),
            "arbiter": pss.get(process.pid, 0),
            "largest worker": max((pss[p] for p in children), default=0),
            "processes": len(tree),
            "statuses": statuses,
            "seconds": seconds,
        }
    finally:
        run.stop_server(process, 30)
        log.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--project", type=Path, required=True, help="the project the store was built from")
    parser.add_argument("--store", type=Path, required=True, help="a built store folder")
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--rounds", type=int, default=10, help="times each worker is asked for each request")
    parser.add_argument("--env", action="append", default=[], help="NAME=VALUE for the server (repeatable)")
    parser.add_argument("--search", action="store_true", help="ask for a search too (each worker loads the index)")
    parser.add_argument("--sparql-only", action="store_true", help="ask coopgraph the SPARQL queries only")
    parser.add_argument("--bare", action="store_true", help="measure the bare Flask + pyoxigraph app too (the floor)")
    args = parser.parse_args(argv)
    env = dict(item.split("=", 1) for item in args.env)
    counts = [int(n) for n in args.workers.split(",")]
    servers = [("coopgraph", False)] + ([("bare Flask+pyoxigraph", True)] if args.bare else [])
    results = []
    for name, bare in servers:
        for count in counts:
            result = measure(
                args.project, args.store, count, args.rounds, env, args.search, bare=bare, sparql_only=args.sparql_only
            )
            result["server"] = name
            results.append(result)
            print(
                f"  {name}, {count} worker(s): {result['total'] / MIB:,.0f} MiB in all, "
                f"answers {result['statuses']}, {result['seconds']:.0f} s",
                flush=True,
            )
    print()
    print("| server | workers | PSS, whole server | arbiter | largest worker | processes | / its first row |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in results:
        base = next(b for b in results if b["server"] == r["server"])["total"]
        print(
            f"| {r['server']} | {r['workers']} | {r['total'] / MIB:,.0f} MiB | {r['arbiter'] / MIB:,.0f} MiB | "
            f"{r['largest worker'] / MIB:,.0f} MiB | {r['processes']} | {r['total'] / base:.2f} |"
        )


if __name__ == "__main__":
    main()
