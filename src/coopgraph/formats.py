"""Media types, file extensions and parsing/serialising of RDF and SPARQL results.

One registry of formats serves the CLI (names and extensions), the web layer (media
types for negotiation) and the store (pyoxigraph's format objects), so a format is
added in one place. Parsing never fetches anything: pyoxigraph refuses remote JSON-LD
contexts and does not resolve XML entities.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import pyoxigraph as ox

from .errors import NotAcceptable, RdfSyntaxError, UsageError
from .guards import DEFAULT_MAX_RDF_DEPTH, check_rdf


@dataclass(frozen=True)
class RdfFormatInfo:
    name: str
    media_type: str
    extensions: tuple[str, ...]
    oxigraph: ox.RdfFormat
    quads: bool = False
    #: Other media types that mean the same format (accepted on input and in Accept).
    aliases: tuple[str, ...] = ()


RDF_FORMATS: dict[str, RdfFormatInfo] = {
    f.name: f
    for f in (
        RdfFormatInfo("turtle", "text/turtle", (".ttl",), ox.RdfFormat.TURTLE, aliases=("application/x-turtle",)),
        RdfFormatInfo("jsonld", "application/ld+json", (".jsonld", ".json"), ox.RdfFormat.JSON_LD),
        RdfFormatInfo("ntriples", "application/n-triples", (".nt",), ox.RdfFormat.N_TRIPLES),
        RdfFormatInfo("rdfxml", "application/rdf+xml", (".rdf", ".owl", ".xml"), ox.RdfFormat.RDF_XML),
        RdfFormatInfo("nquads", "application/n-quads", (".nq",), ox.RdfFormat.N_QUADS, quads=True),
        RdfFormatInfo("trig", "application/trig", (".trig",), ox.RdfFormat.TRIG, quads=True),
    )
}

#: Short names users type, mapped to canonical format names.
FORMAT_ALIASES = {
    "ttl": "turtle",
    "json-ld": "jsonld",
    "nt": "ntriples",
    "xml": "rdfxml",
    "rdf": "rdfxml",
    "owl": "rdfxml",
    "nq": "nquads",
    "n-triples": "ntriples",
    "n-quads": "nquads",
}


@dataclass(frozen=True)
class ResultFormatInfo:
    name: str
    media_type: str
    extension: str
    oxigraph: ox.QueryResultsFormat | None


RESULT_FORMATS: dict[str, ResultFormatInfo] = {
    f.name: f
    for f in (
        ResultFormatInfo("json", "application/sparql-results+json", ".srj", ox.QueryResultsFormat.JSON),
        ResultFormatInfo("xml", "application/sparql-results+xml", ".srx", ox.QueryResultsFormat.XML),
        ResultFormatInfo("csv", "text/csv", ".csv", ox.QueryResultsFormat.CSV),
        ResultFormatInfo("tsv", "text/tab-separated-values", ".tsv", ox.QueryResultsFormat.TSV),
    )
}


def rdf_format(name: str) -> RdfFormatInfo:
    """Return the RDF format for a name, an alias, an extension or a media type."""
    key = name.strip().lower()
    key = FORMAT_ALIASES.get(key.lstrip("."), key.lstrip("."))
    if key in RDF_FORMATS:
        return RDF_FORMATS[key]
    for info in RDF_FORMATS.values():
        if key == info.media_type or key in info.aliases or "." + key in info.extensions:
            return info
    raise UsageError(f"unknown RDF format '{name}'", hint=f"Use one of: {', '.join(RDF_FORMATS)}.")


def guess_rdf_format(filename: str) -> RdfFormatInfo:
    """Return the RDF format implied by a file name's extension."""
    lower = filename.lower()
    for info in RDF_FORMATS.values():
        if any(lower.endswith(ext) for ext in info.extensions):
            return info
    raise UsageError(
        f"cannot tell the RDF format of '{filename}' from its extension",
        hint="Name the format with --format (turtle, jsonld, ntriples, rdfxml, trig, nquads).",
    )


