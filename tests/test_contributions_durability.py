"""Contributions against real server processes: restarts, twenty at once, and SIGKILL mid-write.

Each test runs `coopgraph serve` (gunicorn, several workers) over its own store folder of
the miniature project, with API tokens given as JSON in the environment.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time

import pyoxigraph as ox
import pytest
import requests
from click.testing import CliRunner

from conftest import MINI, SAMPLES, LiveServer
from coopgraph.cli import cli
from coopgraph.knowledge.build import run_reasoning
from coopgraph.namespaces import Iris
from coopgraph.store.embedded import OxigraphStore
from coopgraph.store.snapshots import current_snapshot, snapshots_dir

pytestmark = pytest.mark.slow

IRIS = Iris()
ID = IRIS.id_base
EX = "https://example.org/mini#"
TOKEN = "tok-ada"
ENV = {
    "COOPGRAPH_CONTRIBUTOR_TOKENS": json.dumps({TOKEN: "Ada Testville"}),
    "COOPGRAPH_MAINTAINER_TOKENS": json.dumps({"tok-max": "Max Maintainer"}),
    "COOPGRAPH_QUERY_TIMEOUT": "20",
}


def pairing(slug: str, city: str = "alpha") -> bytes:
    """A made-up pairing; with city='atlantis' it names a city that exists nowhere (422)."""
    return (
        f'<{ID}pairing/{slug}> a <{EX}Pairing> ; <http://www.w3.org/2000/01/rdf-schema#label> "{slug}"@en ;\n'
        f"  <{EX}participant> <{ID}city/{city}>, <{ID}city/gamma> ; <{EX}euParticipant> <{ID}city/gamma> .\n"
    ).encode()


def serve(folder, workers: int = 2, threads: int = 8) -> LiveServer:
    return LiveServer(
        ["--root", str(MINI), "serve", "--store", str(folder), "--workers", str(workers), "--threads", str(threads)],
        env=ENV,
    )


def post(server: LiveServer, data: bytes, description: str) -> requests.Response:
    return requests.post(
        server.url + "/api/contributions",
        data=data,
        params={"description": description},
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "text/turtle"},
        timeout=120,
    )


def listed(server: LiveServer) -> dict[str, dict]:
    body = requests.get(server.url + "/api/contributions", timeout=30).json()
    return {c["id"]: c for c in body["contributions"]}


def stored_triples(server: LiveServer, contribution_id: str) -> set:
    answer = requests.get(
        f"{server.url}/api/contributions/{contribution_id}", headers={"Accept": "application/n-quads"}, timeout=30
    )
    assert answer.status_code == 200, answer.text
    graph = ox.NamedNode(IRIS.contribution_graph(contribution_id))
    return {q.triple for q in ox.parse(answer.content, format=ox.RdfFormat.N_QUADS) if q.graph_name == graph}


def sent_triples(data: bytes) -> set:
    return {q.triple for q in ox.parse(data, format=ox.RdfFormat.TURTLE)}


def ask(server: LiveServer, query: str) -> bool:
    return requests.get(server.url + "/sparql", params={"query": query}, timeout=30).json()["boolean"]


def kill(server: LiveServer) -> None:
    """SIGKILL the whole server: gunicorn, its workers and their query and validation processes."""
    os.killpg(server.process.pid, signal.SIGKILL)
    server.process.wait()
    server.log.close()


def check_consistent(folder) -> set[str]:
    """The store on disk is whole: no write under way, primary = snapshot, every graph with its record,
    the inferred graph what reasoning gives. Returns the ids of the accepted contributions."""
    assert not (folder / "write.pending").exists()
    snapshot = OxigraphStore.wrap(IRIS, ox.Store.read_only(str(snapshots_dir(folder) / current_snapshot(folder))))
    primary = OxigraphStore(IRIS, folder, read_only=True)
    try:
        assert primary.version() == snapshot.version()
        graphs = {g for g in snapshot.graphs() if g.startswith(IRIS.contribution_base)}
        records = snapshot.select(
            "SELECT ?g ?withdrawn WHERE { GRAPH ?pg { ?g <http://purl.org/dc/terms/identifier> ?id "
            "OPTIONAL { ?g <http://www.w3.org/ns/prov#invalidatedAtTime> ?withdrawn } } }",
            bindings={"pg": ox.NamedNode(IRIS.provenance_graph)},
            default_graphs=[],
        )
        accepted = {r["g"].value for r in records if "withdrawn" not in r}
        assert graphs == accepted
        copy = OxigraphStore(IRIS)
        copy.native.extend(snapshot.native)
        run_reasoning(copy)
        assert set(copy.iter_triples(IRIS.inferred_graph)) == set(snapshot.iter_triples(IRIS.inferred_graph))
    finally:
        primary.close()
        snapshot.close()
    return {g[len(IRIS.contribution_base) :] for g in graphs}


def test_contributions_survive_a_restart_and_the_cli_talks_to_the_server(folder, tmp_path):
    server = serve(folder, workers=1, threads=4)
    try:
        good = tmp_path / "good.ttl"
        good.write_bytes(pairing("restart-cli"))
        result = CliRunner().invoke(
            cli,
            ["contribute", str(good), "--token", TOKEN, "--description", "via the CLI", "--server", server.url],
            catch_exceptions=False,
        )
        assert result.exit_code == 0, result.stderr
        assert "accepted: contribution" in result.stdout and server.url + "/api/contributions/" in result.stdout
        bad = tmp_path / "bad.ttl"
        bad.write_bytes((SAMPLES / "mini-unknown-city.ttl").read_bytes())
        result = CliRunner().invoke(
            cli, ["contribute", str(bad), "--token", TOKEN, "-d", "bad", "--server", server.url], catch_exceptions=False
        )
        assert result.exit_code == 1 and "city/atlantis" in result.stderr
        result = CliRunner().invoke(
            cli,
            ["contribute", str(good), "--token", "wrong", "-d", "x", "--server", server.url],
            catch_exceptions=False,
        )
        assert result.exit_code == 2 and "not valid" in result.stderr
        answers = [post(server, pairing(f"restart-{i}"), f"restart {i}") for i in range(2)]
        assert [a.status_code for a in answers] == [201, 201]
        before = listed(server)
        assert len(before) == 3
    finally:
        server.stop()
    server = serve(folder, workers=1, threads=4)
    try:
        assert listed(server) == before
        for slug in ("restart-cli", "restart-0", "restart-1"):
            assert ask(server, f"ASK {{ <{ID}pairing/{slug}> a <{EX}Pairing> }}")
    finally:
        server.stop()
    assert check_consistent(folder) == set(before)


def test_twenty_submissions_at_once_all_land_or_are_refused_cleanly(folder):
    server = serve(folder)
    payloads = [pairing(f"parallel-{i:02d}") for i in range(16)] + [
        pairing(f"parallel-bad-{i}", city="atlantis") for i in range(4)
    ]
    results: list = [None] * len(payloads)
    barrier = threading.Barrier(len(payloads))

    def send(index: int) -> None:
        barrier.wait()
        try:
            answer = post(server, payloads[index], f"parallel {index}")
            results[index] = (answer.status_code, answer.json())
        except requests.RequestException as exc:
            results[index] = (None, str(exc))

    try:
        threads = [threading.Thread(target=send, args=(i,)) for i in range(len(payloads))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=180)
        assert [status for status, _ in results] == [201] * 16 + [422] * 4, results
        ids = [body["id"] for _, body in results[:16]]
        assert len(set(ids)) == 16
        assert set(listed(server)) == set(ids)
        for index, contribution_id in enumerate(ids):
            assert stored_triples(server, contribution_id) == sent_triples(payloads[index])
            assert results[index][1]["sha256"] == __import__("hashlib").sha256(payloads[index]).hexdigest()
        for _, body in results[16:]:
            assert body["details"]["report"]["hasViolations"] is True
        count = requests.get(
            server.url + "/sparql",
            timeout=30,
            params={
                "query": (
                    f"SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE {{ GRAPH <{IRIS.inferred_graph}> "
                    f"{{ <{ID}city/alpha> <{EX}pairing> ?p }} }}"
                )
            },
        ).json()
        assert int(count["results"]["bindings"][0]["n"]["value"]) == 1 + 16  # the curated pairing and ours
        assert not ask(server, f"ASK {{ ?p <{EX}participant> <{ID}city/atlantis> }}")
    finally:
        server.stop()
    assert check_consistent(folder) == set(ids)


def test_a_server_killed_mid_write_comes_back_with_every_acknowledged_contribution(folder):
    """SIGKILL while a contribution is being written, restart, check; up to three times until a kill lands mid-write."""
    acknowledged: dict[str, bytes] = {}
    caught_mid_write = False
    for round_number in range(3):
        server = serve(folder)
        stop = threading.Event()
        lock = threading.Lock()

        def keep_submitting(worker: int) -> None:
            count = 0
            while not stop.is_set():
                data = pairing(f"kill-{round_number}-{worker}-{count}")
                count += 1
                try:
                    answer = post(server, data, "submitted while the server may die")
                except requests.RequestException:
                    return
                if answer.status_code == 201:
                    with lock:
                        acknowledged[answer.json()["id"]] = data

        before = len(acknowledged)
        threads = [threading.Thread(target=keep_submitting, args=(i,)) for i in range(6)]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 60
        while len(acknowledged) < before + 4 and time.monotonic() < deadline:
            time.sleep(0.01)
        pending = folder / "write.pending"
        while not pending.exists() and time.monotonic() < deadline:
            pass
        kill(server)
        caught_mid_write = caught_mid_write or pending.exists()
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
        assert len(acknowledged) >= before + 4

        server = serve(folder)  # recovery happens when the store is opened
        try:
            present = listed(server)
            missing = set(acknowledged) - set(present)
            assert not missing, f"acknowledged contributions lost: {missing}"
            for contribution_id, data in acknowledged.items():
                assert stored_triples(server, contribution_id) == sent_triples(data)
        finally:
            server.stop()
        accepted = check_consistent(folder)
        assert set(acknowledged) <= accepted
        if caught_mid_write:
            break
    assert caught_mid_write, "no kill landed during a write"
