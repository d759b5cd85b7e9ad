"""``/search``: find resources by name (English, Japanese, romaji), with facets; JSON twin at /search.json."""

from __future__ import annotations

import csv
import io
from urllib.parse import urlencode

from flask import Blueprint, Response, jsonify, render_template, request

from .. import formats
from ..errors import UsageError
from ..search import SearchIndex, write_index
from .i18n import current_lang, with_lang
from .present import announce, derived_file, page_url
from .services import services

bp = Blueprint("find", __name__)

FACETS = (("type", "filter_type"), ("programme", "filter_programme"), ("theme", "filter_theme"))


def _int(name: str, default: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise UsageError(f"'{name}' must be a whole number, not {raw!r}") from exc


def twin_url(path: str) -> str:
    """The same search at another path (the HTML page or its JSON twin), language left out."""
    query = request.query_string.decode("utf-8")
    return path + ("?" + query if query else "")


@bp.get("/search")
@bp.get("/search.json")
@bp.get("/search.csv")
def search():
    """Search labels; filter by type, programme and theme (repeatable); page with limit/offset."""
    lang = current_lang()
    index: SearchIndex = derived_file("search.sqlite", write_index, SearchIndex)
    query = request.args.get("q", "").strip()
    result = index.search(
        query,
        types=request.args.getlist("type"),
        programmes=request.args.getlist("programme"),
        themes=request.args.getlist("theme"),
        lang=lang,
        limit=_int("limit", 50),
        offset=_int("offset", 0),
        time_limit=services().settings.query_timeout,
    )
    if request.path.endswith(".csv") or request.args.get("format") == "csv":
        return _csv(result, lang)
    wants_json = request.path.endswith(".json")
    if not wants_json and "format" not in request.args:
        wants_json = (
            formats.negotiate(request.headers.get("Accept"), ["text/html", "application/json"]) == "application/json"
        )
    elif request.args.get("format") == "json":
        wants_json = True
    if wants_json:
        body = {
            "query": query,
            "total": result.total,
            "offset": result.offset,
            "limit": result.limit,
            "results": [
                {
                    "iri": h.entry.iri,
                    "page": page_url(h.entry.iri, "en"),
                    "label": h.entry.label(lang)[0],
                    "otherLabel": h.entry.label(lang)[1],
                    "labels": {lit.language or "": lit.value for lit in reversed(h.entry.labels)},
                    "types": sorted(h.entry.types),
                    "programmes": sorted(h.entry.programmes),
                    "themes": sorted(h.entry.themes),
                    "score": round(h.score, 1),
                }
                for h in result.hits
            ],
            "facets": {
                name: [{"value": f.value, "label": f.label, "count": f.count, "selected": f.selected} for f in values]
                for name, values in result.facets.items()
            },
        }
        response = jsonify(body)
        response.vary.add("Accept")
        return announce(response, [(twin_url("/search"), "text/html", "HTML")])
    twins = [(twin_url("/search.json"), "application/json", "JSON"), (twin_url("/search.csv"), "text/csv", "CSV")]
    selected = {name: request.args.getlist(name) for name, _ in FACETS}

    def facet_url(name: str, value: str, on: bool) -> str:
        args = [(k, v) for k, v in request.args.items(multi=True) if k not in ("offset", "lang")]
        if on:
            args.append((name, value))
        else:
            args = [(k, v) for k, v in args if not (k == name and v == value)]
        return with_lang("/search?" + urlencode(args))

    def page_link(offset: int) -> str:
        args = [(k, v) for k, v in request.args.items(multi=True) if k not in ("offset", "lang")]
        args.append(("offset", str(offset)))
        return with_lang("/search?" + urlencode(args))

    html = render_template(
        "search.html",
        result=result,
        query=query,
        facets=FACETS,
        selected=selected,
        facet_url=facet_url,
        page_link=page_link,
        alternates=twins,
        index=index,
    )
    response = Response(html, mimetype="text/html")
    response.vary.add("Accept")
    return announce(response, twins)


def _csv(result, lang: str) -> Response:
    """The results as CSV for spreadsheets: one row a resource; several values joined by " | "."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["iri", "label", "otherLabel", "types", "programmes", "themes", "score"])
    for hit in result.hits:
        label, other = hit.entry.label(lang)
        writer.writerow(
            [
                hit.entry.iri,
                label,
                other or "",
                " | ".join(sorted(hit.entry.types)),
                " | ".join(sorted(hit.entry.programmes)),
                " | ".join(sorted(hit.entry.themes)),
                round(hit.score, 1),
            ]
        )
    response = Response(out.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="search.csv"'
    return announce(response, [(twin_url("/search"), "text/html", "HTML")])
