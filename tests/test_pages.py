"""Pages for people: every resource has one, values are escaped, facts show where they come from.

Most tests use the made-up towns graph; the crawl also runs over the miniature graph and
the curated graph, and the Koriyama test checks the curated knowledge itself.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pyoxigraph as ox
import pytest

from conftest import MINI, make_settings
from coopgraph.knowledge.build import build, write_meta
from coopgraph.web import create_app
from coopgraph.web.catalogue import Catalogue

ID = "https://w3id.org/coopgraph/id/"
CG = "https://w3id.org/coopgraph/ontology#"


# --- a small HTML checker: structure, accessibility basics, links ----------------------------


class PageCheck(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.ids: set[str] = set()
        self.headings: list[int] = []
        self.labels_for: set[str] = set()
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if "id" in attributes:
            self.ids.add(attributes["id"])
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        if tag == "label" and attributes.get("for"):
            self.labels_for.add(attributes["for"])

    def handle_data(self, data):
        self.text.append(data)

    def hrefs(self) -> list[str]:
        return [a["href"] for tag, a in self.tags if tag == "a" and a.get("href")]


def check_page(html: str) -> PageCheck:
    """Assert the accessibility basics every page must have; return the parsed page."""
    page = PageCheck()
    page.feed(html)
    tags = [tag for tag, _ in page.tags]
    html_tag = next(a for tag, a in page.tags if tag == "html")
    assert html_tag.get("lang") in ("en", "ja")
    assert tags.count("main") == 1 and "header" in tags and "footer" in tags and "nav" in tags
    assert all(a.get("aria-label") for tag, a in page.tags if tag == "nav" and "aria-labelledby" not in a)
    assert page.headings.count(1) == 1, "one h1 per page"
    for previous, current in zip(page.headings, page.headings[1:]):
        assert current <= previous + 1, f"heading level jumps from h{previous} to h{current}"
    for tag, a in page.tags:
        if tag == "img":
            assert "alt" in a
        if tag == "svg" and a.get("role") == "img":
            assert all(part in page.ids for part in a["aria-labelledby"].split())
        if tag == "input" and a.get("type") not in ("hidden", "submit", "checkbox"):
            assert a.get("id") in page.labels_for or a.get("aria-label")
        if tag == "a" and a.get("href"):
            assert not a["href"].lower().startswith(("javascript:", "data:", "vbscript:"))
    assert 'name="viewport"' in html
    return page


PAGES = [
    "/",
    "/id/city/testville",
    "/id/programme/testprog",
    "/id/pairing/testville-examplestad",
    "/id/theme/green",
    "/id/source/T1",
    "/search",
    "/search?q=test",
    "/map",
    "/timeline",
    "/network",
    "/ontology",
]


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("lang", ["en", "ja"])
def test_pages_are_well_formed_and_accessible(towns_client, path, lang):
    url = path + ("&" if "?" in path else "?") + "lang=ja" if lang == "ja" else path
    response = towns_client.get(url)
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = check_page(response.get_data(as_text=True))
    # every HTML page announces a machine-readable twin, in the header and in the head
    assert 'rel="alternate"' in response.headers.get("Link", "")
    assert any(tag == "link" and a.get("rel") == "alternate" for tag, a in page.tags)


# --- crawl: every subject of our id base answers 200 --------------------------------------------


def subjects(store) -> list[str]:
    prefix = str(ox.Literal(store.iris.id_base))
    rows = store.select(f"SELECT DISTINCT ?s WHERE {{ ?s ?p ?o FILTER(isIRI(?s) && STRSTARTS(STR(?s), {prefix})) }}")
    return sorted(r["s"].value for r in rows)


def crawl(client, store) -> int:
    """Fetch the page and the Turtle of every subject, and every /id/ link those pages hold."""
    id_base = store.iris.id_base
    todo = ["/id/" + s[len(id_base) :] for s in subjects(store)]
    assert todo, "the graph has subjects of our id base"
    seen = set()
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        response = client.get(path)
        assert response.status_code == 200, path
        if path.endswith((".ttl", ".jsonld", ".nt", ".rdf", ".html")):
            continue  # a twin, announced by a page already fetched
        assert client.get(path + ".ttl").status_code == 200, path
        for href in PageCheck.hrefs(_parsed(response.get_data(as_text=True))):
            if href.startswith("/id/"):
                todo.append(href.split("?")[0].split("#")[0])
    return len([p for p in seen if not p.endswith((".ttl", ".jsonld", ".nt", ".rdf", ".html"))])


def _parsed(html: str) -> PageCheck:
    page = PageCheck()
    page.feed(html)
    return page


def test_crawl_towns(towns_client, towns_store):
    assert crawl(towns_client, towns_store) >= len(subjects(towns_store))


def test_crawl_mini():
    settings = make_settings(MINI)
    store, _ = build(settings)
    client = create_app(settings, store=store).test_client()
    assert crawl(client, store) == len(subjects(store))


def test_crawl_curated(client, built_store):
    assert crawl(client, built_store) >= 50


def test_koriyama_page_lists_its_pairing_with_essen_and_its_programmes(client):
    response = client.get("/id/city/koriyama")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "郡山市" in html and "Koriyama" in html
    assert 'href="/id/pairing/iuc-koriyama-essen"' in html
    assert 'href="/id/programme/iuc"' in html
    assert "Wikidata Q264206" in html and "https://sws.geonames.org/2112141/" in html
    page = _parsed(html)
    headings = "".join(page.text)
    assert "Linked from" in headings and "Programmes and themes" in headings and "Sources" in headings


def test_curated_map_shows_pairings_and_lists_the_regions_it_cannot_draw(client):
    html = client.get("/map").get_data(as_text=True)
    overview = re.search(r'<figure class="map" id="frame-overview">.*?</figure>', html, re.S).group(0)
    assert 'data-place="https://w3id.org/coopgraph/id/city/koriyama"' in overview
    assert 'href="/id/pairing/iuc-kamakura-umea"' in overview  # a line between Kamakura and Umeå
    elsewhere = html[html.index('id="elsewhere-h"') : html.index('id="places-h"')]
    # the Region-to-Region strand's regions and prefectures have the point of their capital (facts §5.5)
    for region in ("region/catalonia", "region/emilia-romagna", "prefecture/oita", "prefecture/hiroshima"):
        assert f'data-place="https://w3id.org/coopgraph/id/{region}"' in overview, region
        assert f'href="/id/{region}"' not in elsewhere, region
    # the flagship pairings whose European side had no point now draw their line
    for pairing in ("iuc-koriyama-essen", "iuc-yokohama-frankfurt", "iuc-ikoma-ancona", "iuc-hirosaki-donostia"):
        assert f'href="/id/pairing/{pairing}"' in overview, pairing
    # places the sources give no point for are still listed, not dropped silently
    assert 'href="/id/place/tokyo"' in elsewhere


# --- escaping ----------------------------------------------------------------------------------

HOSTILE = f"""
@prefix cg: <{CG}> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix geo: <http://www.w3.org/2003/01/geo/wgs84_pos#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<{ID}programme/hostile> a cg:Programme ; rdfs:label "<script>alert('programme')</script>"@en, "<b>太字</b>"@ja ;
    dct:description "<img src=x onerror=alert(1)>"@en ;
    cg:startDate "2015-01-01"^^xsd:date ; cg:endDate "2016-01-01"^^xsd:date ;
    rdfs:seeAlso <javascript:alert(1)> ; cg:url "javascript:alert(2)" ; dct:source <{ID}source/hostile> .
