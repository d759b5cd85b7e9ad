"""Releases: every dump reads back as the store's graph, files match their checksums, the
description conforms to DCAT-AP 3 and its VoID counts are the store's."""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from click.testing import CliRunner

import dcat_ap
from conftest import MINI
from coopgraph import release as release_module
from coopgraph.cli import cli
from coopgraph.errors import NotFound, UsageError
from coopgraph.formats import RDF_FORMATS
from coopgraph.release import CHECKSUMS, DESCRIPTION, get_release, list_releases, make_release, read_release
from coopgraph.store.snapshots import SnapshotStore

VOID = rdflib.Namespace("http://rdfs.org/ns/void#")
DCAT = rdflib.Namespace("http://www.w3.org/ns/dcat#")
SPDX = rdflib.Namespace("http://spdx.org/rdf/terms#")


def isomorphic(first: rdflib.Graph, second: rdflib.Graph) -> bool:
    """Equal RDFC-1.0 canonical forms, i.e. isomorphic graphs.

    rdflib's own check takes minutes on the thousands of blank nodes of the statement records, which
    RDFC-1.0 tells apart at once by the terms each one holds.
    """
    return _canonical(first) == _canonical(second)


def _canonical(graph: rdflib.Graph) -> set[str]:
    dataset = ox.Dataset(ox.parse(graph.serialize(format="nt", encoding="utf-8"), format=ox.RdfFormat.N_TRIPLES))
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return {str(quad) for quad in dataset}


CG = "https://w3id.org/coopgraph/ontology#"


# --- reading dumps, and fixtures -------------------------------------------------------------


def to_rdflib(triples) -> rdflib.Graph:
    graph = rdflib.Graph()
    graph.parse(data=ox.serialize(list(triples), format=ox.RdfFormat.N_TRIPLES), format="nt")
    return graph


def store_graph(store, graph: str | None = None) -> rdflib.Graph:
    """The store's triples as the SPARQL endpoint sees them (one named graph, or the default union)."""
    result = store.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", default_graphs=[graph] if graph else None)
    return to_rdflib(result.triples)


def read_dump(path: Path, fmt: str) -> list[ox.Quad]:
    data = gzip.decompress(path.read_bytes()) if path.name.endswith(".gz") else path.read_bytes()
    return list(ox.parse(data, format=RDF_FORMATS[fmt].oxigraph))


@pytest.fixture(scope="module")
def snapshot_store(built_folder, curated_settings):
    store = SnapshotStore(curated_settings.iris, built_folder, workers=2)
    yield store
    store.close()


@pytest.fixture(scope="module")
def snapshot_release(snapshot_store, curated_settings, tmp_path_factory):
    """A release written from the serving store (snapshots, queries in worker processes)."""
    folder = tmp_path_factory.mktemp("snapshot-releases")
    return make_release(snapshot_store, curated_settings.with_overrides(releases_dir=str(folder)), version="snap")


@pytest.fixture(params=["memory", "snapshot"])
def store_and_release(request, built_store, curated_release):
    """The same assertions for a release from each store backend."""
    if request.param == "memory":
        return built_store, curated_release
    return request.getfixturevalue("snapshot_store"), request.getfixturevalue("snapshot_release")


@pytest.fixture(scope="module")
def description(curated_release) -> rdflib.Graph:
    return rdflib.Graph().parse(curated_release.path / DESCRIPTION, format="turtle")


# --- dumps --------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["turtle", "ntriples", "jsonld"])
def test_triple_dumps_read_back_as_the_store_graph(store_and_release, fmt):
    store, release = store_and_release
    item = next(f for f in release.files if f.format == fmt)
    dump = to_rdflib(q.triple for q in read_dump(release.path / item.name, fmt))
    reference = store_graph(store)
    assert len(reference) > 5000
    assert isomorphic(dump, reference)


@pytest.mark.parametrize("fmt", ["trig", "nquads"])
def test_quad_dumps_keep_every_named_graph(store_and_release, fmt):
    store, release = store_and_release
    item = next(f for f in release.files if f.format == fmt)
    by_graph: dict[str, list] = {}
    for quad in read_dump(release.path / item.name, fmt):
        by_graph.setdefault(quad.graph_name.value, []).append(quad.triple)
    iris = store.iris
    assert set(by_graph) == set(store.graphs())
    assert {iris.ontology_graph, iris.shapes_graph, iris.inferred_graph, iris.data_graph("places")} <= set(by_graph)
    for graph, triples in by_graph.items():
        assert isomorphic(to_rdflib(triples), store_graph(store, graph)), graph


