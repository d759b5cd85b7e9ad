"""The network of the cooperation: programmes, pairings, places and what else links to them.

Nodes are our resources of a few kinds (programme, pairing, place, organisation, theme,
agreement, event, document), found by their classes, so a contributed pairing or meeting
appears without a code change. Two nodes are connected when one links to the other.
A reader starts from the core (programmes, their pairings, the places taking part in
those) and expands any node's neighbourhood on demand: the whole graph drawn at once
(hundreds of nodes, most links through a few hubs) reads as a hairball.
Each node knows its programmes and themes, directly or through its pairings, so a
view can filter by them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..describe.resource import LabelMap, fetch_labels, pick_label, values_block
from ..namespaces import DCT, FOAF, GEO, ONTOLOGY, ORG, PROV, SCHEMA, SKOS
from ..participation import instances_of, resource_links

#: Kinds in order of precedence: a city that is both a place and an agent is a place.
KIND_CLASSES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("programme", (ONTOLOGY + "Programme",)),
    ("pairing", (ONTOLOGY + "Pairing", ONTOLOGY + "Partnership", ONTOLOGY + "Twinning")),
    ("theme", (ONTOLOGY + "Theme", SKOS + "Concept")),
    ("place", (ONTOLOGY + "Place", SCHEMA + "Place", DCT + "Location", GEO + "SpatialThing")),
    (
        "organisation",
        (
            ONTOLOGY + "Party",
            ONTOLOGY + "PublicBody",
            ONTOLOGY + "Organisation",
            ONTOLOGY + "Person",
            ONTOLOGY + "LocalAuthority",
            FOAF + "Agent",
            ORG + "Organization",
            PROV + "Agent",
            SCHEMA + "Organization",
        ),
    ),
    ("agreement", (ONTOLOGY + "Agreement", ONTOLOGY + "Provision")),
    ("event", (ONTOLOGY + "Event", ONTOLOGY + "Meeting", ONTOLOGY + "PolicyDialogue", ONTOLOGY + "LocalInitiative")),
    ("document", (ONTOLOGY + "Document", ONTOLOGY + "Study")),
)
KINDS = tuple(kind for kind, _ in KIND_CLASSES)


@dataclass
class Node:
    iri: str
    kind: str
    labels: list = field(default_factory=list)
    short: str | None = None  # an abbreviation (IUC), when the data gives one
    programmes: set[str] = field(default_factory=set)
    themes: set[str] = field(default_factory=set)

    def label(self, lang: str) -> tuple[str | None, str | None]:
        return pick_label(self.labels, lang, self.iri)


@dataclass
class Network:
    nodes: dict[str, Node]
    adjacent: dict[str, set[str]]
    labels: LabelMap

    def by_kind(self, kind: str, lang: str = "en") -> list[Node]:
        return sorted(
            (n for n in self.nodes.values() if n.kind == kind),
            key=lambda n: ((n.label(lang)[0] or n.iri).lower(), n.iri),
        )

    def neighbours(self, iri: str, kind: str | None = None) -> list[Node]:
        found = (self.nodes[other] for other in self.adjacent.get(iri, ()))
        return sorted((n for n in found if kind is None or n.kind == kind), key=lambda n: n.iri)

    def core(self) -> set[str]:
        """Programmes, the pairings in them, and the places taking part in those pairings.

        A programme without pairings (a strand of regions meeting in groups) brings the
        places it involves directly.
        """
        out = set()
        for programme in self.by_kind("programme"):
            out.add(programme.iri)
            if not self.neighbours(programme.iri, "pairing"):
                out.update(p.iri for p in self.neighbours(programme.iri, "place"))
        for pairing in (n for n in self.nodes.values() if n.kind == "pairing" and n.programmes):
            out.add(pairing.iri)
            out.update(p.iri for p in self.neighbours(pairing.iri, "place"))
        return out

    def edges_among(self, iris: set[str], touching: set[str] | None = None) -> list[tuple[str, str]]:
        """Edges between nodes of ``iris``; with ``touching``, only those with an end in it."""
        out = []
        for a in sorted(iris):
            for b in self.adjacent.get(a, ()):
                if a < b and b in iris and (touching is None or a in touching or b in touching):
                    out.append((a, b))
        return out

    def core_edges(self) -> list[tuple[str, str]]:
        """The core's edges through its pairings (a programme's links to every city would hide them)."""
        core = self.core()
        hubs = {
            iri
            for iri in core
            if self.nodes[iri].kind == "pairing"
            or (self.nodes[iri].kind == "programme" and not self.neighbours(iri, "pairing"))
        }
        return self.edges_among(core, hubs)

    def node_dict(self, node: Node, lang: str, page_url) -> dict:
        main, other = node.label(lang)
        return {
            "id": node.iri,
            "kind": node.kind,
            "label": main,
            "otherLabel": other,
            "short": node.short,
            "page": page_url(node.iri),
            "programmes": sorted(node.programmes),
            "themes": sorted(node.themes),
            "degree": len(self.adjacent.get(node.iri, ())),
        }

    def to_dict(self, lang: str = "en", page_url=lambda iri: iri) -> dict:
        """The core to start from, the filters' choices and an index of every node (for search)."""
        core = self.core()

        def choices(kind):
            return [{"id": n.iri, "label": n.label(lang)[0], "short": n.short} for n in self.by_kind(kind, lang)]

        return {
            "nodes": [self.node_dict(self.nodes[iri], lang, page_url) for iri in sorted(core)],
            "edges": [{"source": a, "target": b} for a, b in self.core_edges()],
            "kinds": [kind for kind in KINDS if any(n.kind == kind for n in self.nodes.values())],
            "programmes": choices("programme"),
            "themes": [t for t in choices("theme") if any(t["id"] in self.nodes[iri].themes for iri in core)],
            "index": [
                {"id": n.iri, "label": n.label(lang)[0], "kind": n.kind}
                for n in sorted(self.nodes.values(), key=lambda n: n.iri)
            ],
        }

    def neighbourhood_dict(self, iri: str, lang: str = "en", page_url=lambda iri: iri) -> dict:
        """A node, its neighbours and the edges between it and them."""
        near = {iri} | {n.iri for n in self.neighbours(iri)}
        return {
            "node": iri,
            "nodes": [self.node_dict(self.nodes[i], lang, page_url) for i in sorted(near)],
            "edges": [{"source": a, "target": b} for a, b in self.edges_among(near, {iri})],
        }


