"""Time coopgraph against a plain rdflib Graph doing the same work, in one run, and print the tables.

For each size (10k, 100k, 1M triples of synthetic data from benchmarks/generate.py):

- load: the ontology, shapes and data files into the store, one named graph per file;
- build: the whole ``coopgraph build --store`` (load, reasoning, validation, write), in a
  child process whose peak memory is measured; the rdflib baseline is owlrl's closure and
  pySHACL's validation of the same files;
- each stored query of queries/, with parameter values drawn from the synthetic graph; on
  a remote engine also "by hand": the very request the remote store sends, posted to the
  engine by a plain HTTP client and its answer read whole, unparsed but checked to hold
  as many results as the store read (the engine's own time, to which the remote store's
  overhead is compared);
- Turtle and JSON-LD export of the whole graph (all graphs but the shapes);
- HTTP throughput of ``coopgraph serve`` with 1, 2 and 4 workers, and their memory.

Backends side by side: the embedded store (pyoxigraph), a private Virtuoso (when installed;
``--no-virtuoso`` leaves it out), a private Oxigraph server (``oxigraph serve``, when
installed; ``--no-oxigraph-server`` leaves it out) and rdflib. Each figure is the median of ``--runs`` runs;
ratios are ours / rdflib (below 1 is faster than rdflib). rdflib runs fewer times at the
larger sizes, and the baselines that would take hours are left out (marked n/a), see
``--rdflib-build-max`` and ``--rdflib-max``.

    python benchmarks/run.py                         # everything (the 1M runs take a while)
    python benchmarks/run.py --sizes 10k --runs 3    # a quick look
"""

from __future__ import annotations

import os
import sys

# This folder holds other benchmark scripts (one is named http.py): keep them from
# shadowing the standard library when this file runs as a script.
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]

import argparse
import concurrent.futures
import datetime as dt
import gc
import importlib.util
import json
import platform
import shutil
import statistics
import subprocess
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pyoxigraph as ox
import requests

RESULTS_XML = "application/sparql-results+xml"

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "src"))

from coopgraph.config import load_settings  # noqa: E402
from coopgraph.export import export  # noqa: E402
from coopgraph.formats import RDF_FORMATS  # noqa: E402
from coopgraph.knowledge.build import build  # noqa: E402
from coopgraph.knowledge.loader import load_files, project_files  # noqa: E402
from coopgraph.queries import bind_parameters, load_stored_queries  # noqa: E402
from coopgraph.sparql import query_form  # noqa: E402
from coopgraph.store.base import bind_values  # noqa: E402
from coopgraph.store.embedded import OxigraphStore  # noqa: E402
from coopgraph.store.memory import preloaded_allocator  # noqa: E402

_spec = importlib.util.spec_from_file_location("benchmark_generate", HERE / "generate.py")
generate = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(generate)

BACKENDS = ("embedded", "virtuoso", "oxigraph-server", "rdflib")
#: The remote engines, in the order of their columns, with the names the tables give them.
REMOTES = {"virtuoso": "Virtuoso", "oxigraph-server": "Oxigraph server"}


@dataclass
class Measure:
    operation: str
    size: str
    backend: str
    seconds: list[float] = field(default_factory=list)
    note: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def median(self) -> float | None:
        return statistics.median(self.seconds) if self.seconds else None


def settings_for(project: Path, **overrides):
    return load_settings(environ={}, root=str(project), **overrides)


def timed(action, runs: int, setup=None) -> list[float]:
    """Run ``action`` ``runs`` times (``setup`` before each, untimed); return the durations."""
    out = []
    for _ in range(runs):
        state = setup() if setup else None
        gc.collect()
        started = time.perf_counter()
        action(state) if setup else action()
        out.append(time.perf_counter() - started)
    return out


