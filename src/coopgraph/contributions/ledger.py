"""Accepted contributions: submit, withdraw, list, and tell which contribution a fact came from.

Each accepted contribution is its own named graph, ``iris.contribution_graph(id)``, and
its provenance (PROV-O) lives in ``iris.provenance_graph``::

    <graph/contribution/ID> a prov:Entity ;
        dct:identifier "ID" ; dct:description "what the contributor said" ;
        prov:wasAttributedTo <id/contributor/NAME> ; prov:generatedAtTime "..."^^xsd:dateTime ;
        prov:wasGeneratedBy <graph/contribution/ID#submission> ;
        spdx:checksum <graph/contribution/ID#sha256> ;     # SHA-256 of the bytes sent
        dct:format <https://www.iana.org/assignments/media-types/text/turtle> ;
        void:triples 12 ; dcat:byteSize 1234 .
    <graph/contribution/ID#sha256> a spdx:Checksum ; spdx:algorithm spdx:checksumAlgorithm_sha256 ;
        spdx:checksumValue "..."^^xsd:hexBinary .
    <graph/contribution/ID#submission> a prov:Activity ; prov:wasAssociatedWith <id/contributor/NAME> ;
        prov:endedAtTime "..."^^xsd:dateTime .
    <id/contributor/NAME> a prov:Agent ; rdfs:label "NAME" .

A withdrawal drops the graph and keeps the record, adding ``prov:invalidatedAtTime`` and
``prov:wasInvalidatedBy <graph/contribution/ID#withdrawal>`` (associated with the
maintainer), so the history of the graph stays readable.

A submission is one write (:meth:`coopgraph.store.base.Store.writer`): the graph, its
provenance and the recomputed inferred graph become visible to every query together,
or not at all.

For pages and APIs that show where a fact came from: :func:`which_contribution` maps a
named graph to its contribution record, :func:`provenance_of_graphs` does it for many
graphs at once, and :func:`contributions_about` lists the contributions that describe a
resource.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import re
import threading
import unicodedata
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pyoxigraph as ox

from ..config import Settings
from ..errors import Conflict, Forbidden, Gone, NotConforming, NotFound, Unauthorized, UsageError
from ..formats import RdfFormatInfo
from ..namespaces import DCAT, DCT, PROV, RDF_TYPE, RDFS, VOID, XSD, Iris
from ..store.base import Store, insert_data_text
from .checking import Contribution, ContributionValidator

log = logging.getLogger(__name__)

SPDX = "http://spdx.org/rdf/terms#"
IANA_MEDIA_TYPES = "https://www.iana.org/assignments/media-types/"
MAX_DESCRIPTION = 5000
#: What a contribution id may look like (ours are YYYYMMDD-HHMMSS-8 hex digits).
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")

# One writer at a time within a process, whatever the store (the serving store also
# locks across processes).
_WRITING = threading.RLock()


# --- who may do what ------------------------------------------------------------------------


def _match(tokens: Mapping[str, str], token: str) -> str | None:
    """Return the name configured for a token, comparing in constant time."""
    found = None
    given = token.encode("utf-8")
    for candidate, name in tokens.items():
        if hmac.compare_digest(candidate.encode("utf-8"), given):
            found = name
    return found


def authenticate(settings: Settings, token: str | None, *, maintainer: bool = False) -> str:
    """Return the name behind an API token, or raise the error the caller should answer with.

    No token configured at all: submissions are off (403). No token, or one that is not
    configured: 401. A contributor's token where a maintainer's is needed: 403.
    Maintainers may also submit.
    """
    if not settings.contributor_tokens and not settings.maintainer_tokens:
        raise Forbidden(
            "contributions are switched off on this site",
            hint="The maintainers switch them on by configuring contributor_tokens.",
        )
    if not token:
        raise Unauthorized(
            "this needs an API token", hint="Send it as 'Authorization: Bearer TOKEN' (ask the maintainers for one)."
        )
    name = _match(settings.maintainer_tokens, token)
    if name is not None:
        return name
    if _match(settings.contributor_tokens, token) is not None:
        if maintainer:
            raise Forbidden("withdrawing a contribution needs a maintainer's token")
        return _match(settings.contributor_tokens, token)
    raise Unauthorized("the API token is not valid", hint="Check the token, or ask the maintainers for one.")


# --- records --------------------------------------------------------------------------------


@dataclass
class ContributionRecord:
    """What the provenance graph says about one contribution."""

    id: str
    graph: str
    contributor: str
    agent: str
    submitted: str
    sha256: str
    description: str
    triples: int
    media_type: str
    byte_size: int
    withdrawn: str | None = None
    withdrawn_by: str | None = None

    @property
    def status(self) -> str:
        return "withdrawn" if self.withdrawn else "accepted"

    def to_dict(self) -> dict:
        body = {
            "id": self.id,
            "graph": self.graph,
            "status": self.status,
            "contributor": self.contributor,
            "agent": self.agent,
            "submitted": self.submitted,
            "description": self.description,
            "sha256": self.sha256,
            "mediaType": self.media_type,
            "bytes": self.byte_size,
            "triples": self.triples,
        }
        if self.withdrawn:
            body["withdrawn"] = self.withdrawn
            body["withdrawnBy"] = self.withdrawn_by
        return body


def new_contribution_id(now: dt.datetime | None = None) -> str:
    """A new identifier: sortable by time, unique by its random part."""
    now = now or dt.datetime.now(dt.UTC)
    return now.strftime("%Y%m%d-%H%M%S") + "-" + uuid.uuid4().hex[:8]


def contribution_id(iris: Iris, graph: str) -> str | None:
    """Return the id of a contribution graph IRI, or None for any other graph."""
    if graph.startswith(iris.contribution_base):
        rest = graph[len(iris.contribution_base) :]
        return rest if _ID.match(rest) else None
    return None


def check_id(contribution_id_: str) -> str:
    if not _ID.match(contribution_id_ or ""):
        raise NotFound(
            f"there is no contribution '{contribution_id_}'",
            hint="Contribution ids look like 20260101-120000-0a1b2c3d; GET /api/contributions lists them.",
        )
    return contribution_id_


def agent_iri(iris: Iris, name: str) -> str:
    """The agent IRI of a contributor: readable, and distinct for distinct names."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii").lower()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name).strip("-")[:40]
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:6]
    return f"{iris.id_base}contributor/{slug + '-' if slug else ''}{digest}"


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def _time(value: str) -> ox.Literal:
    return ox.Literal(value, datatype=_n(XSD + "dateTime"))