def media_type_format(media_type: str) -> RdfFormatInfo | None:
    """Return the RDF format of a Content-Type value, or None if it is not RDF."""
    base = media_type.split(";")[0].strip().lower()
    for info in RDF_FORMATS.values():
        if base == info.media_type or base in info.aliases:
            return info
    return None


_POSITION = re.compile(r"(?:line (\d+)(?:,? column (\d+))?)|(?:at (\d+):(\d+))")


def syntax_position(message: str) -> tuple[int | None, int | None]:
    """Extract the line and column from a pyoxigraph parser message, if it gives them."""
    match = _POSITION.search(message)
    if not match:
        return None, None
    line = match.group(1) or match.group(3)
    column = match.group(2) or match.group(4)
    return (int(line) if line else None, int(column) if column else None)


def parse_rdf(
    data: bytes | str,
    fmt: RdfFormatInfo,
    *,
    base_iri: str | None = None,
    source: str = "<input>",
    to_graph: ox.NamedNode | None = None,
    max_depth: int | None = DEFAULT_MAX_RDF_DEPTH,
) -> list[ox.Quad]:
    """Parse a document into quads, turning syntax errors into :class:`RdfSyntaxError`.

    Triples go to ``to_graph`` (the default graph if None); quads keep their graph.
    A document nested deeper than ``max_depth`` is refused before the parser sees it
    (:func:`coopgraph.guards.check_rdf`); RDF/XML is also screened (see :func:`screen_xml`).
    """
    check_rdf(data, fmt.name, max_depth, source=source)
    if fmt.name == "rdfxml":
        screen_xml(data, source=source)
    try:
        quads = list(ox.parse(data, format=fmt.oxigraph, base_iri=base_iri))
    except SyntaxError as exc:
        message = str(exc)
        line, column = (exc.lineno, exc.offset) if exc.lineno else syntax_position(message)
        if "LoadDocumentCallback" in message or "remote context" in message.lower():
            raise RdfSyntaxError(
                "the JSON-LD document refers to a remote @context, which is never fetched",
                source=source,
                hint="Inline the @context object in the document.",
            ) from exc
        if line is None and fmt.name == "rdfxml":
            line, column = _locate_xml_error(data, fmt, base_iri, message)
        raise RdfSyntaxError(
            _clean_parser_message(message),
            source=source,
            line=line,
            column=column,
            hint=f"Fix the {fmt.name} syntax at that place and try again.",
        ) from exc
    except ValueError as exc:
        raise RdfSyntaxError(str(exc), source=source) from exc
    if to_graph is not None and not fmt.quads:
        quads = [ox.Quad(q.subject, q.predicate, q.object, to_graph) for q in quads]
    return quads


#: Entity references in an RDF/XML document may expand its text to this many times its size.
XML_EXPANSION_FACTOR = 10
XML_EXPANSION_FLOOR = 1 << 20


class _Expanded(Exception):
    pass


