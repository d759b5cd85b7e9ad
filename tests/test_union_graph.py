"""The union of the graphs a store folder keeps for fast queries: always what the graphs hold, never shown.

Why it matters: queries of the default graph on a store folder read this one graph instead
of a dozen (issue 16); if any write path forgot it, readers would see stale or missing facts.
So each write path (build, contribution, withdrawal, maintainer's update, bulk load, foreign
files) is followed by a comparison of the published snapshot's union graph with the union
of its graphs, and random sequences of writes check the same (hypothesis).
"""

from __future__ import annotations

import shutil

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import MINI, SAMPLES, make_settings
from coopgraph.contributions import ledger
from coopgraph.contributions.writes import apply_update
from coopgraph.formats import RDF_FORMATS, RESULT_FORMATS
from coopgraph.knowledge.build import build
from coopgraph.knowledge.foreign import load_foreign_files
from coopgraph.namespaces import Iris
from coopgraph.store.embedded import UNION_GRAPH, OxigraphStore
from coopgraph.store.snapshots import SnapshotStore, current_snapshot, publish_snapshot, snapshots_dir

IRIS = Iris()
ID = IRIS.id_base
EX = "https://example.org/mini#"
NT = RDF_FORMATS["ntriples"]
UNION = ox.NamedNode(UNION_GRAPH)


def lines(data: bytes) -> set[str]:
    return {line.strip() for line in data.decode("utf-8").splitlines() if line.strip()}


def graphs_union(store: OxigraphStore) -> set[str]:
    """What the 'all' view holds, read graph by graph (the slow way the union replaces)."""
    found: set[str] = set()
    for graph in store.view("all"):
        found |= lines(store.dump(NT, graph=graph))
    return found


def union_graph(store: OxigraphStore) -> set[str]:
    return lines(store.native.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=UNION))


def published(folder) -> OxigraphStore:
    return OxigraphStore.wrap(IRIS, ox.Store.read_only(str(snapshots_dir(folder) / current_snapshot(folder))))


def assert_union_current(folder) -> OxigraphStore:
    snapshot = published(folder)
    assert snapshot.keeps_union
    assert union_graph(snapshot) == graphs_union(snapshot)
    return snapshot


@pytest.fixture()
def folder(mini_settings, tmp_path):
    path = tmp_path / "store"
    store, report = build(mini_settings.with_overrides(store=str(path)))
    assert report.ok
    store.close()
    return path