def provenance_record_triples(iris: Iris, record: ContributionRecord) -> list[ox.Triple]:
    g = record.graph
    agent = _n(record.agent)
    entity = _n(g)
    activity = _n(g + "#submission")
    checksum = _n(g + "#sha256")
    T = ox.Triple
    return [
        T(entity, _n(RDF_TYPE), _n(PROV + "Entity")),
        T(entity, _n(DCT + "identifier"), ox.Literal(record.id)),
        T(entity, _n(DCT + "description"), ox.Literal(record.description)),
        T(entity, _n(PROV + "wasAttributedTo"), agent),
        T(entity, _n(PROV + "generatedAtTime"), _time(record.submitted)),
        T(entity, _n(PROV + "wasGeneratedBy"), activity),
        T(entity, _n(SPDX + "checksum"), checksum),
        T(entity, _n(DCT + "format"), _n(IANA_MEDIA_TYPES + record.media_type)),
        T(entity, _n(VOID + "triples"), ox.Literal(str(record.triples), datatype=_n(XSD + "integer"))),
        T(entity, _n(DCAT + "byteSize"), ox.Literal(str(record.byte_size), datatype=_n(XSD + "nonNegativeInteger"))),
        T(checksum, _n(RDF_TYPE), _n(SPDX + "Checksum")),
        T(checksum, _n(SPDX + "algorithm"), _n(SPDX + "checksumAlgorithm_sha256")),
        T(checksum, _n(SPDX + "checksumValue"), ox.Literal(record.sha256, datatype=_n(XSD + "hexBinary"))),
        T(activity, _n(RDF_TYPE), _n(PROV + "Activity")),
        T(activity, _n(RDFS + "label"), ox.Literal(f"Submission of contribution {record.id}", language="en")),
        T(activity, _n(PROV + "wasAssociatedWith"), agent),
        T(activity, _n(PROV + "endedAtTime"), _time(record.submitted)),
        T(agent, _n(RDF_TYPE), _n(PROV + "Agent")),
        T(agent, _n(RDFS + "label"), ox.Literal(record.contributor)),
    ]


