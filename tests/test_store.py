"""The store interface: named-graph layout, views, bindings, atomic writes, errors."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from coopgraph.errors import QuerySyntaxError, RdfSyntaxError, UsageError
from coopgraph.formats import RDF_FORMATS
from coopgraph.namespaces import Iris
from coopgraph.store.base import view_graphs
from coopgraph.store.embedded import OxigraphStore
from coopgraph.store.spec import open_spec

EX = "https://example.org/mini#"
ID = "https://w3id.org/coopgraph/id/"
IRIS = Iris()


def test_each_part_has_its_own_named_graph(mini_store):
    graphs = set(mini_store.graphs())
    assert graphs == {
        IRIS.ontology_graph,
        IRIS.shapes_graph,
        IRIS.inferred_graph,
        IRIS.meta_graph,
        IRIS.data_graph("places"),
        IRIS.data_graph("pairings"),
    }


def test_default_graph_is_the_union_without_the_shapes(mini_store):
    shapes = "ASK { ?s a <http://www.w3.org/ns/shacl#NodeShape> }"
    assert not mini_store.ask(shapes)
    assert mini_store.ask(shapes, default_graphs=[IRIS.shapes_graph])
    # data from two files and the ontology meet in the default graph
    assert mini_store.ask(
        f"ASK {{ <{ID}pairing/alpha-gamma> <{EX}participant> ?c . ?c <{EX}code> ?code . "
        f"<{EX}City> a <http://www.w3.org/2002/07/owl#Class> }}"
    )


def test_asserted_view_leaves_out_the_inferred_triples(mini_store):
    inferred_fact = f"ASK {{ <{ID}city/beta> a <{EX}City> }}"
    assert mini_store.ask(inferred_fact)
    assert not mini_store.ask(inferred_fact, default_graphs=mini_store.view("asserted"))
    assert mini_store.ask(inferred_fact, default_graphs=mini_store.view("inferred"))


def test_views_are_computed_from_the_graph_list():
    graphs = [IRIS.ontology_graph, IRIS.shapes_graph, IRIS.inferred_graph, IRIS.data_graph("a")]
    assert view_graphs(graphs, IRIS, "all") == [IRIS.data_graph("a"), IRIS.inferred_graph, IRIS.ontology_graph]
    assert view_graphs(graphs, IRIS, "asserted") == [IRIS.data_graph("a"), IRIS.ontology_graph]
    assert view_graphs(graphs, IRIS, "inferred") == [IRIS.inferred_graph]
    with pytest.raises(UsageError):
        view_graphs(graphs, IRIS, "everything")


def test_bindings_are_values_not_text(mini_store):
    query = "SELECT ?s WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?label }"
    assert mini_store.select(query, bindings={"label": ox.Literal("Alpha", language="en")}) == [
        {"s": ox.NamedNode(ID + "city/alpha")}
    ]
    hostile = ox.Literal('Alpha"@en } UNION { ?s ?p ?o } #')
    assert mini_store.select(query, bindings={"label": hostile}) == []


def test_bound_variable_need_not_be_projected(mini_store):
    rows = mini_store.select(
        f"SELECT ?code WHERE {{ ?city <{EX}code> ?code }}", bindings={"city": ox.NamedNode(ID + "city/alpha")}
    )
    assert [r["code"].value for r in rows] == ["01234"]


def test_max_rows_cuts_and_flags_the_answer(mini_store):
    result = mini_store.query("SELECT ?s ?p ?o WHERE { ?s ?p ?o }", max_rows=5)
    assert len(result.rows) == 5 and result.truncated
    whole = mini_store.query("SELECT ?s WHERE { ?s a <https://example.org/mini#Pairing> }", max_rows=5)
    assert len(whole.rows) == 1 and not whole.truncated


def test_construct_and_ask_results(mini_store):
    result = mini_store.query(f"CONSTRUCT {{ ?s a <{EX}Region> }} WHERE {{ ?s a <{EX}Region> }}")
    assert result.kind == "graph" and len(result.triples) == 2
    assert mini_store.query("ASK { ?s ?p ?o }").value is True


def test_syntax_error_says_where(mini_store):
    with pytest.raises(QuerySyntaxError) as caught:
        mini_store.query("SELECT ?s WHERE {\n  ?s ?p \n}")
    assert caught.value.line == 3 and caught.value.column is not None
    assert "line 3" in caught.value.message


def test_replace_graphs_is_all_or_nothing():
    store = OxigraphStore(IRIS)
    store.replace_graphs({"urn:g:1": b'<urn:a> <urn:b> "1" .'}, RDF_FORMATS["ntriples"])
    with pytest.raises(SyntaxError):
        store.replace_graphs({"urn:g:1": b'<urn:a> <urn:b> "2" .', "urn:g:2": b"<urn:broken"}, RDF_FORMATS["ntriples"])
    assert store.count("urn:g:1") == 1 and store.count("urn:g:2") == 0
    store.replace_graphs({"urn:g:2": b"<urn:x> <urn:y> <urn:z> ."}, RDF_FORMATS["ntriples"], drop=["urn:g:1"])
    assert store.graphs() == ["urn:g:2"]


def test_on_disk_store_survives_reopening(tmp_path):
    store = OxigraphStore(IRIS, tmp_path / "s")
    store.replace_graphs({"urn:g": b'<urn:a> <urn:b> "persisted" .'}, RDF_FORMATS["ntriples"])
    store.close()
    again = open_spec(tmp_path / "s", IRIS, read_only=True)
    assert again.count("urn:g") == 1


def test_dump_and_bulk_load_a_graph(tmp_path, mini_store):
    data = mini_store.dump(RDF_FORMATS["turtle"], graph=IRIS.data_graph("places"), prefixes=IRIS.prefixes())
    path = tmp_path / "places.ttl"
    path.write_bytes(data)
    other = OxigraphStore(IRIS)
    other.bulk_load_file("urn:copy", path, RDF_FORMATS["turtle"])
    assert other.count("urn:copy") == mini_store.count(IRIS.data_graph("places"))
    path.write_bytes(b"<urn:a> <urn:b> .")
    with pytest.raises(RdfSyntaxError) as caught:
        other.bulk_load_file("urn:copy2", path, RDF_FORMATS["turtle"])
    assert caught.value.line == 1


def test_the_store_setting_is_read_the_same_way_everywhere(tmp_path):
    """One parser tells memory, remote and folder apart; an unbuilt folder is refused with a hint."""
    from coopgraph.errors import LoadError
    from coopgraph.store.spec import StoreSpec

    for text in ("", "memory", ":memory:", None):
        assert StoreSpec.parse(text).is_memory
    remote = StoreSpec.parse("sparql+https://example.org/sparql")
    assert remote.is_remote and remote.endpoint == "https://example.org/sparql" and remote.is_built
    folder = StoreSpec.parse(tmp_path / "nothing-here")
    assert folder.is_folder and folder.path == tmp_path / "nothing-here" and not folder.is_built
    with pytest.raises(LoadError, match="no built store") as caught:
        folder.require_built()
    assert "coopgraph build --store" in caught.value.hint


def test_holds_more_than_agrees_with_the_count_and_leaves_the_union_out(folder):
    """The serving store's "copy into memory?" check, which reads no further than its limit."""
    store = OxigraphStore(Iris(), folder, read_only=True)
    try:
        quads = store.count()
        assert store.keeps_union and 0 < quads < len(store.native)  # the union is there, and not counted
        assert store.holds_more_than(quads - 1) and not store.holds_more_than(quads)
        assert store.holds_more_than(0) and not store.holds_more_than(10 * quads)
    finally:
        store.close()
    loose = OxigraphStore(Iris())
    example = ox.NamedNode("https://example.org/s")
    loose.native.add(ox.Quad(example, example, ox.Literal("o")))
    assert loose.holds_more_than(0) and not loose.holds_more_than(1)  # a triple in the default graph counts


