"""The SHACL shapes: valid SHACL, one NodeShape per class, a message on every constraint, and they catch errors.

The broken sample below breaks one constraint per resource, on top of the curated graph, and
is checked with both engines: the build's compiled SPARQL and pySHACL.
"""

from __future__ import annotations

import pyshacl
import pytest
import rdflib
from rdflib.namespace import OWL, RDF

from conftest import ROOT
from coopgraph.formats import RDF_FORMATS
from coopgraph.knowledge.build import build_into, label_lookup, run_reasoning, run_validation, shapes_graph
from coopgraph.knowledge.validation import SUPPORTED, compile_shapes, read_shapes, validate_with_pyshacl
from coopgraph.namespaces import Iris
from coopgraph.store.embedded import OxigraphStore

SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")
CG = rdflib.Namespace("https://w3id.org/coopgraph/ontology#")
IRIS = Iris()
ID = IRIS.id_base


@pytest.fixture(scope="module")
def shapes() -> rdflib.Graph:
    graph = rdflib.Graph()
    for path in sorted((ROOT / "shapes").glob("*.ttl")):
        graph.parse(path)
    return graph


@pytest.fixture(scope="module")
def onto() -> rdflib.Graph:
    return rdflib.Graph().parse(ROOT / "ontology" / "coopgraph.ttl")


def test_shapes_are_valid_shacl(shapes):
    conforms, _, text = pyshacl.validate(shapes, shacl_graph=_shacl_shacl(), inference="none")
    assert conforms, text


def test_shapes_pass_pyshacl_meta_validation(shapes, onto):
    # meta_shacl=True makes pySHACL check the shapes against SHACL-for-SHACL before validating
    conforms, _, text = pyshacl.validate(
        onto, shacl_graph=shapes, meta_shacl=True, inference="none", allow_warnings=True, advanced=True
    )
    assert isinstance(conforms, bool), text


def _shacl_shacl() -> rdflib.Graph:
    from importlib.resources import files

    return rdflib.Graph().parse(files("pyshacl") / "assets" / "shacl-shacl.ttl")


def test_one_node_shape_per_class(shapes, onto):
    classes = {c for c in onto.subjects(RDF.type, OWL.Class) if str(c).startswith(str(CG))}
    targeted: dict = {}
    for shape in shapes.subjects(RDF.type, SH.NodeShape):
        targets = set(shapes.objects(shape, SH.targetClass))
        if len(targets) == 1:
            targeted.setdefault(next(iter(targets)), []).append(shape)
    missing = {c for c in classes if c not in targeted}
    assert not missing, f"classes without a NodeShape of their own: {sorted(missing)}"
    assert all(len(found) == 1 for found in targeted.values())


def test_only_the_supported_subset_is_used(shapes):
    used = {str(p)[len(str(SH)) :] for _, p, _ in shapes if str(p).startswith(str(SH))}
    allowed = SUPPORTED | {
        "path",
        "property",
        "message",
        "severity",
        "prefixes",
        "declare",
        "prefix",
        "namespace",
        "select",
        "inversePath",
        "flags",
    }
    assert used <= allowed, used - allowed
    read_shapes(shapes)  # raises on anything the compiler refuses
    assert compile_shapes(shapes, IRIS.prefixes())


def test_every_constraint_has_a_plain_english_message(shapes):
    for shape in set(shapes.objects(None, SH.property)) | set(shapes.subjects(SH.select, None)):
        messages = [m for m in shapes.objects(shape, SH.message) if m.language == "en"]
        if not messages and (shape, SH.sparql, None) in shapes:
            continue  # a property shape holding only a SPARQL constraint: the message is on the constraint
        assert len(messages) == 1, shape
        text = str(messages[0])
        assert text[0].isupper() and text.rstrip().endswith((".", ")")), text


def test_japanese_labels_and_missing_themes_are_warnings(shapes):
    for constraint in shapes.subjects(SH.select, None):
        message = str(shapes.value(constraint, SH.message))
        if "Japanese name" in message:
            holder = next(shapes.subjects(SH.sparql, constraint))
            assert shapes.value(holder, SH.severity) == SH.Warning


def test_the_curated_build_has_no_violation(curated_build):
    _, report = curated_build
    assert report.validation is not None
    assert report.validation.violations == []
    # the warnings only ask for Japanese names, themes and meeting places that the sources do not give
    for warning in report.validation.warnings:
        assert any(word in warning.message for word in ("Japanese name", "theme", "where the meeting")), warning


