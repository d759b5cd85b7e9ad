"""Validate contributed data together with the parts of the graph it refers to.

A contribution is checked in a small scratch store holding the ontology, the shapes,
the contribution and the neighbourhood it touches in the main graph (the types and
labels of every resource it names, and the full description of resources it adds facts
to). The cost therefore follows the size of the contribution, not of the whole graph,
and a reference to a resource that exists nowhere fails the shapes' class checks.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import pyoxigraph as ox

from .errors import QueryTimeout, UsageError
from .formats import RDF_FORMATS, RdfFormatInfo, parse_rdf
from .namespaces import RDFS, SKOS, Iris
from .store import OxigraphStore, Store
from .validation import ValidationReport, compile_shapes, validate_store

log = logging.getLogger(__name__)

NEIGHBOURHOOD = f"""CONSTRUCT {{ ?x a ?type . ?x <{RDFS}label> ?label . ?x <{SKOS}prefLabel> ?pref . }}
WHERE {{ VALUES ?x {{ %s }}
  {{ ?x a ?type }} UNION {{ ?x <{RDFS}label> ?label }} UNION {{ ?x <{SKOS}prefLabel> ?pref }} }}"""

DESCRIPTION = """CONSTRUCT { ?x ?p ?o . ?o a ?otype } WHERE { VALUES ?x { %s } ?x ?p ?o OPTIONAL { ?o a ?otype } }"""


@dataclass
class Contribution:
    """Parsed contributed data: its triples and the bytes they came from."""

    quads: list[ox.Quad]
    raw: bytes
    format: RdfFormatInfo

    @property
    def triples(self) -> list[ox.Triple]:
        return [ox.Triple(q.subject, q.predicate, q.object) for q in self.quads]

    def iris(self) -> tuple[set[str], set[str]]:
        """Return (IRIs used as subjects, every IRI named in subject or object position)."""
        subjects, named = set(), set()
        for q in self.quads:
            if isinstance(q.subject, ox.NamedNode):
                subjects.add(q.subject.value)
                named.add(q.subject.value)
            if isinstance(q.object, ox.NamedNode):
                named.add(q.object.value)
        return subjects, named


def parse_contribution(data: bytes, fmt: RdfFormatInfo, iris: Iris, source: str = "<upload>") -> Contribution:
    """Parse contributed bytes (never fetching anything); syntax errors give line and column."""
    if not data.strip():
        raise UsageError("the contribution is empty", hint="Send some RDF (Turtle, JSON-LD, N-Triples, RDF/XML, TriG).")
    quads = parse_rdf(data, fmt, base_iri=iris.id_base, source=source)
    return Contribution(quads, data, fmt)


def _values(iris_set: set[str]) -> str:
    return " ".join(f"<{i}>" for i in sorted(iris_set))


class ContributionValidator:
    """Validates contributions against one main store; keeps the compiled shapes warm."""

    CONTRIBUTION_GRAPH = "urn:coopgraph:contribution"
    CONTEXT_GRAPH = "urn:coopgraph:context"

    def __init__(self, store: Store):
        self.store = store
        self.iris = store.iris
        self._version = None
        self._schema: bytes | None = None
        self._shapes: bytes | None = None
        self._checks = None

    def _prepare(self) -> None:
        version = self.store.version()
        if version == self._version and self._checks is not None:
            return
        from .build import shapes_graph
        nt = RDF_FORMATS["ntriples"]
        self._schema = self.store.dump(nt, graph=self.iris.ontology_graph)
        self._shapes = self.store.dump(nt, graph=self.iris.shapes_graph)
        self._checks = compile_shapes(shapes_graph(self.store), self.iris.prefixes(),
                                      focus_graph=self.CONTRIBUTION_GRAPH)
        self._version = version

    def validate(self, contribution: Contribution, *, timeout: float | None = None) -> ValidationReport:
        started = time.perf_counter()
        self._prepare()
        deadline = time.monotonic() + timeout if timeout else None
        scratch = OxigraphStore(self.iris)
        nt = RDF_FORMATS["ntriples"]
        subjects, named = contribution.iris()
        context: list[ox.Triple] = []
        if named:
            context += self.store.query(NEIGHBOURHOOD % _values(named), timeout=timeout).triples
        existing = subjects & {t.subject.value for t in context if isinstance(t.subject, ox.NamedNode)}
        if existing:
            context += self.store.query(DESCRIPTION % _values(existing), timeout=timeout).triples
        scratch.replace_graphs({
            self.iris.ontology_graph: self._schema,
            self.iris.shapes_graph: self._shapes,
        }, nt)
        scratch.replace_graphs({self.CONTEXT_GRAPH: [ox.Quad(t.subject, t.predicate, t.object) for t in context],
                                self.CONTRIBUTION_GRAPH: contribution.quads})
        remaining = None
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise QueryTimeout(f"validation ran past its time limit of {timeout:g} s")
        from .build import label_lookup
        report = validate_store(scratch, self._checks, labels=label_lookup(scratch), timeout=remaining)
        report.seconds = time.perf_counter() - started
        return report
