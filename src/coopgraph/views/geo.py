"""The map: cooperating places with coordinates, the pairings between them, drawn as SVG.

The map must work offline and without JavaScript, so the server draws it: a world
outline shipped with the package (Natural Earth via world-atlas, see
resources/world-atlas/README.md), projected with a simple equirectangular projection
whose standard parallel is the middle of the frame, the places as dots and each
pairing as a great-circle line. Everything is read from the graph (coordinates in
WGS84, schema.org or GeoSPARQL WKT), so a contributed city or pairing appears at once.
Frames: an overview, plus a detail frame for each cluster of places (Europe and Japan
sit ~130 degrees apart, which leaves each of them tiny in the overview).
"""

from __future__ import annotations

import functools
import json
import math
import re
from dataclasses import dataclass, field
from importlib import resources

import pyoxigraph as ox

from ..describe.resource import SOURCE_PREDICATES, fetch_labels, pick_label, values_block
from ..namespaces import GEO, ONTOLOGY, RDF_TYPE, SCHEMA, SKOS
from ..participation import (
    PLACES,
    PROGRAMME_CLASSES,
    SUCCESSION,
    THEME_CLASSES,
    instances_of,
    resource_links,
    taking_part,
)

GEOSPARQL = "http://www.opengis.net/ont/geosparql#"
#: Classes whose instances are places (subclasses follow through inference).
PLACE_CLASSES = PLACES
#: Classes whose instances link cooperating places (drawn as lines).
PAIRING_CLASSES = (ONTOLOGY + "Pairing",)
#: Places whose area is not a town: the graph gives them the point of their seat or capital.
SEAT_POINT_CLASSES = (ONTOLOGY + "Region", ONTOLOGY + "MetropolitanAuthority")
#: Links of a visit: who went (visitors) and who received them (hosts).
VISITOR, HOST = ONTOLOGY + "hasVisitor", ONTOLOGY + "hasHost"
#: Longitude gap beyond which places form separate clusters, each with a detail frame.
CLUSTER_GAP = 30.0
#: Beyond this many places in a frame, dots carry their names as tooltips only.
MAX_LABELLED = 400
EUROPE_BOX = (-25.0, 34.0, 45.0, 72.0)  # west, south, east, north

_WKT_POINT = re.compile(r"POINT\s*\(\s*([-+0-9.eE]+)\s+([-+0-9.eE]+)\s*\)", re.I)


# --- what the graph says --------------------------------------------------------------------


@dataclass
class Place:
    iri: str
    lat: float
    lon: float
    labels: list = field(default_factory=list)
    types: set = field(default_factory=set)
    #: the programmes the place takes part in (its layers on the interactive map)
    programmes: list[str] = field(default_factory=list)
    #: the graph's notes on the place that speak of its point (for a seat or capital)
    point_notes: list = field(default_factory=list)

    def label(self, lang: str) -> tuple[str | None, str | None]:
        return pick_label(self.labels, lang, self.iri)

    @property
    def seat_point(self) -> bool:
        """Whether the point stands for the place's seat or capital, not for a town of its own."""
        return bool(self.types & set(SEAT_POINT_CLASSES))


@dataclass
class VisitLink:
    """Two places linked by visits (who went, who received them) where no pairing links them.

    The Region-to-Region strand has no pairings: its regions and prefectures are linked
    only by study visits, so these are the strand's lines.
    """

    a: str
    b: str
    programme: str
    visits: list[str]  # the visits, the most specific (fewest places) first


@dataclass
class Pairing:
    iri: str
    participants: list[str]  # located participants (IRIs of places)
    unlocated: list[str]  # participants the graph gives no coordinates for
    programmes: list[str]
    labels: list = field(default_factory=list)

    def label(self, lang: str) -> tuple[str | None, str | None]:
        return pick_label(self.labels, lang, self.iri)


