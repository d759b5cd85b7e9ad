"""Statement-level sources (issue 18): the records, the build's coverage, the query, pages, contributions.

Every statement of the curated data names the source that supports it through a reified record in
data/statement-sources.ttl; these tests check that the records attribute nothing a resource does not
already cite, that the build counts them, that the stored query and the pages show them, that Wikidata
links say their confidence, and that a contribution must name a source for each statement it adds.
"""

from __future__ import annotations

import re
import shutil
from html import unescape

import pyoxigraph as ox
import pytest
import rdflib
import requests
from click.testing import CliRunner

from conftest import ROOT, make_settings
from coopgraph.cli import cli
from coopgraph.contributions.checking import STATEMENT_SOURCE_SHAPE, ContributionValidator, parse_contribution
from coopgraph.errors import NotConforming
from coopgraph.formats import RDF_FORMATS
from coopgraph.knowledge.attribution import statement_coverage
from coopgraph.knowledge.build import build

ID = "https://w3id.org/coopgraph/id/"
CG = "https://w3id.org/coopgraph/ontology#"
SPA = ID + "agreement/spa"
RDF = rdflib.RDF
DCT = rdflib.Namespace("http://purl.org/dc/terms/")
DATA = ROOT / "data"
CHECK = ROOT / "queries" / "checks" / "statement-without-source-violation.rq"
#: The seed page's text (source S1, the starting text of the graph), which S1's quotations are checked against.
SEED = ROOT / "tests" / "data" / "seed" / "eu-japan-cooperation.txt"
#: The project's fact sheet, which the quotations of every other source are checked against.
FACT_SHEET = ROOT / "tests" / "data" / "facts" / "facts.md"
S1 = rdflib.URIRef(ID + "source/S1")
E1 = rdflib.URIRef(ID + "source/E1")
SKOS = rdflib.SKOS
ARRANGEMENT = {SKOS.inScheme, SKOS.broader, SKOS.topConceptOf}
SCHEME = rdflib.URIRef(ID + "theme/scheme")
QUOTATION = rdflib.URIRef(CG + "quotation")


@pytest.fixture(scope="module")
def curated_files() -> dict[str, rdflib.Graph]:
    """Each curated data file, parsed on its own."""
    return {path.stem: rdflib.Graph().parse(path) for path in sorted(DATA.glob("*.ttl"))}


def records(graph: rdflib.Graph):
    """(subject, predicate, object, sources) of every statement record in a graph."""
    for node in graph.subjects(RDF.type, RDF.Statement):
        yield (
            graph.value(node, RDF.subject),
            graph.value(node, RDF.predicate),
            graph.value(node, RDF.object),
            set(graph.objects(node, DCT.source)),
        )


# --- the records ------------------------------------------------------------------------


def test_every_record_names_an_asserted_statement_and_only_sources_its_resource_cites(curated_files):
    """No invented attribution: a statement's sources are among those its resource already cites.

    The resource-level dct:source lists come from the fact sheet's rows, so a record can only narrow
    them down to the row (or identifier source) of its fact, never add one.
    """
    facts = rdflib.Graph()
    for stem, graph in curated_files.items():
        if stem != "statement-sources":
            facts += graph
    found = list(records(curated_files["statement-sources"]))
    assert len(found) > 1500
    has_claim = rdflib.URIRef(CG + "hasClaim")
    for subject, predicate, obj, sources in found:
        assert (subject, predicate, obj) in facts, f"record of a statement no data file makes: {subject} {predicate}"
        if sources == {E1}:
            continue  # the project's own arrangement: test_e1_is_the_only_source_of_the_arrangement_and_of_nothing_else
        cited = set(facts.objects(subject, DCT.source))
        if predicate in (rdflib.URIRef(CG + "isRetained"), rdflib.URIRef(CG + "confidence")):
            # a claim's verdict rests on the other sources of the disagreement that groups it
            for disagreement in facts.subjects(has_claim, subject):
                cited |= set(facts.objects(disagreement, DCT.source))
        assert sources and sources <= cited, f"{subject} {predicate}: {sources - cited} not cited by the resource"


