"""Exports round-trip: every format parses back to the same graph; JSON-LD is compacted and self-contained."""

from __future__ import annotations

import io
import json

import pyoxigraph as ox
import pytest
import rdflib

from conftest import MINI
from coopgraph.export import context_for, export
from coopgraph.formats import RDF_FORMATS
from coopgraph.jsonld import compact_triples


def isomorphic(first: rdflib.Graph, second: rdflib.Graph) -> bool:
    """Equal RDFC-1.0 canonical forms, i.e. isomorphic graphs.

    rdflib's own check takes minutes on the thousands of blank nodes of the statement records, which
    RDFC-1.0 tells apart at once by the terms each one holds.
    """
    return _canonical(first) == _canonical(second)


def _canonical(graph: rdflib.Graph) -> set[str]:
    dataset = ox.Dataset(ox.parse(graph.serialize(format="nt", encoding="utf-8"), format=ox.RdfFormat.N_TRIPLES))
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return {str(quad) for quad in dataset}


def exported(store, fmt: str, view: str = "all") -> bytes:
    buffer = io.BytesIO()
    export(store, RDF_FORMATS[fmt], buffer, view=view)
    return buffer.getvalue()


def as_rdflib(data: bytes, fmt: str) -> rdflib.Graph:
    """Parse with pyoxigraph (no fetching of anything), then hand the triples to rdflib."""
    graph = rdflib.Graph()
    triples = [q.triple for q in ox.parse(data, format=RDF_FORMATS[fmt].oxigraph)]
    graph.parse(data=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES), format="nt")
    return graph


@pytest.mark.parametrize("store_name", ["mini_store", "built_store"])
@pytest.mark.parametrize("fmt", ["jsonld", "ntriples", "rdfxml"])
@pytest.mark.parametrize("view", ["all", "asserted", "inferred"])
def test_triple_formats_round_trip_to_the_turtle_export(request, store_name, fmt, view):
    store = request.getfixturevalue(store_name)
    reference = as_rdflib(exported(store, "turtle", view), "turtle")
    assert len(reference) > 0
    assert isomorphic(as_rdflib(exported(store, fmt, view), fmt), reference)


@pytest.mark.parametrize("fmt", ["nquads", "trig"])
def test_quad_formats_keep_every_named_graph(mini_store, fmt):
    data = exported(mini_store, fmt)
    quads = list(ox.parse(data, format=RDF_FORMATS[fmt].oxigraph))
    graphs = {q.graph_name.value for q in quads}
    assert graphs == set(mini_store.graphs())
    for graph in graphs:
        assert sum(1 for q in quads if q.graph_name.value == graph) == mini_store.count(graph)


def test_jsonld_uses_readable_keys_from_the_context(mini_store):
    document = json.loads(exported(mini_store, "jsonld"))
    context = document["@context"]
    assert context["label"] == {"@id": "rdfs:label", "@container": "@language"}
    assert isinstance(context, dict)  # embedded: nothing to fetch
    alpha, types = {}, set()
    for node in document["@graph"]:  # a subject may appear once per named graph
        if node["@id"] == "id:city/alpha":
            alpha.update(node)
            found = node.get("@type", [])
            types.update(found if isinstance(found, list) else [found])
    assert alpha["label"] == {"en": "Alpha", "ja": "アルファ"}
    assert {"Municipality", "City", "Place"} <= types
    assert alpha["code"] == "01234"


def test_context_comes_from_the_ontology(mini_store):
    context = context_for(mini_store).to_json()
    assert context["participant"] == {"@id": "https://example.org/mini#participant", "@type": "@id"}
    assert context["startYear"] == {"@id": "https://example.org/mini#startYear", "@type": "xsd:gYear"}
    assert context["City"] == "https://example.org/mini#City"


def test_small_answers_serialise_as_jsonld():
    triples = [
        ox.Triple(
            ox.NamedNode("https://w3id.org/coopgraph/id/city/x"),
            ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label"),
            ox.Literal("X", language="en"),
        )
    ]
    graph = [q.triple for q in ox.parse(compact_triples(triples), format=ox.RdfFormat.JSON_LD)]
    assert graph == triples