def screen_xml(data: bytes | str, *, source: str = "<input>") -> None:
    """Refuse XML whose entities expand beyond a sane size, and place XML errors by line and column.

    Why: pyoxigraph expands internal entities without limit, so a 1 KB "billion laughs"
    document grows to gigabytes in memory. expat reads the document first, counting the
    text that entities expand to and stopping at the limit. It never loads external
    entities (no handler is set), and its errors carry the line and column.
    """
    from xml.parsers import expat

    raw = data.encode("utf-8") if isinstance(data, str) else data
    limit = max(XML_EXPANSION_FLOOR, XML_EXPANSION_FACTOR * len(raw))
    total = 0

    def count(text: str) -> None:
        nonlocal total
        total += len(text)
        if total > limit:
            raise _Expanded()

    def start(name, attributes) -> None:
        for value in attributes.values():
            count(value)

    def declared(name, is_parameter, value, base, system_id, public_id, notation) -> None:
        if system_id is not None or public_id is not None:
            raise RdfSyntaxError(
                f"the document declares an external XML entity '{name}' "
                f"({system_id or public_id}), which is never loaded",
                source=source,
                line=parser.CurrentLineNumber,
                column=parser.CurrentColumnNumber + 1,
                hint="Write the text out in the document instead.",
            )

    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.CharacterDataHandler = count
    parser.StartElementHandler = start
    parser.EntityDeclHandler = declared
    try:
        parser.Parse(raw, True)
    except _Expanded:
        raise RdfSyntaxError(
            f"the XML entities of this document expand to more than {limit:,} characters",
            source=source,
            line=parser.CurrentLineNumber,
            column=parser.CurrentColumnNumber + 1,
            hint="Write the text out instead of using nested XML entities.",
        ) from None
    except expat.ExpatError as exc:
        raise RdfSyntaxError(
            expat.errors.messages.get(exc.code, "the XML is not well formed"),
            source=source,
            line=exc.lineno,
            column=exc.offset + 1,
            hint="Fix the XML at that place and try again.",
        ) from None


class _LineByLine(io.RawIOBase):
    """Hands a document to a parser one line per read, so the line being read when it fails is known."""

    def __init__(self, data: bytes):
        self._lines = data.splitlines(keepends=True)
        self.line = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self.line >= len(self._lines):
            return 0
        chunk = self._lines[self.line][: len(buffer)]
        if len(chunk) == len(self._lines[self.line]):
            self.line += 1
        else:
            self._lines[self.line] = self._lines[self.line][len(chunk) :]
        buffer[: len(chunk)] = chunk
        return len(chunk)


def _locate_xml_error(
    data: bytes | str, fmt: RdfFormatInfo, base_iri: str | None, message: str
) -> tuple[int | None, int | None]:
    """Find where pyoxigraph's RDF/XML parser failed: it says what, not where.

    Parsing again one line at a time gives the line; the column is that of the value
    the message quotes when it appears on the line, else the line's first character.
    """
    raw = data.encode("utf-8") if isinstance(data, str) else data
    reader = _LineByLine(raw)
    try:
        for _ in ox.parse(reader, format=fmt.oxigraph, base_iri=base_iri):
            pass
    except SyntaxError:
        pass
    else:
        return None, None
    line = max(reader.line, 1)
    lines = raw.splitlines()
    text = lines[line - 1].decode("utf-8", "replace") if line <= len(lines) else ""
    for quoted in re.findall(r"'([^']+)'|`([^`]+)`", message):
        value = quoted[0] or quoted[1]
        if value and value in text:
            return line, text.index(value) + 1
    return line, len(text) - len(text.lstrip()) + 1


def _clean_parser_message(message: str) -> str:
    """Drop the parser's own position prefix: the position travels separately."""
    message = re.sub(r"^Parser error (?:at|between) [^:]*?line \d+[^:]*: ", "", message)
    return re.sub(r"\s*\(line \d+\)$", "", message)


#: What XML 1.0 forbids, as UTF-8 bytes: C0 controls but tab, newline and carriage
#: return; U+FFFE and U+FFFF (lone surrogates cannot occur in UTF-8 that Rust wrote);
#: and character references to any of them.
_NOT_XML = re.compile(
    rb"[\x00-\x08\x0b\x0c\x0e-\x1f]|\xef\xbf[\xbe\xbf]"
    rb"|&#(?:0*(?:[0-8]|1[124-9]|2\d|3[01]|65534|65535)|[xX]0*(?:[0-8bcefBCEF]|1[0-9a-fA-F]|[fF]{3}[eEfF]));"
)
XML_REPLACEMENT = "\ufffd".encode("utf-8")