def _withdrawal_triples(
    iris: Iris, record: ContributionRecord, maintainer: str, when: str, reason: str | None
) -> list[ox.Triple]:
    entity, activity, agent = _n(record.graph), _n(record.graph + "#withdrawal"), _n(agent_iri(iris, maintainer))
    T = ox.Triple
    triples = [
        T(entity, _n(PROV + "invalidatedAtTime"), _time(when)),
        T(entity, _n(PROV + "wasInvalidatedBy"), activity),
        T(activity, _n(RDF_TYPE), _n(PROV + "Activity")),
        T(activity, _n(RDFS + "label"), ox.Literal(f"Withdrawal of contribution {record.id}", language="en")),
        T(activity, _n(PROV + "wasAssociatedWith"), agent),
        T(activity, _n(PROV + "endedAtTime"), _time(when)),
        T(agent, _n(RDF_TYPE), _n(PROV + "Agent")),
        T(agent, _n(RDFS + "label"), ox.Literal(maintainer)),
    ]
    if reason:
        triples.append(T(activity, _n(RDFS + "comment"), ox.Literal(reason)))
    return triples


def _recompute(store: Store) -> None:
    """Reason from scratch (after a withdrawal: removals cannot be handled incrementally)."""
    from ..knowledge.build import reason_again

    reason_again(store)
    store.bump_version()


def _reason_about(store: Store, graph: str, provenance: list[ox.Triple]) -> None:
    """Add what follows from a new contribution and its provenance (incrementally: the cost follows its size)."""
    from ..knowledge.build import data_graphs
    from ..knowledge.reasoning import reason_added

    iris = store.iris
    reason_added(
        store,
        [graph],
        data_graphs(store),
        ontology_graph=iris.ontology_graph,
        inferred_graph=iris.inferred_graph,
        added_triples=provenance,
    )
    store.bump_version()


# --- submitting and withdrawing ----------------------------------------------------------


def check_description(description: str | None) -> str:
    text = (description or "").strip()
    if not text:
        raise UsageError(
            "a contribution needs a description", hint="Say in a sentence what the data adds and where it comes from."
        )
    if len(text) > MAX_DESCRIPTION:
        raise UsageError(f"the description is longer than {MAX_DESCRIPTION} characters")
    return text


def submit(
    store: Store,
    data: bytes,
    fmt: RdfFormatInfo,
    *,
    contributor: str,
    description: str,
    validator: ContributionValidator | None = None,
    timeout: float | None = None,
    source: str = "<upload>",
):
    """Validate contributed bytes and, if they have no violations, store them with their provenance.

    Returns ``(record, report)`` (the report may hold warnings). Raises NotConforming
    (with the report) when there are violations: nothing is stored then. The data is
    validated again inside the write if the store changed meanwhile, so two concurrent
    submissions cannot each rely on something the other removes.
    """
    description = check_description(description)
    validator = validator or ContributionValidator(store)
    contribution = validator.parse(data, fmt, source=source, timeout=timeout)
    seen = store.version()
    report = validator.validate(contribution, timeout=timeout)
    _refuse_violations(report)
    with _WRITING, store.writer() as primary:
        if primary.version() != seen:
            report = validator.validate(contribution, timeout=timeout, store=primary)
            _refuse_violations(report)
        record = _new_record(primary, contribution, contributor, description)
        provenance = provenance_record_triples(store.iris, record)
        primary.insert_data({record.graph: contribution.triples, store.iris.provenance_graph: provenance})
        _reason_about(primary, record.graph, provenance)
    log.info("contribution %s accepted from %s (%d triples)", record.id, contributor, record.triples)
    return record, report


def _refuse_violations(report) -> None:
    if report.has_violations:
        counts = report.counts()
        raise NotConforming(
            f"the contribution does not conform to the shapes: {counts['Violation']} violation(s), "
            f"{counts['Warning']} warning(s); nothing was stored",
            report=report,
        )


def _new_record(store: Store, contribution: Contribution, contributor: str, description: str) -> ContributionRecord:
    iris = store.iris
    while True:
        new_id = new_contribution_id()
        graph = iris.contribution_graph(new_id)
        if not store.ask(
            f"ASK {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}", default_graphs=[], named_graphs=[graph]
        ) and not store.ask(
            f"ASK {{ GRAPH ?g {{ <{graph}> ?p ?o }} }}", default_graphs=[], named_graphs=[iris.provenance_graph]
        ):
            break
    return ContributionRecord(
        id=new_id,
        graph=graph,
        contributor=contributor,
        agent=agent_iri(iris, contributor),
        submitted=_now(),
        sha256=contribution.sha256,
        description=description,
        triples=len(contribution.triples),
        media_type=contribution.format.media_type,
        byte_size=len(contribution.raw),
    )


