"""The stored-query pages: the list by tag, the form, the results table, downloads, escaping.

Pages are read with an HTML parser (never with regular expressions over markup), so
the tests see what a browser sees: elements, attributes and their text.
"""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest

from conftest import ROOT

ID = "https://w3id.org/coopgraph/id/"


class Page(HTMLParser):
    """The elements of a page as (tag, attributes, text) in document order."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.elements: list[dict] = []
        self._open: list[dict] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        element = {"tag": tag, "attrs": dict(attrs), "text": ""}
        self.elements.append(element)
        if tag not in ("input", "br", "meta", "link", "img"):
            self._open.append(element)

    def handle_endtag(self, tag):
        for index in range(len(self._open) - 1, -1, -1):
            if self._open[index]["tag"] == tag:
                del self._open[index:]
                break

    def handle_data(self, data):
        for element in self._open:
            element["text"] += data

    def find(self, tag, **attrs) -> list[dict]:
        return [
            e
            for e in self.elements
            if e["tag"] == tag and all(e["attrs"].get(k.rstrip("_")) == v for k, v in attrs.items())
        ]

    def one(self, tag, **attrs) -> dict:
        found = self.find(tag, **attrs)
        assert len(found) == 1, (tag, attrs, found)
        return found[0]


@pytest.fixture()
def browser(query_app):
    client = query_app.test_client()
    client.environ_base["HTTP_ACCEPT"] = "text/html,application/xhtml+xml,*/*;q=0.8"
    return client


def open_page(browser, url, status=200, **kwargs) -> Page:
    response = browser.get(url, **kwargs)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.mimetype == "text/html"
    return Page(response.get_data(as_text=True))


def test_list_shows_each_query_once_with_its_tags(browser):
    response = browser.get("/queries")
    assert response.headers["Link"] == '</api/queries>; rel="alternate"; type="application/json"'
    page = Page(response.get_data(as_text=True))
    titles = [a["text"].strip() for a in page.find("a") if a["attrs"].get("href", "").startswith("/queries/")]
    assert titles.count("Pairings of a city") == 1 and titles == sorted(titles, key=str.casefold)
    item = next(li for li in page.find("li") if "Pairings of a city" in li["text"])
    assert "cities" in item["text"] and "pairings" in item["text"]
    tags = [a["text"] for a in page.find("a") if "?tag=" in a["attrs"].get("href", "")]
    assert {"cities", "labels", "pairings", "tests"} <= set(tags)
    # a tag keeps the queries that have it
    pairings = Page(browser.get("/queries?tag=pairings").get_data(as_text=True))
    listed = [a["text"].strip() for a in pairings.find("a") if a["attrs"].get("href", "").startswith("/queries/")]
    assert "Pairings of a city" in listed and "Is it a city?" not in listed
    links = {a["text"].strip(): a["attrs"]["href"] for a in page.find("a")}
    assert links["Every parameter type"] == "/queries/typed"
    assert not [text for text in links if "Broken" in text or "Reserved" in text]
    japanese = [e for e in page.find("span") if e["attrs"].get("lang") == "ja"]
    assert "各型の値をそのまま返します。" in [e["text"] for e in japanese]


def test_form_without_arguments_shows_the_form_not_an_error(browser):
    page = open_page(browser, "/queries/city-pairings")
    assert page.one("h1")["text"] == "Pairings of a city"
    select = page.one("select", name="city")
    assert "required" in select["attrs"]
    options = [(o["attrs"]["value"], o["text"].strip()) for o in page.find("option")]
    assert options == [
        ("", "(choose)"),
        (ID + "city/alpha", "Alpha"),
        (ID + "city/beta", "Beta"),
        (ID + "city/gamma", "Gamma"),
    ]
    assert not page.find("table") and not page.find("div", role="alert")
    assert page.one("input", name="run")["attrs"]["type"] == "hidden"


def test_defaults_are_filled_in_and_widgets_follow_types(browser):
    page = open_page(browser, "/queries/typed")
    assert page.one("input", name="count")["attrs"]["value"] == "3"
    assert page.one("input", name="count")["attrs"]["type"] == "number"
    assert page.one("input", name="day")["attrs"]["type"] == "date"
    assert page.one("input", name="year")["attrs"]["pattern"] == "[0-9]{4}"
    flag = [o for o in page.find("option") if "selected" in o["attrs"]]
    assert ("true", "yes") in [(o["attrs"]["value"], o["text"].strip()) for o in flag]
    colours = [
        (o["attrs"]["value"], o["text"].strip()) for o in page.find("option") if o["attrs"]["value"] in ("red", "blue")
    ]
    assert colours == [("red", "Red colour"), ("blue", "Blue colour")]
    assert page.one("label", for_="param-place")["text"].startswith("Place")
    assert any(e["attrs"].get("lang") == "ja" and e["text"] == "件数" for e in page.find("span"))
    language = open_page(browser, "/queries/labels")
    assert [o["attrs"]["value"] for o in language.find("option") if "selected" in o["attrs"]] == ["en"]


def test_submitting_runs_the_query_and_links_iris_to_resource_pages(browser):
    page = open_page(
        browser, "/queries/city-pairings?run=1&city=https%3A%2F%2Fw3id.org%2Fcoopgraph%2Fid%2Fcity%2Falpha"
    )
    # a column the header does not name is headed by its variable's words, the variable in its title
    assert [th["text"] for th in page.find("th")] == ["pairing", "partner", "partner label"]
    assert [th["attrs"]["title"] for th in page.find("th")] == ["?pairing", "?partner", "?partnerLabel"]
    links = {a["text"]: a["attrs"] for a in page.find("a") if a["attrs"].get("href", "").startswith("/id/")}
    assert links["Gamma"]["href"] == "/id/city/gamma" and links["Alpha–Gamma"]["href"] == "/id/pairing/alpha-gamma"
    cells = page.find("td")
    assert any(c["attrs"].get("lang") == "en" and c["text"].strip() == "Gamma" for c in cells)
    assert [o["attrs"]["value"] for o in page.find("option") if "selected" in o["attrs"]] == [ID + "city/alpha"]


def test_every_download_link_answers_in_its_format(browser):
    page = open_page(browser, "/queries/labels?run=1&language=ja")
    downloads = [a for a in page.find("a") if a["attrs"].get("href", "").startswith("/api/queries/labels/results")]
    formats = {parse_qs(urlsplit(a["attrs"]["href"]).query)["format"][0]: a["attrs"]["type"] for a in downloads}
    assert formats == {
        "json": "application/json",
        "csv": "text/csv",
        "tsv": "text/tab-separated-values",
        "sparql-json": "application/sparql-results+json",
        "sparql-xml": "application/sparql-results+xml",
    }
    for link in downloads:
        query = parse_qs(urlsplit(link["attrs"]["href"]).query)
        assert query["language"] == ["ja"] and "run" not in query
        response = browser.get(link["attrs"]["href"])
        assert response.status_code == 200 and response.mimetype == link["attrs"]["type"]
        assert "アルファ" in response.get_data(as_text=True)


def test_construct_and_ask_results_on_the_page(browser):
    graph = open_page(browser, f"/queries/pairing-graph?run=1&pairing={ID}pairing/alpha-gamma")
    assert [th["text"] for th in graph.find("th")] == ["subject", "predicate", "object"]
    formats = {
        parse_qs(urlsplit(a["attrs"]["href"]).query)["format"][0]
        for a in graph.find("a")
        if a["attrs"].get("href", "").startswith("/api/queries/pairing-graph/results")
    }
    assert formats == {"jsonld", "turtle", "ntriples", "rdfxml"}
    ask = open_page(browser, f"/queries/is-city?run=1&place={ID}city/beta")
    assert ask.one("p", class_="answer")["text"] == "Yes"


def test_a_query_without_parameters_runs_from_its_form(browser):
    page = open_page(browser, "/queries/labels?run=1")
    assert page.find("table") and page.one("a", rel="next")["attrs"]["href"].endswith("offset=2")
    second = open_page(
        browser, urlsplit(page.one("a", rel="next")["attrs"]["href"])._replace(scheme="", netloc="").geturl()
    )
    assert second.one("a", rel="prev")


def test_bad_values_show_the_form_again_with_the_reason(browser):
    page = open_page(browser, "/queries/typed?run=1&year=twenty&count=7", status=400)
    alert = page.one("div", role="alert")
    assert "parameter 'year'" in alert["text"] and "YYYY" in alert["text"]
    assert page.one("input", name="year")["attrs"]["value"] == "twenty"
    assert page.one("input", name="year")["attrs"]["aria-invalid"] == "true"
    assert "aria-invalid" not in page.one("input", name="count")["attrs"]
    assert page.one("input", name="count")["attrs"]["value"] == "7"
    assert not page.find("table")
    missing = open_page(browser, "/queries/city-pairings?run=1", status=400)
    assert "is required" in missing.one("div", role="alert")["text"]


def test_unknown_query_page_is_a_404_page(browser):
    response = browser.get("/queries/nothing-here")
    assert response.status_code == 404 and response.mimetype == "text/html"
    assert "nothing-here" in response.get_data(as_text=True)


def test_data_and_values_are_escaped_and_odd_iris_not_linked(browser):
    hostile = "<script>alert('x')</script>"
    page_response = browser.get("/queries/places-within?run=1&region=id:region/continent&limit=10")
    html = page_response.get_data(as_text=True)
    assert "<script>alert" not in html and "&lt;script&gt;alert(&#39;Testville&#39;)&lt;/script&gt;" in html
    page = Page(html)
    scripts = page.find("script")
    # The only script is the site's own table sorter: nothing inline, nothing built from the data.
    assert [s["attrs"].get("src") for s in scripts] == ["/static/tables.js"]
    assert all(not s["text"].strip() for s in scripts)
    echo = browser.get("/queries/echo", query_string={"run": "1", "text": hostile})
    assert echo.status_code == 200 and hostile not in echo.get_data(as_text=True)
    assert Page(echo.get_data(as_text=True)).one("input", name="text")["attrs"]["value"] == hostile
    typed = open_page(browser, "/queries/typed?run=1&place=javascript:alert(1)")
    assert not [a for a in typed.find("a") if a["attrs"].get("href", "").startswith("javascript:")]
    assert "Scriptland javascript:alert(1)" in [" ".join(td["text"].split()) for td in typed.find("td")], [
        td["text"] for td in typed.find("td")
    ]


CURATED_QUERIES = sorted(p.stem for p in (ROOT / "queries").glob("*.rq"))


@pytest.mark.skipif(
    not (ROOT / "ontology").is_dir() or not CURATED_QUERIES,
    reason="the curated ontology and stored queries are not in this checkout yet",
)
@pytest.mark.parametrize("name", CURATED_QUERIES or ["none"])
def test_every_curated_query_has_a_working_form(app, name):
    client = app.test_client()
    query = app.extensions["coopgraph"].queries[name]
    form = Page(client.get(f"/queries/{name}").get_data(as_text=True))
    for parameter in query.parameters:
        widget = form.find("select", name=parameter.name) or form.find("input", name=parameter.name)
        assert widget, parameter.name
        if parameter.cls:  # IRIs of a class are chosen from a dropdown of its instances
            assert len(form.find("select", name=parameter.name)) == 1
            assert parameter.example in [o["attrs"]["value"] for o in form.find("option")]
    response = client.get(f"/queries/{name}", query_string={"run": "1", **query.example_values()})
    assert response.status_code == 200
    page = Page(response.get_data(as_text=True))
    assert not page.find("div", role="alert") and (page.find("table") or page.find("p", class_="answer"))