def limited_runs(action, runs: int, limit: float) -> tuple[list[float], object, str]:
    """Run ``action`` ``runs`` times in a forked child that is killed when a run passes ``limit`` seconds.

    pyoxigraph cannot interrupt a query and rdflib has no time limit at all, so a
    pathological query would stall the whole benchmark. Returns (durations, the last
    result, a note saying what went wrong, or "").
    """
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        os.close(reader)
        with os.fdopen(writer, "w") as out:
            try:
                for _ in range(runs):
                    started = time.perf_counter()
                    result = action()
                    out.write(json.dumps({"seconds": time.perf_counter() - started, "result": result}) + "\n")
                    out.flush()
            except BaseException as exc:  # noqa: BLE001 - reported to the parent
                out.write(json.dumps({"error": f"{type(exc).__name__}: {str(exc)[:150]}"}) + "\n")
        os._exit(0)
    os.close(writer)
    times, result, note = [], None, ""
    with os.fdopen(reader) as lines:
        import selectors

        selector = selectors.DefaultSelector()
        selector.register(lines, selectors.EVENT_READ)
        while len(times) < runs:
            if not selector.select(timeout=limit):
                os.kill(pid, 9)
                note = f"stopped: a run took more than {limit:g} s"
                times = []
                break
            line = lines.readline()
            if not line:
                note = note or "the run died"
                break
            message = json.loads(line)
            if "error" in message:
                note = f"fails: {message['error']}"
                break
            times.append(message["seconds"])
            result = message["result"]
    os.waitpid(pid, 0)
    return times, result, note


def _proc_kib(path: str, field: str) -> int:
    """A ``Field:  N kB`` line of a /proc file, in bytes (0 if the process is gone)."""
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def rss_of(pid: int) -> int:
    return _proc_kib(f"/proc/{pid}/status", "VmRSS")


def pss_of(pid: int) -> int:
    """The process's proportional set size: its share of each page, so shared pages count once in a sum."""
    return _proc_kib(f"/proc/{pid}/smaps_rollup", "Pss")


def process_tree(pid: int) -> list[int]:
    """The process and all its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                children.setdefault(int(fields[1]), []).append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    out, stack = [], [pid]
    while stack:
        current = stack.pop()
        out.append(current)
        stack.extend(children.get(current, []))
    return out


def folder_size(path: Path) -> int:
    """Bytes the folder takes, each file once: a store folder's snapshots are hard links to its database's files.

    (Figures in RESULTS.md from before 2026-12-03 counted those links twice.)
    """
    seen: set[tuple[int, int]] = set()
    total = 0
    for item in path.rglob("*"):
        if item.is_file():
            stat = item.stat()
            if (stat.st_dev, stat.st_ino) not in seen:
                seen.add((stat.st_dev, stat.st_ino))
                total += stat.st_size
    return total


def mib(value: int) -> str:
    return f"{value / 2**20:,.0f} MiB"


# --- the rdflib baseline ------------------------------------------------------------------


def rdflib_dataset(files):
    import rdflib

    dataset = rdflib.Dataset()
    for source in files:
        dataset.graph(rdflib.URIRef(source.graph)).parse(str(source.path), format="turtle")
    return dataset


def rdflib_view(store: OxigraphStore):
    """The triples of the 'all' view (every graph but the shapes) in one rdflib Graph."""
    import rdflib

    graph = rdflib.Graph()
    for name in store.view("all"):
        graph.parse(data=store.dump(RDF_FORMATS["ntriples"], graph=name), format="nt")
    return graph


def rdflib_build(project: Path) -> None:
    """What the build does, the plain way: parse, owlrl's OWL 2 RL closure, pySHACL."""
    import owlrl
    import pyshacl
    import rdflib

    data = rdflib.Graph()
    for folder in ("ontology", "data"):
        for path in sorted((project / folder).glob("*.ttl")):
            data.parse(str(path), format="turtle")
    shapes = rdflib.Graph()
    for path in sorted((project / "shapes").glob("*.ttl")):
        shapes.parse(str(path), format="turtle")
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics).expand(data)
    pyshacl.validate(data, shacl_graph=shapes, inference="none", advanced=True, do_owl_imports=False)


