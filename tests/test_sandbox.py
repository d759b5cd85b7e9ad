"""The serving store: hard time limits, snapshots shared by readers, atomic published writes."""

from __future__ import annotations

import os
import threading
import time

import pyoxigraph as ox
import pytest

from coopgraph.errors import QuerySyntaxError, QueryTimeout
from coopgraph.folders import swap_in
from coopgraph.knowledge.build import build
from coopgraph.namespaces import Iris
from coopgraph.store import snapshots as sandbox
from coopgraph.store.embedded import OxigraphStore
from coopgraph.store.snapshots import SnapshotStore, current_snapshot, ensure_published, snapshots_dir

IRIS = Iris()
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o }"
#: About two seconds of evaluation on the miniature graph.
SLOW = (
    "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i "
    "FILTER(CONTAINS(CONCAT(STR(?c), STR(?f), STR(?c), STR(?f)), STR(?i))) }"
)
CHEAP = "SELECT ?s WHERE { ?s a <https://example.org/mini#Region> } ORDER BY ?s"


@pytest.fixture()
def serving(folder):
    store = SnapshotStore(IRIS, folder, workers=2)
    yield store
    store.close()


@pytest.mark.parametrize("isolation", ["process", "recycle"])
def test_answers_equal_the_embedded_store(folder, mini_store, isolation):
    """In a query process the answer crosses as SPARQL JSON; in a thread of this process, as it is."""
    serving = SnapshotStore(IRIS, folder, workers=2, isolation=isolation, on_runaway=lambda: None)
    try:
        for query in (
            CHEAP,
            # an unbound value, language tags and a datatype
            "SELECT ?s ?label ?none WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?label "
            "OPTIONAL { ?s <urn:x:nothing> ?none } } ORDER BY ?s ?label",
            "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
            "ASK { ?s a <https://example.org/mini#City> }",
            "CONSTRUCT { ?s a ?t } WHERE { ?s a ?t } ORDER BY ?s",
        ):
            ours, reference = serving.query(query), mini_store.query(query)
            assert ours.kind == reference.kind
            if ours.kind == "select":
                assert ours.rows == reference.rows and ours.variables == reference.variables
                assert not ours.truncated
            elif ours.kind == "graph":
                assert set(map(str, ours.triples)) == set(map(str, reference.triples))
            else:
                assert ours.value == reference.value
        capped = serving.query(CHEAP, max_rows=1)
        assert len(capped.rows) == 1 and capped.truncated
        assert sorted(serving.graphs()) == sorted(mini_store.graphs())
    finally:
        serving.close()


def test_a_runaway_query_is_stopped_and_its_process_killed(serving):
    serving.query(CHEAP)  # start a worker
    started = time.monotonic()
    with pytest.raises(QueryTimeout):
        serving.query(RUNAWAY, timeout=0.5)
    assert time.monotonic() - started < 5
    # the killed worker was replaced: the store still answers
    assert len(serving.query(CHEAP).rows) == 2


def test_other_queries_go_on_while_one_runs_away(serving):
    errors = []

    def runaway():
        try:
            serving.query(RUNAWAY, timeout=3)
        except QueryTimeout as exc:
            errors.append(exc)

    thread = threading.Thread(target=runaway)
    thread.start()
    time.sleep(0.5)
    started = time.monotonic()
    assert len(serving.query(CHEAP, timeout=3).rows) == 2
    assert time.monotonic() - started < 2.5  # answered while the runaway was still running
    thread.join()
    assert len(errors) == 1


def test_errors_cross_the_process_boundary(serving):
    with pytest.raises(QuerySyntaxError) as caught:
        serving.query("SELECT * WHERE { ?s ?p }")
    assert caught.value.line == 1


def test_a_write_publishes_a_new_snapshot_seen_by_readers(serving, folder):
    before, version_before = current_snapshot(folder), serving.version()
    other_reader = SnapshotStore(IRIS, folder, workers=1)
    try:
        with serving.writer() as primary:
            primary.replace_graphs(
                {"urn:g:new": [ox.Quad(ox.NamedNode("urn:x"), ox.NamedNode("urn:p"), ox.Literal("written"))]}
            )
            primary.replace_graphs(
                {
                    IRIS.meta_graph: [
                        ox.Quad(
                            ox.NamedNode(IRIS.meta_graph),
                            ox.NamedNode("http://purl.org/dc/terms/hasVersion"),
                            ox.Literal("v-next"),
                        )
                    ]
                }
            )
        assert current_snapshot(folder) != before
        for reader in (serving, other_reader):
            assert reader.ask('ASK { <urn:x> <urn:p> "written" }')
            assert reader.version() == "v-next" != version_before
    finally:
        other_reader.close()


def test_a_reader_sees_another_stores_write_at_once(serving, folder, monkeypatch):
    """The shared publication counter, not the periodic look, tells a reader a write happened."""
    monkeypatch.setattr(sandbox, "RECHECK_SECONDS", 3600)
    other_reader = SnapshotStore(IRIS, folder, workers=1)
    try:
        before = other_reader.snapshot_name()
        with serving.writer() as primary:
            primary.replace_graphs(
                {"urn:g:new": [ox.Quad(ox.NamedNode("urn:x"), ox.NamedNode("urn:p"), ox.Literal("seen"))]}
            )
        assert other_reader.snapshot_name() == current_snapshot(folder) != before
        assert other_reader.ask('ASK { <urn:x> <urn:p> "seen" }')
    finally:
        other_reader.close()


