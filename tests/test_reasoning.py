"""Reasoning: the SPARQL rules give what owlrl's OWL 2 RL closure gives, on our data."""

from __future__ import annotations

import threading

import owlrl
import pytest
import rdflib
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from coopgraph.errors import QuerySyntaxError
from coopgraph.formats import RDF_FORMATS
from coopgraph.knowledge.build import run_reasoning
from coopgraph.knowledge.reasoning import RULES, rule_updates
from coopgraph.namespaces import OWL, RDFS, Iris
from coopgraph.store.embedded import OxigraphStore

IRIS = Iris()
EX = "https://example.org/mini#"
ID = IRIS.id_base
#: What owlrl adds about every individual and that says nothing about our domain.
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
TRIVIAL_OBJECTS = {OWL + "Thing", RDFS + "Resource", OWL + "NamedIndividual"}


def owlrl_entailments(store) -> set[tuple]:
    """owlrl's closure of ontology + asserted data, restricted to statements about our resources."""
    graph = rdflib.Graph()
    nt = RDF_FORMATS["ntriples"]
    for name in store.view("asserted"):
        if name != IRIS.meta_graph:
            graph.parse(data=store.dump(nt, graph=name), format="nt")
    return owlrl_closure(graph)


def owlrl_closure(graph: rdflib.Graph) -> set[tuple]:
    """What owlrl adds to ``graph`` (which it expands), restricted to statements about our resources."""
    before = set(graph)
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics).expand(graph)
    return {
        (str(s), str(p), o.n3())
        for s, p, o in set(graph) - before
        if isinstance(s, rdflib.URIRef)
        and str(s).startswith(ID)
        and str(p) != OWL + "sameAs"
        and str(o) not in TRIVIAL_OBJECTS
    }


def our_entailments(store) -> set[tuple]:
    rows = store.select("SELECT ?s ?p ?o WHERE { ?s ?p ?o FILTER(isIRI(?s)) }", default_graphs=[IRIS.inferred_graph])
    return {(r["s"].value, r["p"].value, _n3(r["o"])) for r in rows if r["s"].value.startswith(ID)}


def _n3(term) -> str:
    import pyoxigraph as ox

    if isinstance(term, ox.NamedNode):
        return f"<{term.value}>"
    return rdflib.Literal(term.value, lang=term.language, datatype=None if term.language else term.datatype.value).n3()


def test_mini_entailments_cover_every_rule(mini_store):
    inferred = our_entailments(mini_store)
    expected = {
        (ID + "city/beta", RDF_TYPE, f"<{EX}City>"),  # equivalentClass + subClassOf
        (ID + "city/alpha", EX + "locatedIn", f"<{ID}region/north>"),  # subPropertyOf
        (ID + "city/alpha", EX + "pairing", f"<{ID}pairing/alpha-gamma>"),  # inverseOf
        (ID + "city/alpha", EX + "partnerOf", f"<{ID}city/beta>"),  # symmetric
        (ID + "city/alpha", EX + "within", f"<{ID}region/continent>"),  # transitive
        (ID + "region/continent", RDF_TYPE, f"<{EX}Place>"),  # range
        (ID + "city/alpha", EX + "twinOf", f"<{ID}city/gamma>"),  # property chain
    }
    assert expected <= inferred


def test_mini_equals_owlrl(mini_store):
    assert our_entailments(mini_store) == owlrl_entailments(mini_store)


def test_curated_equals_owlrl(built_store):
    ours, reference = our_entailments(built_store), owlrl_entailments(built_store)
    assert ours, "the curated graph should entail something"
    assert ours == reference, {"missing": sorted(reference - ours)[:10], "extra": sorted(ours - reference)[:10]}


def test_inferred_graph_holds_nothing_already_asserted(built_store):
    overlap = built_store.select(
        "SELECT ?s ?p ?o WHERE { GRAPH <%s> { ?s ?p ?o } GRAPH ?g { ?s ?p ?o } FILTER(?g != <%s>) } LIMIT 5"
        % (IRIS.inferred_graph, IRIS.inferred_graph)
    )
    assert overlap == []


