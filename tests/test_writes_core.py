"""Maintainers' writes in the core and the test client: who may write, USING, LOAD, in-memory rollback (issue 19)."""

from __future__ import annotations

import json
import uuid

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from conftest import BACKENDS, MINI
from coopgraph.cli import cli
from coopgraph.contributions.writes import authorize_write, check_update_allowed, is_loopback, with_using
from coopgraph.errors import Forbidden, QueryRefused, Unauthorized, UsageError
from coopgraph.knowledge.build import build
from coopgraph.web import create_app

ID = "https://w3id.org/coopgraph/id/"
EX = "https://example.org/mini#"
LABEL = "http://www.w3.org/2000/01/rdf-schema#label"


def test_using_graph_uri_becomes_using_before_every_where():
    text = (
        "INSERT { GRAPH <http://g> { ?s a <http://T> } } WHERE { ?s ?p ?o } ;\n"
        "DELETE WHERE { GRAPH <http://g> { ?s ?p 'WHERE' } } ;\n"
        "DELETE { ?s ?p ?o } WHERE { ?s ?p ?o FILTER EXISTS { ?s ?p ?o } }"
    )
    rewritten = with_using(text, ["http://a"], ["http://b"])
    assert rewritten.count("USING <http://a> USING NAMED <http://b> WHERE") == 2
    assert "DELETE WHERE" in rewritten and "'WHERE'" in rewritten
    assert with_using(text, [], []) == text


@pytest.mark.parametrize(
    "text",
    [
        "WITH <http://g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
        "INSERT { ?s ?p ?o } USING <http://x> WHERE { ?s ?p ?o }",
    ],
)
def test_using_graph_uri_and_the_updates_own_dataset_conflict(text):
    with pytest.raises(UsageError):
        with_using(text, ["http://a"], [])


def test_load_and_service_only_reach_the_allowlist():
    with pytest.raises(QueryRefused):
        check_update_allowed("LOAD <http://example.org/x.ttl> INTO GRAPH <http://g>", ())
    with pytest.raises(QueryRefused):
        check_update_allowed("LOAD SILENT <http://example.org/x.ttl>", ("http://elsewhere/",))
    with pytest.raises(QueryRefused):
        check_update_allowed("INSERT { ?s ?p ?o } WHERE { SERVICE ?where { ?s ?p ?o } }", ())
    check_update_allowed("LOAD <http://example.org/x.ttl>", ("http://example.org/x.ttl",))
    check_update_allowed("INSERT DATA { <http://a> <http://b> 'LOAD <http://x>' }", ())


def test_who_may_write(mini_settings):
    tokens = dict(maintainer_tokens={"m": "Max"}, contributor_tokens={"c": "Ada"})
    off = mini_settings.with_overrides(**tokens)
    with pytest.raises(Forbidden):
        authorize_write(off, "m")
    maintainers = mini_settings.with_overrides(sparql_update="maintainers", **tokens)
    assert authorize_write(maintainers, "m") == "Max"
    for token, error in ((None, Unauthorized), ("nope", Unauthorized), ("c", Forbidden)):
        with pytest.raises(error):
            authorize_write(maintainers, token)
    anyone = mini_settings.with_overrides(sparql_update="anyone")
    assert authorize_write(anyone, None) == "anonymous"
    guarded = mini_settings.with_overrides(sparql_update="anyone", maintainer_tokens={"m": "Max"})
    assert authorize_write(guarded, "m") == "Max"
    with pytest.raises(Unauthorized):
        authorize_write(guarded, None)


def test_loopback_addresses():
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5") and not is_loopback("example.org")


def test_serve_refuses_anonymous_writes_on_a_public_address(tmp_path):
    data = tmp_path / "d.ttl"
    data.write_text("<http://a> <http://b> <http://c> .\n")
    result = CliRunner().invoke(cli, ["serve", "--data", str(data), "--update", "--host", "0.0.0.0"])
    assert result.exit_code == 2
    assert "anyone on the network" in result.output


def test_serve_update_on_the_curated_graph_needs_maintainer_tokens(tmp_path):
    result = CliRunner().invoke(cli, ["--root", str(MINI), "serve", "--update"])
    assert result.exit_code == 2 and "maintainer_tokens" in result.output


@pytest.fixture()
def memory_client(mini_settings):
    settings = mini_settings.with_overrides(sparql_update="maintainers", maintainer_tokens={"m": "Max"})
    store, _ = build(settings)
    app = create_app(settings, store=store)
    app.config["TESTING"] = True
    return app.test_client(), store


