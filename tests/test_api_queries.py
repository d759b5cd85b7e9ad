"""The stored-query API: listing, metadata, results in every format, paging, errors, injection, CLI parity.

Runs against the stored-query test project (the miniature project plus the queries of
tests/fixtures/query-api), in-process; one live `coopgraph serve` checks what only a
real server shows (broken queries left out at start-up, the time limit on the serving store).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import shutil
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pyoxigraph as ox
import pytest
import rdflib
import requests
from click.testing import CliRunner

from conftest import ROOT, LiveServer, make_settings
from coopgraph.cli import cli
from coopgraph.formats import RDF_FORMATS
from coopgraph.queries import load_stored_queries

ID = "https://w3id.org/coopgraph/id/"
GOOD = {"city-pairings", "labels", "echo", "label-search", "typed", "pairing-graph", "is-city", "places-within"}
BROKEN = {"broken-header", "broken-sparql", "broken-enum", "reserved-name"}


@pytest.fixture()
def api(query_app):
    return query_app.test_client()


def get_json(api, url, status=200, **kwargs):
    response = api.get(url, **kwargs)
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    return response.get_json()


def store_fingerprint(store) -> tuple[int, str]:
    """The store's size and a hash of every quad, to show a request changed nothing."""
    data = store.dump(RDF_FORMATS["nquads"])
    return store.count(), hashlib.sha256(b"".join(sorted(data.splitlines()))).hexdigest()


# --- listing and metadata -------------------------------------------------------------


def test_list_has_every_good_query_and_none_of_the_broken(api):
    body = get_json(api, "/api/queries")
    names = {q["name"] for q in body["queries"]}
    assert names == GOOD and body["count"] == len(GOOD)
    typed = next(q for q in body["queries"] if q["name"] == "typed")
    assert typed["title_ja"] == "すべての型" and typed["description_ja"] == "各型の値をそのまま返します。"
    assert {p["name"]: p["type"] for p in typed["parameters"]} == {
        "year": "year",
        "count": "integer",
        "share": "decimal",
        "day": "date",
        "flag": "boolean",
        "name": "langstring",
        "place": "iri",
        "colour": "string",
    }
    assert typed["links"]["results"] == "/api/queries/typed/results" and "sparql" not in typed
    assert set(typed["formats"]) == {"json", "csv", "tsv", "sparql-json", "sparql-xml"}
    graph = next(q for q in body["queries"] if q["name"] == "pairing-graph")
    assert set(graph["formats"]) == {"jsonld", "turtle", "ntriples", "rdfxml"}


def test_metadata_gives_choices_from_the_header_and_the_graph(api):
    body = get_json(api, "/api/queries/city-pairings")
    city = body["parameters"][0]
    assert city["required"] and city["class"] == "https://example.org/mini#City"
    # instances of the class (and its subclasses, after reasoning), with labels; regions are not cities
    assert [(c["value"], c["label"]) for c in city["choices"]] == [
        (ID + "city/alpha", "Alpha"),
        (ID + "city/beta", "Beta"),
        (ID + "city/gamma", "Gamma"),
    ]
    assert "SELECT ?pairing" in body["sparql"]
    regions = get_json(api, "/api/queries/places-within")["parameters"][0]
    assert regions["enumFromGraph"] and {c["value"] for c in regions["choices"]} == {
        ID + "region/north",
        ID + "region/continent",
        ID + "region/testville",
    }
    colour = next(p for p in get_json(api, "/api/queries/typed")["parameters"] if p["name"] == "colour")
    assert colour["choices"] == [{"value": "red", "label": "Red colour"}, {"value": "blue", "label": "Blue colour"}]


def test_labels_follow_accept_language(api):
    english = get_json(api, "/api/queries/city-pairings")["parameters"][0]["choices"]
    japanese = get_json(api, "/api/queries/city-pairings", headers={"Accept-Language": "ja"})
    labels = {c["value"]: c["label"] for c in japanese["parameters"][0]["choices"]}
    assert labels[ID + "city/alpha"] == "アルファ" and labels[ID + "city/gamma"] == "Gamma"  # no ja label: English
    assert {c["label"] for c in english} == {"Alpha", "Beta", "Gamma"}


