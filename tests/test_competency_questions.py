"""Competency questions: each stored query, run on the built graph, gives the answer the sources give.

One test per question of the knowledge issue. The expected values come from the sources
(the DG REGIO page and the project's fact sheet), not from the data files.
"""

from __future__ import annotations

import pytest

from conftest import ROOT
from coopgraph.namespaces import Iris
from coopgraph.queries import load_stored_queries, run_stored_query

ID = Iris().id_base


@pytest.fixture(scope="module")
def stored():
    queries, errors = load_stored_queries(ROOT / "queries", Iris().prefixes())
    assert errors == []
    return queries


@pytest.fixture(scope="module")
def ask(stored, built_store):
    """Run a stored query with parameters; return rows as dicts of plain strings."""

    def run(name: str, **params) -> list[dict[str, str]]:
        result, _ = run_stored_query(built_store, stored[name], params)
        return [{k: v.value for k, v in row.items()} for row in result.dicts()]

    return run


def split(value: str, separator: str = "; ") -> set[str]:
    return set(value.split(separator)) if value else set()


def test_every_question_has_a_stored_query_with_a_header(stored):
    expected = {
        "article-25-parties",
        "letter-of-intent",
        "dialogues",
        "programmes",
        "programme-pairings",
        "theme-cooperation",
        "city-cooperation",
        "timeline",
        "documents-and-studies",
        "organisation-hierarchy",
        "disputed-claims",
        "multi-programme-japanese-cities",
    }
    assert expected <= set(stored)
    for name in expected:
        query = stored[name]
        assert query.title and query.description and query.tags
        for parameter in query.parameters:
            assert parameter.example or parameter.default, (name, parameter.name)


def test_stored_queries_run_with_their_example_values(stored, built_store):
    for query in stored.values():
        result, _ = run_stored_query(built_store, query, query.example_values())
        assert result.rows, query.name


# 1. Which parties are bound by Article 25 of the SPA, and what does it ask of them?
def test_q1_article_25_binds_the_eu_its_member_states_and_japan(ask):
    rows = ask("article-25-parties")
    assert {r["partyLabel"] for r in rows} == {"European Union", "Member States of the European Union", "Japan"}
    assert {r["partyLabelJa"] for r in rows} == {"欧州連合", "欧州連合構成国", "日本"}
    text = rows[0]["text"]
    assert text.startswith(
        "The Parties shall enhance the exchange of experiences and good practices in the area of urban policies"
    )
    assert "demographic dynamics and climate change" in text
    assert "among their local governments or city authorities" in text
    assert {r["agreement"] for r in rows} == {ID + "agreement/spa"}
    assert rows[0]["sources"] == "S1"


def test_q1_other_articles_are_not_invented(ask):
    assert ask("article-25-parties", article="24") == []


# 2. Who signed the 2013 Letter of Intent, when and where, and what did it establish?
def test_q2_letter_of_intent(ask):
    rows = ask("letter-of-intent")
    assert len(rows) == 1
    letter = rows[0]
    assert letter["date"] == "2013-10-10"
    assert letter["placeLabel"] == "Brussels"
    assert split(letter["parties"]) == {"Directorate-General for Regional and Urban Policy", "MLIT City Bureau"}
    assert letter["signatories"] == "Walter Deffaa (Director-General of DG REGIO)"
    assert letter["established"] == ID + "dialogue/urban-policy-dialogue"
    assert letter["establishedLabel"] == "EU-Japan urban policy dialogue"
    assert {"S1", "S2"} <= split(letter["sources"], ", ")


