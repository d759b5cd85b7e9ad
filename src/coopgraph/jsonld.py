"""JSON-LD with coopgraph's own ``@context``: readable keys, and a streaming writer.

The context is derived from the ontology (a term per class and property, coercions from
the property kinds and ranges), so it never drifts from it. The writer compacts against
that context as it streams subjects, instead of running a general JSON-LD compaction
algorithm over the whole graph, which takes minutes at a million triples. Everything it
writes is plain JSON-LD 1.1 that any processor expands back to the same triples (a test
checks the round trip); the context is embedded, so nothing is ever fetched to read it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO

import pyoxigraph as ox

from .namespaces import DCT, ONTOLOGY, OWL, PREFIXES, RDF, RDFS, SKOS, XSD

RDF_TYPE = RDF + "type"
LANG_STRING = RDF + "langString"
XSD_STRING = XSD + "string"

#: Terms for widely used properties outside our ontology, with their coercion.
STANDARD_TERMS: dict[str, tuple[str, str | None]] = {
    "label": (RDFS + "label", "@language"),
    "comment": (RDFS + "comment", "@language"),
    "prefLabel": (SKOS + "prefLabel", "@language"),
    "altLabel": (SKOS + "altLabel", "@language"),
    "definition": (SKOS + "definition", "@language"),
    "broader": (SKOS + "broader", "@id"),
    "narrower": (SKOS + "narrower", "@id"),
    "inScheme": (SKOS + "inScheme", "@id"),
    "exactMatch": (SKOS + "exactMatch", "@id"),
    "closeMatch": (SKOS + "closeMatch", "@id"),
    "title": (DCT + "title", "@language"),
    "description": (DCT + "description", "@language"),
    "source": (DCT + "source", "@id"),
    "seeAlso": (RDFS + "seeAlso", "@id"),
    "sameAs": (OWL + "sameAs", "@id"),
    "subClassOf": (RDFS + "subClassOf", "@id"),
    "subPropertyOf": (RDFS + "subPropertyOf", "@id"),
    "domain": (RDFS + "domain", "@id"),
    "range": (RDFS + "range", "@id"),
    "inverseOf": (OWL + "inverseOf", "@id"),
}


@dataclass(frozen=True)
class TermDefinition:
    term: str
    iri: str
    coercion: str | None  # "@id", "@language" (a language map), a datatype IRI, or None


_KEY = 12  # characters of a namespace that index it


class Context:
    """A JSON-LD context and the inverse lookups the writer needs."""

    def __init__(self, prefixes: dict[str, str], terms: list[TermDefinition], classes: dict[str, str]):
        self.prefixes = dict(prefixes)
        self.terms = {t.iri: t for t in terms}
        self.classes = classes  # class IRI -> term
        # namespaces longest first, grouped by their first characters: compact() runs once per
        # IRI written, a million times for a large export, so it must not try every prefix
        self._by_start: dict[str, list[tuple[str, str]]] = {}
        self._short: list[tuple[str, str]] = []
        for prefix, ns in sorted(self.prefixes.items(), key=lambda kv: -len(kv[1])):
            if len(ns) >= _KEY:
                self._by_start.setdefault(ns[:_KEY], []).append((prefix, ns))
            else:
                self._short.append((prefix, ns))
        self._compacted: dict[str, str] = {}

    def to_json(self) -> dict:
        context: dict = {"@version": 1.1}
        context.update(self.prefixes)
        for iri, term in sorted(self.classes.items(), key=lambda kv: kv[1]):
            context[term] = self.compact(iri, use_terms=False)
        for definition in sorted(self.terms.values(), key=lambda t: t.term):
            entry: dict = {"@id": self.compact(definition.iri, use_terms=False)}
            if definition.coercion == "@language":
                entry["@container"] = "@language"
            elif definition.coercion is not None:
                entry["@type"] = (
                    definition.coercion
                    if definition.coercion == "@id"
                    else self.compact(definition.coercion, use_terms=False)
                )
            context[definition.term] = entry
        return context

    def document(self) -> dict:
        return {"@context": self.to_json()}

    def compact(self, iri: str, use_terms: bool = True) -> str:
        """Compact an IRI with the longest prefix (or a class term, for @type values)."""
        if use_terms and iri in self.classes:
            return self.classes[iri]
        known = self._compacted.get(iri)
        if known is not None:
            return known
        out = iri
        candidates = self._by_start.get(iri[:_KEY], [])
        if self._short:
            candidates = sorted([*candidates, *self._short], key=lambda pn: -len(pn[1]))
        for prefix, ns in candidates:  # longest namespace first: the first that fits wins
            if iri.startswith(ns):
                local = iri[len(ns) :]
                if local and not local.startswith("//") and ":" not in local.split("/")[0]:
                    out = f"{prefix}:{local}"
                    break
        if len(self._compacted) < 200_000:
            self._compacted[iri] = out
        return out


def _local_name(iri: str) -> str:
    return iri.rsplit("#", 1)[-1] if "#" in iri else iri.rstrip("/").rsplit("/", 1)[-1]


def build_context(ontology_triples: Iterable[ox.Triple], prefixes: dict[str, str]) -> Context:
    """Derive the context from the ontology: a term per class and per property it declares.

    Terms of our own namespace win a clash of local names; the loser keeps its compact IRI.
    """
    kinds: dict[str, set[str]] = {}
    ranges: dict[str, set[str]] = {}
    for t in ontology_triples:
        s = t.subject.value if isinstance(t.subject, ox.NamedNode) else None
        if s is None:
            continue
        if t.predicate.value == RDF_TYPE and isinstance(t.object, ox.NamedNode):
            kinds.setdefault(s, set()).add(t.object.value)
        elif t.predicate.value == RDFS + "range" and isinstance(t.object, ox.NamedNode):
            ranges.setdefault(s, set()).add(t.object.value)
    used = set(STANDARD_TERMS) | set(prefixes)
    terms = [TermDefinition(name, iri, coercion) for name, (iri, coercion) in STANDARD_TERMS.items()]
    classes: dict[str, str] = {}
    for iri in sorted(kinds, key=lambda i: (not i.startswith(ONTOLOGY), i)):
        local = _local_name(iri)
        if not local or local in used or not local.replace("_", "a").replace("-", "a").isalnum():
            continue
        types = kinds[iri]
        if OWL + "Class" in types or RDFS + "Class" in types:
            classes[iri] = local
            used.add(local)
        elif types & {OWL + "ObjectProperty", OWL + "DatatypeProperty", OWL + "AnnotationProperty", RDF + "Property"}:
            coercion = None
            rng = ranges.get(iri, set())
            if OWL + "ObjectProperty" in types:
                coercion = "@id"
            elif len(rng) == 1:
                only = next(iter(rng))
                if only == LANG_STRING:
                    coercion = "@language"
                elif only.startswith(XSD) and only != XSD_STRING:
                    coercion = only
            terms.append(TermDefinition(local, iri, coercion))
            used.add(local)
    return Context(prefixes, terms, classes)


def _value(term, definition: TermDefinition | None, context: Context):
    """Encode one object for a key; returns (value, fits) where fits says the term's coercion applies."""
    coercion = definition.coercion if definition else None
    if isinstance(term, ox.NamedNode):
        if coercion == "@id":
            return context.compact(term.value, use_terms=False), True
        if coercion is None:
            return {"@id": context.compact(term.value, use_terms=False)}, True
        return {"@id": context.compact(term.value, use_terms=False)}, False
    if isinstance(term, ox.BlankNode):
        if coercion == "@id":
            return f"_:{term.value}", True
        return {"@id": f"_:{term.value}"}, coercion is None
    # literal
    language = term.language
    datatype = term.datatype.value
    if coercion == "@language":
        return None, bool(language)  # handled by the language map
    if coercion is not None and coercion != "@id":
        if not language and datatype == coercion:
            return term.value, True
        return _literal_object(term, context), False
    if coercion == "@id":
        return _literal_object(term, context), False
    if not language and datatype == XSD_STRING:
        return term.value, True
    return _literal_object(term, context), True


