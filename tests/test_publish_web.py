"""Publishing over HTTP: /download, release files (streamed, ranges, conditional GET),
/dataset and /.well-known/void by content negotiation, /context.jsonld."""

from __future__ import annotations

import hashlib
import json

import pyoxigraph as ox
import pytest
import rdflib
import requests

import dcat_ap

DCAT = rdflib.Namespace("http://www.w3.org/ns/dcat#")
VOID = rdflib.Namespace("http://rdfs.org/ns/void#")
PARSERS = {
    "text/turtle": "turtle",
    "application/ld+json": "json-ld",
    "application/rdf+xml": "xml",
    "application/n-triples": "nt",
}


@pytest.fixture(scope="module")
def publish_app(app_factory, releases_dir, curated_release):
    application = app_factory(releases_dir=str(releases_dir))
    application.config["TESTING"] = True
    return application


@pytest.fixture()
def web(publish_app):
    return publish_app.test_client()


@pytest.fixture(scope="module")
def empty_app(app_factory, tmp_path_factory):
    application = app_factory(releases_dir=str(tmp_path_factory.mktemp("no-releases")))
    application.config["TESTING"] = True
    return application


def get(client, url: str, **headers):
    """GET and read the whole answer, closing the file a streamed answer holds open."""
    response = client.get(url, headers=headers)
    response.get_data()
    response.close()
    return response


def dump_of(release, fmt: str):
    return next(f for f in release.files if f.format == fmt)


def canonical(data: bytes, media_type: str) -> set[str]:
    """The graph in RDFC-1.0 canonical form (blank nodes relabelled): equal sets = isomorphic graphs."""
    dataset = ox.Dataset(ox.parse(data, format=oxigraph_format(media_type)))
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return {str(quad) for quad in dataset}


def oxigraph_format(media_type: str) -> ox.RdfFormat:
    return {
        "text/turtle": ox.RdfFormat.TURTLE,
        "application/ld+json": ox.RdfFormat.JSON_LD,
        "application/rdf+xml": ox.RdfFormat.RDF_XML,
        "application/n-triples": ox.RdfFormat.N_TRIPLES,
    }[media_type]


def parse(data: bytes, media_type: str) -> rdflib.Graph:
    """Parse with pyoxigraph (which never fetches), then hand the triples to rdflib."""
    triples = [q.triple for q in ox.parse(data, format=oxigraph_format(media_type))]
    return rdflib.Graph().parse(data=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES), format="nt")


# --- /download -------------------------------------------------------------------------------------


def test_download_page_lists_every_release_and_file(web, curated_release):
    response = web.get("/download", headers={"Accept": "text/html"})
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert f'id="release-{curated_release.version}"' in page
    for item in curated_release.files:
        assert f"/download/{curated_release.version}/{item.name}" in page and item.sha256 in page
    assert 'rel="alternate"; type="application/json"' in response.headers["Link"]


@pytest.mark.parametrize("path, headers", [("/download.json", {}), ("/download", {"Accept": "application/json"})])
def test_download_json_twin(web, curated_release, path, headers):
    response = web.get(path, headers=headers)
    assert response.status_code == 200 and response.mimetype == "application/json"
    body = response.get_json()
    assert body["latest"] == curated_release.version
    (listed,) = [r for r in body["releases"] if r["version"] == curated_release.version]
    assert {(f["name"], f["bytes"], f["sha256"]) for f in listed["files"]} == {
        (f.name, f.bytes, f.sha256) for f in curated_release.files
    }
    assert all(f["url"].endswith(f"/download/{curated_release.version}/{f['name']}") for f in listed["files"])


def test_download_page_without_releases(empty_app):
    client = empty_app.test_client()
    assert "No release has been made yet" in client.get("/download", headers={"Accept": "text/html"}).get_data(True)
    assert client.get("/download.json").get_json() == {"latest": None, "releases": []}


# --- release files ------------------------------------------------------------------------------------


