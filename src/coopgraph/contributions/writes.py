"""Maintainers' writes through the standards: SPARQL 1.1 Update and Graph Store Protocol operations.

Every write is a first-class change, like a contribution: one write of the store
(:meth:`coopgraph.store.base.Store.writer`, so on a store folder one published snapshot,
rolled back if anything fails or the process dies), and on the curated store

- refused if it touches what only the build and the ledger write (the ontology, the
  shapes, the provenance and build metadata graphs): those are compared before and after;
- validated against the shapes: a change that leaves violations is refused with the
  report (:class:`NotConforming`), and nothing is stored;
- followed by reasoning from scratch (a write may remove statements, which incremental
  reasoning cannot follow);
- recorded in the provenance graph as a ``prov:Activity`` with who, when, what kind, the
  update text (or the graph's checksum) and the graph it targeted.

On a scratch store (``serve --data``, no shapes graph) the write is only applied, logged
and published: there are no shapes to check and no ledger to keep.

LOAD, and SERVICE inside an update, reach only the endpoints of ``service_allowlist``.
The update's text passes the same depth guard as a query; the web layer caps its size
(``max_request_bytes``, ``max_upload_bytes`` for Graph Store bodies); on a store folder
the write runs in a worker process killed after ``query_timeout + validation_timeout``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import ipaddress
import logging
import os
import threading
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import pyoxigraph as ox

from ..config import Settings
from ..errors import Forbidden, NotConforming, QueryRefused, Unauthorized, UsageError
from ..formats import RDF_FORMATS, RdfFormatInfo, parse_rdf
from ..namespaces import DCT, PROV, RDF_TYPE, RDFS, XSD, Iris
from ..sparql import service_targets, tokens
from ..store.base import Store
from ..store.pool import KillableRunner
from .ledger import _WRITING, SPDX, _match, agent_iri

log = logging.getLogger(__name__)

#: Who may write: nobody (the default), maintainers with a token, or anyone (a scratch server).
WRITE_MODES = ("off", "maintainers", "anyone")
#: The update text kept in the ledger; a longer one is kept by checksum and its beginning.
MAX_RECORDED_TEXT = 20_000
#: Statements of a write's diff kept in the ledger (each way); the counts are always exact.
MAX_DIFF_LINES = 5_000
ANONYMOUS = "anonymous"
COOPGRAPH = "https://w3id.org/coopgraph/ns#"


def check_mode(mode: str) -> str:
    if mode not in WRITE_MODES:
        raise UsageError(f"unknown sparql_update mode '{mode}'", hint=f"Use one of: {', '.join(WRITE_MODES)}.")
    return mode


def is_loopback(host: str) -> bool:
    """Whether a listening address only takes connections from this machine."""
    if host in ("localhost", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def authorize_write(settings: Settings, token: str | None, *, curated: bool = False) -> str:
    """Return who is writing, or raise the error to answer with (403 off, 401 no/unknown token, 403 contributor).

    Why maintainers only: a write through the standards bypasses the contribution
    workflow (no description, may remove curated statements), so it needs the same
    trust as withdrawing a contribution. On the curated store (``curated``) that holds
    even when ``sparql_update`` is ``anyone``: anonymous writes are for scratch servers.
    """
    mode = check_mode(settings.sparql_update)
    if mode == "off":
        raise Forbidden(
            "this endpoint is read-only: SPARQL Update and Graph Store writes are switched off",
            hint="Download the data and load it into a store of your own to change it.",
        )
    if curated:
        mode = "maintainers"
    if token:
        name = _match(settings.maintainer_tokens, token)
        if name is not None:
            return name
        if mode == "maintainers" and _match(settings.contributor_tokens, token) is not None:
            raise Forbidden(
                "writing with SPARQL Update or the Graph Store Protocol needs a maintainer's token",
                hint="Contributors submit data through /api/contributions.",
            )
        if mode == "maintainers" or settings.maintainer_tokens:
            raise Unauthorized("the API token is not valid", hint="Check the token, or ask the maintainers for one.")
    if mode == "anyone" and not settings.maintainer_tokens:
        return ANONYMOUS
    raise Unauthorized("writing needs a maintainer's API token", hint="Send it as 'Authorization: Bearer TOKEN'.")


# --- what an update may do ------------------------------------------------------------------


def check_update_allowed(text: str, allowlist: Iterable[str]) -> None:
    """Refuse LOAD of, and SERVICE calls to, anything not on the allow-list (before any evaluation)."""
    allowed = set(allowlist)
    toks = tokens(text)
    for index, token in enumerate(toks):
        if token.kind == "word" and token.text.upper() == "LOAD":
            following = toks[index + 1 : index + 3]
            if following and following[0].kind == "word" and following[0].text.upper() == "SILENT":
                following = following[1:]
            target = following[0].text[1:-1] if following and following[0].kind == "iri" else None
            if target is None or target not in allowed:
                raise QueryRefused(
                    f"LOAD <{target}> is not allowed on this endpoint" if target else "LOAD needs a full IRI in <...>",
                    hint="Only documents named in the service_allowlist setting may be loaded; "
                    "send the data itself with INSERT DATA or a Graph Store PUT/POST.",
                )
    for target in service_targets(text):
        if target is None or target not in allowed:
            raise QueryRefused(
                f"SERVICE <{target}> is not allowed on this endpoint"
                if target
                else "SERVICE with a variable or prefixed endpoint is not allowed here",
                hint="Only endpoints named in the service_allowlist setting may be called.",
            )


def with_using(text: str, default_graphs: list[str], named_graphs: list[str]) -> str:
    """Apply the protocol's ``using-graph-uri`` / ``using-named-graph-uri``: USING clauses before each WHERE.

    The protocol makes it an error to combine them with USING or WITH in the update
    itself (400), since it would not be clear which dataset the WHERE clauses read.
    """
    if not default_graphs and not named_graphs:
        return text
    toks = tokens(text)
    words = [t.text.upper() if t.kind == "word" else None for t in toks]
    if "USING" in words or "WITH" in words:
        raise UsageError(
            "the request gives using-graph-uri/using-named-graph-uri and the update has its own USING or WITH",
            hint="Name the dataset in one place only.",
        )
    clauses = "".join(f"USING <{g}> " for g in default_graphs) + "".join(f"USING NAMED <{g}> " for g in named_graphs)
    depth, cuts = 0, []
    for index, token in enumerate(toks):
        if token.kind == "punct" and token.text == "{":
            depth += 1
        elif token.kind == "punct" and token.text == "}":
            depth -= 1
        elif depth == 0 and words[index] == "WHERE" and (index == 0 or words[index - 1] != "DELETE"):
            cuts.append(token.start)
    pieces, cursor = [], 0
    for cut in cuts:
        pieces.append(text[cursor:cut] + clauses)
        cursor = cut
    return "".join(pieces) + text[cursor:]


# --- the ledger of maintainers' writes --------------------------------------------------------


@dataclass
class WriteRecord:
    """One maintainer's write, as the provenance graph keeps it."""

    id: str
    iri: str
    kind: str  # "update", "put", "post", "delete"
    maintainer: str
    when: str
    sha256: str
    text: str | None = None
    graph: str | None = None
    #: the asserted statements the write added and removed, as N-Quads lines (curated store only)
    added: list[str] | None = None
    removed: list[str] | None = None

    def to_dict(self) -> dict:
        body = {
            "id": self.id,
            "change": self.iri,
            "kind": self.kind,
            "by": self.maintainer,
            "at": self.when,
            "sha256": self.sha256,
        }
        if self.added is not None:
            body["added"], body["removed"] = len(self.added), len(self.removed or [])
        if self.graph:
            body["graph"] = self.graph
        return body