def test_gzip_dump_is_reproducible(built_store, curated_release, tmp_path):
    """The same graph gives the same compressed bytes (no time stamp or name inside the gzip header)."""
    item = next(f for f in curated_release.files if f.compress == "gzip")
    again = release_module._write_dump(built_store, release_module.DUMPS[1], tmp_path, curated_release.version)
    assert again.name == item.name and again.sha256 == item.sha256


# --- checksums and sizes -------------------------------------------------------------------------


def test_files_match_their_sizes_and_checksums(curated_release):
    folder = curated_release.path
    listed = {}
    for line in (folder / CHECKSUMS).read_text(encoding="ascii").splitlines():
        digest, name = line.split("  ", 1)
        listed[name] = digest
    assert set(listed) == {f.name for f in curated_release.files} | {DESCRIPTION}
    for name, digest in listed.items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, name
    for item in curated_release.files:
        assert (folder / item.name).stat().st_size == item.bytes
        assert listed[item.name] == item.sha256
    assert read_release(folder).to_dict() == curated_release.to_dict()


def test_description_gives_each_file_its_size_checksum_and_url(curated_release, description):
    found = {}
    for distribution in description.subjects(rdflib.RDF.type, DCAT.Distribution):
        url = str(description.value(distribution, DCAT.downloadURL))
        checksum = description.value(distribution, SPDX.checksum)
        found[url.rsplit("/", 1)[-1]] = {
            "bytes": int(description.value(distribution, DCAT.byteSize)),
            "sha256": str(description.value(checksum, SPDX.checksumValue)),
            "algorithm": description.value(checksum, SPDX.algorithm),
            "url": url,
            "mediaType": str(description.value(distribution, DCAT.mediaType)),
        }
    assert set(found) == {f.name for f in curated_release.files}
    for name, entry in found.items():
        content = (curated_release.path / name).read_bytes()
        assert entry["bytes"] == len(content)
        assert entry["sha256"] == hashlib.sha256(content).hexdigest()
        assert entry["algorithm"] == SPDX.checksumAlgorithm_sha256
        assert entry["url"].endswith(f"/download/{curated_release.version}/{name}")
    assert found[f"coopgraph-{curated_release.version}.ttl"]["mediaType"].endswith("/text/turtle")


# --- CSV tables ------------------------------------------------------------------------------------


def read_table(release, name: str) -> list[dict]:
    item = next(f for f in release.files if f.name.endswith(f"-{name}.csv"))
    raw = (release.path / item.name).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 byte-order mark, for spreadsheets
    return list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))


def instances(store, *classes: str) -> set[str]:
    values = " ".join(f"<{CG}{c}>" for c in classes)
    rows = store.select(f"SELECT DISTINCT ?x WHERE {{ VALUES ?c {{ {values} }} ?x a ?c }}")
    return {row["x"].value for row in rows}


def test_tables_hold_one_row_per_instance(built_store, curated_release):
    assert {r["pairing"] for r in read_table(curated_release, "pairings")} == instances(built_store, "Pairing")
    assert {r["programme"] for r in read_table(curated_release, "programmes")} == instances(built_store, "Programme")
    cities = read_table(curated_release, "cities")
    assert len(cities) == len({r["city"] for r in cities})
    assert {r["city"] for r in cities} == instances(built_store, "Municipality", "MetropolitanAuthority")
    assert {r["document"] for r in read_table(curated_release, "documents")} == instances(built_store, "Document")


def test_tables_are_plain_values_that_refer_to_each_other(built_store, curated_release):
    programmes = {r["programme"] for r in read_table(curated_release, "programmes")}
    cities = {r["city"]: r for r in read_table(curated_release, "cities")}
    for row in read_table(curated_release, "pairings"):
        assert row["programme"] in programmes
        for side in ("japan_side_iris", "eu_side_iris"):
            for iri in filter(None, row[side].split(" | ")):
                assert iri.startswith("https://w3id.org/coopgraph/id/") and "@" not in iri
    # Japanese names survive the trip (the fixture data has kanji labels).
    labelled = [c for c in cities.values() if c["label_ja"]]
    assert labelled and all(not c["label_ja"].isascii() for c in labelled)


# --- the DCAT-AP description --------------------------------------------------------------------------


@pytest.mark.parametrize("profile", list(dcat_ap.PROFILES))
def test_description_conforms_to_dcat_ap_3(description, profile):
    results = dcat_ap.validate(description, profile)
    assert dcat_ap.violations(results) == []
    assert dcat_ap.unexpected_warnings(results) == []


