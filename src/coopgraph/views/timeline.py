"""The timeline: every dated fact about the cooperation, in order, and the periods it spans.

Dates are found by their datatype (xsd:date, xsd:dateTime, xsd:gYear, xsd:gYearMonth)
on any property of a resource of ours, not by a fixed list of properties, so a new
kind of event or a contributed meeting appears without a code change. A resource with
a start and an end becomes a period (a bar); anything else is a point in time. The
resources that serve as sources are left out: their dates say when a page was read,
not when something happened in the cooperation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pyoxigraph as ox

from ..describe.resource import SOURCE_PREDICATES, LabelMap, fetch_labels, local_name, pick_label, values_block
from ..namespaces import ONTOLOGY, RDF_TYPE, XSD
from ..participation import PROGRAMME_CLASSES, instances_of, resource_links

DATE_TYPES = (XSD + "date", XSD + "dateTime", XSD + "gYear", XSD + "gYearMonth")
#: Property names (local part, lower case) that open or close a period.
START_WORDS = ("start", "begin", "from", "since", "opened", "launch")
END_WORDS = ("end", "until", "finish", "closed", "to")
FIRST_YEAR = 2012
PAIRING_CLASSES = (ONTOLOGY + "Pairing", ONTOLOGY + "Partnership", ONTOLOGY + "Twinning")
#: What a reader filters by, tried in order on an item's types (inferred ones included).
CATEGORY_CLASSES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("claim", (ONTOLOGY + "Claim",)),
    ("programme", (ONTOLOGY + "Programme",)),
    ("pairing", PAIRING_CLASSES),
    ("step", (ONTOLOGY + "ProcedureStep",)),
    ("dialogue", (ONTOLOGY + "PolicyDialogue",)),
    ("agreement", (ONTOLOGY + "Agreement", ONTOLOGY + "Provision")),
    ("meeting", (ONTOLOGY + "Event", ONTOLOGY + "Meeting", ONTOLOGY + "Summit", ONTOLOGY + "StudyVisit")),
    ("document", (ONTOLOGY + "Document", ONTOLOGY + "Study")),
)
CATEGORIES = tuple(c for c, _ in CATEGORY_CLASSES) + ("other",)
#: The group of items in no programme: the dialogues, agreements and steps between the parties.
DIALOGUES = "dialogues"
CLAIM_ABOUT = ONTOLOGY + "isClaimAbout"

_DATE = re.compile(r"^(-?\d{4})(?:-(\d{2}))?(?:-(\d{2}))?")


@dataclass(frozen=True, order=True)
class When:
    """A date as precise as the data gives it (a year, a month or a day)."""

    year: int
    month: int = 0
    day: int = 0

    @classmethod
    def parse(cls, text: str) -> When | None:
        match = _DATE.match(text.strip())
        if not match:
            return None
        return cls(int(match.group(1)), int(match.group(2) or 0), int(match.group(3) or 0))

    def iso(self) -> str:
        return (
            f"{self.year:04d}" + (f"-{self.month:02d}" if self.month else "") + (f"-{self.day:02d}" if self.day else "")
        )

    def fraction(self) -> float:
        """The year as a decimal, for drawing (a year alone sits at its start)."""
        return self.year + (max(self.month, 1) - 1) / 12 + (max(self.day, 1) - 1) / 365


@dataclass
class Moment:
    iri: str
    predicate: str
    when: When
    role: str  # start | end | date


@dataclass
class Item:
    """A resource on the timeline, with its dates."""

    iri: str
    labels: list
    types: list[str]
    moments: list[Moment] = field(default_factory=list)
    asserted: list[str] = field(default_factory=list)  # the types the data states (most specific)
    category: str = "other"  # one of CATEGORIES
    group: str = DIALOGUES  # a programme's IRI, or DIALOGUES

    def label(self, lang: str) -> tuple[str | None, str | None]:
        return pick_label(self.labels, lang, self.iri)

    @property
    def start(self) -> When | None:
        starts = [m.when for m in self.moments if m.role == "start"]
        return min(starts) if starts else None

    @property
    def end(self) -> When | None:
        ends = [m.when for m in self.moments if m.role == "end"]
        return max(ends) if ends else None

    @property
    def is_period(self) -> bool:
        return self.start is not None and self.end is not None and self.end >= self.start

    @property
    def first(self) -> When:
        return min(m.when for m in self.moments)


@dataclass
class Timeline:
    items: list[Item]
    labels: LabelMap  # labels of the types and properties
    first_year: int
    last_year: int

    def entries(self) -> list[tuple[When, Item, Moment]]:
        """Every dated fact in order (a period contributes its start and its end)."""
        out = [(m.when, item, m) for item in self.items for m in item.moments if m.when.year >= self.first_year]
        out.sort(key=lambda e: (e[0], e[1].iri, e[2].predicate))
        return out

    def periods(self) -> list[Item]:
        return sorted((i for i in self.items if i.is_period), key=lambda i: (i.start, i.end, i.iri))

    def types(self) -> list[str]:
        """The stated types of the items (inferred superclasses would only crowd a filter)."""
        return sorted({t for i in self.items for t in (i.asserted or i.types)})

    programmes: list[Item] = field(default_factory=list)  # the groups, in order of their start

    def filtered(self, types: set[str], categories: set[str] = frozenset()) -> Timeline:
        """Only the items of these types and categories (either empty: no restriction)."""
        if not types and not categories:
            return self
        kept = [
            i
            for i in self.items
            if (not types or types & set(i.types)) and (not categories or i.category in categories)
        ]
        return Timeline(kept, self.labels, self.first_year, self.last_year, self.programmes)

    def categories(self) -> list[str]:
        present = {i.category for i in self.items}
        return [c for c in CATEGORIES if c in present]

    def groups(self) -> list[tuple[str, Item | None, list[Item]]]:
        """(group id, its programme or None, its items in order) for every group with items."""
        out = []
        for key, programme in [(p.iri, p) for p in self.programmes] + [(DIALOGUES, None)]:
            items = [i for i in self.items if i.group == key]
            if items:
                out.append((key, programme, items))
        return out

    def to_dict(self, lang: str = "en", page_url=lambda iri: iri) -> dict:
        return {
            "from": self.first_year,
            "to": self.last_year,
            "events": [
                {
                    "date": when.iso(),
                    "iri": item.iri,
                    "page": page_url(item.iri),
                    "label": item.label(lang)[0],
                    "otherLabel": item.label(lang)[1],
                    "property": moment.predicate,
                    "propertyLabel": self.labels.label(moment.predicate, lang) or local_name(moment.predicate),
                    "role": moment.role,
                    "types": item.types,
                }
                for when, item, moment in self.entries()
            ],
            "periods": [
                {
                    "iri": item.iri,
                    "label": item.label(lang)[0],
                    "start": item.start.iso(),
                    "end": item.end.iso(),
                    "types": item.types,
                }
                for item in self.periods()
            ],
            "groups": [
                {"id": key, "label": programme.label(lang)[0] if programme else None}
                for key, programme, _ in self.groups()
            ],
            "items": [
                {
                    "id": item.iri,
                    "label": item.label(lang)[0],
                    "page": page_url(item.iri),
                    "group": item.group,
                    "category": item.category,
                    "claim": item.category == "claim",
                    "start": (item.start if item.is_period else item.first).iso(),
                    "end": item.end.iso() if item.is_period else None,
                }
                for item in self.items
            ],
        }


def role_of(predicate: str) -> str:
    """Tell from a property's name whether it opens or closes a period."""
    words = re.findall(r"[a-z]+", re.sub(r"([A-Z])", r" \1", local_name(predicate)).lower())
    if any(w in START_WORDS for w in words):
        return "start"
    if any(w in END_WORDS for w in words):
        return "end"
    return "date"


