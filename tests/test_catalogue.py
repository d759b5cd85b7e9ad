"""The message catalogue and the Japanese interface: keys, plural forms, the reader's language, names, readings.

The catalogue files are held to each other (same keys, the plural forms each language's
CLDR rule needs) and to the code (no key used that they lack, found both by reading the
templates and code and by crawling the pages in both languages).
"""

from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph as ox
import pytest
import requests
from babel import Locale

from coopgraph.describe.resource import SUPPLIED_NAMES, pick_label
from coopgraph.errors import ConfigError
from coopgraph.namespaces import ONTOLOGY, RDFS, SKOS
from coopgraph.web import catalogue as catalogue_module
from coopgraph.web.catalogue import LANGUAGES, Catalogue
from coopgraph.web.pages import FEATURED
from coopgraph.web.search import FACETS

WEB = Path(catalogue_module.__file__).parent
ID = "https://w3id.org/coopgraph/id/"


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return Catalogue.load()


# --- the files -------------------------------------------------------------------------------


def test_every_key_is_in_every_language(catalogue):
    for table in ("messages", "standard_names"):
        keys = {lang: set(getattr(catalogue, table)[lang]) for lang in LANGUAGES}
        for lang in LANGUAGES:
            assert keys[lang] == keys["en"], (table, lang, keys[lang] ^ keys["en"])
    for lang in LANGUAGES:
        assert all(str(text).strip() for text in catalogue.messages[lang].values())


def test_plural_messages_have_the_forms_each_language_needs(catalogue):
    plural_keys = {key for key, message in catalogue.messages["en"].items() if isinstance(message, dict)}
    assert {"results", "results_for", "used"} <= plural_keys
    for lang in LANGUAGES:
        needed = Locale.parse(lang).plural_form.tags | {"other"}
        for key in plural_keys:
            message = catalogue.messages[lang][key]
            assert isinstance(message, dict), (lang, key)
            assert needed <= set(message), (lang, key, needed - set(message))
            assert all("{count" in form or lang == "en" and category == "one" for category, form in message.items()), (
                lang,
                key,
            )


def test_plural_forms_follow_the_count(catalogue):
    assert catalogue.text("en", "results", count=1) == "1 result"
    assert catalogue.text("en", "results", count=0) == "0 results"
    assert catalogue.text("en", "results", count=2) == "2 results"
    assert catalogue.text("en", "used", count=1) == "Used once"
    assert catalogue.text("en", "n_triples", count=8172) == "8,172 triples"
    assert catalogue.text("ja", "results", count=1) == "1 件"
    with pytest.raises(TypeError):
        catalogue.text("en", "results")


def test_a_malformed_message_is_refused():
    with pytest.raises(ConfigError, match="other"):
        catalogue_module._check_message("messages/xx.toml", "results", {"one": "{count} result"})
    with pytest.raises(ConfigError):
        catalogue_module._check_message("messages/xx.toml", "results", {"several": "x", "other": "y"})
    with pytest.raises(ConfigError):
        catalogue_module._check_message("messages/xx.toml", "results", 3)


def test_the_package_data_ships_the_catalogue():
    import tomllib

    pyproject = tomllib.loads((Path(__file__).resolve().parent.parent / "pyproject.toml").read_text())
    patterns = pyproject["tool"]["setuptools"]["package-data"]["coopgraph"]
    shipped = {p for pattern in patterns for p in (WEB.parent).glob(pattern)}
    for lang in LANGUAGES:
        assert WEB / "messages" / f"{lang}.toml" in shipped


# --- the code uses only keys the catalogue has -------------------------------------------

LITERAL_KEY = re.compile(r"""\bt\(\s*['"]([a-z_]+)['"]\s*[,)]""")


