"""The curated data: every file parses; sample entities carry their labels, identifiers, dates, pairings and sources
exactly as the sources give them; and nothing from the fact sheet's 'Unconfirmed' list is stated.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pyoxigraph as ox
import pyshacl
import pytest
import rdflib
from rdflib.namespace import DCAT, SH, XSD

from conftest import ROOT
from coopgraph.namespaces import Iris

ID = Iris().id_base
PREFIXES = f"""PREFIX cg: <https://w3id.org/coopgraph/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dct: <http://purl.org/dc/terms/>
PREFIX schema: <https://schema.org/>
PREFIX geo: <http://www.w3.org/2003/01/geo/wgs84_pos#>
PREFIX id: <{ID}>
"""
DATA_FILES = sorted((ROOT / "data").glob("*.ttl"))


def values(store, subject: str, predicate: str, lang: str | None = None) -> set[str]:
    rows = store.select(PREFIXES + f"SELECT ?o WHERE {{ <{ID}{subject}> {predicate} ?o }}")
    return {r["o"].value for r in rows if lang is None or getattr(r["o"], "language", None) == lang}


def sources(store, subject: str) -> set[str]:
    return values(store, subject, "dct:source/dct:identifier")


@pytest.mark.parametrize("path", DATA_FILES, ids=lambda p: p.stem)
def test_data_file_parses_with_pyoxigraph(path):
    assert list(ox.parse(path=str(path)))


def test_topic_files():
    stems = {p.stem for p in DATA_FILES}
    assert {
        "parties-and-bodies",
        "agreements",
        "dialogues-and-meetings",
        "programme-world-cities",
        "programme-iuc",
        "programme-iurc",
        "programme-region-to-region",
        "places",
        "themes",
        "documents-and-studies",
        "sources",
        "claims",
    } <= stems


def test_data_uses_the_canonical_base_and_no_sameas():
    for path in DATA_FILES:
        text = path.read_text(encoding="utf-8")
        assert "owl:sameAs" not in text and "http://www.w3.org/2002/07/owl#sameAs" not in text, path.name
        for iri in re.findall(r"<(https?://[^>]*coopgraph[^>]*)>", text):
            assert iri.startswith(("https://w3id.org/coopgraph/id/", "https://w3id.org/coopgraph/ontology#")), iri


# --- labels in English and Japanese ---------------------------------------------------------


@pytest.mark.parametrize(
    "subject, en, ja",
    [
        ("city/koriyama", "Koriyama", "郡山市"),
        ("city/obuse", "Obuse", "小布施町"),
        ("city/kyoto", "Kyoto", "京都市"),
        ("prefecture/kyoto", "Kyoto Prefecture", "京都府"),
        ("prefecture/hokkaido", "Hokkaido", "北海道"),
        ("city/essen", "Essen", "エッセン市"),
        ("metropolitan-authority/venice-metropolitan-city", "Venice Metropolitan City", "ベネチア都市圏"),
        ("organisation/dg-regio", "Directorate-General for Regional and Urban Policy", "欧州委員会地域・都市政策総局"),
        ("organisation/mlit", "Ministry of Land, Infrastructure, Transport and Tourism", "国土交通省"),
        ("organisation/mlit-city-bureau", "MLIT City Bureau", "都市局"),
        (
            "organisation/mlit-national-spatial-planning-and-regional-policy-bureau",
            "MLIT National Spatial Planning and Regional Policy Bureau",
            "国土政策局",
        ),
        ("organisation/eu-delegation-to-japan", "Delegation of the European Union to Japan", "駐日欧州連合代表部"),
        ("party/eu", "European Union", "欧州連合"),
        ("programme/iuc", "International Urban Cooperation", "国際都市間協力"),
        ("programme/iurc", "International Urban and Regional Cooperation", "国際都市地域間協力"),
        ("agreement/spa", "EU-Japan Strategic Partnership Agreement", "日EU戦略的パートナーシップ協定"),
        ("person/sakaki-shinichi", "Sakaki Shin'ichi", "榊真一"),
    ],
)
def test_english_and_japanese_labels(built_store, subject, en, ja):
    assert values(built_store, subject, "rdfs:label", "en") == {en}
    assert values(built_store, subject, "rdfs:label", "ja") == {ja}


def test_abbreviations_and_former_names(built_store):
    assert "DG REGIO" in values(built_store, "organisation/dg-regio", "skos:altLabel")
    assert "欧州委員会地域政策総局" in values(built_store, "organisation/dg-regio", "cg:formerName")
    assert {"MLIT", "国交省"} <= values(built_store, "organisation/mlit", "skos:altLabel")
    assert values(built_store, "organisation/dg-regio", "cg:crossrefFunderId") == {"100013972", "501100000886"}


# --- places --------------------------------------------------------------------------------


def test_koriyama_identifiers_exactly_as_the_sources_give_them(built_store):
    city = "city/koriyama"
    assert values(built_store, city, "cg:municipalityCode") == {"07203"}
    assert values(built_store, city, "cg:isInPrefecture") == {ID + "prefecture/fukushima"}
    assert values(built_store, city, "cg:wikidata") == {"http://www.wikidata.org/entity/Q264206"}
    assert values(built_store, city, "cg:wikidataConfidence") == {"https://w3id.org/coopgraph/ontology#highConfidence"}
    assert values(built_store, city, "cg:geonames") == {"https://sws.geonames.org/2112141/"}
    assert values(built_store, city, "geo:lat") == {"37.4003"}
    assert values(built_store, city, "geo:long") == {"140.3597"}
    assert {"G1", "G2", "G3", "G6"} <= sources(built_store, city)


def test_every_japanese_municipality_has_kanji_prefecture_and_code(built_store):
    rows = built_store.select(
        PREFIXES
        + """
        SELECT ?city ?code ?ja WHERE { ?city a cg:Municipality ; cg:isInPrefecture ?p ; cg:municipalityCode ?code ;
          rdfs:label ?ja . FILTER(lang(?ja) = "ja") }"""
    )
    assert len(rows) == 20
    assert all(re.fullmatch(r"\d{5}", r["code"].value) for r in rows)
    assert all(r["ja"].value.endswith(("市", "町")) for r in rows)


def test_single_source_identifiers_are_marked_medium(built_store):
    assert values(built_store, "city/obuse", "cg:wikidata") == {"http://www.wikidata.org/entity/Q1348977"}
    assert values(built_store, "city/obuse", "cg:wikidataConfidence") == {
        "https://w3id.org/coopgraph/ontology#mediumConfidence"
    }
    assert values(built_store, "city/rijeka", "cg:wikidata") == {"http://www.wikidata.org/entity/Q1647"}
    assert values(built_store, "city/leipzig", "cg:wikidataConfidence") == {
        "https://w3id.org/coopgraph/ontology#mediumConfidence"
    }


def test_prefectures_have_iso_codes_and_items(built_store):
    assert values(built_store, "prefecture/aichi", "cg:isoCode") == {"JP-23"}
    assert values(built_store, "prefecture/aichi", "cg:wikidata") == {"http://www.wikidata.org/entity/Q80434"}
    assert values(built_store, "prefecture/oita", "rdfs:label", "ja") == {"大分県"}


# --- agreements, dates ---------------------------------------------------------------------


def test_spa_dates_and_identifiers(built_store):
    spa = "agreement/spa"
    assert values(built_store, spa, "cg:signingDate") == {"2018-07-17"}
    assert values(built_store, spa, "cg:provisionalApplicationDate") == {"2019-02-01"}
    assert values(built_store, spa, "cg:entryIntoForceDate") == {"2025-01-01"}
    assert values(built_store, spa, "cg:celexNumber") == {"22018A0824(01)"}
    assert values(built_store, spa, "cg:eli") == {"http://data.europa.eu/eli/agree_internation/2018/1197/oj"}
    assert values(built_store, spa, "cg:isSignedIn/rdfs:label", "en") == {"Tokyo"}
    assert values(built_store, spa, "cg:hasSignatory/rdfs:label", "en") == {
        "Shinzō Abe",
        "Donald Tusk",
        "Jean-Claude Juncker",
    }
    assert {"S4", "S5", "S6", "S11"} <= sources(built_store, spa)


def test_letter_of_intent(built_store):
    loi = "agreement/letter-of-intent-2013"
    assert values(built_store, loi, "cg:signingDate") == {"2013-10-10"}
    assert values(built_store, loi, "cg:hasSignatory/rdfs:label") == {"Walter Deffaa"}
    assert values(built_store, loi, "cg:isSignedIn/rdfs:label") == {"Brussels"}
    assert {"S1", "S2"} <= sources(built_store, loi)


def test_summit_and_dialogue_dates(built_store):
    assert values(built_store, "event/2013-11-19-21st-eu-japan-summit", "schema:startDate") == {"2013-11-19"}
    assert values(built_store, "event/2013-11-19-21st-eu-japan-summit", "cg:isHeldIn/rdfs:label") == {"Tokyo"}
    assert values(built_store, "dialogue/territorial-dialogue", "schema:startDate") == {"2021-05-21"}
    assert values(built_store, "event/2020-11-24-iuc-japan-exchange-meeting-6", "cg:venue") == {"online"}


# --- programmes and pairings ---------------------------------------------------------------


@pytest.mark.parametrize(
    "pairing, japan, eu, year",
    [
        ("iuc-yokohama-frankfurt", {"yokohama"}, {"frankfurt-am-main"}, "2017"),
        ("iuc-koriyama-essen", {"koriyama"}, {"essen"}, "2017"),
        ("iuc-hirosaki-donostia", {"hirosaki"}, {"donostia-san-sebastian"}, "2017"),
        ("iuc-ichinomiya-ioannina", {"ichinomiya"}, {"ioannina"}, "2017"),
        ("iuc-ikoma-ancona", {"ikoma"}, {"ancona"}, "2017"),
        ("iuc-tokorozawa-bratislava", {"tokorozawa"}, {"bratislava"}, "2018"),
        ("iuc-toyota-grenoble", {"toyota"}, {"grenoble-alpes-metropole"}, "2018"),
        ("iuc-kamakura-umea", {"kamakura"}, {"umea"}, "2018"),
        ("iuc-kobe-marseille", {"kobe"}, {"marseille"}, "2019"),
        ("iuc-nagano-obuse-turku", {"nagano", "obuse"}, {"turku"}, "2019"),
    ],
)
def test_iuc_pairings(built_store, pairing, japan, eu, year):
    subject = "pairing/" + pairing
    assert {v.rsplit("/", 1)[1] for v in values(built_store, subject, "cg:hasJapanSideParticipant")} == japan
    assert {v.rsplit("/", 1)[1] for v in values(built_store, subject, "cg:hasEuSideParticipant")} == eu
    assert values(built_store, subject, "cg:startYear") == {year}
    assert values(built_store, subject, "cg:isPairingIn") == {ID + "programme/iuc"}
    assert sources(built_store, subject)


def test_uncertain_pairing_facts_carry_their_confidence(built_store):
    medium = "https://w3id.org/coopgraph/ontology#mediumConfidence"
    assert values(built_store, "pairing/iuc-ichinomiya-ioannina", "cg:confidence") == {medium}
    assert values(built_store, "pairing/iuc-nagano-obuse-turku", "cg:confidence") == {medium}
    assert values(built_store, "pairing/iuc-koriyama-essen", "cg:confidence") == set()


def test_region_to_region_strand(built_store):
    involved = values(built_store, "programme/iurc-region-to-region", "cg:involves")
    regions = {v.rsplit("/", 1)[1] for v in involved if "/region/" in v}
    prefectures = {v.rsplit("/", 1)[1] for v in involved if "/prefecture/" in v}
    assert regions == {
        "val-d-oise",
        "emilia-romagna",
        "basque-country",
        "ljubljana-urban-region",
        "auvergne-rhone-alpes",
        "catalonia",
    }
    assert prefectures == {"aichi", "hiroshima", "kyoto", "oita", "osaka"}
    assert values(built_store, "programme/iurc-region-to-region", "cg:isManagedBy/skos:altLabel") >= {"FPI", "DG REGIO"}
    assert values(built_store, "event/2023-06-r2r-visit-to-emilia-romagna", "cg:hasVisitor") == {
        ID + "prefecture/aichi",
        ID + "prefecture/hiroshima",
        ID + "prefecture/osaka",
    }


def test_world_cities_names_only_the_confirmed_japanese_cities(built_store):
    involved = values(built_store, "programme/world-cities-eu-japan", "cg:involves")
    assert {v.rsplit("/", 1)[1] for v in involved} == {"kitakyushu", "kumamoto", "toyama", "shimokawa"}
    assert values(built_store, "programme/world-cities-eu-japan", "cg:hasPairing") == set()
    # Leipzig is a fact only as host of the first two days of the second working meeting


def test_leipzig_hosted_only_the_first_two_days_of_the_second_working_meeting(built_store):
    """Audit correction (S58): after two days in Leipzig each pair went to its European partner."""
    whole = "event/2015-11-23-world-cities-second-working-meeting"
    assert values(built_store, whole, "cg:isHeldIn") == set()
    assert values(built_store, whole, "cg:isOrganisedBy") == set()
    assert values(built_store, whole, "schema:endDate") == {"2015-11-27"}
    days = "event/2015-11-23-world-cities-second-working-meeting-leipzig-days"
    assert (
        values(built_store, days, "cg:isHeldIn")
        == values(built_store, days, "cg:isOrganisedBy")
        == {ID + "city/leipzig"}
    )
    assert values(built_store, days, "schema:startDate") == {"2015-11-23"}
    assert values(built_store, days, "schema:endDate") == {"2015-11-24"}
    assert values(built_store, days, "cg:isCarriedOutWithin") == {ID + whole}


def test_iurc_cluster_statement_is_split_by_language(built_store):
    """Audit correction (S43): the Japanese cluster names stand alone under @ja, the English text under @en."""
    ja = values(built_store, "programme/iurc", "cg:themeStatement", "ja")
    assert ja == {
        "「エコ変革とグリーン・ディール」「都市・地域の再生と都市の貧困」「革新的で持続可能かつカーボンニュートラルな生態系及び戦略的課題分野」"
    }
    assert not any(re.search(r"[A-Za-z]", text) for text in ja)
    assert any(
        text.startswith("Global thematic clusters")
        for text in values(built_store, "programme/iurc", "cg:themeStatement", "en")
    )


def test_high_level_policy_dialogue_2023_has_no_place_s52_does_not_give(built_store):
    """Audit correction (S52): S52 places the exchange meeting, not the dialogue; the note says how it is read."""
    event = "event/2023-10-31-high-level-policy-dialogue"
    assert values(built_store, event, "cg:isHeldIn") == set() and values(built_store, event, "cg:venue") == set()
    assert any("How S52 is read" in note for note in values(built_store, event, "skos:note", "en"))


def test_eu_regions_are_the_visitors_of_the_2022_study_visit(built_store):
    """Audit correction (S49, S55): the six EU regions made the November 2022 trip, stated as fact, not in a note."""
    visitors = values(built_store, "event/2022-11-13-eu-regions-study-visit-to-japan", "cg:hasVisitor")
    assert {v.rsplit("/", 1)[1] for v in visitors} == {
        "val-d-oise",
        "emilia-romagna",
        "basque-country",
        "ljubljana-urban-region",
        "auvergne-rhone-alpes",
        "catalonia",
    }


# --- themes ----------------------------------------------------------------------------------


def test_themes_are_a_skos_hierarchy_mapped_to_eurovoc(built_store):
    assert values(built_store, "theme/climate-change", "skos:exactMatch") == {"http://eurovoc.europa.eu/5482"}
    assert values(built_store, "theme/smart-city", "skos:exactMatch") == {"http://eurovoc.europa.eu/c_d59e7560"}
    assert values(built_store, "theme/smart-city", "skos:prefLabel", "ja") == {"スマートシティ"}
    assert values(built_store, "theme/climate-change-adaptation", "skos:broader") == {ID + "theme/climate-change"}
    assert ID + "theme/climate-change-adaptation" in values(built_store, "theme/climate-change", "skos:narrower")
    # EuroVoc has no "urban policy" or "social inclusion" descriptor
    for theme in ("urban-policy", "social-inclusion"):
        assert values(built_store, "theme/" + theme, "skos:exactMatch|skos:closeMatch") == set()


def test_eurovoc_ids_come_from_the_fact_sheet(built_store):
    allowed = {
        "4619",
        "4809",
        "3281",
        "2691",
        "5433",
        "3377",
        "2515",
        "2516",
        "431",
        "2407",
        "221",
        "c_2a1a9fdc",
        "1056",
        "5482",
        "434786",
        "434743",
        "c_c9724a74",
        "385",
        "3324",
        "3318",
        "1773",
        "c_1138d9d2",
        "754",
        "4293",
        "1275",
        "4930",
        "c_d59e7560",
        "c_6f9a80e0",
        "1439",
        "c_20f6ad03",
        "c_b35395c8",
        "c_ef31184b",
        "413",
        "4074",
        "c_406ad4cc",
        "6850",
        "4512",
        "c_838aa925",
        "c_749f2ce9",
        "5585",
        "c_8f1cd55b",
        "216",
        "5323",
        "5501",
        "2512",
        "c_fa0acac6",
        "1524",
        "4038",
    }
    rows = built_store.select(
        "SELECT DISTINCT ?o WHERE { ?s ?p ?o FILTER(isIRI(?o) && STRSTARTS(STR(?o), 'http://eurovoc.europa.eu/')) }"
    )
    used = {r["o"].value.rsplit("/", 1)[1] for r in rows}
    assert used and used <= allowed, used - allowed


# --- documents -------------------------------------------------------------------------------


def test_documents_record_the_displayed_size(built_store):
    assert values(built_store, "file/letter-of-intent-2013-en-pdf", "cg:displayedSize") == {"92,4 KB"}
    assert values(built_store, "file/world-cities-final-report-en-pdf", "cg:displayedSize") == {"22.7 MB"}
    # seed-only facts (not cross-checked elsewhere) cite the DG REGIO page alone
    for subject in (
        "file/letter-of-intent-2013-en-pdf",
        "file/world-cities-final-report-en-pdf",
        "initiative/kamacon",
        "initiative/umecons",
    ):
        assert sources(built_store, subject) == {"S1"}


def test_byte_sizes_are_typed_as_dcat_3_gives_their_range():
    """DCAT 3 gives dcat:byteSize the range xsd:nonNegativeInteger: the data file says so."""
    graph = rdflib.Graph().parse(ROOT / "data" / "documents-and-studies.ttl")
    sizes = list(graph.objects(None, DCAT.byteSize))
    assert sizes and {size.datatype for size in sizes} == {XSD.nonNegativeInteger}


@pytest.mark.parametrize(
    ("size", "conforms"),
    [
        ('"92400"^^xsd:nonNegativeInteger', True),
        ('"92400"^^xsd:integer', True),  # what Oxigraph stores for any integer type
        ('"-1"^^xsd:integer', False),
        ('"92,4 KB"', False),
    ],
)
def test_the_file_shape_takes_a_size_in_whole_bytes_only(size, conforms):
    data = rdflib.Graph().parse(
        data=f"""@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
        <{ID}file/x> a <https://w3id.org/coopgraph/ontology#File> ;
            <http://www.w3.org/ns/dcat#byteSize> {size} .""",
        format="turtle",
    )
    shapes = rdflib.Graph().parse(ROOT / "shapes" / "coopgraph-shapes.ttl")
    _, report, _ = pyshacl.validate(data, shacl_graph=shapes, inference="none", advanced=True)
    on_size = set(report.subjects(SH.resultPath, DCAT.byteSize))
    assert (not on_size) is conforms


