"""Search over labels: accents, case, scripts, long vowels; facets; the HTML page and its JSON twin."""

from __future__ import annotations

from types import MappingProxyType

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from coopgraph.describe.resource import SUPPLIED_NAMES
from coopgraph.participation import taking_part_of
from coopgraph.search import (
    READING_FACTOR,
    SearchIndex,
    _fold_any,
    _score,
    fold,
    fold_long_vowels,
    kana_reading,
    match_keys,
)

ID = "https://w3id.org/coopgraph/id/"
CG = "https://w3id.org/coopgraph/ontology#"


@pytest.mark.parametrize(
    "text, folded",
    [
        ("Umeå", "umea"),
        ("Kōriyama", "koriyama"),
        ("KORIYAMA", "koriyama"),
        ("Ōita", "oita"),
        ("Donostia-San Sebastián", "donostia san sebastian"),
        ("Grenoble-Alpes Métropole", "grenoble alpes metropole"),
        ("Łódź", "lodz"),
        ("Straße", "strasse"),
        ("ｺｳﾘﾔﾏ", "コウリヤマ"),
        ("こうりやま", "コウリヤマ"),
        ("郡山市", "郡山市"),
        ("  Val-d'Oise ", "val d oise"),
    ],
)
def test_fold(text, folded):
    assert fold(text) == folded


@given(st.text(alphabet=st.characters(max_codepoint=127)))
def test_ascii_text_folds_as_any_text_does(text):
    """ASCII labels take a short way through :func:`fold`; it must end where the whole way does."""
    assert fold(text) == _fold_any(text)


@pytest.mark.parametrize("spelling", ["Kouriyama", "Kooriyama", "Kohriyama", "Kōriyama", "koriyama"])
def test_long_vowel_spellings_meet(spelling):
    assert fold_long_vowels(fold(spelling)) == "koriyama"


@pytest.fixture(scope="module")
def index(towns_store) -> SearchIndex:
    return SearchIndex.build(towns_store)


@pytest.mark.parametrize(
    "query, expected",
    [
        ("testville", ID + "city/testville"),  # no macron typed, Tēstville found
        ("TĒSTVILLE", ID + "city/testville"),
        ("teestville", ID + "city/testville"),  # long vowel spelt out
        ("examplestad", ID + "city/examplestad"),  # Exämplestad
        ("テスト市", ID + "city/testville"),  # kanji/katakana label
        ("てすと", ID + "city/testville"),  # hiragana finds katakana
        ("エグザンプル", ID + "city/examplestad"),
        ("mock", ID + "city/mockton"),
        ("green test", ID + "theme/green"),
    ],
)
def test_finds_by_label(index, query, expected):
    result = index.search(query)
    assert expected in [h.entry.iri for h in result.hits[:2]], query
    assert all(h.score > 0 for h in result.hits)


def test_exact_and_prefix_matches_rank_first(index):
    result = index.search("test")
    iris = [h.entry.iri for h in result.hits]
    assert iris[0] in (ID + "city/testville", ID + "programme/testprog")
    assert ID + "city/mockton" not in iris


def test_facets_count_and_filter(index):
    everything = index.search("")
    types = {f.value: f.count for f in everything.facets["type"]}
    assert types[CG + "Municipality"] == 4 and types[CG + "Pairing"] == 2 and types[CG + "Programme"] == 2
    programmes = {f.value: f.count for f in everything.facets["programme"]}
    # Testville takes part in the test programme through its pairing, not by a direct link
    in_test = index.search("", programmes=[ID + "programme/testprog"])
    members = {h.entry.iri for h in in_test.hits}
    assert {
        ID + "city/testville",
        ID + "city/examplestad",
        ID + "pairing/testville-examplestad",
        ID + "event/kickoff",
        ID + "programme/testprog",
        ID + "theme/green",
    } <= members
    assert ID + "city/mockton" not in members
    assert programmes[ID + "programme/testprog"] == len(members)
    themed = index.search("", themes=[ID + "theme/data"], types=[CG + "Municipality"])
    assert {h.entry.iri for h in themed.hits} == {ID + "city/sampleburg", ID + "city/mockton"}
    assert index.search("testville", themes=[ID + "theme/data"]).total == 0
    # the labels of facet values come from the graph
    labels = {f.value: f.label for f in everything.facets["theme"]}
    assert labels[ID + "theme/green"] == "Green testing"
    assert {f.value: f.label for f in index.search("", lang="ja").facets["theme"]}[
        ID + "theme/green"
    ] == "グリーンテスト"


