"""Validate contributed data together with the parts of the graph it refers to.

A contribution is checked in a small scratch store holding the ontology, the shapes,
the contribution and the neighbourhood it touches in the main graph, so the cost follows
the size of the contribution, not of the whole graph, and a reference to a resource that
exists nowhere fails the shapes' class checks.

The neighbourhood, read from the asserted graphs only (never the inferred triples, for
the reason given in :func:`coopgraph.knowledge.build.run_validation`):

- every triple whose subject is a resource the contribution names (as subject or
  object), with the types of the objects of those triples: enough for counts over facts
  the graph already holds about a resource the contribution extends, for ``sh:class``
  checks on the resources it points to, and for two-step paths through them;
- the incoming triples of the contribution's subjects along the predicates the shapes
  use in ``sh:inversePath``;
- for sequence paths (``sh:path ( p1 p2 ... )``), the descriptions of the nodes each
  step reaches, step by step.

SHACL-SPARQL constraints see that neighbourhood and nothing more; one that needs facts
further away than one step from what the contribution names is checked by the build.

Only the contribution's subjects are focus nodes: a contributor is told about their own
data, not about warnings on resources they merely point to.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass

import pyoxigraph as ox
import rdflib
from rdflib.collection import Collection
from rdflib.namespace import SH

from ..errors import ContributionRefused, QueryTimeout, UsageError
from ..formats import RDF_FORMATS, RdfFormatInfo, parse_rdf
from ..guards import DEFAULT_MAX_RDF_DEPTH
from ..knowledge.validation import CompiledCheck, ValidationReport, ValidationResult, compile_shapes, validate_store
from ..namespaces import CANONICAL_BASE, ONTOLOGY, OWL, RDF, RDF_TYPE, RDFS, SHAPES, XSD, Iris
from ..namespaces import SH as SH_NS
from ..store.base import Store
from ..store.embedded import OxigraphStore
from ..store.pool import InlineRunner, KillableRunner

log = logging.getLogger(__name__)

NT = RDF_FORMATS["ntriples"]

#: Predicates that change the schema rather than describe resources: refused in contributions.
SCHEMA_PREDICATES = frozenset(
    {
        RDFS + "subClassOf",
        RDFS + "subPropertyOf",
        RDFS + "domain",
        RDFS + "range",
        OWL + "equivalentClass",
        OWL + "equivalentProperty",
        OWL + "inverseOf",
        OWL + "propertyChainAxiom",
        OWL + "disjointWith",
        OWL + "unionOf",
        OWL + "intersectionOf",
    }
)
#: Types that declare schema (classes, properties, shapes): refused in contributions.
SCHEMA_TYPES = frozenset(
    {
        OWL + "Class",
        RDFS + "Class",
        RDF + "Property",
        OWL + "ObjectProperty",
        OWL + "DatatypeProperty",
        OWL + "AnnotationProperty",
        OWL + "TransitiveProperty",
        OWL + "SymmetricProperty",
        OWL + "Ontology",
        SH_NS + "NodeShape",
        SH_NS + "PropertyShape",
    }
)
#: Namespaces whose terms a contribution may not describe.
RESERVED_NAMESPACES = (ONTOLOGY, SHAPES, RDF, RDFS, OWL, XSD, SH_NS)


@dataclass
class Contribution:
    """Parsed contributed data: its triples and the bytes they came from."""

    quads: list[ox.Quad]
    raw: bytes
    format: RdfFormatInfo

    @property
    def triples(self) -> list[ox.Triple]:
        """The distinct triples (the graphs of a TriG or N-Quads document are merged)."""
        return list(dict.fromkeys(ox.Triple(q.subject, q.predicate, q.object) for q in self.quads))

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.raw).hexdigest()

    def subjects(self) -> set[str]:
        return {q.subject.value for q in self.quads if isinstance(q.subject, ox.NamedNode)}

    def named(self) -> set[str]:
        """IRIs named as subject or as object (leaving out the classes of rdf:type)."""
        named = self.subjects()
        for q in self.quads:
            if isinstance(q.object, ox.NamedNode) and q.predicate.value != RDF_TYPE:
                named.add(q.object.value)
        return named

    def iris(self) -> tuple[set[str], set[str]]:
        """Return (IRIs used as subjects, IRIs named as subject or object)."""
        return self.subjects(), self.named()


def parse_contribution(
    data: bytes,
    fmt: RdfFormatInfo,
    iris: Iris,
    source: str = "<upload>",
    *,
    max_depth: int | None = DEFAULT_MAX_RDF_DEPTH,
) -> Contribution:
    """Parse contributed bytes (never fetching anything); syntax errors give line and column.

    Relative IRIs resolve against the resource base; IRIs written against the canonical
    base are moved to the deployment's base, as the loader does for curated files.
    Documents nested deeper than ``max_depth`` are refused unparsed (see :mod:`coopgraph.guards`).
    """
    if not data.strip():
        raise UsageError("the contribution is empty", hint="Send some RDF (Turtle, JSON-LD, N-Triples, RDF/XML, TriG).")
    quads = parse_rdf(data, fmt, base_iri=iris.id_base, source=source, max_depth=max_depth)
    if not quads:
        raise UsageError("the contribution holds no triples", hint="Send at least one statement.")
    if iris.base != CANONICAL_BASE:
        from ..knowledge.loader import rewrite_quads

        quads = rewrite_quads(quads, iris)
    return Contribution(quads, data, fmt)


def check_scope(contribution: Contribution, iris: Iris, schema_terms: set[str] = frozenset()) -> None:
    """Refuse statements a contribution may not make: about the schema, the shapes, graphs or agents.

    Why: contributions add facts about resources. Redefining a class, a shape, a named
    graph or a contributor's agent would change what every other contribution means, or
    forge provenance; those changes go through the curated files instead.
    """
    problems: list[str] = []
    reserved = (*RESERVED_NAMESPACES, iris.graph_base, iris.id_base + "contributor/")
    for triple in contribution.triples:
        subject, predicate, obj = triple.subject, triple.predicate.value, triple.object
        if isinstance(subject, ox.NamedNode) and (subject.value.startswith(reserved) or subject.value in schema_terms):
            problems.append(
                f"<{subject.value}> is part of the ontology, the shapes or the site's records "
                "and cannot be described by a contribution"
            )
        elif predicate in SCHEMA_PREDICATES:
            problems.append(f"<{predicate}> defines schema, which contributions do not change")
        elif predicate == RDF_TYPE and isinstance(obj, ox.NamedNode) and obj.value in SCHEMA_TYPES:
            problems.append(
                f"declaring a {obj.value.rsplit('#', 1)[-1]} defines schema, which contributions do not change"
            )
        elif predicate.startswith(SH_NS):
            problems.append(f"<{predicate}> is a SHACL term; shapes are not contributed")
    if problems:
        unique = list(dict.fromkeys(problems))
        raise ContributionRefused(
            f"the contribution says things contributions may not say: {unique[0]}"
            + (f" (and {len(unique) - 1} more)" if len(unique) > 1 else ""),
            hint="Contribute facts about resources (pairings, programmes, documents, places); "
            "changes to the ontology or the shapes go through the maintainers.",
            details={"problems": unique[:20]},
        )


# --- a source for every contributed statement ----------------------------------------

#: The shape that names what a statement's source record must hold (shapes/coopgraph-shapes.ttl); a contributed
#: statement without a source is reported against it.
STATEMENT_SOURCE_SHAPE = SHAPES + "StatementSourceShape"
DCT_SOURCE = "http://purl.org/dc/terms/source"
RDF_STATEMENT = RDF + "Statement"


def statements_without_source(contribution: Contribution) -> list[ValidationResult]:
    """Report each contributed statement that the contribution gives no source for.

    A statement has a source when the contribution holds a record of it (an rdf:Statement with its
    rdf:subject, rdf:predicate, rdf:object and a dct:source), or when the contribution names the
    subject's source with dct:source itself (one source for all the subject's statements). A source the
    graph already gives the resource does not count: it was cited for other facts, not for these.
    """
    triples = contribution.triples
    records: dict[object, dict[str, list]] = {}
    for t in triples:
        if t.predicate.value in (RDF + "subject", RDF + "predicate", RDF + "object", DCT_SOURCE):
            records.setdefault(t.subject, {}).setdefault(t.predicate.value, []).append(t.object)
    recorded: set[tuple] = set()
    for node in records.values():
        if node.get(DCT_SOURCE):
            for subject in node.get(RDF + "subject", []):
                for predicate in node.get(RDF + "predicate", []):
                    for obj in node.get(RDF + "object", []):
                        recorded.add((subject, predicate.value if isinstance(predicate, ox.NamedNode) else "", obj))
    record_nodes = {node for node, facts in records.items() if RDF + "subject" in facts}
    sourced_subjects = {t.subject for t in triples if t.predicate.value == DCT_SOURCE}
    results = []
    for t in triples:
        if t.subject in record_nodes or t.predicate.value == DCT_SOURCE or t.subject in sourced_subjects:
            continue
        if (t.subject, t.predicate.value, t.object) in recorded:
            continue
        results.append(
            ValidationResult(
                "Violation",
                t.subject,
                f"<{t.predicate.value}>",
                t.object,
                f"Name the source of this statement (<{t.predicate.value}>): give the resource dct:source in the "
                "contribution, or add a record [ a rdf:Statement ; rdf:subject …; rdf:predicate …; rdf:object …; "
                "dct:source <a source of the register> ].",
                STATEMENT_SOURCE_SHAPE,
                "StatementSourceConstraintComponent",
                path_iri=t.predicate.value,
            )
        )
    return results


# --- what the shapes need from the graph ------------------------------------------------


@dataclass
class Schema:
    """The ontology and shapes of one store version, compiled for contribution checks."""

    key: str
    ontology_nt: bytes
    shapes_nt: bytes
    checks: list[CompiledCheck]
    terms: set[str]  # subjects of the ontology and shapes graphs
    inverse_predicates: set[str]  # predicates of sh:inversePath
    sequences: list[list[tuple[str, bool]]]  # sequence paths: [(predicate, inverse?)]


def path_needs(shapes: rdflib.Graph) -> tuple[set[str], list[list[tuple[str, bool]]]]:
    """Return the predicates of inverse paths and the steps of sequence paths the shapes use."""
    inverse: set[str] = set()
    sequences: list[list[tuple[str, bool]]] = []

    def step(node) -> tuple[str, bool] | None:
        if isinstance(node, rdflib.URIRef):
            return str(node), False
        target = shapes.value(node, SH.inversePath)
        if isinstance(target, rdflib.URIRef):
            return str(target), True
        return None

    for path in set(shapes.objects(None, SH.path)):
        if isinstance(path, rdflib.URIRef):
            continue
        single = step(path)
        if single is not None:
            inverse.add(single[0])
            continue
        if shapes.value(path, rdflib.RDF.first) is not None:
            steps = [step(p) for p in Collection(shapes, path)]
            if all(steps):
                sequences.append(steps)
                inverse.update(p for p, inv in steps[:1] if inv)
    return inverse, sequences


def _values(iris: set[str] | list[str]) -> str:
    return " ".join(f"<{i}>" for i in sorted(iris))


def _excluded(iris: Iris) -> str:
    return f"FILTER(?g != <{iris.inferred_graph}> && ?g != <{iris.shapes_graph}>)"


def _described(iris: Iris, nodes: set[str]) -> str:
    """Every asserted triple about the nodes, with the asserted types of their objects."""
    skip = _excluded(iris)
    return (
        f"CONSTRUCT {{ ?x ?p ?o . ?o a ?t }} WHERE {{ VALUES ?x {{ {_values(nodes)} }} "
        f"GRAPH ?g {{ ?x ?p ?o }} {skip} "
        f"OPTIONAL {{ GRAPH ?g2 {{ ?o a ?t }} {skip.replace('?g', '?g2')} }} }}"
    )


def _incoming(iris: Iris, nodes: set[str], predicates: set[str]) -> str:
    """The triples pointing at the nodes along the given predicates, with the types of their subjects.

    Node and predicate are bound together, one pair per row: with two separate VALUES
    blocks pyoxigraph reads every triple of the predicate first, which grows with the graph.
    """
    skip = _excluded(iris)
    pairs = " ".join(f"(<{x}> <{p}>)" for x in sorted(nodes) for p in sorted(predicates))
    return (
        f"CONSTRUCT {{ ?s ?p ?x . ?s a ?t }} WHERE {{ VALUES (?x ?p) {{ {pairs} }} "
        f"GRAPH ?g {{ ?s ?p ?x }} {skip} "
        f"OPTIONAL {{ GRAPH ?g2 {{ ?s a ?t }} {skip.replace('?g', '?g2')} }} }}"
    )


# --- parsing and the scratch validation (run in a worker process or inline) ---------------


def parse_in_worker(cache: dict, data: bytes, format_name: str, base: str, source: str, max_depth: int | None) -> bytes:
    """Parse contributed bytes where a time and memory limit hold; return the quads as N-Quads.

    Why: parsing is driven by someone else's bytes (a JSON-LD document can cost hundreds
    of megabytes and minutes), so it runs in the same killable process as validation.
    N-Quads is flat, so reading the answer back in the caller costs a linear pass.
    """
    contribution = parse_contribution(data, RDF_FORMATS[format_name], Iris(base), source, max_depth=max_depth)
    return ox.serialize(contribution.quads, format=ox.RdfFormat.N_QUADS)


CONTRIBUTION_GRAPH = "urn:coopgraph:contribution"
CONTEXT_GRAPH = "urn:coopgraph:context"


def validate_in_scratch(
    cache: dict, base: str, schema: Schema | str, context_nt: bytes, contribution_nt: bytes, timeout: float | None
) -> ValidationReport:
    """Validate the contribution with its context in a scratch store holding the schema.

    ``schema`` is the :class:`Schema` the first time a worker sees it and its key after,
    so the ontology is loaded and the shapes compiled once per worker and store version.
    """
    iris = Iris(base)
    held = cache.get("schema")
    if isinstance(schema, Schema):
        if held is None or held[0].key != schema.key:
            scratch = OxigraphStore(iris)
            scratch.replace_graphs({iris.ontology_graph: schema.ontology_nt, iris.shapes_graph: schema.shapes_nt}, NT)
            cache["schema"] = held = (schema, scratch)
    elif held is None or held[0].key != schema:
        raise LookupError("the worker does not hold this schema")
    schema, scratch = held
    from ..knowledge.build import label_lookup

    scratch.replace_graphs({CONTEXT_GRAPH: context_nt, CONTRIBUTION_GRAPH: contribution_nt}, NT)
    try:
        return validate_store(
            scratch,
            schema.checks,
            default_graphs=[iris.ontology_graph, CONTEXT_GRAPH, CONTRIBUTION_GRAPH],
            labels=label_lookup(scratch),
            timeout=timeout,
        )
    finally:
        scratch.replace_graphs({}, drop=[CONTEXT_GRAPH, CONTRIBUTION_GRAPH])


class ContributionValidator:
    """Validates contributions against one main store; keeps the compiled shapes warm.

    With ``isolated=True`` the scratch validation runs in worker processes that are
    killed when the time limit passes (for the web, where the data is anyone's).
    """

    CONTRIBUTION_GRAPH = CONTRIBUTION_GRAPH
    CONTEXT_GRAPH = CONTEXT_GRAPH

    def __init__(
        self,
        store: Store,
        *,
        isolated: bool = False,
        workers: int = 2,
        max_rdf_depth: int | None = DEFAULT_MAX_RDF_DEPTH,
        memory_bytes: int = 0,
    ):
        self.store = store
        self.iris = store.iris
        self.max_rdf_depth = max_rdf_depth
        self._version: str | None = None
        self._schema: Schema | None = None
        self._runner = KillableRunner(workers, memory_bytes=memory_bytes) if isolated else InlineRunner()

    def parse(
        self, data: bytes, fmt: RdfFormatInfo, *, source: str = "<upload>", timeout: float | None = None
    ) -> Contribution:
        """Parse contributed bytes, in a worker process under the time and memory limits when isolated.

        Raises QueryTimeout (503) past ``timeout`` and PayloadTooLarge (413) when the
        worker runs out of the memory it may use.
        """
        if isinstance(self._runner, InlineRunner):
            return parse_contribution(data, fmt, self.iris, source, max_depth=self.max_rdf_depth)
        if not data.strip():  # said here, without a trip to a worker
            return parse_contribution(data, fmt, self.iris, source, max_depth=self.max_rdf_depth)
        nquads = self._runner.call(
            parse_in_worker, data, fmt.name, self.iris.base, source, self.max_rdf_depth, timeout=timeout, what="parsing"
        )
        quads = list(ox.parse(nquads, format=ox.RdfFormat.N_QUADS)) if nquads else []
        return Contribution(quads, data, fmt)

    def schema(self) -> Schema:
        """The compiled schema of the store's current version (recompiled only when it changed)."""
        version = self.store.version()
        if self._schema is not None and version == self._version:
            return self._schema
        ontology = self.store.dump(NT, graph=self.iris.ontology_graph) or b""
        shapes = self.store.dump(NT, graph=self.iris.shapes_graph) or b""
        key = hashlib.sha256(ontology + b"\0" + shapes).hexdigest()
        if self._schema is None or self._schema.key != key:
            graph = rdflib.Graph()
            graph.parse(data=shapes, format="nt")
            terms = {str(s) for s in graph.subjects() if isinstance(s, rdflib.URIRef)}
            terms |= (
                {
                    t.subject.value
                    for t in ox.parse(ontology, format=ox.RdfFormat.N_TRIPLES)
                    if isinstance(t.subject, ox.NamedNode)
                }
                if ontology
                else set()
            )
            inverse, sequences = path_needs(graph)
            checks = compile_shapes(graph, self.iris.prefixes(), focus_graph=CONTRIBUTION_GRAPH)
            self._schema = Schema(key, ontology, shapes, checks, terms, inverse, sequences)
        self._version = version
        return self._schema

    def neighbourhood(
        self, contribution: Contribution, *, store: Store | None = None, timeout: float | None = None
    ) -> list[ox.Triple]:
        """Read from the graph what the shapes need to judge the contribution (see the module docstring)."""
        store = store or self.store
        schema = self.schema()
        known = list(contribution.triples)
        described: set[str] = set()
        context: list[ox.Triple] = []

        def describe(nodes: set[str]) -> None:
            nodes = {n for n in nodes if n not in described and n not in schema.terms}
            if nodes:
                described.update(nodes)
                context.extend(
                    store.query(
                        _described(self.iris, nodes), default_graphs=[], named_graphs=None, timeout=timeout
                    ).triples
                )

        describe(contribution.named())
        subjects = contribution.subjects()
        if schema.inverse_predicates and subjects:
            context.extend(
                store.query(
                    _incoming(self.iris, subjects, schema.inverse_predicates),
                    default_graphs=[],
                    named_graphs=None,
                    timeout=timeout,
                ).triples
            )
        for steps in schema.sequences:
            frontier = set(subjects)
            for predicate, inverse in steps[:-1]:
                everything = known + context
                if inverse:
                    reached = {
                        t.subject.value
                        for t in everything
                        if t.predicate.value == predicate
                        and isinstance(t.object, ox.NamedNode)
                        and t.object.value in frontier
                        and isinstance(t.subject, ox.NamedNode)
                    }
                else:
                    reached = {
                        t.object.value
                        for t in everything
                        if t.predicate.value == predicate
                        and isinstance(t.subject, ox.NamedNode)
                        and t.subject.value in frontier
                        and isinstance(t.object, ox.NamedNode)
                    }
                describe(reached)
                frontier = reached
                if not frontier:
                    break
        return context

    def validate(
        self, contribution: Contribution, *, timeout: float | None = None, store: Store | None = None
    ) -> ValidationReport:
        """Validate a contribution against the store (or ``store``, e.g. the primary inside a write).

        Raises ContributionRefused for statements no contribution may make, and
        QueryTimeout when the whole takes longer than ``timeout`` seconds.
        """
        started = time.perf_counter()
        deadline = time.monotonic() + timeout if timeout else None
        schema = self.schema()
        check_scope(contribution, self.iris, schema.terms)
        context = self.neighbourhood(contribution, store=store, timeout=timeout)
        remaining = None
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise QueryTimeout(f"validation ran past its time limit of {timeout:g} s")
        context_nt = ox.serialize(context, format=ox.RdfFormat.N_TRIPLES) if context else b""
        contribution_nt = ox.serialize(contribution.triples, format=ox.RdfFormat.N_TRIPLES)
        report = self._run(schema, context_nt, contribution_nt, remaining)
        if STATEMENT_SOURCE_SHAPE in schema.terms:  # the project's shapes ask for a source per statement
            report.results.extend(statements_without_source(contribution))
        report.seconds = time.perf_counter() - started
        return report

    def _run(self, schema: Schema, context_nt: bytes, contribution_nt: bytes, timeout: float | None):
        if isinstance(self._runner, InlineRunner):
            return self._runner.call(validate_in_scratch, self.iris.base, schema, context_nt, contribution_nt, timeout)
        # A worker that has seen this schema gets its key only; one that has not gets it whole.
        try:
            return self._runner.call(
                validate_in_scratch,
                self.iris.base,
                schema.key,
                context_nt,
                contribution_nt,
                timeout,
                timeout=timeout,
                what="validation",
            )
        except RuntimeError as exc:
            if "LookupError" not in str(exc):
                raise
        return self._runner.call(
            validate_in_scratch,
            self.iris.base,
            schema,
            context_nt,
            contribution_nt,
            timeout,
            timeout=timeout,
            what="validation",
        )

    def close(self) -> None:
        self._runner.close()
