"""What every answer gets on its way out: the worker header and one access-log line.

Done around the WSGI application rather than in Flask's before/after-request hooks:
at thousands of cached SPARQL answers a second, the hooks' request-context lookups and
header rewrites were a measurable share of a request; here the line is made from the
WSGI environment and the header appended to the list gunicorn sends.
"""

from __future__ import annotations

import logging
import time

from .workers import worker_name

access_log = logging.getLogger("coopgraph.access")


class AnswerFrame:
    """WSGI middleware: ``X-Coopgraph-Worker`` on every answer, and the access log."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        started = time.perf_counter()
        sent: list = []

        def start(status, headers, exc_info=None):
            headers.append(("X-Coopgraph-Worker", worker_name()))
            sent[:] = (status, headers)
            return start_response(status, headers, exc_info)

        body = self.app(environ, start)
        if sent and access_log.isEnabledFor(logging.INFO):
            status, headers = sent
            length = next((value for name, value in headers if name == "Content-Length"), "0")
            access_log.info('%s "%s %s" %s %s %.1fms', environ.get("REMOTE_ADDR"), environ.get("REQUEST_METHOD"),
                            request_target(environ), status.split(" ", 1)[0], length,
                            (time.perf_counter() - started) * 1000)
        return body


def request_target(environ) -> str:
    """The path and query string as asked (WSGI hands the path over as Latin-1 text)."""
    path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
    try:
        path = path.encode("latin-1").decode("utf-8")
    except UnicodeError:
        pass
    query = environ.get("QUERY_STRING")
    return f"{path}?{query}" if query else path
