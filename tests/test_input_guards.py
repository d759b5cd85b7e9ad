"""Issue 14 (part A): no input of any nesting ends a worker; errors quote excerpts; XML stays well-formed.

Nested SPARQL and RDF are refused before any parser recurses into them (400 naming the
limit); uploads are parsed in the killable validation process, under its time and
memory limits; error bodies quote a short excerpt of what was sent; XML answers never
hold characters XML 1.0 forbids. The end-to-end tests throw the attacks of the issue,
and generated ones, at a real `coopgraph serve`, and check that the worker lives on.
"""

from __future__ import annotations

import json
import os
import random
import xml.etree.ElementTree as ElementTree

import pyoxigraph as ox
import pytest
import rdflib
import requests
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from conftest import MINI, ROOT, LiveServer, make_settings
from coopgraph import guards
from coopgraph.contributions.checking import ContributionValidator
from coopgraph.errors import InputTooDeep, PayloadTooLarge, QueryTimeout, QueryTooDeep, StoredQueryError, excerpt
from coopgraph.formats import RDF_FORMATS, parse_rdf, xml_safe
from coopgraph.queries import load_stored_queries
from coopgraph.store.embedded import OxigraphStore
from coopgraph.store.pool import KillableRunner

LIMIT = guards.DEFAULT_MAX_QUERY_DEPTH

# --- the attacks of the issue -------------------------------------------------------------

NESTED_GROUPS = "SELECT * WHERE {" + "{" * 2500 + "?s ?p ?o" + "}" * 2500 + "}"
NESTED_PARENTHESES = "SELECT * WHERE { ?s ?p ?o FILTER(" + "(" * 5000 + "true" + ")" * 5000 + ") }"
NEGATIONS = "SELECT * WHERE { ?s ?p ?o FILTER(" + "!" * 20000 + "true) }"
NESTED_OPTIONALS = "SELECT * WHERE { ?s ?p ?o " + "OPTIONAL { ?s ?p ?o " * 3000 + "}" * 3000 + "}"
QUERY_ATTACKS = {
    "groups": NESTED_GROUPS,
    "parentheses": NESTED_PARENTHESES,
    "negations": NEGATIONS,
    "optionals": NESTED_OPTIONALS,
}


def nested_jsonld(levels: int) -> bytes:
    """A JSON-LD document of ``levels`` node objects, each the value of the one around it."""
    return (
        '{"@id": "https://w3id.org/coopgraph/id/x/0", '
        + '"https://example.org/p": {' * levels
        + '"@id": "https://w3id.org/coopgraph/id/x/1"'
        + "}" * levels
        + "}"
    ).encode()


def nested_document(fmt: str, levels: int) -> bytes:
    """A document of the format nesting ``levels`` deep (blank nodes, collections, elements, objects)."""
    if fmt == "jsonld":
        return nested_jsonld(levels)
    if fmt == "rdfxml":
        return (
            '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:e="https://example.org/">'
            '<rdf:Description rdf:about="https://w3id.org/coopgraph/id/x/0">'
            + "<e:p><rdf:Description>" * levels
            + "</rdf:Description></e:p>" * levels
            + "</rdf:Description></rdf:RDF>"
        ).encode()
    if fmt in ("ntriples", "nquads"):  # RDF 1.2 triple terms nest
        inner = "<https://example.org/a> <https://example.org/p> <https://example.org/b>"
        for _ in range(levels):
            inner = f"<https://example.org/a> <https://example.org/p> <<( {inner} )>>"
        return (inner + " .\n").encode()
    body = (
        "<https://example.org/a> <https://example.org/p> "
        + "[ <https://example.org/q> " * levels
        + "1"
        + " ]" * levels
        + " ."
    )
    return (("<https://example.org/g> { " + body + " }") if fmt == "trig" else body).encode()


# --- unit: the SPARQL guard -----------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(QUERY_ATTACKS))
def test_each_nested_query_of_the_issue_is_refused_naming_the_limit(name):
    with pytest.raises(QueryTooDeep) as caught:
        guards.check_query(QUERY_ATTACKS[name])
    assert caught.value.http_status == 400
    assert f"more than {LIMIT} levels" in caught.value.message and "max_query_depth" in caught.value.message
    assert caught.value.details["limit"] == LIMIT


