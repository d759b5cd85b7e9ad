"""The SPARQL endpoint end to end: a real `coopgraph serve` process, real clients.

Every method x every result format, read back by SPARQLWrapper and by rdflib's
SPARQLStore, must equal the same query run in-process on the same graph.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.error
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
import requests
from rdflib.compare import isomorphic
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import CSV, JSON, JSONLD, POST, POSTDIRECTLY, RDFXML, TSV, TURTLE, XML, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

from conftest import MINI, ROOT, LiveServer, answers_by_worker

# Leaves out blank nodes (labels differ between stores) and the build's own metadata (time, version).
PATTERN = '?s ?p ?o FILTER(!isBlank(?s) && !isBlank(?o) && !STRSTARTS(STR(?s), "https://w3id.org/coopgraph/graph/"))'
SELECT = f"SELECT ?s ?p ?o WHERE {{ {PATTERN} }} ORDER BY ?s ?p ?o LIMIT 300"
CONSTRUCT = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ {PATTERN} }} ORDER BY ?s ?p ?o LIMIT 300"
ASK_TRUE = "ASK { ?s ?p ?o }"
ASK_FALSE = "ASK { <https://example.org/nothing> ?p ?o }"
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o }"
METHODS = {"GET": (None, "GET"), "POST form": (POST, "POST_FORM"), "POST direct": (POSTDIRECTLY, "POST")}


@pytest.fixture(scope="module")
def reference(built_store):
    """The same graph as the server's (the curated graph), in this process."""
    return built_store


@pytest.fixture(scope="module")
def server(live_server):
    return live_server


@pytest.fixture(scope="module")
def expected_rows(reference):
    result = reference.query(SELECT)
    assert len(result.rows) > 10  # a meaningful comparison
    return [tuple(row) for row in result.rows]


@pytest.fixture(scope="module")
def expected_graph(reference):
    return to_rdflib_graph(reference.query(CONSTRUCT).triples)


def to_rdflib_graph(triples) -> rdflib.Graph:
    graph = rdflib.Graph()
    if triples:
        graph.parse(data=ox.serialize(list(triples), format=ox.RdfFormat.N_TRIPLES), format="nt")
    return graph


def rdflib_term(term):
    """An in-process pyoxigraph term as rdflib would read it."""
    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if term.language:
        return rdflib.Literal(term.value, lang=term.language)
    if term.datatype.value == "http://www.w3.org/2001/XMLSchema#string":
        return rdflib.Literal(term.value)
    return rdflib.Literal(term.value, datatype=rdflib.URIRef(term.datatype.value))


def wrapper(server, method, fmt, query) -> SPARQLWrapper:
    client = SPARQLWrapper(server.url + "/sparql")
    if method is not None:
        client.setMethod(POST)
        if method == POSTDIRECTLY:
            client.setRequestMethod(POSTDIRECTLY)
    client.setReturnFormat(fmt)
    client.setQuery(query)
    return client


def json_rows(body: dict, variables) -> list[tuple]:
    def term(binding):
        if binding["type"] == "uri":
            return rdflib.URIRef(binding["value"])
        if "xml:lang" in binding:
            return rdflib.Literal(binding["value"], lang=binding["xml:lang"])
        if "datatype" in binding:
            return rdflib.Literal(binding["value"], datatype=rdflib.URIRef(binding["datatype"]))
        return rdflib.Literal(binding["value"])

    assert body["head"]["vars"] == list(variables)
    return [tuple(term(b[v]) for v in variables) for b in body["results"]["bindings"]]


def xml_rows(document, variables) -> list[tuple]:
    rows = []
    for result in document.getElementsByTagName("result"):
        row = {}
        for binding in result.getElementsByTagName("binding"):
            node = next(n for n in binding.childNodes if n.nodeType == n.ELEMENT_NODE)
            text = "".join(t.data for t in node.childNodes)
            if node.tagName == "uri":
                row[binding.getAttribute("name")] = rdflib.URIRef(text)
            elif node.getAttribute("xml:lang"):
                row[binding.getAttribute("name")] = rdflib.Literal(text, lang=node.getAttribute("xml:lang"))
            elif node.getAttribute("datatype"):
                row[binding.getAttribute("name")] = rdflib.Literal(
                    text, datatype=rdflib.URIRef(node.getAttribute("datatype"))
                )
            else:
                row[binding.getAttribute("name")] = rdflib.Literal(text)
        rows.append(tuple(row[v] for v in variables))
    return rows


