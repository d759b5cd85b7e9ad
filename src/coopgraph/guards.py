"""Depth guards: refuse nested SPARQL or RDF before any parser sees it.

Why: the parsers behind the site (pyoxigraph's SPARQL and JSON-LD parsers among them)
descend recursively, one stack frame per level of nesting. A 10 KB query of 2,500
nested groups, or a JSON-LD document of 10,000 nested objects, overflows the stack and
the process dies (SIGSEGV) with every request it was serving. Each guard here is one
linear scan with no recursion of its own: it skips what cannot nest (strings, IRIs,
comments) and counts what makes a recursive-descent parser recurse. Past the limit the
input is refused with a 400 that names the limit and the setting that changes it.

The scans are conservative: an unterminated string or IRI is read as ending the text
(the parser would reject it anyway), and a stray bracket counts. They never accept what
they should refuse; at worst they refuse a malformed text a little earlier than the
parser would.
"""

from __future__ import annotations

import re

from .errors import InputTooDeep, QueryTooDeep

#: Far above any real query (the stored ones nest at most a dozen levels) and far below
#: the ~2,500 levels at which pyoxigraph's SPARQL parser overflows its stack.
DEFAULT_MAX_QUERY_DEPTH = 100
#: The same for RDF documents (RDF/XML spends two levels per nested node).
DEFAULT_MAX_RDF_DEPTH = 100

#: Characters a SPARQL / Turtle scan stops at; everything else is skipped in bulk.
_SPARQL_STOPS = re.compile(r"""[{}()\[\]!\-+^#'"<>\\]""")
_TURTLE_STOPS = re.compile(r"""[{}()\[\]#'"<>]""")
_JSON_STOPS = re.compile(r'[{}\[\]"]')
#: The rest of a string once its opening quote is read (escapes skipped, no line breaks in short ones).
_STRING_ENDS = {
    "'''": re.compile(r"(?:[^'\\]|\\.|'(?!''))*'''", re.DOTALL),
    '"""': re.compile(r'(?:[^"\\]|\\.|"(?!""))*"""', re.DOTALL),
    "'": re.compile(r"(?:[^'\\\n\r]|\\.)*'"),
    '"': re.compile(r'(?:[^"\\\n\r]|\\.)*"'),
}
_JSON_STRING_END = re.compile(r'(?:[^"\\]|\\.)*"', re.DOTALL)
#: The rest of an IRI after '<' (SPARQL and Turtle IRIREF); failing, '<' is an operator.
_IRI_END = re.compile(r'[^<>"{}|^`\\\x00-\x20]*>')
_OPENERS = "{(["
_CLOSERS = "})]"


def query_depth(text: str, *, stop_above: int | None = None) -> int:
    """Return how deep a SPARQL text nests: groups, brackets, and chains of unary operators.

    Each of ``{ ( [`` and ``<<`` opens a level; a run of unary operators (``! - + ^``
    with only spaces between them, as in ``!!!!x``) adds one level per operator on top
    of the brackets around it. ``stop_above`` ends the scan as soon as that is passed.
    """
    return _scan(text, _SPARQL_STOPS, unary=True, stop_above=stop_above)[0]


def turtle_depth(text: str, *, stop_above: int | None = None) -> int:
    """Return how deep Turtle, TriG, N-Triples or N-Quads nests (``[ ( {`` and ``<<``)."""
    return _scan(text, _TURTLE_STOPS, unary=False, stop_above=stop_above)[0]


def _scan(text: str, stops: re.Pattern, *, unary: bool, stop_above: int | None) -> tuple[int, int]:
    """(deepest level, offset where it was reached) of a SPARQL-like text."""
    depth = deepest = where = 0
    run, run_end = 0, -1  # the current chain of unary operators and where it ended
    length = len(text)
    position = 0
    search = stops.search
    while True:
        match = search(text, position)
        if match is None:
            break
        at = match.start()
        char = text[at]
        position = at + 1
        if char in _OPENERS:
            depth += 1
        elif char in _CLOSERS:
            depth = max(depth - 1, 0)
        elif char == "#":
            newline = text.find("\n", at)
            position = length if newline < 0 else newline + 1
            continue
        elif char in "'\"":
            quote = char * 3 if text.startswith(char * 3, at) else char
            end = _STRING_ENDS[quote].match(text, at + len(quote))
            if end is None:
                break  # an unterminated string: the rest is its text
            position = end.end()
            continue
        elif char == "<":
            if text.startswith("<<", at):
                depth += 1
                position = at + 2
            else:
                end = _IRI_END.match(text, at + 1)
                if end is not None:
                    position = end.end()
                continue
        elif char == ">":
            if text.startswith(">>", at):
                depth = max(depth - 1, 0)
                position = at + 2
            continue
        elif char == "\\":
            position = at + 2  # an escaped character in a local name
            continue
        elif unary:
            if char == "!" and text.startswith("!=", at):
                position = at + 2
                continue
            run = run + 1 if run_end >= 0 and text[run_end:at].isspace() or run_end == at else 1
            run_end = at + 1
            level = depth + run
            if level > deepest:
                deepest, where = level, at
                if stop_above is not None and deepest > stop_above:
                    break
            continue
        if depth > deepest:
            deepest, where = depth, at
            if stop_above is not None and deepest > stop_above:
                break
    return deepest, where


