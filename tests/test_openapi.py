"""The OpenAPI document generated from the query headers, the /api page, and a property-based run.

schemathesis generates requests from the document itself (valid and invalid values for
every parameter of every operation) against the in-process app; none may answer 5xx,
and every answer must match what the document promises (status, media type, schema).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from openapi_spec_validator import validate
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.generation import GenerationMode

from conftest import ROOT
from coopgraph.queries import load_stored_queries

ID = "https://w3id.org/coopgraph/id/"
STATIC = Path(__file__).resolve().parent.parent / "src" / "coopgraph" / "web" / "static"


@pytest.fixture(scope="module")
def document(query_app):
    response = query_app.test_client().get("/api/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    return response.get_json()


@pytest.fixture(scope="module")
def stored(query_project):
    return load_stored_queries(query_project / "queries")[0]


def results_operation(document, name):
    return document["paths"][f"/api/queries/{name}/results"]["get"]


def parameters_of(operation):
    return {p["name"]: p for p in operation["parameters"] if "name" in p}


def test_document_is_valid_openapi_3(document):
    validate(document)
    assert document["openapi"].startswith("3.")


def test_one_operation_per_stored_query(document, stored):
    result_paths = {path for path in document["paths"] if path.endswith("/results")}
    assert result_paths == {f"/api/queries/{name}/results" for name in stored}
    ids = [op["get"]["operationId"] for op in document["paths"].values()]
    assert len(ids) == len(set(ids))
    operation = results_operation(document, "city-pairings")
    assert operation["summary"] == "Pairings of a city" and operation["tags"] == ["cities", "pairings"]
    assert {"200", "400", "406", "503"} <= set(operation["responses"])


def test_parameters_are_typed_from_the_header(document):
    params = parameters_of(results_operation(document, "typed"))
    schemas = {name: p["schema"] for name, p in params.items()}
    assert schemas["year"] == {"type": "string", "pattern": "^[0-9]{4}$"}
    assert schemas["count"] == {"type": "integer", "default": 3}
    assert schemas["share"] == {"type": "number"}
    assert schemas["day"] == {"type": "string", "format": "date"}
    assert schemas["flag"] == {"type": "boolean", "default": True}
    assert schemas["name"]["type"] == "string" and "@" in schemas["name"]["pattern"]
    assert schemas["colour"] == {"type": "string", "enum": ["red", "blue"]}
    assert params["year"]["example"] == "2017" and params["share"]["example"] == 35.02
    assert params["day"]["example"] == "2017-03-01" and params["name"]["example"] == "Alpha@en"
    assert "件数" in params["count"]["description"] and "whole number" in params["count"]["description"]
    assert not any(p["required"] for p in params.values())
    assert set(schemas["format"]["enum"]) == {"json", "csv", "tsv", "sparql-json", "sparql-xml"}


def test_enumerations_from_the_graph_become_enums(document):
    city = parameters_of(results_operation(document, "city-pairings"))["city"]
    assert city["required"] and city["schema"]["format"] == "uri"
    assert city["schema"]["enum"] == [ID + "city/alpha", ID + "city/beta", ID + "city/gamma"]
    assert "Alpha" in city["description"]
    # Swagger UI's dropdown of examples shows names, not IRIs; the header's example comes first
    examples = list(city["examples"].values())
    assert examples[0] == {"summary": "Alpha", "value": ID + "city/alpha"}
    assert {e["value"]: e["summary"] for e in examples} == {
        ID + "city/alpha": "Alpha",
        ID + "city/beta": "Beta",
        ID + "city/gamma": "Gamma",
    }
    assert "example" not in city  # OpenAPI: example and examples exclude each other
    region = parameters_of(results_operation(document, "places-within"))["region"]
    assert set(region["schema"]["enum"]) == {ID + "region/north", ID + "region/continent", ID + "region/testville"}
    language = parameters_of(results_operation(document, "labels"))["language"]
    assert language["schema"] == {"type": "string", "enum": ["en", "ja"], "default": "en"}


def test_construct_and_ask_operations_promise_their_formats(document):
    graph = results_operation(document, "pairing-graph")["responses"]["200"]["content"]
    assert set(graph) == {"application/ld+json", "text/turtle", "application/n-triples", "application/rdf+xml"}
    ask = results_operation(document, "is-city")["responses"]["200"]["content"]
    assert ask["application/json"]["schema"] == {"$ref": "#/components/schemas/AskResult"}


def test_document_follows_the_graph(query_project, query_build):
    """Graph-drawn enums come from the store's current content, so a new city appears in the document."""
    import pyoxigraph as ox

    from conftest import make_settings
    from coopgraph.store.embedded import OxigraphStore
    from coopgraph.web import create_app

    original = query_build[0]
    copy = OxigraphStore(original.iris)
    copy.native.bulk_extend(original.native.quads_for_pattern(None, None, None, None))
    app = create_app(make_settings(query_project), store=copy)
    client = app.test_client()
    first = client.get("/api/openapi.json")
    assert client.get("/api/openapi.json", headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    graph = copy.iris.data_graph("extra")
    copy.replace_graphs(
        {
            graph: [
                ox.Quad(
                    ox.NamedNode(ID + "city/delta"),
                    ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                    ox.NamedNode("https://example.org/mini#City"),
                )
            ]
        }
    )
    copy.replace_graphs(
        {
            copy.iris.meta_graph: [
                ox.Quad(
                    ox.NamedNode(copy.iris.meta_graph),
                    ox.NamedNode("http://purl.org/dc/terms/hasVersion"),
                    ox.Literal("test-2"),
                    ox.NamedNode(copy.iris.meta_graph),
                )
            ]
        }
    )
    city = parameters_of(results_operation(client.get("/api/openapi.json").get_json(), "city-pairings"))["city"]
    assert ID + "city/delta" in city["schema"]["enum"]


# --- the rendered page --------------------------------------------------------------------


def test_api_page_uses_vendored_swagger_ui_and_no_cdn(query_app):
    client = query_app.test_client()
    page = client.get("/api")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert 'data-url="/api/openapi.json"' in html
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert not [a for a in assets if re.match(r"(https?:)?//", a)], "the page must load nothing from elsewhere"
    for asset in (
        "/static/vendor/swagger-ui/swagger-ui-bundle.js",
        "/static/vendor/swagger-ui/swagger-ui.css",
        "/static/api-docs.js",
    ):
        assert asset in assets
        response = client.get(asset)
        assert response.status_code == 200 and len(response.data) > 100
        response.close()
    assert "validatorUrl: null" in (STATIC / "api-docs.js").read_text()


def test_vendored_files_carry_their_licence_and_origin():
    folder = STATIC / "vendor" / "swagger-ui"
    assert "Apache License" in (folder / "LICENSE").read_text()
    readme = (folder / "README.md").read_text()
    assert "swagger-ui-dist" in readme and "https://www.npmjs.com/package/swagger-ui-dist" in readme
    listed = dict((name, digest) for digest, name in re.findall(r"^([0-9a-f]{64})  (\S+)$", readme, re.M))
    assert set(listed) == {"swagger-ui-bundle.js", "swagger-ui.css"}
    for name, digest in listed.items():  # the files are the released ones, unchanged
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest


# --- property-based: no 5xx, and every answer is what the document promises --------------------

#: Examples per operation and mode: enough to meet odd values of every type in the test project,
#: fewer on the curated graph, where some queries take seconds each (this bounds the run for CI).
EXAMPLES = {"test-project": 40, "curated": 6}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module", params=["test-project", "curated"])
def api_schema(request):
    """The document of the stored-query test project, then of the curated queries over the curated graph."""
    if request.param == "curated" and not (ROOT / "ontology").is_dir():
        pytest.skip("the curated ontology is not in this checkout")
    app = request.getfixturevalue("query_app" if request.param == "test-project" else "app")
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    return request.param, schema


def operations(schema):
    return [result.ok() for result in schema.get_all_operations()]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["valid", "invalid"])
def test_generated_requests_never_fail_on_our_side(api_schema, mode):
    project, api_schema = api_schema
    seen: dict[str, set[int]] = {}
    for operation in operations(api_schema):
        statuses = seen.setdefault(operation.label, set())

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=EXAMPLES[project], deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def run(case):
            response = case.call_and_validate(checks=CHECKS)
            statuses.add(response.status_code)

        try:
            run()
        except Unsatisfiable:
            # An operation without parameters has no invalid request to make.
            assert mode is GenerationMode.NEGATIVE and operation.label == "GET /api/queries"
    assert len(seen) == len(api_schema.raw_schema["paths"])
    assert all(
        statuses for label, statuses in seen.items() if label != "GET /api/queries" or mode is GenerationMode.POSITIVE
    )
    if mode is GenerationMode.POSITIVE:  # valid requests are answered (a 400 may only come from a class check)
        assert all(200 in statuses for label, statuses in seen.items() if label.endswith("/results"))
    else:
        assert all(
            400 in statuses for label, statuses in seen.items() if label.endswith("/results") and "{" not in label
        )
