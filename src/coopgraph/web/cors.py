"""CORS on read requests, so browser applications on other sites can query the graph.

Every GET/HEAD answer may be read from any origin (the data is public; no cookies or
credentials are involved, so ``*`` is safe). POST is a write on most routes, so only
the routes that use it to read (the SPARQL endpoint) are opened to cross-origin POST,
preflight included; a blueprint names such routes with :func:`allow_read_post`.
"""

from __future__ import annotations

from flask import Blueprint, request

bp = Blueprint("cors", __name__)

_READ_POST: set[str] = set()
_EXPOSED: set[str] = set()
_exposed_value = ""
ALLOWED_REQUEST_HEADERS = "Accept, Accept-Language, Content-Type, If-None-Match, If-Modified-Since, Range, If-Range"
PREFLIGHT_MAX_AGE = "86400"


def allow_read_post(endpoint: str) -> None:
    """Open a route's POST (and its preflight) to other origins: it only reads."""
    _READ_POST.add(endpoint)


def expose(*headers: str) -> None:
    """Let cross-origin scripts read these answer headers."""
    global _exposed_value
    _EXPOSED.update(headers)
    _exposed_value = ", ".join(sorted(_EXPOSED))


@bp.after_app_request
def _add_cors_headers(response):
    method = request.method
    if method == "OPTIONS":
        wanted = request.headers.get("Access-Control-Request-Method", "").upper()
        allowed = ["GET", "HEAD"] + (["POST"] if request.endpoint in _READ_POST else [])
        if wanted and wanted in allowed:
            response.headers["Access-Control-Allow-Origin"] = "*"
            response.headers["Access-Control-Allow-Methods"] = ", ".join(allowed + ["OPTIONS"])
            response.headers["Access-Control-Allow-Headers"] = ALLOWED_REQUEST_HEADERS
            response.headers["Access-Control-Max-Age"] = PREFLIGHT_MAX_AGE
        return response
    if method in ("GET", "HEAD") or (method == "POST" and request.endpoint in _READ_POST):
        # add, not set: no view sets these, and set() rereads every header of the answer
        response.headers.add("Access-Control-Allow-Origin", "*")
        if _exposed_value:
            response.headers.add("Access-Control-Expose-Headers", _exposed_value)
    return response
