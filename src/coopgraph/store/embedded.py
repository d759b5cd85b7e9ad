"""The embedded backend: the graph in pyoxigraph, in memory or in a folder (RocksDB)."""

from __future__ import annotations

import concurrent.futures
import contextlib
import json
import logging
import shutil
import threading
import time
from pathlib import Path

import pyoxigraph as ox

from ..errors import QueryFailed, QuerySyntaxError, QueryTimeout, RdfSyntaxError, StoreError, UsageError
from ..formats import serialize_ask, syntax_position, tsv_for_every_reader, xml_safe
from ..namespaces import Iris
from ..sparql import reads_default_graph_only
from .base import (
    UNION_GRAPH,
    AskResult,
    GraphResult,
    QueryResult,
    SelectResult,
    SerializedResult,
    Store,
    bind_values,
    has_dataset_clause,
    query_message,
    union_sync_update,
)
from .memory import release_free_memory

log = logging.getLogger(__name__)

_UNION = ox.NamedNode(UNION_GRAPH)


def snapshot_version(version: str, snapshot: str) -> str:
    """The version of a published snapshot: the build's, else (``serve --data``) its triple count and name.

    A count alone would name two different graphs of one size alike.
    """
    return version if not version.startswith("n") or not version[1:].isdigit() else f"{version}-{snapshot}"


# --- the embedded pyoxigraph backend ---------------------------------------------------