def xml_safe(data: bytes) -> bytes:
    """Replace the characters XML 1.0 forbids with U+FFFD, so the document is well-formed.

    Why: a literal may hold any Unicode character (U+0001 included), but an XML
    document may not, and the serialisers write them as they are; an XML parser then
    refuses the whole answer. Replacing them loses those characters only.
    """
    return _NOT_XML.sub(XML_REPLACEMENT, data)


#: A TSV cell holding a number with a sign, written the short Turtle way (-1.5).
_SIGNED_NUMBER = re.compile(rb"(?m)(?:(?<=\t)|^)([+-](?:[0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?)(?=\t|\r?$)")
_XSD = b"http://www.w3.org/2001/XMLSchema#"


def _typed_number(match: re.Match) -> bytes:
    kind = (
        b"double"
        if match.group(3)
        else b"decimal"
        if match.group(2) is not None or match.group(1)[1:2] == b"."
        else b"integer"
    )
    return b'"' + match.group(1) + b'"^^<' + _XSD + kind + b">"


def tsv_for_every_reader(data: bytes) -> bytes:
    """Write signed numbers of a TSV answer in the long form ``"-1.5"^^xsd:decimal``.

    Why: both forms are Turtle, so both are valid TSV, but rdflib's TSV reader (used by
    its SPARQLStore) fails on the short form of a negative number; the long form is read
    by every client. Unsigned numbers are left short: every reader takes those.
    """
    return _SIGNED_NUMBER.sub(_typed_number, data)


def serialize_triples(
    triples: Iterable[ox.Triple], fmt: RdfFormatInfo, prefixes: dict[str, str] | None = None
) -> bytes:
    """Serialise triples (a CONSTRUCT answer, a resource description) in an RDF format."""
    if fmt.name == "jsonld":
        from .jsonld import compact_triples

        return compact_triples(triples)
    kwargs = {"prefixes": prefixes} if prefixes and fmt.name in ("turtle", "trig", "rdfxml") else {}
    data = ox.serialize(list(triples), format=fmt.oxigraph, **kwargs)
    return xml_safe(data) if fmt.name == "rdfxml" else data


# --- SPARQL query results -----------------------------------------------------------


def term_to_json(term) -> dict:
    """Encode one RDF term as a SPARQL 1.1 JSON results binding."""
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
            out["datatype"] = term.datatype.value
        return out
    if isinstance(term, ox.Triple):
        return {
            "type": "triple",
            "value": {
                "subject": term_to_json(term.subject),
                "predicate": term_to_json(term.predicate),
                "object": term_to_json(term.object),
            },
        }
    raise TypeError(f"not an RDF term: {term!r}")


def select_to_json(variables: list[str], rows: Iterable[tuple]) -> bytes:
    bindings = [{var: term_to_json(value) for var, value in zip(variables, row) if value is not None} for row in rows]
    return json.dumps({"head": {"vars": variables}, "results": {"bindings": bindings}}, ensure_ascii=False).encode(
        "utf-8"
    )


def ask_to_json(value: bool) -> bytes:
    return json.dumps({"head": {}, "boolean": bool(value)}).encode()


def serialize_select(variables: list[str], rows: list[tuple], fmt: ResultFormatInfo) -> bytes:
    """Serialise SELECT rows; pyoxigraph writes XML/CSV/TSV from our JSON, to the letter of the specs."""
    data = select_to_json(variables, rows)
    if fmt.name == "json":
        return data
    solutions = ox.parse_query_results(data, format=ox.QueryResultsFormat.JSON)
    written = solutions.serialize(format=fmt.oxigraph)
    if fmt.name == "tsv":
        return tsv_for_every_reader(written)
    return xml_safe(written) if fmt.name == "xml" else written


def serialize_ask(value: bool, fmt: ResultFormatInfo) -> bytes:
    data = ask_to_json(value)
    if fmt.name == "json":
        return data
    return ox.parse_query_results(data, format=ox.QueryResultsFormat.JSON).serialize(format=fmt.oxigraph)


