"""The network of actors, programmes and themes, and a radial drawing of it.

Actors (bodies, parties, cities, regions) rarely link to a programme or a theme
directly: a pairing, a meeting or an agreement links to all of them. So two nodes are
connected when they link to each other, or when some other resource of ours links to
(or from) both of them; the edge keeps those resources ("via") so a reader can follow
it. The drawing puts programmes in the middle, themes around them and actors on the
outer ring, each ring ordered by the programmes its nodes connect to, which keeps
lines short without a force simulation (and without JavaScript).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ..describe.resource import LabelMap, fetch_labels, pick_label
from ..namespaces import DCT, FOAF, GEO, ONTOLOGY, ORG, PROV, SCHEMA
from ..search import PROGRAMME_CLASSES, THEME_CLASSES, instances_of, resource_links

#: Classes whose instances are actors: agents and places (subclasses follow through inference).
ACTOR_CLASSES = (FOAF + "Agent", ORG + "Organization", PROV + "Agent", SCHEMA + "Organization",
                 SCHEMA + "Place", DCT + "Location", GEO + "SpatialThing",
                 ONTOLOGY + "Party", ONTOLOGY + "PublicBody", ONTOLOGY + "Place", ONTOLOGY + "Municipality",
                 ONTOLOGY + "Region", ONTOLOGY + "Prefecture", ONTOLOGY + "Country", ONTOLOGY + "LocalAuthority",
                 ONTOLOGY + "Organisation", ONTOLOGY + "Agent")
#: A resource linking more actors than this is a hub (a catalogue, a whole agreement): its
#: links say little about who works with whom, so it connects nothing.
MAX_VIA_DEGREE = 12
#: More actors than this make an unreadable ring: the drawing keeps the most connected.
MAX_DRAWN_ACTORS = 250
KINDS = ("programme", "theme", "actor")


@dataclass
class Node:
    iri: str
    kind: str
    labels: list = field(default_factory=list)
    x: float = 0.0
    y: float = 0.0
    angle: float = 0.0

    def label(self, lang: str) -> tuple[str | None, str | None]:
        return pick_label(self.labels, lang, self.iri)


@dataclass
class Edge:
    a: str
    b: str
    via: set[str] = field(default_factory=set)   # empty when a and b link directly
    direct: bool = False


@dataclass
class Network:
    nodes: dict[str, Node]
    edges: list[Edge]
    labels: LabelMap
    drawn: set[str] = field(default_factory=set)     # the nodes the drawing shows
    _adjacent: dict[str, list] = field(default_factory=dict, repr=False)

    def neighbours(self, iri: str) -> list[tuple[Node, Edge]]:
        if not self._adjacent:
            for edge in self.edges:
                self._adjacent.setdefault(edge.a, []).append((self.nodes[edge.b], edge))
                self._adjacent.setdefault(edge.b, []).append((self.nodes[edge.a], edge))
        return self._adjacent.get(iri, [])

    @property
    def drawn_edges(self) -> list[Edge]:
        return [e for e in self.edges if e.a in self.drawn and e.b in self.drawn]

    @property
    def actor_count(self) -> int:
        return sum(1 for n in self.nodes.values() if n.kind == "actor")

    def by_kind(self, kind: str, lang: str = "en") -> list[Node]:
        return sorted((n for n in self.nodes.values() if n.kind == kind),
                      key=lambda n: ((n.label(lang)[0] or n.iri).lower(), n.iri))

    def to_dict(self, lang: str = "en", page_url=lambda iri: iri) -> dict:
        return {
            "nodes": [{"id": n.iri, "kind": n.kind, "label": n.label(lang)[0], "otherLabel": n.label(lang)[1],
                       "page": page_url(n.iri), "x": round(n.x, 1), "y": round(n.y, 1)}
                      for n in sorted(self.nodes.values(), key=lambda n: n.iri)],
            "edges": [{"source": e.a, "target": e.b, "direct": e.direct, "via": sorted(e.via)} for e in self.edges],
        }


def network(store) -> Network:
    """Read the nodes and their connections from the graph, and lay them out."""
    kinds: dict[str, str] = {}
    for kind, classes in (("actor", ACTOR_CLASSES), ("theme", THEME_CLASSES), ("programme", PROGRAMME_CLASSES)):
        for iri in instances_of(store, classes):
            kinds[iri] = kind  # a programme or theme that is also an agent stays one
    adjacent: dict[str, set[str]] = {}
    edges: dict[tuple[str, str], Edge] = {}

    def edge(a: str, b: str) -> Edge:
        key = (a, b) if a < b else (b, a)
        if key not in edges:
            edges[key] = Edge(*key)
        return edges[key]

    for s, o in resource_links(store):
        if s in kinds and o in kinds:
            edge(s, o).direct = True
        else:
            for node, other in ((s, o), (o, s)):
                if node in kinds and other not in kinds:
                    adjacent.setdefault(other, set()).add(node)
    for via, nodes in adjacent.items():
        if sum(1 for n in nodes if kinds[n] == "actor") > MAX_VIA_DEGREE:
            continue
        ordered = sorted(nodes)
        for i, a in enumerate(ordered):
            for b in ordered[i + 1:]:
                if kinds[a] == "theme" and kinds[b] == "theme":
                    continue  # themes sharing a pairing say little on their own
                edge(a, b).via.add(via)
    connected = {e.a for e in edges.values()} | {e.b for e in edges.values()}
    labels = fetch_labels(store, connected | {v for e in edges.values() for v in e.via})
    nodes = {iri: Node(iri, kinds[iri], labels.literals.get(iri, [])) for iri in connected}
    result = Network(nodes, sorted(edges.values(), key=lambda e: (e.a, e.b)), labels)
    degree: dict[str, int] = {}
    for e in result.edges:
        degree[e.a] = degree.get(e.a, 0) + 1
        degree[e.b] = degree.get(e.b, 0) + 1
    actors = sorted((n for n in nodes.values() if n.kind == "actor"), key=lambda n: (-degree.get(n.iri, 0), n.iri))
    result.drawn = {n.iri for n in nodes.values() if n.kind != "actor"} | {n.iri for n in actors[:MAX_DRAWN_ACTORS]}
    layout(result)
    return result


def layout(net: Network, size: float = 1000.0) -> None:
    """Place programmes, themes and actors on three rings, each ordered after the programmes."""
    centre = size / 2
    radii = {"programme": size * 0.16, "theme": size * 0.30, "actor": size * 0.40}
    programmes = net.by_kind("programme")
    if len(programmes) == 1:
        programmes[0].x = programmes[0].y = centre
    for index, node in enumerate(programmes):
        node.angle = 2 * math.pi * index / max(1, len(programmes))
    position = {n.iri: n.angle for n in programmes}
    neighbours: dict[str, list[str]] = {}
    for e in net.edges:
        neighbours.setdefault(e.a, []).append(e.b)
        neighbours.setdefault(e.b, []).append(e.a)

    def barycentre(node: Node, fallback: float) -> float:
        angles = [position[n] for n in neighbours.get(node.iri, []) if n in position]
        if not angles:
            return fallback
        x = sum(math.cos(a) for a in angles)
        y = sum(math.sin(a) for a in angles)
        return math.atan2(y, x) % (2 * math.pi) if (x or y) else angles[0]

    for kind in ("theme", "actor"):
        ring = [n for n in net.by_kind(kind) if not net.drawn or n.iri in net.drawn]
        wanted = sorted(ring, key=lambda n: (barycentre(n, 7.0), (n.label("en")[0] or n.iri).lower()))
        for index, node in enumerate(wanted):
            node.angle = 2 * math.pi * index / max(1, len(wanted))
            position[node.iri] = node.angle
    for node in net.nodes.values():
        if node.kind == "programme" and len(programmes) == 1:
            continue
        radius = radii[node.kind]
        node.x = centre + radius * math.cos(node.angle)
        node.y = centre + radius * math.sin(node.angle)
