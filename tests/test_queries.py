"""Stored queries: headers, parameter types, binding as terms, paging, broken files."""

from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph as ox
import pytest

from conftest import MINI
from coopgraph.errors import NotFound, ParameterError, StoredQueryError
from coopgraph.queries import (
    Parameter,
    bind_parameters,
    enumeration,
    get_query,
    load_stored_queries,
    load_stored_query,
    run_stored_query,
    split_header,
    to_term,
)

ID = "https://w3id.org/coopgraph/id/"


@pytest.fixture(scope="module")
def mini_queries():
    return load_stored_queries(MINI / "queries")


def test_header_is_yaml_and_sparql_keeps_its_line_numbers():
    header, body = split_header("#+ title: T\n#+ tags: [a]\nSELECT * WHERE { ?s ?p ?o }\n")
    assert header == "title: T\ntags: [a]\n"
    assert body.splitlines()[2] == "SELECT * WHERE { ?s ?p ?o }"


def test_loads_good_queries_and_reports_broken_ones(mini_queries):
    queries, errors = mini_queries
    assert set(queries) == {"city-pairings", "labels"}
    assert [Path(e.path).name for e in errors] == ["broken-header.rq"]
    assert "not valid YAML" in errors[0].reason
    query = queries["city-pairings"]
    assert query.title == "Pairings of a city" and query.tags == ["cities", "pairings"]
    assert query.parameter("city").cls == "https://example.org/mini#City"


@pytest.mark.parametrize(
    "text, reason",
    [
        ("#+ description: no title\nSELECT * WHERE { ?s ?p ?o }", "no title"),
        ("#+ title: T\nSELECT * WHERE { ?s ?p }", "does not parse"),
        ("#+ title: T\n#+ parameters:\n#+   x: {type: colour}\nSELECT ?x WHERE { ?x ?p ?o }", "unknown type"),
        (
            "#+ title: T\n#+ parameters:\n#+   missing: {type: string}\nSELECT * WHERE { ?s ?p ?o }",
            "no variable ?missing",
        ),
        (
            "#+ title: T\n#+ parameters:\n#+   y: {type: year, example: 'twenty'}\nSELECT ?y WHERE { ?s ?p ?y }",
            "example",
        ),
        ("#+ title: T\nSELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }", "SERVICE"),
        ("#+ title: T\nINSERT DATA { <urn:a> <urn:b> <urn:c> }", "no SELECT"),
        ("#+ title: T\n#+ parameters:\n#+   offset: {type: integer}\nSELECT ?offset WHERE { }", "reserved name"),
        ("#+ title: T\n#+ parameters:\n#+   x: {type: string, colour: red}\nSELECT ?x WHERE { }", "unknown setting"),
        (
            "#+ title: T\n#+ parameters:\n#+   x: {type: string, class: cg:Programme}\nSELECT ?x WHERE { }",
            "not of type iri",
        ),
        (
            "#+ title: T\n#+ parameters:\n#+   x: {type: iri, enum_query: 'SELECT ?v WHERE { ?v ?p ?o }'}\n"
            "SELECT ?x WHERE { }",
            "must be a SELECT giving ?value",
        ),
        (
            "#+ title: T\n#+ parameters:\n#+   x: {type: iri, enum_query: 'SELECT ?value WHERE { ?value ?p }'}\n"
            "SELECT ?x WHERE { }",
            "enum_query of parameter 'x': the SPARQL does not parse",
        ),
        (
            "#+ title: T\n#+ parameters:\n#+   x: {type: year, enum: [2017, twenty]}\nSELECT ?x WHERE { }",
            "enum of parameter",
        ),
        ("#+ title: {en: T, fr: T}\nSELECT * WHERE { }", "unknown language"),
    ],
)
def test_broken_query_files_say_why(tmp_path, text, reason):
    path = tmp_path / "q.rq"
    path.write_text(text)
    with pytest.raises(StoredQueryError) as caught:
        load_stored_query(path)
    assert reason in caught.value.reason and caught.value.path == str(path)