# --- sources -------------------------------------------------------------------------------


def test_the_source_register_is_complete(built_store):
    rows = built_store.select(
        PREFIXES + "SELECT ?key ?url WHERE { ?s a cg:Source ; dct:identifier ?key ; schema:url ?url }"
    )
    keys = {r["key"].value for r in rows}
    expected = {f"S{n}" for n in range(1, 73) if n != 70} | {f"G{n}" for n in range(1, 14)}
    assert keys == expected
    urls = {r["key"].value: r["url"].value for r in rows}
    assert urls["S1"] == "https://ec.europa.eu/regional_policy/policy/cooperation/international/japan_en"
    assert urls["S30"] == "https://note.com/iurc_japan_hd/n/n0f62d422b6cb"
    assert urls["G1"] == "https://github.com/nobuf/list-of-cities-in-japan"
    assert values(built_store, "source/G1", "cg:commit") == {"abffcb263d0fd92e5180ef7419909554fadf50c7"}
    assert values(built_store, "source/S1", "dct:publisher") == {ID + "organisation/dg-regio"}


def test_disagreements_keep_both_claims(built_store):
    rows = built_store.select(
        PREFIXES
        + """
        SELECT ?d (COUNT(DISTINCT ?c) AS ?n) WHERE { ?d a cg:Disagreement ; cg:hasClaim ?c } GROUP BY ?d"""
    )
    counts = {r["d"].value.rsplit("/", 1)[1]: int(r["n"].value) for r in rows}
    assert {"iurc-number-of-eu-cities", "r2r-number-of-eu-regions", "world-cities-start-year", "iurc-end-year"} <= set(
        counts
    )
    assert all(n >= 2 for n in counts.values())
    # the retained value is the one the resource states
    assert values(built_store, "programme/iurc", "cg:numberOfEuSideParticipants") == {"13"}
    assert values(built_store, "programme/iurc", "schema:endDate") == {"2023"}
    assert values(built_store, "programme/world-cities-eu-japan", "schema:startDate") == {"2015"}


