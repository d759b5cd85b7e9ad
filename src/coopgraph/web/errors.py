"""One error shape for the whole site: JSON for clients, a short page for browsers.

JSON errors look like ``{"error": "<code>", "status": <http status>, "message": "...",
"hint": "..."}`` (``hint`` and ``details`` only when there is something to say); the
README documents the shape and a test guards it.
"""

from __future__ import annotations

import html
import logging

from flask import Response, json, render_template, request
from werkzeug.exceptions import HTTPException

from ..errors import CoopgraphError

log = logging.getLogger(__name__)

WERKZEUG_CODES = {
    400: "bad-request",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    413: "payload-too-large",
    415: "unsupported-media-type",
    429: "too-many-requests",
    500: "internal-error",
    503: "unavailable",
}


def wants_html() -> bool:
    """True when a browser (not an API client) made the request."""
    if request.path.startswith(("/api/", "/sparql")) and "text/html" not in request.headers.get("Accept", ""):
        return False
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "text/html" and request.accept_mimetypes["text/html"] > request.accept_mimetypes["application/json"]


def error_response(body: dict, status: int) -> Response:
    if wants_html():
        page = error_page(body, status)
        if page is not None:
            return Response(page, status=status, mimetype="text/html")
        text = (
            f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{status} "
            f"{html.escape(body['error'])}</title></head><body><main><h1>{status}: "
            f"{html.escape(body['error'].replace('-', ' '))}</h1><p>{html.escape(body['message'])}</p>"
            + (f"<p>{html.escape(body['hint'])}</p>" if body.get("hint") else "")
            + "<p><a href='/'>Home</a></p></main></body></html>"
        )
        return Response(text, status=status, mimetype="text/html")
    return Response(json.dumps(body), status=status, mimetype="application/json")


def error_page(body: dict, status: int) -> str | None:
    """The site's own page for the error (navigation, search), so a reader is not stranded.

    None when the page cannot be drawn (the error came from drawing pages): the caller
    then answers the plain page, which needs nothing but the error itself.
    """
    try:
        return render_template("error.html", body=body, status=status, title=body["error"].replace("-", " "))
    except Exception:  # noqa: BLE001 - the plain page is the fallback whatever went wrong
        log.warning("the error page could not be drawn; answering the plain one", exc_info=True)
        return None


def init_app(app) -> None:
    @app.errorhandler(CoopgraphError)
    def _coopgraph_error(exc: CoopgraphError):
        if exc.http_status >= 500:
            log.warning("%s: %s", type(exc).__name__, exc.message)
        response = error_response(exc.to_dict(), exc.http_status)
        retry_after = getattr(exc, "retry_after", None)  # 429 (and any error that says when to come back)
        if retry_after is not None:
            response.headers["Retry-After"] = str(retry_after)
        return response

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        status = exc.code or 500
        body = {"error": WERKZEUG_CODES.get(status, "error"), "status": status, "message": exc.description or exc.name}
        response = error_response(body, status)
        if status == 405 and exc.get_response().headers.get("Allow"):
            response.headers["Allow"] = exc.get_response().headers["Allow"]
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unexpected error")
        return error_response(
            {
                "error": "internal-error",
                "status": 500,
                "message": "Something went wrong on our side; it has been logged.",
            },
            500,
        )