@pytest.mark.parametrize("name", [rule[0] for rule in RULES])
def test_every_rule_compiles_to_a_valid_update(name, mini_store):
    import pyoxigraph as ox

    updates = dict(rule_updates([IRIS.data_graph("x")], IRIS.ontology_graph, IRIS.inferred_graph))
    ox.Store().update(updates[name])  # parses and runs on an empty store


def inferred_triples(store) -> set:
    return {
        (r["s"], r["p"], r["o"])
        for r in store.select("SELECT * WHERE { ?s ?p ?o }", default_graphs=[IRIS.inferred_graph])
    }


def test_rules_run_side_by_side_reach_the_fixpoint_they_reach_one_at_a_time(built_store):
    one_at_a_time = run_reasoning(built_store, threads=1)
    alone = inferred_triples(built_store)
    side_by_side = run_reasoning(built_store, threads=4)
    assert alone and inferred_triples(built_store) == alone
    assert side_by_side.inferred == one_at_a_time.inferred == len(alone)


def test_updates_side_by_side_in_memory_run_in_several_threads_and_all_apply(monkeypatch):
    store = OxigraphStore(IRIS)
    seen, lock, second = set(), threading.Lock(), threading.Event()
    apply = store._apply

    def recording(sparql, base_iri=None):
        with lock:
            seen.add(threading.get_ident())
            first = len(seen) == 1
        if first:
            second.wait(5)  # the pool must start a second thread while this one is busy
        else:
            second.set()
        apply(sparql, base_iri)

    monkeypatch.setattr(store, "_apply", recording)
    store.update_side_by_side(
        [f"INSERT DATA {{ GRAPH <urn:x:g> {{ <urn:x:{i}> <urn:x:p> {i} }} }}" for i in range(20)], threads=3
    )
    assert len(seen) > 1
    assert (
        store.select("SELECT (COUNT(*) AS ?n) WHERE { ?s <urn:x:p> ?o }", default_graphs=["urn:x:g"])[0]["n"].value
        == "20"
    )


def test_an_update_side_by_side_that_fails_says_why():
    store = OxigraphStore(IRIS)
    with pytest.raises(QuerySyntaxError):
        store.update_side_by_side(["INSERT DATA { <urn:x:a> <urn:x:p> 1 }", "INSERT DATA { oops"], threads=2)


# Random ontologies and data, small enough for owlrl: each later round of reasoning reads
# only the new triples a rule's premises can match (reasoning.delta_sources), and chains of
# rules across rounds (an inverse, then a domain, then a superclass) are where a premise
# that skipped the wrong new triples would miss an entailment.
CLASSES = [EX + f"C{i}" for i in range(4)]
PROPERTIES = [EX + f"p{i}" for i in range(4)]
INDIVIDUALS = [ID + f"thing/{i}" for i in range(4)]
AXIOMS = st.one_of(
    st.tuples(
        st.sampled_from(CLASSES),
        st.sampled_from([RDFS + "subClassOf", OWL + "equivalentClass"]),
        st.sampled_from(CLASSES),
    ),
    st.tuples(
        st.sampled_from(PROPERTIES),
        st.sampled_from([RDFS + "subPropertyOf", OWL + "equivalentProperty", OWL + "inverseOf"]),
        st.sampled_from(PROPERTIES),
    ),
    st.tuples(
        st.sampled_from(PROPERTIES), st.sampled_from([RDFS + "domain", RDFS + "range"]), st.sampled_from(CLASSES)
    ),
    st.tuples(
        st.sampled_from(PROPERTIES),
        st.just(RDF_TYPE),
        st.sampled_from([OWL + "SymmetricProperty", OWL + "TransitiveProperty"]),
    ),
    st.tuples(
        st.sampled_from(PROPERTIES),
        st.just(OWL + "propertyChainAxiom"),
        st.tuples(st.sampled_from(PROPERTIES), st.sampled_from(PROPERTIES)),
    ),
)
FACTS = st.one_of(
    st.tuples(st.sampled_from(INDIVIDUALS), st.just(RDF_TYPE), st.sampled_from(CLASSES)),
    st.tuples(st.sampled_from(INDIVIDUALS), st.sampled_from(PROPERTIES), st.sampled_from(INDIVIDUALS)),
)


