"""The coopgraph error tree.

Every error a user can meet is a :class:`CoopgraphError`. Each carries the HTTP status
the web layer answers with and the exit code the CLI ends with, so both layers map
errors the same way without knowing each kind. Messages say what went wrong and what
to do about it.
"""

from __future__ import annotations

#: How much of someone's input an error may quote (characters), and the longest message.
EXCERPT_CHARS = 200
MESSAGE_CHARS = 1000


def excerpt(text: str, limit: int = EXCERPT_CHARS, *, at: int | None = None) -> str:
    """Return at most about ``limit`` characters of ``text``, marking what was cut with an ellipsis.

    Why: errors quote what was sent to them (a bad token, a parameter value), and a 4 MB
    token must not come back as a 4 MB error body. With ``at`` (an offset in ``text``)
    the excerpt is the window around it; without, the beginning and the end are kept,
    where parser messages put the position and the reason.
    """
    if len(text) <= limit:
        return text
    if at is not None:
        start = max(0, min(at - limit // 2, len(text) - limit))
        return ("…" if start > 0 else "") + text[start : start + limit] + ("…" if start + limit < len(text) else "")
    head = limit * 2 // 3
    return text[:head] + "…" + text[len(text) - (limit - head) :]


def _clip_details(details: dict) -> dict:
    return {key: excerpt(value) if isinstance(value, str) else value for key, value in details.items()}


class CoopgraphError(Exception):
    """Base of every error coopgraph raises on purpose."""

    http_status = 500
    exit_code = 2
    #: A short machine-readable name, used as ``error`` in JSON error bodies.
    code = "internal-error"

    def __init__(self, message: str, *, hint: str | None = None, details: dict | None = None):
        message = excerpt(message, MESSAGE_CHARS)
        hint = excerpt(hint, MESSAGE_CHARS) if hint else hint
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.details = _clip_details(details) if details else {}

    def __str__(self) -> str:
        return f"{self.message} {self.hint}" if self.hint else self.message

    def to_dict(self) -> dict:
        """Return the JSON error shape shared by the CLI and the whole web API."""
        body = {"error": self.code, "status": self.http_status, "message": self.message}
        if self.hint:
            body["hint"] = self.hint
        if self.details:
            body["details"] = self.details
        return body


class ConfigError(CoopgraphError):
    """The configuration (file, environment or options) is not usable."""

    code = "configuration-error"
    exit_code = 2


class UsageError(CoopgraphError):
    """A request or command line is malformed or names something that cannot exist."""

    http_status = 400
    exit_code = 2
    code = "bad-request"


class InputTooDeep(UsageError):
    """An RDF document nests deeper than the configured limit (refused before parsing)."""

    code = "input-too-deep"


class QueryTooDeep(InputTooDeep):
    """A SPARQL text nests deeper than the configured limit (refused before parsing)."""

    exit_code = 1


class NotFound(CoopgraphError):
    """The named resource, query, graph or file does not exist."""

    http_status = 404
    exit_code = 2
    code = "not-found"


class NotAcceptable(CoopgraphError):
    """None of the media types the client accepts can be produced."""

    http_status = 406
    exit_code = 2
    code = "not-acceptable"


class Unauthorized(CoopgraphError):
    """The request needs an API token and brought none, or one that is not configured."""

    http_status = 401
    exit_code = 2
    code = "unauthorized"


class Forbidden(CoopgraphError):
    """The operation is not allowed (writes on a read-only endpoint, a missing token)."""

    http_status = 403
    exit_code = 2
    code = "forbidden"


class Conflict(CoopgraphError):
    """The request would leave the graph inconsistent (withdrawing data others depend on)."""

    http_status = 409
    exit_code = 1
    code = "conflict"


class Gone(NotFound):
    """The resource existed and was withdrawn on purpose (a withdrawn contribution)."""

    http_status = 410
    code = "gone"


class PayloadTooLarge(CoopgraphError):
    """A request body or upload is larger than the configured limit."""

    http_status = 413
    exit_code = 2
    code = "payload-too-large"


class TooManyRequests(CoopgraphError):
    """A client already has as many queries under evaluation as it may, and waited its turn in vain.

    ``retry_after`` (seconds) goes out as the ``Retry-After`` header.
    """

    http_status = 429
    exit_code = 1
    code = "too-many-requests"

    def __init__(self, message: str, *, retry_after: int, hint: str | None = None):
        super().__init__(message, hint=hint, details={"retry_after": retry_after})
        self.retry_after = retry_after


class UnsupportedMediaType(CoopgraphError):
    """A request body comes in a media type or character encoding that is not taken there."""

    http_status = 415
    exit_code = 2
    code = "unsupported-media-type"


class SyntaxProblem(CoopgraphError):
    """Text that should be RDF or SPARQL does not parse; says where (file, line, column)."""

    http_status = 400
    exit_code = 2
    code = "syntax-error"

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        line: int | None = None,
        column: int | None = None,
        hint: str | None = None,
    ):
        where = ", ".join(
            part
            for part in (
                source,
                f"line {line}" if line is not None else None,
                f"column {column}" if column is not None else None,
            )
            if part
        )
        full = f"{where}: {message}" if where else message
        details = {k: v for k, v in (("source", source), ("line", line), ("column", column)) if v is not None}
        super().__init__(full, hint=hint, details=details)
        self.source = source
        self.line = line
        self.column = column


class RdfSyntaxError(SyntaxProblem):
    """An RDF document (Turtle, JSON-LD, ...) does not parse."""

    code = "rdf-syntax-error"


class QuerySyntaxError(SyntaxProblem):
    """A SPARQL query or update does not parse."""

    code = "query-syntax-error"
    exit_code = 1


class LoadError(CoopgraphError):
    """A file or store could not be read (missing, unreadable, wrong format)."""

    http_status = 400
    exit_code = 2
    code = "load-error"


class QueryRefused(CoopgraphError):
    """The query asks for something this endpoint does not do (updates, SERVICE, LOAD)."""

    http_status = 403
    exit_code = 1
    code = "query-refused"


class QueryFailed(CoopgraphError):
    """The query parsed but could not be evaluated."""

    http_status = 400
    exit_code = 1
    code = "query-failed"


class QueryTimeout(CoopgraphError):
    """The query ran past its time limit and was stopped."""

    http_status = 503
    exit_code = 1
    code = "query-timeout"


class ParameterError(UsageError):
    """A stored-query parameter is missing or has a value of the wrong type."""

    code = "invalid-parameter"

    def __init__(self, name: str, message: str, *, expected: str | None = None):
        super().__init__(
            f"parameter '{excerpt(name, 100)}': {message}",
            hint=f"Expected {expected}." if expected else None,
            details={"parameter": name, **({"expected": expected} if expected else {})},
        )
        self.name = name


class StoredQueryError(CoopgraphError):
    """A stored query file has a mistake in its header or its SPARQL."""

    code = "stored-query-error"
    exit_code = 2

    def __init__(self, path: str, reason: str):
        super().__init__(f"{path}: {reason}", details={"file": path})
        self.path = path
        self.reason = reason


class NotConforming(CoopgraphError):
    """Data does not conform to the SHACL shapes; carries the validation report."""

    http_status = 422
    exit_code = 1
    code = "does-not-conform"

    def __init__(self, message: str, report=None):
        super().__init__(message)
        self.report = report


class ContributionRefused(CoopgraphError):
    """Contributed data says things a contribution may not say (about the ontology, the shapes, graphs)."""

    http_status = 422
    exit_code = 1
    code = "contribution-refused"


class StoreError(CoopgraphError):
    """The store could not be opened, read or written."""

    http_status = 503
    exit_code = 2
    code = "store-unavailable"


# --- errors that cross a process boundary ----------------------------------------------


def error_reply(exc: CoopgraphError) -> tuple:
    """What a child process sends back for an error: plain values, picklable whatever the class."""
    return ("error", type(exc).__name__, exc.message, exc.hint, exc.details)


def rebuild_error(name: str, message: str, hint: str | None, details: dict | None) -> CoopgraphError:
    """Recreate an error raised in another process as the same class, with its details."""
    cls = globals().get(name)
    if not (isinstance(cls, type) and issubclass(cls, CoopgraphError)):
        cls = QueryFailed
    error = cls.__new__(cls)
    CoopgraphError.__init__(error, message, hint=hint, details=details)
    for key, value in (details or {}).items():  # e.g. line/column of a syntax error
        setattr(error, key, value)
    if isinstance(error, SyntaxProblem):
        for key in ("source", "line", "column"):
            if not hasattr(error, key):
                setattr(error, key, None)
    return error