def _literal_object(term: ox.Literal, context: Context) -> dict:
    if term.language:
        return {"@value": term.value, "@language": term.language}
    if term.datatype.value == XSD_STRING:
        return {"@value": term.value}
    return {"@value": term.value, "@type": context.compact(term.datatype.value, use_terms=False)}


def node_object(subject, pairs: list[tuple], context: Context) -> dict:
    """Compact one subject's (predicate, object) pairs into a JSON-LD node object."""
    node: dict = {
        "@id": f"_:{subject.value}"
        if isinstance(subject, ox.BlankNode)
        else context.compact(subject.value, use_terms=False)
    }
    types: list[str] = []
    grouped: dict[str, list] = {}
    language_maps: dict[str, dict] = {}
    for predicate, obj in pairs:
        iri = predicate.value
        if iri == RDF_TYPE and isinstance(obj, ox.NamedNode):
            types.append(context.compact(obj.value))
            continue
        definition = context.terms.get(iri)
        value, fits = _value(obj, definition, context)
        if definition is not None and definition.coercion == "@language" and fits:
            entry = language_maps.setdefault(definition.term, {})
            existing = entry.get(obj.language)
            entry[obj.language] = (
                obj.value
                if existing is None
                else (existing + [obj.value] if isinstance(existing, list) else [existing, obj.value])
            )
            continue
        if definition is not None and definition.coercion == "@language":
            value, fits = (
                _literal_object(obj, context)
                if isinstance(obj, ox.Literal)
                else (
                    {"@id": context.compact(obj.value, use_terms=False)}
                    if isinstance(obj, ox.NamedNode)
                    else {"@id": f"_:{obj.value}"}
                ),
                False,
            )
        key = definition.term if definition is not None and fits else context.compact(iri, use_terms=False)
        grouped.setdefault(key, []).append(value)
    if types:
        node["@type"] = types[0] if len(types) == 1 else sorted(types)
    for key, values in language_maps.items():
        node[key] = values
    for key, values in grouped.items():
        node[key] = values[0] if len(values) == 1 else values
    return node