def network(store) -> Network:
    """Read the nodes, their links, programmes and themes from the graph."""
    kinds: dict[str, str] = {}
    for kind, classes in reversed(KIND_CLASSES):
        for iri in instances_of(store, classes):
            kinds[iri] = kind  # later (earlier in the list) kinds win
    adjacent: dict[str, set[str]] = {}
    for s, o in resource_links(store):
        if s in kinds and o in kinds:
            adjacent.setdefault(s, set()).add(o)
            adjacent.setdefault(o, set()).add(s)
    labels = fetch_labels(store, set(kinds))
    nodes = {iri: Node(iri, kind, labels.literals.get(iri, [])) for iri, kind in kinds.items()}
    for iri, short in _abbreviations(store, [i for i, k in kinds.items() if k == "programme"]).items():
        nodes[iri].short = short
    for node in nodes.values():
        near = adjacent.get(node.iri, set())
        if node.kind == "programme":
            node.programmes.add(node.iri)  # a strand is its own programme, not its parent's
        else:
            node.programmes.update(i for i in near if kinds[i] == "programme")
        node.themes.update(i for i in near if kinds[i] == "theme")
        if node.kind == "theme":
            node.themes.add(node.iri)
    for node in nodes.values():
        if node.kind in ("place", "organisation"):
            # a city's programmes and themes are those of its pairings (linking a programme
            # to all its cities would otherwise hand each city every theme of the programme)
            for pairing in (i for i in adjacent.get(node.iri, ()) if kinds[i] == "pairing"):
                node.programmes.update(nodes[pairing].programmes)
                node.themes.update(nodes[pairing].themes)
    return Network(nodes, adjacent, labels)


def _abbreviations(store, iris: list[str]) -> dict[str, str]:
    """The shortest alternative label of each resource, when it is short (IUC, IURC)."""
    if not iris:
        return {}
    rows = store.select(f"SELECT ?s ?alt WHERE {{ {values_block('s', sorted(iris))} ?s <{SKOS}altLabel> ?alt }}")
    out: dict[str, str] = {}
    for row in rows:
        alt = row["alt"].value
        if len(alt) <= 12 and (row["s"].value not in out or len(alt) < len(out[row["s"].value])):
            out[row["s"].value] = alt
    return out
