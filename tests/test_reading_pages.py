"""Issue 17: resource pages and facets that read right (programmes and themes, types, labels, summary).

Run against the curated graph, whose examples the issue names: the IUC pairing
Koriyama-Essen, its IURC successor, DG REGIO, the IURC programme, the Letter of Intent.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pyoxigraph as ox
import pytest

import coopgraph.web
from coopgraph.describe.resource import describe, external_id
from coopgraph.search import SearchIndex

ID = "https://w3id.org/coopgraph/id/"
IUC_KORIYAMA = ID + "pairing/iuc-koriyama-essen"
IURC_KORIYAMA = ID + "pairing/iurc-koriyama-essen"
IUC, IURC = ID + "programme/iuc", ID + "programme/iurc"


@pytest.fixture(scope="module")
def index(built_store):
    return SearchIndex.build(built_store)


def section(html: str, heading_id: str) -> str:
    """The HTML of the section a heading id opens, up to the next section."""
    start = html.index(f'id="{heading_id}"')
    end = html.find("<section", start)
    return html[start : end if end > 0 else len(html)]


# --- item 3: programmes and themes ------------------------------------------------------------


def test_a_pairing_continued_in_a_later_programme_keeps_its_own_programme_and_themes(index):
    entry = index.entries[IUC_KORIYAMA]
    assert entry.programmes == {IUC}
    assert ID + "theme/hydrogen" not in entry.themes and ID + "theme/open-innovation" not in entry.themes
    assert ID + "theme/renewable-energy" in entry.themes
    # and the successor does not take the IUC pairing's programme or themes either
    successor = index.entries[IURC_KORIYAMA]
    assert successor.programmes == {IURC}
    assert ID + "theme/medical-device-industry" not in successor.themes
    # the cities of both pairings do take part in both programmes
    assert {IUC, IURC} <= index.entries[ID + "city/koriyama"].programmes


def test_the_programme_facet_lists_only_that_programmes_pairings(client):
    body = client.get(
        "/search.json",
        query_string={"programme": IURC, "type": ID.replace("id/", "ontology#") + "Pairing", "limit": 100},
    ).get_json()
    pairings = [hit["iri"] for hit in body["results"]]
    assert IURC_KORIYAMA in pairings
    assert pairings and all("/pairing/iurc-" in iri for iri in pairings), pairings


def test_the_resource_page_shows_the_pairings_own_programme(client):
    html = client.get("/id/pairing/iuc-koriyama-essen").get_data(as_text=True)
    part = section(html, "part-h")
    assert 'href="/id/programme/iuc"' in part and 'href="/id/programme/iurc"' not in part
    assert "/id/theme/hydrogen" not in part and "/id/theme/open-innovation" not in part


def test_a_programme_does_not_take_part_in_the_programme_it_follows(index):
    assert IUC not in index.entries[IURC].programmes


# --- item 6: types, labels, summary, lead text, alternative labels, identifiers ----------------


def test_the_stated_type_heads_the_facts_and_inferred_types_are_collapsed(client):
    html = client.get("/id/pairing/iuc-koriyama-essen").get_data(as_text=True)
    facts = section(html, "facts-h")
    first_row = re.search(r"<tbody>\s*<tr[^>]*>(.*?)</tr>", facts, re.S).group(1)
    assert 'href="/ontology#Pairing"' in first_row and "badge-inferred" not in first_row
    collapsed = re.search(r'<tr class="inferred inferred-types">.*?</tr>', facts, re.S).group(0)
    assert "<details>" in collapsed and "prov:Activity" in collapsed and 'href="/ontology#Partnership"' in collapsed
    # no inferred type is shown outside the collapsed row
    outside = facts.replace(collapsed, "")
    assert "prov#Activity" not in outside and 'href="/ontology#Partnership"' not in outside


def test_the_most_specific_stated_type_comes_first(built_store):
    d = describe(built_store, ID + "city/koriyama")
    stated = [v.term.value for v in d.types if not v.inferred]
    inferred = [v.term.value for v in d.types if v.inferred]
    assert stated and inferred
    # a municipality (a local authority and a place) before its broader types
    assert stated[0].endswith("#Municipality")
    assert inferred.index("https://w3id.org/coopgraph/ontology#LocalAuthority") < inferred.index(
        "http://www.w3.org/ns/prov#Agent"
    )


def test_standard_properties_are_named_not_written_as_prefixed_names(client):
    html = client.get("/id/pairing/iuc-koriyama-essen").get_data(as_text=True)
    headings = re.findall(r'<th scope="rowgroup"[^>]*>(.*?)</th>', section(html, "facts-h"), re.S)
    text = " ".join(re.sub(r"<[^>]+>", " ", h) for h in headings)
    assert "note" in text and "subject" in text
    assert not re.search(r"\b(skos|dct|prov|foaf|rdfs):", text), text


def test_the_summary_box_says_what_when_and_with_whom(client):
    html = client.get("/id/pairing/iuc-koriyama-essen").get_data(as_text=True)
    box = re.search(r'<aside class="summary".*?</aside>', html, re.S).group(0)
    assert re.search(r'class="summary-what">.*?href="/ontology#Pairing"', box, re.S)
    assert re.search(r'class="summary-when">.*?2017', box, re.S)
    with_whom = re.search(r'class="summary-with">(.*?)</dd>', box, re.S).group(1)
    assert 'href="/id/city/koriyama"' in with_whom and 'href="/id/city/essen"' in with_whom


def test_the_summary_box_puts_a_citys_prefecture_under_where_and_shows_identifiers(client):
    html = client.get("/id/city/koriyama").get_data(as_text=True)
    box = re.search(r'<aside class="summary".*?</aside>', html, re.S).group(0)
    where = re.search(r'class="summary-where">(.*?)</dd>', box, re.S).group(1)
    assert 'href="/id/prefecture/fukushima"' in where
    assert re.search(r'class="summary-ids external">.*?wikidata\.org', box, re.S)


def test_the_lead_text_is_a_description_never_a_note(client, built_store):
    html = client.get("/id/organisation/dg-regio").get_data(as_text=True)
    leads = re.findall(r'<p class="description"[^>]*>(.*?)</p>', html, re.S)
    assert not any("Crossref" in lead for lead in leads), leads
    # the note is still among the facts
    assert "Crossref Funder ID 100013972" in section(html, "facts-h")
    # a resource with a definition leads with it
    theme = describe(built_store, ID + "programme/iurc")
    assert all(v.language in ("en", "ja", None) for v in theme.descriptions) and len(theme.descriptions) <= 2


def test_an_alternative_label_in_two_languages_is_shown_once(client):
    html = client.get("/id/programme/iurc").get_data(as_text=True)
    facts = section(html, "facts-h")
    row = re.search(r'alternative label</span></a></th>(.*?)(?=<th scope="rowgroup")', facts, re.S).group(1)
    assert len(re.findall(r">IURC<", row)) == 1, row
    assert '<span lang="en">IURC</span>' in row
    assert "国際都市・地域間協力事業" in row


def test_identifiers_elsewhere_are_only_identifiers(client, built_store):
    d = describe(built_store, ID + "document/letter-of-intent-2013")
    assert not [e for e in d.external if "publications.europa.eu" in e.url]
    html = client.get("/id/document/letter-of-intent-2013").get_data(as_text=True)
    assert 'class="summary-ids' not in html
    # an IRI in another dataset is an identifier only through an identity property
    language = ox.NamedNode("http://publications.europa.eu/resource/authority/language/ENG")
    assert external_id("http://purl.org/dc/terms/language", language) is None
    assert (
        external_id(
            "https://w3id.org/coopgraph/ontology#wikidata", ox.NamedNode("http://www.wikidata.org/entity/Q1")
        ).id
        == "Q1"
    )


# --- item 7: links stay on this site; SPARQL examples and prefixes ------------------------------

BASE = "https://w3id.org/coopgraph/"
VOID = "http://rdfs.org/ns/void#"
SD = "http://www.w3.org/ns/sparql-service-description#"


@pytest.mark.parametrize("path", ["/dataset", "/ontology", "/id/claim/iurc-eu-cities-13", "/", "/sparql"])
def test_iris_under_the_base_link_to_this_sites_pages(client, path):
    html = client.get(path, headers={"Accept": "text/html"}).get_data(as_text=True)
    assert "<nav" in html
    off_site = re.findall(r'href="(https?://w3id\.org/coopgraph/[^"]*)"', html)
    assert off_site == [], off_site


def test_the_dataset_page_links_its_example_resources_here(client):
    html = client.get("/dataset").get_data(as_text=True)
    examples = re.search(r"Example resources</th><td>(.*?)</td>", html, re.S).group(1)
    assert re.findall(r'href="/id/[^"]+"', examples)


def test_an_individual_of_the_ontology_links_to_its_description_here(client):
    html = client.get("/id/claim/iurc-eu-cities-13").get_data(as_text=True)
    assert 'href="/resource?iri=https%3A%2F%2Fw3id.org%2Fcoopgraph%2Fontology%23highConfidence"' in html
    assert client.get("/resource?iri=https%3A%2F%2Fw3id.org%2Fcoopgraph%2Fontology%23highConfidence").status_code == 200


def test_the_sparql_page_offers_examples_in_one_list_and_our_prefixes(client, app):
    html = client.get("/sparql", headers={"Accept": "text/html"}).get_data(as_text=True)
    config = json.loads(
        re.search(r'<script type="application/json" id="sparql-config">(.*?)</script>', html, re.S).group(1)
    )
    options = re.findall(r'<option value="\d+">', html)
    assert len(options) == len(config["examples"]) > 1
    assert config["prefixes"]["id"] == BASE + "id/" and config["prefixes"]["cg"] == BASE + "ontology#"
    assert {"from": BASE + "id/", "to": "/id/", "whole": False} in config["localPages"]
    script = (Path(coopgraph.web.__file__).parent / "static" / "sparql.js").read_text(encoding="utf-8")
    assert "addTab(true" in script and "config.examples.forEach" not in script


# --- item 9: one size of the graph, a 404 page with navigation ---------------------------------


def test_the_home_page_the_dataset_and_the_service_description_give_the_same_size(client):
    home = client.get("/index.json").get_json()
    dataset = ox.Store()
    dataset.load(client.get("/dataset", headers={"Accept": "text/turtle"}).get_data(), format=ox.RdfFormat.TURTLE)
    void_triples = [
        int(r["n"].value) for r in dataset.query(f"SELECT ?n WHERE {{ ?d a <{VOID}Dataset> ; <{VOID}triples> ?n }}")
    ]
    assert void_triples == [home["triples"]]
    service = ox.Store()
    service.load(client.get("/sparql", headers={"Accept": "text/turtle"}).get_data(), format=ox.RdfFormat.TURTLE)
    rows = list(
        service.query(
            f"SELECT ?n (COUNT(DISTINCT ?source) AS ?sources) WHERE {{ ?d <{SD}defaultGraph> ?g . "
            f"?g <{VOID}triples> ?n ; <http://purl.org/dc/terms/source> ?source }} GROUP BY ?n"
        )
    )
    assert [(int(r["n"].value), int(r["sources"].value)) for r in rows] == [(home["triples"], home["graphs"])]
    named = list(service.query(f"SELECT (COUNT(?x) AS ?n) WHERE {{ ?x <{SD}name> ?name }}"))
    assert int(named[0]["n"].value) == home["allGraphs"] == home["graphs"] + 1
    html = client.get("/").get_data(as_text=True)
    stats = re.search(r'<p class="muted home-stats">(.*?)</p>', html, re.S).group(1)
    assert "{:,}".format(home["triples"]) in stats and "default graph" in stats and "shapes" in stats


def test_the_not_found_page_keeps_the_sites_navigation(client):
    response = client.get("/no/such/page", headers={"Accept": "text/html"})
    html = response.get_data(as_text=True)
    assert response.status_code == 404
    assert '<nav aria-label="Main">' in html and 'href="/search"' in html and 'role="search"' in html
    assert "404" in html
    # clients still get the one JSON error shape
    body = client.get("/no/such/page", headers={"Accept": "application/json"}).get_json()
    assert body["error"] == "not-found" and body["status"] == 404


# --- item 8: stored-query tables people can read ------------------------------------------------

PAIRINGS_OF_IURC = "/queries/programme-pairings?run=1&programme=" + IURC.replace(":", "%3A").replace("/", "%2F")


def test_stored_query_columns_have_human_names(client):
    html = client.get(PAIRINGS_OF_IURC, headers={"Accept": "text/html"}).get_data(as_text=True)
    heads = re.findall(r'<th scope="col" title="\?(\w+)">(.*?)</th>', html)
    assert ("euSide", "EU side") in heads and ("japanSideJa", "Japan side (Japanese)") in heads
    assert not [name for _, name in heads if re.search(r"[a-z][A-Z]", name)], heads


def test_a_stored_query_page_sets_its_page_size(client):
    html = client.get(PAIRINGS_OF_IURC + "&limit=3", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert re.search(r'<input id="page-size" name="limit" type="number"[^>]*value="3"', html)
    results = html[html.index('id="results"') :]
    assert len(re.findall(r"<tr>", results[results.index("<tbody>") :])) == 3
    assert re.search(r'rel="next" href="[^"]*limit=3', results)


def test_the_sparql_shown_leaves_out_the_tuning_comments(client):
    from coopgraph.queries import without_comments

    html = client.get("/queries/programme-pairings", headers={"Accept": "text/html"}).get_data(as_text=True)
    shown = re.search(r"<pre><code>(.*?)</code></pre>", html, re.S).group(1)
    assert "SELECT" in shown and "cg:isPairingIn" in shown
    assert not [line for line in shown.splitlines() if line.lstrip().startswith("#")]
    assert (
        without_comments("# note\nSELECT * WHERE { ?s <http://e.org/#x> ?o } # tail\n")
        == "SELECT * WHERE { ?s <http://e.org/#x> ?o } # tail"
    )


def test_a_columns_map_must_name_the_querys_variables(tmp_path):
    from coopgraph.errors import StoredQueryError
    from coopgraph.queries import load_stored_query

    good = tmp_path / "good.rq"
    good.write_text(
        "#+ title: Good\n#+ columns:\n#+   s: Subject\nSELECT ?s ?oLabel WHERE { ?s ?p ?oLabel }\n", encoding="utf-8"
    )
    query = load_stored_query(good)
    assert query.column_label("s") == "Subject" and query.column_label("oLabel") == "o label"
    assert query.to_dict()["columns"] == {"s": "Subject"}
    bad = tmp_path / "bad.rq"
    bad.write_text("#+ title: Bad\n#+ columns: {nope: Nope}\nSELECT ?s WHERE { ?s ?p ?o }\n", encoding="utf-8")
    with pytest.raises(StoredQueryError, match="nope"):
        load_stored_query(bad)
    worse = tmp_path / "worse.rq"
    worse.write_text("#+ title: Worse\n#+ columns: [s]\nSELECT ?s WHERE { ?s ?p ?o }\n", encoding="utf-8")
    with pytest.raises(StoredQueryError, match="columns must map"):
        load_stored_query(worse)


def test_stored_query_tables_link_source_codes_to_the_sources_with_their_names(client, built_store):
    """Issue 17, item 8: a source shown as a bare code (S3) means nothing; it links to the source, titled."""
    html = client.get(
        "/queries/programme-pairings", query_string={"programme": "https://w3id.org/coopgraph/id/programme/iuc"}
    ).get_data(as_text=True)
    links = re.findall(r'<a href="/id/source/([A-Z]+[0-9]+)" title="([^"]+)">\1</a>', html)
    assert links, "no source code is linked"
    names = {
        row["id"].value: row["label"].value
        for row in built_store.select(
            "SELECT ?id ?label WHERE { ?s a <https://w3id.org/coopgraph/ontology#Source> ; "
            "<http://purl.org/dc/terms/identifier> ?id ; <http://www.w3.org/2000/01/rdf-schema#label> ?label }"
        )
    }
    assert all(title.replace("&#39;", "'").replace("&amp;", "&") == names[code] for code, title in links)
