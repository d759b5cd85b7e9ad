"""The W3C SPARQL 1.1 Protocol test suite, run against a real `coopgraph serve --data ... --update` process.

The manifest (w3c/rdf-tests, sparql/sparql11/protocol; see tests/data/w3c-sparql-protocol/
ORIGIN.md) describes each test as HTTP requests and the answers expected. The server
publishes protocol-dataset.trig, which puts data1-3 in the named graphs the manifest
expects. Every test must pass as written, the update tests included (issue 19). The
update tests run `CLEAR ALL`, so they get a server of their own, in manifest order, and
the query tests keep the data. Without --update the same endpoint refuses every update
with 403 and changes nothing.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import rdflib
import requests
from rdflib.namespace import RDF

from conftest import LiveServer

SUITE = Path(__file__).parent / "data" / "w3c-sparql-protocol"
MF = rdflib.Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = rdflib.Namespace("http://www.w3.org/2011/http#")
CNT = rdflib.Namespace("http://www.w3.org/2011/content#")
HTS = rdflib.Namespace("http://www.w3.org/2011/http-statusCodes#")
SRX = "{http://www.w3.org/2005/sparql-results#}"
RESULT_TYPES = {
    "application/sparql-results+json",
    "application/sparql-results+xml",
    "text/csv",
    "text/tab-separated-values",
}
RDF_TYPES = {
    "text/turtle": "turtle",
    "application/rdf+xml": "xml",
    "application/n-triples": "nt",
    "application/ld+json": "json-ld",
    "application/n-quads": "nquads",
    "application/trig": "trig",
}


def load_manifest(path: Path) -> list[tuple[str, list[dict]]]:
    """Return (test name, requests) for every entry of the manifest, in its order."""
    graph = rdflib.Graph().parse(path, format="turtle")
    manifest = next(graph.subjects(RDF.type, MF.Manifest))
    entries = rdflib.collection.Collection(graph, graph.value(manifest, MF.entries))
    tests = []
    for entry in entries:
        action = graph.value(entry, MF.action)
        steps = []
        for req in rdflib.collection.Collection(graph, graph.value(action, HT.requests)):
            headers = {}
            header_list = graph.value(req, HT.headers)
            if header_list is not None:
                for header in rdflib.collection.Collection(graph, header_list):
                    headers[str(graph.value(header, HT.fieldName))] = str(graph.value(header, HT.fieldValue))
            body = graph.value(req, HT.body)
            data = None
            if body is not None:
                encoding = str(graph.value(body, CNT.characterEncoding) or "UTF-8")
                data = str(graph.value(body, CNT.chars)).encode(encoding)
            resp = graph.value(req, HT.resp)
            expected_boolean = graph.value(resp, MF.expectedBoolean)
            steps.append(
                {
                    "method": str(graph.value(req, HT.methodName)),
                    "path": str(graph.value(req, HT.absolutePath)),
                    "headers": headers,
                    "data": data,
                    "status": {str(s).rsplit("StatusCode", 1)[1] for s in graph.objects(resp, MF.expectedStatus)},
                    "format": str(graph.value(resp, MF.expectedFormat) or "") or None,
                    "boolean": None if expected_boolean is None else expected_boolean.toPython(),
                }
            )
        tests.append((str(entry).rsplit("#", 1)[1], steps))
    return tests


TESTS = load_manifest(SUITE / "manifest.ttl")


def _scratch_server(*extra: str) -> LiveServer:
    return LiveServer(
        ["serve", "--data", str(SUITE / "protocol-dataset.trig"), "--workers", "1", "--threads", "4", *extra]
    )


@pytest.fixture(scope="module")
def protocol_server():
    server = _scratch_server("--update")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def update_server():
    server = _scratch_server("--update")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def read_only_server():
    server = _scratch_server()
    yield server
    server.stop()


def send(server, step: dict) -> requests.Response:
    # The manifest's paths start with /sparql/; the endpoint here is /sparql.
    path = "/sparql" + step["path"][len("/sparql/") :]
    return requests.request(step["method"], server.url + path, headers=step["headers"], data=step["data"], timeout=30)


def parse_boolean(response: requests.Response) -> bool:
    if response.headers["Content-Type"].startswith("application/sparql-results+json"):
        return json.loads(response.content)["boolean"]
    root = ET.fromstring(response.content)
    return root.find(f"{SRX}boolean").text == "true"


def check_format(response: requests.Response, expected: str) -> None:
    media_type = response.headers["Content-Type"].split(";")[0].strip()
    if expected == "boolean":
        assert media_type in ("application/sparql-results+json", "application/sparql-results+xml")
    elif expected == "tabular":
        assert media_type in RESULT_TYPES
        if media_type == "application/sparql-results+json":
            assert "bindings" in json.loads(response.content)["results"]
        elif media_type == "application/sparql-results+xml":
            assert ET.fromstring(response.content).find(f"{SRX}results") is not None
    elif expected == "RDF":
        assert media_type in RDF_TYPES
        rdflib.Graph().parse(data=response.content, format=RDF_TYPES[media_type])
    else:
        raise AssertionError(f"unknown expected format {expected}")


QUERY_TESTS = [(name, steps) for name, steps in TESTS if not name.startswith("update_")]
UPDATE_TESTS = [(name, steps) for name, steps in TESTS if name.startswith("update_")]


def test_the_manifest_is_read_whole():
    assert len(TESTS) == 34 and len(UPDATE_TESTS) == 7
    assert all(steps for _, steps in TESTS)


def run_steps(server, name: str, steps: list[dict]) -> None:
    for step in steps:
        response = send(server, step)
        assert str(response.status_code)[0] + "xx" in step["status"], (name, response.status_code, response.text)
        if response.status_code >= 400:
            assert response.headers["Content-Type"].startswith("application/json")
            continue
        if step["format"]:
            check_format(response, step["format"])
        if step["boolean"] is not None:
            assert parse_boolean(response) is step["boolean"], name


@pytest.mark.parametrize("name, steps", QUERY_TESTS, ids=[name for name, _ in QUERY_TESTS])
def test_query_and_error_tests_pass(protocol_server, name, steps):
    run_steps(protocol_server, name, steps)


@pytest.mark.parametrize("name, steps", UPDATE_TESTS, ids=[name for name, _ in UPDATE_TESTS])
def test_update_tests_pass(update_server, name, steps):
    run_steps(update_server, name, steps)


@pytest.mark.parametrize("name, steps", UPDATE_TESTS[:1] + UPDATE_TESTS[4:6], ids=["dataset", "form", "direct"])
def test_without_update_the_endpoint_refuses_updates_and_keeps_the_data(read_only_server, name, steps):
    response = send(read_only_server, steps[0])
    assert response.status_code == 403, response.text
    assert json.loads(response.content)["error"] == "forbidden"
    # and nothing changed: data1 is still in its graph
    check = requests.get(
        read_only_server.url + "/sparql",
        params={"query": "ASK { GRAPH <http://kasei.us/2009/09/sparql/data/data1.rdf> { ?s ?p ?o } }"},
        timeout=30,
    )
    assert check.json()["boolean"] is True


def test_service_description_tests(protocol_server):
    """The three tests of the Service Description manifest: RDF on GET, an sd:endpoint matching the URL."""
    graph = rdflib.Graph().parse(SUITE / "service-description-manifest.ttl", format="turtle")
    assert len(list(graph.subjects(RDF.type, MF.ServiceDescriptionTest))) == 3
    url = protocol_server.url + "/sparql"
    response = requests.get(url, headers={"Accept": "text/turtle"}, timeout=30)
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/turtle")
    description = rdflib.Graph().parse(data=response.content, format="turtle")
    sd = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
    services = list(description.subjects(RDF.type, sd.Service))
    assert len(services) == 1
    assert (services[0], sd.endpoint, rdflib.URIRef(url)) in description
    named = {str(o) for o in description.objects(None, sd.name)}
    assert {f"http://kasei.us/2009/09/sparql/data/data{i}.rdf" for i in range(4)} <= named