@pytest.mark.parametrize("method", list(METHODS))
@pytest.mark.parametrize("fmt", [JSON, XML, CSV, TSV])
def test_select_through_sparqlwrapper_equals_in_process(server, expected_rows, method, fmt):
    answer = wrapper(server, METHODS[method][0], fmt, SELECT).query()
    media_type = answer.response.headers["Content-Type"].split(";")[0]
    converted = answer.convert()
    variables = ("s", "p", "o")
    expected = [tuple(rdflib_term(t) for t in row) for row in expected_rows]
    if fmt == JSON:
        assert media_type == "application/sparql-results+json"
        assert json_rows(converted, variables) == expected
    elif fmt == XML:
        assert media_type == "application/sparql-results+xml"
        assert xml_rows(converted, variables) == expected
    elif fmt == CSV:
        assert media_type == "text/csv"
        rows = list(csv.reader(io.StringIO(converted.decode("utf-8"))))
        assert rows[0] == list(variables)
        assert [tuple(r) for r in rows[1:]] == [tuple(t.value for t in row) for row in expected_rows]
    else:
        assert media_type == "text/tab-separated-values"
        solutions = ox.parse_query_results(converted, format=ox.QueryResultsFormat.TSV)
        assert [tuple(s[v] for v in variables) for s in solutions] == expected_rows


@pytest.mark.parametrize("method", list(METHODS))
@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv"])
def test_select_through_rdflib_sparqlstore_equals_in_process(server, expected_rows, method, fmt):
    store = SPARQLStore(server.url + "/sparql", method=METHODS[method][1], returnFormat=fmt)
    rows = [tuple(row) for row in rdflib.Graph(store).query(SELECT)]
    if fmt == "csv":  # CSV carries plain values only
        assert [tuple(str(t) for t in row) for row in rows] == [tuple(t.value for t in r) for r in expected_rows]
    else:
        assert rows == [tuple(rdflib_term(t) for t in row) for row in expected_rows]


@pytest.mark.parametrize("method", list(METHODS))
@pytest.mark.parametrize("fmt", [JSON, XML])
def test_ask_through_sparqlwrapper(server, reference, method, fmt):
    for query in (ASK_TRUE, ASK_FALSE):
        converted = wrapper(server, METHODS[method][0], fmt, query).query().convert()
        value = (
            converted["boolean"]
            if fmt == JSON
            else converted.getElementsByTagName("boolean")[0].firstChild.data == "true"
        )
        assert value is reference.query(query).value


@pytest.mark.parametrize("method", list(METHODS))
def test_ask_through_rdflib_sparqlstore(server, reference, method):
    store = SPARQLStore(server.url + "/sparql", method=METHODS[method][1], returnFormat="json")
    for query in (ASK_TRUE, ASK_FALSE):
        assert rdflib.Graph(store).query(query).askAnswer is reference.query(query).value


@pytest.mark.parametrize("method", list(METHODS))
@pytest.mark.parametrize("fmt, parse_as", [(TURTLE, "turtle"), (RDFXML, "xml"), (JSONLD, "json-ld")])
def test_construct_through_sparqlwrapper_equals_in_process(server, expected_graph, method, fmt, parse_as):
    answer = wrapper(server, METHODS[method][0], fmt, CONSTRUCT).query()
    body = answer.response.read()
    graph = rdflib.Graph().parse(data=body, format=parse_as)
    assert isomorphic(graph, expected_graph)


@pytest.mark.parametrize("method", list(METHODS))
def test_construct_through_rdflib_sparqlstore_equals_in_process(server, expected_graph, method):
    store = SPARQLStore(server.url + "/sparql", method=METHODS[method][1], returnFormat="xml")
    graph = rdflib.Graph(store).query(CONSTRUCT).graph
    assert isomorphic(graph, expected_graph)


