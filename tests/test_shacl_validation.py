"""SHACL: the compiled SPARQL engine reports what pySHACL reports; reports in every form."""

from __future__ import annotations

import csv
import io
import json
import threading

import owlrl
import pytest
import rdflib

from conftest import SAMPLES
from coopgraph.errors import QueryTimeout
from coopgraph.formats import RDF_FORMATS
from coopgraph.knowledge.build import build_into, label_lookup, run_reasoning, run_validation, shapes_graph
from coopgraph.knowledge.parsed_once import each_sparql_text_parsed_once
from coopgraph.knowledge.validation import (
    SUPPORTED,
    UnsupportedShape,
    class_hierarchy,
    compile_shapes,
    read_shapes,
    validate_store,
    validate_with_pyshacl,
)
from coopgraph.namespaces import Iris
from coopgraph.store.embedded import OxigraphStore

IRIS = Iris()
ID = IRIS.id_base


def union_graph(store) -> rdflib.Graph:
    graph = rdflib.Graph()
    for name in store.view("asserted"):
        graph.parse(data=store.dump(RDF_FORMATS["ntriples"], graph=name), format="nt")
    return graph


def reference_report(store):
    # owlrl swaps rdflib's lexical conversions for strict ones, process-wide, the first time it
    # runs; do it up front so pySHACL judges ill-formed literals the same way in every test order.
    owlrl.DatatypeHandling.use_Alt_lexical_conversions()
    return validate_with_pyshacl(
        union_graph(store), shapes_graph(store), labels=label_lookup(store), prefixes=IRIS.prefixes()
    )


@pytest.fixture(scope="module")
def broken_store(mini_settings):
    """The miniature graph plus a file that breaks every kind of constraint once."""
    store = OxigraphStore(IRIS)
    try:
        build_into(store, mini_settings)
    except Exception:  # the curated mini build conforms; this only guards the fixture
        raise
    store.replace_graphs({IRIS.data_graph("broken"): (SAMPLES / "mini-broken.ttl").read_bytes()}, RDF_FORMATS["turtle"])
    run_reasoning(store)
    return store


def keys(report):
    return sorted(r.key() for r in report.results)


def test_broken_sample_triggers_each_constraint_kind(broken_store):
    report = run_validation(broken_store)
    components = {r.component for r in report.results}
    assert {
        "MinCountConstraintComponent",
        "MaxCountConstraintComponent",
        "DatatypeConstraintComponent",
        "ClassConstraintComponent",
        "NodeKindConstraintComponent",
        "PatternConstraintComponent",
        "LanguageInConstraintComponent",
        "UniqueLangConstraintComponent",
        "LessThanOrEqualsConstraintComponent",
        "SPARQLConstraintComponent",
    } <= components
    assert report.has_violations


def test_compiled_engine_equals_pyshacl_on_broken_data(broken_store):
    ours, reference = run_validation(broken_store), reference_report(broken_store)
    assert keys(ours) == keys(reference)


def test_compiled_engine_equals_pyshacl_on_mini(mini_store):
    assert keys(run_validation(mini_store)) == keys(reference_report(mini_store))


def test_compiled_engine_equals_pyshacl_on_curated(built_store):
    ours, reference = run_validation(built_store), reference_report(built_store)
    assert keys(ours) == keys(reference)
    assert not ours.has_violations


def test_a_text_parsed_once_still_answers_for_each_binding_and_rdflib_gets_its_processor_back():
    graph = rdflib.Graph()
    a, b, label = rdflib.URIRef("http://example.org/a"), rdflib.URIRef("http://example.org/b"), rdflib.RDFS.label
    graph.add((a, label, rdflib.Literal("A")))
    graph.add((b, label, rdflib.Literal("B")))
    text = "SELECT ?name WHERE { ?this <http://www.w3.org/2000/01/rdf-schema#label> ?name }"
    with each_sparql_text_parsed_once() as translated:
        names = [[str(r.name) for r in graph.query(text, initBindings={"this": node})] for node in (a, b)]
        assert len(translated) == 1  # one text, translated once for both bindings
    assert names == [["A"], ["B"]]
    processor = rdflib.plugin.get("sparql", rdflib.query.Processor)
    assert processor.__module__ == "rdflib.plugins.sparql.processor"
    assert sorted(str(r.name) for r in graph.query(text)) == ["A", "B"]  # parsed as usual again