class OxigraphStore(Store):
    """pyoxigraph, in memory (``path=None``) or in a folder on disk (RocksDB).

    On disk, the RocksDB files live in ``path/db`` so the folder can also hold read-only
    snapshots for query workers (see :mod:`coopgraph.store.snapshots`).
    """

    def __init__(self, iris: Iris, path: str | Path | None = None, *, read_only: bool = False):
        super().__init__(iris)
        self.path = Path(path) if path is not None else None
        self.read_only = read_only
        self._write_lock = threading.Lock()
        self._view_cache: list[ox.NamedNode] | None = None
        self._union_store: ox.Store | None = None
        self._union_held: bool | None = None
        self._named_view: list[str] | None = None  # the 'all' view's graph names (read-only stores)
        self._named_cache: list[ox.NamedNode] | None = None
        self._keeps_union: bool | None = False if self.path is None else None
        self._snapshot: tuple[Path, str] | None = None
        try:
            if self.path is None:
                self._ox = ox.Store()
            else:
                db = self.path / "db"
                if read_only:
                    self._ox = ox.Store.read_only(str(db))
                else:
                    db.mkdir(parents=True, exist_ok=True)
                    self._ox = ox.Store(str(db))
        except OSError as exc:
            raise StoreError(
                f"cannot open the store at {self.path}: {exc}",
                hint="Check that the folder exists, is writable, and that no other "
                "coopgraph process has it open for writing.",
            ) from exc

    def serving_copy(self) -> OxigraphStore:
        """A read-only copy in memory, with the 'all' view in a store of its own.

        pyoxigraph answers a query over a list of default graphs with one index scan per
        graph and pattern; over a dozen graphs that is several times slower than reading
        one default graph. And its in-memory store scans the quads of every graph for a
        pattern, then keeps those of the graph asked for: a union kept beside the named
        graphs in one store made an aggregate 1.5 times slower than on the union alone
        (benchmarks/http.py, issue 16). So the copy is two stores, together the size the
        one was: the union of the 'all' view as the default graph of one, which answers
        every query of that view without GRAPH (most of them), and the graphs themselves
        in the other, for GRAPH patterns, other views and the graph listings.
        """
        graphs = ox.Store()
        for graph in [ox.DefaultGraph(), *self._visible_graph_nodes()]:
            graphs.bulk_extend(self.native.quads_for_pattern(None, None, None, graph))
        union = ox.Store()
        default = ox.DefaultGraph()
        sources = [_UNION] if self.keeps_union else [ox.NamedNode(g) for g in self.view("all")]
        for graph in sources:
            union.bulk_extend(
                ox.Quad(q.subject, q.predicate, q.object, default)
                for q in self.native.quads_for_pattern(None, None, None, graph)
            )
        return OxigraphStore.wrap(self.iris, graphs, union_store=union)

    @classmethod
    def wrap(
        cls,
        iris: Iris,
        store: ox.Store,
        *,
        union_store: ox.Store | None = None,
        read_union: bool = True,
        snapshot: tuple[Path, str] | None = None,
    ) -> OxigraphStore:
        """Wrap an already opened pyoxigraph store (used by query workers), read-only.

        ``union_store`` holds the 'all' view of ``store`` in its default graph (a serving
        copy made so): queries of that view that need no named graph read it.
        ``read_union=False`` reads the graphs one by one even where the store keeps their
        union (benchmarks/store_folder.py compares the two).
        ``snapshot`` is (its store folder, its name) for a published snapshot: the store then
        shares the folder's derived values (kept exports) and is versioned as the server
        versions it.
        """
        self = cls.__new__(cls)
        Store.__init__(self, iris)
        self.path = None
        self.read_only = True
        self._write_lock = threading.Lock()
        self._view_cache = None
        self._named_view = None
        self._named_cache = None
        self._keeps_union = False if union_store is not None or not read_union else None
        self._union_store = union_store
        self._union_held = None
        self._ox = store
        self._snapshot = snapshot
        return self

    def derived_folder(self) -> Path | None:
        return None if self._snapshot is None else self._snapshot[0] / "derived"

    def version(self) -> str:
        version = super().version()
        return version if self._snapshot is None else snapshot_version(version, self._snapshot[1])

    # --- the union of the graphs, kept in a store folder ---------------------------------

    @property
    def keeps_union(self) -> bool:
        """Whether this store holds the union of its 'all' view in :data:`UNION_GRAPH`.

        Store folders do: those a build made, and new ones from their first write. A
        folder written by a coopgraph before the union existed has data but no union; it
        is read graph by graph (correct, slower) until the next build.
        """
        if self._keeps_union is None:
            self._keeps_union = self._has_triples(_UNION) or not any(
                self._has_triples(ox.NamedNode(g)) for g in self.view("all")
            )
        return self._keeps_union

    def _maintains_union(self) -> bool:
        return self.path is not None and not self.read_only and self.keeps_union

    def mirror_graphs(self) -> list[str]:
        return [UNION_GRAPH] if self._maintains_union() else []

    def view_graph(self, view: str = "all") -> str | None:
        if view != "all" or self._keeps_union is False or self._union_stale:
            return None
        return UNION_GRAPH if self.keeps_union and self._has_triples(_UNION) else None

    def sync_union(self) -> None:
        """Bring the union up to date after writes whose effect on it is not known.

        One pass over the store, in Rust: what the union holds and no graph does goes,
        what a graph holds and the union does not comes. A write of unknown effect (a
        withdrawal, a maintainer's SPARQL Update) pays it once, when the write ends.
        """
        if not self._union_stale:
            return
        started = time.perf_counter()
        with self._write_lock:
            self._ox.update(union_sync_update(self.view("all"), self._union_parts()))
        self._union_stale = False
        log.info("the union of the graphs brought up to date in %.2f s", time.perf_counter() - started)

    def _union_parts(self) -> str:
        return f"FILTER(?g != <{UNION_GRAPH}> && ?g != <{self.iris.shapes_graph}>)"

    def rebuild_union(self) -> None:
        """Keep the union from now on and bring it up to date (after bulk writes that bypass :meth:`update`)."""
        if self.path is not None and not self.read_only:
            self._keeps_union, self._union_stale = True, True
            self.sync_union()

    def dump_with_union(self, path: Path) -> None:
        """Write every quad to an N-Quads file, and after them the union of the 'all' view into :data:`UNION_GRAPH`.

        The build writes its in-memory graph to a store folder this way. The union is
        streamed graph by graph into the file rather than made in memory first: that
        doubled the build's graph in memory and was its peak (1M triples: 2.71 GiB, in the
        write step). A triple two graphs hold is written twice and loaded once. Blank
        nodes keep their labels within the one file, so the union's are the graphs' own.

        Each graph is dumped by pyoxigraph as N-Triples into :class:`_IntoUnion`, which gives
        its lines the union's name on the way into the file. At 1M asserted triples the union's
        part took 3.5 s with a quad object made in Python per triple (the 10M build's whole
        dump: 140 s), 2.6 s through a temporary N-Triples file (117 s) and 1.9 s this way;
        pyoxigraph's dump of the graphs themselves took 1.5 s.

        The two parts are written side by side, the union into a second file appended to
        the first at the end: pyoxigraph dumps without Python's lock, so on two cores the
        whole dump took 3.5 s instead of 4.1 s at 1M (the append included). One file, as
        each bulk load gives blank nodes labels of its own.
        """
        union_part = path.with_name(path.name + ".union")
        try:
            with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="dump-union") as beside:
                union_done = beside.submit(self._dump_union, union_part)
                self._ox.dump(output=str(path), format=ox.RdfFormat.N_QUADS)
                union_done.result()
            with open(path, "ab") as out, open(union_part, "rb") as union:
                shutil.copyfileobj(union, out, 16 << 20)
        finally:
            union_part.unlink(missing_ok=True)

    def _dump_union(self, path: Path) -> None:
        """The union of the 'all' view as N-Quads of :data:`UNION_GRAPH` (see :meth:`dump_with_union`)."""
        with open(path, "wb") as out:
            for graph in self.view("all"):
                into = _IntoUnion(out)
                self._ox.dump(output=into, format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(graph))
                into.close(graph)

    def _visible_graph_nodes(self) -> list[ox.NamedNode]:
        """Every named graph but the union, for GRAPH patterns (cached on read-only stores)."""
        if self.read_only and self._named_cache is not None:
            return self._named_cache
        nodes = [g for g in self._ox.named_graphs() if isinstance(g, ox.NamedNode) and g != _UNION]
        if self.read_only:
            self._named_cache = nodes
        return nodes

    def _holds_union(self) -> bool:
        """Whether the union graph is in this store now (known once for good on read-only stores)."""
        if self.read_only:
            if self._union_held is None:
                self._union_held = self._has_triples(_UNION)
            return self._union_held
        return self._has_triples(_UNION)

    @property
    def native(self) -> ox.Store:
        """The pyoxigraph store itself, for bulk operations inside the core."""
        return self._ox

    def query(
        self,
        sparql,
        *,
        default_graphs=None,
        named_graphs=None,
        bindings=None,
        timeout=None,
        max_rows=None,
        base_iri=None,
    ):
        deadline = time.monotonic() + timeout if timeout else None
        with _query_errors():
            answer = self._evaluate(sparql, default_graphs, named_graphs, bindings, base_iri)
            return _collect(answer, max_rows, deadline, timeout)

    def query_serialized(
        self,
        sparql,
        *,
        result_format,
        rdf_format,
        prefixes=None,
        default_graphs=None,
        named_graphs=None,
        bindings=None,
        timeout=None,
        max_rows=None,
        base_iri=None,
    ):
        """Let pyoxigraph write answers itself (in Rust) where the row cap can still be kept.

        Writing SPARQL JSON from Python costs several times the evaluation of a small join,
        so JSON, XML and TSV answers (and graphs in N-Triples) are written by pyoxigraph into
        a buffer with a byte budget, and their rows are counted afterwards (exact for these
        formats). An answer
        over the row cap or the budget is evaluated again through the capped path. With a
        soft time limit (``timeout``), the capped path is used throughout: only it checks
        the clock between rows.
        """
        options = dict(default_graphs=default_graphs, named_graphs=named_graphs, bindings=bindings, base_iri=base_iri)
        if timeout is None and result_format.name in _OVER_CAP:
            started = time.perf_counter()
            with _query_errors():
                answer = self._evaluate(sparql, default_graphs, named_graphs, bindings, base_iri)
                if isinstance(answer, ox.QuerySolutions):
                    data = _written_within_budget(answer, result_format.oxigraph, max_rows)
                    if data is not None:
                        if result_format.name == "xml":
                            data = xml_safe(data)
                        elif result_format.name == "tsv":
                            data = tsv_for_every_reader(data)
                        if max_rows is None or not _OVER_CAP[result_format.name](data, max_rows):
                            return SerializedResult("select", data, False, time.perf_counter() - started, 0.0)
                elif isinstance(answer, ox.QueryTriples) and rdf_format.name == "ntriples":
                    # a graph in N-Triples: one line per triple, so it is counted as the rows are
                    data = _written_within_budget(answer, ox.RdfFormat.N_TRIPLES, max_rows)
                    if data is not None and (max_rows is None or data.count(b"\n") <= max_rows):
                        return SerializedResult("graph", data, False, time.perf_counter() - started, 0.0)
                elif isinstance(answer, ox.QueryBoolean):
                    evaluated = time.perf_counter()
                    data = serialize_ask(bool(answer), result_format)
                    return SerializedResult("ask", data, False, evaluated - started, time.perf_counter() - evaluated)
        return super().query_serialized(
            sparql,
            result_format=result_format,
            rdf_format=rdf_format,
            prefixes=prefixes,
            timeout=timeout,
            max_rows=max_rows,
            **options,
        )

    def _evaluate(self, sparql, default_graphs, named_graphs, bindings, base_iri):
        """Start evaluating a query on the right dataset; pyoxigraph answers lazily."""
        self.guard_query(sparql)
        if bindings:
            sparql = bind_values(sparql, bindings)
        if self._union_store is not None and self._reads_union_alone(sparql, default_graphs, named_graphs):
            return self._union_store.query(sparql, base_iri=base_iri) if base_iri else self._union_store.query(sparql)
        kwargs = {}
        if default_graphs is not None or named_graphs is not None or not has_dataset_clause(sparql):
            kwargs["default_graph"] = self._default_graph_nodes(default_graphs)
            if named_graphs is None and self._holds_union():  # GRAPH ?g never meets the union
                kwargs["named_graphs"] = self._visible_graph_nodes()
        if named_graphs is not None:
            kwargs["named_graphs"] = [ox.NamedNode(g) for g in named_graphs]
        if base_iri:
            kwargs["base_iri"] = base_iri
        return self._ox.query(sparql, **kwargs)

    def _reads_union_alone(self, sparql: str, default_graphs, named_graphs) -> bool:
        """Whether a query asks only for the 'all' view as its default graph (the union store answers it)."""
        if named_graphs is not None or not reads_default_graph_only(sparql):
            return False
        if default_graphs is None:
            return True
        if self._named_view is None:
            self._named_view = self.view("all")
        return sorted(default_graphs) == self._named_view

    def _default_graph_nodes(self, default_graphs: list[str] | None) -> list[ox.NamedNode]:
        """The default graph as pyoxigraph nodes; the 'all' view is cached on read-only stores.

        A read-only store (a snapshot) never changes, and listing its graphs for every
        query would cost more than a small query itself. There the 'all' view is the
        union graph where the store keeps one (a writer reads the graphs themselves: the
        union is brought up to date only when its write ends).
        """
        if not self.read_only:
            graphs = self.view("all") if default_graphs is None else default_graphs
            return [ox.NamedNode(g) for g in graphs]
        if self._view_cache is None:
            self._view_cache = [_UNION] if self.keeps_union else [ox.NamedNode(g) for g in self.view("all")]
        if default_graphs is None:
            return self._view_cache
        if self._view_cache == [_UNION]:
            if self._named_view is None:
                self._named_view = self.view("all")
            if sorted(default_graphs) == self._named_view:  # the 'all' view named graph by graph
                return self._view_cache
        return [ox.NamedNode(g) for g in default_graphs]

    def graphs(self):
        return [g.value for g in self._visible_graph_nodes() if self._has_triples(g)]

    def holds_more_than(self, limit: int) -> bool:
        """Whether the store holds more than ``limit`` quads (the union aside), reading no more than that.

        Counting them all reads every index entry: at 10M triples 43 million of them (about
        10 s), each time a query process opened a snapshot to decide whether to copy it into
        memory. (At 1M: 0.33 s to find more than the default million, against 1.06 s.)
        """

        def counted(pattern: str, at_most: int, **dataset) -> int:
            query = f"SELECT (COUNT(*) AS ?n) WHERE {{ {{ SELECT ?s WHERE {{ {pattern} }} LIMIT {at_most} }} }}"
            return int(next(iter(self._ox.query(query, **dataset)))["n"].value)

        seen = counted("GRAPH ?g { ?s ?p ?o }", limit + 1, named_graphs=self._visible_graph_nodes())
        if seen <= limit:
            seen += counted("?s ?p ?o", limit + 1 - seen, default_graph=ox.DefaultGraph())
        return seen > limit

    def _has_triples(self, graph: ox.NamedNode) -> bool:
        return next(iter(self._ox.quads_for_pattern(None, None, None, graph)), None) is not None

    def iter_triples(self, graph):
        for quad in self._ox.quads_for_pattern(None, None, None, ox.NamedNode(graph)):
            yield quad.triple

    def count(self, graph=None):
        if graph is None:
            return len(self._ox) - (self.count(UNION_GRAPH) if self._has_triples(_UNION) else 0)
        result = self._ox.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", default_graph=ox.NamedNode(graph))
        return int(next(iter(result))["n"].value)

    def dump(self, fmt, *, graph=None, output=None, prefixes=None):
        kwargs = {}
        if prefixes and fmt.name in ("turtle", "trig", "rdfxml"):
            kwargs["prefixes"] = prefixes
        if not fmt.quads:
            kwargs["from_graph"] = ox.NamedNode(graph) if graph else ox.DefaultGraph()
        elif graph is not None:
            raise UsageError(f"{fmt.name} holds a whole dataset; dump one graph as Turtle or N-Triples instead")
        elif self._has_triples(_UNION):  # the whole dataset, but for the union graph
            graphs = [ox.DefaultGraph(), *self._visible_graph_nodes()]
            quads = (q for g in graphs for q in self._ox.quads_for_pattern(None, None, None, g))
            return ox.serialize(quads, output, fmt.oxigraph, **kwargs)
        if fmt.name == "rdfxml":  # written whole, then made well-formed (see formats.xml_safe)
            data = xml_safe(self._ox.dump(None, fmt.oxigraph, **kwargs))
            if output is None:
                return data
            output.write(data)
            return None
        return self._ox.dump(output, fmt.oxigraph, **kwargs)

    def replace_graphs(self, graphs, fmt=None, *, drop=()):
        statements = [f"DROP SILENT GRAPH <{g}>" for g in list(graphs) + list(drop)]
        for graph, content in graphs.items():
            if isinstance(content, (bytes, str)):
                if fmt is None:
                    raise UsageError("replace_graphs() needs the format of documents")
                content = ox.parse(content, format=fmt.oxigraph, rename_blank_nodes=True)
            triples = [ox.Triple(q.subject, q.predicate, q.object) for q in content]
            if triples:
                body = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES).decode("utf-8")
                statements.append(f"INSERT DATA {{ GRAPH <{graph}> {{\n{body}}} }}")
        if statements:
            # One SPARQL update is one pyoxigraph transaction: every change lands or none.
            self.update(" ;\n".join(statements))

    def bulk_load_file(self, graph, path, fmt, *, base_iri=None):
        node = ox.NamedNode(graph)
        with self._write_lock:
            try:
                self._ox.bulk_load(path=str(path), format=fmt.oxigraph, to_graph=node, base_iri=base_iri)
            except SyntaxError as exc:
                line, column = (exc.lineno, exc.offset) if exc.lineno else syntax_position(str(exc))
                raise RdfSyntaxError(str(exc), source=str(path), line=line, column=column) from exc
        if self._maintains_union() and graph != self.iris.shapes_graph:
            self.update("", union=[graph])

    def update(self, sparql, *, base_iri=None, union=None):
        """Run an update; ``base_iri`` resolves its relative IRIs (the endpoint's URL for the protocol).

        On a store folder keeping the union of its graphs, ``union`` (see
        :meth:`coopgraph.store.base.Store.update`) says what to add to it, in the same
        transaction; an update of unknown effect marks it for :meth:`sync_union`.
        """
        self.guard_query(sparql)
        sparql = self._with_union_copies(sparql, union)
        with self._write_lock:
            self._apply(sparql, base_iri)

    def update_side_by_side(self, updates, *, threads=1):
        """In memory, up to ``threads`` updates at once: pyoxigraph evaluates each without Python's lock.

        Why: reasoning is a series of such updates. On two cores this gains less than the
        cores promise (10M triples: the first round 217 -> 195 s, the second none), as the
        updates' writes into the one in-memory store wait for each other. A store folder
        runs them one by one (its updates keep the union graph up to date).
        """
        if threads <= 1 or len(updates) < 2 or self.path is not None:
            super().update_side_by_side(updates)
            return
        for sparql in updates:
            self.guard_query(sparql)
        with (
            self._write_lock,
            concurrent.futures.ThreadPoolExecutor(min(threads, len(updates)), thread_name_prefix="update") as pool,
        ):
            for _ in pool.map(self._apply, updates):
                pass

    def _apply(self, sparql: str, base_iri: str | None = None) -> None:
        try:
            self._ox.update(sparql, base_iri=base_iri)
        except SyntaxError as exc:
            line, column = syntax_position(str(exc))
            raise QuerySyntaxError(query_message(str(exc)), line=line, column=column) from exc
        except OSError as exc:
            raise StoreError(f"the update could not be applied: {exc}") from exc

    def reclaim(self) -> None:
        """In memory, move the quads into a fresh pyoxigraph store and drop the old one.

        Why: pyoxigraph's in-memory store keeps what a deleted quad held, and its scans
        still step over it. Reasoning from scratch deletes the whole inferred graph and the
        rounds' scratch graphs, so every withdrawal or maintainer's write on an in-memory
        server left the process larger and slower, with no end to it (1M triples, reasoned
        over five times: 1.05 -> 2.55 GiB resident, a join over every type 9.7 -> 21.9 s;
        reclaimed each time: 0.84-0.99 GiB, for 8-11 s per move; benchmarks/rereason.py).
        A store folder (RocksDB compacts its files itself) and a read-only store have
        nothing to give back. Queries already running finish on the old store.
        """
        if self.path is not None or self.read_only:
            return
        with self._write_lock:
            self._ox = self.copy_in_memory()
        release_free_memory()  # the old store's memory, once no query holds it

    def copy_in_memory(self) -> ox.Store:
        """A copy of every quad in a new in-memory pyoxigraph store, blank nodes as they are.

        (A dump parsed again gives blank nodes new labels, and takes longer: 1M triples and
        their inferences, 9.5 s against 7.5 s.)
        """
        copy = ox.Store()
        copy.bulk_extend(self._ox)
        return copy

    def put_back(self, copy: ox.Store) -> None:
        """Serve ``copy`` (from :meth:`copy_in_memory`) in place of the current in-memory store."""
        with self._write_lock:
            self._ox = copy
        release_free_memory()

    def flush(self) -> None:
        if self.path is not None and not self.read_only:
            self._ox.flush()

    def close(self):
        if self._ox is not None:
            self.flush()
        self._ox = None


