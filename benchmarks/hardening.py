"""Issue 14 under load: runaway queries beside light ones, and a soak of mixed and bad traffic.

    .venv/bin/python benchmarks/hardening.py runaway --seconds 30
    .venv/bin/python benchmarks/hardening.py soak --minutes 10

runaway: one client keeps eight runaway queries going while another sends light
queries, one after another; the light client's latencies (p50/p95/p99) and answer
counts, with the per-client share on and (baseline) off, side by side with ratios.

soak: mixed load on one server (SPARQL queries, stored queries, pages, 200 signed
contributions, and every kind of bad input issue 14 lists), then the checks: every
contribution answered 201 is there and whole (same bytes, checksum and triple count),
no worker died (the server's log), and the memory of the server (RSS of the master and
every process under it, from /proc) grew less than 10% from after warm-up to the end.

Both build the miniature test project into a temporary store and run `coopgraph serve`
on 127.0.0.1; every loop is bounded in count and time. Prints tables.
"""

from __future__ import annotations

import os
import sys

# This folder holds a script named http.py, which would stand in for the standard library's http.
sys.path = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]

import argparse
import collections
import concurrent.futures
import hashlib
import json
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pyoxigraph as ox
import requests

ROOT = Path(__file__).resolve().parent.parent
MINI = ROOT / "tests" / "fixtures" / "mini"
ID = "https://w3id.org/coopgraph/id/"
EX = "https://example.org/mini#"
TOKEN = "tok-soak"
CHEAP = "SELECT ?s WHERE { ?s a <https://example.org/mini#Region> } ORDER BY ?s"
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o }"
HEAVY, LIGHT = {"X-Forwarded-For": "192.0.2.1"}, {"X-Forwarded-For": "192.0.2.2"}