def test_a_refusal_on_the_remote_stores_estimate_says_how_to_lift_it():
    """Virtuoso refuses some queries on its optimizer's guess alone (programmes at 1M: 4,190 s
    estimated, 0.2 s run): the error must not only tell the user to narrow a query that is fine."""
    import requests

    from coopgraph.errors import QueryTimeout
    from coopgraph.store.remote import RemoteStore

    store = RemoteStore(Iris(), "http://127.0.0.1:9/sparql", dialect="virtuoso")
    response = requests.models.Response()
    response.status_code = 500
    response._content = (
        b"Virtuoso 42000 Error The estimated execution time 4190 (sec) exceeds the limit of 400 (sec).\n\n"
        b"SPARQL query:\nSELECT * WHERE { ?s ?p ?o }"
    )
    error = store._error(response)
    assert isinstance(error, QueryTimeout) and "4190" in str(error) and "SELECT" not in str(error)
    assert "MaxQueryCostEstimationTime" in error.hint and "estimate" in str(error)


def test_reclaim_moves_an_in_memory_store_into_a_fresh_one_with_every_quad():
    store = OxigraphStore(IRIS)
    store.update(
        'INSERT DATA { <urn:x:a> <urn:x:p> _:b . _:b <urn:x:q> "é"@fr . '
        "GRAPH <urn:x:g> { <urn:x:a> <urn:x:p> 1 } GRAPH <urn:x:gone> { <urn:x:c> <urn:x:p> 2 } }"
    )
    store.update("DROP GRAPH <urn:x:gone>")
    old = store.native
    quads = set(old)
    store.reclaim()
    assert store.native is not old
    assert set(store.native) == quads and len(quads) == 3
    assert store.ask("ASK { GRAPH <urn:x:g> { <urn:x:a> <urn:x:p> 1 } }")


def test_reclaim_leaves_a_store_folder_and_a_read_only_store_alone(tmp_path):
    folder = OxigraphStore(IRIS, tmp_path / "store")
    native = folder.native
    folder.reclaim()
    assert folder.native is native
    wrapped = OxigraphStore.wrap(IRIS, ox.Store())
    native = wrapped.native
    wrapped.reclaim()
    assert wrapped.native is native
    folder.close()
