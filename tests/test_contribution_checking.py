"""Validating contributed data: every format, every kind of violation, references, reports, safety.

Runs against the miniature project; the contribution validator must report exactly what
a full validation of the graph with the contribution added reports for its resources.
"""

from __future__ import annotations

import csv
import io
import json
import socket
import threading
import time

import pyoxigraph as ox
import pytest
import rdflib
from click.testing import CliRunner

from conftest import MINI, SAMPLES
from coopgraph.cli import cli
from coopgraph.contributions.checking import ContributionValidator, parse_contribution
from coopgraph.errors import ContributionRefused, QueryTimeout, RdfSyntaxError
from coopgraph.formats import RDF_FORMATS, parse_rdf
from coopgraph.knowledge.build import build, run_validation
from coopgraph.namespaces import Iris
from coopgraph.store.pool import KillableRunner
from coopgraph.web import create_app

IRIS = Iris()
ID = IRIS.id_base
EX = "https://example.org/mini#"
SH = "http://www.w3.org/ns/shacl#"
EXTENSIONS = {"turtle": "ttl", "jsonld": "jsonld", "ntriples": "nt", "rdfxml": "rdf", "trig": "trig", "nquads": "nq"}


def convert(sample: str, fmt: str) -> bytes:
    """A sample written in another RDF format (TriG and N-Quads put it in a named graph)."""
    quads = parse_rdf((SAMPLES / sample).read_bytes(), RDF_FORMATS["turtle"], base_iri=ID)
    if RDF_FORMATS[fmt].quads:
        graph = ox.NamedNode("https://example.org/some-graph")
        return ox.serialize(
            [ox.Quad(q.subject, q.predicate, q.object, graph) for q in quads], format=RDF_FORMATS[fmt].oxigraph
        )
    return ox.serialize([q.triple for q in quads], format=RDF_FORMATS[fmt].oxigraph)


# One syntax error per format, with where the parser must place it.
SYNTAX_ERRORS = {
    "turtle": (
        b"@prefix ex: <https://example.org/mini#> .\n<https://w3id.org/coopgraph/id/city/zeta> a ex:City ;\n"
        b'    ex:code "00001" .\n<https://w3id.org/coopgraph/id/city/eta> a ex:City ex:code "00002" .\n',
        4,
    ),
    "ntriples": (
        b"<https://w3id.org/coopgraph/id/city/zeta> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> "
        b'<https://example.org/mini#City> .\n<https://w3id.org/coopgraph/id/city/zeta> <code> "1" .\n',
        2,
    ),
    "jsonld": (
        b'{\n  "@id": "https://w3id.org/coopgraph/id/city/zeta",\n  "https://example.org/mini#code": ["1",\n}\n',
        4,
    ),
    "rdfxml": (
        b'<?xml version="1.0"?>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
        b'  <rdf:Description rdf:about="https://w3id.org/coopgraph/id/city/zeta">\n  </rdf:Descriptio>\n'
        b"</rdf:RDF>\n",
        4,
    ),
    "trig": (
        b"<https://example.org/g> {\n  <https://w3id.org/coopgraph/id/city/zeta> <https://example.org/mini#code> .\n"
        b"}\n",
        2,
    ),
}


@pytest.fixture(scope="module")
def validator(mini_store):
    v = ContributionValidator(mini_store)
    yield v
    v.close()


@pytest.fixture(scope="module")
def web(mini_settings, mini_store):
    app = create_app(mini_settings, store=mini_store)
    app.config["TESTING"] = True
    yield app.test_client()
    held = app.extensions.get("coopgraph.validator")
    if held is not None:
        held.close()


def validate_bytes(validator, data: bytes, fmt: str = "turtle"):
    return validator.validate(parse_contribution(data, RDF_FORMATS[fmt], IRIS), timeout=30)


