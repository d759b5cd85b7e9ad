"""`coopgraph serve --workers N`: the workers share one store, and a write reaches every one of them.

A real gunicorn server with two workers, over a store folder (every worker reads the same
published snapshots) and over each remote engine, Virtuoso and Oxigraph server (every worker
talks to the same database).
The write goes through the store's one writer, from outside the server, as a contribution
would; then each worker, told apart by its X-Coopgraph-Worker header, must see it.
"""

from __future__ import annotations

import time

import pytest

from conftest import BACKENDS, MINI, LiveServer, answers_by_worker, make_settings
from coopgraph.formats import RDF_FORMATS
from coopgraph.knowledge.build import build
from coopgraph.namespaces import Iris
from coopgraph.store.remote import GRAPH_LIST_SECONDS
from coopgraph.store.snapshots import SnapshotStore

BASE = "https://workers.example.org/coopgraph/"
IRIS = Iris(BASE)
ASK = 'ASK { <urn:coopgraph:test:written> <urn:coopgraph:test:by> "the one writer" }'


@pytest.mark.parametrize("backend", BACKENDS)
def test_every_worker_serves_the_shared_store_and_sees_a_write(backend, tmp_path, backend_settings):
    if backend == "oxigraph":
        folder = tmp_path / "store"
        build(make_settings(MINI, base_iri=BASE, store=str(folder)))[0].close()
        settings = make_settings(MINI, base_iri=BASE, store=str(folder))
        writer = SnapshotStore(IRIS, folder)
        env = {}
    else:
        settings = backend_settings(backend, MINI, base_iri=BASE)
        writer, _ = build(settings)
        writer.replace_graphs({}, drop=[g for g in writer.graphs() if IRIS.is_contribution_graph(g)])
        env = {"COOPGRAPH_STORE_USER": settings.store_user, "COOPGRAPH_STORE_PASSWORD": settings.store_password}
    server = LiveServer(
        ["serve", "--store", settings.store, "--workers", "2", "--threads", "2"],
        env={"COOPGRAPH_BASE_IRI": BASE, **env},
        cwd=MINI,
    )
    try:
        before = answers_by_worker(server.url, 2, ASK)
        assert len(before) == 2, "both workers should have answered"
        assert not any(answer for answers in before.values() for answer in answers)

        with writer.writer() as store:  # the one writer: a contribution lands in its own graph
            store.replace_graphs(
                {
                    IRIS.contribution_graph(
                        "workers-test"
                    ): b'<urn:coopgraph:test:written> <urn:coopgraph:test:by> "the one writer" .'
                },
                RDF_FORMATS["ntriples"],
            )

        if backend != "oxigraph":  # each worker renews its list of the database's graphs every few seconds
            time.sleep(GRAPH_LIST_SECONDS)
        after = answers_by_worker(server.url, 2, ASK)
        assert set(after) == set(before), "the same two workers go on serving"
        assert all(all(answers) for answers in after.values()), after
    finally:
        server.stop()
        writer.close()
