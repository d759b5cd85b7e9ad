"""The SPARQL 1.1 Service Description of the endpoint (https://www.w3.org/TR/sparql11-service-description/).

Clients (YASGUI, Comunica, harvesters) read it to learn where the endpoint is, what it
speaks and which graphs it holds, so it is built from the store itself, never written
by hand: the named graphs and their sizes are those being served.
"""

from __future__ import annotations

from collections.abc import Iterable

import pyoxigraph as ox

from ..formats import RDF_FORMATS, RESULT_FORMATS, RdfFormatInfo, serialize_triples
from ..namespaces import DCT, RDF, RDFS, SD, VOID, XSD
from ..store.base import Store
from .void import count_published_triples

#: W3C's IRIs for the formats (https://www.w3.org/ns/formats/), by our format names.
FORMAT_IRIS = {
    "json": "http://www.w3.org/ns/formats/SPARQL_Results_JSON",
    "xml": "http://www.w3.org/ns/formats/SPARQL_Results_XML",
    "csv": "http://www.w3.org/ns/formats/SPARQL_Results_CSV",
    "tsv": "http://www.w3.org/ns/formats/SPARQL_Results_TSV",
    "turtle": "http://www.w3.org/ns/formats/Turtle",
    "jsonld": "http://www.w3.org/ns/formats/JSON-LD",
    "ntriples": "http://www.w3.org/ns/formats/N-Triples",
    "rdfxml": "http://www.w3.org/ns/formats/RDF_XML",
    "nquads": "http://www.w3.org/ns/formats/N-Quads",
    "trig": "http://www.w3.org/ns/formats/TriG",
}

#: The formats a Service Description itself can be asked for.
DESCRIPTION_FORMATS = ("turtle", "jsonld", "rdfxml", "ntriples")


def describe_service(
    store: Store,
    endpoint: str,
    *,
    federation: Iterable[str] = (),
    default_graphs: list[str] | None = None,
    update: bool = False,
    graph_store: str | None = None,
) -> list[ox.Triple]:
    """Return the triples describing the endpoint at ``endpoint`` over ``store``.

    ``federation`` lists the remote endpoints SERVICE may call (none: no federated
    query is offered). ``default_graphs`` are the graphs merged into the default graph
    (the store's 'all' view when None).
    """

    def iri(value: str) -> ox.NamedNode:
        return ox.NamedNode(value)

    service = ox.BlankNode("service")
    dataset = ox.BlankNode("dataset")
    default = ox.BlankNode("defaultGraph")
    a = iri(RDF + "type")
    triples = [
        ox.Triple(service, a, iri(SD + "Service")),
        ox.Triple(service, iri(SD + "endpoint"), iri(endpoint)),
        ox.Triple(service, iri(SD + "supportedLanguage"), iri(SD + "SPARQL10Query")),
        ox.Triple(service, iri(SD + "supportedLanguage"), iri(SD + "SPARQL11Query")),
        ox.Triple(service, iri(SD + "defaultEntailmentRegime"), iri("http://www.w3.org/ns/entailment/Simple")),
        ox.Triple(
            service,
            iri(RDFS + "comment"),
            ox.Literal(
                (
                    "SPARQL 1.1 Protocol endpoint of coopgraph, with SPARQL 1.1 Update for those allowed to write "
                    f"(the Graph Store Protocol is at {graph_store}). LOAD reaches only allow-listed documents. "
                    if update
                    else "Read-only SPARQL 1.1 Protocol endpoint of coopgraph. SPARQL Update, LOAD and Graph Store "
                    "writes are refused (403). "
                )
                + "Every query has a time limit and a cap on result rows. The default "
                "graph is the merge of the graphs listed below, including the triples materialised by OWL 2 RL "
                "reasoning; default-graph-uri and named-graph-uri replace it.",
                language="en",
            ),
        ),
        ox.Triple(service, iri(SD + "defaultDataset"), dataset),
        ox.Triple(dataset, a, iri(SD + "Dataset")),
        ox.Triple(dataset, iri(SD + "defaultGraph"), default),
        ox.Triple(default, a, iri(SD + "Graph")),
    ]
    if update:
        triples.append(ox.Triple(service, iri(SD + "supportedLanguage"), iri(SD + "SPARQL11Update")))
    if graph_store:
        triples.append(ox.Triple(service, iri(RDFS + "seeAlso"), iri(graph_store)))
        triples.append(
            ox.Triple(iri(graph_store), iri(DCT + "conformsTo"), iri("http://www.w3.org/TR/sparql11-http-rdf-update/"))
        )
    for name in (*RESULT_FORMATS, *RDF_FORMATS):
        triples.append(ox.Triple(service, iri(SD + "resultFormat"), iri(FORMAT_IRIS[name])))
    remote = list(federation)
    if remote:
        triples.append(ox.Triple(service, iri(SD + "feature"), iri(SD + "BasicFederatedQuery")))
        for target in remote:
            triples.append(ox.Triple(service, iri(RDFS + "seeAlso"), iri(target)))
    version = store.version()
    triples.append(ox.Triple(dataset, iri(DCT + "hasVersion"), ox.Literal(version)))
    modified = store.modified()
    if modified is not None:
        triples.append(
            ox.Triple(
                dataset,
                iri(DCT + "modified"),
                ox.Literal(modified.isoformat().replace("+00:00", "Z"), datatype=iri(XSD + "dateTime")),
            )
        )
    in_default = set(store.view("all") if default_graphs is None else default_graphs)
    # the default graph's size as the home page, /dataset and the releases give it (each triple once)
    if default_graphs is None:
        triples += [
            ox.Triple(
                default,
                iri(VOID + "triples"),
                ox.Literal(str(count_published_triples(store)), datatype=iri(XSD + "integer")),
            ),
            ox.Triple(
                default,
                iri(RDFS + "comment"),
                ox.Literal(
                    "The merge of the named graphs given as its sources; a triple stated in several of them "
                    "counts once. The other named graphs (the SHACL shapes) are queried by name only.",
                    language="en",
                ),
            ),
        ]
    for index, graph in enumerate(sorted(store.graphs())):
        named = ox.BlankNode(f"named{index}")
        described = ox.BlankNode(f"graph{index}")
        triples += [
            ox.Triple(dataset, iri(SD + "namedGraph"), named),
            ox.Triple(named, a, iri(SD + "NamedGraph")),
            ox.Triple(named, iri(SD + "name"), iri(graph)),
            ox.Triple(named, iri(SD + "graph"), described),
            ox.Triple(described, a, iri(SD + "Graph")),
            ox.Triple(
                described, iri(VOID + "triples"), ox.Literal(str(store.count(graph)), datatype=iri(XSD + "integer"))
            ),
        ]
        if graph in in_default:
            triples.append(ox.Triple(default, iri(DCT + "source"), iri(graph)))
        else:
            triples.append(
                ox.Triple(
                    named,
                    iri(RDFS + "comment"),
                    ox.Literal(
                        "Not part of the default graph: query it by name (GRAPH or named-graph-uri).", language="en"
                    ),
                )
            )
    # group the triples by subject, in order of first appearance, for a readable Turtle
    order: dict = {}
    for triple in triples:
        order.setdefault(triple.subject, len(order))
    return sorted(triples, key=lambda t: order[t.subject])


def serialize_description(triples: list[ox.Triple], fmt: RdfFormatInfo) -> bytes:
    prefixes = {"sd": SD, "void": VOID, "dct": DCT, "rdfs": RDFS, "xsd": XSD}
    return serialize_triples(triples, fmt, prefixes)
