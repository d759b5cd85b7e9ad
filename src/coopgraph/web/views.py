"""Views built from the graph: the map, the timeline and the network, each with a JSON twin.

Each is derived from the whole graph once per store version (so a contribution shows
up at once) and drawn on the server as SVG, so it works without JavaScript. On the map
page, static/map.js replaces the drawing with an interactive Leaflet map (vendored in
static/vendor/leaflet) drawn from the GeoJSON twin over the shipped world outline.
"""

from __future__ import annotations

import functools
import json

from flask import Blueprint, Response, g, jsonify, render_template, request

from ..errors import NotFound, UsageError
from ..views import geo
from ..views.network import network
from ..views.timeline import CATEGORIES, timeline
from .i18n import current_lang
from .present import announce, derived, page_url
from .services import services

bp = Blueprint("views", __name__)

MAP_WIDTH = 960
FRAME_KEYS = {"overview": "map_overview", "Europe": "map_europe", "Japan": "map_japan"}


def _page(iri: str) -> str | None:
    return page_url(iri, "en")


@bp.get("/map")
def map_page():
    """Cooperating places on an outline of the world, with a line for each pairing."""
    data: geo.MapData = derived("map", geo.map_data)
    lang = current_lang()
    frames = derived("map-frames", lambda store: geo.frames(data))
    views = derived(f"map-views-{lang}", lambda store: [geo.render(f, data, lang, width=MAP_WIDTH) for f in frames])
    twins = [("/map.geojson", "application/geo+json", "GeoJSON")]
    html = render_template("map.html", data=data, views=views, frame_keys=FRAME_KEYS, alternates=twins)
    return announce(Response(html, mimetype="text/html"), twins)


@bp.get("/map.geojson")
def map_geojson():
    data: geo.MapData = derived("map", geo.map_data)
    response = jsonify(data.to_geojson(current_lang(), _page))
    response.mimetype = "application/geo+json"
    return announce(response, [("/map", "text/html", "HTML")])


@functools.lru_cache(maxsize=1)
def _world_bytes() -> bytes:
    return json.dumps(geo.world_geojson(), separators=(",", ":")).encode("utf-8")


@bp.get("/map/world.geojson")
def map_world():
    """The world outline (countries) as GeoJSON: the interactive map's only background, no tile server."""
    response = Response(_world_bytes(), mimetype="application/geo+json")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


@bp.get("/map/outline.svg")
def map_outline():
    """The world outline inside a frame, as an SVG image (cached: it depends only on the URL)."""
    try:
        west, south, east, north = (float(v) for v in request.args.get("bbox", "").split(","))
        width = int(request.args.get("width", MAP_WIDTH))
    except ValueError as exc:
        raise UsageError(
            "bbox must be west,south,east,north in degrees and width a whole number",
            hint="For example /map/outline.svg?bbox=-10,30,150,70&width=960",
        ) from exc
    if not (-180 <= west < east <= 180 and -85 <= south < north <= 85 and 100 <= width <= 4000):
        raise UsageError("the frame is outside the world or the width outside 100-4000 pixels")
    if (north - south) * 4 < (east - west) * 0.05 or (east - west) > 360:
        raise UsageError("the frame is too narrow to draw")
    height, land = geo.outline(west, south, east, north, width)
    if height > 8000:
        raise UsageError("the frame is too tall to draw at that width")
    html = render_template("outline.svg", width=width, height=height, land=land)
    response = Response(html, mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


@bp.get("/timeline")
@bp.get("/timeline.json")
def timeline_page():
    """Every dated fact from 2012 on, grouped by programme; the page's script draws it with vis-timeline."""
    lang = current_lang()
    full = derived("timeline", timeline)
    wanted = set(request.args.getlist("type"))
    kinds = set(request.args.getlist("kind"))
    unknown = kinds - set(CATEGORIES)
    if unknown:
        raise UsageError(f"unknown kind {sorted(unknown)[0]!r}", hint="kind is one of " + ", ".join(CATEGORIES))
    shown = full.filtered(wanted, kinds)
    query = request.query_string.decode("utf-8")
    if request.path.endswith(".json"):
        response = jsonify(shown.to_dict(lang, _page))
        return announce(response, [("/timeline" + ("?" + query if query else ""), "text/html", "HTML")])
    twins = [("/timeline.json" + ("?" + query if query else ""), "application/json", "JSON")]
    html = render_template("timeline.html", tl=shown, full=full, wanted=wanted, kinds=kinds, alternates=twins)
    return announce(Response(html, mimetype="text/html"), twins)


@bp.get("/network")
@bp.get("/network.json")
def network_page():
    """Programmes, their pairings and places to start from; the page's script expands the rest."""
    lang = current_lang()
    net = derived("network", network)
    if request.path.endswith(".json"):
        return announce(jsonify(net.to_dict(lang, _page)), [("/network", "text/html", "HTML")])
    twins = [("/network.json", "application/json", "JSON")]
    html = render_template("network.html", net=net, alternates=twins)
    return announce(Response(html, mimetype="text/html"), twins)


@bp.app_template_global("map_point")
def map_point(iri: str) -> geo.Place | None:
    """The point of a place on the map (for the small map on its page), or None."""
    points = g.setdefault("map_points", {})  # the template asks three times per page
    if iri not in points:
        points[iri] = geo.place_point(services().store, iri)
    return points[iri]


@bp.get("/network/neighbours.json")
def network_neighbours():
    """One node of the network with its neighbours, for the page's script to expand it.

    Raises UsageError (400) without ``iri``, NotFound (404) for an IRI that is no node.
    """
    iri = request.args.get("iri", "")
    if not iri:
        raise UsageError(
            "iri is required: the node whose neighbours to give",
            hint="For example /network/neighbours.json?iri=https://w3id.org/coopgraph/id/city/koriyama",
        )
    net = derived("network", network)
    if iri not in net.nodes:
        raise NotFound("no node of the network has that IRI", hint="/network.json lists every node in its index")
    return jsonify(net.neighbourhood_dict(iri, current_lang(), _page))


@bp.app_template_filter("svg_id")
def svg_id(text: str) -> str:
    """A string usable as an XML id (for aria-labelledby inside SVG)."""
    return "".join(ch if ch.isalnum() else "-" for ch in text)


__all__ = ["bp", "services"]