def iter_node_objects(triples: Iterable, context: Context) -> Iterator[dict]:
    """Group consecutive triples by subject and yield node objects (input grouped by subject)."""
    current, pairs = None, []
    for t in triples:
        if current is None or t.subject != current:
            if current is not None:
                yield node_object(current, pairs, context)
            current, pairs = t.subject, []
        pairs.append((t.predicate, t.object))
    if current is not None:
        yield node_object(current, pairs, context)


def write_jsonld(triples: Iterable, context: Context, output: IO[bytes], *, named_graphs: dict | None = None) -> None:
    """Stream a compacted JSON-LD document with the context embedded.

    ``triples`` should be grouped by subject (a store's index order is); a subject seen
    twice simply gives two node objects, which JSON-LD merges on reading.
    """
    output.write(b'{"@context": ')
    output.write(json.dumps(context.to_json(), ensure_ascii=False).encode("utf-8"))
    output.write(b',\n"@graph": [')
    first = _write_nodes(output, iter_node_objects(triples, context), first=True)
    for graph_iri, graph_triples in (named_graphs or {}).items():
        output.write(b"\n" if first else b",\n")
        first = False
        output.write(json.dumps({"@id": context.compact(graph_iri, use_terms=False)})[:-1].encode("utf-8"))
        output.write(b', "@graph": [')
        _write_nodes(output, iter_node_objects(graph_triples, context), first=True)
        output.write(b"]}")
    output.write(b"\n]}\n")


def _write_nodes(output: IO[bytes], nodes: Iterable[dict], first: bool) -> bool:
    """Write node objects separated by commas; return whether nothing was written."""
    for node in nodes:
        output.write(b"\n" if first else b",\n")
        output.write(json.dumps(node, ensure_ascii=False).encode("utf-8"))
        first = False
    return first


_DEFAULT_CONTEXT: Context | None = None


def default_context() -> Context:
    """The context without ontology terms (prefixes and standard terms only)."""
    global _DEFAULT_CONTEXT
    if _DEFAULT_CONTEXT is None:
        _DEFAULT_CONTEXT = build_context([], dict(PREFIXES))
    return _DEFAULT_CONTEXT


def compact_triples(triples: Iterable[ox.Triple], context: Context | None = None) -> bytes:
    """Serialise a small set of triples (a query answer, a resource description) as JSON-LD."""
    import io

    ordered = sorted(triples, key=lambda t: (str(t.subject), str(t.predicate)))
    buffer = io.BytesIO()
    write_jsonld(ordered, context or default_context(), buffer)
    return buffer.getvalue()
