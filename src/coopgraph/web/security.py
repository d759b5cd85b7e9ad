"""Security headers on every answer: a strict Content-Security-Policy, nosniff, no framing.

The site stands on the open internet with no proxy in front of it, so the browser is told
here what a page may do: run only the site's own script files (no inline script, no
``eval``), load styles, images, fonts and data from the site alone, post forms only to
the site, never be framed, and never guess a content type.

Done as WSGI middleware, like :mod:`.wsgi`: the header lines are built once, when the app
is made, and appended to the list the server sends; the only work per answer is finding
the ``Content-Type`` among a handful of headers. Flask's after-request hooks would cost a
request-context lookup and a header rewrite on every cached SPARQL answer.

CORS (:mod:`.cors`) is untouched: these headers restrict what a browser does with a
document of this site, not which origins may read its answers.
"""

from __future__ import annotations

#: The two ``<style>`` elements YASGUI's results table adds at run time (its column
#: resizer: the table layout, and the cursor while a column is dragged), by the SHA-256
#: of their text. Allowing exactly these keeps ``'unsafe-inline'`` out of the policy; a
#: test recomputes them from the vendored bundle, so an update of YASGUI that changes
#: them fails there rather than in users' browsers.
YASGUI_STYLE_HASHES = (
    "sha256-zCK2EVMoPc04mRF/g5CotUvxbJPWS+8V0b+s9ptqQIk=",
    "sha256-c0O6TmFAkgpNbHxKAa1BrveWHHopjEtC47i0PzMudxg=",
)

#: The policy of the HTML pages. Our scripts are files in static/ (data for them comes in
#: ``<script type="application/json">`` blocks, which are never executed, or in data
#: attributes). YASGUI and Swagger UI run under it as they are: they set styles through
#: the DOM (allowed) and need no ``eval``; only YASGUI's two style elements need a
#: hash. ``img-src data:``: Swagger UI's stylesheet draws its icons as data URIs.
#: ``base-uri 'none'``: no page needs ``<base>``, and an injected one would redirect
#: every relative script address.
PAGE_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' " + " ".join(f"'{digest}'" for digest in YASGUI_STYLE_HASHES),
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

#: The policy of every other answer (JSON, RDF, CSV, downloads, scripts, SVG): nothing
#: may load or run should a browser ever render one as a document.
DATA_POLICY = "default-src 'none'; frame-ancestors 'none'"

#: What every answer carries, whatever its type.
COMMON_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    # Links to a fact's sources elsewhere send our origin, never the page's path and query
    # (which may hold a user's SPARQL query or search words).
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    # For browsers without CSP frame-ancestors.
    ("X-Frame-Options", "DENY"),
    # A page opened from another site gets no handle on ours (window.opener), and back.
    ("Cross-Origin-Opener-Policy", "same-origin"),
)

PAGE_HEADERS = (*COMMON_HEADERS, ("Content-Security-Policy", PAGE_POLICY))
DATA_HEADERS = (*COMMON_HEADERS, ("Content-Security-Policy", DATA_POLICY))


def headers_for(headers: list[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    """Pick the security headers for an answer from its own headers.

    HTML gets the page policy. So does an answer without a body type (a 304 above all):
    a browser merges a 304's headers into the page it has cached, and the data policy
    there would block the page's own scripts and styles; for anything else the page
    policy is still strict. Every other answer gets the data policy.
    """
    for name, value in headers:
        if len(name) == 12 and name.lower() == "content-type":
            return PAGE_HEADERS if value.startswith("text/html") else DATA_HEADERS
    return PAGE_HEADERS


class SecurityHeaders:
    """WSGI middleware: the security headers of :data:`PAGE_HEADERS` or :data:`DATA_HEADERS` on every answer."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        def start(status, headers, exc_info=None):
            headers.extend(headers_for(headers))
            return start_response(status, headers, exc_info)

        return self.app(environ, start)