class _IntoUnion:
    """A binary writer that turns the N-Triples written to it into N-Quads of :data:`UNION_GRAPH`.

    Every N-Triples line ends in `` .`` and a newline, which no term can hold (line breaks
    in literals are escaped), so naming the graph is one replacement per buffer; a line
    cut between two buffers waits for the rest of it.
    """

    _ENDING = f" <{UNION_GRAPH}> .\n".encode()

    def __init__(self, out):
        self.out, self.rest = out, b""

    def write(self, data) -> int:
        size = len(data)
        data = self.rest + bytes(data)
        cut = data.rfind(b"\n") + 1
        self.out.write(data[:cut].replace(b" .\n", self._ENDING))
        self.rest = data[cut:]
        return size

    def flush(self) -> None:
        pass

    def close(self, graph: str) -> None:
        if self.rest:
            raise StoreError(f"pyoxigraph's N-Triples dump of {graph} ended mid-line")


@contextlib.contextmanager
def _query_errors():
    """Turn pyoxigraph's errors (while parsing or evaluating lazily) into coopgraph's."""
    try:
        yield
    except SyntaxError as exc:
        line, column = syntax_position(str(exc))
        raise QuerySyntaxError(
            query_message(str(exc)), line=line, column=column, hint="Fix the SPARQL at that place and send it again."
        ) from exc
    except (OSError, ValueError, TypeError) as exc:
        raise QueryFailed(f"the query could not be evaluated: {exc}") from exc