def change_iri(iris: Iris, change_id: str) -> str:
    return f"{iris.graph_base}change/{change_id}"


def _now() -> str:
    """The time of a write, to the microsecond: writes a moment apart must keep their order in the feed."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _record_triples(iris: Iris, record: WriteRecord) -> list[ox.Triple]:
    n = ox.NamedNode
    activity, agent, checksum = n(record.iri), n(agent_iri(iris, record.maintainer)), n(record.iri + "#sha256")
    labels = {
        "update": "SPARQL Update",
        "put": "Graph Store PUT",
        "post": "Graph Store POST",
        "delete": "Graph Store DELETE",
    }
    T = ox.Triple
    triples = [
        T(activity, n(RDF_TYPE), n(PROV + "Activity")),
        T(activity, n(RDF_TYPE), n(COOPGRAPH + "MaintainerWrite")),
        T(activity, n(DCT + "identifier"), ox.Literal(record.id)),
        T(activity, n(DCT + "type"), ox.Literal(record.kind)),
        T(activity, n(RDFS + "label"), ox.Literal(f"{labels[record.kind]} by {record.maintainer}", language="en")),
        T(activity, n(PROV + "wasAssociatedWith"), agent),
        T(activity, n(PROV + "endedAtTime"), ox.Literal(record.when, datatype=n(XSD + "dateTime"))),
        T(activity, n(SPDX + "checksum"), checksum),
        T(checksum, n(RDF_TYPE), n(SPDX + "Checksum")),
        T(checksum, n(SPDX + "algorithm"), n(SPDX + "checksumAlgorithm_sha256")),
        T(checksum, n(SPDX + "checksumValue"), ox.Literal(record.sha256, datatype=n(XSD + "hexBinary"))),
        T(agent, n(RDF_TYPE), n(PROV + "Agent")),
        T(agent, n(RDFS + "label"), ox.Literal(record.maintainer)),
    ]
    if record.text is not None:
        triples.append(T(activity, n(RDFS + "comment"), ox.Literal(record.text)))
    if record.graph:
        triples.append(T(activity, n(PROV + "used"), n(record.graph)))
    for name, lines in (("addedStatements", record.added), ("removedStatements", record.removed)):
        if lines is not None:
            triples.append(T(activity, n(COOPGRAPH + name), ox.Literal("\n".join(lines[:MAX_DIFF_LINES]))))
    return triples


def _asserted_statements(store: Store) -> set[str]:
    """The asserted data (curated graphs and contributions) as N-Quads lines, to diff a write.

    Why lines: a set difference of two dumps is the diff, in Rust-speed dumps and one
    Python set operation; blank nodes keep their labels within the store.
    """
    from ..knowledge.build import data_graphs

    iris = store.iris
    lines: set[str] = set()
    for graph in data_graphs(store):
        if graph == iris.provenance_graph:
            continue
        for line in store.dump(RDF_FORMATS["ntriples"], graph=graph).decode("utf-8").splitlines():
            if line.strip():
                lines.add(f"{line.rstrip().removesuffix('.').rstrip()} <{graph}> .")
    return lines


# --- the write itself ---------------------------------------------------------------------------


def is_curated(store: Store) -> bool:
    """Whether the store is a curated build (it holds the shapes), whose writes are validated and recorded."""
    return store.iris.shapes_graph in store.graphs()


def _protected(iris: Iris) -> list[str]:
    return [iris.ontology_graph, iris.shapes_graph, iris.provenance_graph]


def _fingerprint(store: Store, graphs: list[str]) -> dict[str, str]:
    """A checksum of each graph's statements (blank nodes aside), to tell whether a write changed it."""
    prints = {}
    for graph in graphs:
        lines = sorted(store.dump(RDF_FORMATS["ntriples"], graph=graph).splitlines())
        prints[graph] = hashlib.sha256(b"\n".join(lines)).hexdigest()
    return prints


