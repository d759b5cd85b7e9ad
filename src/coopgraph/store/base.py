"""The store interface every caller uses: :class:`Store`, its result classes, value binding.

Callers (build, CLI, web) only see :class:`Store`; the backend behind it (embedded,
snapshots, remote) is chosen by :func:`coopgraph.store.spec.open_store` from the store
setting, so another backend can be added without touching them. Backends import this
module and nothing of each other.

Terms crossing the interface are pyoxigraph terms. Data moves in bulk (serialised
documents), never triple by triple through Python, because that is what keeps the
build fast at a million triples.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import re
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import pyoxigraph as ox

from ..errors import UsageError
from ..formats import (
    RdfFormatInfo,
    ResultFormatInfo,
    parse_rdf,
    rdf_format,
    serialize_ask,
    serialize_select,
    serialize_triples,
)
from ..guards import DEFAULT_MAX_QUERY_DEPTH, check_query
from ..namespaces import DCT, XSD, Iris

log = logging.getLogger(__name__)

Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple

# --- results ------------------------------------------------------------------------


@dataclass
class SelectResult:
    """Rows of a SELECT query, each a tuple of terms (None where unbound) in ``variables`` order."""

    variables: list[str]
    rows: list[tuple]
    truncated: bool = False
    kind: str = field(default="select", init=False)

    def dicts(self) -> list[dict[str, Term]]:
        """Return the rows as dicts, leaving out unbound variables."""
        return [{v: t for v, t in zip(self.variables, row) if t is not None} for row in self.rows]

    def column(self, name: str) -> list:
        index = self.variables.index(name)
        return [row[index] for row in self.rows]


@dataclass
class AskResult:
    value: bool
    kind: str = field(default="ask", init=False)

    def __bool__(self) -> bool:
        return self.value


@dataclass
class GraphResult:
    """Triples of a CONSTRUCT or DESCRIBE query."""

    triples: list[ox.Triple]
    truncated: bool = False
    kind: str = field(default="graph", init=False)


QueryResult = SelectResult | AskResult | GraphResult


@dataclass
class SerializedResult:
    """A query answer already written in its output format (see :meth:`Store.query_serialized`)."""

    kind: str  # select | ask | graph
    data: bytes
    truncated: bool = False
    evaluation_seconds: float = 0.0
    serialization_seconds: float = 0.0


#: The version the build or the last write recorded, read from the meta graph as the named graph.
RECORDED_VERSION_QUERY = "SELECT ?v WHERE { GRAPH ?g { ?g <http://purl.org/dc/terms/hasVersion> ?v } }"


def serialize_result(
    result: QueryResult,
    result_format: ResultFormatInfo,
    rdf_format: RdfFormatInfo,
    prefixes: Mapping[str, str] | None = None,
) -> bytes:
    """Write any query answer: results formats for SELECT/ASK, RDF formats for graphs."""
    if isinstance(result, SelectResult):
        return serialize_select(result.variables, result.rows, result_format)
    if isinstance(result, AskResult):
        return serialize_ask(result.value, result_format)
    return serialize_triples(result.triples, rdf_format, dict(prefixes) if prefixes else None)


# --- dataset views ------------------------------------------------------------------

VIEWS = ("all", "asserted", "inferred")


def view_graphs(graphs: Iterable[str], iris: Iris, view: str = "all") -> list[str]:
    """Return the graphs that make up the default graph of a view.

    ``all`` is everything but the shapes; ``asserted`` leaves the inferred triples out
    too; ``inferred`` is the inferred graph alone.
    """
    if view not in VIEWS:
        raise UsageError(f"unknown graph view '{view}'", hint=f"Use one of: {', '.join(VIEWS)}.")
    graphs = sorted(g for g in graphs if g != iris.shapes_graph)
    if view == "asserted":
        return [g for g in graphs if g != iris.inferred_graph]
    if view == "inferred":
        return [g for g in graphs if g == iris.inferred_graph]
    return graphs


# --- the interface ------------------------------------------------------------------


class Store(ABC):
    """Where the graph lives. Every method is safe to call from several threads."""

    #: Deepest nesting a query may have before it is refused unparsed (see
    #: :mod:`coopgraph.guards`); the app and the CLI set it from ``max_query_depth``.
    max_query_depth: int | None = DEFAULT_MAX_QUERY_DEPTH

    def __init__(self, iris: Iris):
        self.iris = iris
        self._union_stale = False  # a write of unknown effect left the union to sync_union()

    def guard_query(self, sparql: str) -> None:
        """Refuse a query nested deeper than this store's limit, before any parser recurses into it."""
        check_query(sparql, self.max_query_depth)

    # reading
    @abstractmethod
    def query(
        self,
        sparql: str,
        *,
        default_graphs: list[str] | None = None,
        named_graphs: list[str] | None = None,
        bindings: Mapping[str, Term] | None = None,
        timeout: float | None = None,
        max_rows: int | None = None,
        base_iri: str | None = None,
    ) -> QueryResult:
        """Run a SPARQL query.

        ``default_graphs=None`` means the union of every graph but the shapes (see
        :func:`view_graphs`), unless the query names its own dataset (FROM / FROM NAMED),
        which is then honoured; ``named_graphs=None`` means every graph. Given graphs
        replace the query's own dataset (as the SPARQL Protocol's default-graph-uri and
        named-graph-uri do). ``bindings`` binds variables to terms before evaluation
        (values, never text). ``max_rows`` cuts a SELECT or CONSTRUCT answer and flags it
        as truncated. ``base_iri`` resolves relative IRIs in the query (an endpoint
        passes its own URL, as the Protocol suggests).
        """

    def query_serialized(
        self,
        sparql: str,
        *,
        result_format: ResultFormatInfo,
        rdf_format: RdfFormatInfo,
        prefixes: Mapping[str, str] | None = None,
        **options,
    ) -> SerializedResult:
        """Run a query and return its answer already written in a format.

        SELECT and ASK answers are written in ``result_format``, CONSTRUCT and DESCRIBE in
        ``rdf_format``. An endpoint needs bytes, not terms; backends that evaluate
        elsewhere (:class:`coopgraph.store.snapshots.SnapshotStore`) write them there, so the
        answer crosses the process boundary once, already in its final form.
        ``options`` are those of :meth:`query`.
        """
        started = time.perf_counter()
        result = self.query(sparql, **options)
        evaluated = time.perf_counter()
        data = serialize_result(result, result_format, rdf_format, prefixes)
        return SerializedResult(
            result.kind, data, getattr(result, "truncated", False), evaluated - started, time.perf_counter() - evaluated
        )

    def whole_graph_reader(self) -> Store:
        """The store to derive whole-graph figures from (pages' counts, the search index, the map).

        Those are coopgraph's own queries over the whole graph, whose cost follows the
        data's size; they must not be held to the time limit of a visitor's query, nor go
        through the path that enforces it. Here, the store itself.
        """
        return self

    def derived_folder(self) -> Path | None:
        """A folder where values derived from this store are shared between processes, or None."""
        return None

    @abstractmethod
    def graphs(self) -> list[str]:
        """Return the IRIs of the named graphs that hold triples."""

    @abstractmethod
    def count(self, graph: str | None = None) -> int:
        """Return the number of triples in one graph, or quads in the whole store."""

    @abstractmethod
    def dump(
        self,
        fmt: RdfFormatInfo,
        *,
        graph: str | None = None,
        output: IO[bytes] | None = None,
        prefixes: dict[str, str] | None = None,
    ) -> bytes | None:
        """Serialise one graph (triple formats) or the whole dataset (quad formats)."""

    def iter_triples(self, graph: str) -> Iterator[ox.Triple]:
        """Yield the triples of one graph, grouped by subject (for streaming writers)."""
        result = self.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } ORDER BY ?s", default_graphs=[graph])
        return iter(result.triples)

    # writing
    @abstractmethod
    def replace_graphs(
        self, graphs: Mapping[str, bytes | list[ox.Quad]], fmt: RdfFormatInfo | None = None, *, drop: Iterable[str] = ()
    ) -> None:
        """Atomically replace the content of the given graphs and drop others.

        Values are documents in ``fmt`` or lists of quads (their graph is ignored). Either
        every change lands or none does.
        """

    def bulk_load_file(self, graph: str, path: Path, fmt: RdfFormatInfo, *, base_iri: str | None = None) -> None:
        """Add a large file to a graph; backends stream it where they can (not atomic)."""
        self.replace_graphs(
            {graph: [*self._existing(graph), *parse_rdf(path.read_bytes(), fmt, base_iri=base_iri, source=str(path))]}
        )

    def _existing(self, graph: str) -> list:
        result = self.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", default_graphs=[graph])
        return [ox.Quad(t.subject, t.predicate, t.object) for t in result.triples]

    @abstractmethod
    def update(self, sparql: str, *, union: Sequence[str] | None = None) -> None:
        """Run a SPARQL Update (the build, contributions and maintainers' writes).

        ``union`` says how the update changes the union of the graphs that a store folder
        keeps for fast queries (see :attr:`coopgraph.store.embedded.UNION_GRAPH`): None,
        not known (the union is recomputed when the write ends); otherwise the graphs
        whose triples are to be added to it after the update, the caller answering that
        the update removes nothing no other graph holds (an empty list: nothing to add,
        or the caller adds it later). Stores that keep no union ignore it.
        """

    def update_side_by_side(self, updates: Sequence[str], *, threads: int = 1) -> None:
        """Run updates whose effects do not depend on one another, in any order.

        Each may or may not see what the others wrote (reasoning's rules of one round, whose
        conclusions the next round picks up anyway). Stores that can evaluate several at once
        use up to ``threads``; the others run them one after another, as here.
        """
        for sparql in updates:
            self.update(sparql)

    def insert_data(self, triples_by_graph: Mapping[str, Sequence[ox.Triple]]) -> None:
        """Add triples to graphs in one update (the union of the graphs, where kept, gains them too)."""
        mirrors = self.mirror_graphs()
        if mirrors:
            shapes = self.iris.shapes_graph
            copy = [t for graph, triples in triples_by_graph.items() if graph != shapes for t in triples]
            triples_by_graph = {**triples_by_graph, **dict.fromkeys(mirrors, copy)}
        self.update(insert_data_text(triples_by_graph), union=())

    def _with_union_copies(self, sparql: str, union: Sequence[str] | None) -> str:
        """The update's text with the union's share of it (see :meth:`update`), for stores that keep one.

        An update of unknown effect (``union`` None) leaves the text as it is and marks the
        union for :meth:`sync_union`; listed graphs are copied into the union in the same
        request, so in the same transaction.
        """
        if not self.mirror_graphs():
            return sparql
        if union is None:
            self._union_stale = True
        elif union and not self._union_stale:
            copies = union_copy_update(g for g in union if g != self.iris.shapes_graph)
            return f"{sparql} ;\n{copies}" if sparql.strip() else copies
        return sparql

    def sync_union(self) -> None:
        """Bring the union of the graphs up to date after writes of unknown effect (where one is kept)."""

    def rebuild_union(self) -> None:
        """Keep the union of the graphs from now on and bring it up to date (stores that can keep one)."""

    def view_graph(self, view: str = "all") -> str | None:
        """One graph that holds a whole view, where the store keeps one (a store folder's union), else None."""
        return None

    def mirror_graphs(self) -> list[str]:
        """Graphs that hold a copy of every other graph's triples (a store folder's union), to update alike."""
        return []

    def reclaim(self) -> None:
        """Give back what deleted triples still hold, after a write that deleted many (where the engine keeps them)."""

    def close(self) -> None:
        """Release the store's files or connections."""

    @contextlib.contextmanager
    def writer(self) -> Iterator[Store]:
        """Group writes that must become visible together (one snapshot on serving stores).

        The embedded and remote stores write through themselves; the serving store
        (:class:`coopgraph.store.snapshots.SnapshotStore`) takes its write lock and publishes.
        A block that wrote without giving the store a new version gets one: ETags and
        answer caches are keyed by the version, and must not outlive what they describe.
        """
        before = self.version()
        yield self
        if self.version() == before:
            self.bump_version()
        self.sync_union()

    def bump_version(self) -> str:
        """Give the store a new version after a write that did not rebuild it.

        No triple count in it (unlike the build's): counting a large store reads all of it.
        """
        now = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
        version = now.replace("-", "").replace(":", "") + f"-c{uuid.uuid4().hex[:8]}"
        meta = f"<{self.iris.meta_graph}>"
        statements = []
        for graph in (f"<{g}>" for g in [self.iris.meta_graph, *self.mirror_graphs()]):
            statements += [
                f"DELETE WHERE {{ GRAPH {graph} {{ {meta} <{DCT}hasVersion> ?v }} }}",
                f"DELETE WHERE {{ GRAPH {graph} {{ {meta} <{DCT}modified> ?m }} }}",
                f'INSERT DATA {{ GRAPH {graph} {{ {meta} <{DCT}hasVersion> "{version}" . '
                f'{meta} <{DCT}modified> "{now}"^^<{XSD}dateTime> }} }}',
            ]
        self.update(" ;\n".join(statements), union=())
        return version

    # conveniences built on the above
    def view(self, view: str = "all") -> list[str]:
        return view_graphs(self.graphs(), self.iris, view)

    def select(self, sparql: str, bindings: Mapping[str, Term] | None = None, **kwargs) -> list[dict[str, Term]]:
        """Run a SELECT query and return its rows as dicts (for code, not for output)."""
        result = self.query(sparql, bindings=bindings, **kwargs)
        if not isinstance(result, SelectResult):
            raise UsageError("select() needs a SELECT query")
        return result.dicts()

    def ask(self, sparql: str, **kwargs) -> bool:
        result = self.query(sparql, **kwargs)
        if not isinstance(result, AskResult):
            raise UsageError("ask() needs an ASK query")
        return result.value

    def version(self) -> str:
        """Return a token that changes whenever the content changes (for ETags)."""
        recorded = self.recorded_version()
        return recorded if recorded is not None else f"n{self.count()}"

    def recorded_version(self) -> str | None:
        """The version the meta graph records (one small query), or None where none is."""
        rows = self.select(
            RECORDED_VERSION_QUERY,
            default_graphs=[],
            named_graphs=[self.iris.meta_graph],
        )
        return rows[0]["v"].value if rows else None

    def modified(self) -> dt.datetime | None:
        """Return when the content was last built (dct:modified in the meta graph), if recorded."""
        rows = self.select(
            "SELECT ?m WHERE { GRAPH ?g { ?g <http://purl.org/dc/terms/modified> ?m } }",
            default_graphs=[],
            named_graphs=[self.iris.meta_graph],
        )
        for row in rows:
            try:
                value = dt.datetime.fromisoformat(row["m"].value.replace("Z", "+00:00"))
            except ValueError:
                continue
            return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return None

    def graph_counts(self) -> dict[str, int]:
        return {g: self.count(g) for g in sorted(self.graphs())}