@dataclass
class MapData:
    places: dict[str, Place]
    pairings: list[Pairing]
    unlocated: dict[str, list]  # participant IRI -> label literals
    programme_labels: dict[str, list]
    #: places taking part in a programme (not only through pairings) without coordinates,
    #: with the programmes: the map cannot show them, so the page lists them
    elsewhere: dict[str, list[str]] = field(default_factory=dict)
    #: lines per programme between places linked only by visits
    visit_links: list[VisitLink] = field(default_factory=list)
    visit_labels: dict[str, list] = field(default_factory=dict)

    def label_of(self, iri: str, lang: str = "en") -> str | None:
        """The label of a place, an unlocated participant or a programme on this map."""
        if iri in self.places:
            return self.places[iri].label(lang)[0]
        return pick_label(self.unlocated.get(iri) or self.programme_labels.get(iri) or [], lang, iri)[0]

    def to_geojson(self, lang: str = "en", page_url=lambda iri: iri) -> dict:
        """The map as GeoJSON (RFC 7946): a Point per place, a LineString per pair of partners."""
        features = []
        for place in sorted(self.places.values(), key=lambda p: p.iri):
            main, other = place.label(lang)
            features.append(
                {
                    "type": "Feature",
                    "id": place.iri,
                    "geometry": {"type": "Point", "coordinates": [place.lon, place.lat]},
                    "properties": {
                        "kind": "place",
                        "iri": place.iri,
                        "label": main,
                        "otherLabel": other,
                        "page": page_url(place.iri),
                        "types": sorted(place.types),
                        "programmes": place.programmes,
                        "seatPoint": place.seat_point,
                        "pointNote": _note(place.point_notes, lang),
                    },
                }
            )
        for pairing in self.pairings:
            main, other = pairing.label(lang)
            for a, b in segments(pairing):
                pa, pb = self.places[a], self.places[b]
                features.append(
                    {
                        "type": "Feature",
                        "id": f"{pairing.iri}#{a}|{b}",
                        "geometry": {
                            "type": "LineString",
                            "coordinates": [[lon, lat] for lon, lat in great_circle(pa, pb)],
                        },
                        "properties": {
                            "kind": "pairing",
                            "iri": pairing.iri,
                            "label": main,
                            "otherLabel": other,
                            "page": page_url(pairing.iri),
                            "participants": [a, b],
                            "programmes": pairing.programmes,
                        },
                    }
                )
        for link in self.visit_links:
            pa, pb = self.places[link.a], self.places[link.b]
            labels = [pick_label(self.visit_labels.get(v, []), lang, v)[0] for v in link.visits]
            features.append(
                {
                    "type": "Feature",
                    "id": f"{link.programme}#{link.a}|{link.b}",
                    "geometry": {
                        "type": "LineString",
                        "coordinates": [[lon, lat] for lon, lat in great_circle(pa, pb)],
                    },
                    "properties": {
                        "kind": "visit",
                        "iri": link.visits[0],
                        "label": labels[0],
                        "labels": labels,
                        "page": page_url(link.visits[0]),
                        "participants": [link.a, link.b],
                        "programmes": [link.programme],
                    },
                }
            )
        programmes = sorted(
            {p for place in self.places.values() for p in place.programmes}
            | {p for pairing in self.pairings for p in pairing.programmes}
            | {link.programme for link in self.visit_links}
        )
        # a foreign member (RFC 7946 section 6.1): the programmes, in the order the map lists its layers
        return {
            "type": "FeatureCollection",
            "features": features,
            "programmes": [{"iri": p, "label": self.label_of(p, lang), "page": page_url(p)} for p in programmes],
        }


def _note(literals: list, lang: str) -> str | None:
    return pick_label(literals, lang)[0] if literals else None


def _coordinates(store, prefix: str, only: str | None = None) -> dict[str, tuple[float, float]]:
    """The point of every located resource of ours (or of ``only``), by IRI."""
    rows = store.select(f"""
        PREFIX geo: <{GEO}> PREFIX schema: <{SCHEMA}> PREFIX gs: <{GEOSPARQL}> PREFIX cg: <{ONTOLOGY}>
        SELECT ?s ?lat ?lon ?wkt WHERE {{
          {values_block("s", [only]) if only else ""}
          {{ ?s geo:lat ?lat ; geo:long ?lon }}
          UNION {{ ?s schema:latitude ?lat ; schema:longitude ?lon }}
          UNION {{ ?s schema:geo ?g . ?g schema:latitude ?lat ; schema:longitude ?lon }}
          UNION {{ ?s cg:latitude ?lat ; cg:longitude ?lon }}
          UNION {{ ?s gs:hasGeometry ?geom . ?geom gs:asWKT ?wkt }}
          UNION {{ ?s gs:asWKT ?wkt }}
          FILTER(isIRI(?s) && STRSTARTS(STR(?s), {prefix}))
        }}""")
    out: dict[str, tuple[float, float]] = {}
    for row in rows:
        try:
            if "wkt" in row:
                match = _WKT_POINT.search(row["wkt"].value)
                if not match:
                    continue
                lon, lat = float(match.group(1)), float(match.group(2))
            else:
                lat, lon = float(row["lat"].value), float(row["lon"].value)
        except ValueError:
            continue
        if -90 <= lat <= 90 and -180 <= lon <= 180:
            out.setdefault(row["s"].value, (lat, lon))
    return out


