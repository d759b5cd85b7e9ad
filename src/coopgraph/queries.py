"""Stored queries: ``queries/*.rq`` with a ``#+`` YAML header, parameters bound as RDF terms.

Where the queries come from (files and their headers) is kept apart from how they run
(the store), as grlc does. Unlike grlc, a parameter value is never pasted into the
query text: it is checked against its declared type and bound to its variable as a
term, so a value holding quotes, ``>``, braces or ``} UNION {`` stays a value.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Mapping

import pyoxigraph as ox
import yaml

from . import sparql as sparql_text
from .errors import NotFound, ParameterError, QuerySyntaxError, StoredQueryError
from .namespaces import PREFIXES, XSD

log = logging.getLogger(__name__)

PARAMETER_TYPES = ("iri", "string", "langstring", "integer", "decimal", "date", "year", "boolean")
DEFAULT_DATATYPES = {
    "integer": XSD + "integer", "decimal": XSD + "decimal", "date": XSD + "date",
    "year": XSD + "gYear", "boolean": XSD + "boolean",
}
EXPECTED = {
    "iri": "an absolute IRI (https://...) or a prefixed name such as id:city/koriyama",
    "string": "a text", "langstring": "a text with a language tag, e.g. Kyoto@en",
    "integer": "a whole number, e.g. 2017", "decimal": "a decimal number, e.g. 35.02",
    "date": "a date as YYYY-MM-DD", "year": "a year as YYYY", "boolean": "true or false",
}
_IRI_FORBIDDEN = re.compile(r'[\s<>"{}|^`\\]')
_IRI_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")


@dataclass
class Parameter:
    name: str
    type: str = "string"
    description: str = ""
    required: bool = False
    default: str | None = None
    example: str | None = None
    cls: str | None = None            # for iri: the class the value must be an instance of
    enum: list[str] | None = None      # a fixed list of allowed values
    enum_query: str | None = None      # a SELECT ?value ?label query giving the allowed values
    datatype: str | None = None        # overrides the literal datatype of the type
    language: str | None = None        # default language for langstring

    @property
    def expected(self) -> str:
        text = EXPECTED[self.type]
        if self.cls:
            text += f" of class {self.cls}"
        return text

    def to_dict(self) -> dict:
        out = {"name": self.name, "type": self.type, "required": self.required, "description": self.description}
        for key in ("default", "example", "enum", "datatype", "language"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.cls:
            out["class"] = self.cls
        if self.enum_query:
            out["enumFromGraph"] = True
        return out


@dataclass
class StoredQuery:
    name: str
    path: Path
    title: str
    description: str
    text: str
    form: str
    description_ja: str = ""
    tags: list[str] = field(default_factory=list)
    parameters: list[Parameter] = field(default_factory=list)
    pagination: int | None = None

    def parameter(self, name: str) -> Parameter:
        for p in self.parameters:
            if p.name == name:
                return p
        raise ParameterError(name, "this query has no such parameter",
                             expected=", ".join(p.name for p in self.parameters) or "no parameters")

    def example_values(self) -> dict[str, str]:
        return {p.name: p.example for p in self.parameters if p.example is not None}

    def to_dict(self) -> dict:
        return {
            "name": self.name, "title": self.title, "description": self.description,
            **({"description_ja": self.description_ja} if self.description_ja else {}),
            "tags": self.tags, "form": self.form.lower(),
            "parameters": [p.to_dict() for p in self.parameters],
            **({"pagination": self.pagination} if self.pagination else {}),
            "sparql": self.text,
        }


def split_header(text: str) -> tuple[str, str]:
    """Split the ``#+`` header lines (as YAML text) from the rest of the file."""
    header, body, in_header = [], [], True
    for line in text.splitlines(keepends=True):
        stripped = line.lstrip()
        if in_header and stripped.startswith("#+"):
            content = stripped[2:]
            header.append(content[1:] if content.startswith(" ") else content)
            body.append("\n")  # keep line numbers of the SPARQL as in the file
        else:
            if stripped.strip():
                in_header = False
            body.append(line)
    return "".join(header), "".join(body)