def _rdflib_graph(triples) -> rdflib.Graph:
    from rdflib.collection import Collection

    graph = rdflib.Graph()
    for s, p, o in triples:
        if isinstance(o, tuple):  # a property chain: an RDF list
            head = rdflib.BNode()
            Collection(graph, head, [rdflib.URIRef(x) for x in o])
            graph.add((rdflib.URIRef(s), rdflib.URIRef(p), head))
        else:
            graph.add((rdflib.URIRef(s), rdflib.URIRef(p), rdflib.URIRef(o)))
    return graph


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    axioms=st.lists(AXIOMS, max_size=8),
    facts=st.lists(FACTS, min_size=1, max_size=8),
    threads=st.sampled_from([1, 2]),
    # how large new triples must be to be read at once and hashed: never, by default, always
    hashed_share=st.sampled_from([0, 5, 10**9]),
)
# A transitive chain of four edges needs three rounds, each reading the last one's new edges.
@example(
    axioms=[(PROPERTIES[0], RDF_TYPE, OWL + "TransitiveProperty")],
    facts=[(INDIVIDUALS[i], PROPERTIES[0], INDIVIDUALS[i + 1]) for i in range(3)]
    + [(INDIVIDUALS[3], PROPERTIES[0], ID + "thing/4")],
    threads=1,
    hashed_share=0,
)
# An inverse, then its domain, then the domain's superclass: each rule reads another's new triples.
@example(
    axioms=[
        (PROPERTIES[0], OWL + "inverseOf", PROPERTIES[1]),
        (PROPERTIES[1], RDFS + "domain", CLASSES[0]),
        (CLASSES[0], RDFS + "subClassOf", CLASSES[1]),
    ],
    facts=[(INDIVIDUALS[0], PROPERTIES[0], INDIVIDUALS[1])],
    threads=1,
    hashed_share=10**9,
)
# One premise meets the new triples of two rules in round two (an inverse's, a subproperty's),
# read at once when hashed.
@example(
    axioms=[
        (PROPERTIES[0], OWL + "inverseOf", PROPERTIES[1]),
        (PROPERTIES[2], RDFS + "subPropertyOf", PROPERTIES[1]),
        (PROPERTIES[1], RDFS + "domain", CLASSES[0]),
    ],
    facts=[(INDIVIDUALS[0], PROPERTIES[0], INDIVIDUALS[1]), (INDIVIDUALS[2], PROPERTIES[2], INDIVIDUALS[3])],
    threads=1,
    hashed_share=10**9,
)
def test_reasoning_over_random_ontologies_and_data_equals_owlrl(axioms, facts, threads, hashed_share):
    from coopgraph.knowledge.reasoning import reason

    ontology, data = _rdflib_graph(axioms), _rdflib_graph(facts)
    store = OxigraphStore(IRIS)
    nt = RDF_FORMATS["ntriples"]
    store.replace_graphs(
        {
            IRIS.ontology_graph: ontology.serialize(format="nt", encoding="utf-8"),
            IRIS.data_graph("x"): data.serialize(format="nt", encoding="utf-8"),
        },
        nt,
    )
    reason(
        store,
        [IRIS.data_graph("x")],
        ontology_graph=IRIS.ontology_graph,
        inferred_graph=IRIS.inferred_graph,
        threads=threads,
        hashed_share=hashed_share,
    )

    assert our_entailments(store) == owlrl_closure(ontology + data)