# --- nothing unconfirmed ---------------------------------------------------------------------

UNCONFIRMED_IRIS = [
    "http://www.wikidata.org/entity/Q820496",  # G2's wrong item for Koriyama (it is Konan)
    "http://www.wikidata.org/entity/Q1269809",  # G2's conflicting item for Rijeka
    "http://www.wikidata.org/entity/Q183199",  # Ioannina, graded L
    "http://www.wikidata.org/entity/Q25579",  # Umeå, graded L
    "http://www.wikidata.org/entity/Q930396",  # "Nagano" in G2, not verified
    "http://publications.europa.eu/resource/authority/corporate-body/REGIO",
    "http://publications.europa.eu/resource/authority/country/JPN",
]


@pytest.mark.parametrize("iri", UNCONFIRMED_IRIS)
def test_unconfirmed_identifiers_are_absent(built_store, iri):
    assert not built_store.ask(f"ASK {{ {{ ?s ?p <{iri}> }} UNION {{ <{iri}> ?p ?o }} }}")


def test_no_wikidata_item_where_none_was_found(built_store):
    for subject in (
        "organisation/dg-regio",
        "organisation/mlit",
        "organisation/mlit-city-bureau",
        "organisation/mlit-national-spatial-planning-and-regional-policy-bureau",
        "programme/iuc",
        "programme/iurc",
        "programme/world-cities",
        "agreement/spa",
        "agreement/epa",
        "city/essen",
        "city/frankfurt-am-main",
        "city/donostia-san-sebastian",
        "city/lugo",
        "city/ancona",
        "metropolitan-authority/grenoble-alpes-metropole",
        "metropolitan-authority/greater-manchester",
        "city/shimokawa",
        "region/ljubljana-urban-region",
    ):
        assert values(built_store, subject, "cg:wikidata") == set(), subject
    for subject in ("city/obuse", "city/shimokawa"):
        assert values(built_store, subject, "cg:geonames") == set(), subject