def test_sources_are_not_participation(index):
    """A source cited by everything must not pull every programme into its facets."""
    entry = index.entries[ID + "source/T1"]
    assert not entry.programmes and not entry.themes


def test_paging_and_limits(index, towns_client):
    first = index.search("", limit=3)
    second = index.search("", limit=3, offset=3)
    assert first.total == second.total > 6
    assert not {h.entry.iri for h in first.hits} & {h.entry.iri for h in second.hits}
    response = towns_client.get("/search.json?limit=0")
    assert response.status_code == 400 and response.get_json()["error"] == "bad-request"
    assert towns_client.get("/search.json?limit=x").status_code == 400
    assert towns_client.get("/search.json?q=" + "a" * 300).status_code == 400


def test_json_twin(towns_client):
    response = towns_client.get("/search.json", query_string={"q": "testville", "type": CG + "Municipality"})
    assert response.status_code == 200 and response.mimetype == "application/json"
    body = response.get_json()
    assert body["query"] == "testville" and body["total"] == 1
    hit = body["results"][0]
    assert hit["iri"] == ID + "city/testville" and hit["page"] == "/id/city/testville"
    assert hit["label"] == "Tēstville" and hit["otherLabel"] == "テスト市"
    assert hit["labels"] == {"en": "Tēstville", "ja": "テスト市"}
    assert CG + "Municipality" in hit["types"] and ID + "programme/testprog" in hit["programmes"]
    assert {f["value"] for f in body["facets"]["type"] if f["selected"]} == {CG + "Municipality"}
    assert "</search?q=testville&type=" in response.headers["Link"]
    negotiated = towns_client.get("/search?q=testville", headers={"Accept": "application/json"})
    assert negotiated.get_json()["total"] == 2  # the city and its pairing


def test_html_page(towns_client):
    response = towns_client.get("/search?q=umea")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "0 results" in html
    html = towns_client.get("/search?q=Examplestad").get_data(as_text=True)
    assert 'href="/id/city/examplestad"' in html
    html = towns_client.get("/search", query_string={"programme": ID + "programme/otherprog"}).get_data(as_text=True)
    assert 'href="/id/city/mockton"' in html and 'href="/id/city/testville"' not in html
    assert 'aria-current="true"' in html  # the chosen facet value is marked
    assert '<link rel="alternate" type="application/json" href="/search.json?programme=' in html
    html = towns_client.get("/search?q=テスト&lang=ja").get_data(as_text=True)
    assert '<html lang="ja">' in html and 'href="/id/city/testville?lang=ja"' in html


@pytest.mark.parametrize(
    "query, expected",
    [
        ("Umea", "city/umea"),
        ("umeå", "city/umea"),
        ("koriyama", "city/koriyama"),
        ("Kōriyama", "city/koriyama"),
        ("郡山", "city/koriyama"),
        ("IUC", "programme/iuc"),
        ("ooita", "prefecture/oita"),
    ],
)
def test_curated_names(app, query, expected):
    client = app.test_client()
    body = client.get("/search.json", query_string={"q": query}).get_json()
    iris = [r["iri"] for r in body["results"]]
    assert ID + expected in iris[:3], (query, iris[:5])


def test_search_results_as_csv(client):
    """Issue 17, item 8: any search result as CSV for a spreadsheet, the same hits as the JSON twin."""
    import csv
    import io

    answer = client.get("/search.csv", query_string={"q": "koriyama"})
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(answer.get_data(as_text=True))))
    hits = client.get("/search.json", query_string={"q": "koriyama"}).get_json()["results"]
    assert [r["iri"] for r in rows] == [h["iri"] for h in hits] and rows
    assert rows[0]["label"] == hits[0]["label"]
    page = client.get("/search", query_string={"q": "koriyama"}).get_data(as_text=True)
    assert 'href="/search.csv?q=koriyama"' in page