@pytest.mark.parametrize(
    "text",
    [
        "SELECT * WHERE { ?s ?p ?o FILTER(" + "- " * 150 + "1) }",  # unary minus, spaced
        "SELECT * WHERE { ?s ?p ?o FILTER(" + "!(" * 120 + "true" + ")" * 120 + ") }",
        "SELECT * WHERE { ?s ?p " + "[ ?q " * 150 + "1" + " ]" * 150 + " }",  # blank node property lists
        "SELECT * WHERE { ?s ?p " + "( " * 150 + "1" + " )" * 150 + " }",  # collections
        "SELECT * WHERE { " + "<< " * 150 + "?s ?p ?o" + " >>" * 150 + " ?q ?r }",  # quoted triples
        "SELECT * WHERE { ?s ?p ?o FILTER(" + "((" * 60 + "1" + "))" * 60,  # unbalanced: counted anyway
    ],
)
def test_every_nesting_construct_counts(text):
    with pytest.raises(QueryTooDeep):
        guards.check_query(text)


@pytest.mark.parametrize(
    "text",
    [
        'SELECT * WHERE { ?s ?p "' + "{" * 5000 + '" }',
        "SELECT * WHERE { ?s ?p '" + "(" * 5000 + "' }",
        'SELECT * WHERE { ?s ?p """' + "{\n" * 5000 + '""" }',
        "SELECT * WHERE { ?s ?p '''" + "[ '' ' \\''' " * 1000 + "''' }",
        "SELECT * WHERE { ?s ?p <https://example.org/" + "(" * 5000 + "> }",
        "SELECT * WHERE { ?s ?p ?o # " + "{" * 5000 + "\n}",
        "SELECT * WHERE { ?s ?p ?o FILTER(" + "?o != 1 && " * 3000 + "true) }",  # != is no negation
        "SELECT * WHERE { ?s ?p ?o FILTER(" + "1 - " * 3000 + "1) }",  # binary minus chains are flat
        "SELECT * WHERE { ?s ?p ?o FILTER(?o < 3 && ?o > 1) }" * 200,
    ],
)
def test_strings_iris_comments_and_binary_operators_do_not_count(text):
    guards.check_query(text)


def test_every_stored_query_and_check_passes_far_below_the_limit():
    texts = [path.read_text(encoding="utf-8") for path in sorted((ROOT / "queries").rglob("*.rq"))]
    assert len(texts) > 10
    assert max(guards.query_depth(text) for text in texts) < LIMIT // 4
    queries, errors = load_stored_queries(ROOT / "queries")
    assert not errors and len(queries) > 5


def test_a_stored_query_nested_too_deep_is_reported_and_left_out(tmp_path):
    (tmp_path / "deep.rq").write_text("#+ title: Deep\n" + NESTED_GROUPS, encoding="utf-8")
    (tmp_path / "deep-enum.rq").write_text(
        "#+ title: Deep enumeration\n#+ parameters:\n#+   x:\n#+     type: iri\n#+     enum_query: "
        "SELECT ?value WHERE {" + "{" * 300 + "?value ?p ?o" + "}" * 300 + "}\nSELECT * WHERE { ?x ?p ?o }\n",
        encoding="utf-8",
    )
    queries, errors = load_stored_queries(tmp_path)
    assert queries == {}
    assert sorted(e.path.rsplit("/", 1)[-1] for e in errors) == ["deep-enum.rq", "deep.rq"]
    assert all(isinstance(e, StoredQueryError) and "max_query_depth" in e.reason for e in errors)


def test_the_store_refuses_a_deep_query_before_pyoxigraph_sees_it(mini_store):
    with pytest.raises(QueryTooDeep):
        mini_store.query(NESTED_GROUPS)
    store = OxigraphStore(mini_store.iris)
    store.max_query_depth = 5
    with pytest.raises(QueryTooDeep, match="more than 5 levels"):
        store.query("SELECT * WHERE {{{{{{ ?s ?p ?o }}}}}}")
    with pytest.raises(QueryTooDeep):
        store.update("INSERT DATA {{{{{{ <a:b> <a:c> <a:d> }}}}}}")


def test_the_scan_of_a_hostile_megabyte_stays_linear():
    """Unterminated long strings and lone '<' would make a naive regex scan quadratic."""
    for text in ("'''x" * 250_000, "<a" * 500_000, '"' + "a" * 1_000_000, "!=" * 500_000):
        assert guards.query_depth(text) <= 1  # answered at all (a quadratic scan would not end)


# --- unit: the RDF guard ----------------------------------------------------------------------


