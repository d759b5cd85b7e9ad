"""Publish RDF files that are not the curated graph (``coopgraph serve --data``)."""

from __future__ import annotations

from pathlib import Path

from ..formats import guess_rdf_format, parse_rdf
from ..guards import DEFAULT_MAX_RDF_DEPTH
from ..namespaces import Iris
from ..store.embedded import OxigraphStore


def load_foreign_files(
    iris: Iris, path: Path, files: list[Path], *, max_depth: int | None = DEFAULT_MAX_RDF_DEPTH
) -> None:
    """Load files into a new store folder: TriG/N-Quads keep their graphs, others get one graph each.

    Files nested deeper than ``max_depth`` are refused before parsing (see :mod:`coopgraph.guards`).
    """
    import pyoxigraph as ox

    from ..store.snapshots import publish_snapshot

    store = OxigraphStore(iris, path)
    try:
        for file in files:
            fmt = guess_rdf_format(file.name)
            graph = ox.NamedNode(iris.data_graph(file.stem))
            quads = parse_rdf(
                file.read_bytes(),
                fmt,
                base_iri=file.resolve().as_uri(),
                source=str(file),
                to_graph=None if fmt.quads else graph,
                max_depth=max_depth,
            )
            quads = [
                q if not isinstance(q.graph_name, ox.DefaultGraph) else ox.Quad(q.subject, q.predicate, q.object, graph)
                for q in quads
            ]
            store.native.extend(quads)
        store.rebuild_union()
        publish_snapshot(path, store)
    finally:
        store.close()
