"""The inferred rows of a page say which OWL 2 RL rule produced them, and from which axiom.

The explanation is found by running the rules backwards, so these tests check it against
the graph itself: every inferred statement of the curated graph is explained, the axiom
named is in the ontology, and the premises named are in the data.
"""

from __future__ import annotations

import re

import pyoxigraph as ox
import pytest

from coopgraph.knowledge.explanation import explain
from coopgraph.namespaces import RDF_TYPE
from test_query_pages import Page

CG = "https://w3id.org/coopgraph/ontology#"
ID = "https://w3id.org/coopgraph/id/"
#: How to check each rule's axiom in the ontology graph: an ASK over the axiom's variables.
AXIOM_CHECKS = {
    "cax-sco/cax-eqc": "ASK { ?c (rdfs:subClassOf|owl:equivalentClass|^owl:equivalentClass)+ ?d }",
    "prp-spo1/prp-eqp": "ASK { ?p (rdfs:subPropertyOf|owl:equivalentProperty|^owl:equivalentProperty)+ ?q }",
    "prp-dom": "ASK { ?p rdfs:domain ?c }",
    "prp-rng": "ASK { ?p rdfs:range ?c }",
    "prp-inv1": "ASK { ?p owl:inverseOf ?q }",
    "prp-inv2": "ASK { ?p owl:inverseOf ?q }",
    "prp-symp": "ASK { ?p a owl:SymmetricProperty }",
    "prp-trp": "ASK { ?p a owl:TransitiveProperty }",
    "prp-spo2": "ASK { ?p owl:propertyChainAxiom/rdf:first ?p1 ; owl:propertyChainAxiom/rdf:rest/rdf:first ?p2 }",
}
PREFIXES = (
    "PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
    "PREFIX owl: <http://www.w3.org/2002/07/owl#> "
)


@pytest.fixture(scope="module")
def inferred_statements(built_store):
    graph = built_store.iris.inferred_graph
    rows = built_store.select(f"SELECT ?s ?p ?o WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
    return [(r["s"], r["p"], r["o"]) for r in rows]


def test_every_inferred_statement_is_explained_by_an_axiom_and_premises_of_the_graph(built_store, inferred_statements):
    iris = built_store.iris
    found = explain(
        built_store, inferred_statements, ontology_graph=iris.ontology_graph, hidden_graphs=[iris.shapes_graph]
    )
    explainable = [s for s in inferred_statements if not any(isinstance(t, ox.BlankNode) for t in s)]
    assert len(explainable) > 1000
    assert set(found) == set(explainable)
    rules = set()
    for statement, derivation in found.items():
        rules.add(derivation.rule)
        bindings = {name: ox.NamedNode(iri) for name, iri in derivation.axiom.items()}
        assert built_store.ask(
            PREFIXES + AXIOM_CHECKS[derivation.rule], bindings=bindings, default_graphs=[iris.ontology_graph]
        ), (statement, derivation)
        for premise in derivation.premises:
            assert built_store.ask(
                f"ASK {{ GRAPH ?g {{ {premise[0]} {premise[1]} {premise[2]} }} "
                f"FILTER(?g NOT IN (<{iris.ontology_graph}>, <{iris.shapes_graph}>)) }}"
            ), (statement, premise)
    # The curated ontology uses the hierarchy, inverse, domain and range rules at least.
    assert {"cax-sco/cax-eqc", "prp-inv1"} <= rules


def test_a_statement_no_rule_reaches_is_left_unexplained(built_store):
    iris = built_store.iris
    city = ox.NamedNode(ID + "city/kitakyushu")
    made_up = (city, ox.NamedNode(RDF_TYPE), ox.NamedNode(CG + "Theme"))
    stated = (city, ox.NamedNode(RDF_TYPE), ox.NamedNode(CG + "Municipality"))
    inferred = (city, ox.NamedNode(RDF_TYPE), ox.NamedNode(CG + "LocalAuthority"))
    found = explain(built_store, [made_up, inferred], ontology_graph=iris.ontology_graph)
    assert made_up not in found
    assert found[inferred].rule == "cax-sco/cax-eqc"
    assert found[inferred].axiom == {"c": CG + "Municipality", "d": CG + "LocalAuthority"}
    assert found[inferred].premises == (stated,)


def test_the_page_names_the_rule_and_links_the_axiom_terms(client):
    page = Page(client.get("/id/city/kitakyushu").get_data(as_text=True))
    explanations = page.find("span", class_="derivation")
    texts = [" ".join(e["text"].split()) for e in explanations]
    assert any("cax-sco/cax-eqc" in text and "is a kind of" in text for text in texts), texts
    assert any("prp-inv1" in text and "is the inverse of" in text for text in texts), texts
    links = {a["attrs"]["href"] for a in page.find("a")}
    assert "/ontology#Municipality" in links and "/ontology#hasAttendee" in links
    # Every inferred row of the facts table carries its explanation; stated rows carry none.
    html = client.get("/id/city/kitakyushu").get_data(as_text=True)
    table = html[html.index('<table class="facts">') : html.index("</table>", html.index('<table class="facts">'))]
    rows = re.findall(r"<tr( class=\"[^\"]*\")?>(.*?)</tr>", table, re.S)
    inferred = [body for cls, body in rows if "inferred" in cls]
    stated = [body for cls, body in rows if "inferred" not in cls and "<td" in body]
    assert inferred and stated
    assert all('class="derivation"' in body for body in inferred)
    assert not any('class="derivation"' in body for body in stated)


def test_the_japanese_page_puts_the_axiom_in_japanese(client):
    html = client.get("/id/city/kitakyushu?lang=ja").get_data(as_text=True)
    assert "規則" in html and "はすべて" in html and "is a kind of" not in html


def test_the_description_carries_the_derivation_for_machines(built_store):
    from coopgraph.describe.resource import describe

    d = describe(built_store, ID + "city/kitakyushu")
    inferred = [v for g in d.properties for v in g.values if v.inferred]
    assert inferred and all(v.to_dict()["inferredBy"]["rule"] for v in inferred)
    assert all("inferredBy" not in v.to_dict() for g in d.properties for v in g.values if not v.inferred)
