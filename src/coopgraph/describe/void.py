"""VoID statistics of the published graph, counted in the store with SPARQL.

The dataset is the graph the SPARQL endpoint answers by default (every named graph but
the shapes), as a set of triples: a triple stated in two graphs counts once. Counting
happens in the store, one aggregate query per figure, so nothing is pulled into Python
but the numbers, whatever the size of the graph.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyoxigraph as ox

from ..namespaces import PREFIXES, RDF
from ..store.base import Store

#: The datasets coopgraph links to, by the start of their IRIs (void:uriSpace).
LINK_TARGETS: dict[str, dict[str, str]] = {
    "wikidata": {
        "title": "Wikidata",
        "uri_space": "http://www.wikidata.org/entity/",
        "homepage": "https://www.wikidata.org/",
    },
    "geonames": {
        "title": "GeoNames",
        "uri_space": "https://sws.geonames.org/",
        "homepage": "https://www.geonames.org/",
    },
    "eurovoc": {
        "title": "EuroVoc",
        "uri_space": "http://eurovoc.europa.eu/",
        "homepage": "https://op.europa.eu/en/web/eu-vocabularies/dataset/-/resource?uri=http://publications.europa.eu/resource/dataset/eurovoc",
    },
}

#: Classes whose first instance serves as an example resource (when the ontology has them).
EXAMPLE_CLASSES = ("Pairing", "Programme", "Municipality", "Document")

_DISTINCT_TRIPLES = "{ SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } }"


def count_published_triples(store: Store, timeout: float | None = None) -> int:
    """The triples of the published graph (the endpoint's default graph), each counted once.

    The one figure the home page, the dataset page, the releases and the service
    description all give as the size of the graph, so they agree.
    """
    return _number(store, f"SELECT (COUNT(*) AS ?n) WHERE {_DISTINCT_TRIPLES}", store.view("all"), timeout)


@dataclass(frozen=True)
class Linkset:
    """The links of one predicate from the graph into one other dataset."""

    target: str  # a key of LINK_TARGETS
    predicate: str
    triples: int


@dataclass
class VoidStatistics:
    uri_space: str
    triples: int = 0
    entities: int = 0
    distinct_subjects: int = 0
    distinct_objects: int = 0
    classes: dict[str, int] = field(default_factory=dict)  # class IRI -> instances
    properties: dict[str, int] = field(default_factory=dict)  # property IRI -> triples
    linksets: list[Linkset] = field(default_factory=list)
    examples: list[str] = field(default_factory=list)
    vocabularies: list[str] = field(default_factory=list)

    @classmethod
    def from_dict(cls, data: dict) -> VoidStatistics:
        """Read back :meth:`to_dict` (a release keeps its statistics in release.json)."""
        return cls(
            uri_space=data["uriSpace"],
            triples=data["triples"],
            entities=data["entities"],
            distinct_subjects=data["distinctSubjects"],
            distinct_objects=data["distinctObjects"],
            classes={p["class"]: p["entities"] for p in data["classPartitions"]},
            properties={p["property"]: p["triples"] for p in data["propertyPartitions"]},
            linksets=[Linkset(ls["target"], ls["predicate"], ls["triples"]) for ls in data["linksets"]],
            examples=list(data["exampleResources"]),
            vocabularies=list(data["vocabularies"]),
        )

    def to_dict(self) -> dict:
        return {
            "uriSpace": self.uri_space,
            "triples": self.triples,
            "entities": self.entities,
            "distinctSubjects": self.distinct_subjects,
            "distinctObjects": self.distinct_objects,
            "classes": len(self.classes),
            "properties": len(self.properties),
            "classPartitions": [{"class": c, "entities": n} for c, n in self.classes.items()],
            "propertyPartitions": [{"property": p, "triples": n} for p, n in self.properties.items()],
            "linksets": [
                {"target": ls.target, "predicate": ls.predicate, "triples": ls.triples} for ls in self.linksets
            ],
            "exampleResources": self.examples,
            "vocabularies": self.vocabularies,
        }


def _number(store: Store, sparql: str, graphs: list[str], timeout: float | None) -> int:
    rows = store.select(sparql, default_graphs=graphs, timeout=timeout)
    return int(rows[0]["n"].value) if rows and "n" in rows[0] else 0


def _counts(store: Store, sparql: str, graphs: list[str], timeout: float | None, key: str) -> dict[str, int]:
    rows = store.select(sparql, default_graphs=graphs, timeout=timeout)
    pairs = [(row[key].value, int(row["n"].value)) for row in rows if isinstance(row.get(key), ox.NamedNode)]
    return dict(sorted(pairs))


def compute_statistics(
    store: Store, *, ontology_namespace: str = PREFIXES["cg"], timeout: float | None = None
) -> VoidStatistics:
    """Count what VoID reports about the published graph (the ``all`` view)."""
    graphs = store.view("all")
    uri_space = store.iris.id_base
    stats = VoidStatistics(uri_space=uri_space)
    stats.triples = count_published_triples(store, timeout)
    stats.distinct_subjects = _number(store, "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s ?p ?o }", graphs, timeout)
    stats.distinct_objects = _number(store, "SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE { ?s ?p ?o }", graphs, timeout)
    stats.entities = _number(
        store,
        "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s ?p ?o "
        f"FILTER(isIRI(?s) && STRSTARTS(STR(?s), {_string(uri_space)})) }}",
        graphs,
        timeout,
    )
    stats.classes = _counts(
        store, f"SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s <{RDF}type> ?c }} GROUP BY ?c", graphs, timeout, "c"
    )
    stats.properties = _counts(
        store, f"SELECT ?p (COUNT(*) AS ?n) WHERE {_DISTINCT_TRIPLES} GROUP BY ?p", graphs, timeout, "p"
    )
    for target, info in LINK_TARGETS.items():
        counts = _counts(
            store,
            "SELECT ?p (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o "
            f"FILTER(isIRI(?o) && STRSTARTS(STR(?o), {_string(info['uri_space'])})) }} }} "
            "GROUP BY ?p",
            graphs,
            timeout,
            "p",
        )
        stats.linksets += [Linkset(target, predicate, n) for predicate, n in counts.items()]
    stats.examples = _examples(store, graphs, ontology_namespace, uri_space, timeout)
    stats.vocabularies = _vocabularies([*stats.classes, *stats.properties])
    return stats


def _examples(store: Store, graphs: list[str], namespace: str, uri_space: str, timeout: float | None) -> list[str]:
    """The first instance (by IRI) of each main class; any first resources if the ontology has none of them."""
    examples = []
    for local in EXAMPLE_CLASSES:
        rows = store.select(
            f"SELECT ?s WHERE {{ ?s <{RDF}type> <{namespace}{local}> "
            f"FILTER(STRSTARTS(STR(?s), {_string(uri_space)})) }} ORDER BY STR(?s) LIMIT 1",
            default_graphs=graphs,
            timeout=timeout,
        )
        examples += [row["s"].value for row in rows]
    if not examples:
        rows = store.select(
            f"SELECT DISTINCT ?s WHERE {{ ?s ?p ?o FILTER(isIRI(?s) && STRSTARTS(STR(?s), "
            f"{_string(uri_space)})) }} ORDER BY STR(?s) LIMIT 3",
            default_graphs=graphs,
            timeout=timeout,
        )
        examples = [row["s"].value for row in rows]
    return examples


def _vocabularies(terms: list[str]) -> list[str]:
    """The namespaces of known vocabularies whose terms the graph uses."""
    known = sorted(set(PREFIXES.values()) - {PREFIXES["cgsh"]}, key=len, reverse=True)
    used = set()
    for term in terms:
        for namespace in known:
            if term.startswith(namespace):
                used.add(namespace)
                break
    return sorted(used)


def _string(text: str) -> str:
    """A SPARQL string literal (only for IRIs we mint or list ourselves)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