class ThreadRecordingStore:
    """A store that notes which threads ask its queries.

    The first query waits (up to 5 s) for a query from another thread, so that a pool
    whose first thread would otherwise keep up alone has to start a second one.
    """

    def __init__(self, store):
        self.store, self.threads = store, set()
        self.lock, self.second, self.waited = threading.Lock(), threading.Event(), False

    def query(self, *args, **kwargs):
        with self.lock:
            self.threads.add(threading.get_ident())
            wait, self.waited = not self.waited, True
        if len(self.threads) > 1:
            self.second.set()
        elif wait:
            self.second.wait(5)
        return self.store.query(*args, **kwargs)


def compiled_checks(store):
    graphs = store.view("asserted")
    return graphs, compile_shapes(shapes_graph(store), IRIS.prefixes(), hierarchy=class_hierarchy(store, graphs))


def test_checks_run_side_by_side_report_what_one_at_a_time_reports_in_the_same_order(broken_store):
    graphs, checks = compiled_checks(broken_store)
    one = validate_store(broken_store, checks, default_graphs=graphs, threads=1)
    recording = ThreadRecordingStore(broken_store)
    side_by_side = validate_store(recording, checks, default_graphs=graphs, threads=3)
    assert len(one.results) > 10
    assert [r.key() for r in side_by_side.results] == [r.key() for r in one.results]
    assert len(recording.threads) > 1


def test_checks_run_side_by_side_keep_the_time_limit(broken_store):
    graphs, checks = compiled_checks(broken_store)
    with pytest.raises(QueryTimeout, match="time limit"):
        validate_store(broken_store, checks, default_graphs=graphs, threads=2, timeout=1e-6)


def test_messages_come_from_the_shapes(broken_store):
    report = run_validation(broken_store)
    messages = {r.message for r in report.results}
    assert "A municipality code is five digits, e.g. 07203." in messages
    assert "The start date must not be after the end date." in messages
    assert "A pairing needs at least two participating cities that exist in the graph." in messages


def test_reference_to_a_resource_that_exists_nowhere_is_reported(broken_store):
    report = run_validation(broken_store)
    nowhere = [r for r in report.results if r.value is not None and str(r.value).endswith("city/nowhere>")]
    assert nowhere and nowhere[0].component == "ClassConstraintComponent"


def test_report_in_every_form(broken_store):
    report = run_validation(broken_store)
    body = json.loads(report.to_json())
    assert body["conforms"] is False and body["hasViolations"] is True
    first = body["focusNodes"][0]
    assert set(first) == {"focusNode", "label", "results"}
    assert set(first["results"][0]) == {
        "severity",
        "focusNode",
        "focusLabel",
        "path",
        "value",
        "message",
        "sourceShape",
        "constraintComponent",
    }
    labels = {group["label"] for group in body["focusNodes"]}
    assert "Bad" in labels  # focus nodes are shown with their labels
    graph = rdflib.Graph().parse(data=report.to_turtle(), format="turtle")
    sh = rdflib.Namespace("http://www.w3.org/ns/shacl#")
    assert (None, rdflib.RDF.type, sh.ValidationReport) in graph
    assert len(list(graph.objects(None, sh.result))) == len(report.results)
    rows = list(csv.reader(io.StringIO(report.to_csv().decode())))
    assert rows[0][:3] == ["severity", "focus_node", "focus_label"] and len(rows) == len(report.results) + 1
    text = report.to_text(limit=None)
    assert "Bad (" in text and "violation" in text


def test_unsupported_shape_feature_is_refused():
    shapes = rdflib.Graph().parse(
        data="""
        @prefix sh: <http://www.w3.org/ns/shacl#> .
        <urn:s> a sh:NodeShape ; sh:targetClass <urn:C> ; sh:closed true .""",
        format="turtle",
    )
    with pytest.raises(UnsupportedShape):
        read_shapes(shapes)


def test_supported_list_matches_the_compiler():
    # every component the compiler knows is listed, so the pointer in the error message stays true
    assert {"minCount", "sparql", "lessThanOrEquals", "targetClass"} <= SUPPORTED


def test_compiled_queries_parse(mini_store):
    import pyoxigraph as ox

    for check in compile_shapes(shapes_graph(mini_store), IRIS.prefixes()):
        ox.Store().query(check.query)
