"""What the graph says about one resource: for people (a page) and for machines (triples).

A page needs more than the resource's own triples: the labels of everything it links
to, the named graph each fact comes from (a data topic file, a contribution, or the
reasoner), who links to it, the sources behind its facts and its identifiers elsewhere.
Gathering that here, with a handful of bounded queries, keeps the web layer a thin
template over plain data and lets the same description serve the CLI or tests.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from types import MappingProxyType

import pyoxigraph as ox

from ..errors import NotFound
from ..knowledge.explanation import Derivation, explain
from ..namespaces import DCAT, DCT, FOAF, ONTOLOGY, OWL, PROV, RDF, RDF_TYPE, RDFS, SCHEMA, SKOS, Iris
from .vocabulary import vocabulary_labels

#: Predicates whose literal values name a resource, most preferred first.
LABEL_PREDICATES = (SKOS + "prefLabel", RDFS + "label", DCT + "title", FOAF + "name", SCHEMA + "name")
ALT_LABEL_PREDICATES = (SKOS + "altLabel", SKOS + "hiddenLabel")
#: Predicates whose values say what a resource is, in prose, most preferred first: the page's
#: lead text. Notes (skos:note) are remarks about the facts (a funder id registered under a
#: former name...), never the lead; they stay in the facts.
DESCRIPTION_PREDICATES = (SKOS + "definition", DCT + "description", SCHEMA + "description", RDFS + "comment")
#: Predicates whose value names the same thing in another dataset: only their objects are
#: "identifiers elsewhere" (a language of the EU Publications Office as a document's
#: dct:language is a value, not an identifier of the document).
IDENTITY_PREDICATES = (
    OWL + "sameAs",
    SCHEMA + "sameAs",
    SKOS + "exactMatch",
    SKOS + "closeMatch",
    DCT + "identifier",
    ONTOLOGY + "wikidata",
    ONTOLOGY + "geonames",
    ONTOLOGY + "eurovoc",
    ONTOLOGY + "eurovocCloseMatch",
    ONTOLOGY + "eli",
)
#: Datatypes of literals that say when something happened (for the summary box).
DATE_TYPES = tuple(
    "http://www.w3.org/2001/XMLSchema#" + name for name in ("date", "dateTime", "gYear", "gYearMonth", "dateTimeStamp")
)
#: Classes whose instances answer "with whom" and "where" in the summary box.
AGENT_CLASSES = (PROV + "Agent", FOAF + "Agent", ONTOLOGY + "Party")
PLACE_CLASSES = (ONTOLOGY + "Place", DCT + "Location", SCHEMA + "Place")
SUMMARY_LIMIT = 8
#: Predicates linking a resource (or a statement about it) to where its facts come from.
SOURCE_PREDICATES = (DCT + "source", PROV + "wasDerivedFrom", PROV + "hadPrimarySource")
#: Predicates whose value is the web address of a source document.
URL_PREDICATES = (
    FOAF + "page",
    SCHEMA + "url",
    DCAT + "landingPage",
    DCAT + "accessURL",
    DCAT + "downloadURL",
    FOAF + "homepage",
    DCT + "identifier",
    RDFS + "seeAlso",
    PROV + "atLocation",
    ONTOLOGY + "url",
)
#: How strongly the sources support a resource's Wikidata item (one of the confidence levels).
WIKIDATA_CONFIDENCE = ONTOLOGY + "wikidataConfidence"
#: On a statement record: the source's own words for the statement (the record then has one source).
QUOTATION = ONTOLOGY + "quotation"
#: Reification vocabulary: a statement node names the fact a source supports.
REIFICATION = (RDF + "subject", RDF + "predicate", RDF + "object")

INBOUND_LIMIT = 2000
LABEL_BATCH = 200

LANGUAGES = ("en", "ja")

#: Names for terms in a language the graph gives them no label in: iri -> {language: name}. The web
#: app sets these from its message catalogue for each request, so a Japanese page names properties
#: and themes in Japanese even where the ontology labels them in English only; the graph's own
#: labels always win. Elsewhere (exports, the command line) there are none.
SUPPLIED_NAMES: ContextVar[Mapping[str, Mapping[str, str]]] = ContextVar("supplied_names", default=MappingProxyType({}))


# --- labels --------------------------------------------------------------------------------


def other_language(lang: str) -> str:
    """The language shown alongside the main one (Japanese beside English, and back)."""
    return "ja" if lang != "ja" else "en"


def pick_label(
    literals: Iterable[ox.Literal], lang: str = "en", iri: str | None = None
) -> tuple[str | None, str | None]:
    """Return (label in ``lang``, label in the other language), falling back sensibly.

    Without a label in ``lang``, a name supplied for ``iri`` (see :data:`SUPPLIED_NAMES`)
    comes first; then the main label falls back to the other language, then an untagged
    literal, then anything; the second label is only given when it exists and differs from
    the first.
    """
    by_lang: dict[str, str] = {}
    for literal in literals:
        key = (literal.language or "").lower().split("-")[0]
        by_lang.setdefault(key, literal.value)
    other = other_language(lang)
    if iri is not None and lang not in by_lang:
        supplied = SUPPLIED_NAMES.get().get(iri, {}).get(lang)
        if supplied:
            second = by_lang.get(other)
            return supplied, (second if second and second != supplied else None)
    if not by_lang:
        return None, None
    main = (
        by_lang.get(lang)
        or by_lang.get(other if lang != "en" else "")
        or by_lang.get("")
        or by_lang.get(other)
        or next(iter(by_lang.values()))
    )
    second = by_lang.get(other)
    return main, (second if second and second != main else None)


@dataclass
class LabelMap:
    """Labels of many IRIs, fetched in batches, chosen per language on demand."""

    literals: dict[str, list[ox.Literal]] = field(default_factory=dict)

    def label(self, iri: str, lang: str = "en") -> str | None:
        return pick_label(self.literals.get(iri, ()), lang, iri)[0]

    def pair(self, iri: str, lang: str = "en") -> tuple[str | None, str | None]:
        return pick_label(self.literals.get(iri, ()), lang, iri)


def values_block(variable: str, iris: Iterable[str]) -> str:
    """A VALUES block of IRIs, written by pyoxigraph (IRIs are checked, never pasted raw)."""
    terms = " ".join(str(ox.NamedNode(i)) for i in iris)
    return f"VALUES ?{variable} {{ {terms} }}"


def any_of(predicates: Iterable[str], subject: str = "x", predicate: str = "p", obj: str = "l") -> str:
    """``?x ?p ?l`` for ?p among the predicates, as a UNION of fixed-predicate patterns.

    Joining a VALUES block of subjects with a VALUES block of predicates makes the engine
    scan every triple of those predicates (60 ms for 200 subjects at 100k triples); one
    pattern per predicate is looked up by subject instead (4 ms).
    """
    return " UNION ".join(
        f"{{ ?{subject} {ox.NamedNode(p)} ?{obj} BIND({ox.NamedNode(p)} AS ?{predicate}) }}" for p in predicates
    )


def fetch_labels(store, iris: Iterable[str]) -> LabelMap:
    """Fetch the label literals of the given IRIs (label predicates in preference order).

    A standard vocabulary term the graph gives no label (skos:note, prov:Agent) takes
    the label shipped with the package, so no page shows it as a prefixed name.
    """
    wanted = sorted({i for i in iris if i})
    labels = LabelMap()
    rank = {p: n for n, p in enumerate(LABEL_PREDICATES)}
    for start in range(0, len(wanted), LABEL_BATCH):
        batch = wanted[start : start + LABEL_BATCH]
        rows = store.select(
            f"SELECT ?x ?p ?l WHERE {{ {values_block('x', batch)} {any_of(LABEL_PREDICATES)} FILTER(isLiteral(?l)) }}"
        )
        rows.sort(key=lambda r: rank.get(r["p"].value, 99))
        for row in rows:
            labels.literals.setdefault(row["x"].value, []).append(row["l"])
    shipped = vocabulary_labels()
    for iri in wanted:
        if iri not in labels.literals and iri in shipped:
            labels.literals[iri] = list(shipped[iri])
    return labels


# --- named graphs ------------------------------------------------------------------------


@dataclass(frozen=True)
class GraphRef:
    """Where a fact comes from: a named graph and what kind of graph it is."""

    iri: str
    kind: str  # data | contribution | inferred | ontology | meta | provenance | other
    name: str  # the topic file stem, the contribution id, or the graph IRI

    def to_dict(self) -> dict:
        return {"graph": self.iri, "kind": self.kind, "name": self.name}


def graph_ref(iris: Iris, graph: str) -> GraphRef:
    """Classify a named graph so a reader can tell a topic file from a contribution or inference."""
    if graph == iris.inferred_graph:
        return GraphRef(graph, "inferred", "inferred")
    if graph == iris.ontology_graph:
        return GraphRef(graph, "ontology", "ontology")
    if graph == iris.meta_graph:
        return GraphRef(graph, "meta", "meta")
    if graph == iris.provenance_graph:
        return GraphRef(graph, "provenance", "provenance")
    if graph.startswith(iris.contribution_base):
        return GraphRef(graph, "contribution", graph[len(iris.contribution_base) :])
    data_prefix = iris.graph_base + "data/"
    if graph.startswith(data_prefix):
        return GraphRef(graph, "data", graph[len(data_prefix) :])
    return GraphRef(graph, "other", graph)


# --- external identifiers ----------------------------------------------------------------


@dataclass(frozen=True)
class ExternalId:
    scheme: str  # Wikidata | GeoNames | EuroVoc | ...
    id: str
    url: str
    #: How strongly the sources support the link (cg:wikidataConfidence), named for the reader; None if not given.
    confidence: str | None = None
    confidence_iri: str | None = None


_EXTERNAL_IRIS = (
    ("Wikidata", re.compile(r"^https?://(?:www\.)?wikidata\.org/(?:entity|wiki)/(Q\d+)$")),
    ("GeoNames", re.compile(r"^https?://(?:sws\.|www\.)?geonames\.org/(\d+)(?:/.*)?$")),
    ("EuroVoc", re.compile(r"^https?://eurovoc\.europa\.eu/([A-Za-z0-9_]+)$")),
    ("EU Publications Office", re.compile(r"^https?://publications\.europa\.eu/resource/authority/(.+)$")),
    ("ELI", re.compile(r"^https?://data\.europa\.eu/eli/(.+)$")),
)
_EXTERNAL_LITERALS = (
    ("Wikidata", re.compile(r"wikidata|qid", re.I), re.compile(r"^Q\d+$"), "https://www.wikidata.org/wiki/{}"),
    ("Crossref Funder", re.compile(r"crossrefFunder", re.I), re.compile(r"^\d+$"), "https://doi.org/10.13039/{}"),
    ("GeoNames", re.compile(r"geonames", re.I), re.compile(r"^\d+$"), "https://www.geonames.org/{}"),
    ("EuroVoc", re.compile(r"eurovoc", re.I), re.compile(r"^[A-Za-z0-9_]+$"), "http://eurovoc.europa.eu/{}"),
)


def external_id(predicate: str, term) -> ExternalId | None:
    """Recognise an identifier in another dataset, as an IRI or as a literal of an id property.

    An IRI counts only as the object of an identity predicate (owl:sameAs, cg:wikidata...):
    other links to such datasets (a document's language) are values, not identifiers.
    """
    if isinstance(term, ox.NamedNode):
        if predicate not in IDENTITY_PREDICATES:
            return None
        for scheme, pattern in _EXTERNAL_IRIS:
            match = pattern.match(term.value)
            if match:
                return ExternalId(scheme, match.group(1), term.value)
        return None
    if isinstance(term, ox.Literal):
        local = re.split(r"[#/]", predicate)[-1]
        for scheme, name, value, url in _EXTERNAL_LITERALS:
            if name.search(local) and value.match(term.value.strip()):
                return ExternalId(scheme, term.value.strip(), url.format(term.value.strip()))
    return None


# --- the description ---------------------------------------------------------------------


@dataclass
class Value:
    """One object (or, for inbound links, one subject) of a fact, with where it comes from."""

    term: object
    label: str | None = None
    other_label: str | None = None
    graphs: list[GraphRef] = field(default_factory=list)
    nested: list[PropertyGroup] = field(default_factory=list)  # the facts of a blank node
    sources: list[str] = field(default_factory=list)  # sources of this very fact
    quotations: dict[str, list[ox.Literal]] = field(default_factory=dict)  # source -> its words for this fact
    derivation: Derivation | None = None  # for an inferred fact: the rule and axiom behind it
    derivation_labels: dict[str, str | None] = field(default_factory=dict)  # the axiom's terms, named

    @property
    def inferred(self) -> bool:
        """True when only the reasoner says so (no data file or contribution asserts it)."""
        return bool(self.graphs) and all(g.kind == "inferred" for g in self.graphs)

    @property
    def is_iri(self) -> bool:
        return isinstance(self.term, ox.NamedNode)

    @property
    def is_literal(self) -> bool:
        return isinstance(self.term, ox.Literal)

    @property
    def language(self) -> str | None:
        return self.term.language if isinstance(self.term, ox.Literal) else None

    @property
    def datatype(self) -> str | None:
        if isinstance(self.term, ox.Literal) and not self.term.language:
            return self.term.datatype.value
        return None

    def to_dict(self) -> dict:
        out: dict = {"value": self.term.value if not isinstance(self.term, ox.Triple) else str(self.term)}
        if self.is_iri:
            out["type"] = "iri"
        elif self.is_literal:
            out["type"] = "literal"
            if self.language:
                out["language"] = self.language
            elif self.datatype:
                out["datatype"] = self.datatype
        else:
            out["type"] = "bnode"
        if self.label:
            out["label"] = self.label
        out["graphs"] = [g.to_dict() for g in self.graphs]
        out["inferred"] = self.inferred
        if self.derivation is not None:
            out["inferredBy"] = self.derivation.to_dict()
        if self.sources:
            out["sources"] = self.sources
        if self.quotations:
            out["quotations"] = {
                source: [{"value": q.value, **({"language": q.language} if q.language else {})} for q in words]
                for source, words in self.quotations.items()
            }
        if self.nested:
            out["facts"] = [group.to_dict() for group in self.nested]
        return out


@dataclass
class PropertyGroup:
    predicate: str
    label: str | None
    other_label: str | None
    values: list[Value]

    def to_dict(self) -> dict:
        return {"property": self.predicate, "label": self.label, "values": [v.to_dict() for v in self.values]}

    @property
    def display_values(self) -> list[Value]:
        """The values for a page: one per text (``"IURC"@en`` and ``"IURC"@ja`` shown once)."""
        shown: list[Value] = []
        texts: dict[str, Value] = {}
        for value in self.values:
            if value.is_literal and value.language:
                kept = texts.get(value.term.value)
                if kept is not None:
                    kept.graphs.extend(g for g in value.graphs if g not in kept.graphs)
                    continue
                texts[value.term.value] = value
            shown.append(value)
        return shown

    @property
    def stated(self) -> list[Value]:
        return [v for v in self.display_values if not v.inferred]

    @property
    def inferred(self) -> list[Value]:
        return [v for v in self.display_values if v.inferred]


@dataclass
class Summary:
    """The box at the top of a page: what it is, when, where, with whom, its identifiers."""

    what: list[Value] = field(default_factory=list)
    when: list[tuple[str, str | None, Value]] = field(default_factory=list)  # (property, its label, date)
    where: list[Value] = field(default_factory=list)
    with_whom: list[Value] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.what or self.when or self.where or self.with_whom)


@dataclass
class SourceRef:
    iri: str
    label: str | None
    url: str | None
    local: bool  # described in our graph (so it has a page of its own)


@dataclass
class Description:
    iri: str
    lang: str
    label: str | None
    other_label: str | None
    labels: list[ox.Literal]
    types: list[Value]
    descriptions: list[Value]
    properties: list[PropertyGroup]
    inbound: list[PropertyGroup]
    sources: list[SourceRef]
    external: list[ExternalId]
    graphs: list[GraphRef]
    inbound_truncated: bool = False
    summary: Summary = field(default_factory=Summary)

    @property
    def inferred_count(self) -> int:
        return sum(1 for g in self.properties for v in g.values if v.inferred)

    def to_dict(self) -> dict:
        return {
            "iri": self.iri,
            "label": self.label,
            "otherLabel": self.other_label,
            "types": [v.to_dict() for v in self.types],
            "properties": [g.to_dict() for g in self.properties],
            "inbound": [g.to_dict() for g in self.inbound],
            "sources": [{"iri": s.iri, "label": s.label, "url": s.url} for s in self.sources],
            "external": [_external_dict(e) for e in self.external],
            "graphs": [g.to_dict() for g in self.graphs],
        }


def _graph_rows(store, sparql: str, iri: str, *, max_rows: int | None = None):
    """Run a GRAPH query about one resource over every graph but the shapes."""
    result = store.query(sparql, bindings={"s": ox.NamedNode(iri)}, max_rows=max_rows)
    shapes = store.iris.shapes_graph
    rows = [r for r in result.dicts() if r.get("g") is None or r["g"].value != shapes]
    return rows, result.truncated


OUTBOUND = "SELECT ?p ?o ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
NESTED = "SELECT ?b ?p ?o ?g WHERE { GRAPH ?g { ?s ?p0 ?b . ?b ?p ?o } FILTER(isBlank(?b)) }"
INBOUND = "SELECT ?x ?p ?g WHERE { GRAPH ?g { ?x ?p ?s } FILTER(!isBlank(?x)) }"
INBOUND_NODES = "SELECT ?b ?p ?o ?g WHERE { GRAPH ?g { ?b ?p0 ?s . ?b ?p ?o } FILTER(isBlank(?b)) }"


def exists(store, iri: str) -> bool:
    """True when the IRI appears in the graph as a subject or an object."""
    values = values_block("s", [iri])
    return store.ask(f"ASK {{ {{ {values} ?s ?p ?o }} UNION {{ {values} ?x ?y ?s }} }}")


def _group(pairs: dict[tuple[str, object], Value], labels: LabelMap, lang: str) -> list[PropertyGroup]:
    groups: dict[str, list[Value]] = {}
    for (predicate, _), value in pairs.items():
        groups.setdefault(predicate, []).append(value)
    out = []
    for predicate, values in groups.items():
        main, second = labels.pair(predicate, lang)
        values.sort(
            key=lambda v: (
                v.inferred,
                (v.label or _term_text(v.term)).lower(),
                _term_text(v.term),
                v.language not in (lang, None),
            )
        )
        out.append(PropertyGroup(predicate, main, second, values))
    out.sort(key=lambda g: (g.predicate != RDF_TYPE, (g.label or local_name(g.predicate)).lower()))
    return out


def _term_text(term) -> str:
    return getattr(term, "value", str(term))


def local_name(iri: str) -> str:
    """The last segment of an IRI (after # or /), for display when there is no label."""
    return re.split(r"[#/]", iri.rstrip("/#"))[-1] or iri


def describe(store, iri: str, lang: str = "en") -> Description:
    """Describe a resource for a page; raise NotFound when the graph never mentions it."""
    iris: Iris = store.iris
    out_rows, _ = _graph_rows(store, OUTBOUND, iri)
    in_rows, truncated = _graph_rows(store, INBOUND, iri, max_rows=INBOUND_LIMIT)
    if not out_rows and not in_rows:
        raise NotFound(
            f"nothing is known about <{iri}>", hint="Check the address, or search for the resource by name at /search."
        )
    nested_rows = _graph_rows(store, NESTED, iri)[0] if any(isinstance(r["o"], ox.BlankNode) for r in out_rows) else []
    node_rows = _graph_rows(store, INBOUND_NODES, iri)[0]

    # facts, merged across graphs
    outbound: dict[tuple[str, object], Value] = {}
    for row in out_rows:
        key = (row["p"].value, row["o"])
        value = outbound.setdefault(key, Value(row["o"]))
        ref = graph_ref(iris, row["g"].value)
        if ref not in value.graphs:
            value.graphs.append(ref)
    inbound: dict[tuple[str, object], Value] = {}
    for row in in_rows:
        key = (row["p"].value, row["x"])
        value = inbound.setdefault(key, Value(row["x"]))
        ref = graph_ref(iris, row["g"].value)
        if ref not in value.graphs:
            value.graphs.append(ref)

    # blank nodes below the resource, and statement nodes pointing at it
    nested: dict[str, dict[tuple[str, object], Value]] = {}
    for row in nested_rows:
        facts = nested.setdefault(row["b"].value, {})
        value = facts.setdefault((row["p"].value, row["o"]), Value(row["o"]))
        ref = graph_ref(iris, row["g"].value)
        if ref not in value.graphs:
            value.graphs.append(ref)
    statements: dict[str, dict[str, list]] = {}
    for row in node_rows:
        statements.setdefault(row["b"].value, {}).setdefault(row["p"].value, []).append(row["o"])

    # why the reasoner added each inferred fact (the rule, and the ontology's axiom it used)
    subject = ox.NamedNode(iri)
    inferred_facts = {(subject, ox.NamedNode(p), term): v for (p, term), v in outbound.items() if v.inferred}
    inferred_facts.update({(term, ox.NamedNode(p), subject): v for (p, term), v in inbound.items() if v.inferred})
    derivations = (
        explain(store, inferred_facts, ontology_graph=iris.ontology_graph, hidden_graphs=[iris.shapes_graph])
        if inferred_facts
        else {}
    )
    for fact, derivation in derivations.items():
        inferred_facts[fact].derivation = derivation

    # which IRIs need labels
    wanted = {iri}
    for derivation in derivations.values():
        wanted.update(derivation.axiom.values())
    for predicate, term in list(outbound) + list(inbound):
        wanted.add(predicate)
        if isinstance(term, ox.NamedNode):
            wanted.add(term.value)
    for facts in nested.values():
        for predicate, term in facts:
            wanted.add(predicate)
            if isinstance(term, ox.NamedNode):
                wanted.add(term.value)
    source_iris: list[str] = []

    def add_source(term) -> None:
        if isinstance(term, ox.NamedNode) and term.value not in source_iris:
            source_iris.append(term.value)

    for predicate, term in outbound:
        if predicate in SOURCE_PREDICATES:
            add_source(term)
    for facts in nested.values():
        for predicate, term in facts:
            if predicate in SOURCE_PREDICATES:
                add_source(term)
    # reified statements: the sources of one fact of this resource
    fact_sources: dict[tuple[str, object], list[str]] = {}
    fact_quotations: dict[tuple[str, object], dict[str, list[ox.Literal]]] = {}
    for node in statements.values():
        about_this = any(t == ox.NamedNode(iri) for t in node.get(RDF + "subject", []))
        if about_this and node.get(RDF + "predicate") and node.get(RDF + "object"):
            srcs = [t for p in SOURCE_PREDICATES for t in node.get(p, []) if isinstance(t, ox.NamedNode)]
            for src in srcs:
                add_source(src)
            quoted = [t for t in node.get(QUOTATION, []) if isinstance(t, ox.Literal)]
            for predicate in node[RDF + "predicate"]:
                for obj in node[RDF + "object"]:
                    fact_sources.setdefault((predicate.value, obj), []).extend(s.value for s in srcs)
                    if quoted and len(srcs) == 1:
                        words = fact_quotations.setdefault((predicate.value, obj), {}).setdefault(srcs[0].value, [])
                        words.extend(q for q in quoted if q not in words)
    wanted.update(source_iris)
    labels = fetch_labels(store, wanted)
    for fact, derivation in derivations.items():
        inferred_facts[fact].derivation_labels = {t: labels.pair(t, lang)[0] for t in derivation.axiom.values()}

    def dress(value: Value) -> Value:
        if isinstance(value.term, ox.NamedNode):
            value.label, value.other_label = labels.pair(value.term.value, lang)
        return value

    for value in outbound.values():
        dress(value)
    for value in inbound.values():
        dress(value)
    for (predicate, term), srcs in fact_sources.items():
        if (predicate, term) in outbound:
            outbound[(predicate, term)].sources = sorted(set(srcs))
            outbound[(predicate, term)].quotations = fact_quotations.get((predicate, term), {})
    for key, value in outbound.items():
        if isinstance(value.term, ox.BlankNode) and value.term.value in nested:
            facts = nested[value.term.value]
            for fact in facts.values():
                dress(fact)
            value.nested = _group(facts, labels, lang)
            value.sources = sorted(
                {t.value for (p, t) in facts if p in SOURCE_PREDICATES and isinstance(t, ox.NamedNode)}
            )

    label_literals = [term for (p, term) in outbound if p in LABEL_PREDICATES and isinstance(term, ox.Literal)]
    main, second = labels.pair(iri, lang)
    types = [v for (p, _), v in outbound.items() if p == RDF_TYPE and v.is_iri]
    depth = class_depths(store, [v.term.value for v in types])
    types.sort(key=lambda v: (v.inferred, -depth.get(v.term.value, 0), (v.label or "").lower()))
    rank = {p: n for n, p in enumerate(DESCRIPTION_PREDICATES)}
    descriptions = [(p, v) for (p, _), v in outbound.items() if p in DESCRIPTION_PREDICATES and v.is_literal]
    descriptions.sort(key=lambda pv: (pv[1].inferred, pv[1].language not in (lang, None), rank[pv[0]]))
    descriptions = lead_texts([v for _, v in descriptions], lang)
    external = []
    seen = set()
    for predicate, term in outbound:
        ext = external_id(predicate, term)
        if ext and ext.url not in seen:
            seen.add(ext.url)
            external.append(ext)
    for facts in nested.values():
        for predicate, term in facts:
            ext = external_id(predicate, term)
            if ext and ext.url not in seen:
                seen.add(ext.url)
                external.append(ext)
    external = _with_wikidata_confidence(external, outbound, labels, lang)
    all_graphs = sorted({g for v in outbound.values() for g in v.graphs}, key=lambda g: (g.kind, g.name))
    properties = _group(outbound, labels, lang)
    for group in properties:
        if group.predicate == RDF_TYPE:
            group.values.sort(key=lambda v: (v.inferred, -depth.get(v.term.value, 0), (v.label or "").lower()))
    return Description(
        iri=iri,
        lang=lang,
        label=main,
        other_label=second,
        labels=label_literals,
        types=types,
        descriptions=descriptions,
        properties=properties,
        inbound=_group(inbound, labels, lang),
        sources=source_refs(store, source_iris, labels, lang),
        external=external,
        graphs=all_graphs,
        inbound_truncated=truncated,
        summary=summarise(store, types, outbound, labels, lang),
    )


def _with_wikidata_confidence(
    external: list[ExternalId], outbound: dict, labels: LabelMap, lang: str
) -> list[ExternalId]:
    """Name the confidence of the resource's Wikidata link next to it: some links rest on one source only
    (medium confidence), and a reader who follows one should know that."""
    levels = [
        term.value
        for (predicate, term) in outbound
        if predicate == WIKIDATA_CONFIDENCE and isinstance(term, ox.NamedNode)
    ]
    if not levels:
        return external
    level = levels[0]
    name = labels.pair(level, lang)[0] or local_name(level)
    return [replace(e, confidence=name, confidence_iri=level) if e.scheme == "Wikidata" else e for e in external]


def _external_dict(external: ExternalId) -> dict:
    out = {"scheme": external.scheme, "id": external.id, "url": external.url}
    if external.confidence_iri:
        out["confidence"] = external.confidence_iri
        out["confidenceLabel"] = external.confidence
    return out


def lead_texts(candidates: list[Value], lang: str) -> list[Value]:
    """The lead text: the first description in the reader's language and, if any, one in the other."""
    chosen: dict[str, Value] = {}
    for value in candidates:
        key = "main" if value.language in (lang, None) else "other"
        chosen.setdefault(key, value)
    return [chosen[k] for k in ("main", "other") if k in chosen]


def class_depths(store, classes: list[str]) -> dict[str, int]:
    """How many superclasses each class has: the more, the more specific it is."""
    if not classes:
        return {}
    rows = store.select(
        f"SELECT ?c (COUNT(DISTINCT ?super) AS ?n) WHERE {{ {values_block('c', classes)} "
        f"?c <{RDFS}subClassOf>+ ?super FILTER(?super != ?c) }} GROUP BY ?c"
    )
    return {row["c"].value: int(row["n"].value) for row in rows}


def summarise(
    store, types: list[Value], outbound: dict[tuple[str, object], Value], labels: LabelMap, lang: str
) -> Summary:
    """Pick the facts a reader wants first: what it is, when, where and with whom.

    Stated facts only (the reasoner's copies, such as has-participant beside
    has-EU-side-participant, would repeat them). A linked resource is "where" when the
    link's range is a place (a city's prefecture, a meeting's venue), else "with whom" when
    it is an agent (a city as a local authority included), else "where" when it is a place.
    """
    summary = Summary(what=[v for v in types if not v.inferred][:2])
    linked: dict[str, Value] = {}
    through: dict[str, set[str]] = {}
    for (predicate, term), value in outbound.items():
        if value.inferred or predicate in SOURCE_PREDICATES or predicate == RDF_TYPE:
            continue
        if value.is_literal and value.datatype in DATE_TYPES and len(summary.when) < SUMMARY_LIMIT:
            summary.when.append((predicate, labels.label(predicate, lang), value))
        elif value.is_iri:
            linked.setdefault(value.term.value, value)
            through.setdefault(value.term.value, set()).add(predicate)
    if linked:
        predicates = sorted({p for ps in through.values() for p in ps})
        to_places = {
            row["p"].value
            for row in store.select(
                f"SELECT DISTINCT ?p WHERE {{ {values_block('p', predicates)} {values_block('c', PLACE_CLASSES)} "
                f"?p <{RDFS}range>/<{RDFS}subClassOf>* ?c }}"
            )
        }
        rows = store.select(
            f"SELECT DISTINCT ?x ?c WHERE {{ {values_block('x', list(linked))} "
            f"{values_block('c', AGENT_CLASSES + PLACE_CLASSES)} ?x a ?c }}"
        )
        kinds: dict[str, set[str]] = {}
        for row in rows:
            kinds.setdefault(row["x"].value, set()).add(row["c"].value)
        for iri, value in sorted(linked.items(), key=lambda item: (item[1].label or item[0]).lower()):
            found = kinds.get(iri, set())
            if through[iri] & to_places:
                summary.where.append(value)
            elif found & set(AGENT_CLASSES):
                summary.with_whom.append(value)
            elif found & set(PLACE_CLASSES):
                summary.where.append(value)
        summary.with_whom = summary.with_whom[:SUMMARY_LIMIT]
        summary.where = summary.where[:SUMMARY_LIMIT]
    summary.when.sort(key=lambda item: item[2].term.value)
    return summary


def source_refs(store, source_iris: list[str], labels: LabelMap, lang: str) -> list[SourceRef]:
    """Give each source its title and the web address of the document behind it."""
    if not source_iris:
        return []
    rows = store.select(
        f"SELECT ?x ?p ?v WHERE {{ {values_block('x', source_iris)} {any_of(URL_PREDICATES, obj='v')} }}"
    )
    urls: dict[str, str] = {}
    rank = {p: n for n, p in enumerate(URL_PREDICATES)}
    rows.sort(key=lambda r: rank.get(r["p"].value, 99))
    for row in rows:
        text = row["v"].value
        if text.startswith(("http://", "https://")):
            urls.setdefault(row["x"].value, text)
    local = set(urls) | set(labels.literals)
    refs = []
    for iri in source_iris:
        url = urls.get(iri) or (iri if iri not in local else None)
        refs.append(SourceRef(iri, labels.label(iri, lang), url, iri in local))
    refs.sort(key=lambda s: _natural_key(s.label or s.iri))
    return refs


def _natural_key(text: str):
    """Sort S2 before S10."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", text)]


# --- for machines ------------------------------------------------------------------------

DESCRIBE_TRIPLES = """CONSTRUCT { ?s ?p ?o . ?o ?bp ?bo . ?x ?q ?s . ?b ?bq ?bv }
WHERE {
  { VALUES_S ?s ?p ?o OPTIONAL { ?o ?bp ?bo FILTER(isBlank(?o)) } }
  UNION { VALUES_S ?x ?q ?s FILTER(!isBlank(?x)) }
  UNION { VALUES_S ?b ?q0 ?s . ?b ?bq ?bv FILTER(isBlank(?b)) }
}"""


def describe_triples(store, iri: str) -> list[ox.Triple]:
    """The resource's triples for clients: what it says, what says it, and its blank nodes.

    Inferred triples are included (a client asking for the resource gets the whole
    picture); which graph each triple comes from is in the HTML page and the
    dataset dumps (TriG, N-Quads).
    """
    # Each branch gets its own VALUES so the engine starts every branch from the resource.
    result = store.query(DESCRIBE_TRIPLES.replace("VALUES_S", values_block("s", [iri])))
    if not result.triples:
        raise NotFound(
            f"nothing is known about <{iri}>", hint="Check the address, or search for the resource by name at /search."
        )
    return sorted(
        set(result.triples),
        key=lambda t: (str(t.subject) != f"<{iri}>", str(t.subject), str(t.predicate), str(t.object)),
    )


def compact(iri: str, prefixes: Mapping[str, str]) -> str:
    """A readable short form of an IRI (prefix:local) for IRIs without a label."""
    best = None
    for prefix, ns in prefixes.items():
        if iri.startswith(ns) and len(iri) > len(ns) and (best is None or len(ns) > len(prefixes[best])):
            best = prefix
    return f"{best}:{iri[len(prefixes[best]) :]}" if best else iri


__all__ = [
    "describe",
    "describe_triples",
    "exists",
    "fetch_labels",
    "pick_label",
    "graph_ref",
    "external_id",
    "Description",
    "Value",
    "PropertyGroup",
    "GraphRef",
    "LabelMap",
    "OWL",
]
