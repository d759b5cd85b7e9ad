"""Dereferenceable IRIs: ``/id/...`` answers a page for people and RDF for machines.

An IRI ``{base}id/city/koriyama`` is served at ``/id/city/koriyama``. The answer is
chosen by content negotiation and given directly (200) with ``Vary: Accept`` and a
``Content-Location`` naming the document it is (``/id/city/koriyama.ttl``...), rather
than by a 303 redirect to that document: one round trip instead of two (w3id.org
already spends one redirecting to this server), while the ``Content-Location`` still
tells the thing (the city) from the document about it, as the W3C TAG's 2012 change
to the httpRange-14 advice allows. The README explains the choice.

Overrides for links and scripts: a suffix (``.html``, ``.ttl``, ``.jsonld``, ``.nt``,
``.rdf``) or ``?format=`` (html, turtle, jsonld, ntriples, rdfxml). Every answer lists
its twins in a ``Link: rel="alternate"`` header.
"""

from __future__ import annotations

import hashlib
from urllib.parse import urlencode

import pyoxigraph as ox
from flask import Blueprint, Response, g, redirect, render_template, request

from .. import formats, jsonld
from ..describe.resource import INBOUND_LIMIT, describe, describe_triples, fetch_labels
from ..errors import NotFound, UsageError
from ..export import context_for
from ..participation import taking_part_of
from .i18n import current_lang, t, with_lang
from .present import FORMAT_TITLES, SUFFIXES, announce, derived, rdf_alternates, resource_path
from .services import services

bp = Blueprint("resources", __name__)

#: Media types a resource is offered in, in order of preference when the client has none.
OFFERED = {
    "text/html": "html",
    "application/xhtml+xml": "html",
    "text/turtle": "turtle",
    "application/x-turtle": "turtle",
    "application/ld+json": "jsonld",
    "application/json": "jsonld",
    "application/n-triples": "ntriples",
    "application/rdf+xml": "rdfxml",
}


def requested_format(suffix_format: str | None) -> tuple[str, bool]:
    """Return (format name, negotiated?): a suffix wins, then ?format=, then the Accept header."""
    if suffix_format:
        return suffix_format, False
    wanted = request.args.get("format")
    if wanted:
        if wanted.strip().lower() in ("html", "htm"):
            return "html", False
        try:
            info = formats.rdf_format(wanted)
        except UsageError:
            info = None
        if info is None or info.name not in FORMAT_TITLES:
            raise UsageError(
                f"unknown format '{wanted}'",
                hint="Use format=html, turtle, jsonld, ntriples or rdfxml (or a suffix .ttl, .jsonld, .nt, "
                ".rdf, .html).",
            )
        return info.name, False
    media = formats.negotiate(request.headers.get("Accept"), list(OFFERED))
    return OFFERED[media], True


def split_suffix(path: str) -> tuple[str, str | None]:
    """Split ``city/koriyama.ttl`` into the resource path and the format its suffix names."""
    for suffix, name in list(SUFFIXES.items()) + [(".html", "html")]:
        if path.endswith(suffix) and len(path) > len(suffix):
            return path[: -len(suffix)], name
    return path, None


def check_iri(iri: str) -> str:
    try:
        ox.NamedNode(iri)
    except ValueError as exc:
        raise NotFound(f"<{iri}> is not an IRI of this graph", hint="Check the address.") from exc
    return iri


def rdf_response(triples: list, fmt_name: str) -> Response:
    svc = services()
    info = formats.RDF_FORMATS[fmt_name]
    if fmt_name == "jsonld":
        context = derived("jsonld-context", context_for)
        body = jsonld.compact_triples(triples, context)
    else:
        body = formats.serialize_triples(triples, info, prefixes=svc.iris.prefixes())
    response = Response(body, mimetype=info.media_type)
    if info.media_type.startswith("text/") or fmt_name in ("jsonld", "ntriples"):
        response.headers["Content-Type"] = f"{info.media_type}; charset=utf-8"
    return response


