"""Headless Chromium on the network (Cytoscape.js) and the timeline (vis-timeline): the
scripts draw the graph, filter, search, expand, switch groups and zoom, under the site's
strict Content-Security-Policy, without a request leaving the site.

Needs Debian's chromium (/usr/bin/chromium) and the playwright package (test extra).
Screenshots at 1280x900 and 390x844 are kept in tests/artifacts/views/ (git-ignored).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from coopgraph.namespaces import ONTOLOGY

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
ARTIFACTS = Path(__file__).resolve().parent / "artifacts" / "views"
ID = "https://w3id.org/coopgraph/id/"
SIZES = {"desktop": (1280, 900), "phone": (390, 844)}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not os.access(CHROMIUM, os.X_OK), reason="needs Chromium at /usr/bin/chromium (Debian package: chromium)"
    ),
]
playwright_api = pytest.importorskip("playwright.sync_api", reason="needs the playwright package (pip extra: test)")

REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.reportViolation(`${event.effectiveDirective} blocked ${event.blockedURI || "inline"}`);
});
"""


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield instance
        instance.close()


class Visit:
    """A page in a fresh context, recording policy violations, errors and every request off the site."""

    def __init__(self, browser, base: str, path: str, size: str = "desktop"):
        width, height = SIZES[size]
        self.context = browser.new_context(viewport={"width": width, "height": height})
        self.problems: list[str] = []
        self.outside: list[str] = []
        self.context.expose_function("reportViolation", lambda text: self.problems.append("csp: " + text))
        self.context.add_init_script(REPORT_VIOLATIONS)
        self.page = self.context.new_page()
        self.page.on("console", lambda m: self.problems.append("console: " + m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        self.page.on("response", lambda r: self.problems.append(f"{r.status}: {r.url}") if r.status >= 400 else None)
        self.page.on("request", lambda r: self.outside.append(r.url) if not r.url.startswith((base, "data:")) else None)
        self.response = self.page.goto(base + path, wait_until="networkidle")

    def assert_clean(self):
        assert self.problems == [] and self.outside == []

    def shot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=False)
        return path


@pytest.fixture()
def visit(browser, live_server):
    opened = []

    def open_page(path: str, size: str = "desktop") -> Visit:
        opened.append(Visit(browser, live_server.url, path, size))
        return opened[-1]

    yield open_page
    for page in opened:
        page.context.close()


def programme_members(store, programme: str) -> set[str]:
    """From the graph: the programme, its pairings and the places taking part in them."""
    rows = store.select(f"""
        SELECT DISTINCT ?n WHERE {{
          {{ BIND(<{programme}> AS ?n) }}
          UNION {{ ?n <{ONTOLOGY}isPairingIn> <{programme}> }}
          UNION {{ ?pairing <{ONTOLOGY}isPairingIn> <{programme}> .
                  ?pairing <{ONTOLOGY}hasEuSideParticipant>|<{ONTOLOGY}hasJapanSideParticipant> ?n }}
        }}""")
    return {row["n"].value for row in rows}


def shown_nodes(page) -> set[str]:
    return set(
        page.evaluate("window.coopgraphNetwork.nodes().filter(n => n.style('display') !== 'none').map(n => n.id())")
    )


def test_network_filters_by_programme_and_counts_what_the_graph_holds(visit, built_store):
    page = visit("/network")
    page.page.wait_for_selector("[data-network-app][data-ready]")
    assert page.page.locator("[data-network-canvas] canvas").count() > 0
    everything = shown_nodes(page.page)
    expected = programme_members(built_store, ID + "programme/iuc")
    assert len(expected) >= 1 + 10 + 20  # the programme, ten pairings, twenty-one cities (Nagano with Obuse)
    page.page.select_option("#nw-programme", ID + "programme/iuc")
    assert shown_nodes(page.page) == expected
    assert page.page.get_attribute("[data-network-app]", "data-shown") == str(len(expected))
    assert len(everything) > len(expected)
    page.shot("network-iuc-desktop")
    # a theme narrows it further; a kind unticked hides every node of it
    page.page.select_option("#nw-programme", "")
    page.page.locator(".network-kinds summary").click()
    page.page.uncheck('input[name="kind"][value="place"]')
    assert not any("/city/" in iri or "/region/" in iri for iri in shown_nodes(page.page))
    page.assert_clean()


def test_network_search_and_expand_a_node(visit):
    page = visit("/network")
    page.page.wait_for_selector("[data-network-app][data-ready]")
    before = page.page.evaluate("window.coopgraphNetwork.nodes().length")
    page.page.fill("#nw-q", "Koriyama")
    page.page.get_by_role("button", name="Find").click()
    page.page.wait_for_selector(f'[data-network-app][data-found="{ID}city/koriyama"]')
    assert page.page.locator("[data-network-info] h2").inner_text() == "Koriyama"
    # a click on the node brings its neighbourhood from /network/neighbours.json
    page.page.locator("[data-network-canvas]").scroll_into_view_if_needed()
    page.page.wait_for_timeout(400)  # the search centres the node with a short animation
    x, y = page.page.evaluate(
        """(iri) => {
        const cy = window.coopgraphNetwork, at = cy.getElementById(iri).renderedPosition();
        const box = cy.container().getBoundingClientRect();
        return [box.left + at.x, box.top + at.y]; }""",
        ID + "city/koriyama",
    )
    with page.page.expect_response(lambda r: "/network/neighbours.json" in r.url) as answer:
        page.page.mouse.click(x, y)  # a real click on the node in the canvas
    neighbours = {n["id"] for n in answer.value.json()["nodes"]}
    page.page.wait_for_selector(f'[data-network-app][data-expanded="{ID}city/koriyama"]')
    loaded = set(page.page.evaluate("window.coopgraphNetwork.nodes().map(n => n.id())"))
    assert neighbours <= loaded and len(loaded) > before
    assert ID + "prefecture/fukushima" in neighbours or any("/pairing/" in n for n in neighbours)
    # and the panel links through to the resource page
    with page.page.expect_navigation():
        page.page.locator("[data-open-page]").click()
    assert page.page.url.endswith("/id/city/koriyama")
    page.assert_clean()


def test_timeline_groups_zoom_and_claims(visit):
    page = visit("/timeline")
    page.page.wait_for_selector("[data-timeline-app][data-ready]")
    labels = page.page.locator(".vis-labelset .vis-label").all_inner_texts()
    assert "International Urban Cooperation" in labels and "Dialogues, agreements and other ties" in labels
    # claims are drawn as claims: their own class, a prefix, and a legend entry
    claims = page.page.locator(".vis-item.tl-claim")
    assert claims.count() > 0 and claims.first.inner_text().startswith("Claim:")
    assert page.page.locator(".tl-key-claim").is_visible()
    assert page.page.locator(".vis-item.tl-meeting").first.inner_text().startswith("Claim:") is False
    page.shot("timeline-desktop")
    # switching the grouping regroups by kind, with human names
    page.page.select_option("#tl-groupby", "category")
    labels = page.page.locator(".vis-labelset .vis-label").all_inner_texts()
    assert "Disputed claims" in labels and "Meetings, summits and visits" in labels
    assert not any("claim" == text or "procedure step" in text for text in labels)
    # zoom in narrows the window the timeline shows
    span = "() => { const w = window.coopgraphTimeline.getWindow(); return w.end - w.start; }"
    wide = page.page.evaluate(span)
    page.page.get_by_role("button", name="Zoom in").click()
    page.page.wait_for_function(
        "(wide) => { const w = window.coopgraphTimeline.getWindow(); return w.end - w.start < wide * 0.9; }", arg=wide
    )
    page.assert_clean()


def test_bar_labels_are_not_cut(visit):
    """A period's label stays whole even when its bar is shorter than its text."""
    page = visit("/timeline")
    page.page.wait_for_selector("[data-timeline-app][data-ready]")
    cut = page.page.evaluate("""Array.from(document.querySelectorAll('.vis-item.vis-range .vis-item-content'))
        .filter(el => el.offsetParent && getComputedStyle(el.closest('.vis-item-overflow')).overflow === 'hidden')
        .length""")
    assert cut == 0


@pytest.mark.parametrize("path", ["/network", "/timeline"])
@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_screenshots_and_no_outside_requests(visit, path, size):
    page = visit(path, size)
    page.page.wait_for_selector("[data-ready]")
    page.page.locator("[data-ready]").scroll_into_view_if_needed()
    page.page.wait_for_timeout(300)  # the layout settles before the screenshot (not an assertion)
    shot = page.shot(f"{path.strip('/')}-{size}")
    assert shot.stat().st_size > 10000
    assert page.page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    page.assert_clean()
