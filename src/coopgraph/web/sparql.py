"""``/sparql``: the SPARQL 1.1 Protocol endpoint (read-only)."""

from __future__ import annotations

from flask import Blueprint, Response, request

from .. import formats
from ..errors import QueryRefused, UsageError
from ..sparql import looks_like_update, service_targets
from .services import services

bp = Blueprint("sparql", __name__)


@bp.route("/sparql", methods=["GET", "POST"])
def endpoint():
    svc = services()
    if request.method == "POST" and request.mimetype == "application/sparql-query":
        text = request.get_data(as_text=True)
    else:
        values = request.values.getlist("query")
        if len(values) != 1:
            raise UsageError("send exactly one 'query' parameter")
        text = values[0]
    if looks_like_update(text):
        raise QueryRefused("this endpoint is read-only: SPARQL Update is not accepted")
    if any(True for _ in service_targets(text)):
        raise QueryRefused("SERVICE calls are not allowed on this endpoint")
    result = svc.store.query(text, timeout=svc.settings.query_timeout, max_rows=svc.settings.max_result_rows)
    if result.kind == "graph":
        return Response(formats.serialize_triples(result.triples, formats.RDF_FORMATS["turtle"]),
                        mimetype="text/turtle")
    if result.kind == "ask":
        return Response(formats.serialize_ask(result.value, formats.RESULT_FORMATS["json"]),
                        mimetype="application/sparql-results+json")
    return Response(formats.serialize_select(result.variables, result.rows, formats.RESULT_FORMATS["json"]),
                    mimetype="application/sparql-results+json")