def place_point(store, iri: str) -> Place | None:
    """One place's point, as the map shows it (its labels, types and notes), or None if it has none.

    Its page shows a small map of the point: asking for this one place costs milliseconds,
    where deriving the whole map for it took 36 s at 1M triples. ``programmes`` (the map's
    layers) is left empty: the page does not use it.
    """
    coords = _coordinates(store, str(ox.Literal(store.iris.id_base)), only=iri)
    if iri not in coords:
        return None
    return _places(store, coords, {iri}, fetch_labels(store, {iri}), {})[iri]


def _places(store, coords: dict, shown: set[str], labels, programmes: dict[str, set[str]]) -> dict[str, Place]:
    """The located places ``shown``, with their types, the notes on their point, and ``programmes``."""
    types: dict[str, set] = {}
    notes: dict[str, list] = {}
    if shown:
        chosen = values_block("s", sorted(shown))
        for row in store.select(f"SELECT ?s ?c WHERE {{ {chosen} ?s a ?c }}"):
            types.setdefault(row["s"].value, set()).add(row["c"].value)
        for row in store.select(
            f'SELECT ?s ?note WHERE {{ {chosen} ?s <{SKOS}note> ?note FILTER(CONTAINS(LCASE(STR(?note)), "point")) }}'
        ):
            notes.setdefault(row["s"].value, []).append(row["note"])
    return {
        iri: Place(
            iri,
            coords[iri][0],
            coords[iri][1],
            labels.literals.get(iri, []),
            types.get(iri, set()),
            sorted(programmes.get(iri, ())),
            notes.get(iri, []),
        )
        for iri in shown
    }


def map_data(store) -> MapData:
    """Read the located places and the pairings between places from the graph."""
    prefix = str(ox.Literal(store.iris.id_base))
    coords = _coordinates(store, prefix)
    excluded = ", ".join(str(ox.NamedNode(p)) for p in SOURCE_PREDICATES + (RDF_TYPE,))
    rows = store.select(f"""
        SELECT ?pairing ?p ?o WHERE {{
          {values_block("c", PAIRING_CLASSES)}
          ?pairing a ?c ; ?p ?o .
          FILTER(isIRI(?pairing) && isIRI(?o) && STRSTARTS(STR(?o), {prefix}) && ?p NOT IN ({excluded}))
        }}""")
    programmes = {
        r["t"].value
        for r in store.select(f"SELECT DISTINCT ?t WHERE {{ {values_block('c', PROGRAMME_CLASSES)} ?t a ?c }}")
    }
    links: dict[str, list[tuple[str, str]]] = {}
    for row in rows:
        links.setdefault(row["pairing"].value, []).append((row["p"].value, row["o"].value))
    # the predicates that link pairings to places are the ones that reach a located place
    participation = {p for pairs in links.values() for p, o in pairs if o in coords}
    pairings = []
    for iri, pairs in sorted(links.items()):
        located = sorted({o for p, o in pairs if o in coords})
        unlocated = sorted({o for p, o in pairs if p in participation and o not in coords and o not in programmes})
        progs = sorted({o for _, o in pairs if o in programmes})
        pairings.append(Pairing(iri, located, unlocated, progs))
    # places (regions, prefectures...) that take part in programmes without coordinates
    links = resource_links(store, leave_out=SUCCESSION)
    places_all = instances_of(store, PLACE_CLASSES) - instances_of(store, (ONTOLOGY + "Country",))
    themes = instances_of(store, THEME_CLASSES)
    elsewhere: dict[str, list[str]] = {}
    place_programmes: dict[str, set[str]] = {}
    for resource, programme in taking_part(links, programmes, programmes | themes | places_all):
        if resource in places_all and resource not in coords:
            elsewhere.setdefault(resource, []).append(programme)
        elif resource in places_all:
            place_programmes.setdefault(resource, set()).add(programme)
    used = {p for pairing in pairings for p in pairing.participants}
    shown = set(coords) if not pairings else used | {s for s in coords if s not in used}
    labels = fetch_labels(
        store,
        shown | {p.iri for p in pairings} | {u for p in pairings for u in p.unlocated} | programmes | set(elsewhere),
    )
    places = _places(store, coords, shown, labels, place_programmes)
    visit_links = _visit_links(store, prefix, places, pairings)
    visit_labels = fetch_labels(store, {v for link in visit_links for v in link.visits}).literals
    for pairing in pairings:
        pairing.labels = labels.literals.get(pairing.iri, [])
    unlocated = {u: labels.literals.get(u, []) for p in pairings for u in p.unlocated}
    unlocated.update({u: labels.literals.get(u, []) for u in elsewhere})
    return MapData(
        places,
        pairings,
        unlocated,
        {p: labels.literals.get(p, []) for p in programmes},
        {u: sorted(progs) for u, progs in sorted(elsewhere.items())},
        visit_links,
        visit_labels,
    )


