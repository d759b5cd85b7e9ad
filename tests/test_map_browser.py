"""The interactive map (Leaflet, vendored) in headless Chromium against a live server.

It is tried as a person uses it: zoom in on a place and click it, switch a programme's
layer off and on, and every pairing of the graph is checked to have its line. No request
may leave the site (the world outline is served by the site; there is no tile server).
Screenshots at 1280x900 and 390x844 are kept in tests/artifacts/map/ (git-ignored).

Needs Debian's chromium (/usr/bin/chromium) and the playwright package (test extra).
"""

from __future__ import annotations

import json
import os
import urllib.request
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
SHOTS = Path(__file__).resolve().parent / "artifacts" / "map"
ID = "https://w3id.org/coopgraph/id/"
IUC = ID + "programme/iuc"
R2R = ID + "programme/iurc-region-to-region"
KORIYAMA = ID + "city/koriyama"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not os.access(CHROMIUM, os.X_OK), reason="needs Chromium at /usr/bin/chromium (Debian package: chromium)"
    ),
]
playwright_api = pytest.importorskip("playwright.sync_api", reason="needs the playwright package (pip extra: test)")


@pytest.fixture(scope="module")
def base(live_server):
    return live_server.url


@pytest.fixture(scope="module")
def features(base):
    """The map's GeoJSON twin, as the page's script reads it."""
    with urllib.request.urlopen(base + "/map.geojson", timeout=30) as answer:
        return json.load(answer)


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield instance
        instance.close()


class MapVisit:
    """/map (or another page) in a fresh context; records errors and any request off the site."""

    def __init__(self, browser, base: str, path: str = "/map", width: int = 1280, height: int = 900):
        self.context = browser.new_context(viewport={"width": width, "height": height})
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.outside: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        self.page.on("response", lambda r: self.errors.append(f"{r.status}: {r.url}") if r.status >= 400 else None)
        self.page.on(
            "request", lambda r: self.outside.append(r.url) if not r.url.startswith((base + "/", "data:")) else None
        )
        self.response = self.page.goto(base + path, wait_until="networkidle")

    def wait_drawn(self, selector: str = "#live-map[data-drawn]") -> None:
        self.page.wait_for_selector(selector, timeout=15_000)

    def zoom(self) -> float:
        return self.page.evaluate("document.getElementById('live-map').coopgraphMap.getZoom()")

    def close(self) -> None:
        self.context.close()


@pytest.fixture()
def visit(browser, base):
    opened: list[MapVisit] = []

    def open_page(path: str = "/map", **size) -> MapVisit:
        opened.append(MapVisit(browser, base, path, **size))
        return opened[-1]

    yield open_page
    for page in opened:
        page.close()


def test_zoom_in_on_a_place_and_click_it(visit, base):
    page = visit()
    page.wait_drawn()
    before = page.zoom()
    pin = page.page.locator(f'#live-map .map-pin[data-iri="{KORIYAMA}"]').first
    for _ in range(3):  # the wheel zooms around the pointer, so the place stays under it
        box = pin.bounding_box()
        page.page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.page.mouse.wheel(0, -300)
        page.page.wait_for_timeout(400)  # Leaflet animates the zoom
    assert page.zoom() > before + 1
    box = pin.bounding_box()
    with page.page.expect_navigation():
        page.page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    assert page.page.url == base + "/id/city/koriyama"
    assert page.page.locator("h1").inner_text().startswith("Koriyama")
    assert page.errors == [] and page.outside == []


def test_the_zoom_buttons_and_a_click_on_a_line(visit, base):
    page = visit()
    page.wait_drawn()
    before = page.zoom()
    page.page.locator("#live-map .leaflet-control-zoom-in").click()
    page.page.wait_for_timeout(400)
    assert page.zoom() > before
    line = page.page.locator('#live-map path.pairing-line[data-iri$="pairing/iuc-koriyama-essen"]')
    iri = line.get_attribute("data-iri")
    line.dispatch_event("click")
    page.page.wait_for_url(base + "/id/pairing/iuc-koriyama-essen", timeout=10_000)
    assert iri == ID + "pairing/iuc-koriyama-essen"