# 3. Which dialogues exist between DG REGIO and MLIT, who takes part, since when, on which topics?
def test_q3_dialogues_between_dg_regio_and_mlit(ask):
    rows = {
        r["dialogue"].rsplit("/", 1)[1]: r
        for r in ask("dialogues", euBody=ID + "organisation/dg-regio", japanBody=ID + "organisation/mlit")
    }
    assert set(rows) == {"urban-policy-dialogue", "territorial-dialogue", "high-level-policy-dialogue"}
    urban = rows["urban-policy-dialogue"]
    assert urban["since"] == "2013-10-10"
    assert split(urban["bodies"]) == {"Directorate-General for Regional and Urban Policy", "MLIT City Bureau"}
    assert urban["establishedByLabel"].startswith("Letter of Intent")
    territorial = rows["territorial-dialogue"]
    assert territorial["since"] == "2021-05-21"
    assert "MLIT National Spatial Planning and Regional Policy Bureau" in split(territorial["bodies"])
    assert {
        "Demographic change and competitiveness",
        "Environmental sustainability, disaster risk reduction and climate change",
        "Regional innovation and smart specialisation",
    } <= split(territorial["topics"])
    assert split(territorial["people"]) == {"Sakaki Shin'ichi", "Nakahara Jun", "Lemaître"}
    high_level = rows["high-level-policy-dialogue"]
    assert high_level["since"] == "2023-10-31"
    assert split(high_level["people"]) == {"Normunds Popens", "Sachio Muto"}


def test_q3_dialogues_filter_by_body(ask):
    # only the 2021 dialogue involves the National Spatial Planning and Regional Policy Bureau
    rows = ask("dialogues", japanBody=ID + "organisation/mlit-national-spatial-planning-and-regional-policy-bureau")
    assert [r["dialogue"] for r in rows] == [ID + "dialogue/territorial-dialogue"]


# 4. Which programmes ran, over which periods, with how many pairings, on which themes?
def test_q4_programmes_periods_pairings_themes(ask):
    rows = {r["programme"].rsplit("/", 1)[1]: r for r in ask("programmes")}
    assert set(rows) == {"world-cities", "world-cities-eu-japan", "iuc", "iurc", "iurc-region-to-region"}
    iuc, iurc = rows["iuc"], rows["iurc"]
    assert (iuc["start"], iuc["end"], iuc["pairings"]) == ("2017", "2020", "10")
    assert iuc["programmeLabelJa"] == "国際都市間協力"
    assert iuc["participants"] == "21"  # 10 EU cities, 11 Japanese municipalities (Nagano and Obuse together)
    assert {"Smart city", "Clean and renewable energy", "Nature-based solutions"} <= split(iuc["themes"])
    assert (iurc["start"], iurc["end"], iurc["pairings"]) == ("2021", "2023", "10")
    assert (iurc["euSideStated"], iurc["japanSideStated"]) == ("13", "10")
    r2r = rows["iurc-region-to-region"]
    assert (r2r["start"], r2r["end"], r2r["pairings"], r2r["participants"]) == ("2021-11", "2023-11", "0", "11")
    assert r2r["partOfLabel"] == "International Urban and Regional Cooperation"
    assert "Smart specialisation" in split(r2r["themes"])
    world = rows["world-cities-eu-japan"]
    assert (world["start"], world["end"], world["participants"]) == ("2015", "2016", "4")
    assert {"Compact city development", "Low-carbon development"} <= split(world["themes"])
    assert (rows["world-cities"]["start"], rows["world-cities"]["end"]) == ("2015", "2018")


# 5. For a given programme: its pairings, with the authorities on each side and their themes.
def test_q5_iuc_pairings(ask):
    rows = ask("programme-pairings", programme=ID + "programme/iuc")
    assert len(rows) == 10
    pairs = {r["japanSide"]: r for r in rows}
    assert {name: r["euSide"] for name, r in pairs.items()} == {
        "Yokohama": "Frankfurt am Main",
        "Koriyama": "Essen",
        "Hirosaki": "Donostia-San Sebastián",
        "Ichinomiya": "Ioannina",
        "Ikoma": "Ancona",
        "Tokorozawa": "Bratislava",
        "Toyota": "Grenoble-Alpes Métropole",
        "Kamakura": "Umeå",
        "Kobe": "Marseille",
        next(k for k in pairs if "Nagano" in k): "Turku",
    }
    assert split(next(k for k in pairs if "Nagano" in k)) == {"Nagano", "Obuse"}
    assert pairs["Koriyama"]["startYear"] == "2017"
    assert pairs["Tokorozawa"]["startYear"] == "2018"
    assert pairs["Kobe"]["startYear"] == "2019"
    assert pairs["Koriyama"]["japanSideJa"] == "郡山市"
    assert {"Renewable energy", "Energy storage"} <= split(pairs["Koriyama"]["themes"])
    assert "Building and site regeneration" in split(pairs["Hirosaki"]["themes"])