@pytest.mark.parametrize("fmt", sorted(RDF_FORMATS))
def test_every_rdf_format_nested_past_the_limit_is_refused_before_parsing(fmt):
    with pytest.raises(InputTooDeep) as caught:
        parse_rdf(nested_document(fmt, 3000), RDF_FORMATS[fmt], base_iri="https://example.org/", source="upload")
    assert caught.value.http_status == 400
    assert "max_rdf_depth" in caught.value.message and "upload" in caught.value.message


@pytest.mark.parametrize("fmt", sorted(RDF_FORMATS))
def test_every_rdf_format_nested_within_the_limit_parses(fmt):
    quads = parse_rdf(nested_document(fmt, 10), RDF_FORMATS[fmt], base_iri="https://example.org/")
    assert quads


def test_json_brackets_inside_strings_do_not_count():
    assert guards.json_depth('{"a": "' + "{[" * 5000 + '", "b": [1, [2]], "c": "\\" {"}') == 3


def test_the_rdf_limit_is_a_setting(mini_store):
    document = nested_document("turtle", 30)
    validator = ContributionValidator(mini_store, max_rdf_depth=20)
    with pytest.raises(InputTooDeep, match="more than 20 levels"):
        validator.parse(document, RDF_FORMATS["turtle"])
    assert ContributionValidator(mini_store, max_rdf_depth=40).parse(document, RDF_FORMATS["turtle"]).quads


# --- unit: parsing in the killable process, under its limits -----------------------------------


def _allocate(cache: dict, size: int) -> int:
    return len(bytearray(size))


def _abort(cache: dict) -> None:
    os.abort()  # what Rust code does when an allocation fails


def test_memory_exhaustion_in_the_worker_is_a_413_and_the_worker_is_replaced():
    runner = KillableRunner(1, memory_bytes=1_500_000_000)
    try:
        with pytest.raises(PayloadTooLarge, match="validation_memory_bytes"):
            runner.call(_allocate, 3_000_000_000, timeout=60)
        assert runner.call(_allocate, 1000, timeout=60) == 1000  # the same worker goes on
        with pytest.raises(PayloadTooLarge):
            runner.call(_abort, timeout=60)
        assert runner.call(_allocate, 1000, timeout=60) == 1000  # a fresh worker
    finally:
        runner.close()


def test_parsing_an_upload_runs_in_the_worker_under_the_time_limit(mini_store):
    flat = "".join(
        f'<https://example.org/s{i}> <https://example.org/p> "{"v" * 50}{i}" .\n' for i in range(60_000)
    ).encode()
    validator = ContributionValidator(mini_store, isolated=True, workers=1)
    try:
        with pytest.raises(QueryTimeout, match="parsing ran past its time limit"):
            validator.parse(flat, RDF_FORMATS["ntriples"], timeout=0.01)
        small = b'<https://example.org/s> <https://example.org/p> "\\u0001" .'
        contribution = validator.parse(small, RDF_FORMATS["ntriples"], timeout=30)
        assert [q.object.value for q in contribution.quads] == ["\x01"]
        assert contribution.raw == small
    finally:
        validator.close()


# --- unit: excerpts and XML -----------------------------------------------------------------


def test_excerpt_keeps_a_short_window_with_ellipses():
    text = "a" * 1000 + "HERE" + "b" * 1000
    around = excerpt(text, 50, at=1000)
    assert "HERE" in around and around.startswith("…") and around.endswith("…") and len(around) <= 52
    assert excerpt("short") == "short"
    long = excerpt("start " + "x" * 10_000 + " end")
    assert long.startswith("start") and long.endswith("end") and "…" in long and len(long) <= 201


def test_xml_safe_replaces_every_character_xml_forbids():
    forbidden = "".join(chr(c) for c in [*range(0, 9), 11, 12, *range(14, 32), 0xFFFE, 0xFFFF])
    data = ("<a>" + forbidden + "\t\n\r ok é 日本 &#1; &#x1F; &#65535; &#x9; &#233;</a>").encode("utf-8")
    cleaned = xml_safe(data).decode("utf-8")
    ElementTree.fromstring(cleaned)  # well-formed now
    assert cleaned.count("\ufffd") == len(forbidden) + 3
    assert "\t\n\r ok é 日本" in cleaned and "&#x9;" in cleaned and "&#233;" in cleaned


# --- through the app: statuses, bodies, XML --------------------------------------------------------