<{ID}city/hostile> a cg:Municipality ; rdfs:label "<script>alert('city')</script>"@en ;
    geo:lat 40.0 ; geo:long 10.0 ; dct:source <{ID}source/hostile> .
<{ID}pairing/hostile> a cg:Pairing ; rdfs:label "<script>alert('pairing')</script>"@en ;
    cg:programme <{ID}programme/hostile> ; cg:participant <{ID}city/hostile>, <{ID}city/testville> ;
    cg:theme <{ID}theme/green> .
<{ID}source/hostile> a cg:Source ; rdfs:label "\\"><script>alert('source')</script>"@en ; cg:url "javascript:alert(4)" .
"""


@pytest.fixture(scope="module")
def hostile_client(towns_settings):
    store, _ = build(towns_settings)
    store.replace_graphs(
        {store.iris.data_graph("hostile"): HOSTILE.encode()},
        __import__("coopgraph.formats", fromlist=["RDF_FORMATS"]).RDF_FORMATS["turtle"],
    )
    write_meta(store, None)
    return create_app(towns_settings, store=store).test_client()


@pytest.mark.parametrize(
    "path",
    [
        "/id/programme/hostile",
        "/id/city/hostile",
        "/id/pairing/hostile",
        "/id/source/hostile",
        "/id/city/testville",
        "/",
        "/search?q=script",
        "/search?q=%3Cscript%3E",
        "/map",
        "/timeline",
        "/network",
        "/ontology",
        "/id/programme/hostile?lang=ja",
    ],
)
def test_labels_with_markup_are_escaped(hostile_client, path):
    response = hostile_client.get(path)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<script>alert" not in html
    assert "<img src=x" not in html and "<b>太字" not in html
    assert not re.search(r"""href\s*=\s*["']?\s*javascript:""", html, re.I)
    check_page(html)
    if path.startswith("/id/programme/hostile"):
        assert "&lt;script&gt;alert(&#39;programme&#39;)&lt;/script&gt;" in html
        assert "&lt;img src=x onerror=alert(1)&gt;" in html
        assert "javascript:alert(1)" in html  # shown as text, never as a link