def test_unconfirmed_statements_are_absent(built_store):
    # no title for Article 25, no EU cities or pairs for World Cities, no IURC theme for Tokorozawa-Bratislava
    assert values(built_store, "provision/spa-article-25", "dct:title") == set()
    assert not built_store.ask(PREFIXES + f"ASK {{ ?p cg:isPairingIn <{ID}programme/world-cities-eu-japan> }}")
    assert values(built_store, "pairing/iurc-tokorozawa-bratislava", "cg:hasTheme") == set()
    # no first name for Lemaître, no MLIT signatory of the Letter of Intent
    assert values(built_store, "person/lemaitre", "rdfs:label") == {"Lemaître", "ルメートル"}
    assert values(built_store, "agreement/letter-of-intent-2013", "cg:hasSignatory") == {ID + "person/walter-deffaa"}
    for path in DATA_FILES:
        text = path.read_text(encoding="utf-8")
        assert "Marc Lemaître" not in text and "Ministry of Labour" not in text, path.name


def test_every_source_link_points_to_the_register(built_store):
    rows = built_store.select(
        PREFIXES
        + """
        SELECT DISTINCT ?s ?source WHERE { ?s dct:source ?source FILTER NOT EXISTS { ?source a cg:Source } }"""
    )
    assert rows == []


