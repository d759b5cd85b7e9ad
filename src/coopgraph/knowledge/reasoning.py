"""OWL 2 RL entailments of the ontology over the data, kept in their own inferred graph.

Why not owlrl over the whole graph: its closure takes seconds for ten thousand triples
and minutes for a million, because it applies every OWL 2 RL rule in Python. The
ontology only uses a handful of constructs, so the rules for those run here as SPARQL
updates inside the store until nothing new appears. The schema side of each rule is read
from the ontology graph, so a new axiom of a supported kind needs no code. A test checks
that the result equals owlrl's closure on the curated data.

Supported rules (names from the OWL 2 RL profile, section 4.3):
cax-sco, cax-eqc1/2 (class hierarchy and equivalence), prp-spo1, prp-eqp1/2 (property
hierarchy and equivalence), prp-dom, prp-rng, prp-inv1/2, prp-symp, prp-trp, and
prp-spo2 for property chains of two properties.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from dataclasses import dataclass, field

from ..namespaces import RDF_TYPE

log = logging.getLogger(__name__)

PREFIXES = """PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
"""

# Each rule: (name, schema pattern (evaluated in the ontology graph), data atoms, conclusion,
# condition on the atoms' variables). The conclusion is added to the inferred graph unless
# it already holds in one of the graphs reasoned over.
RULES: list[tuple[str, str, tuple[str, ...], str, str]] = [
    (
        "cax-sco/cax-eqc",
        "?c (rdfs:subClassOf|owl:equivalentClass|^owl:equivalentClass)+ ?d . FILTER(isIRI(?d) && ?c != ?d)",
        ("?x a ?c",),
        "?x a ?d",
        "",
    ),
    (
        "prp-spo1/prp-eqp",
        "?p (rdfs:subPropertyOf|owl:equivalentProperty|^owl:equivalentProperty)+ ?q . FILTER(isIRI(?q) && ?p != ?q)",
        ("?x ?p ?y",),
        "?x ?q ?y",
        "",
    ),
    ("prp-dom", "?p rdfs:domain ?c . FILTER(isIRI(?c))", ("?x ?p ?y",), "?x a ?c", ""),
    (
        "prp-rng",
        "?p rdfs:range ?c . FILTER(isIRI(?c)) FILTER NOT EXISTS { ?c a rdfs:Datatype } "
        "FILTER(!STRSTARTS(STR(?c), 'http://www.w3.org/2001/XMLSchema#') "
        "&& ?c != rdfs:Literal && ?c != rdf:langString)",
        ("?x ?p ?y",),
        "?y a ?c",
        "FILTER(!isLiteral(?y))",
    ),
    ("prp-inv1", "?p owl:inverseOf ?q .", ("?x ?p ?y",), "?y ?q ?x", "FILTER(!isLiteral(?y))"),
    ("prp-inv2", "?p owl:inverseOf ?q .", ("?x ?q ?y",), "?y ?p ?x", "FILTER(!isLiteral(?y))"),
    ("prp-symp", "?p a owl:SymmetricProperty .", ("?x ?p ?y",), "?y ?p ?x", "FILTER(!isLiteral(?y))"),
    ("prp-trp", "?p a owl:TransitiveProperty .", ("?x ?p ?y", "?y ?p ?z"), "?x ?p ?z", ""),
    (
        "prp-spo2",
        "?p owl:propertyChainAxiom ?list . ?list rdf:first ?p1 ; rdf:rest ?rest . "
        "?rest rdf:first ?p2 ; rdf:rest rdf:nil .",
        ("?x ?p1 ?y", "?y ?p2 ?z"),
        "?x ?p ?z",
        "",
    ),
]


@dataclass
class ReasoningReport:
    rounds: int = 0
    inferred: int = 0
    seconds: float = 0.0
    #: new triples each round drew that a later round reads (see :func:`reason`)
    per_round: list[int] = field(default_factory=list)


#: Rules whose schema side is a hierarchy: the direct edges (?from ?to), closed transitively
#: in Python rather than with a property path (Virtuoso evaluates `(a|b)+` with both ends
#: open to nothing, and the ontology's hierarchy is small).
HIERARCHY_EDGES: dict[str, tuple[str, str, str]] = {
    "cax-sco/cax-eqc": (
        "{ ?c rdfs:subClassOf ?d } UNION { ?c owl:equivalentClass ?d } UNION { ?d owl:equivalentClass ?c }",
        "c",
        "d",
    ),
    "prp-spo1/prp-eqp": (
        "{ ?p rdfs:subPropertyOf ?q } UNION { ?p owl:equivalentProperty ?q } UNION { ?q owl:equivalentProperty ?p }",
        "p",
        "q",
    ),
}

_VARIABLE = re.compile(r"[?$]([A-Za-z_][A-Za-z0-9_]*)")


def _variables(pattern: str) -> list[str]:
    return list(dict.fromkeys(_VARIABLE.findall(pattern)))


def schema_bindings(store, ontology_graph: str) -> dict[str, tuple[list[str], list[tuple]]]:
    """Evaluate the schema side of every rule once: rule name -> (variables, rows of terms).

    The ontology does not change while reasoning runs, so each rule's schema pattern is
    answered once and handed to its update as a VALUES block; a rule without rows (a
    construct the ontology does not use) is skipped altogether.
    """
    import pyoxigraph as ox

    out: dict[str, tuple[list[str], list[tuple]]] = {}
    for name, schema, atoms, conclusion, condition in RULES:
        variables = [v for v in _variables(schema) if v in set(_variables(" ".join(atoms) + conclusion))]
        if name in HIERARCHY_EDGES:
            edges_pattern, source, target = HIERARCHY_EDGES[name]
            edges = store.select(
                f"{PREFIXES}SELECT DISTINCT ?{source} ?{target} WHERE {{ {edges_pattern} }}",
                default_graphs=[ontology_graph],
                named_graphs=[],
            )
            rows = sorted(_closure([(e[source], e[target]) for e in edges if source in e and target in e]), key=str)
            rows = [(a, b) for a, b in rows if isinstance(b, ox.NamedNode) and a != b]
            variables = [source, target]
        else:
            result = store.query(
                f"{PREFIXES}SELECT DISTINCT {' '.join('?' + v for v in variables)} WHERE {{ {schema} }}",
                default_graphs=[ontology_graph],
                named_graphs=[],
            )
            rows = [tuple(row) for row in result.rows]
        # VALUES cannot hold blank nodes; an anonymous class or property never appears in data anyway.
        out[name] = (
            variables,
            [row for row in rows if all(t is not None and not isinstance(t, ox.BlankNode) for t in row)],
        )
    return out


def _closure(edges: list[tuple]) -> set[tuple]:
    """The transitive closure of a small set of edges."""
    successors: dict = {}
    for a, b in edges:
        successors.setdefault(a, set()).add(b)
    closed = set()
    for start in successors:
        seen, stack = set(), list(successors[start])
        while stack:
            node = stack.pop()
            if node in seen:
                continue
            seen.add(node)
            stack.extend(successors.get(node, ()))
        closed.update((start, node) for node in seen)
    return closed


def rule_updates(
    data_graphs: list[str],
    ontology_graph: str,
    inferred_graph: str,
    bindings: dict[str, tuple[list[str], list[tuple]]] | None = None,
    *,
    deltas: dict[tuple[str, int], list[str]] | None = None,
    new_graphs: dict[str, str] | None = None,
    hashed: frozenset[tuple[str, int]] = frozenset(),
) -> list[tuple[str, str]]:
    """Return (rule name, SPARQL update) for every rule over the given graphs.

    Without ``bindings`` each update finds its schema rows itself (a subquery on the
    ontology graph); with the rows of :func:`schema_bindings` it gets them as a VALUES
    block, and rules without rows are left out.

    Each data atom and the "already holds" check match ``GRAPH ?g`` filtered to the
    graphs reasoned over, rather than a default graph made of those graphs: the store
    then answers each lookup from one index scan instead of one per graph, which makes
    the check five times faster with a dozen data files.

    Semi-naive evaluation: with ``deltas`` ((rule name, atom index) -> the graphs of
    last round's new triples that atom must see), a rule only fires when one of its atoms
    matches a new triple, one update per atom and graph it must read; with
    ``new_graphs`` (rule name -> graph) each rule also records its conclusions in a graph
    of its own, from which the next round's deltas are chosen (see :func:`delta_sources`).
    A premise in ``hashed`` reads all its graphs of new triples in one update, and leaves
    out what already holds with MINUS rather than NOT EXISTS, as round one does.
    """
    graphs = ", ".join(f"<{g}>" for g in [*data_graphs, inferred_graph])
    updates = []
    for name, schema, atoms, conclusion, condition in RULES:
        if bindings is None:
            source = f"{{ SELECT DISTINCT * WHERE {{ GRAPH <{ontology_graph}> {{ {schema} }} }} }}"
        else:
            variables, rows = bindings.get(name, ([], []))
            if not rows:
                continue
            values = "\n    ".join("(" + " ".join(str(t) for t in row) + ")" for row in rows)
            source = f"VALUES ({' '.join('?' + v for v in variables)}) {{\n    {values}\n  }}"
        target = f"GRAPH <{inferred_graph}> {{ {conclusion} }}"
        if new_graphs and name in new_graphs:
            target += f" GRAPH <{new_graphs[name]}> {{ {conclusion} }}"
        # Two ways to leave out what already holds: MINUS reads the held triples the rule could
        # draw once and hashes them, NOT EXISTS looks each candidate up, which took longer the
        # more triples its subject has in pyoxigraph's in-memory store. Round one and large
        # sets of new triples (``hashed``) take MINUS (10M: round one 186 -> 137 s).
        holds = _in_graphs(conclusion, "?_h", graphs)
        # for MINUS: the held triples, restricted to the schema values the rule can conclude
        held = f"{_held_values(conclusion, bindings[name])} {holds}" if bindings is not None else holds
        if deltas is None:
            steps = [(None, None)]
        else:
            steps = []
            for i in range(len(atoms)):
                read = deltas.get((name, i), [])
                if read and (name, i) in hashed:
                    steps.append((i, read))
                else:  # one update per graph: a premise is looked up fastest in one named graph
                    steps += [(i, [g]) for g in read]
        for fresh, read in steps:
            matches = "\n  ".join(
                " UNION ".join(f"{{ GRAPH <{g}> {{ {atom} }} }}" for g in read)
                if i == fresh
                else _in_graphs(atom, f"?_g{i}", graphs)
                for i, atom in enumerate(atoms)
            )
            if bindings is not None and (fresh is None or (name, fresh) in hashed):
                where = f"{{\n  {source}\n  {matches}\n  {condition}\n}} MINUS {{ {held} }}"
            else:
                where = f"{source}\n  {matches}\n  {condition}\n  FILTER NOT EXISTS {{ {holds} }}"
            updates.append((name, f"{PREFIXES}INSERT {{ {target} }}\nWHERE {{\n  {where}\n}}"))
    return updates


def _held_values(conclusion: str, binding: tuple[list[str], list[tuple]]) -> str:
    """A VALUES block of the schema values a conclusion can take (its classes or properties)."""
    variables, rows = binding
    used = [v for v in _variables(conclusion) if v in variables]
    if not used:
        return ""
    columns = [variables.index(v) for v in used]
    distinct = sorted({tuple(str(row[c]) for c in columns) for row in rows})
    values = " ".join("(" + " ".join(row) + ")" for row in distinct)
    return f"VALUES ({' '.join('?' + v for v in used)}) {{ {values} }}"


def _in_graphs(pattern: str, variable: str, graphs: str) -> str:
    """``pattern`` matched in any of ``graphs`` (a SPARQL list of IRIs)."""
    return f"GRAPH {variable} {{ {pattern} }} FILTER({variable} IN ({graphs}))"


#: A premise reads its new triples all at once, and what already holds is hashed (MINUS),
#: when they are at least 1/HASHED_SHARE of what round one drew for later rounds to read;
#: smaller sets are looked up. At 10M and 1M alike this hashes round two's premises and
#: not round three's, which took 25 s hashed against 15-17 s looked up at 10M.
HASHED_SHARE = 5

#: The hierarchy rules' schema rows are the transitive closure, so what such a rule drew
#: is closed under it already: it need not read its own conclusions again.
CLOSED_UNDER_ITSELF = frozenset({"cax-sco/cax-eqc", "prp-spo1/prp-eqp"})


def pattern_terms(text: str) -> list[str]:
    """The three positions of a triple pattern as written in RULES ('a' is rdf:type)."""
    return [f"<{RDF_TYPE}>" if part == "a" else part for part in text.split()]


def _predicates(pattern: str, variables: list[str], rows: list[tuple]) -> frozenset[str] | None:
    """The predicates a triple pattern can have with the rule's schema rows; None when any."""
    predicate = pattern_terms(pattern)[1]
    if predicate.startswith("<"):
        return frozenset({predicate[1:-1]})
    if predicate.startswith("?") and predicate[1:] in variables:
        column = variables.index(predicate[1:])
        return frozenset(row[column].value for row in rows)
    return None


def delta_sources(bindings: dict[str, tuple[list[str], list[tuple]]]) -> dict[tuple[str, int], list[str]]:
    """(rule, atom index) -> the rules whose new conclusions that atom must see in the next round.

    An atom sees a rule's conclusions when their predicates can meet (an atom on
    ``cg:hasPairing`` never matches a new type), unless both are the same hierarchy rule
    (``CLOSED_UNDER_ITSELF``). Why: at ten million triples, the second round read the five
    million types the first drew, in every rule, for the 670,000 triples it found.
    """
    concluded = {}
    for name, _schema, _atoms, conclusion, _condition in RULES:
        variables, rows = bindings.get(name, ([], []))
        if rows:
            concluded[name] = _predicates(conclusion, variables, rows)
    sources: dict[tuple[str, int], list[str]] = {}
    for name, _schema, atoms, _conclusion, _condition in RULES:
        variables, rows = bindings.get(name, ([], []))
        if not rows:
            continue
        for index, atom in enumerate(atoms):
            read = _predicates(atom, variables, rows)
            sources[(name, index)] = [
                drawer
                for drawer, drawn in concluded.items()
                if not (name == drawer and name in CLOSED_UNDER_ITSELF)
                and (read is None or drawn is None or read & drawn)
            ]
    return sources


def reason(
    store,
    data_graphs: list[str],
    *,
    ontology_graph: str,
    inferred_graph: str,
    max_rounds: int = 50,
    threads: int = 1,
    hashed_share: int = HASHED_SHARE,
) -> ReasoningReport:
    """Add to ``inferred_graph`` what the ontology entails from ``data_graphs``, to a fixpoint.

    The inferred graph is emptied first, so the result depends only on the current data.
    Round one applies every rule to everything; each later round only to what the round
    before added, until a round adds nothing a later round reads. Each rule keeps what it
    drew in a scratch graph of its own, so that a premise reads only the new triples it can
    match and has not followed already (:func:`delta_sources`); a rule whose conclusions no
    premise reads keeps none (at 10M, the 5.8 million types of round one, neither written
    twice nor left behind as deleted quads in memory).

    The rules of a round may run side by side (``threads``, where the store can): a rule
    that does not see a conclusion another drew in the same round draws on it in the next,
    since that conclusion is in the round's new triples. The fixpoint is the same.
    """
    started = time.perf_counter()
    store.update(f"DROP SILENT GRAPH <{inferred_graph}>")
    data_graphs = [g for g in data_graphs if g != inferred_graph]
    bindings = schema_bindings(store, ontology_graph)
    sources = delta_sources(bindings)
    run = uuid.uuid4().hex
    # Two sets of per-rule graphs, used in turn: last round's conclusions and this round's. A rule
    # whose conclusions no premise reads has none (the class hierarchy's types, most of round one).
    read = {drawer for drawers in sources.values() for drawer in drawers}
    scratch = [
        {name: f"urn:coopgraph:reasoning:{run}:{side}:{i}" for i, name in enumerate(bindings) if name in read}
        for side in "ab"
    ]
    report = ReasoningReport()
    deltas, hashed, first = None, frozenset(), 0
    try:
        for round_number in range(1, max_rounds + 1):
            report.rounds = round_number
            new = scratch[round_number % 2]
            if new:
                store.update(" ;\n".join(f"DROP SILENT GRAPH <{g}>" for g in new.values()))
            began = time.perf_counter()
            # After round one, the hashed premises run one at a time: each holds a hash of what
            # already holds, and two side by side raised the 10M build's peak from 10.9 to 12.8 GiB.
            looked_up = None if deltas is None else {k: v for k, v in deltas.items() if k not in hashed}
            one_by_one = {} if deltas is None else {k: v for k, v in deltas.items() if k in hashed}
            updates = rule_updates(
                data_graphs, ontology_graph, inferred_graph, bindings, deltas=looked_up, new_graphs=new
            )
            store.update_side_by_side([update for _, update in updates], threads=threads)
            if one_by_one:
                alone = rule_updates(
                    data_graphs,
                    ontology_graph,
                    inferred_graph,
                    bindings,
                    deltas=one_by_one,
                    new_graphs=new,
                    hashed=hashed,
                )
                for _, update in alone:
                    store.update(update)
                updates += alone
            drawn = {name: store.count(graph) for name, graph in new.items()}
            added = sum(drawn.values())  # a triple two rules drew side by side counts twice
            report.per_round.append(added)
            log.debug(
                "reasoning round %d: %d new triples, %d rule updates in %.2f s",
                round_number,
                added,
                len(updates),
                time.perf_counter() - began,
            )
            if added == 0:
                break
            deltas = {key: [new[drawer] for drawer in drawers if drawn[drawer]] for key, drawers in sources.items()}
            first = first or added
            hashed = frozenset(
                key for key, drawers in sources.items() if sum(drawn[d] for d in drawers) * hashed_share >= first
            )
    finally:
        if scratch[0]:
            store.update(" ;\n".join(f"DROP SILENT GRAPH <{g}>" for side in scratch for g in side.values()))
    report.inferred = store.count(inferred_graph)
    report.seconds = time.perf_counter() - started
    return report


DELTA_GRAPH = "urn:coopgraph:reasoning:delta"
NEXT_GRAPH = "urn:coopgraph:reasoning:next"


def incremental_updates(
    data_graphs: list[str],
    ontology_graph: str,
    inferred_graph: str,
    bindings: dict[str, tuple[list[str], list[tuple]]] | None = None,
) -> list[tuple[str, str]]:
    """Return (rule name, SPARQL update) applying each rule with at least one premise in the delta graph.

    Semi-naive evaluation: a conclusion new in this round needs a fact new in the last
    one, so each rule runs once per premise, that premise read from the delta and the
    others from every data graph and the inferred graph. New conclusions go to the
    inferred graph and to the next delta.
    """
    named = "".join(
        f"USING NAMED <{g}>\n" for g in dict.fromkeys([ontology_graph, DELTA_GRAPH, *data_graphs, inferred_graph])
    )

    def anywhere(variable: str) -> str:
        return f"FILTER(?{variable} != <{ontology_graph}> && ?{variable} != <{DELTA_GRAPH}>)"

    updates = []
    for name, schema, atoms, conclusion, condition in RULES:
        patterns = list(atoms)
        if bindings is None:
            source = f"{{ SELECT DISTINCT * WHERE {{ GRAPH <{ontology_graph}> {{ {schema} }} }} }}"
        else:  # the schema rows as values (see rule_updates)
            variables, rows = bindings.get(name, ([], []))
            if not rows:
                continue
            values = " ".join("(" + " ".join(str(t) for t in row) + ")" for row in rows)
            source = f"VALUES ({' '.join('?' + v for v in variables)}) {{ {values} }}"
        alternatives = []
        for fresh in range(len(patterns)):
            # The premise from the delta comes first: it is small, and binds the others.
            parts = [f"GRAPH <{DELTA_GRAPH}> {{ {patterns[fresh]} }}"]
            parts += [f"GRAPH ?_g{i} {{ {p} }} {anywhere(f'_g{i}')}" for i, p in enumerate(patterns) if i != fresh]
            alternatives.append("{ " + " ".join(parts) + " }")
        updates.append(
            (
                name,
                f"""{PREFIXES}INSERT {{ GRAPH <{inferred_graph}> {{ {conclusion} }}
         GRAPH <{NEXT_GRAPH}> {{ {conclusion} }} }}
{named}WHERE {{
  {source}
  {" UNION ".join(alternatives)} {condition}
  FILTER NOT EXISTS {{ GRAPH ?_gc {{ {conclusion} }} {anywhere("_gc")} }}
}}""",
            )
        )
    return updates


def reason_added(
    store,
    added_graphs: list[str],
    data_graphs: list[str],
    *,
    ontology_graph: str,
    inferred_graph: str,
    added_triples=(),
    max_rounds: int = 50,
) -> ReasoningReport:
    """Bring ``inferred_graph`` up to date after ``added_graphs`` were added to the data.

    ``added_triples`` are further new facts, already stored in one of ``data_graphs``
    (say, the provenance of the added graph, kept in a graph of its own).

    Why: :func:`reason` recomputes everything, which takes seconds per hundred thousand
    triples; a contribution of a hundred triples only adds what follows from it. The
    result equals a recomputation with :func:`reason` (a test checks it): the entailments
    are the same, and inferred triples that the added graphs now assert are removed from
    the inferred graph, as a recomputation would not have added them. Only additions can
    be handled this way; after a removal, call :func:`reason`.
    """
    started = time.perf_counter()
    data_graphs = [g for g in dict.fromkeys([*data_graphs, *added_graphs]) if g != inferred_graph]
    statements = [f"DROP SILENT GRAPH <{DELTA_GRAPH}>", f"DROP SILENT GRAPH <{NEXT_GRAPH}>"]
    for graph in added_graphs:
        statements.append(
            f"DELETE {{ GRAPH <{inferred_graph}> {{ ?s ?p ?o }} }} "
            f"WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} GRAPH <{inferred_graph}> {{ ?s ?p ?o }} }}"
        )
        statements.append(f"ADD SILENT <{graph}> TO <{DELTA_GRAPH}>")
    if added_triples:
        import pyoxigraph as ox

        body = ox.serialize(list(added_triples), format=ox.RdfFormat.N_TRIPLES).decode("utf-8")
        statements.append(f"DELETE DATA {{ GRAPH <{inferred_graph}> {{\n{body}}} }}")
        statements.append(f"INSERT DATA {{ GRAPH <{DELTA_GRAPH}> {{\n{body}}} }}")
    # The added graphs are in the union a store folder keeps already: the delta is a copy.
    store.update(" ;\n".join(statements), union=())
    updates = incremental_updates(data_graphs, ontology_graph, inferred_graph, schema_bindings(store, ontology_graph))
    report = ReasoningReport()
    try:
        for round_number in range(1, max_rounds + 1):
            report.rounds = round_number
            for name, update in updates:
                store.update(update, union=())  # what they add is in the next delta: copied below
            new = store.count(NEXT_GRAPH)
            report.inferred += new
            log.debug("incremental reasoning round %d: %d new triples", round_number, new)
            if new == 0:
                break
            store.update(f"MOVE SILENT <{NEXT_GRAPH}> TO <{DELTA_GRAPH}>", union=[DELTA_GRAPH])
    finally:
        store.update(f"DROP SILENT GRAPH <{DELTA_GRAPH}> ; DROP SILENT GRAPH <{NEXT_GRAPH}>", union=())
    report.seconds = time.perf_counter() - started
    return report