def _visit_links(store, prefix: str, places: dict[str, Place], pairings: list[Pairing]) -> list[VisitLink]:
    """Lines between visitors and hosts, per programme, where no pairing of it links the two.

    A visit belongs to the programmes it is carried out within (through other visits or a
    pairing). A pair of places is drawn once per programme; its visits are listed, the one
    with the fewest places first, as the most specific account of who went where.
    """
    rows = store.select(f"""
        PREFIX cg: <{ONTOLOGY}>
        SELECT DISTINCT ?visit ?visitor ?host ?programme WHERE {{
          ?visit <{VISITOR}> ?visitor ; <{HOST}> ?host .
          {{ ?visit cg:isCarriedOutWithin+ ?programme . ?programme a cg:Programme }}
          UNION {{ ?visit cg:isCarriedOutWithin+/cg:isPairingIn ?programme }}
          FILTER(isIRI(?visit) && ?visitor != ?host && STRSTARTS(STR(?visit), {prefix}))
        }}""")
    paired = {
        (programme, frozenset(pair))
        for pairing in pairings
        for programme in pairing.programmes
        for pair in segments(pairing)
    }
    size: dict[str, set[str]] = {}
    found: dict[tuple[str, frozenset], set[str]] = {}
    for row in rows:
        visit, visitor, host = row["visit"].value, row["visitor"].value, row["host"].value
        size.setdefault(visit, set()).update((visitor, host))
        if visitor not in places or host not in places:
            continue
        key = (row["programme"].value, frozenset((visitor, host)))
        if key not in paired:
            found.setdefault(key, set()).add(visit)
    links = []
    for (programme, pair), visits in sorted(found.items(), key=lambda item: (item[0][0], sorted(item[0][1]))):
        a, b = sorted(pair)
        links.append(VisitLink(a, b, programme, sorted(visits, key=lambda v: (len(size[v]), v))))
    return links


def segments(pairing: Pairing) -> list[tuple[str, str]]:
    """The lines of a pairing: one between every two of its located participants."""
    parts = pairing.participants
    return [(parts[i], parts[j]) for i in range(len(parts)) for j in range(i + 1, len(parts))]


def great_circle(a: Place, b: Place, steps: int = 48) -> list[tuple[float, float]]:
    """Points (lon, lat) along the shortest path on the globe from a to b."""

    def vector(lat, lon):
        la, lo = math.radians(lat), math.radians(lon)
        return (math.cos(la) * math.cos(lo), math.cos(la) * math.sin(lo), math.sin(la))

    va, vb = vector(a.lat, a.lon), vector(b.lat, b.lon)
    omega = math.acos(max(-1.0, min(1.0, sum(x * y for x, y in zip(va, vb)))))
    if omega < 1e-9:
        return [(a.lon, a.lat), (b.lon, b.lat)]
    points, previous = [], None
    for i in range(steps + 1):
        t = i / steps
        fa, fb = math.sin((1 - t) * omega) / math.sin(omega), math.sin(t * omega) / math.sin(omega)
        x, y, z = (fa * p + fb * q for p, q in zip(va, vb))
        lon = math.degrees(math.atan2(y, x))
        lat = math.degrees(math.atan2(z, math.hypot(x, y)))
        if previous is not None:  # keep longitudes continuous across the antimeridian
            while lon - previous > 180:
                lon -= 360
            while lon - previous < -180:
                lon += 360
        previous = lon
        points.append((round(lon, 4), round(lat, 4)))
    return points