def test_q5_iurc_pairings(ask):
    rows = ask("programme-pairings", programme=ID + "programme/iurc")
    assert len(rows) == 10
    eu_cities = set().union(*(split(r["euSide"]) for r in rows))
    assert len(eu_cities) == 13
    pairs = {r["japanSide"]: r for r in rows}
    assert split(pairs["Kamakura"]["euSide"]) == {"Umeå", "Venice Metropolitan City"}
    assert split(pairs["Kawasaki"]["euSide"]) == {"Zagreb", "Rijeka"}
    assert split(pairs["Toyama"]["euSide"]) == {"Donostia-San Sebastián", "Lugo"}
    assert pairs["Osaka"]["euSide"] == "Greater Manchester"
    assert pairs["Nagoya"]["euSide"] == "Turin"
    assert pairs["Kyoto"]["euSide"] == "Prague"
    assert pairs["Koriyama"]["continues"] == ID + "pairing/iuc-koriyama-essen"
    assert {r["selectionDate"] for r in rows} == {"2021-09-24"}
    assert pairs["Tokorozawa"].get("themes", "") == ""  # no IURC theme was found for it
    assert {"Hydrogen", "Open innovation"} == split(pairs["Koriyama"]["themes"])


# 6. For a given theme, narrower themes included: which EU and Japanese authorities cooperate on it, in which programme.
def test_q6_theme_circular_economy_includes_narrower_themes(ask):
    rows = ask("theme-cooperation", theme=ID + "theme/circular-economy")
    by_programme: dict[str, set] = {}
    for r in rows:
        by_programme.setdefault(r.get("programmeLabel", ""), set()).add((r["side"], r["authorityLabel"]))
    iuc = by_programme["International Urban Cooperation"]
    assert {("Japan", "Nagano"), ("Japan", "Obuse"), ("EU", "Turku"), ("Japan", "Kamakura"), ("EU", "Umeå")} <= iuc
    iurc = by_programme["International Urban and Regional Cooperation"]
    assert {("Japan", "Kyoto"), ("EU", "Prague"), ("Japan", "Kawasaki"), ("EU", "Zagreb"), ("EU", "Rijeka")} <= iurc
    r2r = by_programme["EU-Japan Region-to-Region Innovation Cooperation"]
    assert ("EU", "Emilia-Romagna") in r2r and ("Japan", "Aichi Prefecture") in r2r
    # waste management, a narrower theme, brings Kawasaki-Zagreb-Rijeka in
    assert any(r["matchedThemeLabel"] == "Waste management" for r in rows)


def test_q6_theme_hydrogen(ask):
    rows = ask("theme-cooperation", theme=ID + "theme/hydrogen")
    authorities = {(r["side"], r["authorityLabel"]) for r in rows}
    assert {
        ("Japan", "Toyota"),
        ("EU", "Grenoble-Alpes Métropole"),
        ("Japan", "Koriyama"),
        ("EU", "Essen"),
        ("Japan", "Kawasaki"),
    } <= authorities


# 7. For a given city: all its cooperation (programmes, partners, themes, initiatives) across programmes.
def test_q7_kamakura(ask):
    rows = ask("city-cooperation", city=ID + "city/kamakura")
    kinds = {(r["kind"], r["activityLabel"]) for r in rows}
    assert ("initiative", "Kamacon") in kinds
    pairings = {r.get("programmeLabel"): split(r["partners"]) for r in rows if r["kind"] == "pairing"}
    assert pairings == {
        "International Urban Cooperation": {"Umeå"},
        "International Urban and Regional Cooperation": {"Umeå", "Venice Metropolitan City"},
    }
    iuc = next(r for r in rows if r.get("programmeLabel") == "International Urban Cooperation")
    assert {"Smart city", "Social inclusion", "Participatory social innovation"} <= split(iuc["themes"])
    assert any(r["kind"] == "event" and r.get("when") == "2022-05-13" for r in rows)


