"""Headless Chromium visits every page of the site with its Content-Security-Policy in force.

For each page: the policy is really sent, the browser reports no violation of it (the
``securitypolicyviolation`` event, reported to the test through a binding that survives
navigation, and Chromium's "Refused to ..." console lines) and no console error, and the
page's scripts did their work (YASGUI shows rows, Swagger UI lists operations, the map
highlights, forms submit and answer).

Needs Debian's chromium (/usr/bin/chromium) and the playwright package (test extra).
"""

from __future__ import annotations

import os

import pytest

from conftest import ROOT, SAMPLES

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
CITY = "/id/city/koriyama"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not os.access(CHROMIUM, os.X_OK), reason="needs Chromium at /usr/bin/chromium (Debian package: chromium)"
    ),
]
playwright_api = pytest.importorskip("playwright.sync_api", reason="needs the playwright package (pip extra: test)")

#: Runs before any script of each document: every violation of the policy goes to the test.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.reportViolation(`${event.effectiveDirective} blocked ${event.blockedURI || "inline"}`
                         + ` at ${event.sourceFile || event.documentURI}:${event.lineNumber}`);
});
"""


@pytest.fixture(scope="module")
def base(live_server, curated_release):
    """The live server over the curated graph, with a release to download."""
    return live_server.url


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield instance
        instance.close()


class Visit:
    """A fresh browser context on one page, recording policy violations, console errors and outside requests."""

    def __init__(self, browser, base: str, path: str):
        self.base = base
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.violations: list[str] = []
        self.console_errors: list[str] = []
        self.outside: list[str] = []
        self.context.expose_function("reportViolation", lambda text: self.violations.append(text))
        self.context.add_init_script(REPORT_VIOLATIONS)
        self.page = self.context.new_page()
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.console_errors.append(f"page error: {error}"))
        self.page.on("request", lambda r: self.outside.append(r.url) if not r.url.startswith((base, "data:")) else None)
        self.response = self.page.goto(base + path, wait_until="networkidle")

    def _console(self, message) -> None:
        if message.type == "error":
            self.console_errors.append(message.text)
            if "Content Security Policy" in message.text:
                self.violations.append(message.text)

    def policy(self) -> str:
        return self.response.headers.get("content-security-policy", "")

    def assert_clean(self, allowed_errors: tuple[str, ...] = ()) -> None:
        """The page sent its strict policy, broke none of it, logged no error and called nothing outside."""
        assert "script-src 'self'" in self.policy() and "unsafe-inline" not in self.policy()
        assert self.violations == []
        assert [e for e in self.console_errors if not any(a in e for a in allowed_errors)] == []
        assert self.outside == []

    def close(self) -> None:
        self.context.close()


@pytest.fixture()
def visit(browser, base):
    """Open a page: ``visit(path)``; every page opened is closed after the test."""
    opened: list[Visit] = []

    def open_page(path: str) -> Visit:
        opened.append(Visit(browser, base, path))
        return opened[-1]

    yield open_page
    for page in opened:
        page.close()


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/search?q=koriyama",
        "/timeline",
        "/network",
        "/dataset",
        "/ontology",
        "/download",
        "/queries",
        "/id/programme/iuc",
        "/.well-known/void",
        "/resource?iri=https://w3id.org/coopgraph/graph/meta",
        "/changes",
        "/changes/about?iri=https://w3id.org/coopgraph/id/programme/iuc",
    ],
)
def test_page_keeps_to_the_policy(visit, path):
    page = visit(path)
    assert page.response.status == 200
    assert page.page.locator("h1").count() == 1
    # the site's stylesheet applied (a page whose CSS the policy blocked would still "load")
    assert page.page.evaluate("getComputedStyle(document.querySelector('header.site')).display") != "inline"
    page.assert_clean()


def test_the_policy_is_enforced_and_violations_are_seen(visit):
    """The detector works: an inline script and a string evaluated as code are refused, and the test hears of it."""
    page = visit("/")
    page.page.evaluate("""() => {
        const script = document.createElement("script");
        script.textContent = "window.inlineRan = true";
        document.body.appendChild(script);
        setTimeout("window.stringRan = true", 0);
    }""")
    page.page.wait_for_function("document.readyState === 'complete'")
    page.page.wait_for_timeout(300)  # the timer and the violation events are asynchronous
    assert page.page.evaluate("[window.inlineRan === true, window.stringRan === true]") == [False, False]
    assert any("script-src-elem blocked inline" in v for v in page.violations)
    assert any("script-src blocked eval" in v for v in page.violations)


def test_a_resource_page_and_its_revalidation(visit):
    """A reload answered 304 (the headers refresh the cached page's) still runs under the page policy."""
    page = visit(CITY)
    assert page.response.status == 200 and page.response.headers.get("etag")
    reloaded = page.page.reload(wait_until="networkidle")
    assert reloaded.status in (200, 304)
    assert page.page.locator("h1").is_visible()
    assert page.page.evaluate("getComputedStyle(document.querySelector('header.site')).display") != "inline"
    page.assert_clean()


def test_map_and_network_scripts_run(visit):
    page = visit("/map")
    page.page.wait_for_selector("#live-map[data-drawn] path.pairing-line", timeout=10_000)
    assert page.page.locator("#live-map .map-pin").count() > 0, "map.js and Leaflet did not run on /map"
    assert page.page.locator("[data-map-drawings]").is_hidden()
    page.assert_clean()
    page = visit(CITY)  # the small map on the page of a place
    page.page.wait_for_selector("[data-place-map][data-drawn] .map-pin", timeout=10_000)
    page.assert_clean()
    page = visit("/network")
    page.page.wait_for_selector("[data-network-app][data-ready] [data-network-canvas] canvas")
    page.assert_clean()


def test_yasgui_runs_a_query(visit, base):
    page = visit("/sparql")
    page.page.wait_for_function("window.coopgraphYasgui && document.querySelector('.yasqe .CodeMirror')")
    page.page.evaluate("""() => {
        const tab = window.coopgraphYasgui.getTab();
        tab.getYasqe().setValue('PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> ' +
            'SELECT ?label WHERE { ?s rdfs:label ?label FILTER(lang(?label) = "en") } ORDER BY ?label LIMIT 5');
        tab.getYasqe().query();
    }""")
    page.page.wait_for_selector(".yasr table tbody tr", timeout=15_000)
    assert page.page.locator(".yasr table tbody tr").count() == 5
    # dragging a column's edge (the resizer adds a style element for the cursor meanwhile)
    grip = page.page.locator(".yasr .grip-handle").first
    box = grip.bounding_box()
    page.page.mouse.move(box["x"] + box["width"] / 2, box["y"] + 5)
    page.page.mouse.down()
    page.page.mouse.move(box["x"] + 40, box["y"] + 5, steps=4)
    page.page.mouse.up()
    # the raw response view renders too (CodeMirror again)
    page.page.locator(".yasr .select_response").click()
    page.page.wait_for_selector(".yasr .CodeMirror", timeout=5_000)
    page.assert_clean()


def test_swagger_ui_lists_and_runs_an_operation(visit):
    page = visit("/api")
    page.page.wait_for_selector("#swagger-ui .opblock", timeout=15_000)
    assert page.page.locator("#swagger-ui .opblock").count() > 3
    operation = page.page.locator("#swagger-ui .opblock").first
    operation.locator(".opblock-summary").click()
    operation.locator("button.try-out__btn").click()
    operation.locator("button.execute").click()
    status = operation.locator(".live-responses-table tbody .response-col_status").first
    status.wait_for(timeout=15_000)
    assert status.inner_text().strip().startswith("200")
    page.assert_clean()


def test_a_stored_query_form_is_submitted(visit):
    page = visit("/queries/programme-pairings")
    form = page.page.locator("form.query-form")
    form.locator("select#param-programme").select_option("https://w3id.org/coopgraph/id/programme/iuc")
    with page.page.expect_navigation(wait_until="networkidle"):
        form.locator("button[type=submit]").click()
    assert "run=1" in page.page.url
    assert page.page.locator("section table tbody tr").count() > 0
    page.assert_clean()


def test_the_validate_form_is_submitted(visit):
    page = visit("/validate")
    page.page.locator("textarea#data").fill((SAMPLES / "curated-unknown-city.ttl").read_text(encoding="utf-8"))
    with page.page.expect_navigation(wait_until="networkidle"):
        page.page.get_by_role("button", name="Validate", exact=True).click()
    assert page.page.locator("section.report .verdict.bad").is_visible()
    page.assert_clean()


def test_the_not_found_page(visit):
    page = visit("/no/such/page")
    assert page.response.status == 404
    page.assert_clean(allowed_errors=("status of 404",))


def test_every_html_route_is_visited():
    """A new page added to the site must be added to this file too."""
    visited = {
        "/",
        "/search",
        "/timeline",
        "/dataset",
        "/ontology",
        "/download",
        "/queries",
        "/id/<path:rest>",
        "/resource",
        "/map",
        "/network",
        "/sparql",
        "/api",
        "/queries/<name>",
        "/validate",
        "/.well-known/void",
        "/changes",
        "/changes/about",
        "/store",
        "/store/<path:path>",
    }  # the Graph Store answers RDF only, never HTML
    from conftest import make_settings
    from coopgraph.web import create_app

    app = create_app(make_settings(ROOT))
    pages = {
        rule.rule
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods
        and not rule.rule.startswith(("/static", "/api/", "/health", "/download/"))
        and "." not in rule.rule.rsplit("/", 1)[-1]
        and rule.rule != "/map/outline.svg"
    }
    assert pages - visited == set()
