"""``/sparql``: the SPARQL 1.1 Protocol endpoint (read-only), its Service Description and YASGUI.

Follows https://www.w3.org/TR/sparql11-protocol/ : a query by GET, by POST of a form
or by POST of the query itself; ``default-graph-uri`` / ``named-graph-uri`` replace
the query's dataset; the answer's format comes from the ``format`` parameter or the
Accept header. Without a query, GET answers the Service Description
(https://www.w3.org/TR/sparql11-service-description/), or YASGUI for a browser.

Safety comes before the store is touched: updates, LOAD and Graph Store writes are
refused (403) unless ``sparql_update`` lets someone write (then :mod:`.writes` takes
them), SERVICE only reaches endpoints named in ``service_allowlist``, bodies
are capped (413), and the store enforces the time limit and the row cap.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import threading
import time
from dataclasses import dataclass, field
from email.utils import format_datetime

from flask import Blueprint, Response, render_template, request

from .. import formats
from ..describe.service import DESCRIPTION_FORMATS, describe_service, serialize_description
from ..errors import Forbidden, NotAcceptable, PayloadTooLarge, QueryRefused, UnsupportedMediaType, UsageError
from ..formats import RDF_FORMATS, RESULT_FORMATS, media_type_format
from ..namespaces import ONTOLOGY
from ..sparql import looks_like_update, query_form, service_targets
from . import cors, writes
from .services import services

bp = Blueprint("sparql", __name__)

#: Offered answers, the first being the default when the client says nothing.
RESULT_TYPES = [f.media_type for f in RESULT_FORMATS.values()]
GRAPH_TYPES = [RDF_FORMATS[name].media_type for name in ("turtle", "ntriples", "jsonld", "rdfxml", "nquads", "trig")]
#: Generic media types many clients send, accepted last and answered under the same type.
RESULT_ALIASES = {"application/json": "json", "application/xml": "xml", "text/xml": "xml"}
#: N3 is answered as Turtle, which is N3 too: every N3 client reads it (SPARQLWrapper sends format=n3).
GRAPH_ALIASES = {
    "application/x-turtle": "turtle",
    "application/json": "jsonld",
    "text/plain": "ntriples",
    "application/xml": "rdfxml",
    "text/xml": "rdfxml",
    "text/n3": "turtle",
    "text/rdf+n3": "turtle",
}
DESCRIPTION_TYPES = [RDF_FORMATS[name].media_type for name in DESCRIPTION_FORMATS]
HTML = "text/html"
FORM = "application/x-www-form-urlencoded"
DIRECT_QUERY = "application/sparql-query"
DIRECT_UPDATE = "application/sparql-update"
#: Answer headers a browser application elsewhere may read (CORS).
EXPOSED_HEADERS = ("ETag", "Last-Modified", "Server-Timing", "X-Coopgraph-Truncated", "X-Coopgraph-Max-Rows")
READ_ONLY = (
    "This endpoint is read-only: SPARQL Update, LOAD and Graph Store writes are not accepted. "
    "Download the data and load it into a store of your own to change it."
)


@dataclass
class ProtocolRequest:
    """What a SPARQL Protocol request asks for, whatever the method that carried it."""

    query: str
    default_graphs: list[str] = field(default_factory=list)
    named_graphs: list[str] = field(default_factory=list)
    #: ``format`` parameters (some clients send one name and its media type; they must agree).
    format: list[str] = field(default_factory=list)


def init_app(app) -> None:
    cors.allow_read_post("sparql.endpoint")
    cors.expose(*EXPOSED_HEADERS)


@bp.route("/sparql", methods=["GET", "POST", "PUT", "DELETE", "PATCH"])
def endpoint():
    started = time.perf_counter()
    svc = services()
    limit = svc.settings.max_request_bytes
    request.max_content_length = limit
    if request.content_length is not None and request.content_length > limit:
        raise PayloadTooLarge(
            f"the request body has {request.content_length:,} bytes, more than the {limit:,} this endpoint accepts",
            hint="Shorten the query, or run it on a copy of the data (see /download).",
        )
    if request.method in ("PUT", "DELETE", "PATCH"):
        raise Forbidden(READ_ONLY)
    update = writes.read_update_request()
    if update is not None:
        return writes.run_update(update, endpoint_url())
    protocol = read_protocol_request()
    if protocol is None:
        return service_description()
    return run_query(protocol, started)


def read_protocol_request() -> ProtocolRequest | None:
    """Read the operation out of the request, refusing anything but one query (None: no query at all)."""
    args = request.args
    if request.method == "GET":
        if "update" in args:
            if services().settings.sparql_update != "off":
                raise UsageError(
                    "a SPARQL Update must be sent with POST, not GET",
                    hint="POST it as the form field 'update' or as an application/sparql-update body.",
                )
            raise Forbidden(READ_ONLY)
        if "query" not in args:
            return None
        return _protocol(args.getlist("query"), args)
    mimetype = request.mimetype
    if mimetype == DIRECT_UPDATE or "update" in args:
        raise Forbidden(READ_ONLY)
    if mimetype == FORM:
        form = request.form
        if "update" in form:
            raise Forbidden(READ_ONLY)
        queries = args.getlist("query") + form.getlist("query")
        params = request.values
        return _protocol(queries, params)
    if mimetype == DIRECT_QUERY:
        charset = request.mimetype_params.get("charset", "utf-8").lower()
        if charset not in ("utf-8", "utf8"):
            raise UnsupportedMediaType(
                f"a direct POST query must be UTF-8, not {charset}",
                hint="Send the query encoded as UTF-8 (Content-Type: application/sparql-query).",
            )
        try:
            text = request.get_data(cache=False).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise UsageError(
                f"the query is not valid UTF-8 (byte {exc.start})", hint="Send the query encoded as UTF-8."
            ) from exc
        return _protocol([text] + args.getlist("query"), args)
    if media_type_format(mimetype or "") is not None or "graph" in args or "default" in args:
        raise Forbidden(READ_ONLY)
    raise UnsupportedMediaType(
        f"a POST to the SPARQL endpoint must be {FORM} or {DIRECT_QUERY}, not {mimetype or 'untyped'}",
        hint="Send the query as a form field 'query' or as the body with Content-Type: application/sparql-query.",
    )


def _protocol(queries: list[str], params) -> ProtocolRequest:
    if len(queries) != 1:
        raise UsageError(
            f"send exactly one query; this request has {len(queries)}",
            hint="Give the 'query' parameter once (or the query body alone).",
        )
    return ProtocolRequest(
        queries[0], params.getlist("default-graph-uri"), params.getlist("named-graph-uri"), params.getlist("format")
    )


def endpoint_url() -> str:
    """The endpoint's public URL: ``public_url`` when set (behind a proxy), else as requested."""
    public = services().settings.public_url
    if public:
        return public.rstrip("/") + request.path
    # Built from the WSGI environment: werkzeug's base_url re-parses the whole URL.
    return f"{request.scheme}://{request.host}{request.root_path}{request.path}"