def test_q7_koriyama_partner_is_essen(ask):
    rows = ask("city-cooperation", city=ID + "city/koriyama")
    pairings = [r for r in rows if r["kind"] == "pairing"]
    assert {r["programmeLabel"] for r in pairings} == {
        "International Urban Cooperation",
        "International Urban and Regional Cooperation",
    }
    assert all(split(r["partners"]) == {"Essen"} for r in pairings)
    agreements = {r["when"] for r in rows if r["kind"] == "agreement"}
    assert agreements == {"2018-11-16", "2022-09"}


def test_q7_toyama_across_programmes(ask):
    rows = ask("city-cooperation", city=ID + "city/toyama")
    programmes = {r.get("programmeLabel") for r in rows if r["kind"] in ("pairing", "programme")}
    assert programmes == {
        "World Cities: EU-Japan Municipal Dialogue on Urban Policy",
        "International Urban and Regional Cooperation",
    }


# 8. The timeline: every dated event, in order.
def test_q8_timeline_in_order(ask):
    rows = ask("timeline")
    dates = [r["date"] for r in rows]
    assert dates == sorted(dates)
    assert rows[0]["date"] == "1961"  # Kobe and Marseille, sister cities since 1961
    milestones = [(r["date"], r["whatLabel"], r["kind"]) for r in rows]
    order = [
        ("2012-05-15", "DG REGIO-MLIT seminar on urban development, Tokyo, 15 May 2012", "meeting"),
        ("2013-10-10", "Letter of Intent on an EU-Japan urban policy dialogue (2013)", "signing date"),
        ("2013-11-19", "21st EU-Japan Summit", "summit"),
        ("2018-07-17", "EU-Japan Strategic Partnership Agreement", "signing date"),
        ("2019-02-01", "EU-Japan Strategic Partnership Agreement", "provisional application date"),
        ("2021-05-21", "2021 Japan-EU exchange meeting on urban and regional policy", "meeting"),
        ("2023-10-30", "4th and last Region-to-Region exchange meeting", "meeting"),
        ("2025-01-01", "EU-Japan Strategic Partnership Agreement", "entry into force date"),
        ("2025-09-05", "Sister-city agreement between Osaka and Greater Manchester (2025)", "signing date"),
    ]
    positions = [milestones.index(m) for m in order]
    assert positions == sorted(positions)


def test_q8_timeline_range(ask):
    rows = ask("timeline", fromYear="2025", toYear="2025")
    assert {r["date"] for r in rows} == {"2025", "2025-01-01", "2025-09-05"}


# 9. The documents and studies, with format, size and language.
def test_q9_documents_and_studies(ask):
    rows = {r["title"]: r for r in ask("documents-and-studies")}
    letter = rows["Letter of intent"]
    assert letter["format"].endswith("/file-type/PDF")
    assert letter["displayedSize"] == "92,4 KB" and letter["byteSize"] == "92400"
    assert letter["language"].endswith("/language/ENG")
    report = rows["Final Report World Cities"]
    assert report["displayedSize"] == "22.7 MB" and report["byteSize"] == "22700000"
    study = rows["EU-Japan Joint Study on demographic trends and territorial policy responses"]
    assert study["kind"] == "study"
    assert (study["start"], study["end"]) == ("2020", "2021")
    assert split(study["contractors"]) == {"Applica", "IDOM"}
    assert split(study["commissionedBy"]) == {"Directorate-General for Regional and Urban Policy", "MLIT City Bureau"}