# --- the pieces of one size ------------------------------------------------------------------


class SizeRun:
    def __init__(self, bench: Bench, size: str):
        self.bench = bench
        self.args = bench.args
        self.size = size
        self.target = generate.parse_size(size)
        self.project = bench.out / size
        self.runs = self.args.runs if self.target < 1_000_000 else max(1, min(self.args.runs, 3))
        self.rdflib_runs = 1 if self.target >= 100_000 else self.runs
        self.query_times: dict[str, float] = {}
        self.last_pss = 0  # the proportional set size of the last server measured (see throughput)

    def record(self, operation: str, backend: str, seconds: list[float], note: str = "", **extra) -> Measure:
        measure = Measure(operation, self.size, backend, seconds, note, extra)
        self.bench.measures.append(measure)
        shown = f"{measure.median:8.3f} s" if measure.median is not None else "     n/a  "
        print(f"  {self.size:>5} {operation:<34} {backend:<9} {shown}  {note}", flush=True)
        return measure

    def prepare(self) -> None:
        manifest = self.project / "manifest.json"
        fresh = manifest.exists() and json.loads(manifest.read_text()).get("target") == self.target
        if not fresh:
            print(f"generating {self.size} ...", flush=True)
            generate.write_project(self.project, self.target)
        else:  # the data is deterministic; the ontology, shapes and queries are the repository's of today
            generate.copy_schema(self.project)

    def run(self) -> None:
        self.prepare()
        only = self.args.only
        settings = settings_for(self.project)
        files = project_files(settings.ontology_dir, settings.shapes_dir, settings.data_dir, settings.iris)
        if "load" in only:
            self.load(settings, files)
        folder = self.build_embedded(record="build" in only)
        remotes = {name: self.build_remote(name, record="build" in only) for name in self.bench.remotes}
        if "build" in only:
            if self.target <= self.args.rdflib_build_max:
                times, _, note = limited_runs(lambda: rdflib_build(self.project), 1, self.args.build_limit)
                self.record("build", "rdflib", times, note or "owlrl closure + pySHACL (1 run)")
            else:
                self.record("build", "rdflib", [], "not run: owlrl and pySHACL need hours at this size")
        store = OxigraphStore(settings.iris, folder, read_only=True)
        baseline = None
        if self.target <= self.args.rdflib_max and ({"queries", "exports"} & only):
            print("  loading the built graph into rdflib for the baselines ...", flush=True)
            baseline = rdflib_view(store)
        if "queries" in only or "http" in only:
            self.queries(settings, store, remotes, baseline if "queries" in only else None, record="queries" in only)
        if "exports" in only:
            self.exports(store, remotes, baseline)
        del baseline
        gc.collect()
        store.close()
        if "http" in only:
            self.http(folder, remotes)
        for remote in remotes.values():
            remote.close()

    def load(self, settings, files) -> None:
        iris = settings.iris
        self.record(
            "load",
            "embedded",
            timed(lambda: load_files(OxigraphStore(iris), files, iris), self.runs),
            "files -> one named graph each, in memory",
        )
        for name, server in self.bench.remotes.items():

            def fresh(server=server):
                store = server.open_store(iris)
                store.replace_graphs({}, drop=store.graphs())
                return store

            self.record(
                "load",
                name,
                timed(lambda store: load_files(store, files, iris), self.runs, fresh),
                "Graph Store Protocol, staged then moved",
            )
        self.record(
            "load",
            "rdflib",
            timed(lambda: rdflib_dataset(files), self.rdflib_runs),
            "rdflib.Dataset, one graph per file",
        )

    def build_embedded(self, record: bool = True) -> Path:
        times, peaks = [], []
        target = self.bench.scratch / f"store-{self.size}"
        for _ in range(self.runs if record else 1):
            shutil.rmtree(target, ignore_errors=True)
            command = [
                sys.executable,
                "-m",
                "coopgraph.cli",
                "--root",
                str(self.project),
                "build",
                "--json",
                "--store",
                str(target),
            ]
            started = time.perf_counter()
            process = subprocess.Popen(
                command,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
            )
            _, status, usage = os.wait4(process.pid, 0)
            times.append(time.perf_counter() - started)
            peaks.append(usage.ru_maxrss * 1024)
            report = json.loads(process.stdout.read() or b"{}")
            process.returncode = os.waitstatus_to_exitcode(status)
            if process.returncode != 0:
                raise SystemExit(f"the build failed: {process.stderr.read().decode()[-2000:]}")
        if not record:
            return target
        steps = ", ".join(f"{s['step']} {s['seconds']:.1f} s" for s in report.get("steps", []))
        self.record(
            "build",
            "embedded",
            times,
            f"peak RSS {mib(max(peaks))}; last run: {steps}",
            peak_rss=max(peaks),
            triples=sum(report.get("graphs", {}).values()),
            store_bytes=folder_size(target),
        )
        return target

    def build_remote(self, name: str, record: bool = True):
        server = self.bench.remotes[name]
        settings = settings_for(self.project, store=server.store_spec, **credentials(server))
        store, report, times = None, None, []
        for _ in range(self.runs if record and self.target < 1_000_000 else 1):  # one at 1M: minutes each
            cleaner = server.open_store(settings.iris)
            cleaner.replace_graphs({}, drop=cleaner.graphs())
            started = time.perf_counter()
            store, report = build(settings)
            times.append(time.perf_counter() - started)
        if not record:
            return store
        steps = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in report.steps)
        self.record(
            "build",
            name,
            times,
            f"server RSS {mib(server.rss_bytes())}; last run: {steps}",
            server_rss=server.rss_bytes(),
        )
        return store

    def queries(self, settings, store, remotes, baseline, record: bool = True) -> None:
        """Time each stored query (when ``record``; else only once, to choose the HTTP mix)."""
        queries, errors = load_stored_queries(settings.queries_dir, settings.iris.prefixes())
        for error in errors:
            print(f"  stored query left out: {error}", flush=True)
        limit = self.args.query_limit
        # what `coopgraph serve` queries when the store fits query_memory_max_quads: a copy in
        # memory with the union of the graphs as its default graph
        memory = store.serving_copy() if record else None
        for name, query in sorted(queries.items()):
            raw = self.parameter_values(query, store)
            if raw is None:
                self.record(f"query {name}", "embedded", [], "no instance of a required parameter's class")
                continue
            bindings = bind_parameters(query, raw, store, settings.iris.prefixes())
            text = bind_values(query.text, bindings) if bindings else query.text

            def ours(target):
                return answer_size(target.query(query.text, bindings=bindings))

            times, rows, note = limited_runs(lambda: ours(store), self.runs * 2 if record else 1, limit)
            if times:
                self.query_times[name] = statistics.median(times)
            if not record:
                continue
            self.record(f"query {name}", "embedded", times, note or f"{rows} rows, from the store folder")
            times, _, note = limited_runs(lambda: ours(memory), self.runs * 2, limit)
            self.record(f"query {name} (in memory)", "embedded", times, note or "as served")
            for backend, remote in remotes.items():
                try:
                    self.record(
                        f"query {name}",
                        backend,
                        timed(lambda: remote.query(query.text, bindings=bindings, timeout=limit), self.runs * 2),
                    )
                except Exception as exc:  # noqa: BLE001 - a time limit or a server error is a result here
                    self.record(f"query {name}", backend, [], f"{type(exc).__name__}: {str(exc)[:120]}")
                    continue
                sent, rows = text_sent_by(remote, query.text, bindings)
                try:
                    times = timed(lambda: by_hand(remote, sent, limit, rows), self.runs * 2)
                    self.record(f"query {name} (by hand)", backend, times, f"{rows} rows")
                except Exception as exc:  # noqa: BLE001 - what the engine answered is the finding
                    self.record(f"query {name} (by hand)", backend, [], f"{type(exc).__name__}: {str(exc)[:200]}")
            if baseline is not None:
                runs = self.rdflib_runs if self.target >= 100_000 else self.runs
                times, _, note = limited_runs(lambda: len(list(baseline.query(text))), runs, limit)
                self.record(f"query {name}", "rdflib", times, note)
        if memory is not None:
            memory.close()

    def parameter_values(self, query, store) -> dict | None:
        return generate.parameter_values(query, store)

    def exports(self, store, remotes, baseline) -> None:
        # the built store read from its RocksDB files (coopgraph export --store), and the same
        # graph in memory (coopgraph export without --store, and what rdflib holds)
        memory = OxigraphStore(store.iris)
        memory.native.load(store.native.dump(format=ox.RdfFormat.N_QUADS), format=ox.RdfFormat.N_QUADS)
        for fmt, label in (("turtle", "Turtle"), ("jsonld", "JSON-LD")):

            def ours(target):
                with tempfile.TemporaryFile(dir=self.bench.scratch) as fh:
                    export(target, RDF_FORMATS[fmt], fh, view="all")

            self.record(f"export {label}", "embedded", timed(lambda: ours(store), self.runs), "from the store folder")
            self.record(f"export {label} (in memory)", "embedded", timed(lambda: ours(memory), self.runs))
            for backend, remote in remotes.items():
                self.record(f"export {label}", backend, timed(lambda: ours(remote), self.runs))
            if baseline is not None:

                def theirs():
                    with tempfile.TemporaryFile(dir=self.bench.scratch) as fh:
                        baseline.serialize(destination=fh, format="json-ld" if fmt == "jsonld" else "turtle")

                seconds = timed(theirs, self.rdflib_runs)
                self.record(f"export {label}", "rdflib", seconds)
                self.record(f"export {label} (in memory)", "rdflib", seconds)
        memory.close()

    def http(self, folder: Path, remotes) -> None:
        targets = [("embedded", str(folder), {})]
        for name in remotes:
            server = self.bench.remotes[name]
            targets.append(
                (
                    name,
                    server.store_spec,
                    {f"COOPGRAPH_{key.upper()}": value for key, value in credentials(server).items()},
                )
            )
        settings = settings_for(self.project)
        queries, _ = load_stored_queries(settings.queries_dir, settings.iris.prefixes())
        reader = OxigraphStore(settings.iris, folder, read_only=True)
        # the requests an endpoint mostly serves: the stored queries that answer within 200 ms here
        # (a pathological query would only measure itself), or the three fastest
        ranked = sorted(self.query_times, key=self.query_times.get)
        chosen = [n for n in ranked if self.query_times[n] < 0.2] or ranked[:3]
        texts = []
        for name in chosen:
            query = queries[name]
            raw = self.parameter_values(query, reader)
            if raw is not None:
                bindings = bind_parameters(query, raw, reader, settings.iris.prefixes())
                texts.append(bind_values(query.text, bindings) if bindings else query.text)
        reader.close()
        store_bytes = folder_size(folder)
        print(f"  HTTP mix: {', '.join(chosen)}", flush=True)
        for backend, spec, env in targets:
            for workers in (1, 2, 4):
                rate, rss, per_worker = self.throughput(spec, env, workers, texts)
                self.record(
                    f"HTTP /sparql, {workers} worker(s)",
                    backend,
                    [1 / rate] if rate else [],
                    f"{rate:,.1f} req/s; server RSS {mib(rss)} in all, {mib(per_worker)} per web worker, "
                    f"PSS {mib(self.last_pss)} in all (shared pages once)"
                    + (f"; store on disk {mib(store_bytes)}" if backend == "embedded" else ""),
                    requests_per_second=rate,
                    rss=rss,
                    pss=self.last_pss,
                    rss_per_worker=per_worker,
                )

    def throughput(self, spec: str, env: dict, workers: int, texts: list[str]) -> tuple[float, int, int]:
        port = generate_port()
        command = [
            sys.executable,
            "-m",
            "coopgraph.cli",
            "--root",
            str(self.project),
            "serve",
            "--store",
            spec,
            "--workers",
            str(workers),
            "--threads",
            "4",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ]
        log = open(self.bench.scratch / f"serve-{port}.log", "w+")
        process = subprocess.Popen(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, "PYTHONPATH": str(ROOT / "src"), "COOPGRAPH_QUERY_TIMEOUT": "30", **env},
        )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_until_serving(url, log, 120)
            # every worker answers once, then its query processes get a moment to start
            seen = set()
            for _ in range(50 * workers):
                response = requests.get(
                    url + "/sparql", params={"query": texts[0]}, headers={"Connection": "close"}, timeout=120
                )
                seen.add(response.headers.get("X-Coopgraph-Worker"))
                if len(seen) >= workers:
                    break
            time.sleep(5)
            done, failures, statuses = [0], [0], set()
            stop = time.monotonic() + self.args.http_seconds
            warmup = time.monotonic() + 2

            def client(index: int) -> None:
                session = requests.Session()
                n = index
                while time.monotonic() < stop:
                    text = texts[n % len(texts)]
                    if len(text) < 2000:  # as clients do: GET, and POST for what would not fit in a URL
                        response = session.get(url + "/sparql", params={"query": text}, timeout=60)
                    else:
                        response = session.post(url + "/sparql", data={"query": text}, timeout=60)
                    n += 1
                    if time.monotonic() > warmup:
                        if response.status_code == 200:
                            done[0] += 1
                        else:
                            failures[0] += 1
                            statuses.add(response.status_code)

            with concurrent.futures.ThreadPoolExecutor(self.args.http_clients) as pool:
                list(pool.map(client, range(self.args.http_clients)))
            rate = done[0] / (self.args.http_seconds - 2)
            tree = process_tree(process.pid)
            total = sum(rss_of(pid) for pid in tree)
            self.last_pss = sum(pss_of(pid) for pid in tree)
            web = [
                pid
                for pid in tree
                if pid != process.pid
                and Path(f"/proc/{pid}/cmdline").exists()
                and b"coopgraph.cli" in Path(f"/proc/{pid}/cmdline").read_bytes()
            ]
            per_worker = max((rss_of(pid) for pid in web), default=0)
            if failures[0]:
                print(f"    {failures[0]} requests failed (HTTP {sorted(statuses)})", flush=True)
            return rate, total, per_worker
        finally:
            stop_server(process, 20)
            log.close()


