"""Quality checks (queries/checks/*-violation.rq): none fires on the curated graph, each catches what it protects.

Each check also runs on a small broken sample, held inline, to show that it does report
the problem it is named after.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from conftest import ROOT

CHECKS = sorted((ROOT / "queries" / "checks").glob("*.rq"))
#: Checks over the named graphs of the data files, whose curated answer is a figure with a minimum rather
#: than none; tests/test_statement_sources.py tests them on named-graph samples.
GRAPH_CHECKS = {"statement-without-source-violation"}
EMPTY_ON_CURATED = [path for path in CHECKS if path.stem not in GRAPH_CHECKS]
ONTOLOGY = ROOT / "ontology" / "coopgraph.ttl"

PREFIXES = """
@prefix cg: <https://w3id.org/coopgraph/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix id: <https://w3id.org/coopgraph/id/> .
@prefix city: <https://w3id.org/coopgraph/id/city/> .
@prefix pairing: <https://w3id.org/coopgraph/id/pairing/> .
@prefix programme: <https://w3id.org/coopgraph/id/programme/> .
@prefix src: <https://w3id.org/coopgraph/id/source/> .
src:S1 a cg:WebSource ; rdfs:label "S1"@en .
city:alpha a cg:Municipality ; rdfs:label "Alpha"@en ; dct:source src:S1 .
city:beta a cg:Municipality ; rdfs:label "Beta"@en ; dct:source src:S1 .
programme:p a cg:Programme ; rdfs:label "P"@en ; dct:source src:S1 .
"""

#: For each check, a sample that breaks exactly what it protects.
BROKEN = {
    "missing-english-label-violation": 'city:gamma a cg:Municipality ; rdfs:label "ガンマ"@ja ; dct:source src:S1 .',
    "pairing-without-programme-or-participants-violation": "pairing:one-sided a cg:Pairing ; "
    'rdfs:label "One-sided"@en ; cg:isPairingIn programme:p ; '
    "cg:hasJapanSideParticipant city:alpha ; dct:source src:S1 .",
    "undefined-resource-violation": 'pairing:typo a cg:Pairing ; rdfs:label "Typo"@en ; cg:isPairingIn programme:p ; '
    "cg:hasJapanSideParticipant city:alpha ; cg:hasEuSideParticipant city:betta ; dct:source src:S1 .",
    "missing-source-violation": 'city:delta a cg:Municipality ; rdfs:label "Delta"@en .',
    "undefined-term-violation": "city:alpha cg:hasTheem city:beta .",
    "ontology-term-definition-violation": 'cg:Town a owl:Class ; rdfs:label "town"@en ; '
    'skos:definition "a town is a town"@en .',
}


def check_names() -> set[str]:
    return {path.stem for path in CHECKS}


def run(path: Path, store) -> list:
    text = path.read_text(encoding="utf-8")
    if isinstance(store, ox.Store):
        return list(store.query(text))
    return store.select(text)


def test_the_four_required_checks_exist():
    assert {
        "missing-english-label-violation",
        "pairing-without-programme-or-participants-violation",
        "undefined-resource-violation",
        "missing-source-violation",
    } <= check_names()
    assert all(name.endswith("-violation") for name in check_names())


@pytest.mark.parametrize("path", CHECKS, ids=lambda p: p.stem)
def test_check_opens_with_a_comment_saying_what_it_protects(path):
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# Protects:")


@pytest.mark.parametrize("path", EMPTY_ON_CURATED, ids=lambda p: p.stem)
def test_check_returns_no_rows_on_the_curated_graph(path, built_store):
    assert run(path, built_store) == []


@pytest.mark.parametrize("path", EMPTY_ON_CURATED, ids=lambda p: p.stem)
def test_check_catches_a_broken_sample(path):
    assert path.stem in BROKEN, f"add a broken sample for {path.stem}"
    store = ox.Store()
    store.load(ONTOLOGY.read_bytes(), ox.RdfFormat.TURTLE)
    store.load((PREFIXES + BROKEN[path.stem]).encode("utf-8"), ox.RdfFormat.TURTLE)
    query = path.read_text(encoding="utf-8")
    assert list(store.query(query)), f"{path.stem} did not catch its broken sample"
    # and the same store without the broken triples is clean
    clean = ox.Store()
    clean.load(ONTOLOGY.read_bytes(), ox.RdfFormat.TURTLE)
    clean.load(PREFIXES.encode("utf-8"), ox.RdfFormat.TURTLE)
    assert list(clean.query(query)) == []
