"""Values derived from the whole graph: computed once per version, off the visitor's time limit.

The pages' figures, the map and the search index are coopgraph's own queries over the
whole graph; at 1M triples they took 7 to 36 s. They must not be held to the time limit
of a visitor's query (which retired the web worker each time), and the web workers of a
store folder must not each derive the same value.
"""

from __future__ import annotations

import gc
import threading
import time

import pytest

from coopgraph.cache import PerVersion
from coopgraph.errors import QueryTimeout
from coopgraph.namespaces import Iris
from coopgraph.store.embedded import OxigraphStore
from coopgraph.store.snapshots import SnapshotStore

IRIS = Iris()
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


def triples(store) -> int:
    return int(store.select(COUNT)[0]["n"].value)


@pytest.fixture()
def served(folder):
    stores = []

    def open_one(**options):
        stores.append(SnapshotStore(IRIS, folder, workers=1, **options))
        return stores[-1]

    yield open_one
    for store in stores:
        store.close()


def test_two_processes_derive_a_value_once(served, folder):
    """Two serving stores on one folder stand for two web workers: the second reads the first's value."""
    calls = []

    def build(store):
        calls.append(type(store))
        return {"triples": triples(store)}

    first = PerVersion().get(served(), "figures", build)
    second = PerVersion().get(served(), "figures", build)
    assert first == second and first["triples"] > 0
    assert calls == [OxigraphStore]  # derived once, from the snapshot read in this thread
    assert list((folder / "derived").glob("*/figures.pickle"))


def test_a_new_version_is_derived_again_and_old_ones_are_dropped(served, folder):
    store = served()
    before = PerVersion().get(store, "figures", triples)
    for n in range(3):
        triple = f'<https://example.org/s{n}> <https://example.org/p> "o"'
        store.update(f"INSERT DATA {{ GRAPH <{IRIS.data_graph('extra')}> {{ {triple} }} }}")
        assert PerVersion().get(store, "figures", triples) == before + n + 1
    kept = [p for p in (folder / "derived").iterdir() if p.is_dir()]
    assert len(kept) == 2  # the current version and the one before


def test_a_damaged_file_is_derived_again(served, folder):
    store = served()
    value = PerVersion().get(store, "figures", triples)
    for path in (folder / "derived").glob("*/figures.pickle"):
        path.write_bytes(b"not a pickle")
    assert PerVersion().get(store, "figures", triples) == value


