"""HTTP benchmark of the SPARQL endpoint: requests/s and p50/p99 latency on 127.0.0.1.

Side by side in one run, each serving the same file:

- coopgraph: ``coopgraph serve --data FILE`` (gunicorn, every feature on: negotiation,
  ETag, CORS, access log, Server-Timing, time limit in a killable query process, row cap);
- bare: a Flask app that only runs the query on pyoxigraph and writes SPARQL JSON, under
  the same gunicorn settings (the baseline: what the endpoint's features cost);
- rdflib-endpoint: the usual way to serve a file with rdflib (uvicorn).

Two queries: a one-entity lookup and a join (the pairings of a theme with the labels of
their participants), on the curated graph (when it exists) and on ~100k synthetic
triples. Load: wrk (Debian package ``wrk``), 4 connections, keep-alive.

    python benchmarks/http.py [--seconds 4] [--rounds 3] [--triples 100000] [--workers 2] [--threads 4]
"""

from __future__ import annotations

import sys
from pathlib import Path

# This file is named http.py, as asked; run as a script its folder comes first on
# sys.path and would hide the standard library's http package from requests.
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)

import argparse
import os
import platform
import random
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import textwrap
import time
import urllib.parse

import requests

ROOT = Path(__file__).resolve().parent.parent
CG = "https://w3id.org/coopgraph/ontology#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
SYN = "https://example.org/synthetic/"

LOOKUP = "SELECT ?p ?o WHERE {{ <{entity}> ?p ?o }}"
JOIN = textwrap.dedent("""\
    PREFIX cg: <https://w3id.org/coopgraph/ontology#>
    PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
    SELECT ?pairing ?authority ?label WHERE {{
      ?pairing a cg:Pairing ; cg:hasTheme <{theme}> ; cg:hasParticipant ?authority .
      ?authority rdfs:label ?label .
    }}""")

# The other shapes of query a public endpoint is asked (issue 16): an aggregate over every
# pairing, a property path, a text filter and a CONSTRUCT. Measured with and without the answer
# cache; without it every request evaluates its query.
AGGREGATE = textwrap.dedent("""\
    PREFIX cg: <https://w3id.org/coopgraph/ontology#>
    SELECT ?theme (COUNT(?pairing) AS ?pairings) WHERE {{
      ?pairing a cg:Pairing ; cg:hasTheme ?theme .
    }} GROUP BY ?theme ORDER BY DESC(?pairings) LIMIT 100""")
PATH = textwrap.dedent("""\
    PREFIX cg: <https://w3id.org/coopgraph/ontology#>
    SELECT DISTINCT ?partner WHERE {{
      <{entity}> ^cg:hasParticipant/cg:hasParticipant ?partner .
      FILTER(?partner != <{entity}>)
    }}""")
TEXT = textwrap.dedent("""\
    PREFIX cg: <https://w3id.org/coopgraph/ontology#>
    PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
    SELECT ?theme ?label WHERE {{
      ?theme a cg:Theme ; rdfs:label ?label .
      FILTER(CONTAINS(LCASE(STR(?label)), "{word}"))
    }}""")
CONSTRUCT = textwrap.dedent("""\
    PREFIX cg: <https://w3id.org/coopgraph/ontology#>
    PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
    CONSTRUCT {{ ?pairing cg:hasParticipant ?authority . ?authority rdfs:label ?label }} WHERE {{
      ?pairing a cg:Pairing ; cg:hasTheme <{theme}> ; cg:hasParticipant ?authority .
      ?authority rdfs:label ?label .
    }}""")
#: What each shape is asked for: SELECT answers as SPARQL JSON, graphs as N-Triples.
ACCEPT = {"construct": "application/n-triples"}
JSON = "application/sparql-results+json"