BROKEN = """
@prefix cg: <https://w3id.org/coopgraph/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix geo: <http://www.w3.org/2003/01/geo/wgs84_pos#> .
@prefix schema: <https://schema.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix id: <https://w3id.org/coopgraph/id/> .
@prefix city: <https://w3id.org/coopgraph/id/city/> .
@prefix pairing: <https://w3id.org/coopgraph/id/pairing/> .
@prefix programme: <https://w3id.org/coopgraph/id/programme/> .
@prefix src: <https://w3id.org/coopgraph/id/source/> .

city:bad-code a cg:Municipality ; rdfs:label "Bad code"@en , "悪い"@ja ;
    cg:isInPrefecture <https://w3id.org/coopgraph/id/prefecture/aichi> ;
    cg:isInCountry <https://w3id.org/coopgraph/id/country/japan> ;
    cg:municipalityCode "7203" ; dct:source src:S1 .
city:bad-qid a cg:Municipality ; rdfs:label "Bad item"@en ;
    cg:isInCountry <https://w3id.org/coopgraph/id/country/italy> ;
    cg:wikidata <http://www.wikidata.org/entity/X12> ; geo:lat "45.0"^^xsd:decimal ; dct:source src:S1 .
city:no-english a cg:Municipality ; rdfs:label "英語なし"@ja ;
    cg:isInCountry <https://w3id.org/coopgraph/id/country/italy> ;
    dct:source src:S1 .
city:no-source a cg:Municipality ; rdfs:label "No source"@en ;
    cg:isInCountry <https://w3id.org/coopgraph/id/country/italy> .
pairing:one-sided a cg:Pairing ; rdfs:label "One-sided"@en ;
    cg:hasEuSideParticipant city:essen ; cg:startYear "2017"^^xsd:gYear ;
    schema:startDate "2023"^^xsd:gYear ; schema:endDate "2021-11"^^xsd:gYearMonth ; dct:source src:S1 .
pairing:wrong-side a cg:Pairing ; rdfs:label "Wrong side"@en ; cg:isPairingIn programme:iuc ;
    cg:hasEuSideParticipant city:kyoto ; cg:hasJapanSideParticipant city:turin ;
    cg:selectionDate "2021-09-24"^^xsd:date ;
    cg:hasTheme city:nowhere ; dct:source src:S1 .
<https://w3id.org/coopgraph/id/claim/bad> a cg:Claim ; rdfs:label "Bad claim"@en ; cg:isClaimAbout programme:iurc ;
    cg:claimedProperty cg:numberOfEuSideParticipants ; cg:claimedValue "12"^^xsd:integer ; cg:isRetained true ;
    dct:source src:S1 .
"""

EXPECTED = {
    "city/bad-code": "A Japanese municipality code has five digits",
    "city/bad-qid": "Give at most one Wikidata item",
    "city/no-english": "Add an English name",
    "city/no-source": "Name the source(s)",
    "pairing/one-sided": "Name at least one authority on the Japanese side",
    "pairing/wrong-side": "A Japan-side participant must be a Japanese authority",
    "claim/bad": "The claim is marked as retained",
}


@pytest.fixture(scope="module")
def broken_store(curated_settings):
    store = OxigraphStore(IRIS)
    build_into(store, curated_settings)
    store.replace_graphs({IRIS.data_graph("broken"): BROKEN.encode("utf-8")}, RDF_FORMATS["turtle"])
    run_reasoning(store)
    return store


def results_by_focus(report) -> dict[str, list]:
    out: dict[str, list] = {}
    for r in report.results:
        out.setdefault(r.focus.value[len(ID) :], []).append(r)
    return out


def test_broken_sample_is_caught_with_plain_messages(broken_store):
    report = run_validation(broken_store)
    found = results_by_focus(report)
    for focus, message in EXPECTED.items():
        assert any(r.message.startswith(message) and r.severity == "Violation" for r in found.get(focus, [])), (
            focus,
            [r.message for r in found.get(focus, [])],
        )
    one_sided = {r.message for r in found["pairing/one-sided"]}
    assert any(m.startswith("Name the one programme") for m in one_sided)
    assert any(m.startswith("The end date (2021-11) is before the start date") for m in one_sided)
    assert any(
        m.startswith("An EU-side participant must not be a Japanese authority")
        for m in (r.message for r in found["pairing/wrong-side"])
    )
    assert any(r.component == "ClassConstraintComponent" for r in found["pairing/wrong-side"])
    assert any(
        m.startswith("Give the latitude and the longitude together") for m in (r.message for r in found["city/bad-qid"])
    )
    # nothing else in the curated graph is reported as a violation
    assert set(focus for focus, rs in found.items() if any(r.severity == "Violation" for r in rs)) == set(EXPECTED)


def test_both_engines_agree_on_the_broken_sample(broken_store):
    graph = rdflib.Graph()
    for name in broken_store.view("asserted"):
        graph.parse(data=broken_store.dump(RDF_FORMATS["ntriples"], graph=name), format="nt")
    reference = validate_with_pyshacl(
        graph, shapes_graph(broken_store), labels=label_lookup(broken_store), prefixes=IRIS.prefixes()
    )
    ours = run_validation(broken_store)
    assert sorted(r.key() for r in ours.results) == sorted(r.key() for r in reference.results)