def dependents(store: Store, record: ContributionRecord) -> dict[str, list[str]]:
    """Graphs that point at resources only this contribution describes: {graph: [resource, ...]}.

    Withdrawing the contribution would leave those references pointing nowhere, which the
    shapes report (and the next build would fail on).
    """
    iris = store.iris
    skip = f"<{iris.inferred_graph}>, <{iris.shapes_graph}>, <{iris.provenance_graph}>, <{iris.meta_graph}>"
    rows = store.select(
        f"""SELECT DISTINCT ?g ?resource WHERE {{
        {{ SELECT DISTINCT ?resource WHERE {{ GRAPH <{record.graph}> {{ ?resource a ?type }} }} }}
        FILTER NOT EXISTS {{ GRAPH ?elsewhere {{ ?resource a ?other }}
                             FILTER(?elsewhere != <{record.graph}> && ?elsewhere NOT IN ({skip})) }}
        GRAPH ?g {{ ?s ?p ?resource }}
        FILTER(?g != <{record.graph}> && ?g NOT IN ({skip}))
    }} ORDER BY ?g ?resource""",
        default_graphs=[],
    )
    found: dict[str, list[str]] = {}
    for row in rows:
        found.setdefault(row["g"].value, []).append(row["resource"].value)
    return found


def withdraw(store: Store, contribution_id_: str, *, maintainer: str, reason: str | None = None) -> ContributionRecord:
    """Drop a contribution's graph, record the withdrawal in its provenance, and reason again.

    Refused (Conflict) while other graphs point at resources only this contribution
    describes: withdraw those first.
    """
    check_id(contribution_id_)
    with _WRITING, store.writer() as primary:
        record = get_contribution(primary, contribution_id_)
        if record.withdrawn:
            raise Gone(f"contribution {contribution_id_} was already withdrawn on {record.withdrawn}")
        depending = dependents(primary, record)
        if depending:
            names = [contribution_id(store.iris, g) or g for g in depending]
            raise Conflict(
                f"other data refers to resources only contribution {record.id} describes: " + ", ".join(names),
                hint="Withdraw those contributions first (or correct the curated data).",
                details={
                    "dependents": [
                        {"graph": g, "contribution": contribution_id(store.iris, g), "resources": resources}
                        for g, resources in depending.items()
                    ]
                },
            )
        when = _now()
        withdrawal = _withdrawal_triples(store.iris, record, maintainer, when, reason)
        primary.update(
            f"DROP SILENT GRAPH <{record.graph}> ;\n" + insert_data_text({store.iris.provenance_graph: withdrawal})
        )
        _recompute(primary)
    record.withdrawn, record.withdrawn_by = when, maintainer
    log.info("contribution %s withdrawn by %s", contribution_id_, maintainer)
    return record


# --- reading ----------------------------------------------------------------------------------

_RECORDS = f"""PREFIX prov: <{PROV}>
PREFIX dct: <{DCT}>
PREFIX rdfs: <{RDFS}>
PREFIX spdx: <{SPDX}>
PREFIX void: <{VOID}>
PREFIX dcat: <{DCAT}>
SELECT ?g ?id ?description ?time ?agent ?name ?sha ?format ?triples ?bytes ?withdrawn ?withdrawnBy WHERE {{
  GRAPH ?pg {{
    ?g dct:identifier ?id ; prov:generatedAtTime ?time ; prov:wasAttributedTo ?agent ;
       dct:description ?description ; spdx:checksum/spdx:checksumValue ?sha ; dct:format ?format ;
       void:triples ?triples ; dcat:byteSize ?bytes .
    ?agent rdfs:label ?name .
    OPTIONAL {{ ?g prov:invalidatedAtTime ?withdrawn .
               OPTIONAL {{ ?g prov:wasInvalidatedBy/prov:wasAssociatedWith/rdfs:label ?withdrawnBy }} }}
  }}
}} ORDER BY ?time ?id"""


def _records(store: Store, bindings: Mapping[str, ox.NamedNode | ox.Literal] | None = None) -> list[ContributionRecord]:
    iris = store.iris
    rows = store.select(
        _RECORDS,
        bindings={**(bindings or {}), "pg": _n(iris.provenance_graph)},
        default_graphs=[],
        named_graphs=[iris.provenance_graph],
    )
    records: dict[str, ContributionRecord] = {}
    for row in rows:
        graph = row["g"].value
        if graph in records:
            continue
        records[graph] = ContributionRecord(
            id=row["id"].value,
            graph=graph,
            contributor=row["name"].value,
            agent=row["agent"].value,
            submitted=row["time"].value,
            sha256=row["sha"].value,
            description=row["description"].value,
            triples=int(row["triples"].value),
            media_type=row["format"].value.removeprefix(IANA_MEDIA_TYPES),
            byte_size=int(row["bytes"].value),
            withdrawn=row["withdrawn"].value if "withdrawn" in row else None,
            withdrawn_by=row["withdrawnBy"].value if "withdrawnBy" in row else None,
        )
    return list(records.values())


