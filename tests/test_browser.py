"""Headless Chromium against a live server: the pages load without console errors, work
without JavaScript, fit a phone screen, and the scripts' enhancements run.

Needs Debian's chromium (/usr/bin/chromium) and the playwright package (test extra); the
browser is never downloaded. Screenshots are kept in tests/artifacts/ (git-ignored).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not os.access(CHROMIUM, os.X_OK), reason="needs Chromium at /usr/bin/chromium (Debian package: chromium)"
    ),
]
playwright_api = pytest.importorskip("playwright.sync_api", reason="needs the playwright package (pip extra: test)")


@pytest.fixture(scope="module")
def site(request):
    """(base URL, a city page, a search word) on the curated graph's server."""
    server = request.getfixturevalue("live_server")
    yield server.url, "/id/city/koriyama", "koriyama"


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield instance
        instance.close()


@pytest.fixture(scope="module", autouse=True)
def artifacts():
    shutil.rmtree(ARTIFACTS / "screenshots", ignore_errors=True)
    (ARTIFACTS / "screenshots").mkdir(parents=True, exist_ok=True)
    return ARTIFACTS / "screenshots"


class Visit:
    """A page opened in a fresh context, recording console errors and failed requests."""

    def __init__(self, browser, url: str, *, width: int = 1280, javascript: bool = True):
        self.context = browser.new_context(viewport={"width": width, "height": 900}, java_script_enabled=javascript)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", lambda m: self.errors.append(f"console: {m.text}") if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        self.page.on("requestfailed", lambda r: self.errors.append(f"request failed: {r.url}"))
        self.page.on("response", lambda r: self.errors.append(f"{r.status}: {r.url}") if r.status >= 400 else None)
        self.response = self.page.goto(url, wait_until="networkidle")

    def shot(self, folder: Path, name: str, full_page: bool = True) -> Path:
        path = folder / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=full_page)
        return path

    def close(self):
        self.context.close()


@pytest.mark.parametrize(
    "name, path",
    [
        ("home", "/"),
        ("city", None),
        ("search", "/search?q={word}"),
        ("map", "/map"),
        ("timeline", "/timeline"),
        ("network", "/network"),
        ("city-ja", "{city}?lang=ja"),
    ],
)
def test_page_loads_without_console_errors(browser, site, artifacts, name, path):
    base, city, word = site
    path = (path or city).format(city=city, word=word)
    visit = Visit(browser, base + path)
    try:
        assert visit.response.status == 200
        assert visit.page.locator("h1").count() == 1 and visit.page.locator("h1").is_visible()
        assert visit.page.locator("main#main").is_visible()
        shot = visit.shot(artifacts, name)
        assert shot.stat().st_size > 5000
        assert visit.errors == []
    finally:
        visit.close()


def test_search_from_home_to_a_city(browser, site, artifacts):
    base, city, word = site
    visit = Visit(browser, base + "/")
    try:
        visit.page.get_by_label("Search the graph").fill(word.upper())
        visit.page.get_by_role("button", name="Search").click()
        visit.page.wait_for_load_state("networkidle")
        assert "/search?q=" in visit.page.url
        visit.page.locator(f'ol.hits a[href="{city}"]').first.click()
        visit.page.wait_for_load_state("networkidle")
        assert visit.page.url.endswith(city)
        visit.shot(artifacts, "search-to-city")
        assert visit.errors == []
    finally:
        visit.close()


def test_scripts_enhance_the_map_and_the_network(browser, site):
    base, _, _ = site
    visit = Visit(browser, base + "/map")
    try:  # the interactive map replaces the drawings (tests/test_map_browser.py tries it out)
        visit.page.wait_for_selector("#live-map[data-drawn] path.pairing-line", timeout=10_000)
        assert visit.page.locator("[data-map-drawings]").is_hidden()
        assert visit.errors == []
    finally:
        visit.close()
    visit = Visit(browser, base + "/network")
    try:
        visit.page.wait_for_selector("[data-network-app][data-ready] [data-network-canvas] canvas")
        assert visit.page.evaluate("window.coopgraphNetwork.nodes().length") > 20
        assert visit.errors == []
    finally:
        visit.close()


@pytest.mark.parametrize("path", ["/map", "/timeline", "/network", "{city}"])
def test_content_without_javascript(browser, site, artifacts, path):
    base, city, _ = site
    visit = Visit(browser, base + path.format(city=city), javascript=False)
    try:
        assert visit.page.locator("svg[role=img], table, details").count() > 0
        assert visit.page.locator("main a[href^='/id/']").count() > 0
        assert visit.errors == []
    finally:
        visit.close()


@pytest.mark.parametrize("path", ["/", "{city}", "/search?q=a", "/map", "/timeline"])
def test_fits_a_phone_screen(browser, site, artifacts, path):
    base, city, _ = site
    visit = Visit(browser, base + path.format(city=city), width=390)
    try:
        overflow = visit.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"the page is {overflow}px wider than a 390px screen"
        if path == "{city}":
            visit.shot(artifacts, "city-phone")
    finally:
        visit.close()


def test_yasgui_runs_a_query_against_the_endpoint(browser, site, artifacts):
    """The SPARQL page's editor (YASGUI, served from the package) sends a query to /sparql and shows the rows."""
    base, _, _ = site
    outside: list[str] = []
    visit = Visit(browser, base + "/sparql")
    try:
        visit.page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(base) else None)
        visit.page.wait_for_function("window.coopgraphYasgui && document.querySelector('.yasqe .CodeMirror')")
        assert visit.page.locator("select#sparql-examples option").count() > 1, "the stored queries as examples"
        visit.page.evaluate("""() => {
            const tab = window.coopgraphYasgui.getTab();
            tab.getYasqe().setValue('PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> ' +
                'SELECT ?label WHERE { ?s rdfs:label ?label FILTER(lang(?label) = "en") } ORDER BY ?label LIMIT 5');
            tab.getYasqe().query();
        }""")
        visit.page.wait_for_selector(".yasr table tbody tr", timeout=15_000)
        cells = visit.page.locator(".yasr table tbody tr td").all_inner_texts()
        assert len(visit.page.locator(".yasr table tbody tr").all()) == 5
        assert any(text.strip() for text in cells)
        visit.shot(artifacts, "sparql-yasgui")
        assert visit.errors == []
        assert outside == [], f"the editor called outside the site: {outside}"
    finally:
        visit.close()