def test_an_unchanged_store_is_not_asked_again(serving, folder, monkeypatch):
    """Between publications a reader answers which snapshot is current without a system call."""
    pointer = str(snapshots_dir(folder) / "CURRENT")
    looks = []
    real_stat = os.stat

    def counting_stat(path, *args, **kwargs):
        if str(path) == pointer:
            looks.append(path)
        return real_stat(path, *args, **kwargs)

    serving.snapshot_name()
    monkeypatch.setattr(sandbox.os, "stat", counting_stat)
    monkeypatch.setattr(sandbox, "RECHECK_SECONDS", 3600)
    for _ in range(100):
        serving.version(), serving.modified(), serving.snapshot_name()
    assert looks == []
    with serving.writer() as primary:
        primary.replace_graphs(
            {"urn:g:new": [ox.Quad(ox.NamedNode("urn:x"), ox.NamedNode("urn:p"), ox.Literal("again"))]}
        )
    looks.clear()
    for _ in range(100):
        serving.snapshot_name()
    assert len(looks) == 1  # the publication was counted: one look at the pointer, then none


def test_a_store_folder_replaced_whole_is_picked_up(serving, folder, mini_settings, monkeypatch):
    """``coopgraph build`` over a served store swaps the folder: readers move to it within the recheck time."""
    monkeypatch.setattr(sandbox, "RECHECK_SECONDS", 0.05)
    before = serving.snapshot_name()
    staging = folder.with_name("staging")
    rebuilt, _ = build(mini_settings.with_overrides(store=str(staging)))
    rebuilt.close()
    ensure_published(staging, IRIS)
    swap_in(staging, folder)
    time.sleep(0.1)
    assert serving.snapshot_name() == current_snapshot(folder) != before
    assert serving.ask(CHEAP.replace("SELECT ?s", "ASK").replace(" ORDER BY ?s", ""))


def test_a_failed_write_publishes_nothing(serving, folder):
    before = current_snapshot(folder)
    with pytest.raises(RuntimeError):
        with serving.writer() as primary:
            primary.replace_graphs(
                {"urn:g:half": [ox.Quad(ox.NamedNode("urn:y"), ox.NamedNode("urn:p"), ox.Literal("half"))]}
            )
            raise RuntimeError("crash in the middle")
    assert current_snapshot(folder) == before
    assert not serving.ask("ASK { <urn:y> ?p ?o }")


def test_recovery_publishes_what_the_primary_holds(folder):
    before = current_snapshot(folder)
    primary = OxigraphStore(IRIS, folder)  # a writer that died before publishing
    primary.replace_graphs(
        {
            IRIS.meta_graph: [
                ox.Quad(
                    ox.NamedNode(IRIS.meta_graph),
                    ox.NamedNode("http://purl.org/dc/terms/hasVersion"),
                    ox.Literal("v-unpublished"),
                )
            ]
        }
    )
    primary.close()
    ensure_published(folder, IRIS)
    assert current_snapshot(folder) != before
    store = SnapshotStore(IRIS, folder, workers=1)
    try:
        assert store.version() == "v-unpublished"
    finally:
        store.close()
    assert len([p for p in snapshots_dir(folder).iterdir() if p.is_dir()]) <= 3


def test_recycle_isolation_hands_a_runaway_to_the_process_retirer(folder):
    retired = []
    store = SnapshotStore(IRIS, folder, isolation="recycle", on_runaway=lambda: retired.append(True))
    try:
        assert len(store.query(CHEAP).rows) == 2
        with pytest.raises(QueryTimeout):
            store.query(SLOW, timeout=0.05)  # a few seconds of work: this test process cannot be retired
        assert retired == [True]
        assert len(store.query(CHEAP, timeout=3).rows) == 2  # other queries still answered meanwhile
    finally:
        store.close()


def test_recycle_isolation_needs_a_way_to_retire_the_process(folder):
    from coopgraph.errors import StoreError

    with pytest.raises(StoreError, match="retire"):
        SnapshotStore(IRIS, folder, isolation="recycle")


def test_answers_cache_is_bounded_and_skips_large_answers():
    from coopgraph.cache import Answers

    cache = Answers(max_entries=2, max_bytes=10)
    cache.put("a", 1, 5)
    cache.put("b", 2, 5)
    cache.get("a")
    cache.put("c", 3, 5)  # evicts b, the least recently used
    cache.put("big", 4, 11)  # too large to keep
    assert (cache.get("a"), cache.get("b"), cache.get("c"), cache.get("big")) == (1, None, 3, None)


def test_answers_of_an_old_graph_version_are_dropped_when_a_new_version_answers():
    from coopgraph.cache import Answers

    cache = Answers(max_entries=100, max_bytes=10)
    for n in range(5):
        cache.put(f"v1-{n}", n, 5, version="v1")
    assert len(cache) == 5 and cache.get("v1-3") == 3
    cache.put("v2-0", "new", 5, version="v2")
    assert len(cache) == 1 and cache.get("v1-3") is None and cache.get("v2-0") == "new"
    cache.put("v2-1", "newer", 5, version="v2")
    assert len(cache) == 2
