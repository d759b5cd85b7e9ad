"""The changes feed (/changes as HTML, JSON and Atom): contributions, withdrawals and maintainers' writes (issue 19)."""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET

import pytest

from coopgraph.knowledge.build import build
from coopgraph.web import create_app

ID = "https://w3id.org/coopgraph/id/"
EX = "https://example.org/mini#"
LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(scope="module")
def client(mini_settings):
    settings = mini_settings.with_overrides(
        sparql_update="maintainers", maintainer_tokens={"m": "Max"}, contributor_tokens={"c": "Ada"}
    )
    store, _ = build(settings)
    app = create_app(settings, store=store)
    app.config["TESTING"] = True
    client = app.test_client()
    contribution = (f'<{ID}city/kappa> a <{EX}City> ; <{LABEL}> "Kappa <&> city"@en .').encode()
    answer = client.post(
        "/api/contributions",
        data=contribution,
        query_string={"description": "Kappa & co"},
        headers={"Authorization": "Bearer c", "Content-Type": "text/turtle"},
    )
    assert answer.status_code == 201, answer.get_json()
    time.sleep(1.1)  # times are kept to the second: the update must come after the contribution
    update = (
        f"INSERT DATA {{ GRAPH <https://w3id.org/coopgraph/graph/data/edits> {{ <{ID}city/lambda> "
        f'a <{EX}City> ; <{LABEL}> "Lambda"@en }} }}'
    )
    answer = client.post("/sparql", data={"update": update}, headers={"Authorization": "Bearer m"})
    assert answer.status_code == 200, answer.get_json()
    return client


def test_the_json_feed_lists_every_kind_newest_first(client):
    body = client.get("/changes.json").get_json()
    kinds = [change["kind"] for change in body["changes"]]
    assert kinds == ["update", "contribution"]
    assert body["changes"][0]["by"] == "Max" and body["changes"][1]["by"] == "Ada"
    assert [c["at"] for c in body["changes"]] == sorted((c["at"] for c in body["changes"]), reverse=True)


def test_the_atom_feed_is_well_formed_and_escaped(client):
    response = client.get("/changes.atom")
    assert response.mimetype == "application/atom+xml"
    root = ET.fromstring(response.data)
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == 2
    assert entries[1].find(f"{ATOM}summary").text.endswith("Kappa & co")
    assert {e.find(f"{ATOM}author/{ATOM}name").text for e in entries} == {"Max", "Ada"}


def test_changes_follows_accept_and_announces_its_twins(client):
    page = client.get("/changes", headers={"Accept": "text/html"})
    assert page.status_code == 200 and b"Kappa &amp; co" in page.data and b"SPARQL Update" in page.data
    assert "/changes.atom" in page.headers["Link"] and "/changes.json" in page.headers["Link"]
    assert client.get("/changes", headers={"Accept": "application/atom+xml"}).mimetype == "application/atom+xml"
    assert client.get("/changes", headers={"Accept": "application/json"}).get_json()["count"] == 2


def test_a_bad_limit_is_400(client):
    response = client.get("/changes.json", query_string={"limit": "lots"})
    assert response.status_code == 400 and response.get_json()["error"]


def test_the_changes_about_a_resource_carry_their_diff(client):
    update = (
        f"DELETE DATA {{ GRAPH <https://w3id.org/coopgraph/graph/data/edits> {{ <{ID}city/lambda> "
        f'<{LABEL}> "Lambda"@en }} }} ; INSERT DATA {{ GRAPH <https://w3id.org/coopgraph/graph/data/edits> '
        f'{{ <{ID}city/lambda> <{LABEL}> "Lambda City"@en }} }}'
    )
    assert client.post("/sparql", data={"update": update}, headers={"Authorization": "Bearer m"}).status_code == 200
    body = client.get(
        "/changes/about", query_string={"iri": f"{ID}city/lambda"}, headers={"Accept": "application/json"}
    ).get_json()
    newest, first = body["changes"][0], body["changes"][-1]
    assert [line.split('"')[1] for line in newest["removed"]] == ["Lambda"]
    assert [line.split('"')[1] for line in newest["added"]] == ["Lambda City"]
    assert len(first["added"]) == 2 and first["removed"] == []
    kappa = client.get(
        "/changes/about", query_string={"iri": f"{ID}city/kappa"}, headers={"Accept": "application/json"}
    ).get_json()["changes"]
    assert [c["kind"] for c in kappa] == ["contribution"] and len(kappa[0]["added"]) == 2
    page = client.get("/changes/about", query_string={"iri": f"{ID}city/lambda"}, headers={"Accept": "text/html"})
    assert page.status_code == 200 and b"Lambda City" in page.data
    assert client.get("/changes/about").status_code == 400


def test_a_resource_page_links_to_its_change_history(client):
    page = client.get("/id/city/lambda", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert b"/changes/about?iri=https" in page.data