def timeline(store, first_year: int = FIRST_YEAR) -> Timeline:
    """Gather the dated facts of our resources from ``first_year`` on."""
    prefix = str(ox.Literal(store.iris.id_base))
    excluded = ", ".join(str(ox.NamedNode(p)) for p in SOURCE_PREDICATES)
    rows = store.select(f"""
        SELECT ?s ?p ?d WHERE {{
          {values_block("dt", DATE_TYPES)}
          ?s ?p ?d . FILTER(isIRI(?s) && STRSTARTS(STR(?s), {prefix}) && isLiteral(?d) && DATATYPE(?d) = ?dt)
          FILTER NOT EXISTS {{ ?x ?sp ?s FILTER(?sp IN ({excluded})) }}
        }}""")
    items: dict[str, Item] = {}
    for row in rows:
        when = When.parse(row["d"].value)
        if when is None:
            continue
        item = items.setdefault(row["s"].value, Item(row["s"].value, [], []))
        moment = Moment(row["s"].value, row["p"].value, when, role_of(row["p"].value))
        if moment not in item.moments:
            item.moments.append(moment)
    # a period that started before the first year still shows if it ran on into it
    kept = {}
    for iri, item in items.items():
        latest = max(m.when.year for m in item.moments)
        if latest >= first_year:
            item.moments = [m for m in item.moments if m.when.year >= first_year or m.role == "start"]
            kept[iri] = item
    if kept:
        for row in store.select(
            f"SELECT ?s ?c WHERE {{ {values_block('s', sorted(kept))} ?s a ?c FILTER(isIRI(?c)) }}"
        ):
            kept[row["s"].value].types.append(row["c"].value)
        asserted = _asserted_types(store, sorted(kept))
        for iri, item in kept.items():
            # the most specific (asserted) types first; inferred superclasses after
            item.types = sorted(set(item.types), key=lambda t: (t not in asserted.get(iri, ()), t))
            item.asserted = sorted(asserted.get(iri, ()))
    group_iris = _place_in_groups(store, kept)
    labels = fetch_labels(
        store,
        set(kept)
        | set(group_iris)
        | {t for i in kept.values() for t in i.types}
        | {m.predicate for i in kept.values() for m in i.moments},
    )
    for iri, item in kept.items():
        item.labels = labels.literals.get(iri, [])
    # a programme without dates of its own still heads the group of its dated pairings
    groups = [kept.get(iri) or Item(iri, labels.literals.get(iri, []), []) for iri in group_iris]
    groups.sort(key=lambda p: (p.start or (p.first if p.moments else When(9999)), p.iri))
    years = [m.when.year for i in kept.values() for m in i.moments]
    return Timeline(
        sorted(kept.values(), key=lambda i: (i.first, i.iri)), labels, first_year, max(years + [first_year]), groups
    )