def test_unknown_query_is_404_in_the_error_shape(api):
    for url in ("/api/queries/nothing", "/api/queries/nothing/results", "/api/no/such/thing"):
        body = get_json(api, url, status=404)
        assert (
            body["error"] == "not-found"
            and body["status"] == 404
            and set(body) <= {"error", "status", "message", "hint", "details"}
        )
    body = get_json(api, "/api/queries/nothing/results", status=404)
    assert "nothing" in body["message"] and "city-pairings" in body["hint"]
    posted = api.post("/api/queries/echo/results")
    assert posted.status_code == 405 and posted.get_json()["error"] == "method-not-allowed"


# --- results ----------------------------------------------------------------------------


def test_json_shape_columns_rows_types_and_labels(api):
    body = get_json(api, "/api/queries/city-pairings/results?city=id:city/alpha")
    assert body["query"] == "city-pairings" and body["form"] == "select"
    assert body["parameters"] == {"city": ID + "city/alpha"}
    assert body["columns"] == ["pairing", "partner", "partnerLabel"]
    assert body["rows"] == [
        {
            "pairing": {"type": "iri", "value": ID + "pairing/alpha-gamma", "label": "Alpha–Gamma"},
            "partner": {"type": "iri", "value": ID + "city/gamma", "label": "Gamma"},
            "partnerLabel": {"type": "literal", "value": "Gamma", "language": "en"},
        }
    ]
    assert body["offset"] == 0 and body["hasMore"] is False and body["next"] is None and body["prev"] is None


def test_every_type_is_bound_as_a_typed_term_and_unbound_cells_are_null(api):
    url = (
        "/api/queries/typed/results?year=2017&share=35.02&day=2017-03-01&flag=false&name=Kyoto@EN"
        "&place=id:region/north&colour=blue"
    )
    row = get_json(api, url)["rows"][0]
    xsd = "http://www.w3.org/2001/XMLSchema#"
    assert row["year"] == {"type": "literal", "value": "2017", "datatype": xsd + "gYear"}
    assert row["count"] == {"type": "literal", "value": "3", "datatype": xsd + "integer"}  # the default
    assert row["share"] == {"type": "literal", "value": "35.02", "datatype": xsd + "decimal"}
    assert row["day"] == {"type": "literal", "value": "2017-03-01", "datatype": xsd + "date"}
    assert row["flag"] == {"type": "literal", "value": "false", "datatype": xsd + "boolean"}
    assert row["name"] == {"type": "literal", "value": "Kyoto", "language": "en"}
    assert row["place"] == {"type": "iri", "value": ID + "region/north", "label": "North"}
    assert row["colour"] == {"type": "literal", "value": "blue"}
    sparse = get_json(api, "/api/queries/typed/results")["rows"][0]
    assert sparse["year"] is None and sparse["count"]["value"] == "3" and sparse["flag"]["value"] == "true"


def test_labels_of_a_page_are_fetched_in_one_query(query_app, query_build, monkeypatch):
    store = query_build[0]
    seen = []
    original = type(store).query

    def counting(self, sparql, **kwargs):
        seen.append(sparql)
        return original(self, sparql, **kwargs)

    monkeypatch.setattr(type(store), "query", counting)
    body = get_json(query_app.test_client(), "/api/queries/labels/results?limit=5")
    label_queries = [q for q in seen if "VALUES ?s" in q]
    assert len(label_queries) == 1
    assert all(cell["label"] for row in body["rows"] for cell in row.values() if cell and cell["type"] == "iri")


def rows_of_json(body):
    return [[(c or {}).get("value") for c in row.values()] for row in body["rows"]]