# --- the server -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """`coopgraph serve` on the miniature store, in a process group of its own."""

    def __init__(self, folder: Path, env: dict, workers: int = 2, threads: int = 4):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = folder.parent / f"server-{self.port}.log"
        self.log = open(self.log_path, "w+")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "coopgraph.cli",
                "serve",
                "--store",
                str(folder),
                "--workers",
                str(workers),
                "--threads",
                str(threads),
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
            ],
            cwd=MINI,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, "COOPGRAPH_TRUSTED_PROXIES": "127.0.0.1", **env},
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(self.url + "/health", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                time.sleep(0.2)
        raise RuntimeError("the server did not start; see " + str(self.log_path))

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")

    def rss_bytes(self) -> int:
        """Resident memory of the master and every process under it."""
        children: dict[int, list[int]] = collections.defaultdict(list)
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                ppid = int(stat.rsplit(")", 1)[1].split()[1])
                children[ppid].append(int(entry.name))
        total, todo = 0, [self.process.pid]
        while todo:
            pid = todo.pop()
            todo.extend(children.get(pid, []))
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            match = re.search(r"VmRSS:\s+(\d+) kB", status)
            total += int(match.group(1)) * 1024 if match else 0
        return total

    def stop(self) -> None:
        import signal

        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()


def build_store(folder: Path) -> Path:
    from coopgraph.config import load_settings
    from coopgraph.knowledge.build import build

    store = folder / "store"
    build(load_settings(environ={}, root=MINI, store=str(store)))[0].close()
    return store


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def table(rows: list[list], header: list[str]) -> str:
    cells = [header] + [[f"{c:.3f}" if isinstance(c, float) else str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = [" | ".join(c.ljust(w) for c, w in zip(row, widths)) for row in cells]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines)


# --- runaway --------------------------------------------------------------------------------------


def runaway_run(store: Path, seconds: float, share: int, query_timeout: float) -> dict:
    server = Server(
        store, {"COOPGRAPH_MAX_QUERIES_PER_CLIENT": str(share), "COOPGRAPH_QUERY_TIMEOUT": str(query_timeout)}
    )
    stop = threading.Event()
    heavy_statuses: collections.Counter = collections.Counter()

    def heavy_loop():
        with requests.Session() as session:
            for _ in range(10_000):
                if stop.is_set():
                    return
                try:
                    answer = session.get(
                        server.url + "/sparql", params={"query": RUNAWAY}, headers=HEAVY, timeout=query_timeout * 4
                    )
                    heavy_statuses[answer.status_code] += 1
                    if answer.status_code == 429:
                        time.sleep(min(1.0, float(answer.headers.get("Retry-After", 1))))
                except requests.RequestException:
                    heavy_statuses["error"] += 1

    timings, statuses = [], collections.Counter()
    try:
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            for _ in range(8):
                pool.submit(heavy_loop)
            time.sleep(0.5)
            ends = time.monotonic() + seconds
            with requests.Session() as session:
                while time.monotonic() < ends and len(timings) < 200_000:
                    started = time.monotonic()
                    try:
                        answer = session.get(server.url + "/sparql", params={"query": CHEAP}, headers=LIGHT, timeout=30)
                        statuses[answer.status_code] += 1
                    except requests.RequestException:
                        statuses["error"] += 1
                    timings.append(time.monotonic() - started)
            stop.set()
        restarts = server.log_text().count("retiring worker")
    finally:
        stop.set()
        server.stop()
    return {"timings": timings, "statuses": statuses, "heavy": heavy_statuses, "retired": restarts}


def runaway(args) -> None:
    with tempfile.TemporaryDirectory(prefix="coopgraph-hardening-") as tmp:
        store = build_store(Path(tmp))
        runs = {
            "per-client share": runaway_run(store, args.seconds, args.share, args.query_timeout),
            "baseline (share off)": runaway_run(store, args.seconds, 0, args.query_timeout),
        }
    base = runs["baseline (share off)"]["timings"]
    rows = []
    for name, run in runs.items():
        t = run["timings"]
        rows.append(
            [
                name,
                len(t),
                run["statuses"].get(200, 0),
                run["statuses"].get(429, 0),
                sum(v for k, v in run["statuses"].items() if k not in (200, 429)),
                percentile(t, 0.5),
                percentile(t, 0.95),
                percentile(t, 0.99),
                percentile(t, 0.99) / percentile(base, 0.99) if base else float("nan"),
                dict(run["heavy"]),
                run["retired"],
            ]
        )
    print(
        f"\nrunaway: 8 runaway queries (query_timeout {args.query_timeout:g} s) from one client, light queries "
        f"from another, {args.seconds:g} s; 2 workers x 4 threads; latencies in seconds"
    )
    print(
        table(
            rows,
            [
                "mode",
                "light sent",
                "200",
                "429",
                "other",
                "p50",
                "p95",
                "p99",
                "p99 / baseline",
                "runaway answers",
                "workers retired",
            ],
        )
    )


# --- soak -----------------------------------------------------------------------------------------


def contribution(number: int) -> bytes:
    """A made-up, conforming pairing of the miniature graph (with a few lines of its own, to vary size)."""
    slug = f"soak-{number}"
    extra = "".join(
        f'<{ID}pairing/{slug}> <http://www.w3.org/2000/01/rdf-schema#comment> "note {i}"@en .\n'
        for i in range(number % 7)
    )
    return (
        f"<{ID}pairing/{slug}> a <{EX}Pairing> ; <http://www.w3.org/2000/01/rdf-schema#label> "
        f'"Soak pairing {number}"@en ;\n  <{EX}participant> <{ID}city/alpha>, <{ID}city/gamma> ; '
        f"<{EX}euParticipant> <{ID}city/gamma> .\n{extra}"
    ).encode()


def raw_exchange(port: int, data: bytes, trickle: float = 0.0, read_seconds: float = 30) -> bytes:
    """Send ``data`` (a byte every ``trickle`` seconds if set, at most 10 of them), return what comes back."""
    with socket.create_connection(("127.0.0.1", port), timeout=read_seconds) as sock:
        try:
            if trickle:
                for byte in data[:10]:
                    sock.send(bytes([byte]))
                    time.sleep(trickle)
            else:
                sock.sendall(data)
        except OSError:
            pass
        answer = b""
        while len(answer) < 1_000_000:
            try:
                part = sock.recv(65536)
            except OSError:
                break
            if not part:
                break
            answer += part
    return answer


def status_of(answer: bytes) -> int | str:
    try:
        return int(answer.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return "no answer"


def bad_inputs(port: int, url: str) -> dict:
    """One of each kind of bad input from issue 14: name -> a function that sends it and returns the status."""

    def chunked(path: str, body: bytes, content_type: str) -> int | str:
        head = (
            f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: {content_type}\r\nTransfer-Encoding: chunked\r\n"
            f"Connection: close\r\n\r\n"
        ).encode()
        chunks = b"".join(
            b"%x\r\n%s\r\n" % (len(body[i : i + 65536]), body[i : i + 65536]) for i in range(0, len(body), 65536)
        )
        return status_of(raw_exchange(port, head + chunks + b"0\r\n\r\n"))

    def post(path, data, content_type, **kw):
        try:
            return requests.post(
                url + path, data=data, headers={"Content-Type": content_type}, timeout=60, **kw
            ).status_code
        except requests.RequestException:
            return "no answer"

    deep_sparql = "SELECT * WHERE {" + "{" * 2500 + "?s ?p ?o" + "}" * 2500 + "}"
    deep_jsonld = '{"@id": "urn:x:0", "urn:x:p": ' * 3000 + '"end"' + "}" * 3000
    oversize = contribution(0) + b"# " + b"x" * 6_500_000 + b"\n"
    return {
        "deep SPARQL nesting": lambda: post("/sparql", deep_sparql, "application/sparql-query"),
        "deep JSON-LD": lambda: post("/api/validate", deep_jsonld, "application/ld+json"),
        "chunked oversize contribution": lambda: chunked("/api/contributions", oversize, "text/turtle"),
        "chunked oversize validation": lambda: chunked("/api/validate", oversize, "text/turtle"),
        "slow trickle": lambda: status_of(
            raw_exchange(port, b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n", trickle=1.0, read_seconds=40)
        ),
        "U+0001 literal": lambda: post(
            "/sparql",
            'SELECT ?x WHERE { BIND("a\u0001b" AS ?x) }',
            "application/sparql-query",
            params={"format": "xml"},
        ),
        "huge bad token": lambda: post(
            "/sparql", "SELECT * WHERE { ?s ?p " + "x" * 4_000_000 + " }", "application/sparql-query"
        ),
    }


def soak(args) -> None:
    seconds = args.minutes * 60
    warm_up = min(60.0, max(10.0, seconds * 0.1))
    with tempfile.TemporaryDirectory(prefix="coopgraph-soak-") as tmp:
        store = build_store(Path(tmp))
        server = Server(
            store, {"COOPGRAPH_CONTRIBUTOR_TOKENS": json.dumps({TOKEN: "Soak Tester"}), "COOPGRAPH_QUERY_TIMEOUT": "5"}
        )
        try:
            results = soak_load(server, seconds, warm_up, args.contributions)
        finally:
            server.stop()
            log = server.log_text()
            shutil.copy(server.log_path, Path(tempfile.gettempdir()) / "coopgraph-soak-server.log")
    report_soak(results, log, args)


def soak_load(server: Server, seconds: float, warm_up: float, contributions: int) -> dict:
    stop = threading.Event()
    counts: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    timings: dict[str, list[float]] = collections.defaultdict(list)
    accepted: dict[str, bytes] = {}
    lock = threading.Lock()

    def record(kind: str, status, started: float) -> None:
        with lock:
            counts[kind][status] += 1
            timings[kind].append(time.monotonic() - started)

    def loop(kind: str, send, pause: float) -> None:
        with requests.Session() as session:
            for _ in range(1_000_000):
                if stop.is_set():
                    return
                started = time.monotonic()
                try:
                    status = send(session)
                except requests.RequestException:
                    status = "no answer"
                record(kind, status, started)
                stop.wait(pause)

    city = f"{ID}city/alpha"
    senders = {
        "SPARQL query": lambda s: s.get(server.url + "/sparql", params={"query": CHEAP}, timeout=30).status_code,
        "stored query": lambda s: (
            s.get(server.url + "/api/queries/city-pairings/results", params={"city": city}, timeout=30).status_code
        ),
        "page": lambda s: (
            s.get(server.url + "/queries/labels", timeout=30, headers={"Accept": "text/html"}).status_code
        ),
    }

    def contribute(session, number: int) -> None:
        data = contribution(number)
        started = time.monotonic()
        try:
            answer = session.post(
                server.url + "/api/contributions",
                data=data,
                timeout=60,
                params={"description": f"soak {number}"},
                headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "text/turtle"},
            )
            status = answer.status_code
            if status == 201:
                with lock:
                    accepted[answer.json()["id"]] = data
        except requests.RequestException:
            status = "no answer"
        record("contribution", status, started)

    def contributor() -> None:
        interval = (seconds - warm_up) / max(1, contributions)
        with requests.Session() as session:
            for number in range(contributions):
                if stop.wait(interval if number else 0):
                    return
                contribute(session, number)

    bad = bad_inputs(server.port, server.url)

    def bad_sender() -> None:
        for round_number in range(10_000):
            for kind, send in bad.items():
                if stop.is_set():
                    return
                started = time.monotonic()
                record("bad: " + kind, send(), started)
                stop.wait(2)

    threads = [threading.Thread(target=loop, args=(kind, send, 0.02), daemon=True) for kind, send in senders.items()]
    threads.append(threading.Thread(target=bad_sender, daemon=True))
    end = time.monotonic() + seconds
    for thread in threads:
        thread.start()
    # Warm-up also validates a few contributions (nothing is stored), so that every kind of
    # process the run will use (each web worker's validation processes) exists before the
    # memory is first measured: their start is not growth.
    with requests.Session() as session:
        for number in range(12):
            session.post(
                server.url + "/api/validate",
                data=contribution(10_000 + number),
                timeout=60,
                headers={"Content-Type": "text/turtle", "Connection": "close"},
            )
    stop.wait(warm_up)
    rss_after_warm_up = server.rss_bytes()
    writer = threading.Thread(target=contributor, daemon=True)
    writer.start()
    writer.join(seconds - warm_up + 120)  # the contributions are spread over the rest of the run
    stop.wait(max(0.0, end - time.monotonic()))  # the planned length, not that again after the writer
    stop.set()
    for thread in threads:
        thread.join(90)
    rss_end = server.rss_bytes()

    whole, broken = 0, []
    with requests.Session() as session:
        for cid, data in accepted.items():
            answer = session.get(server.url + f"/api/contributions/{cid}", timeout=30)
            record_json = answer.json() if answer.status_code == 200 else {}
            sent_triples = len(list(ox.parse(data, format=ox.RdfFormat.TURTLE)))
            quads = session.get(server.url + f"/api/contributions/{cid}", params={"format": "nquads"}, timeout=30)
            stored = (
                [
                    q
                    for q in ox.parse(quads.content, format=ox.RdfFormat.N_QUADS)
                    if isinstance(q.graph_name, ox.NamedNode) and q.graph_name.value == record_json.get("graph")
                ]
                if quads.status_code == 200
                else []
            )
            if (
                record_json.get("sha256") == hashlib.sha256(data).hexdigest()
                and record_json.get("bytes") == len(data)
                and record_json.get("triples") == sent_triples == len(stored)
            ):
                whole += 1
            else:
                broken.append(cid)
    return {
        "counts": counts,
        "timings": timings,
        "accepted": len(accepted),
        "whole": whole,
        "broken": broken,
        "rss_warm": rss_after_warm_up,
        "rss_end": rss_end,
    }


def report_soak(results: dict, log: str, args) -> None:
    rows = []
    for kind in sorted(results["counts"]):
        statuses = results["counts"][kind]
        t = results["timings"][kind]
        rows.append(
            [
                kind,
                sum(statuses.values()),
                ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items(), key=str)),
                percentile(t, 0.5),
                percentile(t, 0.99),
            ]
        )
    print(f"\nsoak: {args.minutes:g} minutes of mixed load on 2 workers x 4 threads (latencies in seconds)")
    print(table(rows, ["requests", "sent", "answers", "p50", "p99"]))
    died = sum(
        1
        for line in log.splitlines()
        if re.search(r"Worker \(pid:\d+\) (?:was sent|exited)|died|SIGSEGV|SIGKILL", line)
    )
    retired = log.count("retiring worker")
    growth = (results["rss_end"] - results["rss_warm"]) / results["rss_warm"] if results["rss_warm"] else float("nan")
    checks = [
        ["contributions answered 201", results["accepted"], ""],
        [
            "... present and whole",
            results["whole"],
            "PASS"
            if results["whole"] == results["accepted"] and not results["broken"]
            else f"FAIL {results['broken'][:5]}",
        ],
        ["workers died (server log)", died, "PASS" if died == 0 else "FAIL"],
        ["workers retired (runaway queries)", retired, ""],
        ["server RSS after warm-up (MB)", results["rss_warm"] / 1e6, ""],
        ["server RSS at the end (MB)", results["rss_end"] / 1e6, ""],
        ["RSS growth", f"{growth:+.1%}", "PASS" if growth < 0.10 else "FAIL"],
    ]
    print()
    print(table(checks, ["check", "value", "verdict"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("runaway", help="light queries beside eight runaway ones")
    run.add_argument("--seconds", type=float, default=30)
    run.add_argument("--share", type=int, default=2, help="max_queries_per_client for the measured run")
    run.add_argument("--query-timeout", type=float, default=3)
    run.set_defaults(func=runaway)
    long = commands.add_parser("soak", help="mixed and bad traffic, then integrity and memory checks")
    long.add_argument("--minutes", type=float, default=10)
    long.add_argument("--contributions", type=int, default=200)
    long.set_defaults(func=soak)
    args = parser.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
