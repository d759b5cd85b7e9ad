"""Who takes part in what: the rule that gives a resource its programmes and themes.

A resource takes part in a programme or a theme when it is one, links to it or from it,
or when a third resource (a pairing, a meeting) links to both: Koriyama takes part in
IUC through its pairing with Essen. Search facets, resource pages, the network, the
timeline and the map all follow this one rule, over the whole graph
(:func:`taking_part`) or for one resource (:func:`taking_part_of`).
"""

from __future__ import annotations

from collections.abc import Iterable

import pyoxigraph as ox

from .describe.resource import SOURCE_PREDICATES, values_block
from .namespaces import DCT, GEO, ONTOLOGY, RDF_TYPE, SCHEMA, SKOS

#: Classes whose instances are programmes and themes (subclasses follow through inference).
PROGRAMME_CLASSES = (ONTOLOGY + "Programme",)
THEME_CLASSES = (ONTOLOGY + "Theme", SKOS + "Concept")
#: Places: never the shared node through which something takes part (a city links to its
#: prefecture, which does not make the prefecture part of the city's programmes).
PLACES = (ONTOLOGY + "Place", GEO + "SpatialThing", DCT + "Location", SCHEMA + "Place")
#: Links that say where a fact comes from, not what a resource takes part in.
NOT_PARTICIPATION = SOURCE_PREDICATES + (RDF_TYPE,)
#: Links from one activity, body or programme to the one before or after it. They are real
#: links (the network draws them), but no participation passes along them: the IUC
#: pairing Koriyama-Essen is continued by an IURC pairing without taking part in IURC or
#: in its successor's themes.
SUCCESSION = tuple(
    ONTOLOGY + name
    for name in (
        "continues",
        "isContinuedBy",
        "extends",
        "isExtendedBy",
        "follows",
        "isFollowedBy",
        "hasPredecessor",
        "hasSuccessor",
    )
)


#: A resource linking more resources than this, programmes and themes aside (a whole
#: agreement, a country, a DG), is a hub: sharing it says nothing about taking part.
MAX_SHARED_DEGREE = 12


def resource_links(store, leave_out: Iterable[str] = ()) -> list[tuple[str, str]]:
    """Every link (subject, object) between two resources of ours, leaving out sources, types
    and the links through the predicates in ``leave_out`` (``SUCCESSION`` for participation)."""
    prefix = str(ox.Literal(store.iris.id_base))
    excluded = ", ".join(str(ox.NamedNode(p)) for p in NOT_PARTICIPATION + tuple(leave_out))
    rows = store.select(f"""
        SELECT DISTINCT ?s ?o WHERE {{
          ?s ?p ?o FILTER(isIRI(?s) && isIRI(?o) && ?s != ?o && STRSTARTS(STR(?s), {prefix})
                          && STRSTARTS(STR(?o), {prefix}) && ?p NOT IN ({excluded}))
        }}""")
    return [(row["s"].value, row["o"].value) for row in rows]