class _ReportBody:
    """A validation report that crossed a process boundary as its JSON shape."""

    def __init__(self, body: dict):
        self.body = body

    def to_dict(self) -> dict:
        return self.body


_runner_lock = threading.Lock()
_runners: dict[int, KillableRunner] = {}


def _runner() -> KillableRunner:
    """This process's write worker (one: writes are serialised anyway), started on first use."""
    with _runner_lock:
        runner = _runners.get(os.getpid())
        if runner is None:
            runner = _runners[os.getpid()] = KillableRunner(1)
        return runner


def _write(store: Store, sparql: str, base_iri: str | None, record: WriteRecord, settings: Settings) -> WriteRecord:
    """Apply one change as one write, on a store folder in a worker process killed past the time limit.

    Why a process: pyoxigraph cannot interrupt an update, so an update whose WHERE clause
    runs away (or a validation that does) would hold the write lock for ever. The worker
    is killed after ``query_timeout + validation_timeout``; the write it was making is
    left marked pending and rolled back by the next writer, and readers never saw it.
    In memory and on a remote store the write runs here (the remote has its own limits).
    """
    from ..store.snapshots import SnapshotStore

    target = getattr(store, "wrapped", store)
    if not isinstance(target, SnapshotStore):
        return _write_here(store, sparql, base_iri, record, settings.validation_timeout)
    outcome = _runner().call(
        _write_in_worker,
        store.iris.base,
        str(target.path),
        sparql,
        base_iri,
        record,
        settings.validation_timeout,
        timeout=settings.query_timeout + settings.validation_timeout,
        what="write",
    )
    if outcome[0] == "refused":
        raise NotConforming(outcome[1], report=_ReportBody(outcome[2]))
    log.info("%s %s by %s (%s)", record.kind, record.graph or "", record.maintainer, record.id)
    return outcome[1]