def json_depth(text: str, *, stop_above: int | None = None) -> int:
    """Return how deep a JSON text nests (``{`` and ``[`` outside strings)."""
    depth = deepest = 0
    position = 0
    search = _JSON_STOPS.search
    while True:
        match = search(text, position)
        if match is None:
            break
        at = match.start()
        char = text[at]
        position = at + 1
        if char == '"':
            end = _JSON_STRING_END.match(text, position)
            if end is None:
                break
            position = end.end()
        elif char in "{[":
            depth += 1
            if depth > deepest:
                deepest = depth
                if stop_above is not None and deepest > stop_above:
                    break
        else:
            depth = max(depth - 1, 0)
    return deepest


def xml_depth(data: bytes, *, stop_above: int | None = None) -> int:
    """Return how deep an XML document's elements nest, read by expat (no entity is loaded).

    expat keeps its own stack on the heap, so a deep document cannot hurt this reader;
    a document that is not well-formed XML counts up to where it breaks.
    """
    from xml.parsers import expat

    depth = deepest = 0

    class _Deep(Exception):
        pass

    def start(name, attributes) -> None:
        nonlocal depth, deepest
        depth += 1
        if depth > deepest:
            deepest = depth
            if stop_above is not None and deepest > stop_above:
                raise _Deep()

    def end(name) -> None:
        nonlocal depth
        depth -= 1

    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    try:
        parser.Parse(data, True)
    except (_Deep, expat.ExpatError):
        pass
    return deepest


def check_query(text: str, max_depth: int | None = DEFAULT_MAX_QUERY_DEPTH) -> None:
    """Refuse a SPARQL text (query or update) that nests deeper than ``max_depth`` (None: no limit)."""
    if max_depth is None or max_depth <= 0:
        return
    deepest, where = _scan(text, _SPARQL_STOPS, unary=True, stop_above=max_depth)
    if deepest > max_depth:
        line = text.count("\n", 0, where) + 1
        raise QueryTooDeep(
            f"the query nests more than {max_depth} levels deep (groups, brackets and unary operators; "
            f"line {line}); the limit is the max_query_depth setting",
            hint="Flatten the query: fewer nested groups, parentheses or repeated operators.",
            details={"limit": max_depth, "setting": "max_query_depth", "line": line},
        )


def check_rdf(
    data: bytes | str, format_name: str, max_depth: int | None = DEFAULT_MAX_RDF_DEPTH, *, source: str = "<input>"
) -> None:
    """Refuse an RDF document (any format taken anywhere) that nests deeper than ``max_depth``.

    Turtle, TriG, N-Triples and N-Quads count ``[ ( {`` and ``<<``; JSON-LD the JSON
    nesting of objects and arrays; RDF/XML the depth of its elements.
    """
    if max_depth is None or max_depth <= 0:
        return
    if format_name == "rdfxml":
        raw = data.encode("utf-8") if isinstance(data, str) else data
        deepest = xml_depth(raw, stop_above=max_depth)
        what = "XML elements"
    else:
        text = data if isinstance(data, str) else data.decode("utf-8", "replace")
        if format_name == "jsonld":
            deepest, what = json_depth(text, stop_above=max_depth), "JSON objects and arrays"
        else:
            deepest, what = turtle_depth(text, stop_above=max_depth), "brackets"
    if deepest > max_depth:
        raise InputTooDeep(
            f"{source}: the {format_name} document nests more than {max_depth} levels deep ({what}); "
            "the limit is the max_rdf_depth setting",
            hint="Flatten the data: give nested resources their own IRIs and describe them at the top level.",
            details={"limit": max_depth, "setting": "max_rdf_depth", "source": source},
        )
