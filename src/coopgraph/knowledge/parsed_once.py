"""rdflib's SPARQL processor, parsing each query text once, for pySHACL's reference runs.

pySHACL asks a SPARQL constraint's query once per focus node, as the same text with the
focus node passed as an initial binding, and rdflib parses text afresh each time: on the
curated graph, 3,811 parses of 222 texts were four fifths of pySHACL's time. rdflib
evaluates a translated query with any initial bindings (that is what its prepared queries
are), so the translation is kept by text for the length of one validation.

Kept apart from :mod:`.validation` so that importing the validator does not build
rdflib's SPARQL grammar: only the pySHACL reference needs it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rdflib import plugin
from rdflib.plugins.sparql.algebra import translateQuery
from rdflib.plugins.sparql.parser import parseQuery
from rdflib.plugins.sparql.processor import SPARQLProcessor
from rdflib.query import Processor


class ParsedOnceProcessor(SPARQLProcessor):
    """A SPARQLProcessor that translates each (text, base, prefixes) once while it is registered."""

    translated: dict[tuple, Any] = {}

    def query(self, strOrQuery, initBindings=None, initNs=None, base=None, DEBUG=False):  # noqa: N803 - rdflib's names
        if isinstance(strOrQuery, str):
            key = (strOrQuery, base, tuple(sorted((initNs or {}).items())))
            if key not in self.translated:
                self.translated[key] = translateQuery(parseQuery(strOrQuery), base, initNs)
            strOrQuery = self.translated[key]
        return super().query(strOrQuery, initBindings, initNs, base, DEBUG)


@contextmanager
def each_sparql_text_parsed_once() -> Iterator[dict[tuple, Any]]:
    """Make rdflib's "sparql" processor a :class:`ParsedOnceProcessor` for the duration, then restore it.

    Yields the translations kept, by text. The registration is process-wide: meant for
    the reference validation, which nothing else runs beside.
    """
    ParsedOnceProcessor.translated = translated = {}
    plugin.register("sparql", Processor, __name__, ParsedOnceProcessor.__name__)
    try:
        yield translated
    finally:
        plugin.register("sparql", Processor, "rdflib.plugins.sparql.processor", SPARQLProcessor.__name__)
        ParsedOnceProcessor.translated = {}