def _write_in_worker(
    cache: dict,
    base: str,
    path: str,
    sparql: str,
    base_iri: str | None,
    record: WriteRecord,
    validation_timeout: float | None,
) -> tuple:
    """In the write worker: make the write through the store folder's own writer (lock, pending mark, publish)."""
    from ..store.snapshots import SnapshotStore

    store = cache.get(path)
    if store is None:
        store = cache[path] = SnapshotStore(Iris(base), path, workers=1)
    try:
        return ("ok", _write_here(store, sparql, base_iri, record, validation_timeout))
    except NotConforming as exc:
        return ("refused", exc.message, exc.report.to_dict())


def _write_here(
    store: Store, sparql: str, base_iri: str | None, record: WriteRecord, validation_timeout: float | None
) -> WriteRecord:
    """Apply one change in this process; on the curated store check, validate, reason and record it."""
    from ..knowledge.build import reason_again, run_validation
    from ..store.embedded import OxigraphStore

    iris = store.iris
    with _WRITING, store.writer() as primary, _undo_without_snapshots(primary):
        curated = is_curated(primary)
        before = _fingerprint(primary, _protected(iris)) if curated else {}
        statements_before = _asserted_statements(primary) if curated else set()
        if sparql:
            if isinstance(primary, OxigraphStore):
                primary.update(sparql, base_iri=base_iri)
            else:
                primary.update(sparql)
        if curated:
            after = _fingerprint(primary, _protected(iris))
            changed = [graph for graph in before if before[graph] != after[graph]]
            if changed:
                raise Forbidden(
                    f"the change would alter {', '.join(f'<{g}>' for g in changed)}, which only the "
                    "build and the ledger write; nothing was stored",
                    hint="Change ontology/ or shapes/ in the repository and rebuild; withdraw "
                    "contributions through /api/contributions.",
                )
            statements_after = _asserted_statements(primary)
            record.added = sorted(statements_after - statements_before)
            record.removed = sorted(statements_before - statements_after)
            report = run_validation(primary, timeout=validation_timeout)
            if report.has_violations:
                counts = report.counts()
                raise NotConforming(
                    f"the change does not conform to the shapes: {counts['Violation']} "
                    f"violation(s), {counts['Warning']} warning(s); nothing was stored",
                    report=report,
                )
            primary.update(
                f"INSERT DATA {{ GRAPH <{iris.provenance_graph}> {{\n"
                + ox.serialize(_record_triples(iris, record), format=ox.RdfFormat.N_TRIPLES).decode()
                + "} }"
            )
            reason_again(primary)
        primary.bump_version()
    log.info("%s %s by %s (%s)", record.kind, record.graph or "", record.maintainer, record.id)
    return record