class _OverBudget(Exception):
    pass


class _BudgetBuffer:
    """A bytes buffer pyoxigraph writes into, which stops the writing past a byte budget."""

    def __init__(self, budget: int | None):
        self.budget = budget
        self.parts: list[bytes] = []
        self.size = 0

    def write(self, data) -> int:
        self.size += len(data)
        if self.budget is not None and self.size > self.budget:
            raise _OverBudget()
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def getvalue(self) -> bytes:
        return b"".join(self.parts)


def _written_within_budget(answer, fmt, max_rows: int | None) -> bytes | None:
    """pyoxigraph's own writing of an answer, or None past a byte budget that a capped answer cannot reach."""
    buffer = _BudgetBuffer(max_rows * 4096 + 65536 if max_rows is not None else None)
    try:
        answer.serialize(buffer, format=fmt)
    except _OverBudget:
        return None
    return buffer.getvalue()


def _json_over_cap(data: bytes, cap: int) -> bool:
    """Whether a SPARQL JSON answer has more rows than ``cap``.

    Every non-empty row holds at least one term object, which starts with ``{"type":``
    (a sequence that cannot occur inside a JSON string, where quotes are escaped), and
    an empty row is ``{}``; their sum bounds the rows from above in microseconds. Only
    a bound over the cap needs the full parse.
    """
    if data.count(b'{"type":') + data.count(b"{}") <= cap:
        return False
    return len(json.loads(data)["results"]["bindings"]) > cap


