"""What every request meets first and every answer last: the body count, the worker header, the access log.

Done around the WSGI application rather than in Flask's before/after-request hooks:
at thousands of cached SPARQL answers a second, the hooks' request-context lookups and
header rewrites were a measurable share of a request; here the line is made from the
WSGI environment and the header appended to the list gunicorn sends.
"""

from __future__ import annotations

import io
import json
import logging
import time

from ..errors import PayloadTooLarge
from .workers import worker_name

access_log = logging.getLogger("coopgraph.access")


#: Bytes read from a streamed body at a time while counting it.
READ_CHUNK = 64 * 1024


class AnswerFrame:
    """WSGI middleware: the body limit, ``X-Coopgraph-Worker`` on every answer, and the access log.

    ``max_body_bytes`` is the largest body any part of the site takes; the parts check
    their own, smaller limits against ``Content-Length`` (see :func:`count_streamed_body`).
    """

    def __init__(self, app, max_body_bytes: int | None = None):
        self.app = app
        self.max_body_bytes = max_body_bytes

    def __call__(self, environ, start_response):
        started = time.perf_counter()
        if self.max_body_bytes is not None and not count_streamed_body(environ, self.max_body_bytes):
            status, headers, body = too_large_answer(self.max_body_bytes)
            headers.append(("X-Coopgraph-Worker", worker_name()))
            start_response(status, headers)
            self._log(environ, status, headers, started)
            return [body]
        sent: list = []

        def start(status, headers, exc_info=None):
            headers.append(("X-Coopgraph-Worker", worker_name()))
            sent[:] = (status, headers)
            return start_response(status, headers, exc_info)

        body = self.app(environ, start)
        if sent:
            self._log(environ, *sent, started)
        return body

    @staticmethod
    def _log(environ, status: str, headers, started: float) -> None:
        if access_log.isEnabledFor(logging.INFO):
            length = next((value for name, value in headers if name == "Content-Length"), "0")
            access_log.info(
                '%s "%s %s" %s %s %.1fms',
                environ.get("REMOTE_ADDR"),
                environ.get("REQUEST_METHOD"),
                request_target(environ),
                status.split(" ", 1)[0],
                length,
                (time.perf_counter() - started) * 1000,
            )


def count_streamed_body(environ, limit: int) -> bool:
    """Read a body sent without ``Content-Length`` (chunked), counting; False if it is over ``limit``.

    Why here: for such a body the framework can only cut the stream at its limit, and a
    reader that asked for "limit + 1 bytes" then got exactly the limit and took a cut
    document for a whole one (a 6.5 MB contribution stored as its first 5 MB). Read
    whole here, the body goes on as an ordinary one with a ``Content-Length``, so every
    part of the site applies its own limit to the true size. Bodies with a length are
    left alone: they cannot be longer than they say. At most ``limit + 1`` bytes are
    held; the server has read them from the client already (see coopgraph.server).
    """
    if environ.get("CONTENT_LENGTH") or "chunked" not in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
        return True
    stream = environ["wsgi.input"]
    parts, size = [], 0
    while size <= limit:
        part = stream.read(min(READ_CHUNK, limit + 1 - size))
        if not part:
            break
        parts.append(part)
        size += len(part)
    if size > limit:
        return False
    environ["wsgi.input"] = io.BytesIO(b"".join(parts))
    environ["CONTENT_LENGTH"] = str(size)
    environ.pop("HTTP_TRANSFER_ENCODING", None)
    environ["wsgi.input_terminated"] = True
    return True


def too_large_answer(limit: int) -> tuple[str, list, bytes]:
    """The 413 in the site's JSON error shape, closing the connection (the rest of the body is unread)."""
    error = PayloadTooLarge(
        f"the request body is larger than the limit of {limit:,} bytes",
        hint="Send less data at once, or split it into several requests.",
    )
    body = json.dumps(error.to_dict()).encode("utf-8")
    return (
        "413 Request Entity Too Large",
        [("Content-Type", "application/json"), ("Content-Length", str(len(body))), ("Connection", "close")],
        body,
    )


def request_target(environ) -> str:
    """The path and query string as asked (WSGI hands the path over as Latin-1 text)."""
    path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
    try:
        path = path.encode("latin-1").decode("utf-8")
    except UnicodeError:
        pass
    query = environ.get("QUERY_STRING")
    return f"{path}?{query}" if query else path
