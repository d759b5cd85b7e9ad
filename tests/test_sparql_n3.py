"""N3 asked for by name (SPARQLWrapper's ``format=n3``) or by ``Accept: text/n3`` is answered as Turtle (issue 19)."""

from __future__ import annotations

import pytest
import rdflib

from coopgraph.web import create_app

MINI = "https://example.org/mini#"
GRAPH_QUERY = f"CONSTRUCT {{ ?c a <{MINI}City> }} WHERE {{ ?c a <{MINI}City> }}"


@pytest.fixture(scope="module")
def client(mini_settings, mini_store):
    app = create_app(mini_settings, store=mini_store)
    app.config["TESTING"] = True
    return app.test_client()


@pytest.mark.parametrize("fmt", ["n3", "text/n3", "N3"])
def test_format_n3_is_answered_as_turtle(client, fmt):
    response = client.get("/sparql", query_string={"query": GRAPH_QUERY, "format": fmt})
    assert response.status_code == 200, response.get_json()
    assert response.mimetype == "text/turtle"
    graph = rdflib.Graph().parse(data=response.data, format="n3")
    assert len(graph) > 0


def test_accept_text_n3_is_answered_as_turtle_under_that_type(client):
    response = client.get("/sparql", query_string={"query": GRAPH_QUERY}, headers={"Accept": "text/n3"})
    assert response.status_code == 200 and response.mimetype == "text/n3"
    assert len(rdflib.Graph().parse(data=response.data, format="n3")) > 0


def test_n3_for_a_select_is_not_acceptable(client):
    response = client.get("/sparql", query_string={"query": f"SELECT ?c WHERE {{ ?c a <{MINI}City> }}", "format": "n3"})
    assert response.status_code == 406