def seed_text() -> str:
    """The seed page (source S1) with its whitespace collapsed, as quotations are written."""
    return re.sub(r"\s+", " ", SEED.read_text(encoding="utf-8"))


def quotation_records(graph: rdflib.Graph):
    """(statement, sources, quotation or None) of every record of the graph."""
    for node in graph.subjects(RDF.type, RDF.Statement):
        statement = (graph.value(node, RDF.subject), graph.value(node, RDF.predicate), graph.value(node, RDF.object))
        yield statement, set(graph.objects(node, DCT.source)), graph.value(node, QUOTATION)


def test_every_quotation_is_the_seeds_own_words_and_belongs_to_s1_alone(curated_files):
    seed = seed_text()
    found = quotation_records(curated_files["statement-sources"])
    quoted = [(s, sources, q) for s, sources, q in found if q and S1 in sources]
    assert len(quoted) > 200
    for statement, sources, quotation in quoted:
        assert sources == {S1}, f"{statement[0]} {statement[1]}: a quotation belongs to S1 alone, not {sources}"
        assert quotation.language == "en"
        assert re.sub(r"\s+", " ", str(quotation)) in seed, f"not the seed's words: {quotation!r}"


def source_key(source: rdflib.URIRef) -> str:
    """The register's key of a source (S43, G8) from its IRI."""
    return str(source).rsplit("/", 1)[-1]


def fact_sheet_quotes(words: str, key: str) -> bool:
    """True when the fact sheet quotes `words` ("..." or 「...」) on a line that names source `key`.

    The line names the source in its Sources column, in a bracket such as [S29], or is the source's
    own entry in the register at the end of the fact sheet.
    """
    names = re.compile(rf"(?<![\w]){re.escape(key)}(?!\d)")
    quoted = (f'"{words}"', f"「{words}」")
    return any(
        names.search(line) and any(q in line for q in quoted)
        for line in FACT_SHEET.read_text(encoding="utf-8").splitlines()
    )


def test_every_other_sources_quotation_is_the_fact_sheets_quote_of_it_and_belongs_to_it_alone(curated_files):
    """A quotation of a source other than S1 gives its words as the fact sheet quotes them, on its line."""
    graph = curated_files["statement-sources"]
    languages = set()
    count = 0
    for node in graph.subjects(RDF.type, RDF.Statement):
        quotations = list(graph.objects(node, QUOTATION))
        sources = set(graph.objects(node, DCT.source))
        if not quotations or S1 in sources:
            continue
        subject, predicate = graph.value(node, RDF.subject), graph.value(node, RDF.predicate)
        assert len(sources) == 1, f"{subject} {predicate}: a quotation belongs to one source, not {sources}"
        [source] = sources
        for quotation in quotations:
            count += 1
            languages.add(quotation.language)
            assert quotation.language in {"en", "ja"}, f"{subject} {predicate}: {quotation!r}"
            assert fact_sheet_quotes(str(quotation), source_key(source)), (
                f"{subject} {predicate}: the fact sheet does not quote {quotation!r} for {source_key(source)}"
            )
    assert count >= 30
    assert languages == {"en", "ja"}


def test_the_fact_sheet_check_finds_only_a_source_s_own_quoted_words():
    """The check above is strict: the words must be quoted, and on a line naming that very source."""
    assert fact_sheet_quotes("エコ変革とグリーン・ディール", "S43")
    assert fact_sheet_quotes("Outcomes of the Second Working Meeting 23-27 November 2015", "S58")  # its register entry
    assert not fact_sheet_quotes("エコ変革とグリーン・ディール", "S4")  # S43's line does not name S4
    assert not fact_sheet_quotes("eco-transformation and Green Deal", "S43")  # a translation, not quoted
    assert not fact_sheet_quotes("IURC Programme 2021-2023", "S61")  # S32's words, on a line not naming S61


