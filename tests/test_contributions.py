"""Submitting, reading and withdrawing contributions: tokens, 422, provenance, visibility, the build.

The web tests run on an in-memory copy of the miniature project (never the shared
session store, since they write); the command line and the build on a store folder.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import threading

import pyoxigraph as ox
import pytest
import rdflib
from click.testing import CliRunner

from conftest import MINI, SAMPLES
from coopgraph.cli import cli
from coopgraph.contributions import ledger as core
from coopgraph.errors import Forbidden, Unauthorized
from coopgraph.formats import RDF_FORMATS
from coopgraph.knowledge.build import build, run_reasoning, run_validation
from coopgraph.namespaces import Iris
from coopgraph.store.embedded import OxigraphStore
from coopgraph.store.snapshots import SnapshotStore, current_snapshot, snapshots_dir, write_lock
from coopgraph.web import create_app

IRIS = Iris()
ID = IRIS.id_base
EX = "https://example.org/mini#"
PROV = "http://www.w3.org/ns/prov#"
CONTRIBUTORS = {"tok-ada": "Ada Testville"}
MAINTAINERS = {"tok-max": "Max Maintainer"}
ADA = {"Authorization": "Bearer tok-ada"}
MAX = {"Authorization": "Bearer tok-max"}
GOOD = (SAMPLES / "mini-good.ttl").read_bytes()
UNKNOWN = (SAMPLES / "mini-unknown-city.ttl").read_bytes()


def pairing(slug: str, label: str) -> bytes:
    """A made-up, conforming pairing between two cities of the miniature graph."""
    return (
        f'<{ID}pairing/{slug}> a <{EX}Pairing> ; <http://www.w3.org/2000/01/rdf-schema#label> "{label}"@en ;\n'
        f"  <{EX}participant> <{ID}city/alpha>, <{ID}city/gamma> ; <{EX}euParticipant> <{ID}city/gamma> .\n"
    ).encode()


@pytest.fixture(scope="module")
def settings(mini_settings):
    return mini_settings.with_overrides(contributor_tokens=CONTRIBUTORS, maintainer_tokens=MAINTAINERS)


@pytest.fixture(scope="module")
def store(settings):
    built, _ = build(settings)
    return built


@pytest.fixture(scope="module")
def app(settings, store):
    application = create_app(settings, store=store)
    application.config["TESTING"] = True
    yield application
    held = application.extensions.get("coopgraph.validator")
    if held is not None:
        held.close()


@pytest.fixture()
def client(app):
    return app.test_client()


def submit(client, data=GOOD, description="A made-up pairing for a test", headers=ADA, **kwargs):
    return client.post(
        "/api/contributions",
        data=data,
        content_type="text/turtle",
        query_string={"description": description},
        headers=headers,
        **kwargs,
    )


def graph_names(store) -> list[str]:
    return sorted(store.graphs())


# --- tokens -------------------------------------------------------------------------------


def test_tokens_decide_who_may_do_what(settings, mini_settings):
    with pytest.raises(Forbidden, match="switched off"):
        core.authenticate(mini_settings, "tok-ada")
    with pytest.raises(Unauthorized, match="needs an API token"):
        core.authenticate(settings, None)
    with pytest.raises(Unauthorized, match="not valid"):
        core.authenticate(settings, "tok-ad")
    assert core.authenticate(settings, "tok-ada") == "Ada Testville"
    assert core.authenticate(settings, "tok-max") == "Max Maintainer"
    with pytest.raises(Forbidden, match="maintainer"):
        core.authenticate(settings, "tok-ada", maintainer=True)
    assert core.authenticate(settings, "tok-max", maintainer=True) == "Max Maintainer"


def test_without_tokens_submissions_are_off(mini_settings, store):
    client = create_app(mini_settings, store=store).test_client()
    answer = submit(client)
    assert answer.status_code == 403 and answer.get_json()["error"] == "forbidden"
    assert "switched off" in answer.get_json()["message"]


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic dG9rLWFkYQ=="}])
def test_a_missing_or_unknown_token_is_401(client, store, headers):
    before = graph_names(store)
    answer = submit(client, headers=headers)
    assert answer.status_code == 401 and answer.headers["WWW-Authenticate"].startswith("Bearer")
    assert set(answer.get_json()) <= {"error", "status", "message", "hint", "details"}
    assert graph_names(store) == before


# --- refusals store nothing ------------------------------------------------------------------------


def test_data_with_violations_is_422_with_the_report_and_nothing_is_stored(client, store):
    before, version = graph_names(store), store.version()
    answer = submit(client, data=UNKNOWN)
    body = answer.get_json()
    assert answer.status_code == 422 and body["error"] == "does-not-conform"
    report = body["details"]["report"]
    assert report["hasViolations"] is True
    assert report["focusNodes"][0]["label"] == "Alpha–Atlantis"
    assert report["focusNodes"][0]["results"][0]["value"]["value"] == ID + "city/atlantis"
    assert graph_names(store) == before and store.version() == version
    assert not store.ask(f"ASK {{ <{ID}pairing/alpha-atlantis> ?p ?o }}")


@pytest.mark.parametrize(
    "data, content_type, description, status, code",
    [
        (GOOD, "text/turtle", "", 400, "bad-request"),
        (b"   ", "text/turtle", "x", 400, "bad-request"),
        (GOOD, "text/plain", "x", 415, "unsupported-media-type"),
        ((SAMPLES / "mini-syntax-error.ttl").read_bytes(), "text/turtle", "x", 400, "rdf-syntax-error"),
        (
            f'<{EX}City> <http://www.w3.org/2000/01/rdf-schema#label> "x"@en .'.encode(),
            "text/turtle",
            "x",
            422,
            "contribution-refused",
        ),
    ],
)
def test_bad_submissions_are_refused_and_store_nothing(client, store, data, content_type, description, status, code):
    before = graph_names(store)
    answer = client.post(
        "/api/contributions",
        data=data,
        content_type=content_type,
        query_string={"description": description},
        headers=ADA,
    )
    assert answer.status_code == status and answer.get_json()["error"] == code
    assert graph_names(store) == before


def test_uploads_over_the_limit_are_413(settings, store):
    client = create_app(settings.with_overrides(max_upload_bytes=500), store=store).test_client()
    answer = submit(client, data=GOOD + b"#" + b"x" * 1000 + b"\n")
    assert answer.status_code == 413 and answer.get_json()["error"] == "payload-too-large"


# --- an accepted contribution ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def accepted(app, store):
    """One contribution accepted through the API, with the bytes that were sent."""
    data = pairing("testville-one", "Testville One")
    answer = submit(app.test_client(), data=data, description="Testville One, made up for a test")
    assert answer.status_code == 201, answer.get_json()
    return answer, data


def test_accepted_data_is_stored_with_its_provenance(accepted, store):
    answer, data = accepted
    body = answer.get_json()
    assert answer.headers["Location"] == f"/api/contributions/{body['id']}" == body["url"]
    assert body["graph"] == IRIS.contribution_graph(body["id"]) and body["status"] == "accepted"
    assert body["sha256"] == hashlib.sha256(data).hexdigest()
    assert body["contributor"] == "Ada Testville" and body["triples"] == 5 and body["bytes"] == len(data)
    assert body["report"]["conforms"] is True
    graph = body["graph"]
    stored = store.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", default_graphs=[graph]).triples
    sent = {t for t in ox.parse(data, format=ox.RdfFormat.TURTLE)}
    assert {ox.Quad(t.subject, t.predicate, t.object) for t in stored} == sent
    provenance = store.select(
        f"""PREFIX prov: <{PROV}> PREFIX dct: <http://purl.org/dc/terms/> PREFIX spdx: <http://spdx.org/rdf/terms#>
        PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        SELECT * WHERE {{ GRAPH <{IRIS.provenance_graph}> {{
          <{graph}> a prov:Entity ; prov:wasAttributedTo ?agent ; prov:generatedAtTime ?time ;
             dct:description ?description ; spdx:checksum/spdx:checksumValue ?sha ;
             prov:wasGeneratedBy ?activity .
          ?agent a prov:Agent ; rdfs:label ?name . ?activity prov:wasAssociatedWith ?agent . }} }}""",
        default_graphs=[],
    )
    assert len(provenance) == 1
    row = provenance[0]
    assert row["name"].value == "Ada Testville" and row["sha"].value == body["sha256"]
    assert row["description"].value == "Testville One, made up for a test"
    assert row["time"].datatype.value.endswith("#dateTime") and row["time"].value == body["submitted"]


def test_accepted_data_is_visible_to_every_query_at_once_with_its_entailments(accepted, client, store):
    answer, _ = accepted
    sparql = client.get("/sparql", query_string={"query": f"ASK {{ <{ID}pairing/testville-one> a <{EX}Pairing> }}"})
    assert sparql.get_json()["boolean"] is True
    # ex:pairing is the inverse of ex:participant: reasoning ran over the new graph
    assert store.ask(
        f"ASK {{ GRAPH <{IRIS.inferred_graph}> {{ <{ID}city/alpha> <{EX}pairing> <{ID}pairing/testville-one> }} }}"
    )
    assert not run_validation(store).has_violations


def test_list_and_read_one_in_every_format(accepted, client):
    answer, data = accepted
    cid = answer.get_json()["id"]
    listing = client.get("/api/contributions").get_json()
    assert cid in [c["id"] for c in listing["contributions"]] and listing["count"] == len(listing["contributions"])
    one = client.get(f"/api/contributions/{cid}").get_json()
    assert one["id"] == cid and one["sha256"] == answer.get_json()["sha256"]
    assert one["data"]["@context"] and "testville-one" in json.dumps(one["data"])
    trig = client.get(f"/api/contributions/{cid}", headers={"Accept": "application/trig"})
    dataset = rdflib.Dataset()
    dataset.parse(data=trig.data, format="trig")
    contributed = dataset.graph(rdflib.URIRef(IRIS.contribution_graph(cid)))
    provenance = dataset.graph(rdflib.URIRef(IRIS.provenance_graph))
    assert trig.mimetype == "application/trig" and len(contributed) == 5
    assert (rdflib.URIRef(IRIS.contribution_graph(cid)), rdflib.RDF.type, rdflib.URIRef(PROV + "Entity")) in provenance
    for name, media_type in [
        ("turtle", "text/turtle"),
        ("ntriples", "application/n-triples"),
        ("rdfxml", "application/rdf+xml"),
        ("jsonld", "application/ld+json"),
    ]:
        answer_rdf = client.get(f"/api/contributions/{cid}", headers={"Accept": media_type})
        graph = rdflib.Graph().parse(
            data=answer_rdf.data,
            format={"turtle": "turtle", "ntriples": "nt", "rdfxml": "xml", "jsonld": "json-ld"}[name],
        )
        assert answer_rdf.mimetype == media_type
        assert (rdflib.URIRef(ID + "pairing/testville-one"), rdflib.RDF.type, rdflib.URIRef(EX + "Pairing")) in graph
        assert (None, rdflib.URIRef(PROV + "wasAttributedTo"), None) in graph
    assert client.get(f"/api/contributions/{cid}?format=nquads").mimetype == "application/n-quads"
    assert client.get(f"/api/contributions/{cid}", headers={"Accept": "image/png"}).status_code == 406
    assert client.get("/api/contributions/20200101-000000-00000000").status_code == 404
    assert client.get("/api/contributions/..%2Fetc").status_code == 404


def test_which_contribution_a_fact_came_from(accepted, store):
    answer, _ = accepted
    body = answer.get_json()
    record = core.which_contribution(store, body["graph"])
    assert record is not None and record.id == body["id"] and record.contributor == "Ada Testville"
    assert core.which_contribution(store, IRIS.data_graph("pairings")) is None
    assert core.which_contribution(store, IRIS.inferred_graph) is None
    about = core.contributions_about(store, ID + "pairing/testville-one")
    assert [r.id for r in about] == [body["id"]]
    assert core.contributions_about(store, ID + "city/alpha") == []
    sources = core.triples_with_sources(store, ID + "pairing/testville-one")
    assert sources and all(graph == body["graph"] and rec.id == body["id"] for _, graph, rec in sources)
    curated = core.triples_with_sources(store, ID + "city/alpha")
    assert curated and all(rec is None and graph == IRIS.data_graph("places") for _, graph, rec in curated)
    mapping = core.provenance_of_graphs(store, [body["graph"], IRIS.data_graph("places")])
    assert list(mapping) == [body["graph"]]


def test_warnings_do_not_block_a_submission(client):
    data = (
        f"<{ID}city/testville> a <{EX}Municipality> ; <http://www.w3.org/2000/01/rdf-schema#label> "
        f'"Testville"@en ; <{EX}code> "00042" .'
    ).encode()
    answer = submit(client, data=data, description="Testville, a made-up municipality")
    body = answer.get_json()
    assert answer.status_code == 201 and body["report"]["counts"]["Warning"] == 1
    assert body["report"]["hasViolations"] is False


def test_jsonld_and_multipart_submissions(client):
    data = json.dumps(
        {
            "@id": ID + "pairing/testville-two",
            "@type": EX + "Pairing",
            "http://www.w3.org/2000/01/rdf-schema#label": {"@value": "Testville Two", "@language": "en"},
            EX + "participant": [{"@id": ID + "city/alpha"}, {"@id": ID + "city/gamma"}],
            EX + "euParticipant": {"@id": ID + "city/gamma"},
        }
    ).encode()
    answer = client.post(
        "/api/contributions",
        headers=ADA,
        content_type="multipart/form-data",
        data={"file": (io.BytesIO(data), "two.jsonld"), "description": "Testville Two"},
    )
    assert answer.status_code == 201, answer.get_json()
    assert answer.get_json()["mediaType"] == "application/ld+json" and answer.get_json()["triples"] == 5


def test_withdrawal_needs_a_maintainer_and_keeps_the_record(client, store):
    answer = submit(client, data=pairing("testville-three", "Testville Three"), description="to be withdrawn")
    cid = answer.get_json()["id"]
    assert client.delete(f"/api/contributions/{cid}").status_code == 401
    assert client.delete(f"/api/contributions/{cid}", headers=ADA).status_code == 403
    assert store.ask(f"ASK {{ <{ID}pairing/testville-three> ?p ?o }}")
    native_before = store.native
    withdrawn = client.delete(f"/api/contributions/{cid}", headers=MAX, query_string={"reason": "a test"})
    body = withdrawn.get_json()
    assert withdrawn.status_code == 200 and body["status"] == "withdrawn" and body["withdrawnBy"] == "Max Maintainer"
    assert not store.ask(f"ASK {{ <{ID}pairing/testville-three> ?p ?o }}")
    assert not store.ask(f"ASK {{ <{ID}city/alpha> <{EX}pairing> <{ID}pairing/testville-three> }}")
    # in memory, reasoning from scratch is followed by a move into a fresh store (Store.reclaim)
    assert store.native is not native_before
    assert client.get(f"/api/contributions/{cid}").status_code == 410
    assert client.delete(f"/api/contributions/{cid}", headers=MAX).status_code == 410
    listed = {c["id"]: c for c in client.get("/api/contributions").get_json()["contributions"]}
    assert listed[cid]["status"] == "withdrawn"
    assert cid not in [c["id"] for c in client.get("/api/contributions?status=accepted").get_json()["contributions"]]
    assert store.ask(
        f"ASK {{ GRAPH <{IRIS.provenance_graph}> {{ <{IRIS.contribution_graph(cid)}> <{PROV}invalidatedAtTime> ?t }} }}"
    )


# --- the command line and the build, on a store folder ------------------------------------------------


def contribute(*args, env=None):
    result = CliRunner().invoke(
        cli,
        ["--root", str(MINI), "contribute", *args],
        catch_exceptions=False,
        env={"COOPGRAPH_CONTRIBUTOR_TOKENS": json.dumps(CONTRIBUTORS), **(env or {})},
    )
    return result.exit_code, result.stdout, result.stderr


def test_contribute_from_the_command_line_into_a_store_folder(folder, tmp_path):
    good = tmp_path / "good.ttl"
    good.write_bytes(pairing("testville-cli", "Testville CLI"))
    code, out, err = contribute(
        str(good), "--token", "tok-ada", "--description", "from the CLI", "--store", str(folder)
    )
    assert code == 0, err
    assert out.startswith("accepted: contribution ")
    bad = tmp_path / "bad.ttl"
    bad.write_bytes(UNKNOWN)
    code, _, err = contribute(str(bad), "--token", "tok-ada", "-d", "unknown", "--store", str(folder))
    assert code == 1 and "city/atlantis" in err and "nothing was stored" in err
    code, _, err = contribute(str(good), "--token", "nope", "-d", "x", "--store", str(folder))
    assert code == 2 and "not valid" in err
    code, _, err = contribute(
        str(good), "--token", "tok-ada", "-d", "x", "--store", str(folder), env={"COOPGRAPH_CONTRIBUTOR_TOKENS": "{}"}
    )
    assert code == 2 and "switched off" in err
    code, _, err = contribute(str(good), "--token", "tok-ada", "-d", "x")
    assert code == 2 and "--store" in err
    served = SnapshotStore(IRIS, folder, workers=1)
    try:
        records = core.list_contributions(served)
        assert [r.description for r in records] == ["from the CLI"]
        assert served.ask(f"ASK {{ <{ID}pairing/testville-cli> ?p ?o }}")
    finally:
        served.close()


def test_a_rebuild_carries_contributions_over(folder, mini_settings):
    served = SnapshotStore(IRIS, folder, workers=1)
    try:
        kept, _ = core.submit(
            served,
            pairing("testville-kept", "Kept"),
            RDF_FORMATS["turtle"],
            contributor="Ada Testville",
            description="kept",
        )
        gone, _ = core.submit(
            served,
            pairing("testville-gone", "Gone"),
            RDF_FORMATS["turtle"],
            contributor="Ada Testville",
            description="withdrawn",
        )
        core.withdraw(served, gone.id, maintainer="Max Maintainer")
    finally:
        served.close()
    rebuilt, report = build(mini_settings.with_overrides(store=str(folder)))
    try:
        assert report.ok
        assert kept.graph in rebuilt.graphs() and gone.graph not in rebuilt.graphs()
        records = {r.id: r for r in core.list_contributions(rebuilt)}
        assert records[kept.id].status == "accepted" and records[gone.id].status == "withdrawn"
        assert rebuilt.ask(
            f"ASK {{ GRAPH <{IRIS.inferred_graph}> {{ <{ID}city/alpha> <{EX}pairing> <{ID}pairing/testville-kept> }} }}"
        )
    finally:
        rebuilt.close()


def test_a_rebuild_carries_over_what_was_published_not_a_write_cut_short(folder, mini_settings):
    primary = OxigraphStore(IRIS, folder)  # a writer that died after changing the primary
    (folder / "write.pending").write_text("dead writer")
    half = IRIS.contribution_graph("20200101-000000-0000dead")
    primary.replace_graphs(
        {
            half: [
                ox.Quad(
                    ox.NamedNode(ID + "pairing/half"), ox.NamedNode(EX + "participant"), ox.NamedNode(ID + "city/alpha")
                )
            ]
        }
    )
    primary.close()
    rebuilt, _ = build(mini_settings.with_overrides(store=str(folder)))
    try:
        assert half not in rebuilt.graphs()
    finally:
        rebuilt.close()


def test_contributions_accepted_during_a_rebuild_are_not_lost(folder, mini_settings, caplog, monkeypatch):
    """The build's last step waits for the write lock and catches up with what was accepted meanwhile."""
    import coopgraph.knowledge.build as build_module
    from coopgraph.store.snapshots import publish_snapshot

    carried = threading.Event()
    original = build_module._carry_over_contributions

    def carry_over(*args):
        state = original(*args)
        carried.set()
        return state

    monkeypatch.setattr(build_module, "_carry_over_contributions", carry_over)
    result = {}

    def rebuild():
        store, _ = build(mini_settings.with_overrides(store=str(folder)))
        result["graphs"] = store.graphs()
        store.close()

    record = core.ContributionRecord(
        id="20260101-000000-0000beef",
        graph=IRIS.contribution_graph("20260101-000000-0000beef"),
        contributor="Ada Testville",
        agent=core.agent_iri(IRIS, "Ada Testville"),
        submitted="2026-01-01T00:00:00Z",
        sha256="0" * 64,
        description="during the build",
        triples=1,
        media_type="text/turtle",
        byte_size=1,
    )
    with caplog.at_level(logging.INFO, logger="coopgraph.knowledge.build"):
        with write_lock(folder):
            thread = threading.Thread(target=rebuild)
            thread.start()
            assert carried.wait(timeout=60)  # the build copied the old state; it will wait for the lock
            # a contribution accepted meanwhile, written as the writer does it (we hold the lock)
            primary = OxigraphStore(IRIS, folder)
            primary.insert_data(
                {
                    record.graph: [
                        ox.Triple(
                            ox.NamedNode(ID + "pairing/during"),
                            ox.NamedNode(EX + "participant"),
                            ox.NamedNode(ID + "city/alpha"),
                        )
                    ],
                    IRIS.provenance_graph: core.provenance_record_triples(IRIS, record),
                }
            )
            publish_snapshot(folder, primary)
            primary.close()
        thread.join(timeout=60)
    assert record.graph in result["graphs"]
    assert any("carrying them over again" in r.getMessage() for r in caplog.records)
    assert current_snapshot(folder) is not None and (snapshots_dir(folder) / current_snapshot(folder)).is_dir()