def test_twins_of_hostile_data_stay_data(hostile_client):
    geojson = hostile_client.get("/map.geojson").get_json()
    labels = {f["properties"]["label"] for f in geojson["features"]}
    assert "<script>alert('city')</script>" in labels  # JSON carries the value as it is
    assert hostile_client.get("/map.geojson").mimetype == "application/geo+json"


# --- what a resource page shows ------------------------------------------------------------------


def test_resource_page_shows_labels_types_facts_and_sources(towns_client):
    html = towns_client.get("/id/city/testville").get_data(as_text=True)
    h1 = re.search(r"<h1>(.*?)</h1>", html, re.S).group(1)
    assert "Tēstville" in h1 and 'lang="ja">テスト市' in h1
    assert 'href="/ontology#Municipality"' in html
    # the inferred superclass is marked as such in the facts table (collapsed below the stated type)
    row = re.search(r'<tr class="inferred[^"]*">.*?</tr>', html, re.S).group(0)
    assert "/ontology#Place" in row and "badge-inferred" in row
    assert "data: places" in html
    assert 'href="https://www.wikidata.org/wiki/Q4115189"' in html
    assert 'href="https://sws.geonames.org/1000001/"' in html
    assert 'href="/id/source/T1"' in html and 'href="https://example.org/source-one"' in html
    # inbound links, grouped by property, and what it takes part in through them
    inbound = html[html.index('id="in-h"') :]
    assert ">participant</h3>" in inbound and 'href="/id/pairing/testville-examplestad"' in inbound
    part = html[html.index('id="part-h"') : html.index('id="facts-h"')]
    assert 'href="/id/programme/testprog"' in part and 'href="/id/theme/green"' in part


def test_theme_page_links_eurovoc_and_inverse_pairings(towns_client):
    html = towns_client.get("/id/theme/green").get_data(as_text=True)
    assert 'href="http://eurovoc.europa.eu/5482"' in html and "EuroVoc 5482" in html
    assert 'href="/id/theme/data"' in html  # narrower theme, linking back through skos:broader