def list_contributions(store: Store, *, include_withdrawn: bool = True) -> list[ContributionRecord]:
    """Every contribution, oldest first."""
    records = _records(store)
    return records if include_withdrawn else [r for r in records if not r.withdrawn]


def get_contribution(store: Store, contribution_id_: str) -> ContributionRecord:
    """The record of one contribution (withdrawn ones too); NotFound if there is none."""
    check_id(contribution_id_)
    found = _records(store, {"g": _n(store.iris.contribution_graph(contribution_id_))})
    if not found:
        raise NotFound(
            f"there is no contribution '{contribution_id_}'", hint="GET /api/contributions lists the contributions."
        )
    return found[0]


def contribution_triples(store: Store, record: ContributionRecord) -> list[ox.Triple]:
    """The data of an accepted contribution, as stored."""
    result = store.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", default_graphs=[record.graph])
    return result.triples


def provenance_triples(store: Store, record: ContributionRecord) -> list[ox.Triple]:
    """The provenance statements about one contribution (its entity, checksum, activities, agents)."""
    g = record.graph
    nodes = " ".join(f"<{g}{suffix}>" for suffix in ("", "#submission", "#sha256", "#withdrawal"))
    query = (
        f"CONSTRUCT {{ ?s ?p ?o . ?a ?ap ?ao }} WHERE {{ {{ VALUES ?s {{ {nodes} }} ?s ?p ?o }} UNION "
        f"{{ VALUES ?x {{ {nodes} }} ?x <{PROV}wasAssociatedWith>|<{PROV}wasAttributedTo> ?a . ?a ?ap ?ao }} }}"
    )
    return store.query(query, default_graphs=[store.iris.provenance_graph]).triples


def which_contribution(store: Store, graph: str) -> ContributionRecord | None:
    """The contribution a named graph holds, or None for curated, inferred or other graphs.

    This answers "which contribution did this fact come from" for a fact found with
    ``GRAPH ?g { ... }``.
    """
    cid = contribution_id(store.iris, graph)
    if cid is None:
        return None
    try:
        return get_contribution(store, cid)
    except NotFound:
        return None


def provenance_of_graphs(store: Store, graphs: Iterable[str]) -> dict[str, ContributionRecord]:
    """Map each contribution graph among ``graphs`` to its record (one query for all of them)."""
    wanted = {g for g in graphs if contribution_id(store.iris, g) is not None}
    if not wanted:
        return {}
    return {r.graph: r for r in _records(store) if r.graph in wanted}


def contributions_about(store: Store, iri: str) -> list[ContributionRecord]:
    """The accepted contributions that hold a statement about ``iri`` (as subject)."""
    iris = store.iris
    rows = store.select(
        f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ ?s ?p ?o }} "
        f'FILTER(STRSTARTS(STR(?g), "{iris.contribution_base}")) }}',
        bindings={"s": _n(iri)},
        default_graphs=[],
    )
    return list(provenance_of_graphs(store, [row["g"].value for row in rows]).values())


def triples_with_sources(store: Store, iri: str) -> list[tuple[ox.Triple, str, ContributionRecord | None]]:
    """Every asserted statement about ``iri`` with the graph it is in and, for contributed ones, the record."""
    iris = store.iris
    rows = store.select(
        f"SELECT ?p ?o ?g WHERE {{ GRAPH ?g {{ ?s ?p ?o }} "
        f"FILTER(?g != <{iris.inferred_graph}> && ?g != <{iris.shapes_graph}>) }} ORDER BY ?p ?o ?g",
        bindings={"s": _n(iri)},
        default_graphs=[],
    )
    records = provenance_of_graphs(store, {row["g"].value for row in rows})
    subject = _n(iri)
    return [(ox.Triple(subject, row["p"], row["o"]), row["g"].value, records.get(row["g"].value)) for row in rows]


def open_for_contributions(settings: Settings) -> Store:
    """Open a store folder for submissions from the command line (the serving store: locked, published)."""
    from ..store.snapshots import SnapshotStore
    from ..store.spec import store_spec

    spec = store_spec(settings)
    if not spec.is_folder:
        raise UsageError(
            "contributing without --server needs a store folder (--store PATH)",
            hint="Give --store PATH of a built store, or --server URL of a running site.",
        )
    return SnapshotStore(settings.iris, spec.path, workers=1, default_timeout=settings.query_timeout)