@pytest.mark.parametrize(
    "kind, raw, expected",
    [
        ("iri", "id:city/alpha", ox.NamedNode(ID + "city/alpha")),
        ("iri", "https://example.org/x", ox.NamedNode("https://example.org/x")),
        ("string", 'a "quoted" } UNION {', ox.Literal('a "quoted" } UNION {')),
        ("langstring", "Kyoto@en", ox.Literal("Kyoto", language="en")),
        ("integer", "2017", ox.Literal("2017", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer"))),
        ("decimal", "35.02", ox.Literal("35.02", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#decimal"))),
        (
            "date",
            "2013-10-10",
            ox.Literal("2013-10-10", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#date")),
        ),
        ("year", "2021", ox.Literal("2021", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#gYear"))),
        ("boolean", "TRUE", ox.Literal("true", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#boolean"))),
    ],
)
def test_values_become_typed_terms(kind, raw, expected):
    prefixes = {"id": ID}
    assert to_term(Parameter("p", kind), raw, prefixes) == expected


@pytest.mark.parametrize(
    "kind, raw",
    [
        ("iri", "http://a>b"),
        ("iri", "not an iri"),
        ("iri", "<http://x> } UNION { ?s ?p ?o"),
        ("integer", "12.5"),
        ("integer", "1; DROP"),
        ("decimal", "NaN"),
        ("date", "2013-13-01"),
        ("date", "10/10/2013"),
        ("year", "21"),
        ("boolean", "maybe"),
        ("langstring", "no tag@"),
    ],
)
def test_wrong_values_name_the_parameter_and_the_expected_type(kind, raw):
    with pytest.raises(ParameterError) as caught:
        to_term(Parameter("p", kind), raw)
    body = caught.value.to_dict()
    assert body["status"] == 400 and body["details"]["parameter"] == "p" and body["details"]["expected"]


def test_required_unknown_and_class_checked_parameters(mini_store, mini_queries):
    query = mini_queries[0]["city-pairings"]
    with pytest.raises(ParameterError, match="is required"):
        bind_parameters(query, {}, mini_store)
    with pytest.raises(ParameterError, match="no such parameter"):
        bind_parameters(query, {"city": ID + "city/alpha", "colour": "red"}, mini_store)
    with pytest.raises(ParameterError, match="not a known"):
        bind_parameters(query, {"city": ID + "region/north"}, mini_store)
    assert bind_parameters(query, {"city": ID + "city/alpha"}, mini_store) == {"city": ox.NamedNode(ID + "city/alpha")}


def test_run_with_example_values(mini_store, mini_queries):
    query = mini_queries[0]["city-pairings"]
    result, more = run_stored_query(mini_store, query, query.example_values())
    assert [row[2].value for row in result.rows] == ["Gamma"] and not more


def test_injection_stays_a_value(mini_store, mini_queries):
    query = mini_queries[0]["labels"]
    result, _ = run_stored_query(mini_store, query, {"language": "en"}, limit=1000)
    english = mini_store.select(
        "SELECT (COUNT(*) AS ?n) WHERE { ?t <http://www.w3.org/2000/01/rdf-schema#label> ?l FILTER(lang(?l) = 'en') }"
    )[0]["n"].value
    assert len(result.rows) == int(english) > 0
    with pytest.raises(ParameterError):  # not in the enumeration
        run_stored_query(mini_store, query, {"language": 'en") || true || ("'})


def test_defaults_and_paging(mini_store, mini_queries):
    query = mini_queries[0]["labels"]
    first, more = run_stored_query(mini_store, query, {})
    assert len(first.rows) == 2 and more  # pagination: 2 in the header
    second, _ = run_stored_query(mini_store, query, {}, offset=2)
    assert first.rows != second.rows
    whole, more = run_stored_query(mini_store, query, {}, limit=1000)
    assert [r[1].value for r in whole.rows] == sorted(r[1].value for r in whole.rows) and not more


def test_enumerations_fixed_and_from_the_graph(mini_store, mini_queries):
    queries = mini_queries[0]
    assert enumeration(queries["labels"].parameter("language"), mini_store) == [("en", "en"), ("ja", "ja")]
    cities = enumeration(queries["city-pairings"].parameter("city"), mini_store)
    assert [label for _, label in cities] == ["Alpha", "Beta", "Gamma"]


def test_unknown_query_is_not_found(mini_queries):
    with pytest.raises(NotFound):
        get_query(mini_queries[0], "nothing-here")


def test_enum_query_uses_the_query_prefixes_and_iri_enums_accept_prefixed_names(tmp_path, mini_store):
    path = tmp_path / "q.rq"
    path.write_text(
        "#+ title: T\n#+ parameters:\n"
        "#+   region: {type: iri, enum_query: 'SELECT ?value WHERE { ?value a ex:Region }'}\n"
        "#+   city: {type: iri, enum: ['id:city/alpha', 'id:city/beta']}\n"
        "PREFIX ex: <https://example.org/mini#>\nSELECT ?region ?city WHERE { }"
    )
    query = load_stored_query(path, {"id": ID})
    assert query.parameter("city").enum == [ID + "city/alpha", ID + "city/beta"]
    assert to_term(query.parameter("city"), "id:city/beta", {"id": ID}) == ox.NamedNode(ID + "city/beta")
    assert {v for v, _ in enumeration(query.parameter("region"), mini_store)} == {
        ID + "region/north",
        ID + "region/continent",
    }
    assert bind_parameters(query, {"region": ID + "region/north"}, mini_store, {"id": ID})
    with pytest.raises(ParameterError, match="allowed values"):
        bind_parameters(query, {"region": ID + "city/alpha"}, mini_store, {"id": ID})


def test_file_names_become_url_names(tmp_path):
    path = tmp_path / "two words.rq"
    path.write_text("#+ title: T\nSELECT * WHERE { }")
    with pytest.raises(StoredQueryError, match="file name"):
        load_stored_query(path)


# --- where bound values go -----------------------------------------------------------------


def test_values_reach_the_branches_that_are_joined_and_only_those():
    from coopgraph import sparql

    text = (
        "SELECT ?a WHERE { { ?a <urn:p> ?city } UNION { GRAPH ?g { ?city <urn:q> ?a } } "
        "UNION { ?a <urn:r> ?other } OPTIONAL { ?a <urn:s> ?city } MINUS { ?city <urn:t> ?a } "
        "FILTER NOT EXISTS { ?city <urn:u> ?a } { SELECT ?a WHERE { ?a <urn:v> ?city } } "
        "SERVICE <urn:service> { ?a <urn:w> ?city } VALUES ?k { 1 } }"
    )
    bound = sparql.inject_values(text, {"city": ox.NamedNode("urn:x")})
    block = "VALUES (?city) { (<urn:x>) }"
    assert bound.count(block) == 4  # the WHERE group, the first branch, the GRAPH branch and its group
    for kept in (
        "OPTIONAL { ?a",
        "MINUS { ?city",
        "EXISTS { ?city",
        "{ SELECT ?a",
        "<urn:service> { ?a",
        "UNION { ?a <urn:r> ?other }",
        "VALUES ?k { 1 }",
    ):
        assert kept in bound, kept
    ox.Store().query(bound)  # still SPARQL


def test_values_in_the_branches_change_no_answer(built_store, curated_settings, monkeypatch):
    """Every curated stored query, with its example values: the same rows with the values pushed or not."""
    from coopgraph import sparql

    queries, _ = load_stored_queries(curated_settings.queries_dir, curated_settings.iris.prefixes())
    compared = 0
    for name, query in sorted(queries.items()):
        raw = {p.name: p.example for p in query.parameters if p.example is not None}
        bindings = bind_parameters(query, raw, built_store, curated_settings.iris.prefixes()) if raw else {}
        if not bindings:
            continue
        pushed = sparql.inject_values(query.text, bindings)
        with monkeypatch.context() as patch:
            patch.setattr(sparql, "joined_groups", lambda *args: [])  # the block at the top only
            outer_only = sparql.inject_values(query.text, bindings)
        if pushed == outer_only:
            continue

        def rows(text):
            result = built_store.query(text)
            if result.kind != "select":
                return sorted(map(repr, getattr(result, "triples", None) or [result]))
            # GROUP_CONCAT's order is the engine's: compare its parts as sets
            return sorted(
                repr([sorted(re.split(r"; |, ", term.value)) if isinstance(term, ox.Literal) else term for term in row])
                for row in result.rows
            )

        assert rows(pushed) == rows(outer_only), name
        compared += 1
    assert compared >= 1, "no stored query has a joined group that mentions a parameter"
