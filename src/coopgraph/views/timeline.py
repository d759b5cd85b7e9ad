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
from ..namespaces import RDF_TYPE, XSD

DATE_TYPES = (XSD + "date", XSD + "dateTime", XSD + "gYear", XSD + "gYearMonth")
#: Property names (local part, lower case) that open or close a period.
START_WORDS = ("start", "begin", "from", "since", "opened", "launch")
END_WORDS = ("end", "until", "finish", "closed", "to")
FIRST_YEAR = 2012

_DATE = re.compile(r"^(-?\d{4})(?:-(\d{2}))?(?:-(\d{2}))?")


@dataclass(frozen=True, order=True)
class When:
    """A date as precise as the data gives it (a year, a month or a day)."""

    year: int
    month: int = 0
    day: int = 0

    @classmethod
    def parse(cls, text: str) -> "When | None":
        match = _DATE.match(text.strip())
        if not match:
            return None
        return cls(int(match.group(1)), int(match.group(2) or 0), int(match.group(3) or 0))

    def iso(self) -> str:
        return f"{self.year:04d}" + (f"-{self.month:02d}" if self.month else "") + (f"-{self.day:02d}" if self.day else "")

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
    asserted: list[str] = field(default_factory=list)   # the types the data states (most specific)

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
    labels: LabelMap          # labels of the types and properties
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

    def filtered(self, types: set[str]) -> "Timeline":
        if not types:
            return self
        return Timeline([i for i in self.items if types & set(i.types)], self.labels, self.first_year,
                        self.last_year)

    def to_dict(self, lang: str = "en", page_url=lambda iri: iri) -> dict:
        return {
            "from": self.first_year, "to": self.last_year,
            "events": [{"date": when.iso(), "iri": item.iri, "page": page_url(item.iri),
                        "label": item.label(lang)[0], "otherLabel": item.label(lang)[1],
                        "property": moment.predicate,
                        "propertyLabel": self.labels.label(moment.predicate, lang) or local_name(moment.predicate),
                        "role": moment.role, "types": item.types}
                       for when, item, moment in self.entries()],
            "periods": [{"iri": item.iri, "label": item.label(lang)[0], "start": item.start.iso(),
                         "end": item.end.iso(), "types": item.types} for item in self.periods()],
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
          {values_block('dt', DATE_TYPES)}
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
        for row in store.select(f"SELECT ?s ?c WHERE {{ {values_block('s', sorted(kept))} ?s a ?c FILTER(isIRI(?c)) }}"):
            kept[row["s"].value].types.append(row["c"].value)
        asserted = _asserted_types(store, sorted(kept))
        for iri, item in kept.items():
            # the most specific (asserted) types first; inferred superclasses after
            item.types = sorted(set(item.types), key=lambda t: (t not in asserted.get(iri, ()), t))
            item.asserted = sorted(asserted.get(iri, ()))
    labels = fetch_labels(store, set(kept) | {t for i in kept.values() for t in i.types}
                          | {m.predicate for i in kept.values() for m in i.moments})
    for iri, item in kept.items():
        item.labels = labels.literals.get(iri, [])
    years = [m.when.year for i in kept.values() for m in i.moments]
    return Timeline(sorted(kept.values(), key=lambda i: (i.first, i.iri)), labels,
                    first_year, max(years + [first_year]))


def _asserted_types(store, iris: list[str]) -> dict[str, set[str]]:
    inferred = store.iris.inferred_graph
    graphs = [g for g in store.view("asserted") if g != inferred]
    out: dict[str, set[str]] = {}
    for row in store.select(f"SELECT ?s ?c WHERE {{ {values_block('s', iris)} ?s a ?c }}", default_graphs=graphs):
        out.setdefault(row["s"].value, set()).add(row["c"].value)
    return out


__all__ = ["timeline", "Timeline", "Item", "Moment", "When", "role_of", "RDF_TYPE"]


@dataclass
class Drawing:
    width: int
    height: int
    ticks: list[tuple[float, int]]                   # (x, year)
    bars: list[tuple[Item, float, float, float]]     # (item, x1, x2, y)
    dots: list[tuple[Item, Moment, float, float]]    # (item, moment, x, y)


def draw(tl: Timeline, width: int = 960, lane: int = 24, margin: int = 12) -> Drawing:
    """Lay the timeline out: a lane per period, then rows of dots for the dated events."""
    first, last = tl.first_year, tl.last_year + 1
    span = max(1, last - first)

    def x(when: When) -> float:
        return round(margin + (min(max(when.fraction(), first), last) - first) / span * (width - 2 * margin), 1)

    top = 28
    bars = []
    for index, item in enumerate(tl.periods()):
        bars.append((item, x(item.start), max(x(item.end), x(item.start) + 3), top + index * lane))
    dots_top = top + len(bars) * lane + (lane if bars else 0)
    dots, rows = [], []
    for when, item, moment in tl.entries():
        if item.is_period and moment.role in ("start", "end"):
            continue
        px = x(when)
        row = next((i for i, right in enumerate(rows) if px - right >= 9), None)  # stack dots that touch
        if row is None:
            rows.append(px)
            row = len(rows) - 1
        rows[row] = px
        dots.append((item, moment, px, dots_top + row * 12))
    height = dots_top + max(1, len(rows)) * 12 + margin
    ticks = [(x(When(year)), year) for year in range(first, last + 1)]
    return Drawing(width, height, ticks, bars, dots)