def shapes(entity: str, theme: str, word: str, every: bool) -> dict[str, str]:
    """The queries of one run: the two of record, and with ``every`` the other shapes too."""
    queries = {"lookup": LOOKUP.format(entity=entity), "join": JOIN.format(theme=theme)}
    if every:
        queries |= {
            "aggregate": AGGREGATE.format(),
            "path": PATH.format(entity=entity),
            "text filter": TEXT.format(word=word),
            "construct": CONSTRUCT.format(theme=theme),
        }
    return queries


BARE_APP = textwrap.dedent('''\
    """The baseline: Flask + pyoxigraph, nothing else (a Turtle file loaded, or a store folder read)."""
    import os
    import pyoxigraph as ox
    from flask import Flask, Response, request

    if os.environ.get("BENCH_SNAPSHOT"):
        store = ox.Store.read_only(os.environ["BENCH_SNAPSHOT"])
    else:
        store = ox.Store()
        store.bulk_load(path=os.environ["BENCH_FILE"], format=ox.RdfFormat.TURTLE)
    app = Flask(__name__)

    @app.get("/sparql")
    def sparql():
        result = store.query(request.args["query"], use_default_graph_as_union=True)
        if isinstance(result, ox.QueryTriples):
            return Response(result.serialize(format=ox.RdfFormat.N_TRIPLES), mimetype="application/n-triples")
        return Response(result.serialize(format=ox.QueryResultsFormat.JSON),
                        mimetype="application/sparql-results+json")

    @app.get("/health")
    def health():
        return "ok"
''')


# --- data ---------------------------------------------------------------------------


def synthetic_turtle(path: Path, triples: int, seed: int = 7) -> tuple[str, str, int]:
    """Write a made-up graph of about ``triples`` triples; return (lookup entity, join theme, size).

    Everything is obviously synthetic (example.org, "Testville n"). The shape follows the
    curated graph: pairings of local authorities, each with themes and labels.
    """
    rng = random.Random(seed)
    themes = max(10, triples // 500)
    cities = max(20, triples // 20)
    lines = [f"@prefix cg: <{CG}> .", f"@prefix rdfs: <{RDFS}> .", f"@prefix syn: <{SYN}> .", ""]
    count = 0
    for t in range(themes):
        lines.append(f'syn:theme-{t} a cg:Theme ; rdfs:label "Synthetic theme {t}"@en .')
        count += 2
    for c in range(cities):
        lines.append(f'syn:city-{c} a cg:LocalAuthority ; rdfs:label "Testville {c}"@en , "テストヴィル{c}"@ja .')
        count += 3
    pairing = 0
    while count < triples:
        a, b = rng.randrange(cities), rng.randrange(cities)
        topic = rng.randrange(themes)
        lines.append(
            f'syn:pairing-{pairing} a cg:Pairing ; rdfs:label "Testville pairing {pairing}"@en ; '
            f"cg:hasParticipant syn:city-{a} , syn:city-{b} ; cg:hasTheme syn:theme-{topic} ."
        )
        count += 5
        pairing += 1
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return f"{SYN}city-{cities // 2}", f"{SYN}theme-{themes // 3}", count


def word_of(theme: str) -> str:
    """A word of the join theme's label for the text filter: its number (synthetic) or its last name part."""
    name = theme.rstrip("/").rsplit("/", 1)[-1].rsplit("-", 1)[-1]
    return name.lower()


def curated_turtle(path: Path) -> tuple[str, str, int] | None:
    """Export the curated graph (all graphs but the shapes) to one file; None if there is none yet."""
    if not any((ROOT / "data").glob("*.ttl")):
        return None
    sys.path.insert(0, str(ROOT / "src"))
    from coopgraph.config import load_settings
    from coopgraph.formats import RDF_FORMATS
    from coopgraph.knowledge.build import build

    store, _ = build(load_settings(environ={}, root=str(ROOT)))
    data = b"".join(store.dump(RDF_FORMATS["ntriples"], graph=g) for g in store.view("all"))
    path.write_bytes(data)
    theme = store.select(
        f"SELECT ?t (COUNT(?p) AS ?n) WHERE {{ ?p a <{CG}Pairing> ; <{CG}hasTheme> ?t }} "
        "GROUP BY ?t ORDER BY DESC(?n) LIMIT 1"
    )
    entity = store.select(f"SELECT ?s WHERE {{ ?s a <{CG}Pairing> }} ORDER BY ?s LIMIT 1")
    if not theme or not entity:
        return None
    return entity[0]["s"].value, theme[0]["t"].value, data.count(b"\n")


# --- servers ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    def __init__(self, name: str, command: list[str], env: dict | None = None, path: str = "/sparql"):
        self.name = name
        self.path = path
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [part.replace("{port}", str(self.port)) for part in command]
        self.log = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            command,
            env={**os.environ, **(env or {})},
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=ROOT,
        )
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.log.seek(0)
                raise RuntimeError(f"{name} exited:\n{self.log.read().decode(errors='replace')[-3000:]}")
            try:
                if requests.get(self.url + path, params={"query": "ASK {}"}, timeout=5).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"{name} did not start")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()


