"""Writes through the standards: SPARQL 1.1 Update on ``/sparql`` and the Graph Store Protocol on ``/store``.

Both are off unless ``sparql_update`` says who may write (see :mod:`coopgraph.contributions.writes`
for what a write goes through). Reads of ``/store`` are open whenever writes are on; with
writes off, ``/store`` answers 403 to writes and 404 to everything else, as before.

Graph Store Protocol (https://www.w3.org/TR/sparql11-http-rdf-update/): ``/store?graph=IRI``
and ``/store?default`` name a graph indirectly, ``/store/any/path`` directly (the graph
whose IRI is that URL). GET and HEAD read it (404 if it has no statements), PUT
replaces it (201 when it was new, 204 otherwise), POST merges into it, DELETE drops it
(404 if there was none), and POST to ``/store`` itself creates a new graph and answers
201 with its IRI in ``Location``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from flask import Blueprint, Response, jsonify, request

from ..contributions import writes as core
from ..errors import NotConforming, NotFound, PayloadTooLarge, Unauthorized, UnsupportedMediaType, UsageError
from ..formats import RDF_FORMATS, guess_rdf_format, media_type_format, negotiate, serialize_triples
from . import cors
from .contributions import bearer_token
from .errors import error_response
from .services import services

bp = Blueprint("writes", __name__)

DIRECT_UPDATE = "application/sparql-update"
FORM = "application/x-www-form-urlencoded"
GRAPH_TYPES = [RDF_FORMATS[name].media_type for name in ("turtle", "ntriples", "jsonld", "rdfxml")]
STORE_METHODS = ["GET", "HEAD", "PUT", "POST", "DELETE"]


@dataclass
class UpdateRequest:
    """A SPARQL Update request, whatever the way it was sent."""

    text: str
    using_graphs: list[str] = field(default_factory=list)
    using_named_graphs: list[str] = field(default_factory=list)


def init_app(app) -> None:
    """Expose Location; answer refusals of writes as contributions' are (the report, WWW-Authenticate).

    App-wide, because updates arrive on /sparql, another blueprint's route; the
    contributions blueprint keeps its own handlers for its routes.
    """
    cors.expose("Location")

    @app.errorhandler(NotConforming)
    def _not_conforming(exc: NotConforming):
        body = exc.to_dict()
        if exc.report is not None:
            body["details"] = {"report": exc.report.to_dict()}
        return error_response(body, exc.http_status)

    @app.errorhandler(Unauthorized)
    def _unauthorized(exc: Unauthorized):
        response = error_response(exc.to_dict(), exc.http_status)
        response.headers["WWW-Authenticate"] = 'Bearer realm="coopgraph"'
        return response


def _utf8_body(kind: str) -> str:
    charset = request.mimetype_params.get("charset", "utf-8").lower()
    if charset not in ("utf-8", "utf8"):
        raise UnsupportedMediaType(f"{kind} must be UTF-8, not {charset}", hint="Send the text encoded as UTF-8.")
    try:
        return request.get_data(cache=False).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{kind} is not valid UTF-8 (byte {exc.start})", hint="Send it encoded as UTF-8.") from exc


def read_update_request() -> UpdateRequest | None:
    """The update a POST to /sparql carries (None: the request is a query, or not an update).

    Updates travel as a form field ``update`` or as an ``application/sparql-update`` body;
    ``using-graph-uri`` / ``using-named-graph-uri`` come in the URL (and, for a form, the form).
    """
    args = request.args
    if request.method != "POST":
        return None
    if request.mimetype == DIRECT_UPDATE:
        text = _utf8_body("an update")
        if "update" in args:
            raise UsageError("send exactly one update; this request has 2", hint="Send the update once.")
        return UpdateRequest(text, args.getlist("using-graph-uri"), args.getlist("using-named-graph-uri"))
    if request.mimetype == FORM and "update" in request.form:
        if "query" in request.form or "query" in args:
            raise UsageError("a request is either a query or an update, not both")
        updates = request.form.getlist("update") + args.getlist("update")
        if len(updates) != 1:
            raise UsageError(
                f"send exactly one update; this request has {len(updates)}",
                hint="Give the 'update' parameter once (several operations go in it, split by ';').",
            )
        values = request.values
        return UpdateRequest(updates[0], values.getlist("using-graph-uri"), values.getlist("using-named-graph-uri"))
    return None


def run_update(update: UpdateRequest, base_iri: str) -> Response:
    """Authorise, then apply the update as one write; 200 with the change's record."""
    svc = services()
    who = core.authorize_write(svc.settings, bearer_token(), curated=core.is_curated(svc.store))
    record = core.apply_update(
        svc.store,
        update.text,
        maintainer=who,
        settings=svc.settings,
        base_iri=base_iri,
        using_graphs=update.using_graphs,
        using_named_graphs=update.using_named_graphs,
    )
    return jsonify({"status": "applied", **record.to_dict()})


# --- the Graph Store Protocol ---------------------------------------------------------------------


