"""``/api/contributions``: submit data with an API token, list, read and withdraw contributions.

Tokens travel as ``Authorization: Bearer TOKEN``. Without any token configured the
whole write side answers 403 (submissions are off); a missing or unknown token is 401
(with ``WWW-Authenticate``); a contributor's token where a maintainer's is needed is 403.
A submission with violations is 422 with the validation report in ``details.report``,
and nothing is stored; an accepted one is 201 with its record and ``Location``.
"""

from __future__ import annotations

import json

import pyoxigraph as ox
from flask import Blueprint, Response, jsonify, request, url_for

from ..contributions import ledger as core
from ..errors import Gone, NotConforming, Unauthorized, UsageError
from ..formats import RDF_FORMATS, negotiate, serialize_triples
from .errors import error_response
from .services import services
from .uploads import read_upload
from .validate import validator

bp = Blueprint("contributions", __name__)

#: What GET /api/contributions/{id} offers: the record with its data (JSON), both graphs
#: (TriG, N-Quads), or the data and its provenance together in one graph (the others).
ONE_TYPES = {
    "json": "application/json",
    "trig": "application/trig",
    "nquads": "application/n-quads",
    "turtle": "text/turtle",
    "jsonld": "application/ld+json",
    "ntriples": "application/n-triples",
    "rdfxml": "application/rdf+xml",
}


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


@bp.errorhandler(Unauthorized)
def _unauthorized(exc: Unauthorized):
    response = error_response(exc.to_dict(), exc.http_status)
    response.headers["WWW-Authenticate"] = 'Bearer realm="coopgraph"'
    return response


@bp.errorhandler(NotConforming)
def _not_conforming(exc: NotConforming):
    body = exc.to_dict()
    if exc.report is not None:
        body["details"] = {"report": exc.report.to_dict()}
    return error_response(body, exc.http_status)


def _record_json(record: core.ContributionRecord) -> dict:
    return {**record.to_dict(), "url": url_for("contributions.one", contribution_id=record.id)}


@bp.post("/api/contributions")
def submit():
    """Validate the data and store it with its provenance when it has no violations."""
    svc = services()
    name = core.authenticate(svc.settings, bearer_token())
    upload = read_upload(svc.settings)
    description = request.values.get("description")
    record, report = core.submit(
        svc.store,
        upload.data,
        upload.format,
        contributor=name,
        description=description,
        validator=validator(),
        timeout=svc.settings.validation_timeout,
        source=upload.source,
    )
    body = {**_record_json(record), "report": report.to_dict()}
    response = jsonify(body)
    response.status_code = 201
    response.headers["Location"] = url_for("contributions.one", contribution_id=record.id)
    return response


@bp.get("/api/contributions")
def listing():
    """Every contribution, oldest first (``status=accepted|withdrawn`` to filter)."""
    status = request.args.get("status", "all")
    records = core.list_contributions(services().store)
    if status in ("accepted", "withdrawn"):
        records = [r for r in records if r.status == status]
    return jsonify({"count": len(records), "contributions": [_record_json(r) for r in records]})


@bp.get("/api/contributions/<contribution_id>")
def one(contribution_id: str):
    """One contribution: its record and data (JSON), or its data and provenance as RDF."""
    store = services().store
    record = core.get_contribution(store, contribution_id)
    if record.withdrawn:
        raise Gone(
            f"contribution {record.id} was withdrawn on {record.withdrawn}",
            hint="Its record stays in GET /api/contributions.",
        )
    asked = (request.args.get("format") or "").lower()
    if asked and asked not in ONE_TYPES:
        raise UsageError(f"unknown format '{asked}'", hint=f"Use one of: {', '.join(ONE_TYPES)}.")
    name = (
        asked
        or {v: k for k, v in ONE_TYPES.items()}[negotiate(request.headers.get("Accept"), list(ONE_TYPES.values()))]
    )
    data = core.contribution_triples(store, record)
    provenance = core.provenance_triples(store, record)
    prefixes = services().iris.prefixes()
    if name == "json":
        body = {**_record_json(record), "data": json.loads(serialize_triples(data, RDF_FORMATS["jsonld"]))}
        response = jsonify(body)
    elif name in ("trig", "nquads"):
        quads = [ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(record.graph)) for t in data]
        quads += [
            ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(store.iris.provenance_graph)) for t in provenance
        ]
        kwargs = {"prefixes": prefixes} if name == "trig" else {}
        response = Response(ox.serialize(quads, format=RDF_FORMATS[name].oxigraph, **kwargs), mimetype=ONE_TYPES[name])
    else:
        response = Response(
            serialize_triples([*data, *provenance], RDF_FORMATS[name], prefixes), mimetype=ONE_TYPES[name]
        )
    response.headers["Vary"] = "Accept"
    return response


@bp.delete("/api/contributions/<contribution_id>")
def withdraw(contribution_id: str):
    """Withdraw a contribution (maintainers only): its graph goes, its record stays."""
    svc = services()
    name = core.authenticate(svc.settings, bearer_token(), maintainer=True)
    record = core.withdraw(svc.store, contribution_id, maintainer=name, reason=request.values.get("reason"))
    return jsonify(_record_json(record))