# --- queries ------------------------------------------------------------------------


def check_allowed(text: str) -> None:
    """Refuse updates and SERVICE calls to endpoints not on the allow-list, before any evaluation."""
    if looks_like_update(text):
        raise QueryRefused(READ_ONLY)
    allowed = set(services().settings.service_allowlist)
    for target in service_targets(text):
        if target is None:
            raise QueryRefused(
                "SERVICE with a variable or prefixed endpoint is not allowed here",
                hint="Write the remote endpoint as a full IRI in <...>.",
            )
        if target not in allowed:
            raise QueryRefused(
                f"SERVICE <{target}> is not allowed on this endpoint",
                hint="Only endpoints named in the service_allowlist setting may be called"
                + (f" ({', '.join(sorted(allowed))})." if allowed else "; it is empty."),
            )


def choose_formats(form: str | None, asked: list[str]) -> tuple:
    """Pick the (results format, RDF format) to answer in, from ``format`` or Accept."""
    result_fmt, rdf_fmt = RESULT_FORMATS["json"], RDF_FORMATS["turtle"]
    graph = form in ("CONSTRUCT", "DESCRIBE")
    if asked:
        return _format_parameter(asked, graph, result_fmt, rdf_fmt)
    if form is None:  # it will not parse; let the syntax error speak rather than negotiation
        return result_fmt, rdf_fmt
    accept = request.headers.get("Accept")
    if graph:
        chosen = formats.negotiate(accept, GRAPH_TYPES + list(GRAPH_ALIASES))
        if chosen in GRAPH_ALIASES:
            return result_fmt, _as(RDF_FORMATS[GRAPH_ALIASES[chosen]], chosen)
        return result_fmt, formats.media_type_format(chosen)
    chosen = formats.negotiate(accept, RESULT_TYPES + list(RESULT_ALIASES))
    if chosen in RESULT_ALIASES:
        return _as(RESULT_FORMATS[RESULT_ALIASES[chosen]], chosen), rdf_fmt
    return formats.result_format(chosen), rdf_fmt


def _as(fmt, media_type: str):
    """The format under the generic media type the client asked for (the body is the same)."""
    return dataclasses.replace(fmt, media_type=media_type)