def test_workers_wait_for_the_one_deriving(served):
    """Four threads with caches of their own (four processes' worth) derive the value once."""
    calls, results = [], []

    def slow(store):
        calls.append(1)
        time.sleep(0.3)
        return triples(store)

    stores = [served() for _ in range(4)]
    threads = [threading.Thread(target=lambda s=s: results.append(PerVersion().get(s, "slow", slow))) for s in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1 and len(set(results)) == 1 and len(results) == 4


def test_deriving_is_not_held_to_the_query_time_limit(served):
    """A visitor's query past the limit is stopped; the same work deriving a value is not."""
    store = served(default_timeout=0.000001)
    with pytest.raises(QueryTimeout):
        store.select(COUNT)
    assert PerVersion().get(store, "figures", triples) > 0


def test_a_store_without_a_folder_derives_in_process(mini_store):
    assert mini_store.derived_folder() is None and mini_store.whole_graph_reader() is mini_store
    assert PerVersion().get(mini_store, "figures", triples) == triples(mini_store)


# --- values kept as files (the search index): written once, opened by each process ----------


def _write_count(store, path):
    path.write_text(str(triples(store)))


class _Opened:
    """What a process holds of a file value: the file's path and what it read there."""

    def __init__(self, path):
        self.path, self.text = path, path.read_text()
        if not self.text.isdigit():
            raise ValueError(f"{path} is not a count")


def test_two_processes_write_a_file_once_and_both_open_it(served, folder):
    writes = []

    def write(store, path):
        writes.append(path)
        _write_count(store, path)

    first = PerVersion().get_file(served(), "count.txt", write, _Opened)
    second = PerVersion().get_file(served(), "count.txt", write, _Opened)
    assert len(writes) == 1 and first.path == second.path and first.text == second.text
    assert first.path.parent.parent == folder / "derived" and int(first.text) > 0
    assert not list(first.path.parent.glob("*.tmp"))


def test_a_damaged_file_is_written_again(served, folder):
    opened = PerVersion().get_file(served(), "count.txt", _write_count, _Opened)
    opened.path.write_text("damaged")
    again = PerVersion().get_file(served(), "count.txt", _write_count, _Opened)
    assert again.text == opened.text and again.path.read_text() == opened.text


def test_a_file_that_cannot_be_written_leaves_nothing_behind(served, folder):
    def failing(store, path):
        path.write_text("half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        PerVersion().get_file(served(), "count.txt", failing, _Opened)
    assert not [p for p in (folder / "derived").rglob("count.txt*") if not p.name.endswith(".lock")]


def test_a_folder_that_cannot_be_written_keeps_the_file_in_a_scratch_folder(served, tmp_path, monkeypatch):
    """Where the store folder's derived/ cannot be made (read-only, or in the way), each process keeps its own."""
    store = served()
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    monkeypatch.setattr(store, "derived_folder", lambda: blocked / "derived")
    opened = PerVersion().get_file(store, "count.txt", _write_count, _Opened)
    assert int(opened.text) == triples(store) and blocked not in opened.path.parents
    assert PerVersion().get(store, "figures", triples) == triples(store)  # pickled values too


def test_a_store_without_a_folder_keeps_its_files_in_a_scratch_folder_removed_with_the_cache(mini_store):
    cache = PerVersion()
    opened = cache.get_file(mini_store, "count.txt", _write_count, _Opened)
    assert int(opened.text) == triples(mini_store)
    scratch = opened.path.parent.parent
    del cache
    gc.collect()
    assert not scratch.exists()


# --- after a write, the pages' values are derived again in the background ---------------------


@pytest.fixture()
def contributing_app(folder, mini_settings):
    from coopgraph.web import create_app

    settings = mini_settings.with_overrides(store=str(folder), contributor_tokens={"tok-ada": "Ada Testville"})
    app = create_app(settings)
    yield app
    app.extensions["coopgraph.warmer"].wait(60)
    app.extensions["coopgraph"].store.close()


def contribute(client, data: bytes):
    return client.post(
        "/api/contributions",
        data=data,
        content_type="text/turtle",
        query_string={"description": "A made-up pairing for a test"},
        headers={"Authorization": "Bearer tok-ada"},
    )


def test_after_a_contribution_the_home_figures_and_search_index_are_derived_for_the_new_version(
    contributing_app, folder
):
    """The first visitor after a write finds them ready: no request to / or /search made them."""
    from conftest import SAMPLES

    client = contributing_app.test_client()
    store = contributing_app.extensions["coopgraph"].store
    before = store.version()
    assert client.get("/health").status_code == 200
    answer = contribute(client, (SAMPLES / "mini-good.ttl").read_bytes())
    assert answer.status_code == 201, answer.get_data(as_text=True)
    warmer = contributing_app.extensions["coopgraph.warmer"]
    assert warmer.wait(60) and warmer.rounds == 1
    after = store.version()
    assert after != before
    here = [p for p in (folder / "derived").iterdir() if p.is_dir() and after.replace(":", "_") in p.name]
    assert len(here) == 1
    assert (here[0] / "home.pickle").is_file() and (here[0] / "search.sqlite").is_file()
    found = client.get("/search.json", query_string={"q": "gamma alpha"}).get_json()
    assert IRIS.id_base + "pairing/gamma-alpha" in [hit["iri"] for hit in found["results"]]


def test_reads_and_refused_writes_derive_nothing_in_the_background(contributing_app, folder):
    from conftest import SAMPLES

    client = contributing_app.test_client()
    assert client.get("/").status_code == 200
    assert client.post("/sparql", data={"query": "ASK { ?s ?p ?o }"}).status_code == 200
    assert contribute(client, (SAMPLES / "mini-unknown-city.ttl").read_bytes()).status_code == 422
    warmer = contributing_app.extensions["coopgraph.warmer"]
    assert warmer.wait(5) and warmer.rounds == 0
