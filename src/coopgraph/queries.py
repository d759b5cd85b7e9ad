"""Stored queries: ``queries/*.rq`` with a ``#+`` YAML header, parameters bound as RDF terms.

Where the queries come from (files and their headers) is kept apart from how they run
(the store), as grlc does. Unlike grlc, a parameter value is never pasted into the
query text: it is checked against its declared type and bound to its variable as a
term, so a value holding quotes, ``>``, braces or ``} UNION {`` stays a value.

A header may give English and Japanese texts, fixed enumerations (with labels) or
enumerations drawn from the graph (``enum_query``, or the instances of an IRI
parameter's ``class``); a file whose header or SPARQL has a mistake is reported with
the reason and left out, so one bad file never takes the others down.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import yaml

from . import sparql as sparql_text
from .errors import NotFound, ParameterError, QuerySyntaxError, QueryTooDeep, StoredQueryError
from .guards import check_query
from .namespaces import PREFIXES, RDFS, RDFS_LABEL, SKOS_PREF_LABEL, XSD

log = logging.getLogger(__name__)

PARAMETER_TYPES = ("iri", "string", "langstring", "integer", "decimal", "date", "year", "boolean")
DEFAULT_DATATYPES = {
    "integer": XSD + "integer",
    "decimal": XSD + "decimal",
    "date": XSD + "date",
    "year": XSD + "gYear",
    "boolean": XSD + "boolean",
}
EXPECTED = {
    "iri": "an absolute IRI (https://...) or a prefixed name such as id:city/koriyama",
    "string": "a text",
    "langstring": "a text with a language tag, e.g. Kyoto@en",
    "integer": "a whole number, e.g. 2017",
    "decimal": "a decimal number, e.g. 35.02",
    "date": "a date as YYYY-MM-DD",
    "year": "a year as YYYY",
    "boolean": "true or false",
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
    cls: str | None = None  # for iri: the class the value must be an instance of
    enum: list[str] | None = None  # a fixed list of allowed values
    enum_query: str | None = None  # a SELECT ?value ?label query giving the allowed values
    datatype: str | None = None  # overrides the literal datatype of the type
    language: str | None = None  # default language for langstring
    label: str = ""  # what a form calls the field (the name if empty)
    description_ja: str = ""
    enum_labels: dict[str, str] | None = None  # labels of fixed enumeration values, for dropdowns

    @property
    def expected(self) -> str:
        text = EXPECTED[self.type]
        if self.cls:
            text += f" of class {self.cls}"
        return text

    def to_dict(self) -> dict:
        out = {"name": self.name, "type": self.type, "required": self.required, "description": self.description}
        if self.description_ja:
            out["description_ja"] = self.description_ja
        if self.label:
            out["label"] = self.label
        for key in ("default", "example", "enum", "datatype", "language"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.enum_labels:
            out["enumLabels"] = self.enum_labels
        if self.cls:
            out["class"] = self.cls
        if self.enum_query:
            out["enumFromGraph"] = True
        out["expected"] = self.expected
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
    title_ja: str = ""
    tags: list[str] = field(default_factory=list)
    parameters: list[Parameter] = field(default_factory=list)
    pagination: int | None = None
    #: Human names of the result columns, by variable (the header's ``columns:`` map).
    columns: dict[str, str] = field(default_factory=dict)

    def column_label(self, variable: str) -> str:
        """The name a person reads over a column: the header's, else the variable's words."""
        return self.columns.get(variable) or humanise(variable)

    def parameter(self, name: str) -> Parameter:
        for p in self.parameters:
            if p.name == name:
                return p
        raise ParameterError(
            name,
            "this query has no such parameter",
            expected=", ".join(p.name for p in self.parameters) or "no parameters",
        )

    def example_values(self) -> dict[str, str]:
        return {p.name: p.example for p in self.parameters if p.example is not None}

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            **({"title_ja": self.title_ja} if self.title_ja else {}),
            **({"description_ja": self.description_ja} if self.description_ja else {}),
            "tags": self.tags,
            "form": self.form.lower(),
            "parameters": [p.to_dict() for p in self.parameters],
            **({"pagination": self.pagination} if self.pagination else {}),
            **({"columns": self.columns} if self.columns else {}),
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


#: Request arguments the API and the pages use for themselves; no parameter may take these names.
RESERVED_NAMES = ("limit", "offset", "format", "run")
_QUERY_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
_VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _text(value: Any, where: str, path: Path) -> tuple[str, str]:
    """Return (English, Japanese) of a header text given as a string or as ``{en: ..., ja: ...}``."""
    if value is None:
        return "", ""
    if isinstance(value, dict):
        unknown = set(value) - {"en", "ja"}
        if unknown:
            raise StoredQueryError(
                str(path), f"{where} has unknown language(s) {', '.join(map(str, unknown))} (give en and optionally ja)"
            )
        return str(value.get("en") or ""), str(value.get("ja") or "")
    if isinstance(value, (list, tuple)):
        raise StoredQueryError(str(path), f"{where} must be a text or a mapping {{en: ..., ja: ...}}")
    return str(value), ""


def prologue(body: str) -> str:
    """Return the BASE/PREFIX declarations that open a query, so a related query can reuse them."""
    toks = sparql_text.tokens(body)
    out, index = [], 0
    while index < len(toks):
        word = toks[index].text.upper()
        if word == "PREFIX" and index + 2 < len(toks):
            out.append(f"PREFIX {toks[index + 1].text} {toks[index + 2].text}")
            index += 3
        elif word == "BASE" and index + 1 < len(toks):
            out.append(f"BASE {toks[index + 1].text}")
            index += 2
        else:
            break
    return "\n".join(out)


def load_stored_query(path: Path, prefixes: Mapping[str, str] | None = None) -> StoredQuery:
    """Read one stored query, checking its header and its SPARQL; raise StoredQueryError."""
    prefixes = dict(PREFIXES if prefixes is None else prefixes)
    if not _QUERY_NAME.fullmatch(path.stem):
        raise StoredQueryError(
            str(path),
            "the file name must be letters, digits, '-' or '_' followed by .rq (it becomes the query's name in URLs)",
        )
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
    title, title_ja = _text(header.get("title"), "title", path)
    if not title:
        raise StoredQueryError(str(path), "the #+ header has no title")
    title_ja = str(header.get("title_ja") or title_ja)
    form = sparql_text.query_form(body)
    if form is None:
        raise StoredQueryError(str(path), "the file holds no SELECT, CONSTRUCT, ASK or DESCRIBE query")
    _check_syntax(path, body)
    variables = sparql_text.variables(body)
    raw_params = header.get("parameters") or {}
    if isinstance(raw_params, list):
        raw_params = {p.get("name"): p for p in raw_params if isinstance(p, dict)}
    if not isinstance(raw_params, dict):
        raise StoredQueryError(str(path), "parameters must be a mapping of name -> settings")
    parameters = [
        _load_parameter(path, str(name), spec, variables, prologue(body), prefixes) for name, spec in raw_params.items()
    ]
    tags = header.get("tags") or []
    if isinstance(tags, str):
        tags = [t.strip() for t in tags.split(",") if t.strip()]
    if not isinstance(tags, list):
        raise StoredQueryError(str(path), "tags must be a list, e.g. [programmes, pairings]")
    description, description_ja = _text(header.get("description"), "description", path)
    description_ja = str(header.get("description_ja") or description_ja)
    pagination = header.get("pagination")
    if pagination is not None and (isinstance(pagination, bool) or not isinstance(pagination, int) or pagination <= 0):
        raise StoredQueryError(str(path), "pagination must be a positive whole number (the page size)")
    columns = header.get("columns") or {}
    if not isinstance(columns, dict) or not all(isinstance(v, str) and v.strip() for v in columns.values()):
        raise StoredQueryError(str(path), "columns must map result variables to names, e.g. {pairingLabel: Pairing}")
    unknown = sorted(str(k) for k in columns if str(k) not in variables)
    if unknown:
        raise StoredQueryError(str(path), f"columns names variables the query does not have: {', '.join(unknown)}")
    return StoredQuery(
        name=path.stem,
        path=path,
        title=title,
        description=description,
        description_ja=description_ja,
        title_ja=title_ja,
        text=body,
        form=form,
        tags=[str(t) for t in tags],
        parameters=parameters,
        pagination=pagination,
        columns={str(k): v.strip() for k, v in columns.items()},
    )


def humanise(variable: str) -> str:
    """``pairingLabel`` -> ``pairing label``: a column name when the header gives none."""
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", variable.replace("_", " ")).split()
    return " ".join(w if w.isupper() else w.lower() for w in words) or variable


def without_comments(text: str) -> str:
    """The query as people read it: comment-only lines (notes on how it is tuned) left out."""
    return "\n".join(line for line in text.strip().splitlines() if not line.lstrip().startswith("#"))


def _load_parameter(
    path: Path, name: str, spec: Any, variables: set[str], query_prologue: str, prefixes: Mapping[str, str]
) -> Parameter:
    """Check one parameter's settings against the query and return it."""
    spec = spec or {}
    if not isinstance(spec, dict):
        raise StoredQueryError(str(path), f"parameter '{name}' must be a mapping")
    if not _VARIABLE_NAME.fullmatch(name):
        raise StoredQueryError(
            str(path), f"parameter '{name}' must be named like a SPARQL variable (letters, digits, '_')"
        )
    if name in RESERVED_NAMES:
        raise StoredQueryError(
            str(path),
            f"parameter '{name}' has a reserved name "
            f"({', '.join(RESERVED_NAMES)} control paging and formats); rename it",
        )
    kind = str(spec.get("type", "string")).lower()
    if kind not in PARAMETER_TYPES:
        raise StoredQueryError(
            str(path), f"parameter '{name}' has unknown type '{kind}' (use one of {', '.join(PARAMETER_TYPES)})"
        )
    if name not in variables:
        raise StoredQueryError(str(path), f"parameter '{name}' has no variable ?{name} in the query")
    unknown = set(spec) - {
        "type",
        "description",
        "description_ja",
        "label",
        "required",
        "default",
        "example",
        "class",
        "enum",
        "enum_query",
        "datatype",
        "language",
    }
    if unknown:
        raise StoredQueryError(str(path), f"parameter '{name}' has unknown setting(s) {', '.join(sorted(unknown))}")
    description, description_ja = _text(spec.get("description"), f"the description of '{name}'", path)
    label, _ = _text(spec.get("label"), f"the label of '{name}'", path)
    cls = spec.get("class")
    if cls and kind != "iri":
        raise StoredQueryError(str(path), f"parameter '{name}' has a class but is not of type iri")
    parameter = Parameter(
        name=name,
        type=kind,
        description=description,
        description_ja=str(spec.get("description_ja") or description_ja),
        label=label,
        required=bool(spec.get("required", False)),
        default=None if spec.get("default") is None else _scalar(spec.get("default")),
        example=None if spec.get("example") is None else _scalar(spec.get("example")),
        cls=expand_prefixed(str(cls), prefixes) if cls else None,
        datatype=expand_prefixed(str(spec["datatype"]), prefixes) if spec.get("datatype") else None,
        language=spec.get("language"),
    )
    enum = spec.get("enum")
    if enum is not None:
        if isinstance(enum, dict):
            parameter.enum_labels = {_scalar(k): str(v) for k, v in enum.items()}
            enum = list(enum)
        if not isinstance(enum, list) or not enum:
            raise StoredQueryError(
                str(path), f"the enum of parameter '{name}' must be a non-empty list (or a mapping of value -> label)"
            )
        values = []
        for value in enum:
            try:
                term = _convert(parameter, _scalar(value), prefixes)
            except ParameterError as exc:
                raise StoredQueryError(
                    str(path), f"the enum of parameter '{name}' holds an invalid value: {exc.message}"
                ) from exc
            # IRIs are kept expanded, so a prefixed value and its full IRI are the same choice.
            values.append(term.value if kind == "iri" else _scalar(value))
        if parameter.enum_labels and kind == "iri":
            parameter.enum_labels = {expand_prefixed(k, prefixes): v for k, v in parameter.enum_labels.items()}
        parameter.enum = values
    enum_query = spec.get("enum_query")
    if enum_query is not None:
        parameter.enum_query = _check_enum_query(path, name, str(enum_query), query_prologue)
    for label_, value in (("default", parameter.default), ("example", parameter.example)):
        if value is not None:
            try:
                to_term(parameter, value, prefixes)
            except ParameterError as exc:
                raise StoredQueryError(
                    str(path), f"the {label_} of parameter '{name}' is invalid: {exc.message}"
                ) from exc
    return parameter