def wait_until_serving(url: str, log, seconds: float) -> None:
    """Wait for a server started by a benchmark to answer /health; stop with the end of its log if it does not."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if requests.get(url + "/health", timeout=5).status_code == 200:
                return
        except requests.RequestException:
            time.sleep(0.3)
    log.seek(0)
    raise SystemExit(f"coopgraph serve did not start:\n{log.read()[-2000:]}")


def stop_server(process: subprocess.Popen, seconds: float) -> None:
    """Stop a server's whole process group: politely, then for good after ``seconds``."""
    os.killpg(process.pid, 15)
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, 9)
        process.wait()


def credentials(server) -> dict:
    """The store settings a remote engine needs besides its address (Oxigraph server has no users)."""
    if getattr(server, "user", None):
        return {"store_user": server.user, "store_password": server.password}
    return {}


def generate_port() -> int:
    from coopgraph.store.virtuoso import free_port

    return free_port()


def answer_size(result) -> int:
    """The rows of a SELECT answer, or the triples of a graph answer."""
    return len(getattr(result, "rows", None) or getattr(result, "triples", None) or [])


def text_sent_by(remote, sparql: str, bindings) -> tuple[str, int]:
    """The query text a remote store sends the engine for ``sparql``, and the size of its answer.

    The text has the dataset clauses written in. It is the last text sent: the store may
    first read the data's version (to know whether its list of graphs still holds).
    """
    sent: list[str] = []
    run_it = remote._run
    remote._run = lambda text, *args: sent.append(text) or run_it(text, *args)
    try:
        size = answer_size(remote.query(sparql, bindings=bindings))
    finally:
        del remote._run  # the class's method again
    return sent[-1], size


