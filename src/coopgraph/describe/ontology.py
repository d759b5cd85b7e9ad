"""Human-readable documentation of the ontology, generated from the ontology graph.

The ontology file stays the one source; this module reads its classes and properties
(labels, definitions, hierarchy, domains, ranges, inverses) from the built store, and
adds what only the data can tell: each class's instances and each property's uses.
Nothing here is written to a file; the web app renders it at /ontology.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pyoxigraph as ox

from ..namespaces import DCT, ONTOLOGY, OWL, RDF, RDF_TYPE, RDFS, SKOS
from .resource import DESCRIPTION_PREDICATES, LABEL_PREDICATES, fetch_labels, local_name, pick_label, values_block

CLASS_TYPES = (OWL + "Class", RDFS + "Class")
PROPERTY_TYPES = {
    OWL + "ObjectProperty": "object",
    OWL + "DatatypeProperty": "datatype",
    OWL + "AnnotationProperty": "annotation",
    RDF + "Property": "property",
}
INSTANCE_SAMPLE = 60
USE_SAMPLE = 5


@dataclass
class Term:
    iri: str
    kind: str  # class | object | datatype | annotation | property
    labels: list = field(default_factory=list)
    definitions: list = field(default_factory=list)
    parents: list[str] = field(default_factory=list)
    children: list[str] = field(default_factory=list)
    domains: list[str] = field(default_factory=list)
    ranges: list[str] = field(default_factory=list)
    inverses: list[str] = field(default_factory=list)
    count: int = 0  # instances (class) or uses (property)
    sample: list = field(default_factory=list)  # instance IRIs, or (subject, object) pairs

    @property
    def anchor(self) -> str:
        return anchor(self.iri)

    def label(self, lang: str) -> tuple[str | None, str | None]:
        return pick_label(self.labels, lang, self.iri)

    def definition(self, lang: str) -> str | None:
        return pick_label(self.definitions, lang)[0]


@dataclass
class OntologyDoc:
    iri: str | None
    metadata: dict[str, list]  # predicate -> values of the owl:Ontology node
    classes: list[Term]
    properties: list[Term]
    labels: dict[str, list]  # labels of everything mentioned

    def term(self, iri: str) -> Term | None:
        for term in self.classes + self.properties:
            if term.iri == iri:
                return term
        return None

    @property
    def iris(self) -> set[str]:
        return {t.iri for t in self.classes + self.properties}

    def label(self, iri: str, lang: str) -> str | None:
        return pick_label(self.labels.get(iri, []), lang, iri)[0]


def anchor(iri: str) -> str:
    """A fragment id for a term: its local name for our namespace, a readable slug otherwise."""
    if iri.startswith(ONTOLOGY):
        return iri[len(ONTOLOGY) :]
    return re.sub(r"[^A-Za-z0-9_-]+", "-", iri.split("://", 1)[-1]).strip("-")


def ontology_doc(store) -> OntologyDoc:
    """Read the ontology graph and the use of its terms in the data."""
    iris = store.iris
    rows = store.select("SELECT ?s ?p ?o WHERE { ?s ?p ?o }", default_graphs=[iris.ontology_graph])
    facts: dict[str, dict[str, list]] = {}
    for row in rows:
        if isinstance(row["s"], ox.NamedNode):
            facts.setdefault(row["s"].value, {}).setdefault(row["p"].value, []).append(row["o"])
    terms: dict[str, Term] = {}
    ontology_iri = None
    for iri, props in facts.items():
        types = {t.value for t in props.get(RDF_TYPE, []) if isinstance(t, ox.NamedNode)}
        if OWL + "Ontology" in types:
            ontology_iri = iri
        kind = (
            "class"
            if types & set(CLASS_TYPES)
            else next((PROPERTY_TYPES[t] for t in PROPERTY_TYPES if t in types), None)
        )
        if kind is None:
            continue

        def iri_values(predicate):
            return [v.value for v in props.get(predicate, []) if isinstance(v, ox.NamedNode)]

        terms[iri] = Term(
            iri,
            kind,
            labels=[v for p in LABEL_PREDICATES for v in props.get(p, []) if isinstance(v, ox.Literal)],
            definitions=[
                v
                for p in (SKOS + "definition", RDFS + "comment", DCT + "description")
                for v in props.get(p, [])
                if isinstance(v, ox.Literal)
            ],
            parents=iri_values(RDFS + "subClassOf" if kind == "class" else RDFS + "subPropertyOf"),
            domains=iri_values(RDFS + "domain"),
            ranges=iri_values(RDFS + "range"),
            inverses=iri_values(OWL + "inverseOf"),
        )
    for term in terms.values():
        for parent in term.parents:
            if parent in terms:
                terms[parent].children.append(term.iri)
        for inverse in term.inverses:  # owl:inverseOf is symmetric; show it on both sides
            other = terms.get(inverse)
            if other is not None and term.iri not in other.inverses:
                other.inverses.append(term.iri)
    _add_instances(store, terms)
    _add_uses(store, terms)
    mentioned = set(terms) | {i for t in terms.values() for i in t.parents + t.domains + t.ranges + t.inverses}
    mentioned |= {i for t in terms.values() if t.kind == "class" for i in t.sample}
    mentioned |= {
        x.value
        for t in terms.values()
        if t.kind != "class"
        for pair in t.sample
        for x in pair
        if isinstance(x, ox.NamedNode)
    }
    labels = fetch_labels(store, mentioned).literals
    metadata = facts.get(ontology_iri, {}) if ontology_iri else {}

    def order(term: Term):
        return ((term.label("en")[0] or local_name(term.iri)).lower(), term.iri)

    classes = sorted((t for t in terms.values() if t.kind == "class"), key=order)
    properties = sorted((t for t in terms.values() if t.kind != "class"), key=order)
    return OntologyDoc(ontology_iri, metadata, classes, properties, labels)


def _add_instances(store, terms: dict[str, Term]) -> None:
    classes = [iri for iri, t in terms.items() if t.kind == "class"]
    if not classes:
        return
    block = values_block("c", classes)
    for row in store.select(f"SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE {{ {block} ?s a ?c }} GROUP BY ?c"):
        terms[row["c"].value].count = int(row["n"].value)
    for iri in classes:
        if terms[iri].count:
            rows = store.select(
                f"SELECT DISTINCT ?s WHERE {{ {values_block('c', [iri])} ?s a ?c "
                f"FILTER(isIRI(?s)) }} ORDER BY ?s LIMIT {INSTANCE_SAMPLE}"
            )
            terms[iri].sample = [r["s"].value for r in rows]


def _add_uses(store, terms: dict[str, Term]) -> None:
    properties = [iri for iri, t in terms.items() if t.kind != "class"]
    if not properties:
        return
    block = values_block("p", properties)
    for row in store.select(f"SELECT ?p (COUNT(*) AS ?n) WHERE {{ {block} ?s ?p ?o }} GROUP BY ?p"):
        terms[row["p"].value].count = int(row["n"].value)
    for iri in properties:
        if terms[iri].count:
            rows = store.select(
                f"SELECT ?s ?o WHERE {{ {values_block('p', [iri])} ?s ?p ?o FILTER(isIRI(?s)) }} "
                f"ORDER BY ?s ?o LIMIT {USE_SAMPLE}"
            )
            terms[iri].sample = [(r["s"], r["o"]) for r in rows]


@dataclass
class ClassCount:
    iri: str
    labels: list
    count: int

    def label(self, lang: str) -> tuple[str | None, str | None]:
        return pick_label(self.labels, lang, self.iri)


def class_counts(store) -> list[ClassCount]:
    """How many of our resources each class of the ontology has (inferred types included)."""
    prefix = str(ox.Literal(store.iris.id_base))
    rows = store.select(f"""
        SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE {{
          GRAPH <{store.iris.ontology_graph}> {{ {{ ?c a <{OWL}Class> }} UNION {{ ?c a <{RDFS}Class> }} }}
          ?s a ?c FILTER(isIRI(?c) && STRSTARTS(STR(?s), {prefix}))
        }} GROUP BY ?c""")
    counts = {r["c"].value: int(r["n"].value) for r in rows}
    labels = fetch_labels(store, counts)
    out = [ClassCount(iri, labels.literals.get(iri, []), n) for iri, n in counts.items()]
    out.sort(key=lambda c: (-c.count, (c.label("en")[0] or c.iri).lower()))
    return out


def instances(store, class_iri: str, limit: int = 50) -> tuple[list[tuple[str, list]], int]:
    """A class's instances of ours (IRI and label literals), and how many there are."""
    prefix = str(ox.Literal(store.iris.id_base))
    block = values_block("c", [class_iri])
    total = store.select(
        f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ {block} ?s a ?c FILTER(STRSTARTS(STR(?s), {prefix})) }}"
    )
    rows = store.select(
        f"SELECT DISTINCT ?s WHERE {{ {block} ?s a ?c FILTER(isIRI(?s) && STRSTARTS(STR(?s), {prefix})) }}"
    )
    found = [r["s"].value for r in rows]
    labels = fetch_labels(store, found)
    items = sorted(
        ((iri, labels.literals.get(iri, [])) for iri in found),
        key=lambda item: ((pick_label(item[1], "en")[0] or item[0]).lower(), item[0]),
    )
    return items[:limit], int(total[0]["n"].value) if total else 0


__all__ = ["ontology_doc", "class_counts", "instances", "anchor", "OntologyDoc", "Term", "DESCRIPTION_PREDICATES"]