def _scalar(value: Any) -> str:
    """A YAML scalar as the text a user would type (YAML reads true, 2017 and dates as objects)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _check_enum_query(path: Path, name: str, text: str, query_prologue: str) -> str:
    """Check a graph-drawn enumeration; it gets the stored query's prefixes, its own win."""
    full = f"{query_prologue}\n{text}" if query_prologue else text
    if sparql_text.query_form(full) != "SELECT" or "value" not in sparql_text.variables(full):
        raise StoredQueryError(
            str(path), f"the enum_query of parameter '{name}' must be a SELECT giving ?value (and optionally ?label)"
        )
    try:
        _check_syntax(path, full)
    except StoredQueryError as exc:
        raise StoredQueryError(str(path), f"the enum_query of parameter '{name}': {exc.reason}") from exc
    return full


_SYNTAX_STORE: ox.Store | None = None


def _check_syntax(path: Path, body: str) -> None:
    """Parse the query by running it on an empty store (SERVICE is refused before that)."""
    global _SYNTAX_STORE
    if any(True for _ in sparql_text.service_targets(body)):
        raise StoredQueryError(str(path), "stored queries may not call SERVICE")
    try:
        check_query(body)
    except QueryTooDeep as exc:
        raise StoredQueryError(str(path), exc.message) from exc
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


