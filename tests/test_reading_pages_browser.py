"""Issue 17 in a browser: SPARQL results link here with our prefixes, examples come from one
list, inferred types open on demand, and the navigation leaves a phone its screen.

Headless Chromium (/usr/bin/chromium, never downloaded) against the live server over the
curated graph; screenshots go to tests/artifacts/screenshots/ (git-ignored).
"""

from __future__ import annotations

import os

import pytest

from test_browser import ARGS, ARTIFACTS, CHROMIUM, Visit

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not os.access(CHROMIUM, os.X_OK), reason="needs Chromium at /usr/bin/chromium (Debian package: chromium)"
    ),
]
playwright_api = pytest.importorskip("playwright.sync_api", reason="needs the playwright package (pip extra: test)")

SHOTS = ARTIFACTS / "screenshots"


@pytest.fixture(scope="module")
def base(live_server):
    SHOTS.mkdir(parents=True, exist_ok=True)
    return live_server.url


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield instance
        instance.close()


def test_sparql_results_link_to_this_site_with_prefixes(browser, base):
    visit = Visit(browser, base + "/sparql")
    outside: list[str] = []
    try:
        page = visit.page
        page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(base) else None)
        page.wait_for_function("window.coopgraphYasgui && document.querySelector('.yasqe .CodeMirror')")
        page.evaluate("""() => {
            const tab = window.coopgraphYasgui.getTab();
            tab.getYasqe().setValue('PREFIX cg: <https://w3id.org/coopgraph/ontology#> ' +
                'SELECT ?pairing ?programme WHERE { ?pairing a cg:Pairing ; cg:isPairingIn ?programme } ' +
                'ORDER BY ?pairing LIMIT 5');
            tab.getYasqe().query();
        }""")
        page.wait_for_selector(".yasr table tbody tr a", timeout=15_000)
        links = page.locator(".yasr table tbody a").evaluate_all(
            "els => els.map(e => [e.getAttribute('href'), e.textContent, e.getAttribute('target')])"
        )
        assert len(links) == 10
        for href, text, target in links:
            assert href.startswith("/id/"), href  # this server's page, not https://w3id.org/...
            assert text.startswith("id:"), text  # the IRI abbreviated with our prefix
            assert target is None
        first = links[0][0]
        with page.expect_navigation(wait_until="networkidle"):
            page.locator(".yasr table tbody a").first.click()
        assert page.url == base + first and page.locator("h1").count() == 1
        assert visit.errors == [] and outside == [], (visit.errors, outside)
    finally:
        visit.close()


def test_sparql_examples_open_from_one_list(browser, base):
    visit = Visit(browser, base + "/sparql")
    try:
        page = visit.page
        page.wait_for_function("window.coopgraphYasgui && document.querySelector('.yasqe .CodeMirror')")
        assert page.locator(".yasgui .tabsList .tab").count() == 1, "no tab per stored query any more"
        examples = page.locator("select#sparql-examples")
        assert examples.is_visible()
        names = examples.locator("option").all_inner_texts()[1:]
        assert len(names) > 3
        examples.select_option(index=2)
        page.wait_for_function("document.querySelectorAll('.yasgui .tabsList .tab').length === 2")
        assert page.locator(".yasgui .tabsList .tab.active").inner_text().strip().startswith(names[1][:20])
        assert "SELECT" in page.evaluate("window.coopgraphYasgui.getTab().getYasqe().getValue()").upper()
        # choosing it again selects its tab rather than opening another
        examples.select_option(index=1)
        examples.select_option(index=2)
        page.wait_for_function("document.querySelectorAll('.yasgui .tabsList .tab').length === 3")
        visit.shot(SHOTS, "sparql-examples", full_page=False)
        assert visit.errors == []
    finally:
        visit.close()


def test_inferred_types_open_on_demand(browser, base):
    visit = Visit(browser, base + "/id/pairing/iuc-koriyama-essen")
    try:
        page = visit.page
        hidden = page.locator("tr.inferred-types details ul")
        assert not hidden.is_visible()
        page.locator("tr.inferred-types summary").click()
        assert hidden.is_visible() and "prov:Activity" in hidden.inner_text()
        assert page.locator("aside.summary").is_visible()
        visit.shot(SHOTS, "resource-summary")
        assert visit.errors == []
    finally:
        visit.close()


@pytest.mark.parametrize("path", ["/", "/id/pairing/iuc-koriyama-essen", "/sparql", "/no/such/page"])
def test_the_navigation_leaves_a_phone_its_screen(browser, base, path):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        page.goto(base + path, wait_until="networkidle")
        header = page.evaluate("document.querySelector('header.site').getBoundingClientRect().height")
        assert header <= 844 * 0.12, f"the header takes {header}px of an 844px screen"
        assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 1
        # every link of the navigation can still be reached (the row scrolls sideways)
        last = page.locator("header.site nav li").last.locator("a")
        last.scroll_into_view_if_needed()
        assert last.is_visible()
        page.screenshot(path=str(SHOTS / f"phone{path.replace('/', '-').rstrip('-') or '-home'}.png"))
    finally:
        context.close()


def test_a_stored_query_table_sorts_by_a_column(browser, base):
    """Issue 17, item 8: a click on a heading orders the rows by that column, a second click the other way."""
    visit = Visit(browser, base + "/queries/programmes?run=1")
    try:
        page = visit.page
        table = page.locator("table.sortable").first
        headings = table.locator("thead th")
        assert headings.count() > 1

        def column(index: int) -> list[str]:
            return [c.strip() for c in table.locator(f"tbody tr td:nth-child({index + 1})").all_inner_texts()]

        index = next(i for i in range(headings.count()) if len(set(column(i))) > 2)
        headings.nth(index).locator("button.sort").click()
        ascending = column(index)
        assert headings.nth(index).get_attribute("aria-sort") == "ascending"
        headings.nth(index).locator("button.sort").click()
        assert headings.nth(index).get_attribute("aria-sort") == "descending"
        assert column(index) == list(reversed(ascending)) or sorted(column(index)) == sorted(ascending)
        assert column(index) != ascending
        assert visit.errors == []
    finally:
        visit.close()
