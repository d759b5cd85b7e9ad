"""Namespaces, prefixes and the IRIs of coopgraph's named graphs.

The ontology namespace is fixed; the base under which resources and graphs are minted
is a deployment setting (``base_iri``), so the IRIs that depend on it are computed by
:class:`Iris` rather than kept as constants.
"""

from __future__ import annotations

from dataclasses import dataclass

#: The base every curated file is written against; deployments may serve another one.
CANONICAL_BASE = "https://w3id.org/coopgraph/"
ONTOLOGY = "https://w3id.org/coopgraph/ontology#"
SHAPES = "https://w3id.org/coopgraph/shapes#"

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
SH = "http://www.w3.org/ns/shacl#"
DCT = "http://purl.org/dc/terms/"
DCAT = "http://www.w3.org/ns/dcat#"
PROV = "http://www.w3.org/ns/prov#"
ORG = "http://www.w3.org/ns/org#"
FOAF = "http://xmlns.com/foaf/0.1/"
SCHEMA = "https://schema.org/"
TIME = "http://www.w3.org/2006/time#"
GEO = "http://www.w3.org/2003/01/geo/wgs84_pos#"
VOID = "http://rdfs.org/ns/void#"
SD = "http://www.w3.org/ns/sparql-service-description#"

RDF_TYPE = RDF + "type"
RDFS_LABEL = RDFS + "label"
SKOS_PREF_LABEL = SKOS + "prefLabel"

#: Prefixes offered to every query and used when serialising.
PREFIXES: dict[str, str] = {
    "cg": ONTOLOGY,
    "cgsh": SHAPES,
    "rdf": RDF,
    "rdfs": RDFS,
    "owl": OWL,
    "xsd": XSD,
    "skos": SKOS,
    "sh": SH,
    "dct": DCT,
    "dcat": DCAT,
    "prov": PROV,
    "org": ORG,
    "foaf": FOAF,
    "schema": SCHEMA,
    "time": TIME,
    "geo": GEO,
}


@dataclass(frozen=True)
class Iris:
    """The IRIs that depend on the deployment's base IRI."""

    base: str = CANONICAL_BASE

    def __post_init__(self):
        if not self.base.endswith("/"):
            object.__setattr__(self, "base", self.base + "/")

    @property
    def id_base(self) -> str:
        return self.base + "id/"

    @property
    def graph_base(self) -> str:
        return self.base + "graph/"

    @property
    def ontology_graph(self) -> str:
        return self.graph_base + "ontology"

    @property
    def shapes_graph(self) -> str:
        return self.graph_base + "shapes"

    @property
    def inferred_graph(self) -> str:
        return self.graph_base + "inferred"

    @property
    def meta_graph(self) -> str:
        """The graph holding facts about the build itself (time, version, contributions)."""
        return self.graph_base + "meta"

    def data_graph(self, topic: str) -> str:
        return self.graph_base + "data/" + topic

    @property
    def contribution_base(self) -> str:
        return self.graph_base + "contribution/"

    def contribution_graph(self, contribution_id: str) -> str:
        return self.contribution_base + contribution_id

    @property
    def provenance_graph(self) -> str:
        """The graph holding the provenance (PROV-O) of every accepted contribution."""
        return self.graph_base + "provenance"

    def is_contribution_graph(self, graph: str) -> bool:
        return graph.startswith(self.contribution_base) or graph == self.provenance_graph

    def prefixes(self) -> dict[str, str]:
        """Return the query/serialisation prefixes, with ``id:`` bound to this base."""
        return {**PREFIXES, "id": self.id_base}

    def rewrite(self, iri: str) -> str:
        """Map an IRI written against the canonical base onto this deployment's base."""
        if self.base != CANONICAL_BASE and iri.startswith(CANONICAL_BASE):
            return self.base + iri[len(CANONICAL_BASE) :]
        return iri
