"""Dereferencing /id/ IRIs: content negotiation, suffix and ?format= overrides, twins, errors.

Runs on the made-up towns graph (tests/fixtures/towns), so every assertion is about
behaviour, not about the curated knowledge.
"""

from __future__ import annotations

import json

import pyoxigraph as ox
import pytest

from coopgraph.knowledge.build import build

ID = "https://w3id.org/coopgraph/id/"
TESTVILLE = ID + "city/testville"
RDFS_LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
PARTICIPANT = ox.NamedNode("https://w3id.org/coopgraph/ontology#participant")
PAIRING = ox.NamedNode(ID + "pairing/testville-examplestad")

#: Accept header -> (media type answered, pyoxigraph format to parse it, or None for HTML)
MEDIA = {
    "text/html": ("text/html", None),
    "application/xhtml+xml": ("text/html", None),
    "text/turtle": ("text/turtle", ox.RdfFormat.TURTLE),
    "application/x-turtle": ("text/turtle", ox.RdfFormat.TURTLE),
    "application/ld+json": ("application/ld+json", ox.RdfFormat.JSON_LD),
    "application/json": ("application/ld+json", ox.RdfFormat.JSON_LD),
    "application/n-triples": ("application/n-triples", ox.RdfFormat.N_TRIPLES),
    "application/rdf+xml": ("application/rdf+xml", ox.RdfFormat.RDF_XML),
}
SUFFIXES = {
    ".ttl": ("text/turtle", ox.RdfFormat.TURTLE),
    ".jsonld": ("application/ld+json", ox.RdfFormat.JSON_LD),
    ".nt": ("application/n-triples", ox.RdfFormat.N_TRIPLES),
    ".rdf": ("application/rdf+xml", ox.RdfFormat.RDF_XML),
    ".html": ("text/html", None),
}
FORMAT_PARAMS = {
    "turtle": ".ttl",
    "ttl": ".ttl",
    "jsonld": ".jsonld",
    "json-ld": ".jsonld",
    "ntriples": ".nt",
    "nt": ".nt",
    "rdfxml": ".rdf",
    "rdf": ".rdf",
    "html": ".html",
}


def parse(response, fmt) -> set:
    return {(q.subject, q.predicate, q.object) for q in ox.parse(response.data, format=fmt)}


def check_description(triples: set) -> None:
    assert (ox.NamedNode(TESTVILLE), RDFS_LABEL, ox.Literal("Tēstville", language="en")) in triples
    assert (ox.NamedNode(TESTVILLE), RDFS_LABEL, ox.Literal("テスト市", language="ja")) in triples
    # what points at the resource is part of its description too
    assert (PAIRING, PARTICIPANT, ox.NamedNode(TESTVILLE)) in triples


@pytest.mark.parametrize("accept", list(MEDIA))
def test_negotiates_every_media_type(towns_client, accept):
    response = towns_client.get("/id/city/testville", headers={"Accept": accept})
    media, fmt = MEDIA[accept]
    assert response.status_code == 200
    assert response.mimetype == media
    assert "Accept" in response.vary
    suffix = {
        "text/html": ".html",
        "text/turtle": ".ttl",
        "application/ld+json": ".jsonld",
        "application/n-triples": ".nt",
        "application/rdf+xml": ".rdf",
    }[media]
    assert response.headers["Content-Location"] == "/id/city/testville" + suffix
    if fmt is None:
        assert "Tēstville" in response.get_data(as_text=True)
    else:
        check_description(parse(response, fmt))


def test_quality_values_and_browser_accept(towns_client):
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
    assert towns_client.get("/id/city/testville", headers={"Accept": browser}).mimetype == "text/html"
    ranked = "text/html;q=0.5, text/turtle;q=0.9, application/ld+json;q=0.7"
    assert towns_client.get("/id/city/testville", headers={"Accept": ranked}).mimetype == "text/turtle"
    assert towns_client.get("/id/city/testville", headers={"Accept": "*/*"}).mimetype == "text/html"
    assert towns_client.get("/id/city/testville").mimetype == "text/html"


@pytest.mark.parametrize("suffix", list(SUFFIXES))
def test_suffix_overrides_accept(towns_client, suffix):
    media, fmt = SUFFIXES[suffix]
    # the suffix names the document: it wins over whatever Accept says
    response = towns_client.get(
        "/id/city/testville" + suffix, headers={"Accept": "text/turtle;q=0.1, text/html" if fmt else "text/turtle"}
    )
    assert response.status_code == 200
    assert response.mimetype == media
    assert "Content-Location" not in response.headers
    if fmt is not None:
        check_description(parse(response, fmt))


@pytest.mark.parametrize("name", list(FORMAT_PARAMS))
def test_format_parameter_overrides_accept(towns_client, name):
    media, fmt = SUFFIXES[FORMAT_PARAMS[name]]
    response = towns_client.get(
        f"/id/city/testville?format={name}",
        headers={"Accept": "application/rdf+xml" if media != "application/rdf+xml" else "text/html"},
    )
    assert response.status_code == 200
    assert response.mimetype == media
    if fmt is not None:
        check_description(parse(response, fmt))