@pytest.mark.parametrize(
    "accept, parse_as",
    [("application/n-triples", "nt"), ("application/n-quads", "nquads"), ("application/trig", "trig")],
)
def test_construct_in_line_and_quad_formats(server, expected_graph, accept, parse_as):
    response = requests.post(server.url + "/sparql", data={"query": CONSTRUCT}, headers={"Accept": accept}, timeout=30)
    assert response.headers["Content-Type"].split(";")[0] == accept
    dataset = rdflib.Dataset()
    dataset.parse(data=response.content, format=parse_as)
    graph = rdflib.Graph()
    for s, p, o, _ in dataset.quads((None, None, None, None)):
        graph.add((s, p, o))
    assert isomorphic(graph, expected_graph)


def test_malformed_query_is_a_400_with_its_position(server):
    client = wrapper(server, None, JSON, "SELECT ?s WHERE {\n  ?s ?p \n}")
    with pytest.raises(QueryBadFormed) as caught:
        client.query()
    caught.value.__context__.close()  # the HTTP error SPARQLWrapper read the answer from
    response = requests.get(server.url + "/sparql", params={"query": "SELECT ?s WHERE {\n  ?s ?p \n}"}, timeout=30)
    body = response.json()
    assert response.status_code == 400 and body["error"] == "query-syntax-error"
    assert body["details"]["line"] == 3 and "column" in body["details"]


@pytest.mark.parametrize(
    "request_kwargs",
    [
        {"params": {"query": "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"}},
        {"params": {"query": "SELECT * WHERE { SERVICE ?where { ?s ?p ?o } }"}},
        {"params": {"query": "LOAD <http://127.0.0.1:9/data.ttl>"}},
        {"params": {"update": "INSERT DATA { <urn:a> <urn:b> <urn:c> }"}},
        {"method": "POST", "data": "CLEAR ALL", "headers": {"Content-Type": "application/sparql-update"}},
        {"method": "POST", "data": {"update": "DROP ALL"}},
        {
            "method": "POST",
            "data": "<urn:a> <urn:b> <urn:c> .",
            "headers": {"Content-Type": "text/turtle"},
            "params": {"graph": "urn:g"},
        },
        {
            "method": "PUT",
            "data": "<urn:a> <urn:b> <urn:c> .",
            "headers": {"Content-Type": "text/turtle"},
            "params": {"default": ""},
        },
        {"method": "DELETE", "params": {"graph": "urn:g"}},
    ],
)
def test_service_load_update_and_graph_store_writes_are_refused(server, request_kwargs):
    kwargs = dict(request_kwargs)
    method = kwargs.pop("method", "GET")
    response = requests.request(method, server.url + "/sparql", timeout=30, **kwargs)
    assert response.status_code == 403, response.text
    assert response.json()["status"] == 403


def test_update_through_sparqlwrapper_is_refused(server):
    client = SPARQLWrapper(server.url + "/sparql")
    client.setMethod(POST)
    client.setQuery("INSERT DATA { <urn:a> <urn:b> <urn:c> }")
    with pytest.raises(urllib.error.HTTPError) as caught:
        client.query()
    caught.value.close()
    assert caught.value.code == 403


def test_the_service_description_parses_and_names_the_real_url(server, reference):
    url = server.url + "/sparql"
    sd = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
    for accept, parse_as in (
        ("text/turtle", "turtle"),
        ("application/ld+json", "json-ld"),
        ("application/rdf+xml", "xml"),
    ):
        response = requests.get(url, headers={"Accept": accept}, timeout=30)
        assert response.headers["Content-Type"].split(";")[0] == accept
        graph = rdflib.Graph().parse(data=response.content, format=parse_as)
        service = graph.value(predicate=rdflib.RDF.type, object=sd.Service)
        assert graph.value(service, sd.endpoint) == rdflib.URIRef(url)
        assert sd.SPARQL11Query in set(graph.objects(service, sd.supportedLanguage))
        formats = set(graph.objects(service, sd.resultFormat))
        assert rdflib.URIRef("http://www.w3.org/ns/formats/SPARQL_Results_JSON") in formats
        names = {str(n) for n in graph.objects(None, sd.name)}
        assert names == set(reference.graphs())