def test_a_fact_shows_the_source_of_its_statement(towns_client):
    html = towns_client.get("/id/pairing/testville-examplestad").get_data(as_text=True)
    facts = html[html.index('id="facts-h"') :]
    row = re.search(r"start date.*?</tr>", facts, re.S).group(0)
    assert 'href="/id/source/T2"' in row


def test_japanese_interface(towns_client):
    response = towns_client.get("/id/city/testville?lang=ja")
    html = response.get_data(as_text=True)
    assert '<html lang="ja">' in html
    h1 = re.search(r"<h1>(.*?)</h1>", html, re.S).group(1)
    assert h1.index("テスト市") < h1.index("Tēstville")
    messages = Catalogue.load().messages
    assert messages["ja"]["facts"] in html and messages["ja"]["nav_search"] in html
    assert 'href="/id/pairing/testville-examplestad?lang=ja"' in html
    assert messages["en"]["facts_intro"] not in html


def test_home_page_counts_and_ways_in(towns_client):
    response = towns_client.get("/")
    html = response.get_data(as_text=True)
    for path in (
        "/map",
        "/timeline",
        "/network",
        "/queries",
        "/sparql",
        "/download",
        "/validate",
        "/ontology",
        "/id/programme/testprog",
        "/id/theme/green",
        "/id/city/testville",
    ):
        assert f'href="{path}"' in html, path
    counts = re.search(r'<table class="counts">.*?</table>', html, re.S).group(0)
    assert re.search(r"Municipality</a></th>\s*<td class=\"num\">4</td>", counts)
    data = towns_client.get("/index.json").get_json()
    by_class = {c["class"]: c["count"] for c in data["classes"]}
    assert by_class[CG + "Municipality"] == 4 and by_class[CG + "Pairing"] == 2
    assert data["programmes"]["count"] == 2
    assert towns_client.get("/", headers={"Accept": "application/json"}).get_json()["triples"] == data["triples"]


def test_ontology_page_documents_classes_and_properties_with_instances(towns_client):
    html = towns_client.get("/ontology").get_data(as_text=True)
    section = re.search(r'<section class="term" id="Municipality".*?</section>', html, re.S).group(0)
    assert "A made-up local authority." in section and 'href="/ontology#Place"' in section
    assert 'href="/id/city/testville"' in section and "(4)" in section
    prop = re.search(r'<section class="term" id="participant".*?</section>', html, re.S).group(0)
    assert 'href="/ontology#Pairing"' in prop and "Used 4 times" in prop
    assert re.search(r'id="programme".*?inverse of|id="programme".*?Inverse of', html, re.S)


# --- contributions appear in the pages and views ---------------------------------------------------