def test_every_statement_s1_supports_has_its_quotation(curated_files):
    """The share of S1-sourced statements with a quotation: all of them (a record naming S1 quotes it)."""
    found = list(quotation_records(curated_files["statement-sources"]))
    from_s1 = {statement for statement, sources, _ in found if S1 in sources}
    quoted = {statement for statement, sources, quotation in found if S1 in sources and quotation}
    assert len(from_s1) > 200
    assert from_s1 == quoted, f"{len(from_s1 - quoted)} statements name S1 without its words"


def test_e1_is_the_only_source_of_the_arrangement_and_of_nothing_else(curated_files):
    """The theme scheme's arrangement names E1 alone; E1 names nothing a source states."""
    themes = curated_files["themes"]
    arrangement = {(s, p, o) for s, p, o in themes if p != DCT.source and (p in ARRANGEMENT or s == SCHEME)}
    assert len(arrangement) > 100
    by_statement: dict = {}
    for statement, sources, _ in quotation_records(curated_files["statement-sources"]):
        by_statement.setdefault(statement, set()).update(sources)
        if E1 in sources:
            assert sources == {E1} and statement in arrangement, f"E1 on a sourced statement: {statement}"
    for statement in arrangement:
        assert by_statement.get(statement) == {E1}, f"{statement}: {by_statement.get(statement)}"
    register = curated_files["sources"]
    assert (E1, RDF.type, rdflib.URIRef(CG + "EditorialSource")) in register
    assert register.value(E1, DCT.identifier) == rdflib.Literal("E1")
    assert register.value(E1, rdflib.URIRef("https://schema.org/url")) is None


def test_the_spa_dates_name_the_rows_of_the_fact_sheet(curated_files):
    """The SPA cites 11 sources; each of its dates names only the row that gives it (facts.md section 3)."""
    by_fact = {
        (str(p), str(o)): {str(s).rsplit("/", 1)[-1] for s in sources}
        for s, p, o, sources in records(curated_files["statement-sources"])
        if str(s) == SPA
    }
    assert by_fact[(CG + "entryIntoForceDate", "2025-01-01")] == {"S5", "S6"}
    assert by_fact[(CG + "provisionalApplicationDate", "2019-02-01")] == {"S4", "S11"}
    assert by_fact[(CG + "signingDate", "2018-07-17")] == {"S3", "S13"}
    assert by_fact[(CG + "celexNumber", "22018A0824(01)")] == {"S7"}


def test_records_are_plain_rdf_that_survives_every_export_format(built_store):
    """Reification is RDF 1.1: every triple and quad format carries the records and reads them back."""
    graph = built_store.iris.data_graph("statement-sources")
    expected = built_store.count(graph)
    for name in ("turtle", "ntriples", "rdfxml", "jsonld"):
        text = built_store.dump(RDF_FORMATS[name], graph=graph)
        back = ox.Store()
        back.load(text, RDF_FORMATS[name].oxigraph)
        assert len(back) == expected, name
        assert bool(
            back.query(
                "ASK { ?r <http://www.w3.org/1999/02/22-rdf-syntax-ns#subject> ?s ; "
                "<http://purl.org/dc/terms/source> ?src }"
            )
        )


def test_a_record_asserts_nothing_and_the_reasoner_ignores_it(built_store):
    """The records' statements are facts only where a data file asserts them: no record leaks into the graph."""
    leaked = built_store.select("""
        PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
        SELECT ?x WHERE { GRAPH ?g { ?x ?p ?o } FILTER(isBlank(?x))
                          FILTER(!REGEX(STR(?g), "/graph/data/statement-sources$"))
                          FILTER(?p IN (rdf:subject, rdf:predicate, rdf:object)) } LIMIT 1""")
    assert leaked == []


# --- coverage -----------------------------------------------------------------------------


