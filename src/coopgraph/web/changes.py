"""``/changes``: the changes feed as HTML, JSON (``/changes.json``) and Atom (``/changes.atom``).

Each representation announces the others (``Link: rel="alternate"``); ``/changes``
itself follows Accept. Feed readers poll the Atom twin to follow the graph's history.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from flask import Blueprint, Response, jsonify, render_template, request, url_for

from ..contributions.changes import changes_about, list_changes
from ..errors import UsageError
from ..formats import negotiate
from .present import link_header
from .services import services

bp = Blueprint("changes", __name__)

ATOM = "application/atom+xml"
ATOM_NS = "http://www.w3.org/2005/Atom"
MAX_LIMIT = 1000


def _limit() -> int:
    raw = request.args.get("limit", "100")
    try:
        limit = int(raw)
    except ValueError:
        raise UsageError(f"limit must be a whole number, not '{raw}'") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise UsageError(f"limit must be between 1 and {MAX_LIMIT}")
    return limit


def _alternates() -> list[tuple[str, str, str]]:
    return [
        (url_for("changes.as_json"), "application/json", "JSON"),
        (url_for("changes.as_atom"), ATOM, "Atom"),
        (url_for("changes.feed"), "text/html", "HTML"),
    ]


def _finish(response: Response) -> Response:
    response.headers["Link"] = link_header(_alternates())
    response.headers["Vary"] = "Accept"
    return response


@bp.get("/changes")
def feed():
    """The changes, newest first: HTML for browsers, or JSON / Atom by Accept."""
    chosen = negotiate(request.headers.get("Accept"), ["text/html", "application/json", ATOM])
    if chosen == "application/json":
        return as_json()
    if chosen == ATOM:
        return as_atom()
    changes = list_changes(services().store, _limit())
    return _finish(Response(render_template("changes.html", changes=changes)))


@bp.get("/changes.json")
def as_json():
    changes = list_changes(services().store, _limit())
    return _finish(jsonify({"count": len(changes), "changes": [c.to_dict() for c in changes]}))


@bp.get("/changes.atom")
def as_atom():
    """An Atom feed (RFC 4287) of the changes; built with ElementTree, so every text is escaped."""
    changes = list_changes(services().store, _limit())
    ET.register_namespace("", ATOM_NS)

    def sub(parent, name: str, text: str | None = None, **attributes):
        element = ET.SubElement(parent, f"{{{ATOM_NS}}}{name}", attributes)
        if text is not None:
            element.text = text
        return element

    root = ET.Element(f"{{{ATOM_NS}}}feed")
    self_url = request.url_root.rstrip("/") + url_for("changes.as_atom")
    sub(root, "id", self_url)
    sub(root, "title", "coopgraph: changes to the graph")
    sub(root, "updated", changes[0].at if changes else "1970-01-01T00:00:00Z")
    sub(root, "link", rel="self", href=self_url)
    sub(root, "link", rel="alternate", type="text/html", href=request.url_root.rstrip("/") + url_for("changes.feed"))
    for change in changes:
        entry = sub(root, "entry")
        sub(entry, "id", change.id)
        sub(entry, "title", change.title)
        sub(entry, "updated", change.at)
        author = sub(entry, "author")
        sub(author, "name", change.by)
        sub(entry, "summary", change.summary)
        sub(entry, "category", term=change.kind)
    data = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return _finish(Response(data, mimetype=ATOM))


@bp.get("/changes/about")
def about():
    """The changes that touched one resource (``?iri=``), each with its diff: HTML, or JSON by Accept."""
    iri = (request.args.get("iri") or "").strip()
    if not iri or any(c in iri for c in '<>"{}|^`\\ '):
        raise UsageError("give the resource's IRI as ?iri=", hint="e.g. /changes/about?iri=https://w3id.org/...")
    changes = changes_about(services().store, iri)
    if negotiate(request.headers.get("Accept"), ["text/html", "application/json"]) == "application/json":
        response = jsonify({"iri": iri, "count": len(changes), "changes": changes})
    else:
        response = Response(render_template("changes_about.html", iri=iri, changes=changes))
    response.headers["Vary"] = "Accept"
    return response