def test_reasoning_after_a_submission_equals_reasoning_from_scratch(store):
    """The inferred graph a submission leaves behind is the one a full recomputation gives."""
    inferred = set(store.iter_triples(IRIS.inferred_graph))
    copy = OxigraphStore(IRIS)
    copy.native.extend(store.native)
    run_reasoning(copy)
    assert set(copy.iter_triples(IRIS.inferred_graph)) == inferred


def test_incremental_reasoning_equals_recomputation(mini_settings):
    """A contribution that sets off every kind of rule, over several rounds, old facts joined with new ones."""
    from coopgraph.knowledge.build import data_graphs
    from coopgraph.knowledge.reasoning import reason_added

    added = f"""
    <{ID}city/delta> a <{EX}Town> ; <{EX}within> <{ID}region/north> ; <{EX}partnerOf> <{ID}city/gamma> .
    <{ID}region/far> <{EX}within> <{ID}region/west> . <{ID}region/west> <{EX}within> <{ID}region/north> .
    <{ID}region/continent> <{EX}within> <{ID}region/world> .
    <{ID}pairing/new> <{EX}participant> <{ID}city/beta>, <{ID}city/delta> .
    <{ID}pairing/alpha-gamma> <{EX}participant> <{ID}city/delta> .
    <{ID}city/beta> a <{EX}City> .
    """.encode()
    graph = IRIS.contribution_graph("20260101-000000-0000abcd")
    incremental, _ = build(mini_settings)
    assert incremental.ask(f"ASK {{ GRAPH <{IRIS.inferred_graph}> {{ <{ID}city/beta> a <{EX}City> }} }}")
    incremental.replace_graphs({graph: added}, RDF_FORMATS["turtle"])
    report = reason_added(
        incremental,
        [graph],
        data_graphs(incremental),
        ontology_graph=IRIS.ontology_graph,
        inferred_graph=IRIS.inferred_graph,
    )
    full, _ = build(mini_settings)
    full.replace_graphs({graph: added}, RDF_FORMATS["turtle"])
    run_reasoning(full)
    expected = set(full.iter_triples(IRIS.inferred_graph))
    assert set(incremental.iter_triples(IRIS.inferred_graph)) == expected
    assert report.rounds >= 3  # chains: inverse, then the property chain, then what follows
    assert (
        ox.Triple(ox.NamedNode(ID + "region/far"), ox.NamedNode(EX + "within"), ox.NamedNode(ID + "region/continent"))
        in expected
    )
    for subject, predicate, obj in [
        ("city/beta", "twinOf", "city/delta"),
        ("city/alpha", "within", "region/world"),
        ("city/alpha", "twinOf", "city/delta"),
        ("city/delta", "twinOf", "city/alpha"),
    ]:
        assert ox.Triple(ox.NamedNode(ID + subject), ox.NamedNode(EX + predicate), ox.NamedNode(ID + obj)) in expected
    assert not incremental.ask(f"ASK {{ GRAPH <{IRIS.inferred_graph}> {{ <{ID}city/beta> a <{EX}City> }} }}")
    assert not any(g.startswith("urn:coopgraph:reasoning") for g in incremental.graphs())