def _store_url() -> str:
    public = services().settings.public_url
    if public:
        return public.rstrip("/") + "/store"
    return f"{request.scheme}://{request.host}{request.root_path}/store"


def _target(path: str | None) -> tuple[str | None, bool]:
    """(graph IRI or None for the default graph, whether the request names the service itself)."""
    args = request.args
    if path:
        if "graph" in args or "default" in args:
            raise UsageError("name the graph once: by the URL path, ?graph= or ?default")
        return f"{_store_url()}/{path}", False
    graphs = args.getlist("graph")
    if "default" in args:
        if graphs:
            raise UsageError("?default and ?graph= name different graphs; give one")
        return None, False
    if len(graphs) > 1:
        raise UsageError("give ?graph= once")
    if graphs:
        graph = graphs[0].strip()
        if not graph or any(c in graph for c in '<>"{}|^`\\ '):
            raise UsageError(f"'{graph}' is not an IRI", hint="Give the graph's full IRI, URL-encoded.")
        return graph, False
    return None, True


def _body_triples(graph: str | None):
    """The triples a write sends: one RDF document, or (POST) a multipart form of several, merged."""
    svc = services()
    limit = svc.settings.max_upload_bytes
    if request.content_length is not None and request.content_length > limit:
        raise PayloadTooLarge(
            f"the request body has {request.content_length:,} bytes, more than the {limit:,} accepted",
            hint="Send the graph in parts with POST.",
        )
    base = graph or _store_url()
    if request.mimetype == "multipart/form-data" and request.method == "POST":
        triples, data = [], b""
        for part in request.files.values():
            fmt = media_type_format(part.mimetype or "") or guess_rdf_format(part.filename or "")
            content = part.read(limit + 1)
            data += content
            if len(data) > limit:
                raise PayloadTooLarge(f"the request body is larger than the {limit:,} bytes accepted")
            triples += core.read_graph_document(
                content, fmt, settings=svc.settings, base_iri=base, source=part.filename or "<part>"
            )
        if not request.files:
            raise UsageError("the multipart form holds no RDF document", hint="Send each document as a file part.")
        return triples, data
    fmt = media_type_format(request.mimetype or "")
    if fmt is None:
        raise UnsupportedMediaType(
            f"a Graph Store write must be RDF, not {request.mimetype or 'untyped'}",
            hint="Send Turtle (text/turtle), N-Triples, RDF/XML or JSON-LD.",
        )
    data = request.get_data(cache=False)
    if len(data) > limit:
        raise PayloadTooLarge(f"the request body is larger than the {limit:,} bytes accepted")
    return core.read_graph_document(data, fmt, settings=svc.settings, base_iri=base, source="<request>"), data


@bp.route("/store", methods=STORE_METHODS, defaults={"path": None})
@bp.route("/store/<path:path>", methods=STORE_METHODS)
def graph_store(path: str | None):
    svc = services()
    if request.method in ("GET", "HEAD"):
        if svc.settings.sparql_update == "off":
            raise NotFound(
                "there is no Graph Store here: writes are switched off",
                hint="Read the graphs with SPARQL at /sparql, or download them at /download.",
            )
        graph, service = _target(path)
        if service:
            raise UsageError("name a graph: /store?graph=IRI, /store?default or /store/PATH")
        return _get_graph(graph)
    who = core.authorize_write(svc.settings, bearer_token(), curated=core.is_curated(svc.store))
    graph, service = _target(path)
    if request.method == "DELETE":
        if service:
            raise UsageError("name the graph to delete: /store?graph=IRI or /store?default")
        if graph is not None and not core.graph_exists(svc.store, graph):
            raise NotFound(f"there is no graph <{graph}>")
        core.delete_graph(svc.store, graph, maintainer=who, settings=svc.settings)
        return Response(status=204)
    if service:
        if request.method != "POST":
            raise UsageError("name the graph to replace: /store?graph=IRI or /store?default")
        graph = f"{_store_url()}/graph/{uuid.uuid4().hex}"
        triples, data = _body_triples(graph)
        core.write_graph(svc.store, graph, triples, replace=False, maintainer=who, settings=svc.settings, data=data)
        response = Response(status=201)
        response.headers["Location"] = graph
        return response
    triples, data = _body_triples(graph)
    existed = core.graph_exists(svc.store, graph)
    core.write_graph(
        svc.store, graph, triples, replace=request.method == "PUT", maintainer=who, settings=svc.settings, data=data
    )
    return Response(status=204 if existed else 201)


def _get_graph(graph: str | None) -> Response:
    svc = services()
    store = svc.store
    if graph is not None and not core.graph_exists(store, graph):
        raise NotFound(f"there is no graph <{graph}>", hint="GET /sparql lists the named graphs.")
    chosen = negotiate(request.headers.get("Accept"), GRAPH_TYPES)
    fmt = media_type_format(chosen)
    triples = core.graph_triples(store, graph)
    response = Response(serialize_triples(triples, fmt, svc.iris.prefixes()), mimetype=fmt.media_type)
    response.headers["Vary"] = "Accept"
    response.headers["ETag"] = f'W/"{store.version()}"'
    return response
