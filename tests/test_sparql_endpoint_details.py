"""The SPARQL endpoint's details, through Flask's test client over the miniature project."""

from __future__ import annotations

import io
import json

import pyoxigraph as ox
import pytest

from coopgraph.web import create_app

MINI = "https://example.org/mini#"
CITIES = f"SELECT ?c WHERE {{ ?c a <{MINI}City> }} ORDER BY ?c"


@pytest.fixture(scope="module")
def make_app(mini_settings, mini_store):
    def factory(**overrides):
        app = create_app(mini_settings.with_overrides(**overrides), store=mini_store)
        app.config["TESTING"] = True
        return app

    return factory


@pytest.fixture(scope="module")
def client(make_app):
    return make_app().test_client()


def rows(response) -> list[dict]:
    return [{k: v["value"] for k, v in b.items()} for b in response.get_json()["results"]["bindings"]]


def test_get_and_both_posts_give_the_same_answer(client, mini_store):
    expected = [{"c": t.value} for t in mini_store.query(CITIES).column("c")]
    assert expected
    answers = [
        client.get("/sparql", query_string={"query": CITIES}),
        client.post("/sparql", data={"query": CITIES}),
        client.post("/sparql", data=CITIES, content_type="application/sparql-query"),
        client.post("/sparql", data=CITIES.encode("utf-8"), content_type="application/sparql-query; charset=UTF-8"),
    ]
    for response in answers:
        assert response.status_code == 200 and response.mimetype == "application/sparql-results+json"
        assert rows(response) == expected


@pytest.mark.parametrize(
    "kwargs",
    [
        {"query_string": {"query": [CITIES, CITIES]}},
        {"method": "POST", "data": {"query": [CITIES, CITIES]}},
        {
            "method": "POST",
            "data": CITIES,
            "content_type": "application/sparql-query",
            "query_string": {"query": CITIES},
        },
        {"method": "POST", "data": {"nothing": "here"}},
        {"query_string": {"query": "   "}},
    ],
)
def test_exactly_one_query_else_400(client, kwargs):
    kwargs = dict(kwargs)
    method = kwargs.pop("method", "GET")
    response = client.open("/sparql", method=method, **kwargs)
    assert response.status_code == 400 and response.get_json()["status"] == 400


@pytest.mark.parametrize(
    "content_type, status", [("text/plain", 415), (None, 415), ("application/sparql-query; charset=UTF-16", 415)]
)
def test_post_bodies_of_other_types_are_refused(client, content_type, status):
    headers = {"Content-Type": content_type} if content_type else {}
    response = client.post("/sparql", data=b"ASK {}", headers=headers)
    assert response.status_code == status
    assert response.get_json()["error"] == "unsupported-media-type"


def test_a_body_that_is_not_utf8_is_refused(client):
    response = client.post(
        "/sparql", data="ASK { ?s ?p 'é' }".encode("latin-1"), content_type="application/sparql-query"
    )
    assert response.status_code == 400 and "UTF-8" in response.get_json()["message"]


@pytest.mark.parametrize(
    "accept, media_type",
    [
        ("application/sparql-results+json", "application/sparql-results+json"),
        ("application/sparql-results+xml", "application/sparql-results+xml"),
        ("text/csv", "text/csv"),
        ("text/tab-separated-values", "text/tab-separated-values"),
        ("text/csv;q=0.5, application/sparql-results+xml;q=0.9", "application/sparql-results+xml"),
        ("text/*;q=0.8, application/sparql-results+json;q=0.2", "text/csv"),
        ("*/*", "application/sparql-results+json"),
        ("application/json", "application/json"),
    ],
)
def test_select_format_follows_accept_with_q_values(client, accept, media_type):
    response = client.get("/sparql", query_string={"query": CITIES}, headers={"Accept": accept})
    assert response.status_code == 200 and response.mimetype == media_type
    assert b"alpha" in response.data