# --- the world outline -------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def world() -> list[tuple[str, list[list[tuple[float, float]]]]]:
    """Decode the vendored TopoJSON into (country name, rings of (lon, lat))."""
    text = resources.files("coopgraph").joinpath("resources/world-atlas/countries-50m.json").read_text("utf-8")
    topology = json.loads(text)
    sx, sy = topology["transform"]["scale"]
    tx, ty = topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x += dx
            y += dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)

    def ring(indexes):
        points: list[tuple[float, float]] = []
        for index in indexes:
            arc = arcs[index] if index >= 0 else list(reversed(arcs[~index]))
            points.extend(arc if not points else arc[1:])
        return points

    countries = []
    for geometry in topology["objects"]["countries"]["geometries"]:
        name = geometry.get("properties", {}).get("name", "")
        if geometry["type"] == "Polygon":
            polygons = [geometry["arcs"]]
        elif geometry["type"] == "MultiPolygon":
            polygons = geometry["arcs"]
        else:
            continue
        countries.append((name, [ring(r) for polygon in polygons for r in polygon]))
    return countries


@functools.lru_cache(maxsize=1)
def world_geojson(tolerance: float = 0.02) -> dict:
    """The world outline as GeoJSON, one MultiPolygon per country, for the interactive map.

    Rings crossing the antimeridian (Russia, Fiji) keep their longitudes continuous, so
    no edge is drawn across the whole map. Points closer than ``tolerance`` degrees to the
    last one kept are dropped and the rest rounded to 0.01 degree (about 1 km, finer than
    the 1:50m atlas): fewer bytes, the same picture at every zoom the map allows.
    """
    features = []
    for name, rings in world():
        polygons = []
        for r in rings:
            kept: list[list[float]] = []
            for lon, lat in r:
                if kept:  # a ring crossing the antimeridian goes on past 180 rather than across the world
                    while lon - kept[-1][0] > 180:
                        lon -= 360
                    while lon - kept[-1][0] < -180:
                        lon += 360
                    if abs(lon - kept[-1][0]) < tolerance and abs(lat - kept[-1][1]) < tolerance:
                        continue
                kept.append([round(lon, 2), round(lat, 2)])
            if len(kept) >= 3:
                polygons.append([kept + [kept[0]]])
        if polygons:
            features.append(
                {
                    "type": "Feature",
                    "properties": {"name": name},
                    "geometry": {"type": "MultiPolygon", "coordinates": polygons},
                }
            )
    return {"type": "FeatureCollection", "features": features}


def _inside(lon: float, lat: float, ring: list[tuple[float, float]]) -> bool:
    inside = False
    for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1]):
        if (y1 > lat) != (y2 > lat) and lon < (x2 - x1) * (lat - y1) / (y2 - y1) + x1:
            inside = not inside
    return inside


def country_of(lon: float, lat: float, tolerance: float = 0.3) -> str | None:
    """The atlas country a point lies in (or within ``tolerance`` degrees of, for coastal cities)."""
    near = None
    for name, r, (west, east, south, north) in _bounded_rings():
        if not (west - tolerance <= lon <= east + tolerance and south - tolerance <= lat <= north + tolerance):
            continue
        if _inside(lon, lat, r):
            return name
        if near is None and any(abs(x - lon) <= tolerance and abs(y - lat) <= tolerance for x, y in r):
            near = name
    return near


@functools.lru_cache(maxsize=1)
def _bounded_rings() -> list[tuple[str, list[tuple[float, float]], tuple[float, float, float, float]]]:
    """Every ring of the atlas with its country and its box (west, east, south, north), computed once.

    :func:`country_of` looks only into the rings whose box holds the point; computing the
    boxes on each call cost 8 ms a point, 6 minutes for the 44,797 places of a 1M graph.
    """
    return [
        (name, r, (min(x for x, _ in r), max(x for x, _ in r), min(y for _, y in r), max(y for _, y in r)))
        for name, rings in world()
        for r in rings
    ]