@pytest.fixture(scope="module")
def control_store():
    """A tiny graph whose literal holds U+0001, U+000B and U+FFFE."""
    settings = make_settings(MINI)
    store = OxigraphStore(settings.iris)
    subject = ox.NamedNode(settings.iris.id_base + "thing/control")
    store.native.add(
        ox.Quad(
            subject,
            ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label"),
            ox.Literal("bell\x01tab\x0bnon\ufffechar"),
            ox.NamedNode(settings.iris.data_graph("x")),
        )
    )
    return store


@pytest.fixture(scope="module")
def control_client(control_store):
    from coopgraph.web import create_app

    app = create_app(make_settings(MINI, max_request_bytes=6_000_000, max_upload_bytes=6_000_000), store=control_store)
    app.config["TESTING"] = True
    return app.test_client()


def test_sparql_xml_results_with_a_control_character_are_well_formed(control_client):
    for query, fmt in (("SELECT ?l WHERE { ?s ?p ?l }", "xml"), ("ASK { ?s ?p ?o }", "xml")):
        for params in ({"query": query, "format": fmt}, {"query": query, "format": fmt, "limit": "5"}):
            response = control_client.get("/sparql", query_string=params)
            assert response.status_code == 200
            root = ElementTree.fromstring(response.data)
            if "SELECT" in query:
                literal = root.find(".//{http://www.w3.org/2005/sparql-results#}literal").text
                assert literal == "bell\ufffdtab\ufffdnon\ufffdchar"


def test_rdf_xml_answers_with_a_control_character_parse_with_rdflib(control_client, control_store):
    response = control_client.get(
        "/sparql", query_string={"query": "CONSTRUCT WHERE { ?s ?p ?o }"}, headers={"Accept": "application/rdf+xml"}
    )
    assert response.status_code == 200
    graph = rdflib.Graph().parse(data=response.data, format="xml")
    assert {str(o) for o in graph.objects()} == {"bell\ufffdtab\ufffdnon\ufffdchar"}
    dumped = control_store.dump(RDF_FORMATS["rdfxml"], graph=control_store.iris.data_graph("x"))
    assert len(rdflib.Graph().parse(data=dumped, format="xml")) == 1


def test_a_deep_query_to_the_endpoint_is_a_400_in_the_error_shape(control_client):
    response = control_client.post("/sparql", data=NESTED_GROUPS, headers={"Content-Type": "application/sparql-query"})
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] == "input-too-deep" and "max_query_depth" in body["message"]


def test_a_four_megabyte_bad_token_gets_a_small_error_body(control_client):
    token = "x" * 4_000_000
    turtle = f"<https://example.org/a> <https://example.org/b> {token} .".encode()
    response = control_client.post("/api/validate", data=turtle, headers={"Content-Type": "text/turtle"})
    assert response.status_code == 400
    assert response.get_json()["error"] == "rdf-syntax-error"
    assert len(response.data) < 3000
    query = f"SELECT * WHERE {{ ?s ?p {token} }}"
    response = control_client.post("/sparql", data=query, headers={"Content-Type": "application/sparql-query"})
    assert response.status_code == 400 and len(response.data) < 3000
    response = control_client.get("/api/queries/labels/results", query_string={"language": token})
    assert response.status_code == 400 and len(response.data) < 3000
    assert response.get_json()["error"] == "invalid-parameter"


# --- end to end: a live server ------------------------------------------------------------------

WORKER_DEATH = ("Worker was sent", "SIGSEGV", "exited", "Booting worker", "WORKER TIMEOUT")
NORMAL_QUERY = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


def log_text(server: LiveServer) -> str:
    server.log.flush()
    with open(server.log.name, encoding="utf-8", errors="replace") as fh:
        return fh.read()


def worker_deaths(server: LiveServer, booted: int) -> list[str]:
    """Lines of the log that tell of a worker dying or a new one starting (past the first ``booted``)."""
    lines = [line for line in log_text(server).splitlines() if any(word in line for word in WORKER_DEATH)]
    boots = [line for line in lines if "Booting worker" in line]
    return [line for line in lines if "Booting worker" not in line] + boots[booted:]


def normal_answer(server: LiveServer) -> requests.Response:
    response = requests.get(server.url + "/sparql", params={"query": NORMAL_QUERY}, timeout=30)
    assert response.status_code == 200, response.text
    assert int(response.json()["results"]["bindings"][0]["n"]["value"]) > 100
    return response


