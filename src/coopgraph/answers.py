"""Stored-query answers in the formats the API and the command line share.

One registry of answer formats (our JSON shape, SPARQL results JSON/XML, CSV, TSV, RDF
for CONSTRUCT/DESCRIBE) serves ``GET /api/queries/{name}/results`` and ``coopgraph
query --name``, so a value that the API accepts the CLI accepts too, and both write the
same bytes. The JSON shape is documented in the README and is stable:

``{"query", "title", "form", "parameters", "columns", "rows", "limit", "offset",
"hasMore", "next", "prev"}`` where each row maps every column to a cell
``{"type": "iri"|"literal"|"bnode"|"triple", "value", "label"?, "datatype"?,
"language"?}`` or ``null`` when unbound; IRIs carry their ``label`` (``null`` when the
graph has none). An ASK answer has ``"boolean"`` instead of columns and rows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pyoxigraph as ox

from . import formats
from .errors import ParameterError
from .namespaces import XSD
from .queries import StoredQuery, fetch_labels, term_text


@dataclass(frozen=True)
class AnswerFormat:
    name: str
    media_type: str
    extension: str
    #: The query forms whose answers this format can hold: select, ask, graph.
    forms: tuple[str, ...]
    title: str

    @property
    def content_type(self) -> str:
        text = self.media_type.startswith("text/") or self.media_type.endswith(("json", "xml"))
        return f"{self.media_type}; charset=utf-8" if text else self.media_type


ANSWER_FORMATS: dict[str, AnswerFormat] = {
    f.name: f
    for f in (
        AnswerFormat("json", "application/json", ".json", ("select", "ask"), "JSON (with labels)"),
        AnswerFormat("csv", "text/csv", ".csv", ("select",), "CSV"),
        AnswerFormat("tsv", "text/tab-separated-values", ".tsv", ("select",), "TSV"),
        AnswerFormat("sparql-json", "application/sparql-results+json", ".srj", ("select", "ask"), "SPARQL JSON"),
        AnswerFormat("sparql-xml", "application/sparql-results+xml", ".srx", ("select", "ask"), "SPARQL XML"),
        AnswerFormat("jsonld", "application/ld+json", ".jsonld", ("graph",), "JSON-LD"),
        AnswerFormat("turtle", "text/turtle", ".ttl", ("graph",), "Turtle"),
        AnswerFormat("ntriples", "application/n-triples", ".nt", ("graph",), "N-Triples"),
        AnswerFormat("rdfxml", "application/rdf+xml", ".rdf", ("graph",), "RDF/XML"),
    )
}

#: Other names people type for the same formats.
ANSWER_ALIASES = {
    "srj": "sparql-json",
    "srx": "sparql-xml",
    "xml": "sparql-xml",
    "ttl": "turtle",
    "json-ld": "jsonld",
    "nt": "ntriples",
    "rdf": "rdfxml",
}

FORMS = {"SELECT": "select", "ASK": "ask", "CONSTRUCT": "graph", "DESCRIBE": "graph"}


def answer_kind(query: StoredQuery) -> str:
    """The kind of answer a stored query gives: select, ask or graph."""
    return FORMS[query.form.upper()]


def formats_for(kind: str) -> list[AnswerFormat]:
    """The formats an answer of this kind can be written in, the default first."""
    return [f for f in ANSWER_FORMATS.values() if kind in f.forms]


def offered_media_types(kind: str) -> dict[str, str]:
    """Media type -> format name, for content negotiation (JSON clients of a graph get JSON-LD)."""
    offered = {f.media_type: f.name for f in formats_for(kind)}
    if kind == "graph":
        offered["application/json"] = "jsonld"
    return offered


def answer_format(name: str, kind: str) -> AnswerFormat:
    """Return the format a user named for an answer of this kind; 400 naming ``format`` if it does not fit."""
    key = ANSWER_ALIASES.get(name.strip().lower(), name.strip().lower())
    if kind == "graph" and key == "json":
        key = "jsonld"
    fitting = [f.name for f in formats_for(kind)]
    expected = "one of " + ", ".join(fitting)
    if key not in ANSWER_FORMATS:
        raise ParameterError("format", f"'{name[:40]}' is not a format of stored-query answers", expected=expected)
    if key not in fitting:
        raise ParameterError(
            "format",
            f"a {kind.upper() if kind != 'graph' else 'CONSTRUCT/DESCRIBE'} answer cannot be written as {key}",
            expected=expected,
        )
    return ANSWER_FORMATS[key]


# --- the JSON shape ---------------------------------------------------------------------


def cell(term, labels: dict[str, str]) -> dict | None:
    """One cell of the JSON shape: the term's type and value, an IRI's label, a literal's datatype or language."""
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return {"type": "iri", "value": term.value, "label": labels.get(term.value)}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out = {"type": "literal", "value": term.value}
        if term.language:
            out["language"] = term.language
        elif term.datatype.value != XSD + "string":
            out["datatype"] = term.datatype.value
        return out
    return {"type": "triple", "value": formats.term_to_json(term)["value"]}


def page_iris(result) -> list:
    """Every IRI a page shows, so their labels can be fetched at once."""
    if result.kind != "select":
        return []
    return [term for row in result.rows for term in row if isinstance(term, ox.NamedNode)]


def answer_json(
    query: StoredQuery,
    result,
    bindings: dict,
    *,
    labels: dict[str, str],
    limit: int | None,
    offset: int,
    has_more: bool,
    links: dict[str, str | None] | None = None,
) -> dict:
    """Build the documented JSON shape of a SELECT or ASK answer.

    ``links`` holds the ``next``/``prev`` URLs (None where there is no such page); the
    command line, which has no URLs, passes none and the keys are left out.
    """
    body = {
        "query": query.name,
        "title": query.title,
        "form": query.form.lower(),
        "parameters": {name: term_text(term) for name, term in bindings.items()},
    }
    if result.kind == "ask":
        body["boolean"] = bool(result.value)
        return body
    body["columns"] = list(result.variables)
    body["rows"] = [{var: cell(term, labels) for var, term in zip(result.variables, row)} for row in result.rows]
    body.update({"limit": limit, "offset": offset, "hasMore": has_more})
    if links is not None:
        body["next"] = links.get("next")
        body["prev"] = links.get("prev")
    return body


def render(
    query: StoredQuery,
    result,
    bindings: dict,
    fmt: AnswerFormat,
    *,
    store=None,
    languages: tuple[str, ...] = ("en",),
    limit: int | None = None,
    offset: int = 0,
    has_more: bool = False,
    links: dict[str, str | None] | None = None,
    prefixes: dict[str, str] | None = None,
    timeout: float | None = None,
) -> bytes:
    """Write an answer in a format; the JSON shape fetches the labels of the page's IRIs (one query)."""
    if fmt.name == "json":
        labels = fetch_labels(store, page_iris(result), languages, timeout=timeout) if store is not None else {}
        body = answer_json(
            query, result, bindings, labels=labels, limit=limit, offset=offset, has_more=has_more, links=links
        )
        return json.dumps(body, ensure_ascii=False).encode("utf-8")
    if result.kind == "graph":
        return formats.serialize_triples(result.triples, formats.RDF_FORMATS[fmt.name], prefixes)
    results_format = formats.RESULT_FORMATS[{"sparql-json": "json", "sparql-xml": "xml"}.get(fmt.name, fmt.name)]
    if result.kind == "ask":
        return formats.serialize_ask(result.value, results_format)
    return formats.serialize_select(result.variables, result.rows, results_format)