def used_keys() -> set[str]:
    """Every key named literally in a template or module of the web layer, and the dynamic families."""
    keys = set()
    for path in list((WEB / "templates").rglob("*.html")) + list(WEB.glob("*.py")):
        keys |= set(LITERAL_KEY.findall(path.read_text(encoding="utf-8")))
    keys |= {key for key, _ in FEATURED} | {key for _, key in FACETS}
    keys |= {
        "graph_" + kind for kind in ("data", "contribution", "inferred", "ontology", "meta", "provenance", "other")
    }
    keys |= {"kind_" + kind for kind in ("programme", "theme", "actor")}
    keys |= {"ontology_version", "licence", "creator"}
    return keys


def test_no_code_uses_a_key_the_catalogue_lacks(catalogue):
    keys = used_keys()
    assert len(keys) > 100  # the scan found the templates
    for lang in LANGUAGES:
        assert keys <= set(catalogue.messages[lang]), (lang, keys - set(catalogue.messages[lang]))


PAGES = [
    "/",
    "/search",
    "/search?q=green",
    "/search?q=zzz",
    "/search?q=Mockton",
    "/map",
    "/timeline",
    "/network",
    "/ontology",
    "/id/city/testville",
    "/id/pairing/testville-examplestad",
    "/id/theme/green",
    "/id/programme/testprog",
    "/queries",
    "/sparql",
    "/validate",
    "/download",
    "/dataset",
    "/api",
]


def test_no_page_asks_for_a_missing_key(towns_app):
    found: Catalogue = towns_app.extensions["coopgraph.catalogue"]
    client = towns_app.test_client()
    for path in PAGES:
        for lang in LANGUAGES:
            response = client.get(path + ("&" if "?" in path else "?") + "lang=" + lang)
            assert response.status_code == 200, (path, lang)
    assert found.missing == set()


# --- the reader's language -------------------------------------------------------------------


