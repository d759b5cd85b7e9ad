"""Why the reasoner added a fact: the rule and the ontology axiom behind an inferred statement.

Why on demand rather than recorded while reasoning: a record per inferred triple would
double the inferred graph (millions of triples at scale) for the few dozen a page shows.
Running a rule backwards for one page is a handful of small queries: each rule's conclusion
is bound to the page's inferred statements, its schema side comes from the ontology graph and
its premises from any other graph. The first derivation found is given; the premises may
themselves be inferred (a chain), which the reader can follow on the premise's own page.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pyoxigraph as ox

from .reasoning import PREFIXES, RULES, pattern_terms, schema_bindings

#: Where the rules are defined: the OWL 2 RL profile's rule tables.
RULES_REFERENCE = "https://www.w3.org/TR/owl2-profiles/#Reasoning_in_OWL_2_RL_and_RDF_Graphs_using_Rules"


@dataclass(frozen=True)
class Derivation:
    """One way the reasoner reached a statement."""

    rule: str  # the OWL 2 RL rule name(s), e.g. "prp-inv1"
    axiom: dict[str, str]  # the schema side: rule variable -> IRI (e.g. {"p": ..., "q": ...})
    premises: tuple[tuple[object, object, object], ...]  # the data statements the rule used

    def to_dict(self) -> dict:
        return {
            "rule": self.rule,
            "ruleReference": RULES_REFERENCE,
            "axiom": dict(self.axiom),
            "premises": [[_text(t) for t in triple] for triple in self.premises],
        }


def _text(term) -> str:
    return term.value if isinstance(term, ox.NamedNode | ox.Literal | ox.BlankNode) else str(term)


def _term_sparql(term) -> str | None:
    """A term as SPARQL text for a VALUES row; None for a blank node (VALUES cannot hold one)."""
    if isinstance(term, ox.BlankNode):
        return None
    return str(term)


def explain(
    store,
    statements: Iterable[tuple[object, object, object]],
    *,
    ontology_graph: str,
    hidden_graphs: Iterable[str] = (),
) -> dict[tuple, Derivation]:
    """Find a derivation for each (subject, predicate, object) of pyoxigraph terms.

    Statements no rule explains (say, inferred before the ontology changed) are absent from
    the answer. ``hidden_graphs`` (the shapes) never count as premises; neither does the
    ontology, whose triples are the axioms.
    """
    wanted = list(dict.fromkeys(s for s in statements if all(_term_sparql(t) for t in s)))
    if not wanted:
        return {}
    bindings = schema_bindings(store, ontology_graph)
    excluded = ", ".join(f"<{g}>" for g in [ontology_graph, *hidden_graphs])
    found: dict[tuple, Derivation] = {}
    for name, _schema, atoms, conclusion, condition in RULES:
        variables, rows = bindings.get(name, ([], []))
        if not rows:
            continue
        pending = [s for s in wanted if s not in found]
        if not pending:
            break
        head = pattern_terms(conclusion)
        head_variables = [part[1:] for part in head if part.startswith("?")]
        candidates = []
        for statement in pending:
            values = []
            for part, term in zip(head, statement, strict=True):
                if part.startswith("?"):
                    values.append(_term_sparql(term))
                elif part != str(term):
                    break
            else:
                candidates.append((statement, values))
        if not candidates:
            continue
        # A head variable that the schema also binds (prp-symp's ?p) is joined through both VALUES blocks.
        head_values = " ".join("(" + " ".join(v) + ")" for _, v in candidates)
        schema_values = " ".join("(" + " ".join(str(t) for t in row) + ")" for row in rows)
        premises = " ".join(
            f"GRAPH ?_g{i} {{ {atom} }} FILTER(?_g{i} NOT IN ({excluded}))" for i, atom in enumerate(atoms)
        )
        atom_variables = list(dict.fromkeys(v for atom in atoms for v in pattern_terms(atom) if v.startswith("?")))
        selected = list(
            dict.fromkeys([*(f"?{v}" for v in head_variables), *(f"?{v}" for v in variables), *atom_variables])
        )
        query = (
            f"{PREFIXES}SELECT DISTINCT {' '.join(selected)} WHERE {{\n"
            f"  VALUES ({' '.join('?' + v for v in head_variables)}) {{ {head_values} }}\n"
            f"  VALUES ({' '.join('?' + v for v in variables)}) {{ {schema_values} }}\n"
            f"  {premises} {condition}\n}}"
        )
        by_head = {tuple(v): statement for statement, v in candidates}
        for row in store.select(query):
            key = tuple(_term_sparql(row.get(v)) for v in head_variables)
            statement = by_head.get(key)
            if statement is None or statement in found:
                continue
            premise_triples = tuple(
                tuple(
                    row.get(part[1:]) if part.startswith("?") else ox.NamedNode(part[1:-1])
                    for part in pattern_terms(atom)
                )
                for atom in atoms
            )
            found[statement] = Derivation(
                rule=name,
                axiom={v: row[v].value for v in variables if row.get(v) is not None},
                premises=premise_triples,
            )
    return found