@pytest.fixture(scope="module", params=["recycle", "process"])
def guarded_server(request, built_folder):
    server = LiveServer(
        ["serve", "--store", str(built_folder), "--workers", "1", "--threads", "4"],
        env={
            "COOPGRAPH_QUERY_ISOLATION": request.param,
            "COOPGRAPH_QUERY_TIMEOUT": "10",
            "COOPGRAPH_VALIDATION_TIMEOUT": "20",
        },
    )
    booted = sum("Booting worker" in line for line in log_text(server).splitlines())
    server.booted = booted
    yield server
    server.stop()


def test_every_attack_of_the_issue_is_a_400_and_the_worker_lives_on(guarded_server):
    worker = normal_answer(guarded_server).headers["X-Coopgraph-Worker"]
    for name, query in QUERY_ATTACKS.items():
        for response in (
            requests.post(
                guarded_server.url + "/sparql",
                data=query.encode(),
                headers={"Content-Type": "application/sparql-query"},
                timeout=30,
            ),
            requests.post(guarded_server.url + "/sparql", data={"query": query}, timeout=30),
        ):
            assert response.status_code == 400, (name, response.status_code, response.text[:300])
            assert response.json()["error"] == "input-too-deep"
            assert response.headers["X-Coopgraph-Worker"] == worker
    for fmt in sorted(RDF_FORMATS):  # JSON-LD: 270 KB of 10,000 nested node objects, as in the issue
        response = requests.post(
            guarded_server.url + "/api/validate",
            data=nested_document(fmt, 10_000),
            headers={"Content-Type": RDF_FORMATS[fmt].media_type},
            timeout=60,
        )
        assert response.status_code == 400, (fmt, response.status_code, response.text[:300])
        assert response.json()["error"] == "input-too-deep" and "max_rdf_depth" in response.json()["message"]
        assert response.headers["X-Coopgraph-Worker"] == worker
    assert normal_answer(guarded_server).headers["X-Coopgraph-Worker"] == worker
    assert worker_deaths(guarded_server, guarded_server.booted) == []


def test_an_upload_whose_parse_overruns_the_time_limit_is_a_503_and_the_worker_lives_on(built_folder):
    server = LiveServer(
        ["serve", "--store", str(built_folder), "--workers", "1", "--threads", "2"],
        env={"COOPGRAPH_VALIDATION_TIMEOUT": "0.05"},
    )
    try:
        booted = sum("Booting worker" in line for line in log_text(server).splitlines())
        worker = normal_answer(server).headers["X-Coopgraph-Worker"]
        flat = "".join(
            f'<https://w3id.org/coopgraph/id/s{i}> <https://example.org/p> "{"v" * 40}{i}" .\n' for i in range(35_000)
        ).encode()
        response = requests.post(
            server.url + "/api/validate", data=flat, headers={"Content-Type": "application/n-triples"}, timeout=60
        )
        assert response.status_code == 503, response.text[:300]
        assert "parsing ran past its time limit" in response.json()["message"]
        assert normal_answer(server).headers["X-Coopgraph-Worker"] == worker
        assert worker_deaths(server, booted) == []
    finally:
        server.stop()


# --- end to end: generated hostile input --------------------------------------------------------

SPARQL_PIECES = [
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    "!",
    "-",
    "+",
    "^",
    "<<",
    ">>",
    "?s ?p ?o",
    "OPTIONAL {",
    "FILTER(",
    "UNION",
    "'''",
    '"',
    "<",
    ">",
    "#",
    "\n",
    ".",
    ";",
    ",",
    "1",
    "true",
    "NOT EXISTS {",
    "SELECT * WHERE {",
    "a",
    "<https://example.org/x>",
    "\\",
]
RDF_PIECES = [
    "[",
    "]",
    "(",
    ")",
    "{",
    "}",
    "<<",
    ">>",
    "<<(",
    ")>>",
    '"',
    "'''",
    "<https://example.org/x>",
    "_:b",
    ".",
    ";",
    ",",
    "1",
    "a",
    "@prefix",
    "#",
    "\n",
    "<e:p>",
    "</e:p>",
    "<rdf:Description>",
    '{"@id": "https://example.org/x",',
    '"https://example.org/p": [',
    ":",
    "\x00",
    "\x01",
]


@st.composite
def nested_texts(draw, pieces: list[str], openers: list[str], closers: list[str]) -> str:
    """Random nesting (up to 6,000 levels) of random openers around random pieces, maybe cut short."""
    rng = random.Random(draw(st.integers(0, 2**32 - 1)))
    depth = draw(st.sampled_from([0, 1, 5, 50, 99, 100, 101, 500, 2600, 6000]))
    opening = "".join(rng.choice(openers) for _ in range(depth))
    middle = "".join(rng.choice(pieces) + " " for _ in range(draw(st.integers(0, 30))))
    closing = "".join(rng.choice(closers) for _ in range(depth))
    text = opening + middle + closing
    if draw(st.booleans()):
        text = text[: draw(st.integers(0, len(text)))]
    return text