def test_repeated_requests_are_answered_304(server):
    url = server.url + "/sparql"
    first = requests.get(url, params={"query": ASK_TRUE}, timeout=30)
    assert first.status_code == 200 and first.headers["ETag"] and first.headers["Last-Modified"]
    again = requests.get(url, params={"query": ASK_TRUE}, headers={"If-None-Match": first.headers["ETag"]}, timeout=30)
    assert again.status_code == 304 and again.content == b""
    since = requests.get(
        url, params={"query": ASK_TRUE}, headers={"If-Modified-Since": first.headers["Last-Modified"]}, timeout=30
    )
    assert since.status_code == 304
    other = requests.get(url, params={"query": ASK_FALSE}, headers={"If-None-Match": first.headers["ETag"]}, timeout=30)
    assert other.status_code == 200


def test_query_answers_carry_server_timing_and_cors(server):
    response = requests.post(
        server.url + "/sparql", data={"query": SELECT}, headers={"Origin": "https://example.org"}, timeout=30
    )
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "total;dur=" in response.headers["Server-Timing"]
    preflight = requests.options(
        server.url + "/sparql",
        headers={
            "Origin": "https://example.org",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Content-Type",
        },
        timeout=30,
    )
    assert preflight.status_code == 200
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert "Content-Type" in preflight.headers["Access-Control-Allow-Headers"]


def test_a_browser_gets_yasgui_from_our_own_package(server):
    page = requests.get(
        server.url + "/sparql", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}, timeout=30
    )
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert "/static/yasgui/yasgui.min.js" in page.text and "https://" not in page.text.split("<main")[0]
    script = requests.get(server.url + "/static/yasgui/yasgui.min.js", timeout=30)
    assert script.status_code == 200 and len(script.content) > 100_000


@pytest.fixture(scope="module")
def short_limit_server(built_folder):
    server = LiveServer(
        ["serve", "--store", str(built_folder), "--workers", "1", "--threads", "4"],
        env={"COOPGRAPH_QUERY_TIMEOUT": "1.5"},
    )
    yield server
    server.stop()


