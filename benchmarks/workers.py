"""Memory of a whole server by number of web workers, on a store folder, with the pages served too.

``coopgraph serve --store FOLDER`` is started with 1, 2 and 4 workers (4 threads each) on
127.0.0.1. Each worker is asked, over new connections so the arbiter spreads them, for a
small SPARQL query, the stored-query list, the home page and a place's page (and with
``--search`` a search too), ``--rounds`` times per worker. Then the proportional set size (PSS, from
``/proc/PID/smaps_rollup``) is summed over the server's processes: PSS counts a page shared
by several processes once in all, so the sum is what the server holds. The table also
gives the arbiter's share and the largest worker's.

Target (issue 16): 4 workers in at most twice the memory of 1.

    python benchmarks/workers.py --store /path/to/store-folder --project /path/to/project
"""

from __future__ import annotations

import os
import sys

sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]

import argparse  # noqa: E402
import importlib.util  # noqa: E402
import subprocess  # noqa: E402
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

MIB = 2**20
SMALL_QUERY = "SELECT ?s WHERE { ?s a <http://www.w3.org/2004/02/skos/core#Concept> } LIMIT 5"


def requests_for(url: str, search: bool) -> list[tuple[str, dict]]:
    """What a visitor and a client ask for: (path, query parameters)."""
    found = requests.get(
        url + "/sparql",
        params={"query": "SELECT ?s WHERE { ?s a <https://w3id.org/coopgraph/ontology#Municipality> } LIMIT 1"},
        headers={"Accept": "application/sparql-results+json"},
        timeout=600,
    ).json()["results"]["bindings"]
    asks = [("/sparql", {"query": SMALL_QUERY}), ("/api/queries", {}), ("/", {})]
    if search:
        asks.append(("/search", {"q": "city"}))
    if found:
        asks.append(("/resource", {"iri": found[0]["s"]["value"]}))
    return asks


def measure(project: Path, store: Path, workers: int, rounds: int, env: dict, search: bool) -> dict:
    port = run.generate_port()
    command = [sys.executable, "-m", "coopgraph.cli", "--root", str(project), "serve", "--store", str(store)]
    command += ["--workers", str(workers), "--threads", "4", "--host", "127.0.0.1", "--port", str(port)]
    log = open(Path("/tmp") / f"coopgraph-workers-{port}.log", "w+")
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
        asks = requests_for(url, search)
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
    args = parser.parse_args(argv)
    env = dict(item.split("=", 1) for item in args.env)
    results = []
    for count in [int(n) for n in args.workers.split(",")]:
        result = measure(args.project, args.store, count, args.rounds, env, args.search)
        results.append(result)
        print(
            f"  {count} worker(s): {result['total'] / MIB:,.0f} MiB in all, answers {result['statuses']}, "
            f"{result['seconds']:.0f} s",
            flush=True,
        )
    base = results[0]["total"]
    print()
    print("| workers | PSS, whole server | arbiter | largest worker | processes | / first row |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in results:
        print(
            f"| {r['workers']} | {r['total'] / MIB:,.0f} MiB | {r['arbiter'] / MIB:,.0f} MiB | "
            f"{r['largest worker'] / MIB:,.0f} MiB | {r['processes']} | {r['total'] / base:.2f} |"
        )


if __name__ == "__main__":
    main()