def expand_prefixed(value: str, prefixes: Mapping[str, str]) -> str:
    """Expand ``prefix:local`` with known prefixes; leave absolute IRIs as they are."""
    if ":" in value and not value.startswith(("http://", "https://", "urn:")):
        prefix, local = value.split(":", 1)
        if prefix in prefixes and not local.startswith("//"):
            return prefixes[prefix] + local
    return value


def load_stored_query(path: Path, prefixes: Mapping[str, str] | None = None) -> StoredQuery:
    """Read one stored query, checking its header and its SPARQL; raise StoredQueryError."""
    prefixes = dict(PREFIXES if prefixes is None else prefixes)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise StoredQueryError(str(path), f"cannot be read: {exc}") from exc
    header_text, body = split_header(text)
    try:
        header = yaml.safe_load(header_text) if header_text.strip() else {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (header line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise StoredQueryError(str(path), f"the #+ header is not valid YAML{where}: {problem}") from exc
    if not isinstance(header, dict):
        raise StoredQueryError(str(path), "the #+ header must be a YAML mapping (key: value lines)")
    if not header.get("title"):
        raise StoredQueryError(str(path), "the #+ header has no title")
    form = sparql_text.query_form(body)
    if form is None:
        raise StoredQueryError(str(path), "the file holds no SELECT, CONSTRUCT, ASK or DESCRIBE query")
    _check_syntax(path, body)
    variables = sparql_text.variables(body)
    parameters = []
    raw_params = header.get("parameters") or {}
    if isinstance(raw_params, list):
        raw_params = {p.get("name"): p for p in raw_params if isinstance(p, dict)}
    if not isinstance(raw_params, dict):
        raise StoredQueryError(str(path), "parameters must be a mapping of name -> settings")
    for name, spec in raw_params.items():
        spec = spec or {}
        if not isinstance(spec, dict):
            raise StoredQueryError(str(path), f"parameter '{name}' must be a mapping")
        kind = str(spec.get("type", "string")).lower()
        if kind not in PARAMETER_TYPES:
            raise StoredQueryError(str(path), f"parameter '{name}' has unknown type '{kind}' "
                                              f"(use one of {', '.join(PARAMETER_TYPES)})")
        if name not in variables:
            raise StoredQueryError(str(path), f"parameter '{name}' has no variable ?{name} in the query")
        cls = spec.get("class")
        enum = spec.get("enum")
        parameter = Parameter(
            name=str(name), type=kind, description=str(spec.get("description", "")),
            required=bool(spec.get("required", False)),
            default=None if spec.get("default") is None else str(spec.get("default")),
            example=None if spec.get("example") is None else str(spec.get("example")),
            cls=expand_prefixed(str(cls), prefixes) if cls else None,
            enum=[str(v) for v in enum] if isinstance(enum, list) else None,
            enum_query=spec.get("enum_query"),
            datatype=expand_prefixed(str(spec["datatype"]), prefixes) if spec.get("datatype") else None,
            language=spec.get("language"),
        )
        for label, value in (("default", parameter.default), ("example", parameter.example)):
            if value is not None:
                try:
                    to_term(parameter, value, prefixes)
                except ParameterError as exc:
                    raise StoredQueryError(str(path), f"the {label} of parameter '{name}' is invalid: "
                                                      f"{exc.message}") from exc
        parameters.append(parameter)
    tags = header.get("tags") or []
    if isinstance(tags, str):
        tags = [t.strip() for t in tags.split(",") if t.strip()]
    description = header.get("description", "")
    description_ja = header.get("description_ja", "")
    if isinstance(description, dict):
        description_ja = description.get("ja", description_ja)
        description = description.get("en", "")
    pagination = header.get("pagination")
    if pagination is not None and (not isinstance(pagination, int) or pagination <= 0):
        raise StoredQueryError(str(path), "pagination must be a positive whole number (the page size)")
    return StoredQuery(name=path.stem, path=path, title=str(header["title"]), description=str(description or ""),
                       description_ja=str(description_ja or ""), text=body, form=form,
                       tags=[str(t) for t in tags], parameters=parameters, pagination=pagination)


_SYNTAX_STORE: ox.Store | None = None


def _check_syntax(path: Path, body: str) -> None:
    """Parse the query by running it on an empty store (SERVICE is refused before that)."""
    global _SYNTAX_STORE
    if any(True for _ in sparql_text.service_targets(body)):
        raise StoredQueryError(str(path), "stored queries may not call SERVICE")
    if _SYNTAX_STORE is None:
        _SYNTAX_STORE = ox.Store()
    try:
        answer = _SYNTAX_STORE.query(body)
        if not isinstance(answer, ox.QueryBoolean):
            for _ in answer:
                break
    except SyntaxError as exc:
        raise StoredQueryError(str(path), f"the SPARQL does not parse: {exc}") from exc
    except (OSError, ValueError) as exc:
        raise StoredQueryError(str(path), f"the SPARQL cannot run: {exc}") from exc


def load_stored_queries(folder: Path, prefixes: Mapping[str, str] | None = None
                        ) -> tuple[dict[str, StoredQuery], list[StoredQueryError]]:
    """Load every ``*.rq`` of a folder; broken ones are returned as errors and left out."""
    queries, errors = {}, []
    if not folder.is_dir():
        return queries, errors
    for path in sorted(folder.glob("*.rq")):
        try:
            query = load_stored_query(path, prefixes)
        except StoredQueryError as exc:
            log.info("stored query left out: %s", exc)
            errors.append(exc)
            continue
        queries[query.name] = query
    return queries, errors


def to_term(parameter: Parameter, raw: str, prefixes: Mapping[str, str] | None = None):
    """Check a raw value against the parameter's type and return it as an RDF term."""
    prefixes = PREFIXES if prefixes is None else prefixes
    value = raw.strip() if parameter.type not in ("string", "langstring") else raw
    kind = parameter.type
    bad = ParameterError(parameter.name, f"'{raw}' is not {parameter.expected}", expected=parameter.expected)
    if parameter.enum is not None and value not in parameter.enum:
        raise ParameterError(parameter.name, f"'{raw}' is not one of the allowed values: {', '.join(parameter.enum)}",
                             expected="one of " + ", ".join(parameter.enum))
    if kind == "iri":
        iri = expand_prefixed(value, prefixes)
        if not iri or _IRI_FORBIDDEN.search(iri) or not _IRI_SCHEME.match(iri):
            raise bad
        try:
            return ox.NamedNode(iri)
        except ValueError as exc:
            raise bad from exc
    if kind == "string":
        return ox.Literal(value)
    if kind == "langstring":
        text, sep, language = value.rpartition("@")
        if not sep:
            text, language = value, parameter.language or ""
        if not language or not re.fullmatch(r"[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*", language):
            raise bad
        return ox.Literal(text, language=language.lower())
    datatype = parameter.datatype or DEFAULT_DATATYPES[kind]
    if kind == "integer":
        if not re.fullmatch(r"[+-]?\d+", value):
            raise bad
        return ox.Literal(str(int(value)), datatype=ox.NamedNode(datatype))
    if kind == "decimal":
        try:
            number = Decimal(value)
        except InvalidOperation as exc:
            raise bad from exc
        if not number.is_finite() or not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", value):
            raise bad
        return ox.Literal(value, datatype=ox.NamedNode(datatype))
    if kind == "date":
        try:
            dt.date.fromisoformat(value)
        except ValueError as exc:
            raise bad from exc
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise bad
        return ox.Literal(value, datatype=ox.NamedNode(datatype))
    if kind == "year":
        if not re.fullmatch(r"\d{4}", value):
            raise bad
        return ox.Literal(value, datatype=ox.NamedNode(datatype))
    if kind == "boolean":
        lowered = value.lower()
        if lowered not in ("true", "false", "1", "0"):
            raise bad
        return ox.Literal("true" if lowered in ("true", "1") else "false", datatype=ox.NamedNode(datatype))
    raise bad


def bind_parameters(query: StoredQuery, raw: Mapping[str, Any], store=None,
                    prefixes: Mapping[str, str] | None = None) -> dict[str, object]:
    """Validate raw parameter values and return the bindings; unknown names are refused.

    With a store, IRIs of a parameter with a class must be instances of that class, and
    values of a graph-drawn enumeration must be among its values.
    """
    known = {p.name for p in query.parameters}
    for name in raw:
        if name not in known:
            raise ParameterError(name, "this query has no such parameter",
                                 expected=", ".join(sorted(known)) or "no parameters")
    bindings = {}
    for parameter in query.parameters:
        value = raw.get(parameter.name)
        if isinstance(value, (list, tuple)):
            if len(value) != 1:
                raise ParameterError(parameter.name, "give one value only", expected=parameter.expected)
            value = value[0]
        if value is None or (isinstance(value, str) and value == ""):
            value = parameter.default
        if value is None:
            if parameter.required:
                raise ParameterError(parameter.name, "is required", expected=parameter.expected)
            continue
        term = to_term(parameter, str(value), prefixes)
        if store is not None and parameter.cls and isinstance(term, ox.NamedNode):
            is_instance = store.ask(
                "ASK { ?value a/<http://www.w3.org/2000/01/rdf-schema#subClassOf>* ?class }",
                bindings={"value": term, "class": ox.NamedNode(parameter.cls)})
            if not is_instance:
                raise ParameterError(parameter.name, f"<{term.value}> is not a known {parameter.cls}",
                                     expected=parameter.expected)
        if store is not None and parameter.enum_query:
            allowed = {row["value"] for row in store.select(parameter.enum_query) if "value" in row}
            if term not in allowed:
                raise ParameterError(parameter.name, f"'{value}' is not one of the allowed values",
                                     expected=parameter.expected)
        bindings[parameter.name] = term
    return bindings


def enumeration(parameter: Parameter, store) -> list[tuple[str, str]] | None:
    """Return (value, label) choices for a parameter's dropdown, or None if it is free text."""
    if parameter.enum is not None:
        return [(v, v) for v in parameter.enum]
    query = parameter.enum_query
    if query is None and parameter.cls:
        query = ("SELECT DISTINCT ?value (SAMPLE(?l) AS ?label) WHERE { "
                 "?value a/<http://www.w3.org/2000/01/rdf-schema#subClassOf>* ?class "
                 "OPTIONAL { ?value <http://www.w3.org/2000/01/rdf-schema#label>|"
                 "<http://www.w3.org/2004/02/skos/core#prefLabel> ?l FILTER(langMatches(lang(?l), 'en') "
                 "|| lang(?l) = '') } } GROUP BY ?value ORDER BY ?label ?value")
        rows = store.select(query, bindings={"class": ox.NamedNode(parameter.cls)})
    elif query is not None:
        rows = store.select(query)
    else:
        return None
    return [(row["value"].value, row["label"].value if "label" in row else row["value"].value)
            for row in rows if "value" in row]


def run_stored_query(store, query: StoredQuery, raw: Mapping[str, Any] | None = None, *,
                     limit: int | None = None, offset: int = 0, timeout: float | None = None,
                     max_rows: int | None = None, prefixes: Mapping[str, str] | None = None,
                     default_graphs: list[str] | None = None):
    """Bind the parameters and run the query; return (result, has_more).

    ``limit``/``offset`` page through the answer (the page size defaults to the header's
    ``pagination``); ``has_more`` says whether a next page exists.
    """
    bindings = bind_parameters(query, raw or {}, store, prefixes)
    if limit is None:
        limit = query.pagination
    if max_rows is not None:
        limit = min(limit, max_rows) if limit is not None else max_rows
    cap = None if limit is None else offset + limit + 1
    try:
        result = store.query(query.text, bindings=bindings, timeout=timeout, max_rows=cap,
                             default_graphs=default_graphs)
    except QuerySyntaxError as exc:
        raise StoredQueryError(str(query.path), f"the SPARQL does not parse: {exc.message}") from exc
    has_more = False
    if result.kind == "select":
        rows = result.rows[offset:]
        if limit is not None and len(rows) > limit:
            rows, has_more = rows[:limit], True
        result.rows = rows
        result.truncated = has_more
    elif result.kind == "graph":
        triples = result.triples[offset:]
        if limit is not None and len(triples) > limit:
            triples, has_more = triples[:limit], True
        result.triples = triples
    return result, has_more


def get_query(queries: Mapping[str, StoredQuery], name: str) -> StoredQuery:
    try:
        return queries[name]
    except KeyError:
        raise NotFound(f"there is no stored query named '{name}'",
                       hint=f"Known queries: {', '.join(sorted(queries)) or 'none'}.") from None