@contextlib.contextmanager
def _undo_without_snapshots(primary: Store) -> Iterator[None]:
    """Put a store without snapshots back as it was if the write fails (a store folder's writer rolls back itself).

    Why: in memory and on a remote store, ``writer()`` is the store itself, with no
    snapshot to return to; a refused change (violations, a protected graph) must leave
    nothing behind there too. In memory the whole dataset is copied (blank nodes as they
    are) and the copy served again; a remote store gets back each graph whose statements
    differ, and loses graphs the write made.
    """
    from ..store.embedded import OxigraphStore

    if isinstance(primary, OxigraphStore):
        if primary.path is not None:
            yield
            return
        saved = primary.copy_in_memory()
        try:
            yield
        except BaseException:
            primary.put_back(saved)
            raise
        return
    ntriples = RDF_FORMATS["ntriples"]
    before = {graph: primary.dump(ntriples, graph=graph) for graph in primary.graphs()}
    try:
        yield
    except BaseException:
        after = set(primary.graphs())
        changed = {
            graph: data
            for graph, data in before.items()
            if graph not in after
            or sorted(primary.dump(ntriples, graph=graph).splitlines()) != sorted(data.splitlines())
        }
        primary.replace_graphs(changed, ntriples, drop=sorted(after - set(before)))
        raise


def _new_record(
    store: Store, kind: str, maintainer: str, sha256: str, *, text: str | None = None, graph: str | None = None
) -> WriteRecord:
    now = dt.datetime.now(dt.UTC)
    change_id = now.strftime("%Y%m%d-%H%M%S") + "-" + uuid.uuid4().hex[:8]
    if text is not None and len(text) > MAX_RECORDED_TEXT:
        text = text[:MAX_RECORDED_TEXT] + "\n# ... (cut; the checksum is of the whole text)"
    return WriteRecord(change_id, change_iri(store.iris, change_id), kind, maintainer, _now(), sha256, text, graph)


def apply_update(
    store: Store,
    text: str,
    *,
    maintainer: str,
    settings: Settings,
    base_iri: str | None = None,
    using_graphs: list[str] | None = None,
    using_named_graphs: list[str] | None = None,
) -> WriteRecord:
    """Run a SPARQL 1.1 Update as one write (see the module docstring for what surrounds it)."""
    if not text.strip():
        raise UsageError("the update is empty", hint="Send INSERT DATA, DELETE/INSERT ... WHERE, CLEAR, DROP ...")
    store.guard_query(text)
    check_update_allowed(text, settings.service_allowlist)
    effective = with_using(text, using_graphs or [], using_named_graphs or [])
    record = _new_record(store, "update", maintainer, hashlib.sha256(text.encode("utf-8")).hexdigest(), text=text)
    return _write(store, effective, base_iri, record, settings)


def read_graph_document(
    data: bytes, fmt: RdfFormatInfo, *, settings: Settings, base_iri: str | None, source: str
) -> list[ox.Triple]:
    """Parse a Graph Store body into triples (quads formats are refused: a graph is written, not a dataset)."""
    if fmt.quads:
        raise UsageError(
            f"a Graph Store request writes one graph; {fmt.name} holds a dataset",
            hint="Send Turtle, N-Triples, RDF/XML or JSON-LD.",
        )
    quads = parse_rdf(data, fmt, base_iri=base_iri, source=source, max_depth=settings.max_rdf_depth)
    return [q.triple for q in quads]


def _graph_pattern(graph: str | None, body: str) -> str:
    return f"GRAPH <{graph}> {{\n{body}}}" if graph else body


def graph_exists(store: Store, graph: str | None) -> bool:
    """Whether a graph has statements (the default graph: whether it has any)."""
    if graph is None:
        return bool(store.dump(RDF_FORMATS["ntriples"], graph=None).strip())
    return graph in store.graphs()