def test_a_refused_update_leaves_an_in_memory_store_as_it_was(memory_client):
    client, store = memory_client
    before = set(store.native)
    assert any(isinstance(quad.object, ox.BlankNode) for quad in before)  # they must come back as they were
    bad = (
        f"INSERT DATA {{ GRAPH <https://w3id.org/coopgraph/graph/data/x> {{ <{ID}pairing/p> a <{EX}Pairing> ; "
        f"<{EX}participant> <{ID}city/alpha> }} }}"
    )
    response = client.post(
        "/sparql", data=bad, content_type="application/sparql-update", headers={"Authorization": "Bearer m"}
    )
    assert response.status_code == 422
    assert json.loads(response.data)["details"]["report"]["hasViolations"] is True
    assert set(store.native) == before
    good = (
        f"INSERT DATA {{ GRAPH <https://w3id.org/coopgraph/graph/data/x> {{ <{ID}city/q> a <{EX}City> ; "
        f'<http://www.w3.org/2000/01/rdf-schema#label> "Q"@en }} }}'
    )
    response = client.post("/sparql", data={"update": good}, headers={"Authorization": "Bearer m"})
    assert response.status_code == 200, response.get_json()
    assert store.ask(f"ASK {{ <{ID}city/q> a <{EX}Place> }}")  # reasoned


def test_the_service_description_names_update_and_the_graph_store(memory_client):
    client, _ = memory_client
    response = client.get("/sparql", headers={"Accept": "text/turtle"})
    assert b"SPARQL11Update" in response.data and b"/store>" in response.data
    assert client.get("/sparql", query_string={"update": "CLEAR ALL"}).status_code == 400


def test_the_setting_alone_cannot_open_a_public_server_to_anyone(tmp_path):
    data = tmp_path / "d.ttl"
    data.write_text("<http://a> <http://b> <http://c> .\n")
    result = CliRunner().invoke(
        cli, ["serve", "--data", str(data), "--host", "0.0.0.0"], env={"COOPGRAPH_SPARQL_UPDATE": "anyone"}
    )
    assert result.exit_code == 2
    assert "anyone on the network" in result.output


def test_the_curated_store_needs_a_token_even_when_anyone_may_write(mini_settings):
    anyone = mini_settings.with_overrides(sparql_update="anyone")
    assert authorize_write(anyone, None, curated=False) == "anonymous"
    with pytest.raises(Unauthorized):
        authorize_write(anyone, None, curated=True)
    store, _ = build(anyone)
    app = create_app(anyone, store=store)
    app.config["TESTING"] = True
    response = app.test_client().post("/sparql", data={"update": "CLEAR ALL"})
    assert response.status_code == 401
    assert store.ask(f"ASK {{ <{ID}city/alpha> ?p ?o }}")


@pytest.mark.parametrize("kind", BACKENDS)
def test_writes_on_each_backend_apply_or_leave_nothing(kind, backend_settings):
    """The same update, refused and accepted, on the embedded store and on a remote one (Virtuoso)."""
    base = f"https://w{uuid.uuid4().hex[:10]}.example.org/coopgraph/"
    settings = backend_settings(kind, MINI, base_iri=base, sparql_update="maintainers", maintainer_tokens={"m": "Max"})
    store, _ = build(settings)
    app = create_app(settings, store=store)
    app.config["TESTING"] = True
    client = app.test_client()
    city = f"{base}id/city/omega"
    graph = f"{base}graph/data/edits"
    count = store.count()
    bad = f"INSERT DATA {{ GRAPH <{graph}> {{ <{city}> a <{EX}City> }} }}"  # a city without its label
    response = client.post("/sparql", data={"update": bad}, headers={"Authorization": "Bearer m"})
    assert response.status_code == 422, response.get_json()
    assert not store.ask(f"ASK {{ <{city}> ?p ?o }}") and store.count() == count
    good = f'INSERT DATA {{ GRAPH <{graph}> {{ <{city}> a <{EX}City> ; <{LABEL}> "Omega"@en }} }}'
    response = client.post("/sparql", data={"update": good}, headers={"Authorization": "Bearer m"})
    assert response.status_code == 200, response.get_json()
    assert store.ask(f"ASK {{ <{city}> a <{EX}Place> }}")  # reasoned
    assert client.get("/changes.json").get_json()["changes"][0]["kind"] == "update"
    # the Graph Store Protocol on the same backend: replace a graph, read it back, delete it
    other = f"{base}id/city/psi"
    turtle = f'<{other}> a <{EX}City> ; <{LABEL}> "Psi"@en .'.encode()
    auth = {"Authorization": "Bearer m"}
    response = client.put(
        "/store", query_string={"graph": graph}, data=turtle, headers={**auth, "Content-Type": "text/turtle"}
    )
    assert response.status_code in (200, 204), response.get_data(as_text=True)
    assert store.ask(f"ASK {{ <{other}> a <{EX}Place> }}") and not store.ask(f"ASK {{ <{city}> ?p ?o }}")
    got = client.get("/store", query_string={"graph": graph}, headers={"Accept": "application/n-triples"})
    assert got.status_code == 200 and f"<{other}>" in got.get_data(as_text=True)
    response = client.delete("/store", query_string={"graph": graph}, headers=auth)
    assert response.status_code in (200, 204), response.get_data(as_text=True)
    assert not store.ask(f"ASK {{ <{other}> ?p ?o }}")
    assert client.get("/store", query_string={"graph": graph}).status_code == 404
    if kind != "oxigraph":
        store.replace_graphs({}, drop=store.graphs())