def test_the_shapes_do_catch_a_broken_description(description):
    """Guard for the test above: the same shapes report a dataset without a title."""
    broken = rdflib.Graph()
    for triple in description:
        broken.add(triple)
    dataset = next(broken.subjects(rdflib.RDF.type, DCAT.Dataset))
    broken.remove((dataset, rdflib.URIRef("http://purl.org/dc/terms/title"), None))
    broken.add((dataset, DCAT.byteSize, rdflib.Literal("many")))
    for profile in dcat_ap.PROFILES:
        assert any(r["focus"] == dataset for r in dcat_ap.violations(dcat_ap.validate(broken, profile))), profile


def test_description_names_licence_theme_publisher_and_coverage(built_store, description):
    dataset = next(description.subjects(rdflib.RDF.type, DCAT.Dataset))
    dct = rdflib.Namespace("http://purl.org/dc/terms/")
    assert description.value(dataset, dct.license) == rdflib.URIRef("https://creativecommons.org/licenses/by/4.0/")
    assert set(description.objects(dataset, DCAT.theme)) == {
        rdflib.URIRef("http://publications.europa.eu/resource/authority/data-theme/REGI")
    }
    assert description.value(description.value(dataset, dct.publisher), rdflib.FOAF.name) is not None
    # Spatial coverage: exactly the Wikidata items of the parties in the graph.
    parties = {
        row["w"].value for row in built_store.select(f"SELECT ?w WHERE {{ ?p a <{CG}Party> ; <{CG}wikidata> ?w }}")
    }
    assert {str(o) for o in description.objects(dataset, dct.spatial)} == parties
    # Temporal coverage: spans every programme's period.
    period = description.value(dataset, dct.temporal)
    start = str(description.value(period, DCAT.startDate))
    end = str(description.value(period, DCAT.endDate))
    for row in built_store.select(
        f"SELECT ?d WHERE {{ ?p a <{CG}Programme> ; <https://schema.org/startDate>|<https://schema.org/endDate> ?d }}"
    ):
        assert start[:4] <= row["d"].value[:4] <= end[:4]


# --- VoID -------------------------------------------------------------------------------------------------


def rdflib_count(graph: rdflib.Graph, query: str) -> int:
    return int(next(iter(graph.query(query)))[0])


