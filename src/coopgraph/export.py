"""Write the graph (a view of it) in any RDF format, streaming, without holding it in Python.

Triple formats hold the union of the view's graphs; N-Quads and TriG keep every named
graph. Turtle and N-Triples are written graph by graph straight from the store (a
document of concatenated Turtle or N-Triples parts is still one valid document);
RDF/XML needs a single document, so the view is merged in a scratch store first.
JSON-LD is compacted with coopgraph's context (see :mod:`coopgraph.jsonld`).
"""

from __future__ import annotations

from typing import IO

import pyoxigraph as ox

from .formats import RDF_FORMATS, RdfFormatInfo
from .jsonld import Context, build_context, write_jsonld
from .store.base import Store
from .store.embedded import OxigraphStore

CHUNK = 50_000


def context_for(store: Store) -> Context:
    """The JSON-LD context of the store's ontology."""
    return build_context(store.iter_triples(store.iris.ontology_graph), store.iris.prefixes())


def export(store: Store, fmt: RdfFormatInfo, output: IO[bytes], *, view: str = "all") -> None:
    prefixes = store.iris.prefixes()
    if fmt.quads:
        graphs = store.graphs() if view == "all" else store.view(view)
        for graph in sorted(graphs):
            _write_quads(store, graph, fmt, output, prefixes)
        return
    # one graph holding the whole view, where the store keeps one: read once, each triple once
    one = store.view_graph(view)
    graphs = [one] if one else store.view(view)
    if fmt.name == "jsonld":
        write_jsonld(_chain(store, graphs), context_for(store), output)
    elif fmt.name in ("turtle", "ntriples"):
        for graph in graphs:
            store.dump(fmt, graph=graph, output=output, prefixes=prefixes)
    else:
        merged = OxigraphStore(store.iris)
        nt = RDF_FORMATS["ntriples"]
        for graph in graphs:
            merged.native.load(store.dump(nt, graph=graph), ox.RdfFormat.N_TRIPLES)
        merged.dump(fmt, graph=None, output=output, prefixes=prefixes)


def _chain(store: Store, graphs: list[str]):
    for graph in graphs:
        yield from store.iter_triples(graph)


def _write_quads(store: Store, graph: str, fmt: RdfFormatInfo, output: IO[bytes], prefixes: dict) -> None:
    node = ox.NamedNode(graph)
    batch: list[ox.Quad] = []
    kwargs = {"prefixes": prefixes} if fmt.name == "trig" else {}
    for triple in store.iter_triples(graph):
        batch.append(ox.Quad(triple.subject, triple.predicate, triple.object, node))
        if len(batch) >= CHUNK:
            output.write(ox.serialize(batch, format=fmt.oxigraph, **kwargs))
            batch = []
    if batch:
        output.write(ox.serialize(batch, format=fmt.oxigraph, **kwargs))