def test_switching_a_programme_off_and_on_removes_and_restores_its_lines(visit, features):
    page = visit()
    page.wait_drawn()
    lines = page.page.locator("#live-map path.pairing-line, #live-map path.visit-line")
    total = lines.count()
    of_iuc = sum(
        1 for f in features["features"] if f["properties"]["kind"] != "place" and IUC in f["properties"]["programmes"]
    )
    assert of_iuc > 0 and total == sum(1 for f in features["features"] if f["properties"]["kind"] != "place")
    toggle = page.page.locator(".leaflet-control-layers-overlays label", has_text="International Urban Cooperation")
    toggle.locator("input").uncheck()
    assert lines.count() == total - of_iuc
    assert page.page.locator(f'#live-map path[data-programme="{IUC}"]').count() == 0
    toggle.locator("input").check()
    assert lines.count() == total
    # the Region-to-Region strand has no pairings: its regions and prefectures are linked by visits
    strand = page.page.locator(f'#live-map path.visit-line[data-programme="{R2R}"]')
    assert strand.count() > 0
    page.page.locator(".leaflet-control-layers-overlays label", has_text="Region-to-Region").locator("input").uncheck()
    assert strand.count() == 0 and lines.count() == total - sum(
        1 for f in features["features"] if f["properties"]["kind"] == "visit" and R2R in f["properties"]["programmes"]
    )


def test_every_pairing_in_the_graph_has_its_line(visit, built_store):
    """Lines drawn == pairings with two located participants (one line per two of them), from the graph."""
    rows = built_store.select("""
        PREFIX cg: <https://w3id.org/coopgraph/ontology#>
        PREFIX geo: <http://www.w3.org/2003/01/geo/wgs84_pos#>
        SELECT ?pairing (COUNT(DISTINCT ?place) AS ?located) WHERE {
          ?pairing a cg:Pairing ; ?link ?place . ?place geo:lat ?lat ; geo:long ?long
        } GROUP BY ?pairing""")
    located = {row["pairing"].value: int(row["located"].value) for row in rows}
    expected = {iri: n * (n - 1) // 2 for iri, n in located.items() if n >= 2}
    assert len(expected) >= 15  # the curated IUC and IURC pairings (some of three cities)
    page = visit()
    page.wait_drawn()
    drawn = page.page.eval_on_selector_all("#live-map path.pairing-line", "ps => ps.map(p => p.dataset.iri)")
    counts = {iri: drawn.count(iri) for iri in set(drawn)}
    assert counts == expected
    for flagship in ("iuc-koriyama-essen", "iuc-yokohama-frankfurt", "iuc-ikoma-ancona", "iuc-hirosaki-donostia"):
        assert ID + "pairing/" + flagship in counts, flagship


def test_seats_and_capitals_say_so(visit):
    page = visit()
    page.wait_drawn()
    pin = page.page.locator(f'#live-map .map-pin[data-iri="{ID}prefecture/aichi"]').first
    assert "seat" in pin.get_attribute("class")
    pin.focus()  # keyboard focus opens the tooltip, as hovering does (Toyota's pin lies on top in the overview)
    tooltip = page.page.locator(".leaflet-tooltip").first
    tooltip.wait_for(timeout=5_000)
    assert "Aichi" in tooltip.inner_text() and "seat or capital" in tooltip.inner_text()
    assert "Nagoya" in tooltip.inner_text()  # the graph's own note on the point
    pin = page.page.locator(f'#live-map .map-pin[data-iri="{KORIYAMA}"]').first
    assert "seat" not in pin.get_attribute("class").split()


@pytest.mark.parametrize("width, height", [(1280, 900), (390, 844)])
def test_no_request_leaves_the_site_and_screenshots(visit, width, height):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = visit(width=width, height=height)
    page.wait_drawn()
    page.page.wait_for_timeout(300)
    assert page.page.locator("#live-map path.land").count() > 100  # the world outline, from the site
    overflow = page.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"the page is {overflow}px wider than the screen"
    page.page.locator("#live-map").scroll_into_view_if_needed()
    page.page.screenshot(path=str(SHOTS / f"map-{width}x{height}.png"))
    page.page.screenshot(path=str(SHOTS / f"map-{width}x{height}-page.png"), full_page=True)
    assert page.errors == [] and page.outside == []


def test_small_map_on_the_page_of_a_place(visit):
    page = visit("/id/prefecture/aichi")
    page.wait_drawn("[data-place-map][data-drawn] .map-pin")
    assert page.page.locator("[data-place-map] path.land").count() > 10
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.page.locator("[data-place-map]").screenshot(path=str(SHOTS / "place-aichi.png"))
    assert page.errors == [] and page.outside == []
    page = visit("/id/programme/iuc")  # not a place: no small map, no Leaflet
    assert page.page.locator("[data-place-map]").count() == 0
    assert page.page.locator('script[src*="leaflet"]').count() == 0