@pytest.mark.parametrize("which", ["towns", "curated"])
def test_one_resource_takes_part_in_what_the_whole_index_says(which, towns_store, built_store):
    """Resource pages ask for one resource's programmes and themes instead of deriving the whole index.

    Both must agree for every resource of both graphs, sources (which are no participation)
    included; cities take part in programmes through a shared resource, their pairings.
    """
    store = towns_store if which == "towns" else built_store
    index = SearchIndex.build(store)
    with_any = 0
    for iri, entry in index.entries.items():
        found = taking_part_of(store, iri)
        assert found == {"programmes": entry.programmes, "themes": entry.themes}, iri
        with_any += bool(entry.programmes or entry.themes)
    assert with_any > (10 if which == "curated" else 0)
    assert taking_part_of(store, "https://example.org/not-ours") == {"programmes": set(), "themes": set()}


@pytest.mark.parametrize("others, counted", [(11, True), (12, False)])
def test_a_sharer_linking_to_too_many_resources_says_nothing_about_taking_part(others, counted):
    """A resource linking to a city, a programme and many other things (a whole agreement) is a hub."""
    import pyoxigraph as ox

    from coopgraph.namespaces import ONTOLOGY, RDF_TYPE, RDFS, Iris
    from coopgraph.store.embedded import OxigraphStore

    iris = Iris()
    store = OxigraphStore(iris)
    graph = ox.NamedNode(iris.data_graph("sharing"))
    city, programme, sharer = (ox.NamedNode(iris.id_base + name) for name in ("city/c", "programme/p", "sharer/s"))
    quads = [
        ox.Quad(programme, ox.NamedNode(RDF_TYPE), ox.NamedNode(ONTOLOGY + "Programme"), graph),
        ox.Quad(city, ox.NamedNode(RDFS + "label"), ox.Literal("C"), graph),
        ox.Quad(sharer, ox.NamedNode(ONTOLOGY + "involves"), city, graph),
        ox.Quad(sharer, ox.NamedNode(ONTOLOGY + "isPairingIn"), programme, graph),
    ]
    quads += [
        ox.Quad(sharer, ox.NamedNode(ONTOLOGY + "involves"), ox.NamedNode(f"{iris.id_base}thing/{n}"), graph)
        for n in range(others)
    ]
    store.native.extend(quads)
    expected = {programme.value} if counted else set()
    assert taking_part_of(store, city.value)["programmes"] == expected
    assert SearchIndex.build(store).entries[city.value].programmes == expected


# --- the index file answers as the rules say ---------------------------------------------------


def rules_say(index, query, *, types=(), programmes=(), themes=(), lang="en"):
    """The search read plainly from the rules over every entry: what the index's SQL must agree with.

    Scores by :func:`_score` on each entry's keys (and on the names the interface supplies),
    the kana query's romaji reading where the text itself finds nothing; order by score,
    then the folded label shown, then the IRI; facet values counted over every match.
    """
    needle = fold(query)
    reading = kana_reading(needle) if needle else None
    supplied = SUPPLIED_NAMES.get()
    hits = []
    for iri, entry in index.entries.items():
        if not (set(types) <= entry.types and set(programmes) <= entry.programmes and set(themes) <= entry.themes):
            continue
        keys = entry.keys + [match_keys(name) for name in supplied.get(iri, {}).values()]
        score = _score(needle, fold_long_vowels(needle), keys) if needle else 1.0
        if reading and not score:
            score = READING_FACTOR * _score(reading, fold_long_vowels(reading), keys)
        if score > 0:
            hits.append((entry, score))
    hits.sort(key=lambda hit: (-hit[1], fold(hit[0].label(lang)[0] or hit[0].iri), hit[0].iri))
    counts = {}
    for entry, _ in hits:
        for kind, values in (("type", entry.types), ("programme", entry.programmes), ("theme", entry.themes)):
            for value in values:
                counts[kind, value] = counts.get((kind, value), 0) + 1
    return [(entry.iri, score) for entry, score in hits], counts


def assert_answers_as_the_rules_say(index, query, **facets):
    limit = 500
    result = index.search(query, limit=limit, **facets)
    hits, counts = rules_say(index, query, **facets)
    assert [(hit.entry.iri, hit.score) for hit in result.hits] == hits[:limit], query
    assert result.total == len(hits), query
    assert {(kind, f.value): f.count for kind, values in result.facets.items() for f in values} == counts, query