def test_void_counts_equal_the_store_counts(store_and_release):
    """Every VoID figure, recounted by another SPARQL engine (rdflib) over the store's graph."""
    store, release = store_and_release
    description = rdflib.Graph().parse(release.path / DESCRIPTION, format="turtle")
    data = store_graph(store)
    dataset = next(description.subjects(rdflib.RDF.type, DCAT.Dataset))
    space = str(description.value(dataset, VOID.uriSpace))
    assert space == store.iris.id_base

    def figure(prop):
        return int(description.value(dataset, VOID[prop]))

    assert figure("triples") == len(data) == rdflib_count(data, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    assert figure("distinctSubjects") == rdflib_count(data, "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s ?p ?o }")
    assert figure("distinctObjects") == rdflib_count(data, "SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE { ?s ?p ?o }")
    assert figure("entities") == rdflib_count(
        data,
        f'SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s ?p ?o FILTER(isIRI(?s) && STRSTARTS(STR(?s), "{space}")) }}',
    )
    classes = {
        str(r[0]): int(r[1])
        for r in data.query("SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?c FILTER(isIRI(?c)) } GROUP BY ?c")
    }
    properties = {str(r[0]): int(r[1]) for r in data.query("SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p")}
    assert figure("classes") == len(classes) and figure("properties") == len(properties)
    partitions = {
        str(description.value(p, VOID["class"])): int(description.value(p, VOID.entities))
        for p in description.objects(dataset, VOID.classPartition)
    }
    assert partitions == classes
    partitions = {
        str(description.value(p, VOID.property)): int(description.value(p, VOID.triples))
        for p in description.objects(dataset, VOID.propertyPartition)
    }
    assert partitions == properties


@pytest.mark.parametrize(
    "target, uri_space",
    [
        ("wikidata", "http://www.wikidata.org/entity/"),
        ("geonames", "https://sws.geonames.org/"),
        ("eurovoc", "http://eurovoc.europa.eu/"),
    ],
)
def test_void_linksets_count_the_links_to_each_dataset(built_store, description, target, uri_space):
    data = store_graph(built_store)
    expected = {
        str(r[0]): int(r[1])
        for r in data.query(
            f'SELECT ?p (COUNT(*) AS ?n) WHERE {{ ?s ?p ?o FILTER(isIRI(?o) && STRSTARTS(STR(?o), "{uri_space}")) }} '
            "GROUP BY ?p"
        )
    }
    assert expected, f"the curated graph links to {target}"
    found = {}
    for linkset in description.subjects(rdflib.RDF.type, VOID.Linkset):
        other = description.value(linkset, VOID.objectsTarget)
        if str(description.value(other, VOID.uriSpace)) == uri_space:
            found[str(description.value(linkset, VOID.linkPredicate))] = int(description.value(linkset, VOID.triples))
            assert description.value(linkset, VOID.subjectsTarget) in set(
                description.subjects(rdflib.RDF.type, DCAT.Dataset)
            )
    assert found == expected


def test_release_keeps_its_statistics(built_store, curated_release):
    from coopgraph.describe.void import VoidStatistics, compute_statistics

    kept = VoidStatistics.from_dict(read_release(curated_release.path).statistics)
    assert kept == compute_statistics(built_store)
    assert kept.triples == curated_release.triples


def test_void_names_endpoint_dumps_and_example_resources(built_store, curated_release, description):
    dataset = next(description.subjects(rdflib.RDF.type, DCAT.Dataset))
    assert str(description.value(dataset, VOID.sparqlEndpoint)).endswith("/sparql")
    dumps = {str(o).rsplit("/", 1)[-1] for o in description.objects(dataset, VOID.dataDump)}
    assert dumps == {f.name for f in curated_release.files if f.kind == "dump"}
    examples = [str(o) for o in description.objects(dataset, VOID.exampleResource)]
    assert examples
    for iri in examples:
        assert built_store.ask(f"ASK {{ <{iri}> ?p ?o }}")


# --- writing releases safely ----------------------------------------------------------------------------


def test_a_release_is_not_overwritten_without_force(built_store, curated_settings, curated_release):
    settings = curated_settings.with_overrides(releases_dir=str(curated_release.path.parent))
    with pytest.raises(UsageError, match="already exists"):
        make_release(built_store, settings, version=curated_release.version)


@pytest.mark.parametrize("version", ["../escape", "a/b", ".hidden", "", "x" * 65, "two words"])
def test_unsafe_version_names_are_refused(mini_store, mini_settings, tmp_path, version):
    with pytest.raises(UsageError):
        make_release(mini_store, mini_settings.with_overrides(releases_dir=str(tmp_path)), version=version or " ")
    assert list(tmp_path.iterdir()) == []


def test_a_failed_release_leaves_nothing_behind(mini_store, mini_settings, tmp_path, monkeypatch):
    def broken_export(store, fmt, output, *, view="all"):
        output.write(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(release_module, "write_export", broken_export)
    with pytest.raises(OSError):
        make_release(mini_store, mini_settings.with_overrides(releases_dir=str(tmp_path)), version="v1")
    assert list(tmp_path.iterdir()) == []


def test_force_replaces_a_release_and_listing_is_newest_first(mini_store, mini_settings, tmp_path):
    import datetime as dt

    settings = mini_settings.with_overrides(releases_dir=str(tmp_path))
    first = make_release(mini_store, settings, version="v1", now=dt.datetime(2030, 1, 1, tzinfo=dt.UTC))
    make_release(mini_store, settings, version="v2", now=dt.datetime(2030, 2, 1, tzinfo=dt.UTC))
    again = make_release(mini_store, settings, version="v1", force=True, now=dt.datetime(2030, 3, 1, tzinfo=dt.UTC))
    assert again.path == first.path and json.loads((again.path / "release.json").read_text())["created"].startswith(
        "2030-03-01"
    )
    assert [r.version for r in list_releases(tmp_path)] == ["v1", "v2"]
    assert get_release(tmp_path, "latest").version == "v1"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v1", "v2"]  # no staging folders left
    with pytest.raises(NotFound):
        get_release(tmp_path, "v3")
    # The description says when the dataset was first issued: the oldest release.
    description = rdflib.Graph().parse(again.path / DESCRIPTION, format="turtle")
    dataset = next(description.subjects(rdflib.RDF.type, DCAT.Dataset))
    assert str(description.value(dataset, rdflib.URIRef("http://purl.org/dc/terms/issued"))) == "2030-01-01"
    assert str(description.value(dataset, DCAT.version)) == "v1"


def test_cli_release_on_the_miniature_project(tmp_path):
    out = tmp_path / "release"
    result = CliRunner().invoke(cli, ["--root", str(MINI), "release", "--version", "mini-1", "-o", str(out)])
    assert result.exit_code == 0, result.output
    made = read_release(out)
    assert made.version == "mini-1" and "coopgraph-mini-1.ttl" in result.output
    assert len(read_dump(out / "coopgraph-mini-1.ttl", "turtle")) > 50
    again = CliRunner().invoke(cli, ["--root", str(MINI), "release", "--version", "mini-1", "-o", str(out)])
    assert again.exit_code == 2 and "already exists" in again.output