#: Result formats whose rows can be told exactly from pyoxigraph's output: JSON (see
#: above), XML by its <result> tags (a '<' in text is always escaped), TSV by its lines
#: (a newline in a literal is always escaped), less the header.
_OVER_CAP = {
    "json": _json_over_cap,
    "xml": lambda data, cap: data.count(b"<result>") > cap,
    "tsv": lambda data, cap: data.count(b"\n") - 1 > cap,
}


def _collect(answer, max_rows: int | None, deadline: float | None, timeout: float | None) -> QueryResult:
    """Drain a pyoxigraph answer into a result, honouring the row cap and the deadline.

    The deadline is checked between rows, which stops streaming evaluation; work that
    pyoxigraph does before the first row can only be stopped by running the query in a
    separate process (:mod:`coopgraph.store.snapshots`).
    """
    if isinstance(answer, ox.QueryBoolean):
        return AskResult(bool(answer))

    def check(count: int) -> None:
        if deadline is not None and count % 256 == 0 and time.monotonic() > deadline:
            raise QueryTimeout(
                f"the query ran past its time limit of {timeout:g} s and was stopped",
                hint="Narrow it down (more specific patterns, a LIMIT) and try again.",
            )

    def drain(items, convert):
        out, truncated = [], False
        for count, item in enumerate(items):
            check(count)
            if max_rows is not None and count >= max_rows:
                truncated = True
                break
            out.append(convert(item))
        check(0)
        return out, truncated

    if isinstance(answer, ox.QuerySolutions):
        variables = [v.value for v in answer.variables]
        width = range(len(variables))
        rows, truncated = drain(answer, lambda solution: tuple(solution[i] for i in width))
        return SelectResult(variables, rows, truncated)
    triples, truncated = drain(answer, lambda triple: triple)
    return GraphResult(triples, truncated)


__all__ = ["OxigraphStore"]
