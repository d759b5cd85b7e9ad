"""Write the graph (a view of it) in any RDF format, streaming, without holding it in Python.

Triple formats hold the union of the view's graphs; N-Quads and TriG keep every named
graph. Turtle and N-Triples are written graph by graph straight from the store (a
document of concatenated Turtle or N-Triples parts is still one valid document);
RDF/XML needs a single document, so the view is merged in a scratch store first.
JSON-LD is compacted with coopgraph's context (see :mod:`coopgraph.jsonld`).

A store folder keeps each export it writes, per version of the graph, beside its other
derived values (``derived/VERSION/export-VIEW.FORMAT``): reading a million triples back
from RocksDB takes 10-30 s whatever the format (each term is looked up on disk), and the
same graph is exported again and again (mirrors, scripts, the command line), so the next
export of an unchanged graph is a copy of the file. Files of older versions go with the
other derived values. Releases write their dumps with :func:`write_export` and keep
nothing here: their files are kept copies already.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import IO

import pyoxigraph as ox

from .cache import shared_file
from .formats import RDF_FORMATS, RdfFormatInfo
from .jsonld import Context, build_context, write_jsonld
from .store.base import Store, view_graphs
from .store.embedded import OxigraphStore

CHUNK = 50_000
COPY_BUFFER = 1 << 20


def context_for(store: Store) -> Context:
    """The JSON-LD context of the store's ontology."""
    return build_context(store.iter_triples(store.iris.ontology_graph), store.iris.prefixes())


def export(store: Store, fmt: RdfFormatInfo, output: IO[bytes], *, view: str = "all") -> None:
    """Write the view in ``fmt``; from a store folder, through the file kept for its version."""
    kept = kept_export(store, fmt, view)
    if kept is None:
        write_export(store, fmt, output, view=view)
        return
    with open(kept, "rb") as source:
        shutil.copyfileobj(source, output, COPY_BUFFER)


def kept_export(store: Store, fmt: RdfFormatInfo, view: str = "all") -> Path | None:
    """The file holding the view's export for the store's current version, written if missing.

    None where the store keeps no derived values (in memory, remote) or its folder cannot
    be written; the caller then writes the export itself. The version is read before and
    after taking the snapshot to read, so a file is never kept under a version it is not.
    """
    folder = store.derived_folder()
    if folder is None:
        return None
    view_graphs([], store.iris, view)  # an unknown view is refused before anything is written
    version = store.version()
    source = store.whole_graph_reader()
    if store.version() != version:  # a write was published meanwhile: no file to keep it under
        return None

    def write(path: Path) -> None:
        with open(path, "wb") as out:
            write_export(source, fmt, out, view=view)

    return shared_file(folder, version, f"export-{view}.{fmt.name}", write)


def write_export(store: Store, fmt: RdfFormatInfo, output: IO[bytes], *, view: str = "all") -> None:
    """Stream the view out of the store in ``fmt``."""
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
