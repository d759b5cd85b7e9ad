"""Every kind of answer of a live server carries the security headers (issue 14).

Pages (and the 304s that refresh them in a browser's cache) get the strict page policy;
data, downloads, static files and errors for API clients get the closed data policy.
CORS stays as it was: these headers must not take away what other sites may read.
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import pytest
import requests

from coopgraph.web.security import DATA_POLICY, PAGE_POLICY, YASGUI_STYLE_HASHES

STATIC = Path(__file__).resolve().parent.parent / "src" / "coopgraph" / "web" / "static"
HTML = {"Accept": "text/html"}
SPARQL_JSON = {"Accept": "application/sparql-results+json"}


@pytest.fixture(scope="module")
def base(live_server, curated_release):
    return live_server.url


@pytest.fixture(scope="module")
def download_path(curated_release):
    item = next(f for f in curated_release.files if f.name.endswith(".nq") or "nquads" in f.name)
    return f"/download/{curated_release.version}/{item.name}"


def assert_secured(response: requests.Response, policy: str) -> None:
    headers = response.headers
    assert headers.get("X-Content-Type-Options") == "nosniff"
    assert headers.get("Referrer-Policy") == "strict-origin-when-cross-origin"
    assert headers.get("X-Frame-Options") == "DENY"
    assert headers.get("Cross-Origin-Opener-Policy") == "same-origin"
    assert headers.get("Content-Security-Policy") == policy
    # sent once each: no middleware or view added a second, conflicting copy
    for name in ("Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options"):
        assert len(response.raw.headers.getlist(name)) == 1, name


PAGES = [
    "/",
    "/search?q=koriyama",
    "/map",
    "/timeline",
    "/network",
    "/dataset",
    "/ontology",
    "/download",
    "/queries",
    "/queries/programmes",
    "/validate",
    "/sparql",
    "/api",
    "/id/city/koriyama",
]


@pytest.mark.parametrize("path", PAGES)
def test_pages_carry_the_page_policy(base, path):
    response = requests.get(base + path, headers=HTML, timeout=30)
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/html")
    assert_secured(response, PAGE_POLICY)


@pytest.mark.parametrize(
    "path, headers",
    [
        ("/api/queries", {}),
        ("/api/queries/programmes/results?format=csv", {}),
        ("/api/openapi.json", {}),
        ("/sparql?query=ASK%20%7B%7D", SPARQL_JSON),
        ("/sparql", {"Accept": "text/turtle"}),  # the service description
        ("/id/city/koriyama", {"Accept": "text/turtle"}),
        ("/map.geojson", {}),
        ("/map/outline.svg?bbox=120,20,150,50&width=300", {}),
        ("/context.jsonld", {}),
        ("/health", {}),
        ("/static/coopgraph.js", {}),
        ("/static/yasgui/yasgui.min.css", {}),
        ("/api/contributions", {}),
    ],
)
def test_data_answers_carry_the_data_policy(base, path, headers):
    response = requests.get(base + path, headers=headers, timeout=30)
    assert response.status_code == 200
    assert not response.headers["Content-Type"].startswith("text/html")
    assert_secured(response, DATA_POLICY)


def test_a_download_whole_and_in_part(base, download_path):
    whole = requests.get(base + download_path, timeout=30)
    assert whole.status_code == 200
    assert_secured(whole, DATA_POLICY)
    part = requests.get(base + download_path, headers={"Range": "bytes=0-9"}, timeout=30)
    assert part.status_code == 206 and len(part.content) == 10
    assert_secured(part, DATA_POLICY)


@pytest.mark.parametrize(
    "path, headers",
    [
        ("/sparql?query=ASK%20%7B%7D", SPARQL_JSON),
        ("/id/city/koriyama", HTML),
        ("/static/coopgraph.css", {}),
        ("/api/openapi.json", {}),
    ],
)
def test_not_modified_answers_carry_the_page_policy(base, path, headers):
    """A 304 has no body type; its headers refresh a cached page's, so it gets the page policy."""
    first = requests.get(base + path, headers=headers, timeout=30)
    tag = first.headers["ETag"]
    again = requests.get(base + path, headers={**headers, "If-None-Match": tag}, timeout=30)
    assert again.status_code == 304
    assert_secured(again, PAGE_POLICY)