def test_contribute_has_help():
    result = CliRunner().invoke(cli, ["contribute", "--help"])
    assert result.exit_code == 0
    for option in ("--token", "--description", "--server", "--store", "--format"):
        assert option in result.stdout


def test_withdrawing_what_others_depend_on_is_a_conflict(client, store):
    city = (
        f'<{ID}city/testville-x> a <{EX}City> ; <http://www.w3.org/2000/01/rdf-schema#label> "Testville X"@en .'
    ).encode()
    first = submit(client, data=city, description="a made-up city").get_json()["id"]
    uses = (
        f"<{ID}pairing/alpha-testville-x> a <{EX}Pairing> ; <http://www.w3.org/2000/01/rdf-schema#label> "
        f'"Alpha–Testville X"@en ; <{EX}participant> <{ID}city/alpha>, <{ID}city/testville-x> ; '
        f"<{EX}euParticipant> <{ID}city/testville-x> ."
    ).encode()
    second = submit(client, data=uses, description="a made-up pairing with it")
    assert second.status_code == 201, second.get_json()
    second = second.get_json()["id"]
    refused = client.delete(f"/api/contributions/{first}", headers=MAX)
    body = refused.get_json()
    assert refused.status_code == 409 and body["error"] == "conflict" and second in body["message"]
    assert body["details"]["dependents"] == [
        {"graph": IRIS.contribution_graph(second), "contribution": second, "resources": [ID + "city/testville-x"]}
    ]
    assert store.ask(f"ASK {{ <{ID}city/testville-x> a <{EX}City> }}")  # nothing changed
    assert client.delete(f"/api/contributions/{second}", headers=MAX).status_code == 200
    assert client.delete(f"/api/contributions/{first}", headers=MAX).status_code == 200
    assert not run_validation(store).has_violations
