"""Statement-level sources: how many asserted statements of data/ name the source that supports them.

A statement's source is a reified record (``rdf:Statement`` with ``rdf:subject``, ``rdf:predicate``,
``rdf:object`` and ``dct:source``) in the data file ``statement-sources``. Reification is plain RDF 1.1,
so both backends hold it, every export format carries it, and SPARQL 1.1 queries it without RDF-star;
the records assert nothing, so reasoning and the shapes never take a recorded triple as a fact.
The build reports the share of statements with such a record and fails below a set minimum.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..namespaces import Iris
from ..store.base import Store

#: The data file (and so the named graph ``data/<stem>``) that holds the statement records.
STATEMENT_SOURCES_STEM = "statement-sources"
#: Data files whose statements are not counted: the source register describes the sources themselves.
NOT_COUNTED_STEMS = ("sources", STATEMENT_SOURCES_STEM)


@dataclass(frozen=True)
class Coverage:
    """How many asserted data statements (``dct:source`` summaries left out) have a statement-level source."""

    statements: int
    sourced: int

    @property
    def share(self) -> float:
        return self.sourced / self.statements if self.statements else 1.0

    @property
    def unsourced(self) -> int:
        return self.statements - self.sourced

    def to_dict(self) -> dict:
        return {"statements": self.statements, "sourced": self.sourced, "share": round(self.share, 4)}

    def to_text(self) -> str:
        return (f"Statement sources: {self.sourced:,} of {self.statements:,} statements "
                f"({self.share:.1%}) name their source; {self.unsourced:,} do not")


def counted_graphs(store: Store, iris: Iris) -> list[str]:
    """The named graphs of the curated data files whose statements need a source."""
    skipped = {iris.data_graph(stem) for stem in NOT_COUNTED_STEMS}
    prefix = iris.graph_base + "data/"
    return sorted(g for g in store.graphs() if g.startswith(prefix) and g not in skipped)


def coverage_query(graphs: list[str], records_graph: str) -> str:
    """One SPARQL 1.1 query counting the statements of ``graphs`` and those with a record in ``records_graph``."""
    values = " ".join(f"<{g}>" for g in graphs)
    return f"""
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX dct: <http://purl.org/dc/terms/>
SELECT (COUNT(*) AS ?statements) (SUM(IF(?sourced, 1, 0)) AS ?withSource) WHERE {{
  SELECT DISTINCT ?s ?p ?o ?sourced WHERE {{
    VALUES ?g {{ {values} }}
    GRAPH ?g {{ ?s ?p ?o }}
    FILTER(?p != dct:source)
    BIND(EXISTS {{ GRAPH <{records_graph}> {{
      ?record rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o ; dct:source ?source }} }} AS ?sourced)
  }}
}}"""


def statement_coverage(store: Store) -> Coverage:
    """Count the asserted data statements and those with a statement-level source."""
    iris = store.iris
    graphs = counted_graphs(store, iris)
    if not graphs:
        return Coverage(0, 0)
    rows = store.select(coverage_query(graphs, iris.data_graph(STATEMENT_SOURCES_STEM)))
    row = rows[0] if rows else {}
    return Coverage(int(_number(row.get("statements"))), int(_number(row.get("withSource"))))


def _number(term) -> int:
    if term is None:
        return 0
    return int(getattr(term, "value", term))