def by_hand(remote, text: str, limit: float, rows: int) -> int:
    """Send the request the remote store sends for ``text`` with a plain HTTP client; read the answer whole.

    No parsing: what is left is the engine's own time. The answer must hold ``rows``
    results (what the store read), so an error or a cut answer sent with status 200 is
    not taken for a fast one.
    """
    graph = query_form(text) in ("CONSTRUCT", "DESCRIBE")
    data, headers = remote.query_request(text, "application/n-triples" if graph else RESULTS_XML, limit)
    response = requests.post(remote.endpoint_url, data=data, headers=headers, timeout=limit)
    response.raise_for_status()
    state = response.headers.get("X-SQL-State")
    got = response.content.count(b"\n") if graph else response.content.count(b"<result>")
    if state or got != rows:
        raise RuntimeError(f"answered {got} rows, not {rows} (X-SQL-State {state}): {response.content[:160]!r}")
    return len(response.content)


class Bench:
    def __init__(self, args):
        self.args = args
        self.out = args.out
        self.out.mkdir(parents=True, exist_ok=True)
        self.scratch = Path(tempfile.mkdtemp(prefix="coopgraph-bench-", dir=self.out))
        self.measures: list[Measure] = []
        #: the remote engines that run, by backend name (a private server each)
        self.remotes: dict = {}

    def start_virtuoso(self) -> None:
        from coopgraph.store.virtuoso import LocalVirtuoso, virtuoso_binary

        if virtuoso_binary() is None:
            print("Virtuoso is not installed: its column stays empty", flush=True)
            return
        self.remotes["virtuoso"] = LocalVirtuoso(
            self.scratch / "virtuoso", buffers=self.args.virtuoso_buffers, max_rows=10_000_000
        ).start()

    def start_oxigraph_server(self) -> None:
        from coopgraph.store.oxigraph_server import LocalOxigraph, oxigraph_binary

        if oxigraph_binary() is None:
            print("Oxigraph server is not installed (pip install oxigraph): its column stays empty", flush=True)
            return
        self.remotes["oxigraph-server"] = LocalOxigraph(
            self.scratch / "oxigraph-server", timeout_seconds=int(self.args.query_limit)
        ).start()

    def run(self) -> None:
        started = time.perf_counter()
        try:
            if not self.args.no_virtuoso:
                self.start_virtuoso()
            if not self.args.no_oxigraph_server:
                self.start_oxigraph_server()
            for size in self.args.sizes:
                SizeRun(self, size).run()
        finally:
            for server in self.remotes.values():
                server.stop()
            shutil.rmtree(self.scratch, ignore_errors=True)
        report = self.report(time.perf_counter() - started)
        print("\n" + report)
        (self.out / "results.md").write_text(report)
        (self.out / "results.json").write_text(
            json.dumps([{**asdict(m), "median": m.median} for m in self.measures], indent=1)
        )

    def report(self, seconds: float) -> str:
        lines = [
            f"Run of {dt.date.today().isoformat()} on {machine()}; {seconds / 60:.0f} min in all.",
            f"Median of {self.args.runs} runs (at most 3 at 1M; rdflib once from 100k); "
            "ratio = ours / rdflib (below 1: faster than rdflib).",
            "",
        ]
        for size in self.args.sizes:
            lines += [
                f"### {size} triples",
                "",
                "| operation | embedded | ratio | "
                + "".join(f"{title} | ratio | " for title in REMOTES.values())
                + "rdflib | notes |",
                "| --- | ---: | ---: | " + "---: | ---: | " * len(REMOTES) + "---: | --- |",
            ]
            operations = list(dict.fromkeys(m.operation for m in self.measures if m.size == size))
            for operation in operations:
                by = {m.backend: m for m in self.measures if m.size == size and m.operation == operation}
                base = by.get("rdflib").median if by.get("rdflib") else None
                cells = []
                for backend in ("embedded", *REMOTES):
                    m = by.get(backend)
                    value = m.median if m else None
                    cells.append(fmt_seconds(value, operation))
                    cells.append(f"{value / base:.3f}" if value and base else "")
                notes = "; ".join(f"{b}: {m.note}" for b, m in by.items() if m.note)
                lines.append(f"| {operation} | {' | '.join(cells)} | {fmt_seconds(base, operation)} | {notes} |")
            lines.append("")
        return "\n".join(lines)