def start_servers(data: Path, workers: int, threads: int, workdir: Path, only: set[str] | None = None) -> list[Server]:
    bin_dir = Path(sys.executable).parent
    bare = workdir / "bare_app.py"
    bare.write_text(BARE_APP)
    # wrk's connections stand for several clients, but all come from 127.0.0.1: the per-client
    # fair share (at most 2 queries at once per worker) would make them wait on each other.
    quiet = {"COOPGRAPH_QUERY_TIMEOUT": "10", "COOPGRAPH_MAX_QUERIES_PER_CLIENT": "0"}
    servers = []
    try:
        command = [
            sys.executable,
            "-m",
            "coopgraph.cli",
            "serve",
            "--data",
            str(data),
            "--host",
            "127.0.0.1",
            "--port",
            "{port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
        ]

        def wanted(key: str) -> bool:
            return only is None or key in only

        if wanted("cached"):
            servers.append(Server("coopgraph", command, env=quiet))
        # The same, answering every request by evaluating the query (the benchmark repeats one
        # query text, which the answer cache would otherwise answer after the first time).
        if wanted("uncached"):
            servers.append(
                Server("coopgraph, no answer cache", command, env={**quiet, "COOPGRAPH_ANSWER_CACHE_ENTRIES": "0"})
            )
        # the baseline is always measured: every figure is a share of it
        servers.append(
            Server(
                "bare Flask+pyoxigraph",
                [
                    str(bin_dir / "gunicorn"),
                    "--chdir",
                    str(workdir),
                    "-b",
                    "127.0.0.1:{port}",
                    "-w",
                    str(workers),
                    "--threads",
                    str(threads),
                    "-k",
                    "gthread",
                    "bare_app:app",
                ],
                env={"BENCH_FILE": str(data)},
            )
        )
        # rdflib-endpoint's command line serves the endpoint at the root
        if wanted("rdflib"):
            servers.append(
                Server(
                    "rdflib-endpoint",
                    [str(bin_dir / "rdflib-endpoint"), "serve", str(data), "--host", "127.0.0.1", "--port", "{port}"],
                    path="/",
                )
            )
    except BaseException:
        for server in servers:
            server.stop()
        raise
    return servers