def _format_parameter(asked: list[str], graph: bool, result_fmt, rdf_fmt):
    """Honour ``format``: the first name or media type that fits the query's kind wins.

    Clients differ in what they send (SPARQLWrapper sends a name and a comma-separated
    list of media types, e.g. ``format=rdf+xml&format=application/rdf+xml``), so every
    item is tried in order and unknown ones are passed over.
    """
    known = False
    for item in (part.strip().lower() for value in asked for part in value.split(",")):
        if not item:
            continue
        as_result, as_rdf = _resolve_result(item), _resolve_rdf(item)
        known = known or as_result is not None or as_rdf is not None
        if graph and as_rdf is not None:
            return result_fmt, as_rdf
        if not graph and as_result is not None:
            return as_result, rdf_fmt
    text = ", ".join(asked)
    if not known:
        raise UsageError(
            f"unknown format '{text}'",
            hint="Use json, xml, csv or tsv for SELECT/ASK; turtle (or n3), jsonld, ntriples, rdfxml, "
            "nquads or trig for CONSTRUCT/DESCRIBE (or a media type).",
        )
    kind = "a CONSTRUCT/DESCRIBE" if graph else "a SELECT/ASK"
    raise NotAcceptable(
        f"{kind} answer cannot be written as '{text}'",
        hint=f"Ask for one of: {', '.join(GRAPH_TYPES if graph else RESULT_TYPES)}.",
    )


def _resolve_result(name: str):
    if name in RESULT_ALIASES:
        return RESULT_FORMATS[RESULT_ALIASES[name]]
    for candidate in (name, "application/" + name, "text/" + name):
        try:
            return formats.result_format(candidate)
        except UsageError:
            continue
    return None


def _resolve_rdf(name: str):
    name = {
        "json": "jsonld",
        "application/json": "jsonld",
        "text/plain": "ntriples",
        "n3": "turtle",
        "text/n3": "turtle",
        "rdf+n3": "turtle",
        "text/rdf+n3": "turtle",
    }.get(name, name)
    for candidate in (name, "application/" + name, "text/" + name):
        try:
            return formats.rdf_format(candidate)
        except UsageError:
            continue
    return None


def run_query(protocol: ProtocolRequest, started: float) -> Response:
    svc = services()
    text = protocol.query
    if not text.strip():
        raise UsageError("the query is empty", hint="Send a SELECT, ASK, CONSTRUCT or DESCRIBE query.")
    check_allowed(text)
    form = query_form(text)
    result_fmt, rdf_fmt = choose_formats(form, protocol.format)
    # The Protocol's dataset replaces the query's; named graphs alone leave the default graph empty.
    default_graphs = named_graphs = None
    if protocol.default_graphs or protocol.named_graphs:
        default_graphs, named_graphs = protocol.default_graphs, protocol.named_graphs
    store = svc.store
    base = endpoint_url()
    max_rows = svc.settings.max_result_rows
    validators = Validators(
        store, (text, default_graphs, named_graphs, result_fmt.name, rdf_fmt.name, max_rows, base, form)
    )
    if request.method in ("GET", "HEAD") and validators.not_modified():
        return validators.apply(Response(status=304))
    before = time.perf_counter()
    answer = svc.answers.get(validators.etag)
    cached = answer is not None
    if not cached:
        answer = store.query_serialized(
            text,
            result_format=result_fmt,
            rdf_format=rdf_fmt,
            prefixes=svc.iris.prefixes(),
            default_graphs=default_graphs,
            named_graphs=named_graphs,
            timeout=svc.settings.query_timeout,
            max_rows=max_rows,
            base_iri=base,
        )
        svc.answers.put(validators.etag, answer, len(answer.data), validators.version)
    waited = time.perf_counter() - before
    media_type = rdf_fmt.media_type if answer.kind == "graph" else result_fmt.media_type
    # Headers go in as one list: each ``headers[...] = ...`` scans the list again, and at
    # thousands of cached answers a second that was a measurable share of a request.
    headers = [("X-Coopgraph-Max-Rows", str(max_rows)), ("X-Coopgraph-Cache", "hit" if cached else "miss")]
    if answer.truncated:
        headers.append(("X-Coopgraph-Truncated", "true"))
    total = time.perf_counter() - started
    headers.append(
        (
            "Server-Timing",
            f'eval;dur={0 if cached else answer.evaluation_seconds * 1000:.2f};desc="query evaluation", '
            f'ser;dur={0 if cached else answer.serialization_seconds * 1000:.2f};desc="serialisation", '
            f'store;dur={waited * 1000:.2f};desc="store round trip", total;dur={total * 1000:.2f}',
        )
    )
    headers += validators.headers()
    return Response(answer.data, mimetype=media_type, headers=headers)