# 10. The organisational hierarchy of the bodies involved.
def test_q10_hierarchy(ask):
    rows = {r["bodyLabel"]: r for r in ask("organisation-hierarchy")}
    dg = rows["Directorate-General for Regional and Urban Policy"]
    assert (dg["parentLabel"], dg["topLabel"], dg["depth"]) == ("European Commission", "European Union", "2")
    assert dg["bodyLabelJa"] == "欧州委員会地域・都市政策総局"
    bureau = rows["MLIT City Bureau"]
    assert (bureau["parentLabel"], bureau["topLabel"], bureau["depth"]) == (
        "Ministry of Land, Infrastructure, Transport and Tourism",
        "Japan",
        "2",
    )
    assert rows["MLIT National Spatial Planning and Regional Policy Bureau"]["bodyLabelJa"] == "国土政策局"
    assert rows["Delegation of the European Union to Japan"]["parentLabel"] == "European Union"
    mlit = rows["Ministry of Land, Infrastructure, Transport and Tourism"]
    assert split(mlit["predecessors"]) == {
        "Ministry of Transport",
        "Ministry of Construction",
        "Hokkaido Development Agency",
        "National Land Agency",
    }
    assert mlit["bodyLabelJa"] == "国土交通省"


def test_q10_hierarchy_uses_the_inferred_inverse(built_store):
    rows = built_store.select(
        "SELECT ?child WHERE { ?parent <http://www.w3.org/ns/org#hasSubOrganization> ?child }",
        bindings={"parent": __import__("pyoxigraph").NamedNode(ID + "organisation/mlit")},
    )
    assert {r["child"].value.rsplit("/", 1)[1] for r in rows} >= {
        "mlit-city-bureau",
        "mlit-national-spatial-planning-and-regional-policy-bureau",
    }


# 11. The claims on which sources disagree, with each source.
def test_q11_disputed_claims(ask):
    rows = ask("disputed-claims")
    claims = {(r["disagreementLabel"], r["value"]): r for r in rows}
    iurc_cities = "How many EU cities took part in IURC in Japan"
    assert claims[(iurc_cities, "10")]["sources"] == "S1"
    assert split(claims[(iurc_cities, "13")]["sources"], ", ") == {"S30", "S31"}
    assert claims[(iurc_cities, "13")]["retained"] == "true" and claims[(iurc_cities, "10")]["retained"] == "false"
    regions = "How many EU regions took part in the Region-to-Region strand"
    assert claims[(regions, "5")]["sources"] == "S1"
    assert {"S49", "S50", "S51", "S52", "S55"} == split(claims[(regions, "6")]["sources"], ", ")
    world = "When the EU-Japan strand of World Cities began"
    assert claims[(world, "2014")]["sources"] == "S1" and claims[(world, "2015")]["confidence"] == "H"
    end = "When IURC in Japan ended"
    assert claims[(end, "2024")]["sources"] == "S1" and claims[(end, "2023")]["confidence"] == "M"
    assert claims[(end, "2024")]["propertyLabel"] == "endDate"
    assert all(r["sourceUrls"].startswith("http") for r in rows)
    # every disagreement has at least two claims, each with its own source
    per_disagreement: dict[str, list] = {}
    for r in rows:
        per_disagreement.setdefault(r["disagreement"], []).append(r["sources"])
    assert len(per_disagreement) >= 4
    assert all(len(sources) >= 2 and len(set(sources)) == len(sources) for sources in per_disagreement.values())


# 12. The Japanese cities that took part in more than one programme.
def test_q12_japanese_cities_in_several_programmes(ask):
    rows = {r["cityLabel"]: r for r in ask("multi-programme-japanese-cities")}
    assert set(rows) == {"Koriyama", "Tokorozawa", "Toyota", "Kamakura", "Nagano", "Obuse", "Toyama"}
    assert rows["Toyama"]["cityLabelJa"] == "富山市"
    assert split(rows["Toyama"]["programmeNames"]) == {
        "World Cities: EU-Japan Municipal Dialogue on Urban Policy",
        "International Urban and Regional Cooperation",
    }
    assert split(rows["Koriyama"]["programmeNames"]) == {
        "International Urban Cooperation",
        "International Urban and Regional Cooperation",
    }