# Coordinates the fact sheet (§5.5) adds: (resource, lat, long, the sources that give the point).
ADDED_POINTS = [
    ("city/essen", "51.45657", "7.01228", {"G9", "G10"}),
    ("city/frankfurt-am-main", "50.11552", "8.68417", {"G9", "G10"}),
    ("city/donostia-san-sebastian", "43.31283", "-1.97499", {"G9"}),
    ("city/lugo", "43.0", "-7.56667", {"G9"}),
    ("city/ancona", "43.59816", "13.51008", {"G9"}),
    ("metropolitan-authority/grenoble-alpes-metropole", "45.16667", "5.71667", {"G9"}),
    ("metropolitan-authority/greater-manchester", "53.48095", "-2.23743", {"G9"}),
    ("metropolitan-authority/venice-metropolitan-city", "45.43861", "12.32667", {"G9"}),
    ("region/ljubljana-urban-region", "46.05108", "14.50513", {"G9", "G10"}),
    ("region/emilia-romagna", "44.49381", "11.33875", {"G9"}),
    ("region/basque-country", "42.85", "-2.66667", {"G9"}),
    ("region/catalonia", "41.38879", "2.15899", {"G9", "G10"}),
    ("region/auvergne-rhone-alpes", "45.74846", "4.84671", {"G9"}),
    ("region/val-d-oise", "49.03645", "2.07613", {"G9"}),
    ("prefecture/aichi", "35.18147", "136.90641", {"G9", "G10"}),
    ("prefecture/hiroshima", "34.39627", "132.45937", {"G9"}),
    ("prefecture/kyoto", "35.02107", "135.75385", {"G9", "G10"}),
    ("prefecture/oita", "33.23806", "131.6125", {"G9"}),
    ("prefecture/osaka", "34.69374", "135.50218", {"G9", "G10"}),
    ("city/shimokawa", "44.3", "142.6333", {"G13"}),
]