@pytest.mark.parametrize(
    "method, path, headers, data, status",
    [
        ("GET", "/no/such/page", HTML, None, 404),
        ("GET", "/api/queries/no-such-query", {}, None, 404),
        ("GET", "/sparql?query=SELEC", SPARQL_JSON, None, 400),
        ("POST", "/sparql", {"Content-Type": "application/sparql-update"}, "CLEAR ALL", 403),
        ("DELETE", "/api/queries", {}, None, 405),
        ("POST", "/api/validate", {"Content-Type": "text/turtle"}, "@prefix broken", 400),
        ("POST", "/api/contributions", {"Content-Type": "text/turtle"}, "", 403),  # submissions off
    ],
)
def test_errors_carry_the_headers(base, method, path, headers, data, status):
    response = requests.request(method, base + path, headers=headers, data=data, timeout=30)
    assert response.status_code == status
    policy = PAGE_POLICY if response.headers["Content-Type"].startswith("text/html") else DATA_POLICY
    assert response.headers["Content-Type"].startswith("text/html") == (headers == HTML)
    assert_secured(response, policy)


def test_cors_is_unchanged(base):
    """Other sites may still read the answers and query by POST; the new headers take nothing away."""
    read = requests.get(base + "/api/queries", headers={"Origin": "https://elsewhere.example"}, timeout=30)
    assert read.headers["Access-Control-Allow-Origin"] == "*"
    preflight = requests.options(
        base + "/sparql",
        timeout=30,
        headers={
            "Origin": "https://elsewhere.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Content-Type",
        },
    )
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert_secured(
        preflight,
        PAGE_POLICY if preflight.headers.get("Content-Type", "text/html").startswith("text/html") else DATA_POLICY,
    )
    query = requests.post(
        base + "/sparql",
        data={"query": "ASK {}"},
        timeout=30,
        headers={"Origin": "https://elsewhere.example", **SPARQL_JSON},
    )
    assert query.status_code == 200 and query.headers["Access-Control-Allow-Origin"] == "*"
    assert_secured(query, DATA_POLICY)


def test_the_page_policy_is_strict():
    directives = dict(part.strip().split(" ", 1) for part in PAGE_POLICY.split(";"))
    assert directives["script-src"] == "'self'"
    assert "'unsafe-inline'" not in PAGE_POLICY and "'unsafe-eval'" not in PAGE_POLICY
    assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
    assert directives["base-uri"] == "'none'" and directives["form-action"] == "'self'"
    assert directives["connect-src"] == "'self'" and directives["img-src"] == "'self' data:"


def sha256(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


def test_yasgui_style_hashes_match_the_vendored_bundle():
    """The hashes allowed in style-src are those of the style elements the vendored YASGUI adds."""
    bundle = (STATIC / "yasgui" / "yasgui.min.js").read_text(encoding="utf-8")
    layout = re.findall(r"createStyle\(a,`([^`]*)`\)", bundle)
    drag_cursor = re.search(r"dragCursor:`([^`]*)`", bundle).group(1)
    assert "*{cursor:`+n.opt.dragCursor+`!important}" in bundle
    expected = {sha256(text) for text in layout} | {sha256(f"*{{cursor:{drag_cursor}!important}}")}
    assert len(layout) == 1 and set(YASGUI_STYLE_HASHES) == expected


def test_our_templates_and_scripts_have_nothing_inline():
    """No inline script, event handler, style attribute or javascript: URL in what we write."""
    templates = STATIC.parent / "templates"
    inline = re.compile(r"\son[a-z]+=|\sstyle=|<style|javascript:", re.IGNORECASE)
    for path in [*templates.rglob("*.html"), *templates.rglob("*.svg")]:
        text = path.read_text(encoding="utf-8")
        assert not inline.search(text), path
        for tag in re.findall(r"<script\b[^>]*>", text, re.IGNORECASE):
            assert " src=" in tag or 'type="application/json"' in tag, (path, tag)
