"""``/api/queries``: the stored queries as a JSON API (list, metadata, results in many formats).

Errors anywhere under ``/api`` use the one JSON error shape (web/errors.py): a missing
or mistyped parameter answers 400 with ``details.parameter`` and ``details.expected``,
an unknown query 404, an unwanted format 406, a query past its time limit 503.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, Response, jsonify, request, url_for

from .. import answers
from ..formats import negotiate
from ..queries import StoredQuery, enumeration, get_query
from .query_paging import MAX_CHOICES, etag_for, label_languages, link_header, page_links, run_page
from .services import services

bp = Blueprint("api", __name__)


def query_links(query: StoredQuery) -> dict[str, str]:
    links = {
        "self": url_for("api.query_metadata", name=query.name),
        "results": url_for("api.query_results", name=query.name),
        "page": url_for("query_pages.query_page", name=query.name),
    }
    examples = query.example_values()
    if examples:
        links["example"] = url_for("api.query_results", name=query.name) + "?" + urlencode(examples)
    return links


def query_summary(query: StoredQuery) -> dict:
    """A query's metadata without its SPARQL text (the list stays small)."""
    body = query.to_dict()
    body.pop("sparql")
    body["formats"] = [f.name for f in answers.formats_for(answers.answer_kind(query))]
    body["links"] = query_links(query)
    return body


@bp.get("/api/queries")
def list_queries():
    queries = services().queries
    response = jsonify({"count": len(queries), "queries": [query_summary(q) for q in queries.values()]})
    response.headers["Link"] = '</queries>; rel="alternate"; type="text/html"'
    return response


@bp.get("/api/queries/<name>")
def query_metadata(name: str):
    svc = services()
    query = get_query(svc.queries, name)
    body = query_summary(query)
    body["sparql"] = query.text.strip()
    for parameter, out in zip(query.parameters, body["parameters"]):
        choices = enumeration(
            parameter, svc.store, languages=label_languages(), limit=MAX_CHOICES, timeout=svc.settings.query_timeout
        )
        if choices is not None:
            out["choices"] = [{"value": value, "label": label} for value, label in choices]
    response = jsonify(body)
    response.headers["Link"] = f'<{url_for("query_pages.query_page", name=name)}>; rel="alternate"; type="text/html"'
    response.vary.add("Accept-Language")
    return response


@bp.get("/api/queries/<name>/results")
def query_results(name: str):
    svc = services()
    query = get_query(svc.queries, name)
    kind = answers.answer_kind(query)
    if request.args.get("format"):
        fmt = answers.answer_format(request.args["format"], kind)
    else:
        offered = answers.offered_media_types(kind)
        fmt = answers.ANSWER_FORMATS[offered[negotiate(request.headers.get("Accept"), list(offered))]]
    languages = label_languages()
    tag = etag_for(request.full_path, fmt.name, ",".join(languages))
    if tag in request.if_none_match:
        return Response(status=304, headers={"ETag": f'"{tag}"'})
    page = run_page(query, request.args)
    links = page_links(page, "api.query_results", request.args)
    data = answers.render(
        query,
        page.result,
        page.bindings,
        fmt,
        store=svc.store,
        languages=languages,
        limit=page.limit,
        offset=page.offset,
        has_more=page.has_more,
        links=links,
        prefixes=svc.iris.prefixes(),
        timeout=svc.settings.query_timeout,
    )
    response = Response(data, content_type=fmt.content_type)
    header = link_header(links)
    if header:
        response.headers["Link"] = header
    if fmt.name != "json":
        response.headers["Content-Disposition"] = f'inline; filename="{query.name}{fmt.extension}"'
    response.set_etag(tag)
    response.vary.update(("Accept", "Accept-Language"))
    return response
