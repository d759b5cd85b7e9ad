"""The ontology: metadata, labels and definitions, domains and ranges, reuse, and what reasoning derives."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS

from conftest import ROOT
from coopgraph.namespaces import Iris

CG = rdflib.Namespace("https://w3id.org/coopgraph/ontology#")
ORG = rdflib.Namespace("http://www.w3.org/ns/org#")
PROV = rdflib.Namespace("http://www.w3.org/ns/prov#")
FOAF = rdflib.Namespace("http://xmlns.com/foaf/0.1/")
DCAT = rdflib.Namespace("http://www.w3.org/ns/dcat#")
GEO = rdflib.Namespace("http://www.w3.org/2003/01/geo/wgs84_pos#")
SCHEMA = rdflib.Namespace("https://schema.org/")
ONTOLOGY = rdflib.URIRef("https://w3id.org/coopgraph/ontology")
ID = Iris().id_base

#: Properties whose subject may be a resource of any class (documented in their definitions).
OPEN_DOMAIN = {CG.wikidata, CG.wikidataConfidence, CG.eurovoc, CG.confidence}
#: Properties whose value is an external identifier or any resource, so no class is stated.
OPEN_RANGE = {CG.wikidata, CG.geonames, CG.eurovoc, CG.eli, CG.concerns, CG.isClaimAbout}


@pytest.fixture(scope="module")
def onto() -> rdflib.Graph:
    return rdflib.Graph().parse(ROOT / "ontology" / "coopgraph.ttl")


def ours(graph, kind):
    return sorted(s for s in graph.subjects(RDF.type, kind) if str(s).startswith(str(CG)))


def english(graph, subject, predicate):
    return [o for o in graph.objects(subject, predicate) if getattr(o, "language", None) == "en"]


def test_one_editable_ontology_file_that_pyoxigraph_parses():
    files = sorted(p.name for p in (ROOT / "ontology").iterdir() if p.suffix in (".ttl", ".owl", ".rdf", ".jsonld"))
    assert files == ["coopgraph.ttl"]
    assert list(ox.parse(path=str(ROOT / "ontology" / "coopgraph.ttl")))


def test_ontology_metadata(onto):
    assert (ONTOLOGY, RDF.type, OWL.Ontology) in onto
    assert english(onto, ONTOLOGY, DCTERMS.title)
    assert english(onto, ONTOLOGY, DCTERMS.description)
    assert onto.value(ONTOLOGY, OWL.versionInfo) is not None
    assert onto.value(ONTOLOGY, DCTERMS.license) == rdflib.URIRef("https://creativecommons.org/licenses/by/4.0/")
    creator = onto.value(ONTOLOGY, DCTERMS.creator)
    assert creator is not None and onto.value(creator, FOAF.name) is not None


def test_required_classes_exist(onto):
    required = {
        "Party",
        "PublicBody",
        "Agreement",
        "Provision",
        "LetterOfIntent",
        "PolicyDialogue",
        "Meeting",
        "Summit",
        "Programme",
        "Pairing",
        "Municipality",
        "Region",
        "Prefecture",
        "Country",
        "LocalInitiative",
        "Study",
        "Document",
        "File",
        "Theme",
        "Source",
        "Claim",
        "Disagreement",
    }
    assert {str(c)[len(str(CG)) :] for c in ours(onto, OWL.Class)} >= required


@pytest.mark.parametrize("kind", [OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty])
def test_every_term_has_an_english_label_and_a_definition_in_style(onto, kind):
    for term in ours(onto, kind):
        labels = english(onto, term, RDFS.label)
        definitions = english(onto, term, SKOS.definition)
        assert len(labels) == 1, term
        assert len(definitions) == 1, term
        text, label = str(definitions[0]), str(labels[0]).lower()
        assert text[0].isupper() and text.endswith("."), term
        assert not text.lower().startswith((label + " ", "a " + label + " ", "an " + label + " ")), term


def test_japanese_labels_where_a_standard_term_exists(onto):
    expected = {
        "Country": "国",
        "Prefecture": "都道府県",
        "Municipality": "市町村",
        "Agreement": "協定",
        "Document": "文書",
        "Source": "出典",
        "Meeting": "会議",
        "PolicyDialogue": "政策対話",
    }
    for name, label in expected.items():
        assert rdflib.Literal(label, lang="ja") in set(onto.objects(CG[name], RDFS.label)), name


def test_every_property_has_a_domain_and_a_range(onto):
    for prop in ours(onto, OWL.ObjectProperty) + ours(onto, OWL.DatatypeProperty):
        if prop not in OPEN_DOMAIN:
            assert onto.value(prop, RDFS.domain) is not None, f"{prop} has no domain"
        if prop not in OPEN_RANGE:
            assert onto.value(prop, RDFS.range) is not None, f"{prop} has no range"


def test_datatype_ranges_match_what_the_data_writes(onto):
    assert onto.value(CG.startYear, RDFS.range) == rdflib.XSD.gYear
    assert onto.value(CG.municipalityCode, RDFS.range) == rdflib.XSD.string
    # a signing date may be a day or only a month, so no single datatype is imposed
    assert onto.value(CG.signingDate, RDFS.range) == RDFS.Literal


def test_inverse_properties_for_both_directions(onto):
    pairs = [
        (CG.hasParticipant, CG.participatesIn),
        (CG.isPairingIn, CG.hasPairing),
        (CG.involves, CG.takesPartIn),
        (CG.isProvisionOf, CG.hasProvision),
        (CG.hasParty, CG.isPartyTo),
        (CG.isStrandOf, CG.hasStrand),
        (CG.hasClaim, CG.isClaimIn),
        (ORG.subOrganizationOf, ORG.hasSubOrganization),
        (SKOS.broader, SKOS.narrower),
    ]
    for forward, backward in pairs:
        assert (forward, OWL.inverseOf, backward) in onto, forward
    assert (CG.hasEuSideParticipant, RDFS.subPropertyOf, CG.hasParticipant) in onto
    assert (CG.hasJapanSideParticipant, RDFS.subPropertyOf, CG.hasParticipant) in onto


def test_standard_vocabularies_are_reused(onto):
    expected = [
        (CG.Organisation, ORG.Organization),
        (CG.Person, FOAF.Person),
        (CG.Theme, SKOS.Concept),
        (CG.Source, PROV.Entity),
        (CG.Document, FOAF.Document),
        (CG.File, DCAT.Distribution),
        (CG.Place, GEO.SpatialThing),
        (CG.Event, SCHEMA.Event),
        (CG.Party, FOAF.Agent),
    ]
    for cls, parent in expected:
        assert (cls, RDFS.subClassOf, parent) in onto, cls


def test_nothing_is_asserted_on_external_terms_but_their_own_axioms(onto):
    # ORG's and SKOS's own inverse, subproperty and transitivity axioms are restated; nothing else
    for subject, predicate, obj in onto:
        if isinstance(subject, rdflib.URIRef) and not str(subject).startswith(str(CG)) and subject != ONTOLOGY:
            assert predicate in (OWL.inverseOf, RDFS.subPropertyOf) or (predicate, obj) == (
                RDF.type,
                OWL.TransitiveProperty,
            ), (subject, predicate)


def test_only_constructs_the_reasoner_supports(onto):
    unsupported = {OWL.Restriction, OWL.FunctionalProperty, OWL.InverseFunctionalProperty, OWL.AllDisjointClasses}
    assert not [s for s, _, o in onto.triples((None, RDF.type, None)) if o in unsupported]
    for predicate in (
        OWL.unionOf,
        OWL.intersectionOf,
        OWL.hasKey,
        OWL.disjointWith,
        OWL.sameAs,
        OWL.someValuesFrom,
        OWL.allValuesFrom,
    ):
        assert not list(onto.triples((None, predicate, None))), predicate
    chains = list(onto.objects(None, OWL.propertyChainAxiom))
    assert chains and all(len(list(rdflib.collection.Collection(onto, c))) == 2 for c in chains)


# --- what reasoning derives on the built graph -------------------------------------------


def ask(store, query: str) -> bool:
    return store.ask("PREFIX cg: <https://w3id.org/coopgraph/ontology#> PREFIX id: <%s> " % ID + query)


def test_reasoning_adds_inverse_links(built_store):
    assert ask(built_store, "ASK { <%scity/koriyama> cg:participatesIn <%spairing/iuc-koriyama-essen> }" % (ID, ID))
    count = built_store.select(
        "PREFIX cg: <https://w3id.org/coopgraph/ontology#> "
        "SELECT (COUNT(?p) AS ?n) WHERE { <%sprogramme/iuc> cg:hasPairing ?p }" % ID
    )
    assert count[0]["n"].value == "10"


def test_reasoning_applies_property_chains(built_store):
    # a city takes part in a programme through its pairing
    assert ask(built_store, "ASK { <%scity/obuse> cg:takesPartIn <%sprogramme/iurc> }" % (ID, ID))
    # Article 25 binds the parties of its agreement
    assert ask(built_store, "ASK { <%sprovision/spa-article-25> cg:binds <%scountry/japan> }" % (ID, ID))


def test_reasoning_applies_class_hierarchy_and_transitivity(built_store):
    assert ask(
        built_store,
        "ASK { <%scity/kyoto> a <http://www.w3.org/ns/org#Organization> , "
        "<http://www.w3.org/2003/01/geo/wgs84_pos#SpatialThing> }" % ID,
    )
    assert ask(
        built_store,
        "ASK { <%sorganisation/dg-regio> "
        "<http://www.w3.org/ns/org#transitiveSubOrganizationOf> <%sparty/eu> }" % (ID, ID),
    )
    assert ask(built_store, "ASK { <%scity/kyoto> cg:isLocatedIn <%scountry/japan> }" % (ID, ID))
    assert ask(
        built_store,
        "ASK { <%stheme/climate-change> <http://www.w3.org/2004/02/skos/core#narrower> "
        "<%stheme/climate-change-adaptation> }" % (ID, ID),
    )