def result_format(name: str) -> ResultFormatInfo:
    key = name.strip().lower()
    if key in RESULT_FORMATS:
        return RESULT_FORMATS[key]
    for info in RESULT_FORMATS.values():
        if key == info.media_type:
            return info
    raise UsageError(f"unknown result format '{name}'", hint=f"Use one of: {', '.join(RESULT_FORMATS)}.")


def compact_iri(iri: str, prefixes: dict[str, str]) -> str:
    """Shorten an IRI with the longest matching prefix, for tables people read."""
    best = None
    for prefix, ns in prefixes.items():
        if iri.startswith(ns) and (best is None or len(ns) > len(prefixes[best])):
            best = prefix
    if best is None:
        return f"<{iri}>"
    return f"{best}:{iri[len(prefixes[best]) :]}"


def term_display(term, prefixes: dict[str, str] | None = None) -> str:
    """Render a term for a text table: compact IRIs, literals with their language."""
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        return compact_iri(term.value, prefixes or {})
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if isinstance(term, ox.Literal):
        return f"{term.value}@{term.language}" if term.language else term.value
    return str(term)


def select_to_table(variables: list[str], rows: list[tuple], prefixes: dict[str, str] | None = None) -> str:
    """Render SELECT rows as an aligned text table for the terminal."""
    cells = [[term_display(v, prefixes) for v in row] for row in rows]
    widths = [len(v) for v in variables]
    for row in cells:
        for i, cell in enumerate(row):
            widths[i] = min(max(widths[i], len(cell)), 60)

    def fit(text: str, width: int) -> str:
        return text if len(text) <= width else text[: width - 1] + "…"

    line = "+".join("-" * (w + 2) for w in widths)
    out = [" | ".join(fit(v, w).ljust(w) for v, w in zip(variables, widths)), line]
    out += [" | ".join(fit(c, w).ljust(w) for c, w in zip(row, widths)) for row in cells]
    out.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(out) + "\n"


def rows_as_csv(variables: list[str], rows: Iterable[tuple], delimiter: str = ",") -> str:
    """Write plain values (no RDF syntax) as CSV for spreadsheets."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(variables)
    for row in rows:
        writer.writerow(["" if v is None else v.value for v in row])
    return buffer.getvalue()


def iter_chunks(data: bytes, size: int = 1 << 16) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def negotiate(accept: str | None, offered: list[str]) -> str:
    """Pick the offered media type the Accept header prefers (q-values, wildcards, order).

    Raises :class:`NotAcceptable` when nothing offered is acceptable. With no Accept
    header the first offered type wins.
    """
    if not accept or not accept.strip():
        return offered[0]
    ranges = []
    for index, part in enumerate(accept.split(",")):
        fields = [f.strip() for f in part.split(";")]
        media = fields[0].lower()
        if not media:
            continue
        q = 1.0
        for param in fields[1:]:
            if param.lower().startswith("q="):
                try:
                    q = float(param[2:])
                except ValueError:
                    q = 0.0
        ranges.append((media, q, index))
    best, best_key = None, None
    for position, media_type in enumerate(offered):
        main, _, sub = media_type.partition("/")
        quality, specificity = None, -1
        for media, q, _ in ranges:
            m_main, _, m_sub = media.partition("/")
            if media == media_type:
                spec = 2
            elif m_main == main and m_sub == "*":
                spec = 1
            elif media == "*/*":
                spec = 0
            else:
                continue
            if spec > specificity:
                quality, specificity = q, spec
        if quality is None or quality <= 0:
            continue
        key = (quality, specificity, -position)
        if best_key is None or key > best_key:
            best, best_key = media_type, key
    if best is None:
        raise NotAcceptable(
            f"none of the requested media types ({accept}) can be produced here",
            hint=f"Ask for one of: {', '.join(offered)}.",
        )
    return best
