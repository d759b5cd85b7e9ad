"""The one killable process pool: the serving store's queries and contribution checking both run in it."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from coopgraph.contributions.checking import ContributionValidator
from coopgraph.errors import QuerySyntaxError, QueryTimeout, StoreError
from coopgraph.formats import RDF_FORMATS
from coopgraph.namespaces import Iris
from coopgraph.store import pool
from coopgraph.store.pool import KillableRunner, ThreadRunner
from coopgraph.store.snapshots import SnapshotStore, current_snapshot, serve_snapshots

IRIS = Iris()
SRC = Path(__file__).resolve().parent.parent / "src" / "coopgraph"
CHEAP = "SELECT ?s WHERE { ?s a <https://example.org/mini#Region> } ORDER BY ?s"


# Functions the workers run: module-level, the per-worker cache first.


def _remember(cache: dict, value: str) -> None:
    cache["prepared"] = value


def _recall(cache: dict) -> str | None:
    return cache.get("prepared")


def _fail_to_prepare(cache: dict) -> None:
    raise OSError("cannot open what every call needs")


def _echo(cache: dict, value):
    return value


def _opened_snapshots(cache: dict) -> list[str]:
    return sorted(cache["opened"])


def _opened_handles(cache: dict) -> dict:
    return {name: store.native for name, store in cache["opened"].items()}


def _exit(cache: dict) -> None:
    os._exit(3)


def _sleep_forever(cache: dict) -> None:
    import time

    time.sleep(60)


@pytest.fixture()
def spawned(monkeypatch) -> list:
    """The preparations of every worker process spawned during the test, in order."""
    seen = []

    class CountingWorker(pool._Worker):
        def __init__(self, memory_bytes=0, preparation=None):
            seen.append(preparation)
            super().__init__(memory_bytes, preparation)

    monkeypatch.setattr(pool, "_Worker", CountingWorker)
    return seen


def test_the_serving_store_and_validation_spawn_through_the_same_pool(folder, mini_store, spawned):
    store = SnapshotStore(IRIS, folder, workers=1)
    validator = ContributionValidator(mini_store, isolated=True, workers=1)
    try:
        assert type(store.pool) is KillableRunner and type(validator._runner) is KillableRunner
        assert len(store.query(CHEAP).rows) == 2
        contribution = validator.parse(
            b'<https://example.org/s> <https://example.org/p> "o" .', RDF_FORMATS["ntriples"], timeout=30
        )
        assert len(contribution.quads) == 1
    finally:
        store.close()
        validator.close()
    assert len(spawned) == 2
    assert spawned[0][0] is serve_snapshots and spawned[0][1][-1] == current_snapshot(folder)
    assert spawned[1] is None  # validation workers need no preparation


def test_no_other_module_starts_processes_of_its_own():
    """The pool is the one place that spawns and kills worker processes ("no second copy")."""
    starting = re.compile(r"\bProcess\(|\bPipe\(")
    modules = sorted(str(p.relative_to(SRC)) for p in SRC.rglob("*.py") if starting.search(p.read_text()))
    assert modules == [os.path.join("store", "pool.py")]


def test_a_new_worker_runs_its_preparation_before_its_first_call():
    preparations = iter(["first", "second"])
    runner = KillableRunner(1, prepare=lambda: (_remember, (next(preparations),)))
    try:
        assert runner.call(_recall, timeout=30) == "first"
        with pytest.raises(QueryTimeout):
            runner.call(_sleep_forever, timeout=0.5)
        # the replacement asked for its preparation when it was spawned, not earlier
        assert runner.call(_recall, timeout=30) == "second"
    finally:
        runner.close()


def test_a_preparation_that_fails_leaves_a_worker_that_answers():
    runner = KillableRunner(1, prepare=lambda: (_fail_to_prepare, ()))
    try:
        assert runner.call(_recall, timeout=30) is None
        assert runner.call(_echo, "still here", timeout=30) == "still here"
    finally:
        runner.close()


def test_the_same_function_called_again_is_still_run_with_new_arguments():
    """The worker keeps the function of the last call; alternating functions must not mix up."""
    runner = KillableRunner(1, prepare=lambda: (_remember, ("ready",)))
    try:
        assert [runner.call(_echo, n, timeout=30) for n in range(3)] == [0, 1, 2]
        assert runner.call(_recall, timeout=30) == "ready"
        assert runner.call(_echo, "after", timeout=30) == "after"
    finally:
        runner.close()


def test_warm_up_opens_the_current_snapshot_in_each_query_worker(folder, spawned):
    store = SnapshotStore(IRIS, folder, workers=2)
    try:
        store.warm_up()
        # both workers were spawned and prepared before any query reached them
        opened = [store.pool.call(_opened_snapshots, timeout=60) for _ in range(2)]
        assert opened == [[current_snapshot(folder)]] * 2
        assert len(spawned) == 2
    finally:
        store.close()


def test_a_query_worker_that_dies_is_a_store_error_and_is_replaced(folder):
    store = SnapshotStore(IRIS, folder, workers=1)
    try:
        with pytest.raises(StoreError, match="the query worker stopped unexpectedly"):
            store.pool.call(_exit, what="query", timeout=30)
        assert len(store.query(CHEAP).rows) == 2
    finally:
        store.close()


def test_the_in_process_runner_prepares_once_and_raises_the_errors_as_they_are(folder):
    store = SnapshotStore(IRIS, folder, isolation="recycle", on_runaway=lambda: None)
    try:
        assert type(store.pool) is ThreadRunner
        store.warm_up()
        assert store.pool.call(_opened_snapshots, timeout=30) == [current_snapshot(folder)]
        with pytest.raises(QuerySyntaxError) as caught:
            store.query("SELECT * WHERE { ?s ?p }")
        assert caught.value.line == 1
        assert len(store.query(CHEAP, timeout=30).rows) == 2
    finally:
        store.close()


def test_queries_in_the_serving_process_share_its_handle_on_the_snapshot(folder):
    """One read-only RocksDB handle per web worker, not one for the store and one for its queries."""
    store = SnapshotStore(IRIS, folder, isolation="recycle", on_runaway=lambda: None)
    try:
        store.warm_up()
        first = current_snapshot(folder)
        opened = store.pool.call(_opened_handles, timeout=30)
        assert list(opened) == [first] and opened[first] is store.reader().native
        new = "<https://example.org/mini#new> a <https://example.org/mini#Region>"
        store.update(f"INSERT DATA {{ GRAPH <{IRIS.data_graph('extra')}> {{ {new} }} }}")
        assert len(store.query(CHEAP, timeout=30).rows) == 3  # the new snapshot, opened for the query
        second = current_snapshot(folder)
        assert second != first
        assert store.pool.call(_opened_handles, timeout=30)[second] is store.reader().native
    finally:
        store.close()