@pytest.mark.parametrize(
    "accept, media_type, marker",
    [
        ("text/turtle", "text/turtle", b"@prefix"),
        ("application/n-triples", "application/n-triples", b"> <"),
        ("application/ld+json", "application/ld+json", b'"@context"'),
        ("application/rdf+xml", "application/rdf+xml", b"<rdf:RDF"),
        ("application/n-quads", "application/n-quads", b"> <"),
        ("application/trig", "application/trig", b"@prefix"),
        ("application/sparql-results+json, text/turtle;q=0.1", "text/turtle", b"@prefix"),
    ],
)
def test_construct_format_follows_accept(client, accept, media_type, marker):
    query = f"CONSTRUCT {{ ?c a <{MINI}City> }} WHERE {{ ?c a <{MINI}City> }}"
    response = client.get("/sparql", query_string={"query": query}, headers={"Accept": accept})
    assert response.status_code == 200 and response.mimetype == media_type
    assert marker in response.data


@pytest.mark.parametrize(
    "fmt, media_type",
    [
        ("csv", "text/csv"),
        ("xml", "application/sparql-results+xml"),
        ("text/tab-separated-values", "text/tab-separated-values"),
    ],
)
def test_format_parameter_overrides_accept(client, fmt, media_type):
    response = client.get(
        "/sparql", query_string={"query": CITIES, "format": fmt}, headers={"Accept": "application/sparql-results+json"}
    )
    assert response.mimetype == media_type


def test_format_parameter_means_the_rdf_format_for_graphs(client):
    query = "DESCRIBE <https://w3id.org/coopgraph/id/city/alpha>"
    response = client.post("/sparql", data={"query": query, "format": "xml"})
    assert response.mimetype == "application/rdf+xml" and b"<rdf:RDF" in response.data


def test_406_when_nothing_acceptable_can_be_produced(client):
    response = client.get("/sparql", query_string={"query": CITIES}, headers={"Accept": "image/png"})
    assert response.status_code == 406 and response.get_json()["error"] == "not-acceptable"
    response = client.get("/sparql", query_string={"query": CITIES, "format": "turtle"})
    assert response.status_code == 406
    response = client.get("/sparql", query_string={"query": CITIES, "format": "no-such-format"})
    assert response.status_code == 400


def test_syntax_errors_say_line_and_column(client):
    response = client.get("/sparql", query_string={"query": "SELECT ?c\nWHERE { ?c a }"})
    body = response.get_json()
    assert response.status_code == 400 and body["error"] == "query-syntax-error"
    assert body["details"] == {"line": 2, "column": body["details"]["column"]} and body["details"]["column"] > 1
    assert body["message"].startswith("line 2, column")


def test_protocol_dataset_replaces_the_querys_own(client, mini_settings):
    iris = mini_settings.iris
    places, pairings = iris.data_graph("places"), iris.data_graph("pairings")
    count = "SELECT (COUNT(*) AS ?n) FROM <{g}> WHERE {{ ?s ?p ?o }}"
    own = rows(client.get("/sparql", query_string={"query": count.format(g=places)}))[0]["n"]
    replaced = rows(
        client.get("/sparql", query_string={"query": count.format(g=places), "default-graph-uri": pairings})
    )[0]["n"]
    alone = rows(client.get("/sparql", query_string={"query": count.format(g=pairings)}))[0]["n"]
    assert own != replaced and replaced == alone
    # named graphs alone: they are the only graphs GRAPH sees, and the default graph is empty
    response = client.post(
        "/sparql",
        data={
            "query": "SELECT DISTINCT ?g (COUNT(?d) AS ?inDefault) "
            "WHERE { { GRAPH ?g { ?s ?p ?o } } UNION { ?d ?e ?f } } GROUP BY ?g",
            "named-graph-uri": [places],
        },
    )
    assert {r.get("g") for r in rows(response)} <= {places, None}
    assert all(r["inDefault"] == "0" for r in rows(response))