def load_stored_queries(
    folder: Path, prefixes: Mapping[str, str] | None = None
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


def _shown(raw: str, width: int = 80) -> str:
    """A user's value as quoted in an error message (shortened: messages are read, not parsed)."""
    return raw if len(raw) <= width else raw[: width - 1] + "…"


def _convert(parameter: Parameter, raw: str, prefixes: Mapping[str, str]):
    """Check a raw value against the parameter's type alone and return it as an RDF term."""
    value = raw.strip() if parameter.type not in ("string", "langstring") else raw
    kind = parameter.type
    bad = ParameterError(parameter.name, f"'{_shown(raw)}' is not {parameter.expected}", expected=parameter.expected)
    if kind == "iri":
        iri = expand_prefixed(value, prefixes)
        if not iri or _IRI_FORBIDDEN.search(iri) or not _IRI_SCHEME.match(iri) or not iri.isprintable():
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
        try:  # pyoxigraph checks the tag against BCP 47 (e.g. no empty extension subtag)
            return ox.Literal(text, language=language.lower())
        except ValueError as exc:
            raise bad from exc
    datatype = parameter.datatype or DEFAULT_DATATYPES[kind]
    if kind == "integer":
        if not re.fullmatch(r"[+-]?[0-9]+", value):
            raise bad
        return ox.Literal(str(int(value)), datatype=ox.NamedNode(datatype))
    if kind == "decimal":
        if not re.fullmatch(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)", value):
            raise bad
        return ox.Literal(value, datatype=ox.NamedNode(datatype))
    if kind == "date":
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
            raise bad
        try:
            dt.date.fromisoformat(value)
        except ValueError as exc:
            raise bad from exc
        return ox.Literal(value, datatype=ox.NamedNode(datatype))
    if kind == "year":
        if not re.fullmatch(r"[0-9]{4}", value):
            raise bad
        return ox.Literal(value, datatype=ox.NamedNode(datatype))
    if kind == "boolean":
        lowered = value.lower()
        if lowered not in ("true", "false", "1", "0"):
            raise bad
        return ox.Literal("true" if lowered in ("true", "1") else "false", datatype=ox.NamedNode(datatype))
    raise bad


def to_term(parameter: Parameter, raw: str, prefixes: Mapping[str, str] | None = None):
    """Check a raw value against the parameter's type (and fixed enumeration); return it as an RDF term.

    A value is compared with the enumeration as a term, so ``id:city/x`` and its full IRI
    are the same choice, and ``1`` and ``true`` the same boolean.
    """
    prefixes = PREFIXES if prefixes is None else prefixes
    term = _convert(parameter, raw, prefixes)
    if parameter.enum is not None:
        allowed = [_convert(parameter, value, prefixes) for value in parameter.enum]
        if term not in allowed:
            raise ParameterError(
                parameter.name,
                f"'{_shown(raw)}' is not one of the allowed values: {', '.join(parameter.enum)}",
                expected="one of " + ", ".join(parameter.enum),
            )
    return term


def bind_parameters(
    query: StoredQuery,
    raw: Mapping[str, Any],
    store=None,
    prefixes: Mapping[str, str] | None = None,
    *,
    timeout: float | None = None,
) -> dict[str, object]:
    """Validate raw parameter values and return the bindings; unknown names are refused.

    With a store, IRIs of a parameter with a class must be instances of that class, and
    values of a graph-drawn enumeration must be among its values. Checks run in the
    order of the header, so the first bad parameter is the one reported.
    """
    known = {p.name for p in query.parameters}
    for name in raw:
        if name not in known:
            raise ParameterError(
                name, "this query has no such parameter", expected=", ".join(sorted(known)) or "no parameters"
            )
    bindings = {}
    for parameter in query.parameters:
        value = raw.get(parameter.name)
        if isinstance(value, (list, tuple)):
            if len(value) > 1:
                raise ParameterError(parameter.name, "give one value only", expected=parameter.expected)
            value = value[0] if value else None
        if value is None or (isinstance(value, str) and value.strip() == ""):
            value = parameter.default
        if value is None:
            if parameter.required:
                raise ParameterError(parameter.name, "is required", expected=parameter.expected)
            continue
        term = to_term(parameter, str(value), prefixes)
        if store is not None and parameter.cls and isinstance(term, ox.NamedNode):
            is_instance = store.ask(
                # `a/rdfs:subClassOf*` split in two: Virtuoso misses its zero-length case
                f"ASK {{ {{ ?value a ?class }} UNION {{ ?value a/<{RDFS}subClassOf>+ ?class }} }}",
                bindings={"value": term, "class": ox.NamedNode(parameter.cls)},
                timeout=timeout,
            )
            if not is_instance:
                raise ParameterError(
                    parameter.name,
                    f"<{_shown(term.value)}> is not a known {parameter.cls}",
                    expected=parameter.expected,
                )
        if store is not None and parameter.enum_query:
            allowed = {row["value"] for row in store.select(parameter.enum_query, timeout=timeout) if "value" in row}
            if term not in allowed:
                raise ParameterError(
                    parameter.name,
                    f"'{_shown(str(value))}' is not one of the allowed values",
                    expected=parameter.expected + ", one of the values the query's form offers",
                )
        bindings[parameter.name] = term
    return bindings


def term_text(term) -> str:
    """Write a bound term back the way a user types it (``Kyoto@en`` for a language-tagged text)."""
    if isinstance(term, ox.Literal) and term.language:
        return f"{term.value}@{term.language}"
    return term.value


# --- labels -----------------------------------------------------------------------------

LABEL_PROPERTIES = (RDFS_LABEL, SKOS_PREF_LABEL)


def label_rank(literal, languages: tuple[str, ...]) -> int:
    """Rank a label by the reader's languages (lower is better; untagged after the listed ones)."""
    language = getattr(literal, "language", None) or ""
    for index, wanted in enumerate(languages):
        if language == wanted or (wanted and language.startswith(wanted + "-")):
            return index
    return len(languages) + (0 if language == "" else 1)


def fetch_labels(store, terms, languages: tuple[str, ...] = ("en",), *, timeout: float | None = None) -> dict[str, str]:
    """Return the best label of each IRI among ``terms``, in one query (IRI -> label).

    The IRIs come from the store's own answers and are written in their N-Triples form,
    so they cannot change the query; the VALUES block lists every one at once.
    """
    iris = sorted({t.value for t in terms if isinstance(t, ox.NamedNode)})
    if not iris:
        return {}
    values = " ".join(str(ox.NamedNode(iri)) for iri in iris)
    predicates = "|".join(f"<{p}>" for p in LABEL_PROPERTIES)
    rows = store.select(
        f"SELECT ?s ?l WHERE {{ VALUES ?s {{ {values} }} ?s {predicates} ?l FILTER(isLiteral(?l)) }}", timeout=timeout
    )
    best: dict[str, tuple] = {}
    for row in rows:
        iri, label = row["s"].value, row["l"]
        key = (label_rank(label, languages), label.value)
        if iri not in best or key < best[iri][0]:
            best[iri] = (key, label.value)
    return {iri: entry[1] for iri, entry in best.items()}


# --- enumerations -----------------------------------------------------------------------


def enumeration(
    parameter: Parameter,
    store,
    *,
    languages: tuple[str, ...] = ("en",),
    limit: int | None = None,
    timeout: float | None = None,
) -> list[tuple[str, str]] | None:
    """Return (value, label) choices for a parameter's dropdown, or None if it is free text.

    Fixed enumerations come from the header; graph-drawn ones from the parameter's
    ``enum_query`` or, for an IRI of a class, the class's instances, labelled in the
    reader's language. With ``limit``, more choices than that give None: a dropdown of
    thousands helps nobody, and the field stays free text.
    """
    if parameter.enum is not None:
        labels = parameter.enum_labels or {}
        return [(v, labels.get(v, v)) for v in parameter.enum]
    if parameter.enum_query is not None:
        rows = store.select(parameter.enum_query, timeout=timeout)
        choices, seen = [], set()
        for row in rows:
            if "value" in row and row["value"] not in seen:
                seen.add(row["value"])
                label = row["label"].value if "label" in row else None
                choices.append((term_text(row["value"]), label, row["value"]))
        if limit is not None and len(choices) > limit:
            return None
        missing = fetch_labels(store, [c[2] for c in choices if c[1] is None], languages, timeout=timeout)
        return [(value, label or missing.get(term.value, value)) for value, label, term in choices]
    if parameter.cls:
        rows = store.select(
            f"SELECT DISTINCT ?value WHERE {{ {{ ?value a ?class }} UNION "
            f"{{ ?value a/<{RDFS}subClassOf>+ ?class }} FILTER(isIRI(?value)) }}",
            bindings={"class": ox.NamedNode(parameter.cls)},
            timeout=timeout,
            max_rows=None if limit is None else limit + 1,
        )
        values = [row["value"] for row in rows]
        if limit is not None and len(values) > limit:
            return None
        labels = fetch_labels(store, values, languages, timeout=timeout)
        choices = [(v.value, labels.get(v.value, v.value)) for v in values]
        return sorted(choices, key=lambda c: (c[1].casefold(), c[0]))
    return None


# --- running ----------------------------------------------------------------------------


def parse_page(
    limit: str | int | None, offset: str | int | None, *, max_rows: int | None = None
) -> tuple[int | None, int]:
    """Check the paging arguments of a request or command line; return (limit, offset)."""
    ceiling = f" up to {max_rows}" if max_rows else ""

    def whole(name: str, raw, least: int) -> int | None:
        if raw is None or (isinstance(raw, str) and raw.strip() == ""):
            return None
        text = str(raw).strip()
        expected = f"a whole number from {least}{ceiling}" if name == "limit" else "a whole number from 0"
        if not re.fullmatch(r"[0-9]{1,12}", text) or int(text) < least:
            raise ParameterError(name, f"'{_shown(str(raw))}' is not {expected}", expected=expected)
        if name == "limit" and max_rows is not None and int(text) > max_rows:
            raise ParameterError(
                name, f"{text} is more than the most rows one page may hold ({max_rows})", expected=expected
            )
        return int(text)

    return whole("limit", limit, 1), whole("offset", offset, 0) or 0


def run_stored_query(
    store,
    query: StoredQuery,
    raw: Mapping[str, Any] | None = None,
    *,
    limit: int | None = None,
    offset: int = 0,
    timeout: float | None = None,
    max_rows: int | None = None,
    prefixes: Mapping[str, str] | None = None,
    default_graphs: list[str] | None = None,
    bindings: Mapping[str, object] | None = None,
):
    """Bind the parameters and run the query; return (result, has_more).

    ``limit``/``offset`` page through the answer (the page size defaults to the header's
    ``pagination``, then to ``max_rows``); ``has_more`` says whether a next page exists.
    At most ``offset + limit + 1`` rows are drawn from the store, so a page never costs
    the whole answer. Callers that already hold the ``bindings`` (from
    :func:`bind_parameters`) pass them instead of ``raw``.
    """
    limit, offset = parse_page(limit, offset, max_rows=max_rows)
    if bindings is None:
        bindings = bind_parameters(query, raw or {}, store, prefixes, timeout=timeout)
    if limit is None:
        limit = query.pagination
    if max_rows is not None:
        limit = min(limit, max_rows) if limit is not None else max_rows
    cap = None if limit is None else offset + limit + 1
    try:
        result = store.query(
            query.text, bindings=bindings, timeout=timeout, max_rows=cap, default_graphs=default_graphs
        )
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
        result.truncated = has_more
    return result, has_more


def get_query(queries: Mapping[str, StoredQuery], name: str) -> StoredQuery:
    try:
        return queries[name]
    except KeyError:
        raise NotFound(
            f"there is no stored query named '{name}'", hint=f"Known queries: {', '.join(sorted(queries)) or 'none'}."
        ) from None