def test_build_prints_the_coverage_and_the_check_lists_exactly_the_rest(built_store, tmp_path):
    coverage = statement_coverage(built_store)
    assert coverage.statements > 2000 and coverage.share >= 0.98
    themes = rdflib.Graph().parse(DATA / "themes.ttl")
    arrangement = {(s, p, o) for s, p, o in themes if p != DCT.source and (p in ARRANGEMENT or s == SCHEME)}
    assert coverage.editorial == len(arrangement)
    unsourced = list(built_store.select(CHECK.read_text(encoding="utf-8")))
    assert len(unsourced) == coverage.unsourced
    result = CliRunner().invoke(cli, ["--root", str(ROOT), "build", "--store", "memory"], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    assert (
        f"Statement sources: {coverage.sourced:,} of {coverage.statements:,} statements ({coverage.share:.1%})"
        f" name their source ({coverage.editorial:,} editorial only)"
    ) in result.stdout


def test_the_builds_count_over_merged_data_equals_the_count_graph_by_graph(mini_settings):
    """The build counts the data graphs merged in validation's copy: a statement two files hold counts once."""
    from coopgraph.knowledge.build import validate_and_count_sources
    from coopgraph.store.embedded import OxigraphStore

    iris = mini_settings.iris
    store = OxigraphStore(iris)
    cited = "<https://example.org/a> <https://example.org/p> <https://example.org/b> .\n"
    uncited = "<https://example.org/a> <http://purl.org/dc/terms/source> <https://example.org/s> .\n"
    store.replace_graphs(
        {
            iris.data_graph("one"): cited + uncited,
            iris.data_graph("two"): cited
            + "<https://example.org/c> <https://example.org/p> <https://example.org/d> .\n",
            iris.data_graph("statement-sources"): (
                "_:r <http://www.w3.org/1999/02/22-rdf-syntax-ns#subject> <https://example.org/a> ;\n"
                "  <http://www.w3.org/1999/02/22-rdf-syntax-ns#predicate> <https://example.org/p> ;\n"
                "  <http://www.w3.org/1999/02/22-rdf-syntax-ns#object> <https://example.org/b> ;\n"
                "  <http://purl.org/dc/terms/source> <https://example.org/s> .\n"
            ),
        },
        RDF_FORMATS["turtle"],
    )
    report, merged = validate_and_count_sources(store)
    assert not report.has_violations
    assert (merged.statements, merged.sourced) == (2, 1)  # dct:source summaries are not statements
    assert merged == statement_coverage(store)
    # without any records, nothing is sourced, and the statements are still counted once
    store.replace_graphs({}, drop=[iris.data_graph("statement-sources")])
    assert validate_and_count_sources(store)[1] == statement_coverage(store) == type(merged)(2, 0)


def test_the_default_minimum_is_98_percent():
    from coopgraph.config import DOCS, Settings

    assert Settings().min_statement_source_share == 0.98
    assert "0.98" in DOCS["min_statement_source_share"]


def test_every_curated_statement_names_its_source(built_store):
    """The goal of the coverage figure: no asserted statement of data/ is left without a record."""
    coverage = statement_coverage(built_store)
    assert coverage.unsourced == 0 and coverage.sourced == coverage.statements


def test_build_fails_below_the_minimum_share(tmp_path):
    """A copy of the project with one statement its records do not cover builds at 98% but not at 100%."""
    root = tmp_path / "project"
    for part in ("ontology", "shapes", "data", "queries"):
        shutil.copytree(ROOT / part, root / part)
    places = root / "data" / "places.ttl"
    places.write_text(
        places.read_text(encoding="utf-8") + '\nplace:tokyo skos:note "A statement that no record covers."@en .\n',
        encoding="utf-8",
    )
    store, _ = build(make_settings(root))
    assert statement_coverage(store).unsourced == 1
    with pytest.raises(NotConforming, match="too few statements name their source"):
        build(make_settings(root, min_statement_source_share=1.0))
    result = CliRunner().invoke(
        cli,
        ["--root", str(root), "build", "--store", "memory"],
        env={"COOPGRAPH_MIN_STATEMENT_SOURCE_SHARE": "1.0"},
        catch_exceptions=False,
    )
    assert result.exit_code != 0 and "too few statements name their source" in result.stderr


CHECK_SAMPLE = """
@prefix dct: <http://purl.org/dc/terms/> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
GRAPH <https://w3id.org/coopgraph/graph/data/towns> {
  <https://w3id.org/coopgraph/id/city/alpha> <https://w3id.org/coopgraph/ontology#isoCode> "X-1" , "X-2" ;
      dct:source <https://w3id.org/coopgraph/id/source/S1> .
}
GRAPH <https://w3id.org/coopgraph/graph/data/statement-sources> {
  [] rdf:subject <https://w3id.org/coopgraph/id/city/alpha> ;
     rdf:predicate <https://w3id.org/coopgraph/ontology#isoCode> ; rdf:object "X-1" ;
     dct:source <https://w3id.org/coopgraph/id/source/S1> .
}
"""


def test_the_check_catches_a_statement_without_a_record():
    store = ox.Store()
    store.load(CHECK_SAMPLE.encode(), ox.RdfFormat.TRIG)
    rows = list(store.query(CHECK.read_text(encoding="utf-8")))
    assert [row["object"].value for row in rows] == ["X-2"]


# --- the stored query, over a real server ---------------------------------------------


def test_statement_sources_query_gives_each_fact_its_sources(live_server):
    url = live_server.url + "/api/queries/statement-sources/results"
    answer = requests.get(url, params={"subject": SPA, "predicate": CG + "entryIntoForceDate"}, timeout=30)
    assert answer.status_code == 200
    rows = answer.json()["rows"]
    assert {row["source"]["value"].rsplit("/", 1)[-1] for row in rows} == {"S5", "S6"}
    assert all(row["object"]["value"] == "2025-01-01" and row["sourceLabel"]["value"].startswith("S") for row in rows)
    everything = requests.get(url, params={"subject": SPA}, timeout=30).json()["rows"]
    predicates = {row["predicate"]["value"] for row in everything}
    assert {CG + "signingDate", CG + "entryIntoForceDate", CG + "celexNumber"} <= predicates
    missing = requests.get(url, timeout=30)
    assert missing.status_code == 400 and missing.json()["details"]["parameter"] == "subject"


def test_statement_sources_query_gives_the_seeds_words_on_the_s1_row(live_server):
    url = live_server.url + "/api/queries/statement-sources/results"
    params = {"subject": ID + "programme/iurc", "predicate": "https://schema.org/startDate"}
    answer = requests.get(url, params=params, timeout=30)
    assert answer.status_code == 200
    rows = {row["source"]["value"].rsplit("/", 1)[-1]: row for row in answer.json()["rows"]}
    assert set(rows) == {"S1", "S29", "S31", "S39"}
    assert rows["S1"]["quotation"]["value"] == "during the period 2021-2024"
    assert all(not row.get("quotation") for code, row in rows.items() if code != "S1")
    broader = {"subject": ID + "theme/compact-city", "predicate": str(SKOS.broader)}
    [row] = requests.get(url, params=broader, timeout=30).json()["rows"]
    assert row["source"]["value"] == str(E1) and not row.get("sourceUrl")


def test_statement_sources_query_gives_another_sources_words_on_its_row_once(live_server):
    """A quoted source stands once on a statement's rows, with its words, beside the sources not quoted."""
    url = live_server.url + "/api/queries/statement-sources/results"
    params = {"subject": ID + "organisation/dg-regio", "predicate": str(rdflib.RDFS.label)}
    rows = requests.get(url, params=params, timeout=30).json()["rows"]
    current = [row for row in rows if row["object"]["value"] == "Directorate-General for Regional and Urban Policy"]
    codes = [row["source"]["value"].rsplit("/", 1)[-1] for row in current]
    assert sorted(codes) == ["G8", "S28", "S29", "S37", "S68", "S69"]
    quoted = {code: row["quotation"]["value"] for code, row in zip(codes, current, strict=True) if row.get("quotation")}
    assert quoted == {"G8": "Directorate-General for Regional and Urban Policy"}
    theme = {"subject": ID + "theme/eco-transformation-and-green-deal", "predicate": str(SKOS.prefLabel)}
    rows = requests.get(url, params=theme, timeout=30).json()["rows"]
    [japanese] = [row for row in rows if row.get("quotation")]
    assert japanese["source"]["value"] == ID + "source/S43"
    assert japanese["quotation"]["value"] == "エコ変革とグリーン・ディール"
    assert japanese["quotation"].get("language") == "ja"


def test_only_high_confidence_wikidata_links_can_be_selected(live_server):
    url = live_server.url + "/api/queries/wikidata-links/results"
    high = requests.get(url, params={"confidence": CG + "highConfidence"}, timeout=30).json()["rows"]
    everything = requests.get(url, timeout=30).json()["rows"]
    assert high and {row["confidence"]["value"] for row in high} == {CG + "highConfidence"}
    medium = {row["resource"]["value"] for row in everything if row["confidence"]["value"] == CG + "mediumConfidence"}
    assert ID + "country/slovakia" in medium
    assert not medium & {row["resource"]["value"] for row in high}


# --- pages --------------------------------------------------------------------------------


def test_each_fact_row_of_a_page_names_its_sources(client):
    html = client.get("/id/agreement/spa", headers={"Accept": "text/html"}).get_data(as_text=True)
    row = html[html.index('href="/ontology#entryIntoForceDate"') :]
    row = row[: row.index("</tr>")]
    assert 'href="/id/source/S5"' in row and 'href="/id/source/S6"' in row
    assert 'href="/id/source/S3"' not in row


def page_quotations(html: str) -> list[tuple[str, str, str]]:
    """(source key, language, words) of every quotation a page shows right after a source's link."""
    found = []
    after_link = r'<a href="/id/source/(\w+)">(?:(?!</a>).)*</a>((?: <q class="quotation" lang="[\w-]+">[^<]*</q>)+)'
    for link in re.finditer(after_link, html):
        for quote in re.finditer(r'<q class="quotation" lang="([\w-]+)">([^<]*)</q>', link[2]):
            found.append((link[1], quote[1], unescape(quote[2])))
    return found


@pytest.mark.parametrize(
    "path",
    [
        "/id/agreement/letter-of-intent-2013",
        "/id/programme/iurc",
        "/id/organisation/dg-regio",
        "/id/event/2015-11-23-world-cities-second-working-meeting",
    ],
)
def test_a_fact_row_quotes_a_sources_words_beside_that_source(client, path):
    """S1's words beside S1 are the seed's; another source's words beside it are the fact sheet's quote."""
    html = client.get(path, headers={"Accept": "text/html"}).get_data(as_text=True)
    quotes = page_quotations(html)
    assert quotes, "no quotation on the page"
    seed = seed_text()
    for source, language, words in quotes:
        if source == "S1":
            assert language == "en" and re.sub(r"\s+", " ", words) in seed, words
        else:
            assert fact_sheet_quotes(words, source), f"{source}: {words!r}"
    assert html.count('class="quotation"') == len(quotes)


def test_a_japanese_quotation_of_another_source_stands_beside_it_in_japanese(client):
    html = client.get("/id/theme/eco-transformation-and-green-deal", headers={"Accept": "text/html"})
    quotes = page_quotations(html.get_data(as_text=True))
    assert ("S43", "ja", "エコ変革とグリーン・ディール") in quotes
    assert {source for source, _, _ in quotes} == {"S43"}


def test_a_medium_confidence_wikidata_link_says_so_on_the_page_and_in_the_json_twin(client):
    html = client.get("/id/country/slovakia", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert "Wikidata Q214" in html and "medium confidence" in html
    twin = client.get("/id/country/slovakia.jsonld").get_data(as_text=True)
    assert "mediumConfidence" in twin and "wikidataConfidence" in twin
    high = client.get("/id/country/germany", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert "high confidence" in high and "medium confidence" not in high


# --- contributions ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def validator(built_store):
    v = ContributionValidator(built_store)
    yield v
    v.close()


PREFIXES = """
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix city: <https://w3id.org/coopgraph/id/city/> .
@prefix src: <https://w3id.org/coopgraph/id/source/> .
"""
NEW_FACT = 'city:kobe skos:altLabel "Kobe City"@en .\n'


def check(validator, text: str):
    contribution = parse_contribution((PREFIXES + text).encode(), RDF_FORMATS["turtle"], validator.iris)
    return validator.validate(contribution, timeout=30)


def test_a_contributed_statement_without_a_source_is_refused_with_a_readable_message(validator):
    report = check(validator, NEW_FACT)
    [violation] = [r for r in report.violations if r.shape == STATEMENT_SOURCE_SHAPE]
    assert violation.focus.value == ID + "city/kobe" and violation.value.value == "Kobe City"
    assert "Name the source of this statement" in violation.message


def test_a_record_or_the_subjects_source_in_the_contribution_is_enough(validator):
    record = NEW_FACT + (
        "[] a rdf:Statement ; rdf:subject city:kobe ; rdf:predicate skos:altLabel ; "
        'rdf:object "Kobe City"@en ; dct:source src:S14 .\n'
    )
    assert not check(validator, record).has_violations
    assert not check(validator, NEW_FACT + "city:kobe dct:source src:S14 .\n").has_violations


def test_a_record_without_a_source_fails_the_shape(validator):
    record = NEW_FACT + (
        '[] a rdf:Statement ; rdf:subject city:kobe ; rdf:predicate skos:altLabel ; rdf:object "Kobe City"@en .\n'
    )
    report = check(validator, record)
    messages = [r.message for r in report.violations]
    assert any("Name the source(s) of this statement" in m for m in messages)
    assert any("Name the source of this statement" in m for m in messages)


def test_a_quotation_with_two_sources_fails_the_shape(validator):
    record = NEW_FACT + (
        "[] a rdf:Statement ; rdf:subject city:kobe ; rdf:predicate skos:altLabel ; "
        'rdf:object "Kobe City"@en ; dct:source src:S14 , src:S1 ; '
        '<https://w3id.org/coopgraph/ontology#quotation> "Kobe"@en .\n'
    )
    messages = [r.message for r in check(validator, record).violations]
    assert any("A quotation belongs to one source" in m for m in messages)
    one = record.replace("src:S14 , src:S1", "src:S1")
    assert not check(validator, one).has_violations


def test_the_ledger_keeps_each_contributed_statement_with_its_source(curated_settings):
    """An accepted contribution keeps its records in its graph; statement-sources then names their source."""
    from coopgraph.contributions.ledger import submit
    from coopgraph.queries import load_stored_queries, run_stored_query

    store, _ = build(curated_settings)
    turtle = RDF_FORMATS["turtle"]
    with pytest.raises(NotConforming):
        submit(store, (PREFIXES + NEW_FACT).encode(), turtle, contributor="Ada", description="No source given")
    record_text = NEW_FACT + (
        "[] a rdf:Statement ; rdf:subject city:kobe ; rdf:predicate skos:altLabel ; "
        'rdf:object "Kobe City"@en ; dct:source src:S14 .\n'
    )
    record, _ = submit(
        store, (PREFIXES + record_text).encode(), turtle, contributor="Ada", description="Kobe's English name, from S14"
    )
    assert store.count(record.graph) == 6
    queries, _ = load_stored_queries(curated_settings.queries_dir, curated_settings.iris.prefixes())
    query = queries["statement-sources"]
    result, _ = run_stored_query(
        store, query, {"subject": ID + "city/kobe", "predicate": "http://www.w3.org/2004/02/skos/core#altLabel"}
    )
    rows = [{k: getattr(v, "value", v) for k, v in row.items()} for row in result.dicts()]
    assert {row["source"] for row in rows if row["object"] == "Kobe City"} == {ID + "source/S14"}