class Validators:
    """ETag and Last-Modified of an answer, known before the query runs (so a 304 costs nothing).

    The answer depends only on the graph's version and on what was asked, so the ETag
    is a hash of both; Last-Modified is the build time of the graph.
    """

    def __init__(self, store, asked: tuple):
        self.version = store.version()
        self.modified = store.modified()
        digest = hashlib.sha256(repr((self.version, asked)).encode("utf-8")).hexdigest()[:32]
        self.etag = digest

    def not_modified(self) -> bool:
        if request.if_none_match:
            return request.if_none_match.contains_weak(self.etag)
        since = request.if_modified_since
        if since is not None and self.modified is not None:
            return self.modified.replace(microsecond=0) <= since
        return False

    def headers(self) -> list[tuple[str, str]]:
        """The caching headers of every answer to this request (200 or 304)."""
        headers = [("ETag", f'W/"{self.etag}"')]
        if self.modified is not None:
            headers.append(("Last-Modified", _http_date(self.modified)))
        headers += [("Cache-Control", "public, no-cache"), ("Vary", "Accept")]
        return headers

    def apply(self, response: Response) -> Response:
        for name, value in self.headers():
            response.headers[name] = value
        return response


@functools.lru_cache(maxsize=16)
def _http_date(moment) -> str:
    """Last-Modified's text: one graph version has one, so it is written once."""
    return format_datetime(moment, usegmt=True)


# --- the Service Description and YASGUI --------------------------------------------------

_descriptions: dict[tuple, bytes] = {}
_descriptions_lock = threading.Lock()


def service_description() -> Response:
    """Describe the service (RDF by Accept), or open YASGUI for a browser."""
    svc = services()
    chosen = formats.negotiate(request.headers.get("Accept"), DESCRIPTION_TYPES + [HTML])
    if chosen == HTML:
        return yasgui_page()
    fmt = formats.media_type_format(chosen)
    url = endpoint_url()
    store = svc.store
    validators = Validators(store, ("service-description", url, fmt.name))
    if validators.not_modified():
        return validators.apply(Response(status=304))
    key = (validators.version, url, fmt.name, svc.settings.service_allowlist, svc.settings.sparql_update)
    data = _descriptions.get(key)
    if data is None:
        writable = svc.settings.sparql_update != "off"
        triples = describe_service(
            store,
            url,
            federation=svc.settings.service_allowlist,
            update=writable,
            graph_store=url.rsplit("/sparql", 1)[0] + "/store" if writable else None,
        )
        data = serialize_description(triples, fmt)
        with _descriptions_lock:
            if len(_descriptions) > 64:
                _descriptions.clear()
            _descriptions[key] = data
    return validators.apply(Response(data, mimetype=fmt.media_type))


def yasgui_page() -> Response:
    """YASGUI (served from our package, no CDN) with the stored queries in one list of examples.

    The page's script also gets the prefixes (results show ``id:city/koriyama``, not the
    whole IRI) and where IRIs minted here are described on this site, so a result links to
    this server's page, which works offline and on a mirror, rather than to the base IRI.
    """
    svc = services()
    examples = []
    for stored in sorted(svc.queries.values(), key=lambda q: q.title.lower()):
        examples.append({"name": stored.title, "query": example_text(stored, svc)})
    url = endpoint_url()
    local_pages = [
        {"from": svc.iris.id_base, "to": "/id/", "whole": False},
        {"from": svc.iris.base, "to": "/resource?iri=", "whole": True},
        {"from": ONTOLOGY, "to": "/resource?iri=", "whole": True},
    ]
    html = render_template(
        "sparql.html", endpoint=url, examples=examples, prefixes=svc.iris.prefixes(), local_pages=local_pages
    )
    response = Response(html, mimetype=HTML)
    response.headers["Vary"] = "Accept"
    return response


def example_text(stored, svc) -> str:
    """The stored query, with its example parameter values bound, so the tab runs as it is."""
    from ..queries import to_term
    from ..sparql import inject_values

    text = stored.text.strip() + "\n"
    bindings = {}
    for parameter in stored.parameters:
        value = parameter.example if parameter.example is not None else parameter.default
        if value is not None:
            try:
                bindings[parameter.name] = to_term(parameter, value, svc.iris.prefixes())
            except UsageError:
                continue
    if bindings:
        try:
            text = inject_values(text, bindings)
        except ValueError:
            pass
    return text