def test_a_built_folder_keeps_the_union_and_shows_it_nowhere(folder):
    snapshot = assert_union_current(folder)
    assert len(union_graph(snapshot)) > 100
    assert UNION_GRAPH not in snapshot.graphs()
    named = snapshot.select("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
    assert {r["g"].value for r in named} == set(snapshot.graphs())
    nquads = snapshot.dump(RDF_FORMATS["nquads"])
    assert UNION_GRAPH.encode() not in nquads
    assert snapshot.count() == len(lines(nquads))
    # the default graph is the union: the same answers as the graphs listed one by one
    query = "SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o }"
    by_union = {tuple(r) for r in snapshot.query(query).rows}
    listed = OxigraphStore.wrap(IRIS, snapshot.native, read_union=False)  # the graphs one by one
    by_graphs = {tuple(r) for r in listed.query(query).rows}
    assert by_union == by_graphs and len(by_union) == len(graphs_union(snapshot))
    # a view named graph by graph reads those graphs: the asserted one leaves the inferred triples out
    for view in ("all", "asserted"):
        ours = {tuple(r) for r in snapshot.query(query, default_graphs=snapshot.view(view)).rows}
        assert ours == {tuple(r) for r in listed.query(query, default_graphs=listed.view(view)).rows}
    assert len(ours) < len(by_union)


SERVING_QUERIES = [
    "SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o }",
    "SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p",
    "SELECT DISTINCT ?g ?s WHERE { GRAPH ?g { ?s a ?type } }",
    "SELECT DISTINCT ?s ?g WHERE { ?s a ?type . GRAPH ?g { ?s ?p ?o } }",
    "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }",
    "ASK { ?s ?p ?o }",
]


def answers(store: OxigraphStore, query: str, **options) -> set:
    result = store.query(query, **options)
    if hasattr(result, "rows"):
        return {tuple(row) for row in result.rows}
    if hasattr(result, "triples"):
        return set(result.triples)
    return {result.value}


@pytest.mark.parametrize("query", SERVING_QUERIES)
def test_the_serving_copy_answers_as_the_snapshot_it_copies(folder, query):
    """The copy in memory keeps the 'all' view apart from the graphs; every kind of query gets the same answer."""
    snapshot = published(folder)
    copy = snapshot.serving_copy()
    assert answers(copy, query) == answers(snapshot, query)
    for view in ("all", "asserted", "inferred"):
        graphs = snapshot.view(view)
        assert answers(copy, query, default_graphs=graphs) == answers(snapshot, query, default_graphs=graphs), view
    some = snapshot.graphs()[:2]
    assert answers(copy, query, default_graphs=[], named_graphs=some) == answers(
        snapshot, query, default_graphs=[], named_graphs=some
    )
    assert sorted(copy.graphs()) == sorted(snapshot.graphs()) and copy.count() == snapshot.count()


def test_the_serving_copy_reads_the_union_alone_only_where_no_named_graph_counts(folder):
    copy = published(folder).serving_copy()
    plain = "SELECT * WHERE { ?s ?p ?o } LIMIT 1"
    assert copy._reads_union_alone(plain, None, None)
    assert copy._reads_union_alone(plain, copy.view("all"), None)
    assert not copy._reads_union_alone(plain, copy.view("asserted"), None)
    assert not copy._reads_union_alone(plain, None, copy.graphs())
    assert not copy._reads_union_alone("SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }", None, None)
    assert not copy._reads_union_alone(f"SELECT * FROM <{copy.graphs()[0]}> WHERE {{ ?s ?p ?o }}", None, None)
    # nor do the words in a comment or a string count
    assert copy._reads_union_alone('SELECT * WHERE { ?s ?p "GRAPH" } # FROM GRAPH', None, None)


def test_a_graph_in_n_triples_is_written_by_the_engine_within_the_row_cap(folder):
    snapshot = published(folder)
    query = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"
    everything = snapshot.count()
    fast = snapshot.query_serialized(query, result_format=RESULT_FORMATS["json"], rdf_format=NT, max_rows=10**6)
    capped = snapshot.query_serialized(
        query, result_format=RESULT_FORMATS["json"], rdf_format=NT, max_rows=10**6, timeout=60
    )  # a soft time limit takes the capped path, row by row in Python
    assert fast.kind == capped.kind == "graph" and not fast.truncated
    assert lines(fast.data) == lines(capped.data) and len(lines(fast.data)) > 100
    over = snapshot.query_serialized(query, result_format=RESULT_FORMATS["json"], rdf_format=NT, max_rows=10)
    assert over.truncated and len(lines(over.data)) == 10 < everything


def test_a_build_writes_the_union_with_the_graphs_blank_nodes_as_they_are(tmp_path):
    """The build streams the union into its dump beside the graphs: a blank node is the same node in both."""
    project = tmp_path / "project"
    shutil.copytree(MINI, project)
    (project / "data" / "notes.ttl").write_text(
        f'<{ID}city/alpha> <{EX}note> [ <{EX}text> "a note on a blank node" ] .\n'
        # a literal whose lines end as N-Triples lines do: the union is written by rewriting line ends
        f'<{ID}city/alpha> <{EX}remark> """two lines .\nthe second .\n""" .\n',
        encoding="utf-8",
    )
    store, report = build(make_settings(project, store=str(tmp_path / "store")))
    assert report.ok
    store.close()
    snapshot = assert_union_current(tmp_path / "store")
    rows = snapshot.select(f"SELECT ?n WHERE {{ <{ID}city/alpha> <{EX}note> ?n . ?n <{EX}text> ?t }}")
    assert len(rows) == 1 and isinstance(rows[0]["n"], ox.BlankNode)  # one node, joined through the union
    remark = snapshot.select(f"SELECT ?r WHERE {{ <{ID}city/alpha> <{EX}remark> ?r }}")
    assert [row["r"].value for row in remark] == ["two lines .\nthe second .\n"]


def test_contributions_withdrawals_and_maintainer_writes_keep_it_current(folder, mini_settings):
    served = SnapshotStore(IRIS, folder, workers=1)
    pairing = (SAMPLES / "mini-good.ttl").read_bytes()
    try:
        record, _ = ledger.submit(
            served, pairing, RDF_FORMATS["turtle"], contributor="Ada Testville", description="a made-up pairing"
        )
        snapshot = assert_union_current(folder)
        contributed = lines(snapshot.dump(NT, graph=record.graph))
        assert contributed and contributed <= union_graph(snapshot)
        assert served.version() == snapshot.version()  # the meta graph's version, through the union

        ledger.withdraw(served, record.id, maintainer="Max Maintainer")
        snapshot = assert_union_current(folder)
        assert not contributed & union_graph(snapshot) - graphs_union(snapshot)

        writing = mini_settings.with_overrides(store=str(folder), maintainer_tokens={"tok-max": "Max"})
        notes = IRIS.data_graph("notes")
        city = f"<{ID}city/alpha>"
        label = f'{city} <http://www.w3.org/2000/01/rdf-schema#comment> "written by a maintainer"@en'
        apply_update(served, f"INSERT DATA {{ GRAPH <{notes}> {{ {label} }} }}", maintainer="Max", settings=writing)
        snapshot = assert_union_current(folder)
        assert snapshot.ask(f"ASK {{ {label} }}")
        apply_update(served, f"DELETE DATA {{ GRAPH <{notes}> {{ {label} }} }}", maintainer="Max", settings=writing)
        snapshot = assert_union_current(folder)
        assert not snapshot.ask(f"ASK {{ {label} }}")
    finally:
        served.close()


def test_foreign_files_and_old_folders(tmp_path):
    data = tmp_path / "towns.ttl"
    data.write_text(f"<{EX}a> <{EX}near> <{EX}b> .\n<{EX}b> <{EX}near> <{EX}c> .\n")
    load_foreign_files(IRIS, tmp_path / "foreign", [data])
    snapshot = assert_union_current(tmp_path / "foreign")
    assert len(snapshot.query(f"SELECT * WHERE {{ ?x <{EX}near> ?y }}").rows) == 2

    # a folder written before the union existed: data, no union; read graph by graph until rebuilt
    old = OxigraphStore(IRIS, tmp_path / "old")
    old.native.extend(
        [
            ox.Quad(ox.NamedNode(EX + "a"), ox.NamedNode(EX + "near"), ox.NamedNode(EX + "b"), ox.NamedNode(EX + "g1")),
            ox.Quad(ox.NamedNode(EX + "b"), ox.NamedNode(EX + "near"), ox.NamedNode(EX + "c"), ox.NamedNode(EX + "g2")),
        ]
    )
    publish_snapshot(tmp_path / "old", old)
    before = published(tmp_path / "old")
    assert not before.keeps_union
    assert len(before.query(f"SELECT * WHERE {{ ?x <{EX}near> ?y }}").rows) == 2
    old.rebuild_union()
    publish_snapshot(tmp_path / "old", old)
    old.close()
    after = assert_union_current(tmp_path / "old")
    assert len(after.query(f"SELECT * WHERE {{ ?x <{EX}near> ?y }}").rows) == 2


# --- random sequences of writes -------------------------------------------------------------

TERMS = [ox.NamedNode(f"{EX}n{i}") for i in range(4)]
GRAPHS = [f"{EX}graph{i}" for i in range(3)]
triples = st.builds(ox.Triple, st.sampled_from(TERMS), st.sampled_from(TERMS[:2]), st.sampled_from(TERMS))


def as_data(items) -> str:
    return " ".join(f"{t.subject} {t.predicate} {t.object} ." for t in items)


writes = st.one_of(
    st.tuples(st.just("insert_data"), st.sampled_from(GRAPHS), st.lists(triples, min_size=1, max_size=4)),
    st.tuples(st.just("delete_data"), st.sampled_from(GRAPHS), st.lists(triples, min_size=1, max_size=4)),
    st.tuples(st.just("drop"), st.sampled_from(GRAPHS), st.just([])),
    st.tuples(st.just("copy"), st.sampled_from(GRAPHS), st.sampled_from(GRAPHS)),
    st.tuples(st.just("bump"), st.just(""), st.just([])),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(blocks=st.lists(st.lists(writes, min_size=1, max_size=5), min_size=1, max_size=4))
def test_any_sequence_of_writes_leaves_the_union_equal_to_the_graphs(tmp_path_factory, blocks):
    folder = tmp_path_factory.mktemp("random")
    store = OxigraphStore(IRIS, folder)
    try:
        for block in blocks:
            with store.writer() as primary:
                for kind, graph, arg in block:
                    if kind == "insert_data":
                        primary.insert_data({graph: arg})
                    elif kind == "delete_data":
                        primary.update(f"DELETE DATA {{ GRAPH <{graph}> {{ {as_data(arg)} }} }}")
                    elif kind == "drop":
                        primary.update(f"DROP SILENT GRAPH <{graph}>")
                    elif kind == "copy":
                        primary.update(f"COPY SILENT <{graph}> TO <{arg}>")
                    else:
                        primary.bump_version()
            assert union_graph(store) == graphs_union(store)
    finally:
        store.close()