def test_the_row_cap_is_flagged(make_app):
    client = make_app(max_result_rows=2).test_client()
    response = client.get("/sparql", query_string={"query": "SELECT * WHERE { ?s ?p ?o }"})
    assert len(response.get_json()["results"]["bindings"]) == 2
    assert response.headers["X-Coopgraph-Truncated"] == "true" and response.headers["X-Coopgraph-Max-Rows"] == "2"
    small = client.get("/sparql", query_string={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 1"})
    assert "X-Coopgraph-Truncated" not in small.headers


def test_request_size_limit_is_413(make_app):
    client = make_app(max_request_bytes=200).test_client()
    big = "SELECT * WHERE { ?s ?p ?o } " + "#" * 300
    for response in (
        client.post("/sparql", data={"query": big}),
        client.post("/sparql", data=big, content_type="application/sparql-query"),
    ):
        assert response.status_code == 413 and response.get_json()["error"] == "payload-too-large"
    assert client.post("/sparql", data={"query": "ASK {}"}).status_code == 200


def test_service_is_refused_unless_allowed(make_app):
    query = "SELECT * WHERE { SERVICE <https://example.org/sparql> { ?s ?p ?o } }"
    refused = make_app().test_client().get("/sparql", query_string={"query": query})
    assert refused.status_code == 403 and "service_allowlist" in refused.get_json()["hint"]
    other = make_app(service_allowlist="https://example.org/other").test_client()
    assert other.get("/sparql", query_string={"query": query}).status_code == 403
    hidden = "SELECT * WHERE { ?s ?p ?o # SERVICE <https://example.org/sparql> { }\n}"
    assert make_app().test_client().get("/sparql", query_string={"query": hidden}).status_code == 200


def test_service_to_an_allowed_endpoint_is_answered(make_app, mini_store):
    """SERVICE to an allow-listed endpoint really federates: here the endpoint itself, served live."""
    from conftest import MINI as MINI_ROOT
    from conftest import LiveServer

    server = LiveServer(["--root", str(MINI_ROOT), "serve", "--debug"])
    try:
        remote = server.url + "/sparql"
        client = make_app(service_allowlist=remote).test_client()
        query = f"SELECT ?c WHERE {{ SERVICE <{remote}> {{ ?c a <{MINI}City> }} }} ORDER BY ?c"
        response = client.get("/sparql", query_string={"query": query})
        assert response.status_code == 200, response.data
        assert rows(response) == [{"c": t.value} for t in mini_store.query(CITIES).column("c")]
    finally:
        server.stop()


def test_etag_and_last_modified_give_304(client, mini_store):
    first = client.get("/sparql", query_string={"query": CITIES})
    etag = first.headers["ETag"]
    assert etag.startswith('W/"') and first.headers["Last-Modified"]
    assert client.get("/sparql", query_string={"query": CITIES}, headers={"If-None-Match": etag}).status_code == 304
    assert (
        client.get(
            "/sparql", query_string={"query": CITIES, "format": "csv"}, headers={"If-None-Match": etag}
        ).status_code
        == 200
    )
    assert (
        client.get(
            "/sparql", query_string={"query": CITIES}, headers={"If-Modified-Since": first.headers["Last-Modified"]}
        ).status_code
        == 304
    )
    assert (
        client.get(
            "/sparql", query_string={"query": CITIES}, headers={"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"}
        ).status_code
        == 200
    )


def test_server_timing_on_query_answers(client):
    timing = client.get("/sparql", query_string={"query": CITIES}).headers["Server-Timing"]
    names = [part.split(";")[0].strip() for part in timing.split(",")]
    assert names == ["eval", "ser", "store", "total"]


def test_cors_on_reads_only(client):
    assert client.get("/sparql", query_string={"query": CITIES}).headers["Access-Control-Allow-Origin"] == "*"
    assert client.post("/sparql", data={"query": CITIES}).headers["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in client.get("/sparql", query_string={"query": CITIES}).headers["Access-Control-Expose-Headers"]
    preflight = client.options(
        "/sparql", headers={"Origin": "https://example.org", "Access-Control-Request-Method": "POST"}
    )
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    refused = client.options(
        "/sparql", headers={"Origin": "https://example.org", "Access-Control-Request-Method": "PUT"}
    )
    assert "Access-Control-Allow-Origin" not in refused.headers


def test_service_description_by_accept(client):
    for accept, media_type in (
        ("text/turtle", "text/turtle"),
        ("application/ld+json", "application/ld+json"),
        ("application/rdf+xml", "application/rdf+xml"),
        (None, "text/turtle"),
    ):
        response = client.get("/sparql", headers={"Accept": accept} if accept else {})
        assert response.status_code == 200 and response.mimetype == media_type
        assert b"http://localhost/sparql" in response.data


def test_service_description_uses_public_url(make_app):
    client = make_app(public_url="https://coopgraph.example.org/").test_client()
    response = client.get("/sparql", headers={"Accept": "text/turtle"})
    assert b"<https://coopgraph.example.org/sparql>" in response.data


def test_browsers_get_yasgui_with_the_stored_queries_as_tabs(client):
    response = client.get("/sparql", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    config = json.loads(page.split('<script type="application/json" id="sparql-config">')[1].split("</script>")[0])
    assert config["endpoint"] == "http://localhost/sparql"
    names = [tab["name"] for tab in config["examples"]]
    assert "Pairings of a city" in names and "Labels" in names
    pairings = next(tab for tab in config["examples"] if tab["name"] == "Pairings of a city")
    assert "VALUES (?city)" in pairings["query"]  # the example value is bound, so the tab runs
    assert "<script>" not in page.split("sparql-config")[1].split("</script>")[0]


def test_stored_query_text_cannot_break_out_of_the_page(make_app, tmp_path, mini_settings):
    queries = tmp_path / "queries"
    queries.mkdir()
    (queries / "evil.rq").write_text(
        "#+ title: </script><script>alert(1)</script>\nSELECT * WHERE { ?s ?p '</script><script>alert(2)</script>' }\n"
    )
    client = make_app(root=str(tmp_path)).test_client()
    page = client.get("/sparql", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert "<script>alert" not in page


def test_every_answer_is_logged_once(client, caplog):
    import logging

    with caplog.at_level(logging.INFO, logger="coopgraph.access"):
        client.get("/sparql", query_string={"query": CITIES})
        client.get("/sparql", query_string={"update": "CLEAR ALL"})
    lines = [r.getMessage() for r in caplog.records if r.name == "coopgraph.access"]
    assert len(lines) == 2 and " 200 " in lines[0] and " 403 " in lines[1]
    assert all(line.endswith("ms") for line in lines)


@pytest.mark.parametrize("fmt", ["json", "xml", "tsv", "csv"])
@pytest.mark.parametrize("cap", [1, 2, 3, 1000])
def test_the_row_cap_holds_when_pyoxigraph_writes_the_answer(mini_store, fmt, cap):
    """The serving path (no soft time limit) lets pyoxigraph write answers; the cap must hold there too."""
    import pyoxigraph as ox

    from coopgraph.formats import RDF_FORMATS, RESULT_FORMATS

    query = "SELECT ?s ?p ?o WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o"
    total = len(mini_store.query(query).rows)
    answer = mini_store.query_serialized(
        query, result_format=RESULT_FORMATS[fmt], rdf_format=RDF_FORMATS["turtle"], max_rows=cap
    )
    assert answer.kind == "select" and answer.truncated is (total > cap)
    if fmt == "csv":
        import csv
        import io

        rows = len(list(csv.reader(io.StringIO(answer.data.decode("utf-8"))))) - 1
    else:
        rows = len(list(ox.parse_query_results(answer.data, format=RESULT_FORMATS[fmt].oxigraph)))
    assert rows == min(total, cap)


def test_tsv_writes_signed_numbers_so_rdflib_reads_them():
    """rdflib's TSV reader fails on the short form -1.5; the long form is valid TSV that every client reads."""
    from coopgraph.formats import RESULT_FORMATS, serialize_select

    rows = [
        (
            ox.Literal("-1.97499", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#decimal")),
            ox.Literal("-3", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")),
            ox.Literal("7.5", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#decimal")),
        )
    ]
    written = serialize_select(["a", "b", "c"], rows, RESULT_FORMATS["tsv"])
    assert [
        tuple(s[v] for v in ("a", "b", "c")) for s in ox.parse_query_results(written, format=ox.QueryResultsFormat.TSV)
    ] == rows
    from rdflib.plugins.sparql.results.tsvresults import TSVResultParser

    parsed = TSVResultParser().parse(io.StringIO(written.decode()))
    assert [
        [str(binding[name]) for name in ("a", "b", "c")]
        for binding in [{str(k): v for k, v in b.items()} for b in parsed.bindings]
    ] == [["-1.97499", "-3", "7.5"]]
