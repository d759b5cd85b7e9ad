"""The command line, on real files: each command, good and bad input, exit codes, messages."""

from __future__ import annotations

import json
import shutil

import pytest
import rdflib
from click.testing import CliRunner

from conftest import MINI, SAMPLES
from coopgraph.cli import cli

ID = "https://w3id.org/coopgraph/id/"


def run(*args, input=None):
    result = CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def mini(*args, **kwargs):
    return run("--root", str(MINI), *args, **kwargs)


@pytest.fixture()
def project(tmp_path):
    """A writable copy of the miniature project."""
    root = tmp_path / "project"
    shutil.copytree(MINI, root)
    return root


@pytest.mark.parametrize("command", ["build", "query", "export", "validate", "serve"])
def test_every_command_has_help(command):
    code, out, _ = run(command, "--help")
    assert code == 0 and "Usage:" in out and "--store" in out


def test_build_prints_a_summary():
    code, out, err = mini("build")
    assert code == 0, err
    assert "https://w3id.org/coopgraph/graph/data/places" in out and "Steps:" in out
    for step in ("load", "reason", "validate", "stored queries"):
        assert step in out
    assert "Validation: conforms" in out and "Stored queries: 2 ready, 1 left out" in out
    assert "broken-header.rq" in err


def test_build_json_report():
    code, out, _ = mini("build", "--json")
    report = json.loads(out)
    assert code == 0 and report["ok"] and report["graphs"]["https://w3id.org/coopgraph/graph/shapes"] > 0


def test_build_validates_before_it_reasons():
    """The validation's scratch copy of the data must be gone before the inferred graph is made.

    Their sum was the build's memory peak; run in this order the peak is the larger of the
    two (benchmarks/scale.py: 1M, 2.39 -> 1.75 GiB), which is what lets 10M build here.
    """
    code, out, _ = mini("build", "--json")
    steps = [step["step"] for step in json.loads(out)["steps"]]
    assert code == 0 and steps.index("load") < steps.index("validate") < steps.index("reason")


def test_build_on_disk_then_query_it(tmp_path):
    store = tmp_path / "store"
    assert mini("build", "--store", str(store))[0] == 0
    assert (store / "db").is_dir() and (store / "snapshots" / "CURRENT").is_file()
    code, out, _ = mini(
        "query", "--store", str(store), "--name", "city-pairings", "--param", "city=id:city/alpha", "--format", "csv"
    )
    assert code == 0 and out.splitlines()[1].endswith(",Gamma")


def test_syntax_error_fails_the_build_with_file_line_and_message(project):
    shutil.copy(SAMPLES / "mini-syntax-error.ttl", project / "data" / "bad.ttl")
    code, _, err = run("--root", str(project), "build")
    assert code == 2
    assert "bad.ttl, line 4, column" in err


def test_violation_fails_the_build_and_keeps_the_previous_store(project, tmp_path):
    store = tmp_path / "store"
    assert run("--root", str(project), "build", "--store", str(store))[0] == 0
    shutil.copy(SAMPLES / "mini-broken.ttl", project / "data" / "broken.ttl")
    code, _, err = run("--root", str(project), "build", "--store", str(store))
    assert code == 1
    assert "DOES NOT CONFORM" in err
    assert "Bad (https://w3id.org/coopgraph/id/pairing/bad)" in err  # focus node with its label
    assert "mini#start>: The start date must not be after the end date." in err  # property and message
    code, out, _ = run(
        "--root",
        str(project),
        "query",
        "--store",
        str(store),
        "-",
        "--format",
        "csv",
        input="SELECT ?s WHERE { ?s a <https://example.org/mini#Pairing> }",
    )
    assert code == 0 and "pairing/bad" not in out and "pairing/alpha-gamma" in out


def test_query_from_file_stdin_and_stored(tmp_path):
    query = tmp_path / "q.rq"
    query.write_text("SELECT ?s WHERE { ?s a <https://example.org/mini#Region> } ORDER BY ?s")
    code, out, _ = mini("query", str(query), "--format", "json")
    assert code == 0
    assert [b["s"]["value"] for b in json.loads(out)["results"]["bindings"]] == [
        ID + "region/continent",
        ID + "region/north",
    ]
    code, out, _ = mini("query", "-", "--format", "tsv", input=query.read_text())
    assert code == 0 and out.splitlines()[0] == "?s"
    code, out, _ = mini("query", "--name", "city-pairings", "--param", "city=id:city/alpha")
    assert code == 0 and "Gamma" in out and "(1 row)" in out