@pytest.mark.parametrize("subject, lat, long, given_by", ADDED_POINTS, ids=[p[0] for p in ADDED_POINTS])
def test_added_coordinates_exactly_as_the_fact_sheet_gives_them(built_store, subject, lat, long, given_by):
    assert {Decimal(v) for v in values(built_store, subject, "geo:lat")} == {Decimal(lat)}
    assert {Decimal(v) for v in values(built_store, subject, "geo:long")} == {Decimal(long)}
    assert given_by <= sources(built_store, subject)


@pytest.mark.parametrize("subject", [s for s, *_ in ADDED_POINTS if not s.startswith("city/")])
def test_a_point_of_a_seat_or_capital_says_so(built_store, subject):
    """An authority's area is not a town: its point is its seat's or capital's, and the graph must say which."""
    notes = " ".join(values(built_store, subject, "skos:note", "en"))
    assert re.search(
        r"The point is that of its (seat|capital|prefecture \(seat\)), [^,]+ \(GeoNames feature \d+", notes
    ), notes


def test_every_pairing_participant_has_a_point(built_store):
    """What the map draws: every authority on either side of a pairing, of every programme, has coordinates."""
    rows = built_store.select(
        PREFIXES
        + """
        SELECT DISTINCT ?who WHERE { ?pairing cg:hasEuSideParticipant|cg:hasJapanSideParticipant ?who
          FILTER NOT EXISTS { ?who geo:lat ?lat ; geo:long ?long } }"""
    )
    assert [r["who"].value for r in rows] == []


def test_the_new_repository_sources_are_recorded(built_store):
    for gid, repo in [
        ("G9", "papajuans/zoneslider"),
        ("G10", "epam/epam-graphql"),
        ("G11", "soekdd/staedtl.de"),
        ("G12", "VannaDii/pub-dev"),
        ("G13", "piuccio/open-data-jp-municipalities"),
    ]:
        assert values(built_store, f"source/{gid}", "cg:repository") == {repo}