def test_a_runaway_query_is_stopped_with_503_while_a_cheap_one_succeeds(short_limit_server):
    url = short_limit_server.url + "/sparql"
    outcome = {}

    def runaway():
        started = time.monotonic()
        outcome["response"] = requests.get(url, params={"query": RUNAWAY}, timeout=60)
        outcome["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=runaway)
    thread.start()
    time.sleep(0.3)
    cheap = requests.get(url, params={"query": ASK_TRUE}, timeout=30)
    cheap_done_while_running = thread.is_alive()
    thread.join()
    assert cheap.status_code == 200 and cheap.json()["boolean"] is True
    assert cheap_done_while_running
    response = outcome["response"]
    assert response.status_code == 503, response.text
    body = response.json()
    assert body["error"] == "query-timeout" and "1.5 s" in body["message"]
    assert outcome["seconds"] < 10
    # and the server goes on answering
    assert requests.get(url, params={"query": ASK_TRUE}, timeout=30).status_code == 200


def test_sparqlwrapper_sees_the_timeout_as_service_unavailable(short_limit_server):
    client = SPARQLWrapper(short_limit_server.url + "/sparql")
    client.setReturnFormat(JSON)
    client.setQuery(RUNAWAY)
    with pytest.raises(urllib.error.HTTPError) as caught:
        client.query()
    with caught.value:
        assert caught.value.code == 503
        assert json.loads(caught.value.read())["error"] == "query-timeout"
    assert requests.get(short_limit_server.url + "/health", timeout=30).json()["status"] == "ok"


def _worker_pids(server: LiveServer) -> set[int]:
    """The gunicorn workers of a live server (children of its master process)."""
    master = server.process.pid
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return {int(pid) for pid in children}


def _busy_seconds(pid: int) -> float:
    """CPU seconds a process has used (user + system), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _retire_a_worker(server: LiveServer) -> set[int]:
    """Ask a runaway query (answered 503) and wait up to 20 s for its worker to leave; return the pids gone."""
    before = _worker_pids(server)
    response = requests.get(server.url + "/sparql", params={"query": RUNAWAY}, timeout=60)
    assert response.status_code == 503
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and _worker_pids(server) & before == before:
        time.sleep(0.2)
    retired = before - _worker_pids(server)
    assert retired, "the worker that ran the runaway query is still alive"
    return retired


def test_the_process_running_a_runaway_query_is_replaced_so_the_work_stops(short_limit_server):
    retired = _retire_a_worker(short_limit_server)
    assert all(not Path(f"/proc/{pid}").exists() for pid in retired)
    # a fresh worker took over and nothing keeps burning CPU
    assert requests.get(short_limit_server.url + "/sparql", params={"query": ASK_TRUE}, timeout=60).status_code == 200
    # A fresh worker copies the graph into memory once it has started; a runaway evaluation
    # would burn a CPU without end. So: some one-second window soon shows every worker quiet.
    quiet = False
    for _ in range(10):
        workers = _worker_pids(short_limit_server)
        used = {pid: _busy_seconds(pid) for pid in workers}
        time.sleep(1.0)
        busy = {pid: _busy_seconds(pid) - used[pid] for pid in workers if Path(f"/proc/{pid}").exists()}
        if all(seconds < 0.5 for seconds in busy.values()):
            quiet = True
            break
    assert quiet, f"a worker keeps burning CPU after the runaway query was stopped: {busy}"


def test_a_server_of_files_outlives_a_retired_worker_and_removes_its_folder_when_it_stops(tmp_path):
    """`serve --data` keeps the files in a temporary store folder that every worker reads.

    A worker retired after a runaway query used to remove that folder on its way out, so
    its replacement found no store and gunicorn shut the whole server down.
    """
    server = LiveServer(
        ["serve", "--data", str(ROOT / "data" / "agreements.ttl"), "--workers", "1", "--threads", "4"],
        env={"COOPGRAPH_QUERY_TIMEOUT": "1.5", "TMPDIR": str(tmp_path)},
    )
    try:
        (folder,) = tmp_path.glob("coopgraph-serve-*")
        _retire_a_worker(server)
        answer = requests.get(server.url + "/sparql", params={"query": ASK_TRUE}, timeout=60)
        assert answer.status_code == 200 and answer.json()["boolean"] is True
        assert server.process.poll() is None and (folder / "store").is_dir()
    finally:
        server.stop()
    assert not folder.exists(), "the temporary store folder outlived the server"


def test_the_debug_server_removes_its_temporary_store_folder_when_stopped(tmp_path):
    """`serve --debug` on the in-memory default builds into a temporary folder too; SIGTERM ends it."""
    server = LiveServer(["--root", str(MINI), "serve", "--debug"], env={"TMPDIR": str(tmp_path)})
    try:
        (folder,) = tmp_path.glob("coopgraph-serve-*")
        assert requests.get(server.url + "/sparql", params={"query": ASK_TRUE}, timeout=60).json()["boolean"]
    finally:
        server.stop()
    assert server.process.returncode == 0
    assert not folder.exists(), "the temporary store folder outlived the debug server"


def test_repeated_queries_are_answered_from_the_answer_cache(live_server):
    url = live_server.url + "/sparql"
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o } # cache probe"
    first = requests.get(url, params={"query": query}, timeout=30)
    again = requests.get(url, params={"query": query}, timeout=30)
    assert first.headers["X-Coopgraph-Cache"] in ("miss", "hit")
    assert again.headers["X-Coopgraph-Cache"] == "hit" and again.content == first.content


def test_a_long_query_by_get_is_answered_and_a_too_long_one_is_414(server):
    """Clients send queries in the URL by default: up to 8 KB request lines are accepted."""
    padding = "# " + "x" * 70 + "\n"
    long_query = padding * 160 + ASK_TRUE  # over 12 KB in a URL: too long for a request line
    url = server.url + "/sparql"
    fits = ("PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n" * 60) + ASK_TRUE  # about 5 KB in a URL
    answer = requests.get(url, params={"query": fits}, timeout=30)
    assert len(answer.request.url) > 4096
    assert answer.status_code == 200, answer.text
    assert answer.json()["boolean"] is True
    refused = requests.get(url, params={"query": long_query}, timeout=30)
    assert len(refused.request.url) > 8190 and refused.status_code == 414
    posted = requests.post(url, data={"query": long_query}, timeout=30)
    assert posted.status_code == 200 and posted.json()["boolean"] is True


def _ask_marked(server: LiveServer, marker: str, count: int) -> None:
    """Send ``count`` cheap queries whose text carries ``marker`` (to find their log lines)."""
    for n in range(count):
        query = f"ASK {{}} # {marker} {n}"
        assert requests.get(server.url + "/sparql", params={"query": query}, timeout=30).status_code == 200


def _access_lines(log_path: str, marker: str) -> list[str]:
    with open(log_path, encoding="utf-8") as log:
        return [line for line in log if "coopgraph.access" in line and marker in line]


def test_a_live_server_logs_one_line_per_request(built_folder):
    """The access log is written in batches, a fraction of a second apart."""
    server = LiveServer(["serve", "--store", str(built_folder), "--workers", "2", "--threads", "4"])
    log_path = server.log.name
    marker = os.urandom(6).hex()
    try:
        _ask_marked(server, marker, 20)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and len(_access_lines(log_path, marker)) < 20:
            time.sleep(0.1)
        lines = _access_lines(log_path, marker)
        assert len(lines) == 20
        assert all(
            '"GET /sparql?query=ASK' in line and '" 200 ' in line and line.rstrip().endswith("ms") for line in lines
        )
    finally:
        server.stop()


def test_access_log_lines_still_waiting_are_written_when_the_server_stops(built_folder):
    server = LiveServer(
        ["serve", "--store", str(built_folder), "--workers", "2", "--threads", "4"],
        env={"COOPGRAPH_ACCESS_LOG_FLUSH_SECONDS": "600"},
    )
    log_path = server.log.name
    marker = os.urandom(6).hex()
    try:
        _ask_marked(server, marker, 10)
        time.sleep(0.5)
        assert _access_lines(log_path, marker) == []  # batched: none written yet
    finally:
        server.stop()
    assert len(_access_lines(log_path, marker)) == 10


def test_serving_other_files_loads_them_outside_the_server_so_workers_stop_cleanly(tmp_path):
    """RocksDB's threads do not survive a fork: the server process must not open a store itself."""
    data = tmp_path / "towns.ttl"
    data.write_text('<urn:x:town> <http://www.w3.org/2000/01/rdf-schema#label> "A town" .\n', encoding="utf-8")
    server = LiveServer(["serve", "--data", str(data), "--workers", "2", "--threads", "2"])
    log_path = server.log.name
    try:
        # every worker has booted (one still booting when stopped would be killed, not exit)
        answers = answers_by_worker(server.url, 2, 'ASK { ?s ?p "A town" }')
        assert len(answers) == 2 and all(all(a) for a in answers.values()), answers
    finally:
        server.stop()
    with open(log_path, encoding="utf-8") as log:
        text = log.read()
    assert text.count("Worker exiting") == 2, text
    # Stopping the process group sends SIGTERM to the workers twice (directly, then from
    # gunicorn's arbiter); a worker already on its way out may end by the second, which
    # gunicorn logs as "was sent SIGTERM!" and calls expected. Any other signal is a crash.
    assert "SIGSEGV" not in text and set(re.findall(r"was sent (\w+)", text)) <= {"SIGTERM"}, text


def test_serving_a_broken_file_says_where_it_breaks(tmp_path):
    broken = tmp_path / "broken.ttl"
    broken.write_text('<urn:x:a> <urn:x:b> "unterminated .\n', encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "coopgraph.cli", "serve", "--data", str(broken), "--port", "1"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 2
    assert "broken.ttl, line 1" in run.stderr and "column" in run.stderr