# --- the union of the graphs, kept as one more graph -------------------------------------

#: The graph where a store keeps the union of its other graphs (the 'all' view). Engines read
#: a default graph made of a dozen graphs far slower than one (pyoxigraph: one index scan per
#: graph and pattern; Virtuoso: a FROM clause each), so store folders and remote stores keep
#: their union as one more graph, which queries of the 'all' view read instead. It is nobody's
#: data: graph lists, counts, dumps and GRAPH patterns never show it.
UNION_GRAPH = "urn:coopgraph:store:union"


def union_copy_update(graphs: Iterable[str]) -> str:
    """Add the triples of ``graphs`` to the union (empty text for no graph)."""
    return " ;\n".join(
        f"INSERT {{ GRAPH <{UNION_GRAPH}> {{ ?s ?p ?o }} }} WHERE {{ GRAPH <{g}> {{ ?s ?p ?o }} }}" for g in graphs
    )


def union_sync_update(graphs: Iterable[str], graph_filter: str) -> str:
    """One pass bringing the union up to date: what no graph holds goes, what it misses comes.

    ``graphs`` are the graphs the union is made of, and ``graph_filter`` a FILTER on ``?g``
    naming the same ones: the check of each triple of the union reads one index range
    (every graph at once, filtered), the additions read the graphs one by one (never the
    union itself, as large as all of them).
    """
    values = " ".join(f"<{g}>" for g in graphs)
    return (
        f"DELETE {{ GRAPH <{UNION_GRAPH}> {{ ?s ?p ?o }} }} WHERE {{ GRAPH <{UNION_GRAPH}> {{ ?s ?p ?o }} "
        f"FILTER NOT EXISTS {{ GRAPH ?g {{ ?s ?p ?o }} {graph_filter} }} }} ;\n"
        f"INSERT {{ GRAPH <{UNION_GRAPH}> {{ ?s ?p ?o }} }} WHERE {{ VALUES ?g {{ {values} }} GRAPH ?g {{ ?s ?p ?o }} "
        f"FILTER NOT EXISTS {{ GRAPH <{UNION_GRAPH}> {{ ?s ?p ?o }} }} }}"
    )