def taking_part_of(store, iri: str) -> dict[str, set[str]]:
    """What one resource takes part in ("programmes", "themes"): its search entry's, from its neighbourhood.

    The same rule as :func:`taking_part` over the whole graph, asked for one resource: the
    targets it links to or from, and those its sharers (resources linking to it) link to,
    unless a sharer is a hub. A resource page needs only this; deriving the whole index
    for it took 31 s at 1M triples. The type checks stay in the queries, so a resource
    thousands of others link to (a country: 22,594 at 1M) costs what its targets cost, not
    what its neighbours do.
    """
    found: dict[str, set[str]] = {"programmes": set(), "themes": set()}
    if not iri.startswith(store.iris.id_base):
        return found
    node = str(ox.NamedNode(iri))
    prefix = str(ox.Literal(store.iris.id_base))
    excluded = ", ".join(str(ox.NamedNode(p)) for p in NOT_PARTICIPATION + SUCCESSION)
    kinds = {**dict.fromkeys(PROGRAMME_CLASSES, "programmes"), **dict.fromkeys(THEME_CLASSES, "themes")}
    targets = ", ".join(str(ox.NamedNode(c)) for c in kinds)
    hub_classes = ", ".join(str(ox.NamedNode(c)) for c in (*kinds, *PLACES))

    def ours(variable: str, predicate: str) -> str:
        return f"isIRI(?{variable}) && STRSTARTS(STR(?{variable}), {prefix}) && ?{predicate} NOT IN ({excluded})"

    is_target = f"?t a ?c FILTER(?c IN ({targets}))"
    for row in store.select(f"SELECT DISTINCT ?t ?c WHERE {{ VALUES ?t {{ {node} }} {is_target} }}"):
        found[kinds[row["c"].value]].add(iri)
    for row in store.select(
        f"SELECT DISTINCT ?t ?c WHERE {{ {{ {node} ?p ?t }} UNION {{ ?t ?p {node} }} "
        f"FILTER({ours('t', 'p')} && ?t != {node}) {is_target} }}"
    ):
        found[kinds[row["c"].value]].add(row["t"].value)
    not_hub = f"FILTER NOT EXISTS {{ ?s a ?h FILTER(?h IN ({hub_classes})) }}"
    sharers = sorted(
        row["s"].value
        for row in store.select(
            f"SELECT DISTINCT ?s WHERE {{ ?s ?p {node} FILTER({ours('s', 'p')} && ?s != {node}) {not_hub} }}"
        )
    )
    for start in range(0, len(sharers), 500):
        chunk = values_block("s", sharers[start : start + 500])
        degrees = {
            row["s"].value: int(row["n"].value)
            for row in store.select(
                f"SELECT ?s (COUNT(DISTINCT ?o) AS ?n) WHERE {{ {chunk} ?s ?q ?o "
                f"FILTER({ours('o', 'q')} && ?o != ?s) "
                f"FILTER NOT EXISTS {{ ?o a ?h FILTER(?h IN ({hub_classes})) }} }} GROUP BY ?s"
            )
        }
        for row in store.select(
            f"SELECT DISTINCT ?s ?t ?c WHERE {{ {chunk} ?s ?q ?t FILTER({ours('t', 'q')} && ?t != ?s) {is_target} }}"
        ):
            if degrees.get(row["s"].value, 0) <= MAX_SHARED_DEGREE:
                found[kinds[row["c"].value]].add(row["t"].value)
    return found


def instances_of(store, class_iris: Iterable[str]) -> set[str]:
    """Our resources that are instances of any of the classes (subclasses through inference)."""
    prefix = str(ox.Literal(store.iris.id_base))
    rows = store.select(
        f"SELECT DISTINCT ?s WHERE {{ {values_block('c', list(class_iris))} ?s a ?c "
        f"FILTER(isIRI(?s) && STRSTARTS(STR(?s), {prefix})) }}"
    )
    return {row["s"].value for row in rows}


def taking_part(links: list[tuple[str, str]], targets: set[str], hubs: set[str]) -> list[tuple[str, str]]:
    """Pairs (resource, target) where the resource takes part in the target (a programme, a theme).

    It does when it is the target, links to it or from it, or when a third resource (a
    pairing, a meeting) links to both. ``links`` should leave out ``SUCCESSION`` links:
    a pairing linking to the pairing it continues does not put that one in its programme.
    Resources in ``hubs`` never serve as that third resource (a programme links to all its
    themes and all its cities, which would give
    every city every theme of the programme), nor do resources linking to too many things.
    """
    out: dict[str, set[str]] = {}
    into: dict[str, set[str]] = {}
    for s, o in links:
        out.setdefault(s, set()).add(o)
        into.setdefault(o, set()).add(s)
    pairs = set()
    for target in targets:
        pairs.add((target, target))
        for other in out.get(target, set()) | into.get(target, set()):
            pairs.add((other, target))
        for shared in into.get(target, ()):
            if shared in hubs or len(out.get(shared, set()) - hubs) > MAX_SHARED_DEGREE:
                continue
            for other in out[shared]:
                pairs.add((other, target))
    return sorted(pairs)