def _place_in_groups(store, items: dict[str, Item]) -> list[str]:
    """Give each item its category and group; return the programmes that head a group.

    An item belongs to a programme it links to (or that links to it), or to the programme of
    a pairing it links to; a claim belongs where the resource it is about belongs. The rest
    (agreements, dialogues, summits, steps) share one group.
    """
    for item in items.values():
        types = set(item.types)
        item.category = next((c for c, classes in CATEGORY_CLASSES if types & set(classes)), "other")
    programmes = instances_of(store, PROGRAMME_CLASSES)
    pairings = instances_of(store, PAIRING_CLASSES)
    near: dict[str, set[str]] = {}
    for s, o in resource_links(store):
        near.setdefault(s, set()).add(o)
        near.setdefault(o, set()).add(s)

    def programme_of(iri: str, depth: int = 0) -> str | None:
        if iri in programmes:
            return iri
        direct = sorted(near.get(iri, set()) & programmes)
        if direct:
            return direct[0]
        if depth < 1:
            for other in sorted(near.get(iri, ())):
                if other in pairings:
                    found = programme_of(other, depth + 1)
                    if found:
                        return found
        return None

    about = {}
    claims = [i for i in items.values() if i.category == "claim"]
    if claims:
        for row in store.select(
            f"SELECT ?c ?r WHERE {{ {values_block('c', sorted(i.iri for i in claims))} ?c <{CLAIM_ABOUT}> ?r }}"
        ):
            about[row["c"].value] = row["r"].value
    for item in items.values():
        subject = about.get(item.iri, item.iri)
        if item.category == "claim" and subject == item.iri:
            continue
        found = programme_of(subject)
        if found and not (item.category in ("dialogue", "agreement", "step") and subject not in programmes):
            item.group = found
    return sorted({i.group for i in items.values()} - {DIALOGUES})


def _asserted_types(store, iris: list[str]) -> dict[str, set[str]]:
    inferred = store.iris.inferred_graph
    graphs = [g for g in store.view("asserted") if g != inferred]
    out: dict[str, set[str]] = {}
    for row in store.select(f"SELECT ?s ?c WHERE {{ {values_block('s', iris)} ?s a ?c }}", default_graphs=graphs):
        out.setdefault(row["s"].value, set()).add(row["c"].value)
    return out


__all__ = ["timeline", "Timeline", "Item", "Moment", "When", "role_of", "RDF_TYPE"]