def insert_data_text(triples_by_graph: Mapping[str, Sequence[ox.Triple]]) -> str:
    """One INSERT DATA adding each list of triples to its graph."""
    blocks = []
    for graph, triples in triples_by_graph.items():
        if triples:
            body = ox.serialize(list(triples), format=ox.RdfFormat.N_TRIPLES).decode("utf-8")
            blocks.append(f"GRAPH <{graph}> {{\n{body}}}")
    return "INSERT DATA {\n" + "\n".join(blocks) + "\n}"


def has_dataset_clause(sparql: str) -> bool:
    from ..sparql import has_dataset_clause as lexical

    return lexical(sparql)


def bind_values(sparql: str, bindings: Mapping[str, Term]) -> str:
    """Bind variables to terms (see :func:`coopgraph.sparql.inject_values`)."""
    from ..sparql import inject_values

    if any(isinstance(v, ox.BlankNode) for v in bindings.values()):
        raise UsageError("a blank node cannot be bound as a query value")
    try:
        return inject_values(sparql, dict(bindings))
    except ValueError as exc:
        raise UsageError(str(exc)) from exc


def query_message(message: str) -> str:
    """Drop pyoxigraph's 'error at L:C:' prefix: the position travels separately."""
    return re.sub(r"^error at \d+:\d+:\s*", "", message)


__all__ = [
    "Store",
    "SelectResult",
    "AskResult",
    "GraphResult",
    "QueryResult",
    "SerializedResult",
    "Term",
    "view_graphs",
    "VIEWS",
    "rdf_format",
    "bind_values",
    "insert_data_text",
    "UNION_GRAPH",
    "union_copy_update",
    "union_sync_update",
    "has_dataset_clause",
    "query_message",
]