# --- frames and projection --------------------------------------------------------------------


@dataclass
class Frame:
    key: str  # overview | europe | a country name | detail-N
    west: float
    south: float
    east: float
    north: float
    places: list[str]

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        return self.west, self.south, self.east, self.north


def _bbox(points: list[tuple[float, float]], pad: float, minimum: float) -> tuple[float, float, float, float]:
    lons = [p[0] for p in points]
    lats = [p[1] for p in points]
    west, east, south, north = min(lons), max(lons), min(lats), max(lats)
    pad_x = max(pad, (east - west) * 0.08)
    pad_y = max(pad, (north - south) * 0.08)
    west, east, south, north = west - pad_x, east + pad_x, south - pad_y, north + pad_y
    if east - west < minimum:
        mid = (east + west) / 2
        west, east = mid - minimum / 2, mid + minimum / 2
    if north - south < minimum * 0.6:
        mid = (north + south) / 2
        south, north = mid - minimum * 0.3, mid + minimum * 0.3
    # keep frames landscape (at most 2:3 on screen) so a detail map fits a screen
    cos_mid = max(0.2, math.cos(math.radians((south + north) / 2)))
    if (north - south) > 0.66 * (east - west) * cos_mid:
        half = (north - south) / 0.66 / cos_mid / 2
        mid = (east + west) / 2
        west, east = mid - half, mid + half
    # rounded, so the outline drawn from a URL carrying the frame matches the page exactly
    return (round(max(-180, west), 2), round(max(-85, south), 2), round(min(180, east), 2), round(min(85, north), 2))


def frames(data: MapData) -> list[Frame]:
    """An overview of every place and line, then one detail frame per cluster of places."""
    places = sorted(data.places.values(), key=lambda p: p.lon)
    if not places:
        return []
    points = [(p.lon, p.lat) for p in places]
    for pairing in data.pairings:
        for a, b in segments(pairing):
            points.extend(great_circle(data.places[a], data.places[b], steps=12))
    west, south, east, north = _bbox(points, 3.0, 20.0)
    out = [Frame("overview", west, south, east, north, [p.iri for p in places])]
    clusters, current = [], [places[0]]
    for previous, place in zip(places, places[1:]):
        if place.lon - previous.lon > CLUSTER_GAP:
            clusters.append(current)
            current = []
        current.append(place)
    clusters.append(current)
    if len(clusters) > 1:
        for index, cluster in enumerate(clusters):
            west, south, east, north = _bbox([(p.lon, p.lat) for p in cluster], 1.0, 6.0)
            out.append(Frame(_cluster_name(cluster, index), west, south, east, north, [p.iri for p in cluster]))
    return out


def _cluster_name(cluster: list[Place], index: int) -> str:
    countries = set()
    for place in cluster:  # stops at the second country (or a place in none)
        countries.add(country_of(place.lon, place.lat))
        if len(countries) > 1 or None in countries:
            break
    if len(countries) == 1 and None not in countries:
        return countries.pop()
    w, s, e, n = EUROPE_BOX
    if all(w <= p.lon <= e and s <= p.lat <= n for p in cluster):
        return "Europe"
    return f"detail-{index + 1}"


@dataclass
class DrawnPoint:
    place: Place
    x: float
    y: float
    label: str | None
    label_x: float = 0.0
    label_y: float = 0.0
    anchor: str = "start"


@dataclass
class DrawnLine:
    pairing: Pairing
    a: str
    b: str
    d: str


@dataclass
class MapView:
    frame: Frame
    width: int
    height: int
    lines: list[DrawnLine]
    points: list[DrawnPoint]


def projection(west: float, south: float, east: float, north: float, width: int):
    """An equirectangular projection of a frame onto ``width`` pixels: (project, height)."""
    cos_mid = max(0.2, math.cos(math.radians((south + north) / 2)))
    k = width / ((east - west) * cos_mid)
    height = int(round((north - south) * k))

    def project(lon: float, lat: float) -> tuple[float, float]:
        return (lon - west) * cos_mid * k, (north - lat) * k

    return project, height