def cli_validate(*args):
    result = CliRunner().invoke(cli, ["--root", str(MINI), "validate", *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


# --- every format ---------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", list(EXTENSIONS))
def test_good_and_non_conforming_files_in_every_format(fmt, tmp_path, web):
    good, bad = tmp_path / f"good.{EXTENSIONS[fmt]}", tmp_path / f"unknown.{EXTENSIONS[fmt]}"
    good.write_bytes(convert("mini-good.ttl", fmt))
    bad.write_bytes(convert("mini-unknown-city.ttl", fmt))
    code, out, err = cli_validate(str(good))
    assert code == 0, err
    assert "conforms" in out
    code, out, _ = cli_validate(str(bad))
    assert code == 1 and "city/atlantis" in out
    media_type = RDF_FORMATS[fmt].media_type
    answer = web.post("/api/validate", data=good.read_bytes(), content_type=media_type)
    assert answer.status_code == 200 and answer.get_json()["conforms"] is True
    answer = web.post(
        "/api/validate", data={"file": (io.BytesIO(bad.read_bytes()), bad.name)}, content_type="multipart/form-data"
    )
    assert answer.status_code == 200 and answer.get_json()["hasViolations"] is True


@pytest.mark.parametrize("fmt", list(SYNTAX_ERRORS))
def test_syntax_errors_say_line_and_column_never_a_traceback(fmt, tmp_path, web):
    data, line = SYNTAX_ERRORS[fmt]
    path = tmp_path / f"broken.{EXTENSIONS[fmt]}"
    path.write_bytes(data)
    code, out, err = cli_validate(str(path))
    assert code == 2
    assert f"line {line}, column " in err and "broken." in err
    assert "Traceback" not in out + err
    answer = web.post("/api/validate", data=data, content_type=RDF_FORMATS[fmt].media_type)
    body = answer.get_json()
    assert answer.status_code == 400 and body["error"] == "rdf-syntax-error"
    assert body["details"]["line"] == line and body["details"]["column"] >= 1
    assert set(body) <= {"error", "status", "message", "hint", "details"}


def test_format_option_overrides_the_extension(tmp_path):
    path = tmp_path / "pairing.txt"
    path.write_bytes(convert("mini-good.ttl", "ntriples"))
    assert cli_validate(str(path))[0] == 2  # no format from .txt
    code, out, _ = cli_validate(str(path), "--format", "ntriples")
    assert code == 0 and "conforms" in out


# --- violations and references ----------------------------------------------------------------


def test_each_kind_of_violation_produces_its_message(validator):
    report = validate_bytes(validator, (SAMPLES / "mini-broken.ttl").read_bytes())
    seen = {(r.component, r.message) for r in report.results}
    city_label = "Give the city one English label (and at most one per language)."
    code = "A municipality code is five digits, e.g. 07203."
    participants = "A pairing needs at least two participating cities that exist in the graph."
    year = "Give the start year once, as a year like 2017."
    expected = {
        ("MinCountConstraintComponent", city_label),
        ("LanguageInConstraintComponent", city_label),
        ("UniqueLangConstraintComponent", city_label),
        ("MaxCountConstraintComponent", code),
        ("DatatypeConstraintComponent", code),
        ("PatternConstraintComponent", code),
        ("ClassConstraintComponent", participants),
        ("NodeKindConstraintComponent", participants),
        ("MaxCountConstraintComponent", year),
        ("LessThanOrEqualsConstraintComponent", "The start date must not be after the end date."),
        ("SPARQLConstraintComponent", "A pairing needs an EU participant."),
        ("MinCountConstraintComponent", "Add the Japanese name (kanji) as a label with @ja."),
    }
    assert expected <= seen, expected - seen
    warning = [r for r in report.results if r.severity == "Warning"]
    assert [r.focus.value for r in warning] == [ID + "city/epsilon"]


def test_existing_references_conform_unknown_ones_are_reported(validator):
    assert validate_bytes(validator, (SAMPLES / "mini-good.ttl").read_bytes()).conforms
    report = validate_bytes(validator, (SAMPLES / "mini-unknown-city.ttl").read_bytes())
    assert [(r.focus.value, r.component, r.value.value) for r in report.violations] == [
        (ID + "pairing/alpha-atlantis", "ClassConstraintComponent", ID + "city/atlantis")
    ]
    assert report.violations[0].focus_label == "Alpha–Atlantis"


def test_a_reference_to_something_of_another_class_is_reported(validator):
    data = (SAMPLES / "mini-good.ttl").read_bytes().replace(b"city/alpha", b"region/north")
    report = validate_bytes(validator, data)
    assert [(r.component, r.value.value) for r in report.violations] == [
        ("ClassConstraintComponent", ID + "region/north")
    ]


# Facts added to resources the graph already has: the shapes count what is there too.
EXTENDING = {
    "second English label for Gamma": (
        f'<{ID}city/gamma> <http://www.w3.org/2000/01/rdf-schema#label> "Gamma again"@en .',
        {("UniqueLangConstraintComponent", ID + "city/gamma")},
    ),
    "second code for Alpha": (
        f'<{ID}city/alpha> <{EX}code> "99999" .',
        {("MaxCountConstraintComponent", ID + "city/alpha")},
    ),
    "end before the existing start": (
        f'<{ID}pairing/alpha-gamma> <{EX}end> "2010-01-01"^^<http://www.w3.org/2001/XMLSchema#date> .',
        {("LessThanOrEqualsConstraintComponent", ID + "pairing/alpha-gamma")},
    ),
    "Japanese label for Gamma": (f'<{ID}city/gamma> <http://www.w3.org/2000/01/rdf-schema#label> "ガンマ"@ja .', set()),
}


@pytest.mark.parametrize("name", list(EXTENDING))
def test_facts_added_to_existing_resources_are_judged_with_what_the_graph_holds(validator, name):
    data, expected = EXTENDING[name]
    report = validate_bytes(validator, data.encode("utf-8"))
    assert {(r.component, r.focus.value) for r in report.violations} == expected


@pytest.mark.parametrize("sample", ["mini-good.ttl", "mini-unknown-city.ttl", "mini-broken.ttl", *EXTENDING])
def test_scoped_validation_equals_validating_the_whole_graph(validator, mini_settings, sample):
    """What the validator reports equals what the build would report for the contribution's resources."""
    data = (SAMPLES / sample).read_bytes() if sample.endswith(".ttl") else EXTENDING[sample][0].encode("utf-8")
    contribution = parse_contribution(data, RDF_FORMATS["turtle"], IRIS)
    scoped = validator.validate(contribution)
    whole, _ = build(mini_settings)
    whole.replace_graphs({IRIS.contribution_graph("20260101-000000-00000000"): contribution.quads})
    subjects = contribution.subjects()
    full = [r for r in run_validation(whole).results if r.focus.value in subjects]
    assert sorted(r.key() for r in scoped.results) == sorted(r.key() for r in full)


def test_resources_typed_only_by_inference_do_not_count(validator):
    """Beta is a Town, a City only through OWL equivalence: the shapes read asserted types, as the build does."""
    data = (SAMPLES / "mini-good.ttl").read_bytes().replace(b"city/alpha", b"city/beta")
    report = validate_bytes(validator, data)
    assert [r.value.value for r in report.violations] == [ID + "city/beta"]


def test_statements_about_the_schema_or_the_records_are_refused(validator):
    for data, reason in [
        (f'<{EX}City> <http://www.w3.org/2000/01/rdf-schema#label> "Town"@en .', "part of the ontology"),
        (f"<{ID}city/zeta> <http://www.w3.org/2000/01/rdf-schema#subClassOf> <{EX}City> .", "defines schema"),
        (
            f'<{IRIS.contribution_graph("20260101-000000-00000000")}> <http://purl.org/dc/terms/description> "x" .',
            "site's records",
        ),
        (f'<{ID}contributor/ada-123456> <http://www.w3.org/2000/01/rdf-schema#label> "Mallory" .', "site's records"),
    ]:
        with pytest.raises(ContributionRefused, match=reason):
            validate_bytes(validator, data.encode("utf-8"))


# --- reports ---------------------------------------------------------------------------------


def test_report_as_json_turtle_and_csv_by_accept_or_format(web):
    data = (SAMPLES / "mini-broken.ttl").read_bytes()
    body = web.post("/api/validate", data=data, content_type="text/turtle").get_json()
    assert set(body) == {"conforms", "hasViolations", "counts", "engine", "focusNodes"}
    assert body["counts"]["Violation"] == sum(
        1 for g in body["focusNodes"] for r in g["results"] if r["severity"] == "Violation"
    )
    first = body["focusNodes"][0]
    assert set(first) == {"focusNode", "label", "results"}
    assert set(first["results"][0]) == {
        "severity",
        "focusNode",
        "focusLabel",
        "path",
        "value",
        "message",
        "sourceShape",
        "constraintComponent",
    }
    turtle = web.post("/api/validate", data=data, content_type="text/turtle", headers={"Accept": "text/turtle"})
    graph = rdflib.Graph().parse(data=turtle.data, format="turtle")
    reports = list(graph.subjects(rdflib.RDF.type, rdflib.URIRef(SH + "ValidationReport")))
    assert turtle.mimetype == "text/turtle" and len(reports) == 1
    assert graph.value(reports[0], rdflib.URIRef(SH + "conforms")).toPython() is False
    assert len(list(graph.objects(reports[0], rdflib.URIRef(SH + "result")))) == sum(body["counts"].values())
    table = web.post(
        "/api/validate?format=csv", data=data, content_type="text/turtle", headers={"Accept": "application/json"}
    )
    rows = list(csv.DictReader(io.StringIO(table.data.decode("utf-8"))))
    assert table.mimetype == "text/csv" and len(rows) == sum(body["counts"].values())
    assert {r["focus_label"] for r in rows} >= {"Bad", "Delta bis"}
    refused = web.post("/api/validate", data=data, content_type="text/turtle", headers={"Accept": "image/png"})
    assert refused.status_code == 406


def test_unknown_body_type_is_415_and_explicit_input_format_wins(web):
    data = convert("mini-good.ttl", "ntriples")
    assert web.post("/api/validate", data=data, content_type="text/plain").status_code == 415
    answer = web.post("/api/validate?input_format=ntriples", data=data, content_type="text/plain")
    assert answer.status_code == 200 and answer.get_json()["conforms"]


def test_the_form_shows_the_report_grouped_by_resource_with_labels(web):
    page = web.get("/validate")
    assert page.status_code == 200 and b'name="data"' in page.data and b'type="file"' in page.data
    assert 'rel="alternate"' in page.headers["Link"]
    answer = web.post(
        "/validate",
        data={"data": (SAMPLES / "mini-unknown-city.ttl").read_text(), "input_format": "auto", "format": "html"},
    )
    text = answer.data.decode("utf-8")
    assert answer.status_code == 200 and "does not conform" in text
    assert "Alpha–Atlantis" in text and "id:city/atlantis" in text
    assert "A pairing needs at least two participating cities that exist in the graph." in text
    upload = web.post(
        "/validate",
        data={
            "file": (io.BytesIO((SAMPLES / "mini-good.ttl").read_bytes()), "good.ttl"),
            "input_format": "auto",
            "format": "html",
        },
        content_type="multipart/form-data",
    )
    assert upload.status_code == 200 and "conforms to the shapes" in upload.data.decode("utf-8")
    download = web.post("/validate", data={"data": (SAMPLES / "mini-broken.ttl").read_text(), "format": "json"})
    assert download.mimetype == "application/json" and download.get_json()["hasViolations"]


def test_the_form_explains_syntax_errors_and_escapes_everything(web):
    answer = web.post("/validate", data={"data": (SAMPLES / "mini-syntax-error.ttl").read_text(), "format": "html"})
    text = answer.data.decode("utf-8")
    assert answer.status_code == 400 and "does not parse" in text and "Line 4, column" in text
    hostile = (
        f"<{ID}city/x> a <{EX}City> ; <http://www.w3.org/2000/01/rdf-schema#label> "
        f'"<script>alert(1)</script>"@en ; <{EX}code> "<b>1</b>" .'
    )
    answer = web.post("/validate", data={"data": hostile, "format": "html"})
    assert answer.status_code == 200
    assert b"<script>alert(1)</script>" not in answer.data and b"&lt;script&gt;" in answer.data
    assert b"<b>1</b>" not in answer.data


# --- safety ------------------------------------------------------------------------------------


class Listener:
    """A local TCP server that records every connection made to it (nothing should connect)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self):
        self._stop.set()
        self._thread.join()
        self.sock.close()


@pytest.fixture()
def listener():
    server = Listener()
    yield server
    server.close()


@pytest.fixture()
def no_connections(monkeypatch):
    """Fail the test if this process opens any network connection."""
    attempts = []
    real_connect = socket.socket.connect

    def connect(self, address):
        attempts.append(address)
        raise AssertionError(f"a connection to {address} was attempted")

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect)
    yield attempts
    monkeypatch.setattr(socket.socket, "connect", real_connect)


def jsonld_with_context(context) -> bytes:
    return json.dumps(
        {
            "@context": context,
            "@id": ID + "city/zeta",
            "@type": EX + "City",
            "label": {"@value": "Zeta", "@language": "en"},
        }
    ).encode("utf-8")


def test_remote_jsonld_context_is_refused_without_any_connection(listener, no_connections, web, tmp_path):
    data = jsonld_with_context(f"http://127.0.0.1:{listener.port}/context.jsonld")
    with pytest.raises(RdfSyntaxError, match="remote @context"):
        parse_contribution(data, RDF_FORMATS["jsonld"], IRIS)
    answer = web.post("/api/validate", data=data, content_type="application/ld+json")
    assert answer.status_code == 400 and "remote @context" in answer.get_json()["message"]
    path = tmp_path / "remote.jsonld"
    path.write_bytes(data)
    code, _, err = cli_validate(str(path))
    assert code == 2 and "never fetched" in err
    time.sleep(0.3)
    assert listener.connections == 0 and no_connections == []


def test_file_jsonld_context_is_refused_and_never_read(tmp_path, no_connections):
    context = tmp_path / "context.jsonld"
    context.write_text(json.dumps({"@context": {"label": "http://www.w3.org/2000/01/rdf-schema#label"}}))
    for reference in (context.as_uri(), [context.as_uri()], "file:///etc/passwd"):
        with pytest.raises(RdfSyntaxError, match="never fetched"):
            parse_contribution(jsonld_with_context(reference), RDF_FORMATS["jsonld"], IRIS)
    # the same context inline is fine: the refusal is about fetching, not about contexts
    inline = jsonld_with_context({"label": "http://www.w3.org/2000/01/rdf-schema#label"})
    assert len(parse_contribution(inline, RDF_FORMATS["jsonld"], IRIS).triples) == 2


def test_owl_imports_and_external_entities_are_never_followed(listener, validator, no_connections):
    url = f"http://127.0.0.1:{listener.port}/ontology.ttl"
    data = (
        SAMPLES / "mini-good.ttl"
    ).read_bytes() + f"\n<https://example.org/my-data> <http://www.w3.org/2002/07/owl#imports> <{url}> .\n".encode()
    assert validate_bytes(validator, data).conforms
    xml = (
        f'<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [<!ENTITY x SYSTEM "{url}">]>\n'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="https://example.org/mini#">\n'
        f'<rdf:Description rdf:about="{ID}city/zeta"><ex:code>&x;</ex:code></rdf:Description></rdf:RDF>\n'
    )
    with pytest.raises(RdfSyntaxError, match="external XML entity"):
        parse_contribution(xml.encode(), RDF_FORMATS["rdfxml"], IRIS)
    time.sleep(0.3)
    assert listener.connections == 0 and no_connections == []


def test_an_xml_entity_bomb_is_refused_quickly():
    entities = '<!ENTITY a0 "lol">' + "".join(f'<!ENTITY a{i} "{("&a%d;" % (i - 1)) * 10}">' for i in range(1, 10))
    bomb = (
        f'<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [{entities}]>\n'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="https://example.org/">\n'
        '<rdf:Description rdf:about="https://example.org/a"><ex:p>&a9;</ex:p></rdf:Description></rdf:RDF>'
    )
    started = time.monotonic()
    with pytest.raises(RdfSyntaxError, match="expand to more than"):
        parse_contribution(bomb.encode(), RDF_FORMATS["rdfxml"], IRIS)
    assert time.monotonic() - started < 5


def test_uploads_over_the_size_limit_are_413(mini_settings, mini_store):
    app = create_app(mini_settings.with_overrides(max_upload_bytes=2000), store=mini_store)
    client = app.test_client()
    data = (SAMPLES / "mini-good.ttl").read_bytes() + b"\n# " + b"x" * 3000 + b"\n"
    for answer in (
        client.post("/api/validate", data=data, content_type="text/turtle"),
        client.post("/api/validate", data={"file": (io.BytesIO(data), "big.ttl")}, content_type="multipart/form-data"),
        client.post("/validate", data={"data": data.decode("utf-8"), "format": "json"}),
    ):
        assert answer.status_code == 413
        assert answer.get_json()["error"] == "payload-too-large"
    assert client.post("/api/validate", data=data[:1500], content_type="text/turtle").status_code != 413


def test_validation_has_a_hard_time_limit(mini_store):
    """A contribution whose checks would take many seconds is stopped at the limit; the next one works."""
    labels = ", ".join(f'"L{i}"@x-l{i}' for i in range(4000))
    slow = (f"<{ID}city/testville> a <{EX}City> ; <http://www.w3.org/2000/01/rdf-schema#label> {labels} .").encode()
    isolated = ContributionValidator(mini_store, isolated=True, workers=1)
    try:
        started = time.monotonic()
        with pytest.raises(QueryTimeout, match="time limit"):
            isolated.validate(parse_contribution(slow, RDF_FORMATS["turtle"], IRIS), timeout=1)
        assert time.monotonic() - started < 4
        good = parse_contribution((SAMPLES / "mini-good.ttl").read_bytes(), RDF_FORMATS["turtle"], IRIS)
        assert isolated.validate(good, timeout=30).conforms
    finally:
        isolated.close()


def test_the_web_answers_503_when_validation_runs_out_of_time(mini_settings, mini_store):
    app = create_app(mini_settings.with_overrides(validation_timeout=0.5), store=mini_store)
    labels = ", ".join(f'"L{i}"@x-l{i}' for i in range(4000))
    slow = f"<{ID}city/testville> a <{EX}City> ; <http://www.w3.org/2000/01/rdf-schema#label> {labels} ."
    try:
        answer = app.test_client().post("/api/validate", data=slow.encode(), content_type="text/turtle")
        assert answer.status_code == 503 and answer.get_json()["error"] == "query-timeout"
    finally:
        app.extensions["coopgraph.validator"].close()


def _sleep(cache, seconds):
    time.sleep(seconds)
    return seconds


def test_a_killed_worker_is_replaced():
    runner = KillableRunner(workers=1)
    try:
        with pytest.raises(QueryTimeout):
            runner.call(_sleep, 30, timeout=0.5)
        assert runner.call(_sleep, 0, timeout=30) == 0
    finally:
        runner.close()


# --- against the curated graph -------------------------------------------------------------------

CURATED_SAMPLES = {
    "curated-made-up-pairing.ttl": [],
    "curated-unknown-city.ttl": [("ClassConstraintComponent", ID + "city/testville")],
    "curated-wrong-side.ttl": [("SPARQLConstraintComponent", ID + "city/yokohama")],
}


@pytest.fixture(scope="module")
def curated_validator(built_store):
    v = ContributionValidator(built_store)
    yield v
    v.close()


@pytest.fixture(scope="module")
def curated_copy(curated_settings):
    """A private build of the curated graph, to add contributions to."""
    store, _ = build(curated_settings)
    return store


@pytest.mark.parametrize("sample", list(CURATED_SAMPLES))
def test_curated_pairings_naming_existing_unknown_and_misplaced_cities(curated_validator, curated_copy, sample):
    contribution = parse_contribution((SAMPLES / sample).read_bytes(), RDF_FORMATS["turtle"], IRIS)
    report = curated_validator.validate(contribution, timeout=30)
    assert [(r.component, r.value.value) for r in report.violations] == CURATED_SAMPLES[sample]
    # the same as validating the whole curated graph with the contribution in it
    graph = IRIS.contribution_graph("20260101-000000-0000cafe")
    curated_copy.replace_graphs({graph: contribution.quads})
    try:
        full = [r for r in run_validation(curated_copy).results if r.focus.value in contribution.subjects()]
    finally:
        curated_copy.replace_graphs({}, drop=[graph])
    assert sorted(r.key() for r in report.results) == sorted(r.key() for r in full)


def test_the_docs_document_the_report_and_the_statuses(curated_validator):
    """The JSON report in docs/contributions.md has the shape the validator produces; every status is explained."""
    import re

    from conftest import ROOT

    section = (ROOT / "docs" / "contributions.md").read_text(encoding="utf-8")
    documented = json.loads(re.search(r"```json\n(.*?)```", section, re.S).group(1))
    contribution = parse_contribution((SAMPLES / "curated-unknown-city.ttl").read_bytes(), RDF_FORMATS["turtle"], IRIS)
    actual = curated_validator.validate(contribution).to_dict()
    assert set(documented) == set(actual)
    assert set(documented["focusNodes"][0]) == set(actual["focusNodes"][0])
    assert set(documented["focusNodes"][0]["results"][0]) == set(actual["focusNodes"][0]["results"][0])
    assert documented["focusNodes"][0]["results"][0]["message"] == actual["focusNodes"][0]["results"][0]["message"]
    for status in ("400", "401", "403", "404 / 410", "409", "413", "415", "422", "503"):
        assert f"| {status} |" in section
    for code in ("does-not-conform", "contribution-refused"):
        assert code in section