QUERIES = st.one_of(
    nested_texts(
        SPARQL_PIECES,
        ["{", "(", "[", "!", "-", "OPTIONAL {", "FILTER(", "<<", "NOT EXISTS {", "! ("],
        ["}", ")", "]", ">>"],
    ).map(lambda body: "SELECT * WHERE { " + body + " }"),
    nested_texts(SPARQL_PIECES, ["{", "(", "!"], ["}", ")"]),
    st.binary(max_size=2000).map(lambda raw: raw.decode("utf-8", "replace")),
)
DOCUMENTS = st.tuples(
    st.sampled_from(sorted(RDF_FORMATS)),
    st.one_of(
        nested_texts(
            RDF_PIECES,
            ["[ <https://example.org/p> ", "( ", "{ ", "<< ", '{"@id": "x", "p": [', "<e:p><rdf:Description>", "<<( "],
            ["]", ")", "}", ">>", "]}", "</e:p>"],
        ),
        st.sampled_from(sorted(RDF_FORMATS)).flatmap(
            lambda fmt: st.integers(0, 6000).map(lambda n: nested_document(fmt, n).decode())
        ),
        st.binary(max_size=2000).map(lambda raw: raw.decode("latin-1")),
    ),
)


@pytest.fixture(scope="module")
def fuzzed_server(built_folder):
    server = LiveServer(
        ["serve", "--store", str(built_folder), "--workers", "1", "--threads", "4"],
        env={"COOPGRAPH_QUERY_TIMEOUT": "10", "COOPGRAPH_VALIDATION_TIMEOUT": "20"},
    )
    server.booted = sum("Booting worker" in line for line in log_text(server).splitlines())
    server.worker = normal_answer(server).headers["X-Coopgraph-Worker"]
    yield server
    server.stop()


def acceptable(response: requests.Response) -> bool:
    """A client error, a success, or a 503 for a time limit: never another 5xx."""
    if response.status_code < 500:
        return True
    return response.status_code == 503 and response.json().get("error") == "query-timeout"


@hypothesis_settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(query=QUERIES, document=DOCUMENTS)
def test_generated_hostile_queries_and_documents_never_end_the_worker(fuzzed_server, query, document):
    fmt, text = document
    responses = [
        requests.post(
            fuzzed_server.url + "/sparql",
            data=query.encode("utf-8", "replace"),
            headers={"Content-Type": "application/sparql-query"},
            timeout=30,
        ),
        requests.post(
            fuzzed_server.url + "/api/validate",
            data=text.encode("utf-8", "replace"),
            headers={"Content-Type": RDF_FORMATS[fmt].media_type},
            timeout=60,
        ),
    ]
    if len(query) < 700:  # longer request lines are gunicorn's to refuse (414), before the app
        responses.append(requests.get(fuzzed_server.url + "/sparql", params={"query": query}, timeout=30))
    for response in responses:
        assert acceptable(response), (response.status_code, response.text[:300])
        if response.status_code >= 400:
            body = response.json()
            assert set(body) >= {"error", "status", "message"} and body["status"] == response.status_code
            assert len(response.content) < 5000
    if all(r.status_code != 503 for r in responses):  # a timeout may retire a worker on purpose
        assert {r.headers["X-Coopgraph-Worker"] for r in responses} == {fuzzed_server.worker}
        assert worker_deaths(fuzzed_server, fuzzed_server.booted) == []
    normal_answer(fuzzed_server)


def test_the_cli_refuses_a_deep_query_with_the_query_exit_code(tmp_path):
    from click.testing import CliRunner

    from coopgraph.cli import cli

    path = tmp_path / "deep.rq"
    path.write_text(NESTED_GROUPS, encoding="utf-8")
    result = CliRunner().invoke(cli, ["--root", str(MINI), "query", str(path)], catch_exceptions=False)
    assert result.exit_code == 1, result.output
    assert "max_query_depth" in result.output


def test_json_error_bodies_stay_small_whatever_the_message():
    error = QueryTooDeep("x" * 100_000, hint="y" * 100_000, details={"value": "z" * 100_000})
    assert len(json.dumps(error.to_dict())) < 2500