def test_cli_export_to_file(tmp_path):
    from click.testing import CliRunner

    from coopgraph.cli import cli

    out = tmp_path / "dump.nq"
    result = CliRunner().invoke(cli, ["--root", str(MINI), "export", "--format", "nquads", "-o", str(out)])
    assert result.exit_code == 0
    assert len(list(ox.parse(path=str(out), format=ox.RdfFormat.N_QUADS))) > 100


# --- a store folder keeps its exports, per version ------------------------------------------


def cli_export(folder, out, fmt: str = "turtle", view: str = "all"):
    from click.testing import CliRunner

    from coopgraph.cli import cli

    command = ["--root", str(MINI), "export", "--store", str(folder), "--format", fmt, "--graph", view, "-o", str(out)]
    return CliRunner().invoke(cli, command)


@pytest.mark.parametrize("fmt", ["turtle", "jsonld"])
def test_a_store_folder_keeps_each_export_for_its_version(folder, tmp_path, fmt):
    """The first export of a version is kept in the folder; the next copies it; a write makes a new one."""
    from coopgraph.namespaces import Iris
    from coopgraph.store.snapshots import SnapshotStore

    assert cli_export(folder, tmp_path / "first", fmt).exit_code == 0
    first = (tmp_path / "first").read_bytes()
    kept = list((folder / "derived").glob(f"*/export-all.{fmt}"))
    assert len(kept) == 1 and kept[0].read_bytes() == first
    written = kept[0].stat()

    assert cli_export(folder, tmp_path / "second", fmt).exit_code == 0
    assert (tmp_path / "second").read_bytes() == first
    assert (kept[0].stat().st_ino, kept[0].stat().st_mtime_ns) == (written.st_ino, written.st_mtime_ns)

    iris = Iris()
    store = SnapshotStore(iris, folder, workers=1)
    try:
        reference = exported(store.whole_graph_reader(), "turtle")  # written straight from the snapshot
        assert isomorphic(as_rdflib(first, fmt), as_rdflib(reference, "turtle"))
        triple = '<https://example.org/kept-export-test> <http://www.w3.org/2000/01/rdf-schema#label> "new"'
        store.update(f"INSERT DATA {{ GRAPH <{iris.data_graph('extra')}> {{ {triple} }} }}")
    finally:
        store.close()

    assert cli_export(folder, tmp_path / "third", fmt).exit_code == 0
    third = (tmp_path / "third").read_bytes()
    assert b"kept-export-test" in third and b"kept-export-test" not in first
    assert len(list((folder / "derived").glob(f"*/export-all.{fmt}"))) == 2


def test_an_unknown_view_of_a_store_folder_is_refused_and_nothing_is_kept(folder):
    from coopgraph.errors import UsageError
    from coopgraph.namespaces import Iris
    from coopgraph.store.snapshots import SnapshotStore

    store = SnapshotStore(Iris(), folder, workers=1)
    try:
        with pytest.raises(UsageError, match="everything"):
            export(store, RDF_FORMATS["turtle"], io.BytesIO(), view="everything")
    finally:
        store.close()
    assert not list((folder / "derived").glob("*/export-*"))


def test_a_release_from_a_store_folder_keeps_no_export_beside_its_files(folder, mini_settings, tmp_path):
    """A release's files are kept copies already: writing its dumps leaves nothing in the folder."""
    from coopgraph.release import make_release
    from coopgraph.store.snapshots import SnapshotStore

    assert cli_export(folder, tmp_path / "dump.ttl").exit_code == 0  # the command line does keep its export
    command_line = {p.name for p in (folder / "derived").glob("*/export-*") if not p.name.endswith(".lock")}
    settings = mini_settings.with_overrides(releases_dir=str(tmp_path / "releases"))
    store = SnapshotStore(mini_settings.iris, folder, workers=1)
    try:
        release = make_release(store, settings, version="v1")
    finally:
        store.close()
    assert any(f.kind == "dump" for f in release.files)
    after = {p.name for p in (folder / "derived").glob("*/export-*") if not p.name.endswith(".lock")}
    assert command_line == {"export-all.turtle"} and after == command_line
