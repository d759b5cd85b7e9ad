"""The home page (what the graph is, what it holds, the ways in) and the ontology page.

``/ontology`` is the generated documentation of the ontology for browsers and the
ontology graph itself for clients (Turtle, RDF/XML, JSON-LD, N-Triples), by content
negotiation, a suffix (``/ontology.ttl``...) or ``?format=``, as resources are.
"""

from __future__ import annotations

import io

from flask import Blueprint, Response, jsonify, render_template, request

from .. import formats, jsonld
from ..describe.ontology import class_counts, instances, ontology_doc
from ..describe.resource import pick_label
from ..describe.void import count_published_triples
from ..export import context_for
from ..namespaces import ONTOLOGY
from . import i18n
from .i18n import current_lang
from .present import FORMAT_TITLES, SUFFIXES, announce, derived, page_url, rdf_alternates, template_helpers
from .resources import finish, requested_format
from .services import services

bp = Blueprint("pages", __name__)

#: The classes the home page offers as ways in, with the interface text naming them.
FEATURED = (
    ("programmes", ONTOLOGY + "Programme"),
    ("themes", ONTOLOGY + "Theme"),
    ("cities", ONTOLOGY + "Municipality"),
    ("agreements", ONTOLOGY + "Agreement"),
)
FEATURED_LIMIT = 12


def init_app(app) -> None:
    i18n.install(app)
    app.context_processor(template_helpers)


def home_data(store) -> dict:
    featured = {}
    for key, class_iri in FEATURED:
        featured[key] = (class_iri, *instances(store, class_iri, limit=FEATURED_LIMIT))
    # the same figures as /dataset and the service description: the default graph's triples
    # (each counted once) and the named graphs merged into it; the shapes are a graph apart
    return {
        "counts": class_counts(store),
        "featured": featured,
        "triples": count_published_triples(store),
        "graphs": len(store.view("all")),
        "all_graphs": len(store.graphs()),
    }


@bp.get("/")
@bp.get("/index.json")
def home():
    """What the graph is, counts by class, and the ways in."""
    svc = services()
    data = derived("home", home_data)
    lang = current_lang()
    twins = [("/index.json", "application/json", "JSON")]
    wants_json = request.path == "/index.json" or request.args.get("format") == "json"
    if not wants_json and request.path == "/" and "format" not in request.args:
        media = formats.negotiate(request.headers.get("Accept"), ["text/html", "application/json"])
        wants_json = media == "application/json"
    if wants_json:
        body = {
            "title": i18n.t("home_title"),
            "description": i18n.t("home_intro"),
            "triples": data["triples"],
            "graphs": data["graphs"],
            "allGraphs": data["all_graphs"],
            "version": svc.store.version(),
            "classes": [
                {"class": c.iri, "label": c.label(lang)[0], "count": c.count, "browse": f"/search?type={c.iri}"}
                for c in data["counts"]
            ],
            "links": {
                "search": "/search",
                "map": "/map",
                "timeline": "/timeline",
                "network": "/network",
                "queries": "/queries",
                "sparql": "/sparql",
                "download": "/download",
                "validate": "/validate",
                "ontology": "/ontology",
            },
        }
        for key, (class_iri, items, total) in data["featured"].items():
            body[key] = {
                "class": class_iri,
                "count": total,
                "items": [
                    {"iri": iri, "page": page_url(iri), "label": pick_label(labels, lang, iri)[0]}
                    for iri, labels in items
                ],
            }
        response = jsonify(body)
        response.vary.add("Accept")
        return announce(response, [("/", "text/html", "HTML")])
    featured = {
        key: (class_iri, [(iri, *pick_label(labels, lang, iri)) for iri, labels in items], total)
        for key, (class_iri, items, total) in data["featured"].items()
    }
    response = Response(
        render_template("home.html", data=data, featured=featured, alternates=twins), mimetype="text/html"
    )
    response.vary.add("Accept")
    return announce(response, twins)


@bp.get("/ontology")
@bp.get("/ontology<any('.ttl', '.jsonld', '.nt', '.rdf', '.html'):suffix>")
def ontology(suffix: str | None = None):
    """The ontology: documentation for people, the ontology graph for machines."""
    svc = services()
    suffix_format = "html" if suffix == ".html" else SUFFIXES.get(suffix) if suffix else None
    fmt_name, negotiated = requested_format(suffix_format)
    if fmt_name == "html":
        doc = derived("ontology", ontology_doc)
        response = Response(
            render_template("ontology.html", doc=doc, alternates=rdf_alternates("/ontology")), mimetype="text/html"
        )
    else:
        graph = svc.iris.ontology_graph
        info = formats.RDF_FORMATS[fmt_name]
        if fmt_name == "jsonld":
            body = jsonld.compact_triples(list(svc.store.iter_triples(graph)), derived("jsonld-context", context_for))
        else:
            buffer = io.BytesIO()
            svc.store.dump(info, graph=graph, output=buffer, prefixes=svc.iris.prefixes())
            body = buffer.getvalue()
        response = Response(body, mimetype=info.media_type)
        response.headers["Content-Type"] = (
            f"{info.media_type}; charset=utf-8" if fmt_name != "rdfxml" else info.media_type
        )
    return finish(response, "/ontology", fmt_name, negotiated)


__all__ = ["bp", "init_app", "FORMAT_TITLES"]
