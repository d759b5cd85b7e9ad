"""Files -> named graphs: the ontology, the shapes, and one graph per data file.

Each curated file keeps its own named graph so a user can always tell which topic file
a triple came from, and a file can be reloaded alone. Files are written against the
canonical base IRI; when a deployment uses another base they are rewritten on the way in.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from ..errors import LoadError
from ..formats import RDF_FORMATS, RdfFormatInfo, guess_rdf_format, parse_rdf
from ..namespaces import CANONICAL_BASE, Iris

log = logging.getLogger(__name__)

#: Files larger than this go through pyoxigraph's bulk loader instead of a transaction.
BULK_THRESHOLD = 8 * 1024 * 1024
RDF_EXTENSIONS = tuple(ext for info in RDF_FORMATS.values() for ext in info.extensions if ext not in (".json", ".xml"))


@dataclass(frozen=True)
class SourceFile:
    path: Path
    graph: str
    kind: str  # "ontology", "shapes" or "data"

    @property
    def format(self) -> RdfFormatInfo:
        return guess_rdf_format(self.path.name)


def rdf_files(folder: Path) -> list[Path]:
    """Return the RDF files of a folder, sorted, ignoring notes and other files."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and p.name.lower().endswith(RDF_EXTENSIONS))


def project_files(ontology_dir: Path, shapes_dir: Path, data_dir: Path, iris: Iris) -> list[SourceFile]:
    """List the curated files and the named graph each one goes to."""
    files = [SourceFile(p, iris.ontology_graph, "ontology") for p in rdf_files(ontology_dir)]
    files += [SourceFile(p, iris.shapes_graph, "shapes") for p in rdf_files(shapes_dir)]
    files += [SourceFile(p, iris.data_graph(p.stem), "data") for p in rdf_files(data_dir)]
    if not any(f.kind == "ontology" for f in files):
        raise LoadError(
            f"no ontology file found in {ontology_dir}",
            hint="Run coopgraph from the project folder, or set --root / COOPGRAPH_ROOT.",
        )
    return files


def rewrite_quads(quads: Iterable[ox.Quad], iris: Iris) -> list[ox.Quad]:
    """Map canonical-base IRIs onto the deployment's base."""

    def term(t):
        if isinstance(t, ox.NamedNode) and t.value.startswith(CANONICAL_BASE):
            return ox.NamedNode(iris.rewrite(t.value))
        return t

    return [ox.Quad(term(q.subject), q.predicate, term(q.object), term(q.graph_name)) for q in quads]


def read_file(source: SourceFile, iris: Iris) -> list[ox.Quad]:
    """Parse one curated file into quads of its graph; syntax errors name file, line and column."""
    try:
        data = source.path.read_bytes()
    except OSError as exc:
        raise LoadError(f"cannot read {source.path}: {exc.strerror}") from exc
    quads = parse_rdf(
        data, source.format, base_iri=iris.id_base, source=str(source.path), to_graph=ox.NamedNode(source.graph)
    )
    if source.format.quads:
        quads = [ox.Quad(q.subject, q.predicate, q.object, ox.NamedNode(source.graph)) for q in quads]
    return rewrite_quads(quads, iris) if iris.base != CANONICAL_BASE else quads


def load_files(
    store, files: list[SourceFile], iris: Iris, progress: Callable[[SourceFile], None] | None = None
) -> dict[str, int]:
    """Load every file into its graph (replacing what the graph held); return triples per graph.

    Small files of a graph are loaded in one transaction; a large file (a benchmark dump,
    a big publication) streams through the store's bulk loader instead.
    """
    by_graph: dict[str, list[SourceFile]] = {}
    for source in files:
        by_graph.setdefault(source.graph, []).append(source)
    for graph, sources in by_graph.items():
        big = [s for s in sources if s.path.stat().st_size > BULK_THRESHOLD and iris.base == CANONICAL_BASE]
        quads: list[ox.Quad] = []
        for source in sources:
            if source not in big:
                quads.extend(read_file(source, iris))
                if progress:
                    progress(source)
        store.replace_graphs({graph: quads})
        for source in big:
            store.bulk_load_file(graph, source.path, source.format, base_iri=iris.id_base)
            if progress:
                progress(source)
    return {graph: store.count(graph) for graph in by_graph}