# --- load -------------------------------------------------------------------------------

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def wrk(url: str, seconds: float, connections: int = 4, accept: str = JSON) -> dict:
    """Run wrk and return requests/s, p50/p99 in ms and the count of non-2xx answers."""
    out = subprocess.run(
        ["wrk", "-t", str(min(2, connections)), "-c", str(connections), "-d", f"{max(1, round(seconds))}s", "--latency"]
        + ["-H", f"Accept: {accept}", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    def latency(percent: str) -> float:
        value, unit = re.search(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s|m)\s*$", out, re.M).groups()
        return float(value) * _UNITS[unit]

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": latency("50"),
        "p99": latency("99"),
        "errors": int(errors.group(1)) if errors else 0,
    }


def measure(servers: list[Server], queries: dict[str, str], seconds: float, rounds: int) -> dict:
    """Measure every (query, server) cell ``rounds`` times, interleaved, and keep each cell's median round.

    Interleaving spreads any background load on the machine over all servers alike.
    """
    paths, rows = {}, {}
    for name, query in queries.items():
        accept = ACCEPT.get(name, JSON)
        for server in servers:
            path = server.path + "?" + urllib.parse.urlencode({"query": query})
            # check every server answers (and how many rows) before timing it
            answer = requests.get(server.url + path, headers={"Accept": accept}, timeout=120)
            answer.raise_for_status()
            if accept == JSON:
                rows[(name, server.name)] = len(answer.json()["results"]["bindings"])
            else:
                rows[(name, server.name)] = sum(1 for line in answer.text.splitlines() if line.strip())
            paths[(name, server.name)] = server.url + path
            wrk(server.url + path, 1, accept=accept)  # warm up
    runs: dict[tuple, list] = {key: [] for key in paths}
    for _ in range(rounds):
        for key, url in paths.items():
            slow = key[1] == "rdflib-endpoint" and rows[key] >= 50
            if slow and runs[key]:
                continue  # one round is enough at a few requests per second
            runs[key].append(wrk(url, seconds, accept=ACCEPT.get(key[0], JSON)))
    results = {}
    for key, measured in runs.items():
        measured.sort(key=lambda r: r["rps"])
        results[key] = {**measured[len(measured) // 2], "rows": rows[key], "rounds": len(measured)}
    return results


def table(title: str, results: dict, queries: dict) -> str:
    lines = [
        f"### {title}",
        "",
        "| query | server | rows | req/s | p50 ms | p99 ms | vs bare |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name in queries:
        bare = results[(name, "bare Flask+pyoxigraph")]["rps"]
        for (query, server), r in results.items():
            if query != name:
                continue
            flag = f" ({r['errors']} non-2xx)" if r["errors"] else ""
            lines.append(
                f"| {query} | {server} | {r['rows']} | {r['rps']:,.0f}{flag} | {r['p50']:.2f} | "
                f"{r['p99']:.2f} | {r['rps'] / bare:.0%} |"
            )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4, help="per measurement")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds; the median is kept")
    parser.add_argument("--triples", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument(
        "--every-shape",
        action="store_true",
        help="add the aggregate, property path, text filter and CONSTRUCT queries (issue 16)",
    )
    parser.add_argument(
        "--servers",
        default="",
        help="comma-separated subset of: cached, uncached, bare, rdflib (default all)",
    )
    args = parser.parse_args()
    only = set(filter(None, args.servers.split(","))) or None
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed (Debian: apt-get install wrk)")
    workdir = Path(tempfile.mkdtemp(prefix="coopgraph-bench-"))
    print(
        f"# {time.strftime('%Y-%m-%d')} · {platform.node()} · {os.cpu_count()} CPU · "
        f"{platform.processor() or platform.machine()}"
        f" · Python {platform.python_version()} · gunicorn {args.workers} worker(s) x {args.threads} thread(s)"
        f" · wrk 4 connections, median of {args.rounds} interleaved {args.seconds:g} s rounds\n"
    )
    datasets = []
    curated = curated_turtle(workdir / "curated.nt")
    if curated is None:
        print("(no curated graph yet: data/ is empty; synthetic data only)\n")
    else:
        datasets.append(("curated graph", workdir / "curated.nt", curated))
    synthetic = workdir / "synthetic.ttl"
    datasets.append(("synthetic", synthetic, synthetic_turtle(synthetic, args.triples)))
    try:
        for title, path, (entity, theme, size) in datasets:
            queries = shapes(entity, theme, word_of(theme), args.every_shape)
            servers = start_servers(path, args.workers, args.threads, workdir, only)
            try:
                results = measure(servers, queries, args.seconds, args.rounds)
            finally:
                for server in servers:
                    server.stop()
            print(table(f"{title} ({size:,} triples)", results, queries))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
