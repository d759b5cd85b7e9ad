"""The build pipeline: load the curated files -> validate -> reason -> check stored queries.

Each step is timed and reported; the CLI prints the report and the web app shows it on
/health. On disk, a build writes a fresh store beside the old one and swaps it in only
when every step passed, so a failed build never leaves a half-built store behind, and
accepted contributions are carried over into the new store.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
import rdflib

from ..config import Settings
from ..errors import NotConforming
from ..folders import swap_in
from ..formats import RDF_FORMATS
from ..namespaces import DCT, PROV, RDFS, SKOS, XSD, Iris
from ..queries import load_stored_queries
from ..store.base import Store
from ..store.embedded import OxigraphStore
from ..store.memory import release_free_memory
from ..store.spec import open_store, store_spec
from .attribution import NOT_COUNTED_STEMS, Coverage, counted_graphs, has_records, statement_coverage
from .loader import SourceFile, load_files, project_files
from .reasoning import ReasoningReport, reason
from .validation import ValidationReport, class_hierarchy, compile_shapes, validate_store

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]

#: Threads for the build's work in memory: validation checks, and the rules of a round of reasoning.
CORES = os.cpu_count() or 1

#: The scratch graph holding every asserted triple while the embedded store is validated.
VALIDATION_GRAPH = "urn:coopgraph:validation"


@dataclass
class BuildReport:
    graphs: dict[str, int] = field(default_factory=dict)
    steps: list[tuple[str, float]] = field(default_factory=list)
    reasoning: ReasoningReport | None = None
    validation: ValidationReport | None = None
    query_errors: list = field(default_factory=list)
    stored_queries: int = 0
    version: str = ""
    coverage: Coverage | None = None
    min_statement_source_share: float = 0.0

    @property
    def sources_short(self) -> bool:
        """True when fewer statements name their source than the setting asks."""
        return self.coverage is not None and self.coverage.share < self.min_statement_source_share

    @property
    def ok(self) -> bool:
        return self.validation is None or not self.validation.has_violations

    @property
    def total_triples(self) -> int:
        return sum(self.graphs.values())

    def to_dict(self) -> dict:
        return {
            "ok": self.ok,
            "version": self.version,
            "graphs": self.graphs,
            "steps": [{"step": name, "seconds": round(sec, 3)} for name, sec in self.steps],
            "inferred": self.reasoning.inferred if self.reasoning else None,
            "validation": self.validation.counts() if self.validation else None,
            "storedQueries": self.stored_queries,
            "storedQueryErrors": [str(e) for e in self.query_errors],
            "statementSources": self.coverage.to_dict() if self.coverage else None,
        }


def label_lookup(store: Store) -> Callable[[object], str | None]:
    """Return a function giving a resource's English (or any) label, for readable reports.

    The function also has ``many(terms)``, which looks up many resources in one query
    (a report may name thousands, and a remote store answers each request in
    milliseconds, not microseconds).
    """
    query = (
        f"SELECT ?l WHERE {{ ?s <{RDFS}label>|<{SKOS}prefLabel> ?l }} "
        "ORDER BY DESC(langMatches(lang(?l), 'en')) DESC(lang(?l) = '') LIMIT 1"
    )

    def lookup(term) -> str | None:
        if not isinstance(term, ox.NamedNode):
            return None
        rows = store.select(query, bindings={"s": term})
        return rows[0]["l"].value if rows else None

    def rank(label: ox.Literal) -> tuple:
        language = (label.language or "").lower()
        return (not (language == "en" or language.startswith("en-")), language != "")

    def many(terms) -> dict[str, str]:
        """Labels of many resources, by IRI: the label ``lookup`` would give each (ties: the first found)."""
        iris = sorted({t.value for t in terms if isinstance(t, ox.NamedNode)})
        best: dict[str, ox.Literal] = {}
        for start in range(0, len(iris), 500):
            values = " ".join(f"<{iri}>" for iri in iris[start : start + 500])
            for row in store.select(
                f"SELECT ?s ?l WHERE {{ VALUES ?s {{ {values} }} ?s <{RDFS}label>|<{SKOS}prefLabel> ?l }}"
            ):
                label, subject = row["l"], row["s"].value
                if isinstance(label, ox.Literal) and (subject not in best or rank(label) < rank(best[subject])):
                    best[subject] = label
        return {subject: label.value for subject, label in best.items()}

    lookup.many = many
    return lookup


def shapes_graph(store: Store) -> rdflib.Graph:
    """Copy the shapes graph out of the store into rdflib, in bulk."""
    graph = rdflib.Graph()
    data = store.dump(RDF_FORMATS["ntriples"], graph=store.iris.shapes_graph)
    graph.parse(data=data, format="nt")
    return graph


def data_graphs(store: Store) -> list[str]:
    """The graphs reasoning reads instances from: curated data and contributions."""
    iris = store.iris
    skip = {iris.ontology_graph, iris.shapes_graph, iris.inferred_graph, iris.meta_graph}
    return [g for g in store.graphs() if g not in skip]


def run_reasoning(store: Store, *, threads: int = CORES) -> ReasoningReport:
    iris = store.iris
    return reason(
        store,
        data_graphs(store),
        ontology_graph=iris.ontology_graph,
        inferred_graph=iris.inferred_graph,
        threads=threads,
    )


def reason_again(store: Store) -> ReasoningReport:
    """Reason from scratch over a store in use (after a withdrawal or a maintainer's write).

    Reasoning from scratch deletes the whole inferred graph, and an in-memory store keeps
    what deleted quads held until :meth:`Store.reclaim` gives it back.
    """
    report = run_reasoning(store)
    store.reclaim()
    return report


def run_validation(store: Store, *, timeout: float | None = None) -> ValidationReport:
    """Validate the asserted data (with the ontology for class hierarchies), not the inferred triples.

    Why: with rdfs:range inference every object of a range-typed property becomes an
    instance of the range class, so sh:class could never catch a reference to a resource
    that exists nowhere. The shapes say what contributors must assert.
    """
    return _validate(store, timeout=timeout)[0]


def validate_and_count_sources(store: Store) -> tuple[ValidationReport, Coverage]:
    """Validate (as :func:`run_validation`) and count the statement sources, over one copy of the asserted graphs.

    Why together: both read the asserted graphs, and the count is a DISTINCT over the
    data graphs, which the copy merges anyway (10M triples: 33 s over ten graphs). The
    data graphs go into the copy first and are counted there as one graph; the other
    asserted graphs follow, then the checks run.
    """
    report, coverage = _validate(store, count_sources=True)
    assert coverage is not None
    return report, coverage


def _validate(
    store: Store, *, timeout: float | None = None, count_sources: bool = False
) -> tuple[ValidationReport, Coverage | None]:
    """Validation, and with ``count_sources`` the statement sources' coverage, of ``store``.

    In the embedded store the asserted graphs are first copied into one scratch graph:
    pyoxigraph looks a pattern up once per graph of a default graph made of many, and
    the checks run ten times faster on a single graph (the copy takes a second per
    million triples, all in Rust).
    """
    graphs = store.view("asserted")
    shapes = shapes_graph(store)
    if not isinstance(store, OxigraphStore):  # a remote store is asked one check at a time, as before
        report = _check(store, store, shapes, graphs, timeout=timeout, threads=1)
        return report, statement_coverage(store) if count_sources else None
    target = OxigraphStore(store.iris)
    try:
        coverage = None
        counted = counted_graphs(store, store.iris) if count_sources else []
        copy_graphs(store, target, counted, into=VALIDATION_GRAPH)
        if count_sources:
            # the records and the source register, under their own names, for the count's joins
            for stem in NOT_COUNTED_STEMS:
                if store.iris.data_graph(stem) in graphs:
                    copy_graphs(store, target, [store.iris.data_graph(stem)])
            began = time.perf_counter()
            coverage = statement_coverage(target, graphs=[VALIDATION_GRAPH] if counted else [])
            log.debug("validation: statement sources counted in %.2f s", time.perf_counter() - began)
        copy_graphs(store, target, [g for g in graphs if g not in counted], into=VALIDATION_GRAPH)
        # the checks take a core each
        report = _check(store, target, shapes, [VALIDATION_GRAPH], timeout=timeout, threads=CORES)
        return report, coverage
    finally:
        target.close()
        release_free_memory()


def _check(store: Store, target: Store, shapes: rdflib.Graph, graphs: list[str], *, timeout, threads):
    """Run the shapes' checks on ``graphs`` of ``target`` (``store`` itself or its copy)."""
    checks = compile_shapes(shapes, store.iris.prefixes(), hierarchy=class_hierarchy(target, graphs))
    return validate_store(
        target, checks, default_graphs=graphs, labels=label_lookup(store), timeout=timeout, threads=threads
    )


def copy_graphs(source: Store, target: OxigraphStore, graphs: list[str], *, into: str | None = None) -> None:
    """Copy ``graphs`` of ``source`` into ``target``: each into the graph ``into``, or under its own name.

    Each graph goes as N-Triples, all in Rust. (Dumping the next graph in a thread while
    one loads saved 8% of the copy at 1M, within the noise of the whole step: not done.)
    """
    for graph in graphs:
        data = source.dump(RDF_FORMATS["ntriples"], graph=graph)
        target.native.load(data, format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(into or graph))


def write_meta(store: Store, report: BuildReport) -> str:
    """Record the build's time and version in the meta graph; return the version."""
    iris = store.iris
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    version = now.strftime("%Y%m%dT%H%M%SZ") + f"-{store.count()}"
    meta = ox.NamedNode(iris.meta_graph)
    quads = [
        ox.Quad(meta, ox.NamedNode(DCT + "hasVersion"), ox.Literal(version), meta),
        ox.Quad(
            meta,
            ox.NamedNode(DCT + "modified"),
            ox.Literal(now.isoformat().replace("+00:00", "Z"), datatype=ox.NamedNode(XSD + "dateTime")),
            meta,
        ),
        ox.Quad(
            meta,
            ox.NamedNode(PROV + "generatedAtTime"),
            ox.Literal(now.isoformat().replace("+00:00", "Z"), datatype=ox.NamedNode(XSD + "dateTime")),
            meta,
        ),
    ]
    store.replace_graphs({iris.meta_graph: quads})
    return version


def build_into(
    store: Store, settings: Settings, *, progress: Progress | None = None, validate: bool = True
) -> BuildReport:
    """Run every step against ``store``; raise NotConforming if the shapes report violations."""
    iris = store.iris
    report = BuildReport()
    files = project_files(settings.ontology_dir, settings.shapes_dir, settings.data_dir, iris)

    def timed(name: str, action):
        started = time.perf_counter()
        result = action()
        report.steps.append((name, time.perf_counter() - started))
        return result

    loaded = [0]

    def on_file(source: SourceFile) -> None:
        loaded[0] += 1
        if progress:
            progress("load", loaded[0], len(files))

    def load():
        wanted = {f.graph for f in files}
        stale = [g for g in store.graphs() if g.startswith(iris.graph_base + "data/") and g not in wanted]
        load_files(store, files, iris, progress=on_file)
        if stale:
            store.replace_graphs({}, drop=stale)

    timed("load", load)
    # Validation reads the asserted graphs only, so it runs before reasoning: its scratch copy
    # of them is freed before the inferred graph (as large as the data) joins the store, and
    # the build's peak is the larger of the two rather than their sum.
    if validate:
        report.validation, report.coverage = timed("validate", lambda: validate_and_count_sources(store))
        if progress:
            progress("validate", 1, 1)
    else:
        report.coverage = timed("statement sources", lambda: statement_coverage(store))
    report.reasoning = timed("reason", lambda: run_reasoning(store))
    if progress:
        progress("reason", 1, 1)
    # The minimum holds for data that keeps statement records; a project without any reports its 0% only.
    report.min_statement_source_share = settings.min_statement_source_share if has_records(store) else 0.0
    queries, errors = timed("stored queries", lambda: load_stored_queries(settings.queries_dir, iris.prefixes()))
    report.stored_queries, report.query_errors = len(queries), errors
    report.version = write_meta(store, report)
    report.graphs = store.graph_counts()
    if not report.ok:
        raise NotConforming(
            f"the data does not conform to the shapes: {len(report.validation.violations)} violation(s)", report=report
        )
    if report.sources_short:
        raise NotConforming(
            f"too few statements name their source: {report.coverage.share:.1%}, "
            f"below the minimum of {report.min_statement_source_share:.1%} "
            f"(queries/checks/statement-without-source-violation.rq lists them)",
            report=report,
        )
    return report


def build(settings: Settings, *, progress: Progress | None = None, validate: bool = True) -> tuple[Store, BuildReport]:
    """Build the graph where ``settings.store`` says: in memory, or into a folder (swapped in on success)."""
    spec = store_spec(settings)
    if spec.is_memory or spec.is_remote:
        store = open_store(settings)
        report = build_into(store, settings, progress=progress, validate=validate)
        store.rebuild_union()  # a remote store keeps the union of its graphs for fast queries (not in memory)
        return store, report
    return _build_on_disk(spec.path, settings, progress=progress, validate=validate)


def _build_on_disk(path: Path, settings: Settings, *, progress: Progress | None, validate: bool):
    """Build in memory, write the result into a staging folder and swap it in; contributions come along.

    Why in memory: reasoning and validation are many SPARQL updates and queries, which
    pyoxigraph answers about five times faster in memory than through RocksDB
    transactions; the finished graph then goes to disk in one bulk load.

    A server may accept or withdraw contributions while the build runs, so the final
    step holds the store's write lock: it catches up with any such change, writes,
    publishes and swaps the folders, and only then lets writers in again (they then
    write to the new store). Nothing accepted is lost to a rebuild.
    """
    from ..store.snapshots import publish_snapshot, write_lock

    iris = settings.iris
    staging = path.with_name(path.name + ".building")
    if staging.exists():
        shutil.rmtree(staging)
    existing = (path / "db").exists()
    working = OxigraphStore(iris)
    fresh = None
    try:
        carried = _carry_over_contributions(path, working, iris) if existing else None
        report = build_into(working, settings, progress=progress, validate=validate)
        with write_lock(path) if existing else contextlib.nullcontext():
            if existing and _published_state(path) != carried:
                log.info("contributions changed during the build; carrying them over again")
                _carry_over_contributions(path, working, iris)
                report.reasoning = run_reasoning(working)
                report.version = write_meta(working, report)
                report.graphs = working.graph_counts()
            started = time.perf_counter()
            fresh = OxigraphStore(iris, staging)
            dump = staging / "build.nq"
            # through a file rather than quad by quad: both ends stay in Rust (twice as fast);
            # the store folder keeps the union of its graphs (fast queries), written there too
            working.dump_with_union(dump)
            log.debug("write: dumped the graphs and their union after %.1f s", time.perf_counter() - started)
            working.close()
            # the bulk load sorts in threads of its own, which glibc serves from other arenas:
            # without this the freed graph stayed resident beside them (1M: peak 2.47 -> 1.65 GiB with
            # validation first)
            release_free_memory()
            fresh.native.bulk_load(path=str(dump), format=ox.RdfFormat.N_QUADS)
            dump.unlink()
            log.debug("write: bulk-loaded into the folder after %.1f s", time.perf_counter() - started)
            # The bulk load leaves many overlapping files, each of which a lookup may have to
            # read; compacting them once here (1M: 7 s) made the heavy stored queries from the
            # store folder twice as fast (documents-and-studies 1.30 -> 0.55 s). Snapshots are
            # hard links to these files, so every later snapshot starts from them too.
            fresh.native.optimize()
            log.debug("write: compacted after %.1f s", time.perf_counter() - started)
            publish_snapshot(staging, fresh)
            fresh.close()
            report.steps.append(("write", time.perf_counter() - started))
            swap_in(staging, path)
    except BaseException:
        if fresh is not None:
            fresh.close()
        shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        if working.native is not None:
            working.close()
    return OxigraphStore(iris, path), report


def _published_state(path: Path) -> str | None:
    """What identifies the state readers of a store folder see (its current snapshot)."""
    from ..store.snapshots import current_snapshot

    return current_snapshot(path)


def _carry_over_contributions(path: Path, fresh: OxigraphStore, iris: Iris) -> str | None:
    """Copy accepted contributions (and their provenance) from the previous store; return its state.

    They are read from the published snapshot, the state every reader saw and every
    acknowledged contribution is in, not from the primary, which a writer cut short may
    have left half-changed. Contribution graphs the previous store no longer has
    (withdrawn meanwhile) are dropped from the new one.
    """
    from ..store.snapshots import snapshots_dir

    state = _published_state(path)
    if state is not None:
        old = OxigraphStore.wrap(iris, ox.Store.read_only(str(snapshots_dir(path) / state)))
    else:
        old = OxigraphStore(iris, path, read_only=True)
    try:
        keep = {g: old.dump(RDF_FORMATS["ntriples"], graph=g) for g in old.graphs() if iris.is_contribution_graph(g)}
    finally:
        old.close()
    gone = [g for g in fresh.graphs() if iris.is_contribution_graph(g) and g not in keep]
    fresh.replace_graphs(keep, RDF_FORMATS["ntriples"], drop=gone)
    return state