def test_a_contribution_appears_everywhere_and_is_attributed(towns_settings):
    """Submitted through the contributions API, new data shows in the pages, search and views at once."""
    settings = towns_settings.with_overrides(contributor_tokens={"secret-token": "Test Contributor"})
    store, _ = build(settings)
    client = create_app(settings, store=store).test_client()
    assert "Newtown" not in client.get("/map").get_data(as_text=True)  # the views are now derived and cached
    contribution = f"""
    @prefix cg: <{CG}> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
    @prefix geo: <http://www.w3.org/2003/01/geo/wgs84_pos#> . @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
    <{ID}city/newtown> a cg:Municipality ; rdfs:label "Newtown"@en ; geo:lat 60.0 ; geo:long 20.0 .
    <{ID}pairing/newtown-testville> a cg:Pairing ; rdfs:label "Newtown–Testville"@en ;
        cg:programme <{ID}programme/testprog> ; cg:participant <{ID}city/newtown>, <{ID}city/testville> ;
        cg:startDate "2019-05-01"^^xsd:date .
    """
    response = client.post(
        "/api/contributions?description=A+made-up+town+for+tests",
        data=contribution.encode(),
        headers={"Content-Type": "text/turtle", "Authorization": "Bearer secret-token"},
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    contribution_id = response.get_json()["id"]
    assert "Newtown" in client.get("/map").get_data(as_text=True)
    assert "2019-05-01" in client.get("/timeline").get_data(as_text=True)
    hits = client.get("/search.json?q=newtown").get_json()
    assert {r["iri"] for r in hits["results"]} == {ID + "city/newtown", ID + "pairing/newtown-testville"}
    html = client.get("/id/city/newtown").get_data(as_text=True)
    assert f'href="/api/contributions/{contribution_id}"' in html and f"contribution {contribution_id}" in html
    assert client.get(f"/api/contributions/{contribution_id}").status_code == 200
    testville = client.get("/id/city/testville").get_data(as_text=True)
    assert 'href="/id/pairing/newtown-testville"' in testville


# --- views built from the graph --------------------------------------------------------------


def test_map_draws_places_and_pairings(towns_client):
    html = towns_client.get("/map").get_data(as_text=True)
    overview = re.search(r'<figure class="map" id="frame-overview">.*?</figure>', html, re.S).group(0)
    assert overview.count('<circle class="place"') == 3  # Mockton has no coordinates
    assert overview.count('class="line"') == 1  # only Testville–Exämplestad has two located partners
    assert 'data-a="' + ID + 'city/examplestad"' in overview
    assert "Mockton</span></a>*" in html  # listed as taking part but not on the map
    elsewhere = html[html.index('id="elsewhere-h"') : html.index('id="places-h"')]
    assert 'href="/id/city/mockton"' in elsewhere and 'href="/id/programme/otherprog"' in elsewhere
    assert 'href="/id/city/testville"' not in elsewhere
    # a detail frame per cluster of places; Testville's coordinates lie in Japan
    assert 'id="frame-Europe"' in html and 'id="frame-Japan"' in html
    outline = re.search(r'<image href="([^"]+)"', overview).group(1).replace("&amp;", "&")
    svg = towns_client.get(outline)
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert svg.get_data(as_text=True).count('<path d="M') > 20 and "<title>Japan</title>" in svg.get_data(as_text=True)
    assert towns_client.get("/map/outline.svg?bbox=1,2,3").status_code == 400
    assert towns_client.get("/map/outline.svg?bbox=10,10,0,0&width=100").status_code == 400


def test_map_geojson(towns_client):
    response = towns_client.get("/map.geojson")
    assert response.mimetype == "application/geo+json"
    features = response.get_json()["features"]
    points = {f["id"]: f["geometry"]["coordinates"] for f in features if f["geometry"]["type"] == "Point"}
    assert points[ID + "city/testville"] == [140.5, 37.5]
    lines = [f for f in features if f["geometry"]["type"] == "LineString"]
    assert len(lines) == 1 and lines[0]["properties"]["iri"] == ID + "pairing/testville-examplestad"
    start, end = lines[0]["geometry"]["coordinates"][0], lines[0]["geometry"]["coordinates"][-1]
    assert {tuple(start), tuple(end)} == {(7.0, 51.0), (140.5, 37.5)}


def test_timeline_from_2012_grouped_by_programme_with_human_filters(towns_client):
    html = towns_client.get("/timeline").get_data(as_text=True)
    assert "Test kick-off meeting" in html and "Meeting before the timeline" not in html
    assert '<time datetime="2017-03-15">' in html and '<time datetime="2020-12-31">' in html
    # the filter names kinds as people do, never by class name
    assert 'name="kind" value="meeting"> Meetings, summits and visits' in html and 'value="https://' not in html
    assert re.search(r"<summary>Test Cooperation Programme \(3\)</summary>", html)  # itself, its pairing, its meeting
    assert "data-timeline-app" in html and "vis-timeline-graph2d.min.js" in html
    only = towns_client.get("/timeline", query_string={"kind": "meeting"}).get_data(as_text=True)
    assert "Test kick-off meeting" in only and '<time datetime="2020-12-31">' not in only
    by_type = towns_client.get("/timeline", query_string={"type": CG + "Meeting"}).get_data(as_text=True)
    assert by_type.count('<li class="tl-') == 1
    bad = towns_client.get("/timeline?kind=claimz")
    assert bad.status_code == 400 and "claimz" in bad.get_json()["message"]
    data = towns_client.get("/timeline.json").get_json()
    dates = [e["date"] for e in data["events"]]
    assert dates == sorted(dates) and min(dates) >= "2012" and "2009-05-01" not in dates
    assert data["periods"] == [
        {
            "iri": ID + "programme/testprog",
            "label": "Test Cooperation Programme",
            "start": "2017-01-01",
            "end": "2020-12-31",
            "types": [CG + "Programme"],
        }
    ]
    items = {i["id"]: i for i in data["items"]}
    assert items[ID + "event/kickoff"]["group"] == ID + "programme/testprog"
    assert items[ID + "pairing/testville-examplestad"]["group"] == ID + "programme/testprog"
    assert items[ID + "programme/testprog"] | {"page": None} == {
        "id": ID + "programme/testprog",
        "label": "Test Cooperation Programme",
        "page": None,
        "group": ID + "programme/testprog",
        "category": "programme",
        "claim": False,
        "start": "2017-01-01",
        "end": "2020-12-31",
    }
    assert [g["id"] for g in data["groups"]] == [ID + "programme/testprog", ID + "programme/otherprog"]


def test_network_starts_from_programmes_pairings_and_places(towns_client):
    data = towns_client.get("/network.json").get_json()
    kinds = {n["id"]: n["kind"] for n in data["nodes"]}
    assert kinds == {
        ID + "programme/testprog": "programme",
        ID + "programme/otherprog": "programme",
        ID + "pairing/testville-examplestad": "pairing",
        ID + "pairing/sampleburg-mockton": "pairing",
        ID + "city/testville": "place",
        ID + "city/examplestad": "place",
        ID + "city/sampleburg": "place",
        ID + "city/mockton": "place",
    }
    edges = {(e["source"], e["target"]) for e in data["edges"]}
    assert (ID + "city/testville", ID + "pairing/testville-examplestad") in edges
    assert (ID + "city/testville", ID + "programme/testprog") not in edges  # only through the pairing
    nodes = {n["id"]: n for n in data["nodes"]}
    assert nodes[ID + "city/testville"]["programmes"] == [ID + "programme/testprog"]
    assert nodes[ID + "city/testville"]["themes"] == [ID + "theme/green"]
    assert {t["id"] for t in data["themes"]} == {ID + "theme/green", ID + "theme/data"}
    assert ID + "source/T1" not in {n["id"] for n in data["index"]}
    assert ID + "event/kickoff" in {n["id"] for n in data["index"]}
    near = towns_client.get("/network/neighbours.json", query_string={"iri": ID + "programme/testprog"}).get_json()
    assert {n["id"] for n in near["nodes"]} >= {ID + "event/kickoff", ID + "pairing/testville-examplestad"}
    assert all(ID + "programme/testprog" in (e["source"], e["target"]) for e in near["edges"])
    assert towns_client.get("/network/neighbours.json").status_code == 400
    missing = towns_client.get("/network/neighbours.json", query_string={"iri": ID + "source/T1"})
    assert missing.status_code == 404 and missing.get_json()["error"] == "not-found"
    html = towns_client.get("/network").get_data(as_text=True)
    # without JavaScript: each programme's pairings and their places, in <details>
    assert re.search(r"<summary>Test Cooperation Programme — 1 pairing</summary>", html)
    assert 'href="/id/city/examplestad"' in html and "data-network-app" in html