def finish(response: Response, path: str, fmt_name: str, negotiated: bool) -> Response:
    """Add the twins, the document's own location, and validators for caches."""
    suffix = ".html" if fmt_name == "html" else next(s for s, n in SUFFIXES.items() if n == fmt_name)
    twins = [(path + ".html", "text/html", "HTML")] if fmt_name != "html" else []
    twins += [a for a in rdf_alternates(path) if not a[0].endswith(suffix)]
    announce(response, twins)
    if negotiated:
        response.headers["Content-Location"] = path + suffix
        response.vary.add("Accept")
    tag = hashlib.sha256(f"{services().store.version()}|{path}|{fmt_name}|{g.get('lang')}".encode()).hexdigest()[:32]
    response.set_etag(tag)
    return response.make_conditional(request)


def resource_page(iri: str, path: str) -> Response:
    svc = services()
    lang = current_lang()
    d = describe(svc.store, iri, lang)
    takes_part = []
    part = taking_part_of(svc.store, iri)
    wanted = (part["programmes"] | part["themes"]) - {iri}
    labels = fetch_labels(svc.store, sorted(wanted)) if wanted else None
    for key in ("programmes", "themes"):
        targets = part[key] - {iri}
        if targets:
            items = sorted(
                ((x, *labels.pair(x, lang)) for x in targets),
                key=lambda item: ((item[1] or item[0]).lower(), item[0]),
            )
            takes_part.append((t(key), items))
    source_ids = sorted({s for group in d.properties for v in group.values for s in v.sources})
    source_labels = {s: fetch_labels(svc.store, [s]).label(s, lang) for s in source_ids} if source_ids else {}
    alternates = rdf_alternates(path)
    html = render_template(
        "resource.html",
        d=d,
        takes_part=takes_part,
        alternates=alternates,
        source_labels=source_labels,
        inbound_limit=INBOUND_LIMIT,
    )
    return Response(html, mimetype="text/html")


def answer(iri: str, path: str, suffix_format: str | None) -> Response:
    fmt_name, negotiated = requested_format(suffix_format)
    if fmt_name == "html":
        response = resource_page(iri, path)
    else:
        response = rdf_response(describe_triples(services().store, iri), fmt_name)
    return finish(response, path, fmt_name, negotiated)


@bp.get("/id/<path:rest>")
def resource(rest: str):
    """Describe one of our resources (HTML, Turtle, JSON-LD, N-Triples or RDF/XML)."""
    svc = services()
    rest_path, suffix_format = split_suffix(rest)
    iri = check_iri(svc.iris.id_base + rest_path)
    return answer(iri, resource_path(iri), suffix_format)


@bp.get("/resource")
def any_resource():
    """Describe an IRI outside our id space that the graph mentions (a graph, a statement node)."""
    svc = services()
    iri = request.args.get("iri", "").strip()
    if not iri:
        raise UsageError("give the IRI to describe as ?iri=", hint="For example /resource?iri=https://...")
    check_iri(iri)
    own = resource_path(iri)
    if own:
        return redirect(with_lang(own), code=301)
    fmt_name, negotiated = requested_format(None)
    base = "/resource?" + urlencode({"iri": iri})
    twins = [
        (f"{base}&format={name}", formats.RDF_FORMATS[name].media_type, title)
        for name, title in FORMAT_TITLES.items()
        if name != fmt_name
    ]
    if fmt_name == "html":
        lang = current_lang()
        d = describe(svc.store, iri, lang)
        html = render_template(
            "resource.html", d=d, takes_part=[], alternates=twins, source_labels={}, inbound_limit=INBOUND_LIMIT
        )
        response = Response(html, mimetype="text/html")
    else:
        response = rdf_response(describe_triples(svc.store, iri), fmt_name)
        twins.insert(0, (f"{base}&format=html", "text/html", "HTML"))
    announce(response, twins)
    if negotiated:
        response.vary.add("Accept")
    return response