def test_unknown_format_and_unacceptable_type(towns_client):
    response = towns_client.get("/id/city/testville?format=yaml", headers={"Accept": "application/json"})
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] == "bad-request" and body["status"] == 400 and "yaml" in body["message"]
    response = towns_client.get("/id/city/testville", headers={"Accept": "image/png"})
    assert response.status_code == 406


@pytest.mark.parametrize(
    "path",
    [
        "/id/city/atlantis",
        "/id/city/atlantis.ttl",
        "/id/nothing/here.jsonld",
        "/id/city/a%20b",
        "/id/city/%3Cscript%3E",
    ],
)
def test_unknown_iris_are_404(towns_client, path):
    response = towns_client.get(path, headers={"Accept": "text/turtle"})
    assert response.status_code == 404
    html = towns_client.get(path, headers={"Accept": "text/html"})
    assert html.status_code == 404 and html.mimetype == "text/html"
    assert "<script>" not in html.get_data(as_text=True)


def test_link_header_announces_twins_that_resolve(towns_client):
    response = towns_client.get("/id/city/testville")
    links = response.headers["Link"]
    expected = {
        "/id/city/testville.ttl": "text/turtle",
        "/id/city/testville.jsonld": "application/ld+json",
        "/id/city/testville.nt": "application/n-triples",
        "/id/city/testville.rdf": "application/rdf+xml",
    }
    for url, media in expected.items():
        assert f'<{url}>; rel="alternate"; type="{media}"' in links
        twin = towns_client.get(url)
        assert twin.status_code == 200 and twin.mimetype == media
        assert '</id/city/testville.html>; rel="alternate"; type="text/html"' in twin.headers["Link"]
    html = response.get_data(as_text=True)
    assert '<link rel="alternate" type="text/turtle" href="/id/city/testville.ttl"' in html


def test_conditional_get_and_head(towns_client):
    first = towns_client.get("/id/city/testville.ttl")
    assert first.headers.get("ETag")
    again = towns_client.get("/id/city/testville.ttl", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    head = towns_client.head("/id/city/testville", headers={"Accept": "text/turtle"})
    assert head.status_code == 200 and head.mimetype == "text/turtle" and not head.data


def test_jsonld_uses_the_ontology_context(towns_client):
    body = json.loads(towns_client.get("/id/city/testville.jsonld").data)
    context = body["@context"]
    assert context["Municipality"] == "cg:Municipality"
    nodes = {node["@id"]: node for node in body["@graph"]}
    assert (
        nodes["id:city/testville"]["@type"] == "Municipality" or "Municipality" in nodes["id:city/testville"]["@type"]
    )


def test_configured_base_iri_is_served_under_id(towns_settings, tmp_path):
    """A deployment with its own base: /id/... maps onto it, and the data is rewritten to it."""
    from coopgraph.web import create_app

    settings = towns_settings.with_overrides(base_iri="http://data.example.org/towns/")
    store, _ = build(settings)
    client = create_app(settings, store=store).test_client()
    response = client.get("/id/city/testville", headers={"Accept": "application/n-triples"})
    assert response.status_code == 200
    triples = parse(response, ox.RdfFormat.N_TRIPLES)
    subject = ox.NamedNode("http://data.example.org/towns/id/city/testville")
    assert (subject, RDFS_LABEL, ox.Literal("Tēstville", language="en")) in triples
    assert not any(str(t[0]).startswith("<https://w3id.org/coopgraph/id/") for t in triples)
    html = client.get("/id/city/testville").get_data(as_text=True)
    assert 'href="/id/pairing/testville-examplestad"' in html


def test_ontology_negotiates_like_a_resource(towns_client):
    cls = (
        ox.NamedNode("https://w3id.org/coopgraph/ontology#Municipality"),
        ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
        ox.NamedNode("http://www.w3.org/2002/07/owl#Class"),
    )
    for accept, (media, fmt) in MEDIA.items():
        response = towns_client.get("/ontology", headers={"Accept": accept})
        assert response.status_code == 200 and response.mimetype == media
        assert "Accept" in response.vary
        if fmt is None:
            assert "Municipality" in response.get_data(as_text=True)
        else:
            assert cls in parse(response, fmt)
    for suffix, (media, fmt) in SUFFIXES.items():
        response = towns_client.get("/ontology" + suffix)
        assert response.status_code == 200 and response.mimetype == media
    assert towns_client.get("/ontology?format=rdfxml").mimetype == "application/rdf+xml"
    assert '</ontology.ttl>; rel="alternate"' in towns_client.get("/ontology").headers["Link"]


def test_other_iris_of_the_graph(towns_client):
    """IRIs outside /id/ that the graph describes (the build record) get a page too."""
    response = towns_client.get("/resource?iri=https://w3id.org/coopgraph/graph/meta")
    assert response.status_code == 200 and "graph/meta" in response.get_data(as_text=True)
    twin = response.headers["Link"].split(";")[0].strip("<>")
    assert twin.startswith("/resource?iri=") and twin.endswith("&format=turtle")
    assert towns_client.get(twin).mimetype == "text/turtle"
    moved = towns_client.get("/resource?iri=" + TESTVILLE)
    assert moved.status_code == 301 and moved.headers["Location"].endswith("/id/city/testville")
    assert towns_client.get("/resource?iri=https://nowhere.example.org/x").status_code == 404
    assert towns_client.get("/resource?iri=not an iri", headers={"Accept": "application/json"}).status_code == 404
