"""The benchmark data generator: deterministic, the requested size, and data the real build accepts.

Only small sizes here; the benchmarks themselves (benchmarks/run.py) are never run by the tests.
"""

from __future__ import annotations

import filecmp
import importlib.util

import pytest

from conftest import ROOT, make_settings
from coopgraph.knowledge.build import build
from coopgraph.namespaces import ONTOLOGY, RDF_TYPE


@pytest.fixture(scope="module")
def generate():
    spec = importlib.util.spec_from_file_location("benchmark_generate", ROOT / "benchmarks" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def small_project(generate, tmp_path_factory):
    folder = tmp_path_factory.mktemp("bench") / "small"
    manifest = generate.write_project(folder, 4000)
    return folder, manifest


def test_size_is_the_requested_one(generate):
    for target in (3000, 20_000):
        size = sum(len(triples) for triples in generate.generate(target).values())
        assert target <= size < target * 1.01


def test_same_seed_same_bytes_other_seed_other_data(generate, small_project, tmp_path):
    folder, _ = small_project
    generate.write_project(tmp_path / "again", 4000)
    generate.write_project(tmp_path / "other", 4000, seed=7)
    names = sorted(p.name for p in (folder / "data").iterdir())
    match, mismatch, errors = filecmp.cmpfiles(folder / "data", tmp_path / "again" / "data", names, shallow=False)
    assert match == names and not mismatch and not errors
    _, differ, _ = filecmp.cmpfiles(folder / "data", tmp_path / "other" / "data", names, shallow=False)
    assert differ


def test_the_real_build_accepts_the_synthetic_data(small_project):
    folder, manifest = small_project
    store, report = build(make_settings(folder))
    assert report.ok and report.validation.conforms, report.validation.to_text()
    assert report.reasoning.inferred > 0
    data = [g for g in store.graphs() if g.startswith(store.iris.graph_base + "data/")]
    assert sum(store.count(g) for g in data) == manifest["triples"]

    # shaped like the curated data: every kind of resource, names in English and Japanese
    counts = {
        row["c"].value: int(row["n"].value)
        for row in store.select("SELECT ?c (COUNT(?x) AS ?n) WHERE { ?x a ?c } GROUP BY ?c", default_graphs=data)
    }
    for kind in (
        "Party",
        "PublicBody",
        "Country",
        "Prefecture",
        "Region",
        "Municipality",
        "Programme",
        "Pairing",
        "Theme",
        "Document",
        "File",
        "WebSource",
        "Meeting",
        "CooperationAgreement",
    ):
        assert counts.get(ONTOLOGY + kind, 0) > 0, kind
    assert store.ask(
        "ASK { ?x <http://www.w3.org/2000/01/rdf-schema#label> ?l FILTER(lang(?l) = 'ja') }", default_graphs=data
    )

    # only terms the ontology declares
    used = {
        row["t"].value
        for row in store.select(
            f"SELECT DISTINCT ?t WHERE {{ {{ ?s ?t ?o }} UNION {{ ?s <{RDF_TYPE}> ?t }} "
            f"FILTER(STRSTARTS(STR(?t), '{ONTOLOGY}')) }}",
            default_graphs=data,
        )
    }
    declared = {
        row["t"].value
        for row in store.select(
            f"SELECT DISTINCT ?t WHERE {{ ?t <{RDF_TYPE}> ?kind }}", default_graphs=[store.iris.ontology_graph]
        )
    }
    assert used and used <= declared, used - declared


def test_every_name_is_obviously_synthetic(small_project):
    folder, _ = small_project
    store, _ = build(make_settings(folder), validate=False)
    data = [g for g in store.graphs() if g.startswith(store.iris.graph_base + "data/")]
    labels = store.select("SELECT ?l WHERE { ?x <http://www.w3.org/2000/01/rdf-schema#label> ?l }", default_graphs=data)
    assert labels and all(any(mark in row["l"].value for mark in ("Synth", "Shinse", "シンセ")) for row in labels)


def test_parameter_values_bind_every_required_parameter_to_a_resource_with_an_answer(generate, small_project):
    """The bound stored queries of the benchmarks time real lookups: each required parameter gets a
    resource of the synthetic graph (the examples are real resources, absent there)."""
    from coopgraph.queries import bind_parameters, load_stored_queries

    folder, _ = small_project
    settings = make_settings(folder)
    store, _ = build(settings)
    queries, _ = load_stored_queries(settings.queries_dir, settings.iris.prefixes())
    statement_sources = queries["statement-sources"]
    raw = generate.parameter_values(statement_sources, store)
    assert "synth" in raw["subject"]
    bindings = bind_parameters(statement_sources, raw, store, settings.iris.prefixes())
    assert store.query(statement_sources.text, bindings=bindings).rows
    for name, query in queries.items():
        raw = generate.parameter_values(query, store)
        if raw is not None:
            required = {p.name for p in query.parameters if p.required and p.default is None}
            assert required <= set(raw), name