@pytest.mark.parametrize(
    "fmt, parse_as", [("turtle", "turtle"), ("jsonld", "json-ld"), ("ntriples", "nt"), ("rdfxml", "xml")]
)
def test_construct_queries_in_rdf_formats(fmt, parse_as):
    code, out, _ = mini(
        "query",
        "-",
        "--format",
        fmt,
        input="CONSTRUCT { ?s a ?t } WHERE { ?s a ?t FILTER(?t = <https://example.org/mini#Region>) }",
    )
    assert code == 0
    graph = rdflib.Graph().parse(data=out, format=parse_as)
    assert len(graph) == 2


def test_asserted_view_on_the_command_line():
    query = "ASK { <https://w3id.org/coopgraph/id/city/beta> a <https://example.org/mini#City> }"
    assert mini("query", "-", input=query)[1].strip() == "yes"
    assert mini("query", "-", "--graph", "asserted", input=query)[1].strip() == "no"


@pytest.mark.parametrize(
    "args, stdin, code, message",
    [
        (["query"], None, 2, "either a query FILE"),
        (["query", "-", "--name", "labels"], "", 2, "not both"),
        (["query", "--name", "nothing"], None, 2, "no stored query named 'nothing'"),
        (["query", "--name", "city-pairings"], None, 2, "parameter 'city': is required"),
        (["query", "--name", "city-pairings", "--param", "city=not an iri"], None, 2, "is not an absolute IRI"),
        (["query", "--name", "city-pairings", "--param", "city"], None, 2, "name=value"),
        (["query", "-"], "SELECT * WHERE { ?s ?p }", 1, "line 1"),
        (["query", "-"], "INSERT DATA { <urn:a> <urn:b> <urn:c> }", 2, "only reads"),
        (["query", "-"], "SELECT * WHERE { SERVICE <http://127.0.0.1:1/> { ?s ?p ?o } }", 1, "SERVICE"),
        (["query", "-", "--format", "csv"], "CONSTRUCT WHERE { ?s ?p ?o }", 2, "cannot be written as csv"),
        (["query", "--store", "/nonexistent/store", "-"], "ASK {}", 2, "no built store"),
        (["validate", "/nonexistent/file.ttl"], None, 2, "no such file"),
        (["validate", "data.unknown"], None, 2, None),
        (["serve", "--store", "/nonexistent/store"], None, 2, "no built store"),
    ],
)
def test_errors_exit_with_their_code_and_say_what_to_do(args, stdin, code, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data.unknown").write_text("x")
    got, _, err = mini(*args, input=stdin)
    assert got == code, err
    if message:
        assert message in err
    assert "Traceback" not in err


def test_validate_good_bad_and_unknown_references():
    code, out, _ = mini("validate", str(SAMPLES / "mini-good.ttl"))
    assert code == 0 and "conforms" in out
    code, out, _ = mini("validate", str(SAMPLES / "mini-unknown-city.ttl"))
    assert code == 1 and "city/atlantis" in out
    code, out, _ = mini("validate", str(SAMPLES / "mini-broken.ttl"), "--report", "json")
    assert code == 1 and json.loads(out)["hasViolations"] is True
    code, _, err = mini("validate", str(SAMPLES / "mini-syntax-error.ttl"))
    assert code == 2 and "line 4" in err


def test_validate_report_as_turtle_and_csv():
    code, out, _ = mini("validate", str(SAMPLES / "mini-broken.ttl"), "--report", "turtle")
    graph = rdflib.Graph().parse(data=out, format="turtle")
    assert code == 1 and len(graph) > 10
    code, out, _ = mini("validate", str(SAMPLES / "mini-broken.ttl"), "--report", "csv")
    assert code == 1 and out.startswith("severity,focus_node")


def test_config_file_and_environment(tmp_path):
    config = tmp_path / "coopgraph.toml"
    config.write_text(f'root = "{MINI}"\nquery_timeout = 3\n')
    code, out, _ = run("--config", str(config), "query", "-", input="ASK { ?s a <https://example.org/mini#City> }")
    assert code == 0 and out.strip() == "yes"
    broken = tmp_path / "broken.toml"
    broken.write_text("root = [unclosed")
    code, _, err = run("--config", str(broken), "build")
    assert code == 2 and "not valid TOML" in err