def write_graph(
    store: Store,
    graph: str | None,
    triples: list[ox.Triple],
    *,
    replace: bool,
    maintainer: str,
    settings: Settings,
    data: bytes = b"",
) -> WriteRecord:
    """PUT (``replace``) or POST (merge) ``triples`` into a graph (None: the default graph), as one write."""
    body = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES).decode("utf-8") if triples else ""
    statements = []
    if replace:
        statements.append(f"CLEAR SILENT GRAPH <{graph}>" if graph else "CLEAR SILENT DEFAULT")
    if body:
        statements.append("INSERT DATA { " + _graph_pattern(graph, body) + " }")
    record = _new_record(store, "put" if replace else "post", maintainer, hashlib.sha256(data).hexdigest(), graph=graph)
    return _write(store, " ;\n".join(statements), None, record, settings)


def delete_graph(store: Store, graph: str | None, *, maintainer: str, settings: Settings) -> WriteRecord:
    """DELETE a graph (None: empty the default graph), as one write."""
    record = _new_record(store, "delete", maintainer, hashlib.sha256(b"").hexdigest(), graph=graph)
    return _write(store, f"DROP SILENT GRAPH <{graph}>" if graph else "CLEAR SILENT DEFAULT", None, record, settings)


def graph_triples(store: Store, graph: str | None) -> list[ox.Triple]:
    """The statements of one graph (None: the store's default graph), for a Graph Store GET."""
    data = store.dump(RDF_FORMATS["ntriples"], graph=graph)
    return [q.triple for q in ox.parse(data, format=ox.RdfFormat.N_TRIPLES)] if data else []


def recent_writes(store: Store, limit: int = 100) -> list[dict]:
    """The newest maintainers' writes recorded in the provenance graph (for the changes feed)."""
    iris = store.iris
    rows = store.select(
        f"""SELECT ?c ?id ?kind ?time ?name ?graph WHERE {{
        ?c a <{COOPGRAPH}MaintainerWrite> ; <{DCT}identifier> ?id ; <{DCT}type> ?kind ;
           <{PROV}endedAtTime> ?time ; <{PROV}wasAssociatedWith>/<{RDFS}label> ?name .
        OPTIONAL {{ ?c <{PROV}used> ?graph }} }} ORDER BY DESC(?time) DESC(?id) LIMIT {int(limit)}""",
        default_graphs=[iris.provenance_graph],
    )
    return [
        {
            "id": r["id"].value,
            "change": r["c"].value,
            "kind": r["kind"].value,
            "at": r["time"].value,
            "by": r["name"].value,
            **({"graph": r["graph"].value} if "graph" in r else {}),
        }
        for r in rows
    ]


def writes_about(store: Store, iri: str) -> list[dict]:
    """The maintainers' writes whose diff mentions ``iri``, newest first, each with the lines about it."""
    needle = f"<{iri}>"
    rows = store.select(
        f"""SELECT ?c ?id ?kind ?time ?name ?added ?removed WHERE {{
        ?c a <{COOPGRAPH}MaintainerWrite> ; <{DCT}identifier> ?id ; <{DCT}type> ?kind ;
           <{PROV}endedAtTime> ?time ; <{PROV}wasAssociatedWith>/<{RDFS}label> ?name ;
           <{COOPGRAPH}addedStatements> ?added ; <{COOPGRAPH}removedStatements> ?removed .
        FILTER(CONTAINS(?added, ?needle) || CONTAINS(?removed, ?needle)) }} ORDER BY DESC(?time) DESC(?id)""",
        bindings={"needle": ox.Literal(needle)},
        default_graphs=[store.iris.provenance_graph],
    )
    found = []
    for row in rows:

        def about(text: str) -> list[str]:
            return [line for line in text.splitlines() if needle in line]

        found.append(
            {
                "id": row["id"].value,
                "change": row["c"].value,
                "kind": row["kind"].value,
                "at": row["time"].value,
                "by": row["name"].value,
                "added": about(row["added"].value),
                "removed": about(row["removed"].value),
            }
        )
    return found