def test_a_dump_is_streamed_from_disk_with_its_checksum_as_etag(publish_app, web, curated_release):
    item = dump_of(curated_release, "nquads")
    url = f"/download/{curated_release.version}/{item.name}"
    with publish_app.test_request_context(url):
        direct = publish_app.full_dispatch_request()
        assert direct.direct_passthrough and not isinstance(direct.response, (list, bytes))  # a file wrapper
        direct.close()
    response = get(web, url)
    assert response.status_code == 200 and response.mimetype == "application/n-quads"
    body = response.get_data()
    assert len(body) == item.bytes == int(response.headers["Content-Length"])
    assert hashlib.sha256(body).hexdigest() == item.sha256
    assert response.headers["ETag"] == f'"{item.sha256}"'
    assert response.headers["Accept-Ranges"] == "bytes" and response.headers["Last-Modified"]
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_gzip_dump_is_served_as_gzip(web, curated_release):
    item = dump_of(curated_release, "ntriples")
    response = get(web, f"/download/{curated_release.version}/{item.name}")
    assert response.mimetype == "application/gzip" and "Content-Encoding" not in response.headers
    assert hashlib.sha256(response.get_data()).hexdigest() == item.sha256


def test_byte_ranges_and_conditional_get(web, curated_release):
    item = dump_of(curated_release, "turtle")
    url = f"/download/{curated_release.version}/{item.name}"
    content = (curated_release.path / item.name).read_bytes()
    partial = get(web, url, Range="bytes=100-1099")
    assert partial.status_code == 206
    assert partial.headers["Content-Range"] == f"bytes 100-1099/{item.bytes}"
    assert partial.get_data() == content[100:1100]
    tail = get(web, url, Range="bytes=-10")
    assert tail.status_code == 206 and tail.get_data() == content[-10:]
    assert get(web, url, Range=f"bytes={item.bytes + 10}-").status_code == 416
    full = get(web, url)
    assert get(web, url, **{"If-None-Match": full.headers["ETag"]}).status_code == 304
    assert get(web, url, **{"If-Modified-Since": full.headers["Last-Modified"]}).status_code == 304
    assert get(web, url, **{"If-None-Match": '"something-else"'}).status_code == 200
    # A resumed download whose copy is stale gets the whole file again.
    stale = get(web, url, Range="bytes=100-199", **{"If-Range": '"something-else"'})
    assert stale.status_code == 200 and stale.get_data() == content


def test_checksums_and_description_files_are_served(web, curated_release):
    base = f"/download/{curated_release.version}/"
    sums = get(web, base + "SHA256SUMS").get_data(as_text=True)
    assert f"{dump_of(curated_release, 'turtle').sha256}  {dump_of(curated_release, 'turtle').name}" in sums
    described = get(web, base + "dataset.ttl")
    assert described.mimetype == "text/turtle"
    assert described.get_data() == (curated_release.path / "dataset.ttl").read_bytes()