@pytest.mark.parametrize(
    "query", ["", "test", "TĒSTVILLE", "teestville", "てすと", "テスト市", "こうりやま", "green test", "e", "zzz", "st"]
)
@pytest.mark.parametrize("lang", ["en", "ja"])
def test_the_index_answers_as_the_rules_say(index, query, lang):
    assert_answers_as_the_rules_say(index, query, lang=lang)
    assert_answers_as_the_rules_say(index, query, lang=lang, programmes=[ID + "programme/testprog"])
    assert_answers_as_the_rules_say(index, query, lang=lang, themes=[ID + "theme/data"], types=[CG + "Municipality"])


@pytest.mark.parametrize("query", ["", "koriyama", "city", "essen", "都市", "こおりやま"])
def test_the_curated_index_answers_as_the_rules_say(curated_index, query):
    """The curated graph has what the towns lack: resources in two programmes, where all facets must hold."""
    index = curated_index
    iuc, iurc = ID + "programme/iuc", ID + "programme/iurc"
    assert {iuc, iurc} <= index.entries[ID + "city/koriyama"].programmes
    for facets in ({}, {"programmes": [iuc, iurc]}, {"programmes": [iurc]}, {"types": [CG + "Municipality"]}):
        assert_answers_as_the_rules_say(index, query, **facets)


@pytest.fixture(scope="module")
def curated_index(built_store) -> SearchIndex:
    return SearchIndex.build(built_store)


def test_names_the_interface_supplies_are_found_and_ordered_by(index):
    """A name the web app gives a theme in Japanese (not in the graph) finds the theme and sorts it."""
    token = SUPPLIED_NAMES.set(MappingProxyType({ID + "theme/data": {"ja": "データ連携", "en": "Data links"}}))
    try:
        assert ID + "theme/data" in [h.entry.iri for h in index.search("データ連携").hits]
        for query in ("データ", "data", "", "links"):
            for lang in ("en", "ja"):
                assert_answers_as_the_rules_say(index, query, lang=lang)
    finally:
        SUPPLIED_NAMES.reset(token)


@st.composite
def parts_of_names(draw, index):
    """A piece of a name in the index, perhaps with its case changed or a letter dropped."""
    key = draw(st.sampled_from(sorted(k for e in index.entries.values() for pair in e.keys for k in pair)))
    start = draw(st.integers(0, len(key)))
    piece = key[start : draw(st.integers(start, len(key)))]
    return draw(st.sampled_from([piece, piece.upper(), piece[1:], piece + "x"]))


@hypothesis_settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_piece_of_a_name_is_answered_as_the_rules_say(index, data):
    assert_answers_as_the_rules_say(index, data.draw(parts_of_names(index)))


def test_web_workers_of_a_store_folder_share_one_index_file(folder, mini_settings):
    """Two apps on one store folder stand for two web workers: the index is written once, in the folder."""
    from coopgraph.web import create_app

    settings = mini_settings.with_overrides(store=str(folder))
    answers, files = [], []
    for _ in range(2):
        app = create_app(settings)
        response = app.test_client().get("/search.json?q=a")
        assert response.status_code == 200
        answers.append(response.get_json())
        files.append({path: path.stat().st_ino for path in (folder / "derived").glob("*/search.sqlite")})
        app.extensions["coopgraph"].store.close()
    assert answers[0] == answers[1] and answers[0]["total"] > 0
    assert len(files[0]) == 1 and files[0] == files[1]  # the second read the first's file, same inode
    assert not list((folder / "derived").glob("*/*.tmp"))


def test_a_search_past_its_time_limit_stops_with_a_timeout_and_leaves_the_index_usable(index, monkeypatch):
    import coopgraph.search as search_module
    from coopgraph.errors import QueryTimeout

    monkeypatch.setattr(search_module, "PROGRESS_STEPS", 10)  # look at the clock often: the towns are small
    with pytest.raises(QueryTimeout, match="time limit"):
        index.search("t", time_limit=0)
    monkeypatch.undo()
    assert_answers_as_the_rules_say(index, "t")  # the connection has no handler and no hits left over


def test_the_web_search_has_the_query_time_limit(towns_settings, towns_store, monkeypatch):
    import coopgraph.search as search_module
    from coopgraph.web import create_app

    monkeypatch.setattr(search_module, "PROGRESS_STEPS", 10)
    client = create_app(towns_settings.with_overrides(query_timeout=0.0), store=towns_store).test_client()
    response = client.get("/search.json?q=t")
    assert response.status_code == 503 and response.get_json()["error"] == "query-timeout"