@pytest.mark.parametrize(
    "fmt, media_type",
    [
        ("csv", "text/csv"),
        ("tsv", "text/tab-separated-values"),
        ("sparql-json", "application/sparql-results+json"),
        ("sparql-xml", "application/sparql-results+xml"),
    ],
)
def test_select_formats_hold_the_same_rows(api, fmt, media_type):
    url = "/api/queries/labels/results?language=ja&limit=50"
    expected = rows_of_json(get_json(api, url))
    by_param = api.get(url + f"&format={fmt}")
    by_accept = api.get(url, headers={"Accept": media_type})
    assert by_param.status_code == by_accept.status_code == 200
    assert by_param.mimetype == by_accept.mimetype == media_type and by_param.data == by_accept.data
    if fmt == "csv":  # SPARQL CSV is plain values (no term types), so it is read as plain CSV
        got = [row for row in csv.reader(io.StringIO(by_param.get_data(as_text=True)))][1:]
    else:
        ox_format = {
            "tsv": ox.QueryResultsFormat.TSV,
            "sparql-json": ox.QueryResultsFormat.JSON,
            "sparql-xml": ox.QueryResultsFormat.XML,
        }[fmt]
        parsed = ox.parse_query_results(by_param.data, format=ox_format)
        got = [[s[v].value if s[v] is not None else None for v in ("thing", "label")] for s in parsed]
    assert got == expected
    assert expected and by_param.headers["Content-Disposition"].startswith("inline; filename=")


