"""Statement-level sources: how many asserted statements of data/ name the source that supports them.

A statement's source is a reified record (``rdf:Statement`` with ``rdf:subject``, ``rdf:predicate``,
``rdf:object`` and ``dct:source``) in the data file ``statement-sources``. Reification is plain RDF 1.1,
so both backends hold it, every export format carries it, and SPARQL 1.1 queries it without RDF-star;
the records assert nothing, so reasoning and the shapes never take a recorded triple as a fact.
The build reports the share of statements with such a record and fails below a set minimum, and says how
many of them rest on the project's own editorial decision only (a source typed ``cg:EditorialSource``, such
as the arrangement of the theme scheme): those are covered honestly, but no external source states them.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..namespaces import Iris
from ..store.base import Store

#: The data file (and so the named graph ``data/<stem>``) that holds the statement records.
STATEMENT_SOURCES_STEM = "statement-sources"
#: The data file that registers the sources, typed (so an editorial source is told from an external one).
SOURCE_REGISTER_STEM = "sources"
#: Data files whose statements are not counted: the source register describes the sources themselves.
NOT_COUNTED_STEMS = (SOURCE_REGISTER_STEM, STATEMENT_SOURCES_STEM)
EDITORIAL_SOURCE = "https://w3id.org/coopgraph/ontology#EditorialSource"


@dataclass(frozen=True)
class Coverage:
    """How many asserted data statements (``dct:source`` summaries left out) have a statement-level source."""

    statements: int
    sourced: int
    #: Of the sourced statements, those whose every source is editorial (the project's own decision).
    editorial: int = 0

    @property
    def share(self) -> float:
        return self.sourced / self.statements if self.statements else 1.0

    @property
    def unsourced(self) -> int:
        return self.statements - self.sourced

    def to_dict(self) -> dict:
        return {
            "statements": self.statements,
            "sourced": self.sourced,
            "editorial": self.editorial,
            "share": round(self.share, 4),
        }

    def to_text(self) -> str:
        return (
            f"Statement sources: {self.sourced:,} of {self.statements:,} statements "
            f"({self.share:.1%}) name their source ({self.editorial:,} editorial only); {self.unsourced:,} do not"
        )


def counted_graphs(store: Store, iris: Iris) -> list[str]:
    """The named graphs of the curated data files whose statements need a source."""
    skipped = {iris.data_graph(stem) for stem in NOT_COUNTED_STEMS}
    prefix = iris.graph_base + "data/"
    return sorted(g for g in store.graphs() if g.startswith(prefix) and g not in skipped)


def coverage_queries(graphs: list[str], records_graph: str) -> tuple[str, str]:
    """Two SPARQL 1.1 counts: the statements of ``graphs``, and those with a record in ``records_graph``.

    The second joins the records with the statements (one pass each) rather than asking EXISTS per statement.
    """
    values = " ".join(f"<{g}>" for g in graphs)
    prologue = "PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>\nPREFIX dct: <http://purl.org/dc/terms/>\n"
    statements = f"VALUES ?g {{ {values} }} GRAPH ?g {{ ?s ?p ?o }} FILTER(?p != dct:source)"
    # one graph holds each statement once: no DISTINCT to hash them all
    distinct = "DISTINCT" if len(graphs) > 1 else ""
    total = prologue + f"SELECT (COUNT(*) AS ?n) WHERE {{ SELECT {distinct} ?s ?p ?o WHERE {{ {statements} }} }}"
    sourced = prologue + (
        f"SELECT (COUNT(*) AS ?n) WHERE {{ SELECT DISTINCT ?s ?p ?o WHERE {{ "
        f"GRAPH <{records_graph}> {{ ?r rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o ; "
        f"dct:source ?source }} {statements} }} }}"
    )
    return total, sourced


def editorial_query(graphs: list[str], records_graph: str, register_graph: str) -> str:
    """Count the statements of ``graphs`` whose records name editorial sources and nothing else.

    A statement counts when it has a record with an editorial source and no record with any other source,
    so a fact that an external source states is never counted here, whatever else its records name.
    """
    values = " ".join(f"<{g}>" for g in graphs)
    record = "?r rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o ; dct:source"
    return (
        "PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>\nPREFIX dct: <http://purl.org/dc/terms/>\n"
        f"SELECT (COUNT(*) AS ?n) WHERE {{ SELECT DISTINCT ?s ?p ?o WHERE {{ "
        f"GRAPH <{records_graph}> {{ {record} ?source }} "
        f"GRAPH <{register_graph}> {{ ?source a <{EDITORIAL_SOURCE}> }} "
        f"VALUES ?g {{ {values} }} GRAPH ?g {{ ?s ?p ?o }} "
        f"FILTER NOT EXISTS {{ GRAPH <{records_graph}> {{ ?other rdf:subject ?s ; rdf:predicate ?p ; "
        f"rdf:object ?o ; dct:source ?external }} "
        f"FILTER NOT EXISTS {{ GRAPH <{register_graph}> {{ ?external a <{EDITORIAL_SOURCE}> }} }} }} }} }}"
    )


def has_records(store: Store) -> bool:
    """True when the data holds statement records (the curated project does; a small test project may not)."""
    return store.iris.data_graph(STATEMENT_SOURCES_STEM) in store.graphs()


def statement_coverage(store: Store, *, graphs: list[str] | None = None) -> Coverage:
    """Count the asserted data statements, those with a statement-level source, and the editorial-only ones.

    ``graphs`` are the graphs whose statements count (by default, :func:`counted_graphs`);
    the build passes one graph that holds them all, merged.
    """
    iris = store.iris
    graphs = counted_graphs(store, iris) if graphs is None else graphs
    if not graphs:
        return Coverage(0, 0)
    records = iris.data_graph(STATEMENT_SOURCES_STEM)
    total, sourced = coverage_queries(graphs, records)
    if not has_records(store):  # nothing is sourced (the engine would still read every statement to join)
        return Coverage(_count(store, total), 0)
    editorial = editorial_query(graphs, records, iris.data_graph(SOURCE_REGISTER_STEM))
    return Coverage(_count(store, total), _count(store, sourced), _count(store, editorial))


def _count(store: Store, sparql: str) -> int:
    rows = store.select(sparql)
    term = rows[0].get("n") if rows else None
    return int(getattr(term, "value", term)) if term is not None else 0
