"""Find resources by name, in English or Japanese, with facets by type, programme and theme.

People type "koriyama" for Kōriyama, "Umea" for Umeå, 郡山 for 郡山市, or a romaji long
vowel spelt out ("Kouriyama", "Ooita"). Every label and query is therefore folded the
same way (compatibility forms, accents, case, hiragana/katakana, punctuation) before a
substring match; a second, looser fold also merges long vowels. The graph holds no kana
readings of names (郡山市 is "Koriyama" and 郡山市, never こおりやま), so a query written in
kana alone is also read as romaji (こおりやま -> kooriyama -> koriyama) and matched against
the romaji names, which finds the place whose reading was typed. The index holds only
labels and facet links, read from the store in a few queries and rebuilt when the
store's version changes, so a new contribution is searchable at once and a search is a
scan over a few thousand short strings rather than a query.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

import jaconv
import pyoxigraph as ox

from .describe.resource import (
    ALT_LABEL_PREDICATES,
    LABEL_PREDICATES,
    SOURCE_PREDICATES,
    SUPPLIED_NAMES,
    LabelMap,
    fetch_labels,
    pick_label,
    values_block,
)
from .errors import UsageError
from .namespaces import DCT, GEO, ONTOLOGY, OWL, RDF_TYPE, RDFS, SCHEMA, SKOS

#: Classes whose instances are programmes and themes (subclasses follow through inference).
PROGRAMME_CLASSES = (ONTOLOGY + "Programme",)
THEME_CLASSES = (ONTOLOGY + "Theme", SKOS + "Concept")
#: Places: never the shared node through which something takes part (a city links to its
#: prefecture, which does not make the prefecture part of the city's programmes).
PLACES = (ONTOLOGY + "Place", GEO + "SpatialThing", DCT + "Location", SCHEMA + "Place")
#: Types too general to be a useful facet.
IGNORED_TYPES = (OWL + "Thing", RDFS + "Resource", OWL + "NamedIndividual")
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

MAX_LIMIT = 500

_SPECIAL = str.maketrans(
    {
        "ø": "o",
        "Ø": "o",
        "æ": "ae",
        "Æ": "ae",
        "œ": "oe",
        "Œ": "oe",
        "ł": "l",
        "Ł": "l",
        "đ": "d",
        "Đ": "d",
        "ð": "d",
        "þ": "th",
        "ı": "i",
    }
)
_PUNCT = re.compile(r"[\s\-‐‑‒–—―_/\\.,;:'’‘\"“”()\[\]{}・、。「」『』（）]+")
_LONG_VOWELS = re.compile(r"(?<=[aeiou])h(?![aeiou])|([aeiou])\1|ou")
#: A folded query in kana only (fold turns hiragana into katakana; ー is the long-vowel mark).
_KANA_ONLY = re.compile(r"[\u30a1-\u30fa\u30fc ]+")
#: A match through the romaji reading of a kana query ranks a little below a match as typed.
READING_FACTOR = 0.9


def fold(text: str) -> str:
    """Fold text for matching: compatibility forms, no Latin accents, lower case, katakana, plain spaces."""
    text = unicodedata.normalize("NFKD", text.translate(_SPECIAL))
    text = "".join(ch for ch in text if not 0x0300 <= ord(ch) <= 0x036F)
    text = unicodedata.normalize("NFC", text).casefold()
    # hiragana -> katakana, so either script finds the other
    text = "".join(chr(ord(ch) + 0x60) if 0x3041 <= ord(ch) <= 0x3096 else ch for ch in text)
    return _PUNCT.sub(" ", text).strip()


def fold_long_vowels(folded: str) -> str:
    """Merge romaji long-vowel spellings (ou, oo, oh, uu...) so Kouriyama finds Kōriyama."""
    return _LONG_VOWELS.sub(lambda m: m.group(1) or ("o" if m.group(0) == "ou" else ""), folded)


def kana_reading(folded: str) -> str | None:
    """The romaji reading of a folded query written in kana only (コオリヤマ -> kooriyama), else None."""
    if not _KANA_ONLY.fullmatch(folded):
        return None
    romaji = jaconv.kana2alphabet(jaconv.kata2hira(folded)).replace("-", "")
    return fold(romaji) if romaji.isascii() else None


@lru_cache(maxsize=4096)
def match_keys(text: str) -> tuple[str, str]:
    """(folded, long-vowel folded) forms of a name supplied from outside the graph, kept once folded."""
    folded = fold(text)
    return folded, fold_long_vowels(folded)


@dataclass
class Entry:
    iri: str
    labels: list[ox.Literal]
    alt_labels: list[ox.Literal]
    types: set[str] = field(default_factory=set)
    programmes: set[str] = field(default_factory=set)
    themes: set[str] = field(default_factory=set)
    keys: list[tuple[str, str]] = field(default_factory=list)  # (folded, long-vowel folded)

    def label(self, lang: str) -> tuple[str | None, str | None]:
        return pick_label(self.labels or self.alt_labels, lang, self.iri)


@dataclass
class Hit:
    entry: Entry
    score: float


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool


@dataclass
class SearchResult:
    query: str
    total: int
    hits: list[Hit]
    facets: dict[str, list[FacetValue]]
    offset: int
    limit: int


def _score(needle: str, needle_long: str, keys: list[tuple[str, str]]) -> float:
    best = 0.0
    for key, key_long in keys:
        for hay, pin, factor in ((key, needle, 1.0), (key_long, needle_long, 0.9)):
            if not pin:
                continue
            if hay == pin:
                score = 100
            elif hay.startswith(pin):
                score = 80
            elif f" {pin}" in f" {hay}":
                score = 60
            elif pin in hay:
                score = 40
            else:
                continue
            best = max(best, score * factor)
    return best


class SearchIndex:
    """Labels and facet links of every resource minted under our id base."""

    def __init__(self, entries: dict[str, Entry], labels: LabelMap, id_base: str):
        self.entries = entries
        self.labels = labels
        self.id_base = id_base

    @classmethod
    def build(cls, store) -> SearchIndex:
        id_base = store.iris.id_base
        prefix = str(ox.Literal(id_base))
        entries: dict[str, Entry] = {}
        label_preds = set(LABEL_PREDICATES)
        rows = store.select(
            f"SELECT ?s ?p ?l WHERE {{ {values_block('p', LABEL_PREDICATES + ALT_LABEL_PREDICATES)} ?s ?p ?l "
            f"FILTER(isIRI(?s) && STRSTARTS(STR(?s), {prefix}) && isLiteral(?l)) }}"
        )
        rank = {p: n for n, p in enumerate(LABEL_PREDICATES + ALT_LABEL_PREDICATES)}
        rows.sort(key=lambda r: rank.get(r["p"].value, 99))
        for row in rows:
            entry = entries.setdefault(row["s"].value, Entry(row["s"].value, [], []))
            (entry.labels if row["p"].value in label_preds else entry.alt_labels).append(row["l"])
        classes = {
            r["c"].value
            for r in store.select(
                "SELECT DISTINCT ?c WHERE { { ?c a <http://www.w3.org/2002/07/owl#Class> } "
                "UNION { ?c a <http://www.w3.org/2000/01/rdf-schema#Class> } FILTER(isIRI(?c)) }"
            )
        }
        for row in store.select(
            f"SELECT ?s ?c WHERE {{ ?s a ?c FILTER(isIRI(?s) && isIRI(?c) && STRSTARTS(STR(?s), {prefix})) }}"
        ):
            entry = entries.get(row["s"].value)
            cls_iri = row["c"].value
            if entry is not None and cls_iri not in IGNORED_TYPES and (cls_iri in classes or not classes):
                entry.types.add(cls_iri)
        links = resource_links(store, leave_out=SUCCESSION)
        programmes, themes = instances_of(store, PROGRAMME_CLASSES), instances_of(store, THEME_CLASSES)
        not_shared = programmes | themes | instances_of(store, PLACES)
        for attribute, targets in (("programmes", programmes), ("themes", themes)):
            for resource, target in taking_part(links, targets, not_shared):
                entry = entries.get(resource)
                if entry is not None:
                    getattr(entry, attribute).add(target)
        for entry in entries.values():
            texts = [lit.value for lit in entry.labels + entry.alt_labels]
            texts.append(entry.iri[len(id_base) :].replace("/", " "))
            entry.keys = [(f, fold_long_vowels(f)) for f in {fold(t) for t in texts} if f]
        wanted = {t for e in entries.values() for t in e.types | e.programmes | e.themes}
        return cls(entries, fetch_labels(store, wanted), id_base)

    def search(
        self,
        query: str = "",
        *,
        types: Iterable[str] = (),
        programmes: Iterable[str] = (),
        themes: Iterable[str] = (),
        lang: str = "en",
        limit: int = 50,
        offset: int = 0,
    ) -> SearchResult:
        """Match labels, filter by facets (all must hold), and count facet values over the matches."""
        if limit < 1 or limit > MAX_LIMIT or offset < 0:
            raise UsageError(
                f"limit must be between 1 and {MAX_LIMIT} and offset not negative",
                hint="Page through results with limit and offset.",
            )
        if len(query) > 200:
            raise UsageError("the search text is longer than 200 characters", hint="Search for a name.")
        needle = fold(query)
        needle_long = fold_long_vowels(needle)
        reading = kana_reading(needle) if needle else None
        reading_long = fold_long_vowels(reading) if reading else ""
        wanted = {"type": set(types), "programme": set(programmes), "theme": set(themes)}
        hits = []
        supplied = SUPPLIED_NAMES.get()  # names the interface gives terms (a theme in Japanese) are found too
        for entry in self.entries.values():
            if wanted["type"] and not wanted["type"] <= entry.types:
                continue
            if wanted["programme"] and not wanted["programme"] <= entry.programmes:
                continue
            if wanted["theme"] and not wanted["theme"] <= entry.themes:
                continue
            keys = entry.keys
            if needle and entry.iri in supplied:
                keys = keys + [match_keys(name) for name in supplied[entry.iri].values()]
            score = _score(needle, needle_long, keys) if needle else 1.0
            if reading and not score:
                score = READING_FACTOR * _score(reading, reading_long, keys)
            if score > 0:
                hits.append(Hit(entry, score))
        hits.sort(key=lambda h: (-h.score, fold(h.entry.label(lang)[0] or h.entry.iri), h.entry.iri))
        facets = {}
        for name, attribute in (("type", "types"), ("programme", "programmes"), ("theme", "themes")):
            counts: dict[str, int] = {}
            for hit in hits:
                for value in getattr(hit.entry, attribute):
                    counts[value] = counts.get(value, 0) + 1
            facets[name] = sorted(
                (
                    FacetValue(
                        v, self.labels.label(v, lang) or v.rsplit("/", 1)[-1].rsplit("#", 1)[-1], n, v in wanted[name]
                    )
                    for v, n in counts.items()
                ),
                key=lambda f: (-f.count, f.label.lower()),
            )
        return SearchResult(query, len(hits), hits[offset : offset + limit], facets, offset, limit)

    def label(self, iri: str, lang: str = "en") -> str | None:
        entry = self.entries.get(iri)
        if entry is not None:
            return entry.label(lang)[0]
        return self.labels.label(iri, lang)


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