def test_csv_is_plain_values_for_spreadsheets(api):
    text = api.get("/api/queries/labels/results?language=ja&format=csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["thing", "label"] and ["https://w3id.org/coopgraph/id/city/alpha", "アルファ"] in rows


@pytest.mark.parametrize(
    "fmt, media_type, parse_as",
    [
        ("turtle", "text/turtle", "turtle"),
        ("jsonld", "application/ld+json", "json-ld"),
        ("ntriples", "application/n-triples", "nt"),
        ("rdfxml", "application/rdf+xml", "xml"),
    ],
)
def test_construct_answers_in_rdf_formats(api, query_build, fmt, media_type, parse_as):
    url = f"/api/queries/pairing-graph/results?pairing={ID}pairing/alpha-gamma"
    response = api.get(url + f"&format={fmt}")
    assert response.status_code == 200 and response.mimetype == media_type
    graph = rdflib.Graph().parse(data=response.data, format=parse_as)
    expected = (
        query_build[0]
        .query(f"CONSTRUCT {{ <{ID}pairing/alpha-gamma> ?p ?o }} WHERE {{ <{ID}pairing/alpha-gamma> ?p ?o }}")
        .triples
    )
    assert len(graph) == len(expected) > 3
    assert api.get(url, headers={"Accept": media_type}).data == response.data


def test_construct_for_json_clients_is_json_ld(api):
    url = f"/api/queries/pairing-graph/results?pairing={ID}pairing/alpha-gamma"
    for response in (api.get(url), api.get(url, headers={"Accept": "application/json"}), api.get(url + "&format=json")):
        assert response.status_code == 200 and response.mimetype == "application/ld+json"
        assert len(rdflib.Graph().parse(data=response.data, format="json-ld")) > 3


def test_ask_answers(api):
    assert get_json(api, f"/api/queries/is-city/results?place={ID}city/beta")["boolean"] is True
    assert get_json(api, f"/api/queries/is-city/results?place={ID}region/north")["boolean"] is False
    data = api.get(f"/api/queries/is-city/results?place={ID}city/beta&format=sparql-xml").data
    assert bool(ox.parse_query_results(data, format=ox.QueryResultsFormat.XML)) is True


@pytest.mark.parametrize(
    "url, accept, status, parameter",
    [
        ("/api/queries/labels/results?format=turtle", None, 400, "format"),
        ("/api/queries/labels/results?format=pdf", None, 400, "format"),
        (f"/api/queries/pairing-graph/results?pairing={ID}pairing/alpha-gamma&format=csv", None, 400, "format"),
        ("/api/queries/labels/results", "image/png", 406, None),
    ],
)
def test_formats_that_do_not_fit(api, url, accept, status, parameter):
    body = get_json(api, url, status=status, headers={"Accept": accept} if accept else {})
    if parameter:  # the formats that do fit are named
        fitting = "turtle" if "pairing-graph" in url else "csv"
        assert body["details"]["parameter"] == parameter and fitting in body["details"]["expected"]
    else:
        assert "application/json" in body["hint"]


# --- paging -----------------------------------------------------------------------------


def test_pages_follow_next_links_to_the_whole_answer(api):
    whole = get_json(api, "/api/queries/labels/results?limit=1000")
    assert whole["hasMore"] is False and len(whole["rows"]) > 4
    rows, url, pages = [], "/api/queries/labels/results", 0
    while url:
        response = api.get(url)
        body = response.get_json()
        assert len(body["rows"]) <= 2  # the header's pagination
        rows += body["rows"]
        pages += 1
        links = response.headers.get("Link", "")
        if body["next"]:
            assert f'<{body["next"]}>; rel="next"' in links
        if body["prev"]:
            assert f'<{body["prev"]}>; rel="prev"' in links
            assert parse_qs(urlsplit(body["prev"]).query)["offset"] == [str(body["offset"] - 2)]
        url = body["next"] and urlsplit(body["next"])._replace(scheme="", netloc="").geturl()
    assert rows == whole["rows"] and pages == -(-len(whole["rows"]) // 2)


def test_paging_keeps_parameters_and_format(api):
    response = api.get("/api/queries/places-within/results?region=id:region/continent&format=csv")
    link = response.headers["Link"]
    assert 'rel="next"' in link and "format=csv" in link and "region=id%3Aregion%2Fcontinent" in link


def test_row_cap_from_the_settings(query_project, query_build):
    from coopgraph.web import create_app

    app = create_app(make_settings(query_project, max_result_rows=3), store=query_build[0])
    client = app.test_client()
    body = get_json(client, "/api/queries/label-search/results?text=a")
    assert len(body["rows"]) == 3 and body["hasMore"] and body["limit"] == 3
    too_many = get_json(client, "/api/queries/label-search/results?text=a&limit=4", status=400)
    assert too_many["details"] == {"parameter": "limit", "expected": "a whole number from 1 up to 3"}


def test_unchanged_answers_are_not_sent_twice(api):
    first = api.get("/api/queries/labels/results")
    again = api.get("/api/queries/labels/results", headers={"If-None-Match": first.headers["ETag"]})
    assert first.status_code == 200 and again.status_code == 304 and not again.data
    other_format = api.get("/api/queries/labels/results?format=csv", headers={"If-None-Match": first.headers["ETag"]})
    assert other_format.status_code == 200


# --- bad input: 400 naming the parameter and the expected type ---------------------------


@pytest.mark.parametrize(
    "query, expected_parameter, expected_words",
    [
        ("city-pairings", "city", "IRI"),  # required, missing
        ("city-pairings?city=", "city", "IRI"),  # empty counts as missing
        ("city-pairings?city=not%20an%20iri", "city", "IRI"),
        ("city-pairings?city=id:region/north", "city", "mini#City"),  # an IRI, but not of the class
        ("city-pairings?city=https://example.org/a%3Eb", "city", "IRI"),
        ("typed?year=twenty", "year", "YYYY"),
        ("typed?year=%D9%A2%D9%A0%D9%A1%D9%A7", "year", "YYYY"),  # Arabic-Indic digits are not a year
        ("typed?count=1.5", "count", "whole number"),
        ("typed?share=1e5", "share", "decimal"),
        ("typed?day=2017-02-30", "day", "YYYY-MM-DD"),
        ("typed?flag=maybe", "flag", "true or false"),
        ("typed?name=Kyoto@", "name", "language tag"),
        ("typed?name=Kyoto@en-a", "name", "language tag"),  # not BCP 47 (found by schemathesis)
        ("typed?colour=green", "colour", "one of red, blue"),
        ("typed?place=id:pairing/alpha-gamma", "place", "mini#Place"),
        ("labels?language=fr", "language", "one of en, ja"),
        ("places-within?region=id:city/alpha", "region", "IRI"),  # not among the graph-drawn values
        ("echo?text=a&text=b", "text", "text"),  # one value only
        ("echo?text=a&colour=red", "colour", "text"),  # no such parameter: the known ones
        ("labels?limit=0", "limit", "whole number"),
        ("labels?limit=ten", "limit", "whole number"),
        ("labels?offset=-1", "offset", "whole number"),
    ],
)
def test_bad_values_answer_400_naming_parameter_and_type(api, query, expected_parameter, expected_words):
    body = get_json(
        api, f"/api/queries/{query.replace('?', '/results?', 1) if '?' in query else query + '/results'}", status=400
    )
    assert body["error"] == "invalid-parameter" and body["status"] == 400
    assert body["details"]["parameter"] == expected_parameter and f"'{expected_parameter}'" in body["message"]
    assert expected_words in body["details"]["expected"] and body["details"]["expected"] in body["hint"]


# --- injection --------------------------------------------------------------------------

PAYLOADS = [
    'Alpha" || true || "',
    "Alpha') } UNION { ?thing ?p ?text } #",
    '"} UNION { ?s ?p ?o }',
    "} UNION { ?s ?p ?o }",
    '""" . } INSERT DATA { <urn:x> <urn:y> <urn:z> } #',
    '\\"; DROP ALL ; SELECT * WHERE { \\"',
    "<https://w3id.org/coopgraph/id/city/alpha>",
    "Alpha\n} ; CLEAR DEFAULT ; #",
    "?thing",
    "'''",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_injected_text_stays_one_value_and_changes_nothing(api, query_build, payload):
    store = query_build[0]
    before = store_fingerprint(store)
    echo = get_json(api, "/api/queries/echo/results", query_string={"text": payload})
    assert echo["rows"] == [{"text": {"type": "literal", "value": payload}, "thing": None}]
    search = get_json(api, "/api/queries/label-search/results", query_string={"text": payload})
    # what the store itself says about that exact text, asked without the API
    matching = store.select(
        "SELECT DISTINCT ?thing WHERE { ?thing <http://www.w3.org/2000/01/rdf-schema#label> ?l "
        "FILTER(CONTAINS(STR(?l), ?text)) }",
        bindings={"text": ox.Literal(payload)},
    )
    assert len(search["rows"]) == len(matching) == 0
    assert store_fingerprint(store) == before


@pytest.mark.parametrize(
    "payload",
    [
        "https://example.org/a>b",
        "https://example.org/a> } UNION { ?s ?p ?o } <urn:x",
        "<https://w3id.org/coopgraph/id/city/alpha>",
        'https://example.org/"quoted"',
        "https://example.org/a b",
        "https://example.org/{x}",
        "javascript:alert(1)>",
    ],
)
def test_injected_iris_are_refused_and_change_nothing(api, query_build, payload):
    before = store_fingerprint(query_build[0])
    body = get_json(api, "/api/queries/is-city/results", status=400, query_string={"place": payload})
    assert body["details"]["parameter"] == "place"
    assert store_fingerprint(query_build[0]) == before


def test_a_benign_search_still_finds_things(api):
    """The control for the injection tests: the same query finds labels when the text is in them."""
    body = get_json(api, "/api/queries/label-search/results?text=Alpha")
    assert {row["thing"]["value"] for row in body["rows"]} == {ID + "city/alpha", ID + "pairing/alpha-gamma"}


# --- every stored query runs with its example values -----------------------------------------


def examples_url(query) -> tuple[str, dict]:
    return f"/api/queries/{query.name}/results", query.example_values()


def check_runs_with_examples(client, query):
    for parameter in query.parameters:
        assert parameter.example is not None or parameter.default is not None or not parameter.required, (
            f"{query.path}: required parameter '{parameter.name}' needs an example"
        )
    url, values = examples_url(query)
    response = client.get(url, query_string=values)
    assert response.status_code == 200, f"{query.name}: {response.get_data(as_text=True)}"
    if query.form.upper() == "SELECT":
        body = response.get_json()
        assert body["rows"], f"{query.name} gives no rows with its example values"


@pytest.mark.parametrize("name", sorted(GOOD))
def test_every_test_query_runs_with_its_examples(query_app, query_project, name):
    queries, _ = load_stored_queries(query_project / "queries")
    check_runs_with_examples(query_app.test_client(), queries[name])


CURATED_QUERIES = sorted(p.stem for p in (ROOT / "queries").glob("*.rq"))


@pytest.mark.skipif(
    not (ROOT / "ontology").is_dir() or not CURATED_QUERIES,
    reason="the curated ontology and stored queries are not in this checkout yet",
)
@pytest.mark.parametrize("name", CURATED_QUERIES or ["none"])
def test_every_curated_query_loads_and_runs_with_its_examples(app, name):
    from coopgraph.web.services import Services

    services: Services = app.extensions["coopgraph"]
    queries = services.queries
    assert not services.query_errors, [str(e) for e in services.query_errors]
    check_runs_with_examples(app.test_client(), queries[name])


# --- the command line: same validation, same formats ------------------------------------


def cli_run(project: Path, *args):
    result = CliRunner().invoke(cli, ["--root", str(project), "query", *args], catch_exceptions=False)
    return result.exit_code, result.stdout_bytes, result.stderr


@pytest.mark.parametrize(
    "name, params, fmt",
    [
        ("labels", {"language": "ja"}, "csv"),
        ("labels", {"language": "ja"}, "tsv"),
        ("labels", {}, "sparql-json"),
        ("labels", {}, "sparql-xml"),
        ("pairing-graph", {"pairing": ID + "pairing/alpha-gamma"}, "turtle"),
        ("pairing-graph", {"pairing": ID + "pairing/alpha-gamma"}, "ntriples"),
        ("is-city", {"place": ID + "city/beta"}, "sparql-json"),
    ],
)
def test_cli_writes_the_same_bytes_as_the_api(api, query_project, name, params, fmt):
    args = [a for k, v in params.items() for a in ("--param", f"{k}={v}")]
    code, out, err = cli_run(query_project, "--name", name, *args, "--format", fmt)
    assert code == 0, err
    assert out == api.get(f"/api/queries/{name}/results", query_string={**params, "format": fmt}).data


def test_cli_json_is_the_api_shape_without_urls(api, query_project):
    code, out, _ = cli_run(query_project, "--name", "labels", "--format", "json", "--offset", "2")
    from_api = get_json(api, "/api/queries/labels/results?offset=2")
    from_cli = json.loads(out)
    assert code == 0 and "next" not in from_cli and "prev" not in from_cli
    assert from_cli == {k: v for k, v in from_api.items() if k not in ("next", "prev")}


@pytest.mark.parametrize(
    "name, params",
    [
        ("city-pairings", []),
        ("city-pairings", ["city=not an iri"]),
        ("city-pairings", ["city=id:region/north"]),
        ("typed", ["year=twenty"]),
        ("typed", ["count=1.5"]),
        ("typed", ["day=2017-02-30"]),
        ("typed", ["colour=green"]),
        ("echo", ["text=a", "text=b"]),
        ("echo", ["text=a", "nope=1"]),
    ],
)
def test_cli_refuses_what_the_api_refuses_with_the_same_message(api, query_project, name, params):
    code, _, err = cli_run(query_project, "--name", name, *[a for p in params for a in ("--param", p)])
    query_string = [tuple(p.split("=", 1)) for p in params]
    body = get_json(api, f"/api/queries/{name}/results", status=400, query_string=query_string)
    assert code == 2 and f"error: {body['message']}" in err and body["hint"] in err


def test_cli_refuses_a_format_that_does_not_fit(query_project):
    code, _, err = cli_run(query_project, "--name", "labels", "--format", "turtle")
    assert code == 2 and "parameter 'format'" in err


# --- broken stored queries: reported by the build, left out, the app still serves ------------


def test_build_reports_each_broken_query_with_its_reason(query_project):
    result = CliRunner().invoke(cli, ["--root", str(query_project), "build"], catch_exceptions=False)
    assert result.exit_code == 0
    assert f"Stored queries: {len(GOOD)} ready, {len(BROKEN)} left out" in result.stdout
    reasons = {
        "broken-header": "not valid YAML",
        "broken-sparql": "does not parse",
        "broken-enum": "enum_query of parameter 'thing'",
        "reserved-name": "reserved name",
    }
    lines = [line for line in result.stderr.splitlines() if line.startswith("stored query left out:")]
    assert len(lines) == len(BROKEN)
    for name, reason in reasons.items():
        assert any(f"{name}.rq: " in line and reason in line for line in lines), (name, lines)


@pytest.fixture(scope="module")
def live_project_server(tmp_path_factory, query_project):
    """`coopgraph serve` over a built copy of the test project, plus a query that runs for ever."""
    root = tmp_path_factory.mktemp("live") / "project"
    shutil.copytree(query_project, root)
    (root / "queries" / "slow.rq").write_text(
        "#+ title: Deliberately slow\n#+ description: Joins every triple with every other, five times over.\n"
        "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?q ?r }\n"
    )
    store = root / "store"
    result = CliRunner().invoke(cli, ["--root", str(root), "build", "--store", str(store)], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    server = LiveServer(
        ["--root", str(root), "serve", "--store", str(store), "--workers", "1", "--threads", "4"],
        env={"COOPGRAPH_QUERY_TIMEOUT": "1.5"},
    )
    yield server
    server.stop()


def test_live_server_lists_the_good_queries_and_answers(live_project_server):
    url = live_project_server.url
    listed = requests.get(url + "/api/queries", timeout=10).json()
    assert {q["name"] for q in listed["queries"]} == GOOD | {"slow"}
    answer = requests.get(url + "/api/queries/city-pairings/results", params={"city": "id:city/alpha"}, timeout=10)
    assert answer.status_code == 200 and answer.json()["rows"][0]["partner"]["label"] == "Gamma"
    bad = requests.get(url + "/api/queries/city-pairings/results", params={"city": "id:region/north"}, timeout=10)
    assert bad.status_code == 400 and bad.json()["details"]["parameter"] == "city"
    page = requests.get(url + "/queries", timeout=10)
    assert page.status_code == 200 and "Places within a region" in page.text and "Broken" not in page.text


def test_live_server_stops_a_query_at_the_time_limit(live_project_server):
    url = live_project_server.url
    response = requests.get(url + "/api/queries/slow/results", timeout=30)
    body = response.json()
    assert response.status_code == 503 and body["error"] == "query-timeout" and "1.5 s" in body["message"]
    assert requests.get(url + "/api/queries/labels/results", timeout=10).status_code == 200  # the server goes on


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM, reason="needs Chromium (Debian package chromium) for the headless browser test")
def test_a_browser_renders_the_api_page_from_our_own_files(live_project_server, tmp_path):
    """Swagger UI, loaded from the package, fetches the OpenAPI document and lists every operation."""
    import subprocess

    page = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-extensions",
            "--no-first-run",
            f"--user-data-dir={tmp_path}",
            "--virtual-time-budget=15000",
            "--dump-dom",
            live_project_server.url + "/api",
        ],
        capture_output=True,
        text=True,
        timeout=90,
    )
    dom = page.stdout
    assert 'class="swagger-ui"' in dom, page.stderr[-2000:]
    rendered = set(re.findall(r'data-path="(/api/queries/[^"]+/results)"', dom))
    assert rendered == {f"/api/queries/{name}/results" for name in GOOD | {"slow"}}
    assert "coopgraph stored-query API" in dom


# --- the docs show the real shapes ------------------------------------------------------------


def readme_json_blocks() -> list[dict]:
    section = (ROOT / "docs" / "stored-queries.md").read_text(encoding="utf-8")
    return [json.loads(block) for block in re.findall(r"```json\n(.*?)```", section, re.S)]


def test_readme_shows_the_real_json_and_error_shapes(api):
    results, error = readme_json_blocks()
    assert get_json(api, "/api/queries/city-pairings/results?city=id:city/alpha") == results
    assert get_json(api, "/api/queries/typed/results?year=twenty", status=400) == error