def outline(west: float, south: float, east: float, north: float, width: int) -> tuple[int, list[tuple[str, str]]]:
    """The world outline inside a frame as SVG path data per country: (height, [(name, d)])."""
    project, height = projection(west, south, east, north, width)
    margin = 2.0
    land = []
    for name, rings in world():
        parts = []
        for r in rings:
            xs = [p[0] for p in r]
            ys = [p[1] for p in r]
            if (
                max(xs) < west - margin
                or min(xs) > east + margin
                or max(ys) < south - margin
                or min(ys) > north + margin
            ):
                continue
            projected = [project(lon, lat) for lon, lat in r]
            xs_px = [p[0] for p in projected]
            ys_px = [p[1] for p in projected]
            if max(xs_px) - min(xs_px) < 2 and max(ys_px) - min(ys_px) < 2:
                continue  # an islet smaller than a dot
            parts.append(_path(projected, close=True, tolerance=1.0))
        if parts:
            land.append((name, "".join(parts)))
    return height, land


def render(frame: Frame, data: MapData, lang: str = "en", width: int = 960, labels: bool = True) -> MapView:
    """Project the lines and the places of one frame into SVG coordinates (the outline is apart)."""
    project, height = projection(frame.west, frame.south, frame.east, frame.north, width)
    lines = []
    shown = set(frame.places)  # a list: looking into it for each pairing took 99 s at 1M
    for pairing in data.pairings:
        for a, b in segments(pairing):
            pa, pb = data.places[a], data.places[b]
            if a not in shown and b not in shown:
                continue
            lines.append(DrawnLine(pairing, a, b, _path([project(lon, lat) for lon, lat in great_circle(pa, pb)])))
    points = []
    for iri in frame.places:
        place = data.places[iri]
        x, y = project(place.lon, place.lat)
        points.append(DrawnPoint(place, round(x, 1), round(y, 1), place.label(lang)[0] if labels else None))
    if labels and len(points) <= MAX_LABELLED:
        _place_labels(points, width, height)
    elif labels:
        for point in points:  # too many to place (each costs a look at all placed): tooltips only
            point.label = None
    return MapView(frame, width, height, lines, points)


def _path(points: list[tuple[float, float]], close: bool = False, tolerance: float = 0.6) -> str:
    """SVG path data, dropping points closer than ``tolerance`` pixels to the last one kept."""
    kept = []
    for x, y in points:
        if kept and abs(x - kept[-1][0]) < tolerance and abs(y - kept[-1][1]) < tolerance:
            continue
        kept.append((x, y))
    if len(kept) < (3 if close else 2):
        return ""
    text = "M" + "L".join(f"{x:.1f},{y:.1f}" for x, y in kept)
    return text + ("Z" if close else "")


def _place_labels(points: list[DrawnPoint], width: int, height: int, size: float = 12.0) -> None:
    """Put each label beside its dot where it overlaps no other label or dot; else leave it out.

    Dropped labels are still in the dot's tooltip and in the table under the map.
    """
    boxes = [(p.x - 4, p.y - 4, p.x + 4, p.y + 4) for p in points]
    placed = []
    for point in sorted(points, key=lambda p: (p.y, p.x)):
        if not point.label:
            continue
        text_width = sum(size if ord(ch) > 0x2E80 else size * 0.55 for ch in point.label)
        options = [
            (point.x + 7, point.y + size * 0.35, "start", point.x + 7, point.x + 7 + text_width),
            (point.x - 7, point.y + size * 0.35, "end", point.x - 7 - text_width, point.x - 7),
            (point.x, point.y - 8, "middle", point.x - text_width / 2, point.x + text_width / 2),
            (point.x, point.y + size + 6, "middle", point.x - text_width / 2, point.x + text_width / 2),
        ]
        chosen = None
        for lx, ly, anchor, left, right in options:
            box = (left, ly - size, right, ly + 2)
            if left < 0 or right > width or box[1] < 0 or box[3] > height:
                continue
            if any(_overlap(box, other) for other in boxes + placed):
                continue
            chosen = (lx, ly, anchor, box)
            break
        if chosen is None:
            point.label = None
            continue
        point.label_x, point.label_y, point.anchor = round(chosen[0], 1), round(chosen[1], 1), chosen[2]
        placed.append(chosen[3])


def _overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
