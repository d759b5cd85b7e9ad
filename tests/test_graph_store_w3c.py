"""The W3C SPARQL 1.1 Graph Store Protocol tests, run against `coopgraph serve --data ... --update` (issue 19).

The manifests (w3c/rdf-tests, sparql/sparql11/graph-store-protocol; see
tests/data/w3c-graph-store/ORIGIN.md) describe each test as HTTP requests and the
answers expected: statuses, Location (kept as ``$LOCATION$`` for the requests that
follow) and, for GETs, a graph the answer must be isomorphic to. Their ``/gsp`` is our
``/store``. Each test creates the graphs it reads, and some expect 201 Created for a graph
an earlier test created, so the runner empties the store (``DROP ALL``) before each one.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import rdflib
import rdflib.compare
import requests
from rdflib.namespace import RDF

from conftest import LiveServer

SUITE = Path(__file__).parent / "data" / "w3c-graph-store"
DATASET = Path(__file__).parent / "data" / "w3c-sparql-protocol" / "protocol-dataset.trig"
MF = rdflib.Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = rdflib.Namespace("http://www.w3.org/2011/http#")
CNT = rdflib.Namespace("http://www.w3.org/2011/content#")
HTS = "http://www.w3.org/2011/http-statusCodes#"
STATUS = {"OK": {200}, "Created": {201}, "NoContent": {204}, "NotFound": {404}}


def _status_codes(term) -> set[int]:
    name = str(term)[len(HTS) :]
    if name.startswith("StatusCode") and name.endswith("xx"):
        first = int(name[len("StatusCode")])
        return set(range(first * 100, first * 100 + 100))
    return STATUS[name]


def _headers(graph, node) -> dict[str, str]:
    found = {}
    header_list = graph.value(node, HT.headers)
    if header_list is not None:
        for header in rdflib.collection.Collection(graph, header_list):
            found[str(graph.value(header, HT.fieldName)).lower()] = str(graph.value(header, HT.fieldValue))
    return found


def load_tests() -> list[tuple[str, list[dict]]]:
    tests = []
    for name in ("manifest-direct.ttl", "manifest-indirect.ttl"):
        graph = rdflib.Graph().parse(SUITE / name, format="turtle")
        manifest = next(graph.subjects(RDF.type, MF.Manifest))
        for entry in rdflib.collection.Collection(graph, graph.value(manifest, MF.entries)):
            action = graph.value(entry, MF.action)
            steps = []
            for req in rdflib.collection.Collection(graph, graph.value(action, HT.requests)):
                body = graph.value(req, HT.body)
                resp = graph.value(req, HT.resp)
                expected_body = graph.value(resp, HT.body)
                steps.append(
                    {
                        "method": str(graph.value(req, HT.methodName)),
                        "path": str(graph.value(req, HT.absolutePath)),
                        "headers": _headers(graph, req),
                        "data": None if body is None else str(graph.value(body, CNT.chars)).encode("utf-8"),
                        "status": set().union(*(_status_codes(s) for s in graph.objects(resp, MF.expectedStatus))),
                        "location": graph.value(resp, MF.expectedLocation),
                        "response_type": _headers(graph, resp).get("content-type"),
                        "graph": None if expected_body is None else str(graph.value(expected_body, CNT.chars)),
                    }
                )
            tests.append((str(entry).rsplit("#", 1)[1], steps))
    return tests


TESTS = load_tests()


@pytest.fixture(scope="module")
def scratch_server():
    server = LiveServer(["serve", "--data", str(DATASET), "--update", "--workers", "1", "--threads", "4"])
    yield server
    server.stop()


def test_the_manifests_are_read_whole():
    assert len(TESTS) == 13
    assert all(steps for _, steps in TESTS)


@pytest.mark.parametrize("name, steps", TESTS, ids=[name for name, _ in TESTS])
def test_graph_store_protocol(scratch_server, name, steps):
    reset = requests.post(scratch_server.url + "/sparql", data={"update": "DROP ALL"}, timeout=30)
    assert reset.status_code == 200, reset.text
    location = None
    for step in steps:
        path = "/store" + step["path"][len("/gsp") :]
        data = step["data"]
        if location is not None:
            path = path.replace("$LOCATION$", location)
            data = data.replace(b"$LOCATION$", location.encode()) if data else data
        response = requests.request(
            step["method"], scratch_server.url + path, headers=step["headers"], data=data, timeout=30
        )
        assert response.status_code in step["status"], (name, step["method"], path, response.status_code, response.text)
        if step["location"] is not None:
            location = response.headers["Location"]
        if step["response_type"] is not None and step["method"] != "HEAD":
            expected_type = step["response_type"].split(";")[0].strip()
            assert response.headers["Content-Type"].split(";")[0].strip() == expected_type
        if step["graph"] is not None and step["method"] == "GET":
            got = rdflib.Graph().parse(data=response.content, format="turtle")
            expected = rdflib.Graph().parse(data=step["graph"], format="turtle")
            assert rdflib.compare.isomorphic(got, expected), (name, response.text)