def test_accept_language_chooses_japanese(towns_client):
    response = towns_client.get("/id/city/testville", headers={"Accept-Language": "ja-JP,ja;q=0.9,en;q=0.5"})
    html = response.get_data(as_text=True)
    assert '<html lang="ja">' in html and "本文へ移動" in html
    assert "Accept-Language" in response.headers["Vary"]
    english = towns_client.get("/id/city/testville", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert '<html lang="en">' in english.get_data(as_text=True)
    assert "Accept-Language" in english.headers["Vary"]
    assert response.headers["ETag"] != english.headers["ETag"]


def test_the_lang_parameter_wins_over_accept_language(towns_client):
    response = towns_client.get("/search?q=green&lang=en", headers={"Accept-Language": "ja"})
    assert '<html lang="en">' in response.get_data(as_text=True)
    assert "Accept-Language" not in response.headers.get("Vary", "")
    response = towns_client.get("/search?q=green&lang=ja", headers={"Accept-Language": "en"})
    assert '<html lang="ja">' in response.get_data(as_text=True)


def test_search_json_follows_accept_language(towns_client):
    body = towns_client.get("/search.json?q=green", headers={"Accept-Language": "ja"}).get_json()
    assert body["results"][0]["label"] == "グリーンテスト"


def test_a_real_server_answers_in_the_readers_language(live_server):
    response = requests.get(
        live_server.url + "/search", params={"q": "Koriyama"}, headers={"Accept-Language": "ja"}, timeout=30
    )
    assert response.status_code == 200
    assert '<html lang="ja">' in response.text and "Accept-Language" in response.headers["Vary"]


# --- plural forms on the pages ---------------------------------------------------------------


def test_one_result_is_singular(towns_client):
    html = towns_client.get("/search?q=green").get_data(as_text=True)
    heading = re.search(r'<h2 id="results-h"[^>]*>(.*?)</h2>', html, re.S).group(1)
    assert heading == "1 result for “green”"
    html = towns_client.get("/search?q=Mockton").get_data(as_text=True)
    assert "2 results for “Mockton”" in html
    assert "<dt>Used once</dt>" in towns_client.get("/ontology").get_data(as_text=True)


# --- names of terms in Japanese --------------------------------------------------------------


def test_properties_are_named_in_japanese_themes_keep_their_sourced_names(client):
    html = client.get("/id/city/koriyama?lang=ja").get_data(as_text=True)
    heads = re.findall(r'<th scope="rowgroup"[^>]*>(.*?)</th>', html, re.S)
    names = {re.sub(r"<[^>]+>", "", h).strip() for h in heads}
    assert {"都道府県", "国", "Wikidata 項目"} <= names, names
    assert not {"is in prefecture", "is in country"} & names
    # themes are data: without a sourced Japanese name they keep their English one, untranslated
    theme = client.get("/id/theme/hydrogen?lang=ja").get_data(as_text=True)
    heading = re.search(r"<h1>.*?</h1>", theme, re.S).group(0)
    assert re.fullmatch(r"<h1>(<span class=\"label\">)?Hydrogen(</span>)?</h1>", heading), heading
    facets = client.get("/search.json?q=Koriyama&lang=ja").get_json()["facets"]
    assert "Hydrogen" in {f["label"] for f in facets["theme"]}
    english = client.get("/id/city/koriyama").get_data(as_text=True)
    assert "is in prefecture" in english and "都道府県" not in english


def test_the_graphs_own_label_wins_over_the_catalogue():
    iri = ID + "theme/x"
    token = SUPPLIED_NAMES.set({iri: {"ja": "カタログ名"}})
    try:
        graph_ja = [ox.Literal("Theme X", language="en"), ox.Literal("グラフ名", language="ja")]
        assert pick_label(graph_ja, "ja", iri) == ("グラフ名", "Theme X")
        assert pick_label(graph_ja[:1], "ja", iri) == ("カタログ名", "Theme X")
        assert pick_label(graph_ja[:1], "en", iri) == ("Theme X", None)
    finally:
        SUPPLIED_NAMES.reset(token)
    assert pick_label(graph_ja[:1], "ja", iri) == ("Theme X", None)  # outside the web app: the data only


def test_every_graph_name_names_a_term_the_graph_labels_in_english_only(catalogue, built_store):
    names = catalogue.names_by_iri("graph_names", built_store.iris.prefixes())
    assert names
    wanted = ", ".join(str(ox.NamedNode(iri)) for iri in names)
    rows = built_store.select(
        f"SELECT ?s ?l WHERE {{ VALUES ?p {{ <{RDFS}label> <{SKOS}prefLabel> }} ?s ?p ?l FILTER(?s IN ({wanted})) }}"
    )
    langs: dict[str, set[str]] = {}
    for row in rows:
        langs.setdefault(row["s"].value, set()).add(row["l"].language or "")
    for iri in names:
        assert "en" in langs.get(iri, set()), f"{iri} is not a labelled term of the graph"
        assert "ja" not in langs[iri], f"{iri} has a @ja label in the graph: its catalogue name is never shown"


def test_every_term_of_the_ontology_has_a_japanese_name_and_no_theme_gets_one(catalogue, built_store):
    names = catalogue.names_by_iri("graph_names", built_store.iris.prefixes())
    assert not [iri for iri in names if iri.startswith(ID + "theme/")], "themes are data: no invented names"
    rows = built_store.select(f"""
        SELECT ?s WHERE {{
          ?s <{RDFS}label> ?l FILTER(STRSTARTS(STR(?s), "{ONTOLOGY}"))
          FILTER NOT EXISTS {{ ?s <{RDFS}label>|<{SKOS}prefLabel> ?j FILTER(LANGMATCHES(LANG(?j), "ja")) }}
        }}""")
    unnamed = {row["s"].value for row in rows} - set(names)
    assert not unnamed


# --- kana readings in search -----------------------------------------------------------------


@pytest.mark.parametrize("query", ["こおりやま", "コオリヤマ", "こうりやま"])
def test_a_kana_reading_finds_the_place(client, query):
    results = client.get("/search.json", query_string={"q": query}).get_json()["results"]
    assert results and results[0]["iri"] == ID + "city/koriyama"


def test_kana_that_reads_as_nothing_finds_nothing(client):
    assert client.get("/search.json", query_string={"q": "ぬぬぬぬ"}).get_json()["total"] == 0