@pytest.mark.parametrize(
    "path",
    [
        "/download/0.0.0-test/nope.ttl",
        "/download/no-such-version/SHA256SUMS",
        "/download/0.0.0-test/..%2F..%2Fconftest.py",
        "/download/../conftest.py",
        "/download/0.0.0-test/.partial",
    ],
)
def test_only_listed_files_are_served(web, curated_release, path):
    response = web.get(path, headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.get_json()["error"] == "not-found"


def test_release_folder_url_points_to_its_listing(web, curated_release):
    response = web.get(f"/download/{curated_release.version}/")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/download#release-{curated_release.version}")


# --- /dataset and /.well-known/void -------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/dataset", "/.well-known/void"])
@pytest.mark.parametrize("media_type", list(PARSERS))
def test_description_by_content_negotiation(web, path, media_type):
    response = web.get(path, headers={"Accept": f"{media_type}, text/html;q=0.5"})
    assert response.status_code == 200 and response.mimetype == media_type
    assert "Accept" in response.headers["Vary"]
    reference = web.get("/dataset", headers={"Accept": "text/turtle"}).get_data()
    assert canonical(response.get_data(), media_type) == canonical(reference, "text/turtle")
    graph = parse(response.get_data(), media_type)
    assert len(list(graph.subjects(rdflib.RDF.type, DCAT.Dataset))) == 1


def test_browsers_get_a_page_and_crawlers_get_turtle(web, curated_release):
    page = web.get("/dataset", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert page.mimetype == "text/html"
    text = page.get_data(as_text=True)
    assert "EU–Japan cooperation" in text and dump_of(curated_release, "turtle").name in text
    assert 'rel="alternate"; type="text/turtle"' in page.headers["Link"]
    assert web.get("/.well-known/void", headers={"Accept": "*/*"}).mimetype == "text/turtle"
    assert web.get("/.well-known/void").mimetype == "text/turtle"
    assert web.get("/dataset").mimetype == "text/html"
    assert web.get("/dataset?format=jsonld").mimetype == "application/ld+json"
    assert web.get("/dataset", headers={"Accept": "image/png"}).status_code == 406
    assert web.get("/dataset?format=csv").status_code == 400


def test_served_description_conforms_and_describes_the_latest_release(web, curated_release):
    response = web.get("/dataset", headers={"Accept": "text/turtle"})
    graph = parse(response.get_data(), "text/turtle")
    for profile in dcat_ap.PROFILES:
        results = dcat_ap.validate(graph, profile)
        assert dcat_ap.violations(results) == [] and dcat_ap.unexpected_warnings(results) == []
    dataset = next(graph.subjects(rdflib.RDF.type, DCAT.Dataset))
    assert str(graph.value(dataset, DCAT.version)) == curated_release.version
    urls = {str(o) for d in graph.objects(dataset, DCAT.distribution) for o in graph.objects(d, DCAT.downloadURL)}
    assert urls == {f"http://localhost/download/{curated_release.version}/{f.name}" for f in curated_release.files}
    assert int(graph.value(dataset, VOID.triples)) == curated_release.triples


def test_endpoint_description_is_the_service_description(web):
    graph = parse(web.get("/dataset", headers={"Accept": "text/turtle"}).get_data(), "text/turtle")
    service = next(graph.subjects(rdflib.RDF.type, DCAT.DataService))
    described = str(graph.value(service, DCAT.endpointDescription))
    assert described == str(graph.value(service, DCAT.endpointURL))
    answer = web.get(described.replace("http://localhost", ""), headers={"Accept": "text/turtle"})
    sd = parse(answer.get_data(), "text/turtle")
    assert (None, rdflib.RDF.type, rdflib.URIRef("http://www.w3.org/ns/sparql-service-description#Service")) in sd


def test_description_etag_is_stable_and_conditional(web):
    first = web.get("/dataset", headers={"Accept": "text/turtle"})
    second = web.get("/dataset", headers={"Accept": "text/turtle"})
    assert first.headers["ETag"] == second.headers["ETag"] and first.get_data() == second.get_data()
    again = web.get("/dataset", headers={"Accept": "text/turtle", "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""


def test_description_without_a_release_still_describes_the_graph(empty_app, built_store):
    response = empty_app.test_client().get("/.well-known/void")
    graph = parse(response.get_data(), "text/turtle")
    dataset = next(graph.subjects(rdflib.RDF.type, DCAT.Dataset))
    assert list(graph.objects(dataset, DCAT.distribution)) == []
    assert int(graph.value(dataset, VOID.triples)) > 5000
    assert str(graph.value(dataset, VOID.sparqlEndpoint)) == "http://localhost/sparql"


@pytest.mark.parametrize("same_graph", [True, False])
def test_description_reuses_the_statistics_of_a_release_of_the_served_graph(
    app_factory, built_store, curated_release, tmp_path, same_graph
):
    """Counting a large graph takes long: a release of the very graph served brings its counts along."""
    import shutil

    copy = tmp_path / curated_release.version
    shutil.copytree(curated_release.path, copy)
    manifest = json.loads((copy / "release.json").read_text())
    assert manifest["graphVersion"] == built_store.version()
    manifest["statistics"]["triples"] = 42  # a marker: only the release could have said this
    if not same_graph:
        manifest["graphVersion"] = "some-other-build"
    (copy / "release.json").write_text(json.dumps(manifest))
    application = app_factory(releases_dir=str(tmp_path))
    graph = parse(application.test_client().get("/.well-known/void").get_data(), "text/turtle")
    triples = int(graph.value(next(graph.subjects(rdflib.RDF.type, DCAT.Dataset)), VOID.triples))
    assert triples == (42 if same_graph else curated_release.triples)


def test_public_url_setting_names_the_download_urls(app_factory, releases_dir, curated_release):
    application = app_factory(releases_dir=str(releases_dir), public_url="https://coopgraph.example.org")
    graph = parse(application.test_client().get("/dataset?format=turtle").get_data(), "text/turtle")
    urls = {str(o) for o in graph.objects(None, DCAT.downloadURL)}
    assert urls and all(
        u.startswith(f"https://coopgraph.example.org/download/{curated_release.version}/") for u in urls
    )


# --- /context.jsonld ----------------------------------------------------------------------------------------


def test_context_is_json_ld_for_any_origin(web):
    response = web.get("/context.jsonld", headers={"Origin": "https://example.org"})
    assert response.status_code == 200 and response.mimetype == "application/ld+json"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    context = response.get_json(force=True)["@context"]
    assert context["Pairing"] == "cg:Pairing" and context["cg"] == "https://w3id.org/coopgraph/ontology#"
    assert web.get("/context.jsonld", headers={"If-None-Match": response.headers["ETag"]}).status_code == 304


def test_context_expands_a_document_to_ontology_terms(web):
    """A client that inlines the served context reads compact keys as coopgraph IRIs."""
    context = json.loads(web.get("/context.jsonld").get_data())["@context"]
    document = {
        "@context": context,
        "@id": "https://example.org/testville",
        "@type": "Municipality",
        "label": {"en": "Testville"},
    }
    triples = {(q.predicate.value, str(q.object)) for q in ox.parse(json.dumps(document), format=ox.RdfFormat.JSON_LD)}
    assert (
        "http://www.w3.org/1999/02/22-rdf-syntax-ns#type",
        "<https://w3id.org/coopgraph/ontology#Municipality>",
    ) in triples
    assert ("http://www.w3.org/2000/01/rdf-schema#label", '"Testville"@en') in triples


# --- end to end, through the real server ------------------------------------------------------------------------


def test_live_server_ranges_conditional_get_and_description(live_server, curated_release):
    item = dump_of(curated_release, "jsonld")
    url = f"{live_server.url}/download/{curated_release.version}/{item.name}"
    digest = hashlib.sha256()
    with requests.get(url, stream=True, timeout=30) as response:
        assert response.status_code == 200 and response.headers["ETag"] == f'"{item.sha256}"'
        for chunk in response.iter_content(65536):
            digest.update(chunk)
    assert digest.hexdigest() == item.sha256
    partial = requests.get(url, headers={"Range": "bytes=0-9"}, timeout=30)
    assert partial.status_code == 206 and partial.content == (curated_release.path / item.name).read_bytes()[:10]
    assert requests.get(url, headers={"If-None-Match": f'"{item.sha256}"'}, timeout=30).status_code == 304
    void = requests.get(f"{live_server.url}/.well-known/void", headers={"Accept": "application/ld+json"}, timeout=60)
    assert void.status_code == 200 and void.headers["Content-Type"].startswith("application/ld+json")
    graph = parse(void.content, "application/ld+json")
    dataset = next(graph.subjects(rdflib.RDF.type, DCAT.Dataset))
    assert str(graph.value(dataset, DCAT.version)) == curated_release.version
    context = requests.get(f"{live_server.url}/context.jsonld", timeout=30)
    assert context.headers["Content-Type"].startswith("application/ld+json")
    assert context.headers["Access-Control-Allow-Origin"] == "*"
    # The standard the dataset conforms to is the ontology the site serves.
    (standard,) = graph.objects(dataset, rdflib.URIRef("http://purl.org/dc/terms/conformsTo"))
    ontology = requests.get(f"{live_server.url}/ontology", headers={"Accept": "text/turtle"}, timeout=30)
    assert ontology.headers["Content-Type"].startswith("text/turtle")
    assert (standard, rdflib.RDF.type, rdflib.OWL.Ontology) in parse(ontology.content, "text/turtle")