def fmt_seconds(value: float | None, operation: str) -> str:
    if value is None:
        return "n/a"
    if operation.startswith("HTTP"):
        return f"{1 / value:,.0f} req/s"
    return f"{value * 1000:,.1f} ms" if value < 1 else f"{value:,.2f} s"


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return (
        f"{os.cpu_count()} cores ({cpu}), {memory / 2**30:.0f} GiB RAM, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}, "
        f"pyoxigraph {ox.__version__ if hasattr(ox, '__version__') else ''}, allocator {allocator()}".strip()
    )


def allocator() -> str:
    """The memory allocator of this process: glibc's malloc, or one preloaded (LD_PRELOAD).

    It changes query times: under glibc, a thread that has run a large query answers
    later ones up to 1.6x slower (RESULTS.md, issue 16, seventh pass).
    """
    preloaded = preloaded_allocator()
    return f"{preloaded} (preloaded)" if preloaded else "glibc malloc"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10k,100k,1M", help="comma-separated: 10k,100k,1M (default all)")
    parser.add_argument("--runs", type=int, default=5, help="runs per figure (median); at most 3 at 1M")
    parser.add_argument("--out", type=Path, default=generate.DEFAULT_OUT, help="where data and results go")
    parser.add_argument("--no-virtuoso", action="store_true", help="leave the Virtuoso backend out")
    parser.add_argument("--no-oxigraph-server", action="store_true", help="leave the Oxigraph server backend out")
    parser.add_argument("--no-http", action="store_true", help="leave the HTTP throughput out")
    parser.add_argument(
        "--only",
        default="load,build,queries,exports,http",
        help="operations to time (default all): load,build,queries,exports,http",
    )
    parser.add_argument("--http-seconds", type=float, default=10.0, help="length of each throughput run")
    parser.add_argument("--http-clients", type=int, default=8, help="concurrent clients")
    parser.add_argument("--query-limit", type=float, default=60.0, help="seconds a query run may take")
    parser.add_argument("--build-limit", type=float, default=1800.0, help="seconds the rdflib build may take")
    parser.add_argument("--virtuoso-buffers", type=int, default=250_000, help="Virtuoso's 8 KiB page cache")
    parser.add_argument(
        "--rdflib-build-max",
        type=generate.parse_size,
        default=generate.parse_size("100k"),
        help="largest size for the owlrl + pySHACL baseline (default 100k)",
    )
    parser.add_argument(
        "--rdflib-max",
        type=generate.parse_size,
        default=generate.parse_size("1M"),
        help="largest size for the other rdflib baselines (default 1M)",
    )
    args = parser.parse_args(argv)
    args.sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    args.only = {s.strip() for s in args.only.split(",") if s.strip()} - ({"http"} if args.no_http else set())
    Bench(args).run()


if __name__ == "__main__":
    main()
