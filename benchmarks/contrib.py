"""Validating (and submitting) a 100-triple contribution against graphs of 10k and of 1M triples.

The contribution validator reads only the neighbourhood a contribution touches, so its
cost should follow the size of the contribution, not of the graph. Target: at most 1.5x
between the two graphs, and under 1 s.

    .venv/bin/python benchmarks/contrib.py            # 10k and 1M triples
    .venv/bin/python benchmarks/contrib.py --sizes 10000 100000 --runs 5

The data is synthetic and made up (example cities "Testville-N"), shaped like the
curated graph: cities with English and Japanese labels, codes, prefectures and countries;
pairings between a Japanese and a European city in a programme, with themes and
sources; one SHACL NodeShape per class. ``synthetic_project`` is a stand-in until the
shared generator (benchmarks/generate.py) is on main; then build from that instead.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox

from coopgraph.config import load_settings
from coopgraph.contributions.checking import ContributionValidator, parse_contribution
from coopgraph.contributions.ledger import submit
from coopgraph.formats import RDF_FORMATS
from coopgraph.knowledge.build import build
from coopgraph.store.snapshots import SnapshotStore

CG = "https://w3id.org/coopgraph/ontology#"
ID = "https://w3id.org/coopgraph/id/"

ONTOLOGY = f"""@prefix cg: <{CG}> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<https://w3id.org/coopgraph/ontology> a owl:Ontology .
cg:Place a owl:Class . cg:City a owl:Class ; rdfs:subClassOf cg:Place .
cg:Prefecture a owl:Class ; rdfs:subClassOf cg:Place . cg:Country a owl:Class ; rdfs:subClassOf cg:Place .
cg:Programme a owl:Class . cg:Pairing a owl:Class . cg:Theme a owl:Class . cg:Source a owl:Class .
cg:participant a owl:ObjectProperty ; rdfs:domain cg:Pairing ; rdfs:range cg:City .
cg:hasPairing a owl:ObjectProperty ; owl:inverseOf cg:participant .
cg:inProgramme a owl:ObjectProperty ; rdfs:range cg:Programme .
cg:theme a owl:ObjectProperty ; rdfs:range cg:Theme .
cg:withinPrefecture a owl:ObjectProperty ; rdfs:subPropertyOf cg:locatedIn .
cg:locatedIn a owl:ObjectProperty , owl:TransitiveProperty .
cg:country a owl:ObjectProperty ; rdfs:range cg:Country .
cg:source a owl:ObjectProperty ; rdfs:range cg:Source .
cg:code a owl:DatatypeProperty . cg:startYear a owl:DatatypeProperty ; rdfs:range xsd:gYear .
"""

SHAPES = f"""@prefix cg: <{CG}> .
@prefix cgsh: <https://w3id.org/coopgraph/shapes#> .
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
cgsh:CityShape a sh:NodeShape ; sh:targetClass cg:City ;
  sh:property [ sh:path rdfs:label ; sh:minCount 1 ; sh:languageIn ("en" "ja") ; sh:uniqueLang true ;
                sh:message "Give a city one label per language, in English and Japanese." ] ;
  sh:property [ sh:path rdfs:label ; sh:languageIn ("ja") ; sh:minCount 1 ; sh:severity sh:Warning ;
                sh:message "Add the Japanese name." ] ;
  sh:property [ sh:path cg:code ; sh:maxCount 1 ; sh:datatype xsd:string ; sh:pattern "^[0-9]{{5}}$" ;
                sh:message "A code is five digits." ] ;
  sh:property [ sh:path cg:country ; sh:minCount 1 ; sh:maxCount 1 ; sh:class cg:Country ;
                sh:message "Name the city's country." ] ;
  sh:property [ sh:path cg:withinPrefecture ; sh:class cg:Prefecture ; sh:message "Prefectures only." ] ;
  sh:property [ sh:path cg:source ; sh:minCount 1 ; sh:class cg:Source ; sh:message "Cite a source." ] .
cgsh:PairingShape a sh:NodeShape ; sh:targetClass cg:Pairing ;
  sh:property [ sh:path rdfs:label ; sh:minCount 1 ; sh:message "Label the pairing." ] ;
  sh:property [ sh:path cg:participant ; sh:minCount 2 ; sh:class cg:City ; sh:nodeKind sh:IRI ;
                sh:message "A pairing needs two cities that exist in the graph." ] ;
  sh:property [ sh:path cg:inProgramme ; sh:minCount 1 ; sh:maxCount 1 ; sh:class cg:Programme ;
                sh:message "Name the programme, once." ] ;
  sh:property [ sh:path cg:theme ; sh:class cg:Theme ; sh:message "Themes only." ] ;
  sh:property [ sh:path cg:startYear ; sh:maxCount 1 ; sh:datatype xsd:gYear ; sh:message "A year." ] ;
  sh:property [ sh:path cg:source ; sh:minCount 1 ; sh:class cg:Source ; sh:message "Cite a source." ] ;
  sh:sparql [ sh:message "The cities of a pairing are in two countries." ;
    sh:select \"\"\"PREFIX cg: <{CG}>
      SELECT $this WHERE {{ $this cg:participant ?a, ?b . ?a cg:country ?c . ?b cg:country ?c .
                           FILTER(STR(?a) < STR(?b)) }}\"\"\" ] .
cgsh:ProgrammeShape a sh:NodeShape ; sh:targetClass cg:Programme ;
  sh:property [ sh:path rdfs:label ; sh:minCount 1 ; sh:message "Label the programme." ] .
cgsh:ThemeShape a sh:NodeShape ; sh:targetClass cg:Theme ;
  sh:property [ sh:path rdfs:label ; sh:minCount 1 ; sh:message "Label the theme." ] .
cgsh:SourceShape a sh:NodeShape ; sh:targetClass cg:Source ;
  sh:property [ sh:path rdfs:label ; sh:minCount 1 ; sh:message "Title the source." ] .
cgsh:PrefectureShape a sh:NodeShape ; sh:targetClass cg:Prefecture ;
  sh:property [ sh:path rdfs:label ; sh:minCount 1 ; sh:message "Label the prefecture." ] ;
  sh:property [ sh:path [ sh:inversePath cg:withinPrefecture ] ; sh:class cg:City ;
                sh:message "Only cities lie within a prefecture." ] .
"""

LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


def synthetic_data(triples: int) -> str:
    """N-Triples of about ``triples`` triples: made-up cities and pairings (about 9 triples each)."""
    lines: list[str] = []
    add = lines.append

    def t(s, p, o):
        add(f"<{s}> <{p}> {o} .")

    for name, kind in (("japan", "Country"), ("testland", "Country")):
        t(ID + f"country/{name}", TYPE, f"<{CG}{kind}>")
        t(ID + f"country/{name}", LABEL, f'"{name.title()}"@en')
    for i in range(47):
        t(ID + f"prefecture/p{i}", TYPE, f"<{CG}Prefecture>")
        t(ID + f"prefecture/p{i}", LABEL, f'"Prefecture {i}"@en')
    for i in range(20):
        for kind, slug in (("Programme", "programme"), ("Theme", "theme"), ("Source", "source")):
            t(ID + f"{slug}/{slug[0]}{i}", TYPE, f"<{CG}{kind}>")
            t(ID + f"{slug}/{slug[0]}{i}", LABEL, f'"{kind} {i}"@en')
    cities = max(4, triples // 20)
    for i in range(cities):
        city = ID + f"city/testville-{i}"
        japanese = i % 2 == 0
        t(city, TYPE, f"<{CG}City>")
        t(city, LABEL, f'"Testville {i}"@en')
        if japanese:
            t(city, LABEL, f'"テストビル{i}"@ja')
            t(city, CG + "withinPrefecture", f"<{ID}prefecture/p{i % 47}>")
        t(city, CG + "code", f'"{i % 100000:05d}"')
        t(city, CG + "country", f"<{ID}country/{'japan' if japanese else 'testland'}>")
        t(city, CG + "source", f"<{ID}source/s{i % 20}>")
    pairing = 0
    while len(lines) < triples:
        p = ID + f"pairing/tp-{pairing}"
        jp, eu = (2 * pairing) % cities, (2 * pairing + 1) % cities
        t(p, TYPE, f"<{CG}Pairing>")
        t(p, LABEL, f'"Testville pairing {pairing}"@en')
        t(p, CG + "participant", f"<{ID}city/testville-{jp}>")
        t(p, CG + "participant", f"<{ID}city/testville-{eu}>")
        t(p, CG + "inProgramme", f"<{ID}programme/p{pairing % 20}>")
        t(p, CG + "theme", f"<{ID}theme/t{pairing % 20}>")
        t(p, CG + "theme", f"<{ID}theme/t{(pairing + 7) % 20}>")
        t(p, CG + "startYear", f'"{1990 + pairing % 35}"^^<http://www.w3.org/2001/XMLSchema#gYear>')
        t(p, CG + "source", f"<{ID}source/s{pairing % 20}>")
        pairing += 1
    return "\n".join(lines) + "\n"


def synthetic_project(folder: Path, triples: int) -> Path:
    for name in ("ontology", "shapes", "data", "queries"):
        (folder / name).mkdir(parents=True, exist_ok=True)
    (folder / "ontology" / "coopgraph.ttl").write_text(ONTOLOGY, encoding="utf-8")
    (folder / "shapes" / "shapes.ttl").write_text(SHAPES, encoding="utf-8")
    (folder / "data" / "synthetic.nt").write_text(synthetic_data(triples), encoding="utf-8")
    return folder


def contribution(size: int = 100) -> bytes:
    """About ``size`` triples: new pairings between existing cities, and facts added to existing cities."""
    lines = []
    n = 0
    while len(lines) < size - 4:
        p = ID + f"pairing/new-{n}"
        lines += [
            f"<{p}> <{TYPE}> <{CG}Pairing> .",
            f'<{p}> <{LABEL}> "New Testville pairing {n}"@en .',
            f"<{p}> <{CG}participant> <{ID}city/testville-{2 * n}> .",
            f"<{p}> <{CG}participant> <{ID}city/testville-{2 * n + 1}> .",
            f"<{p}> <{CG}inProgramme> <{ID}programme/p{n % 20}> .",
            f"<{p}> <{CG}theme> <{ID}theme/t{n % 20}> .",
            f'<{p}> <{CG}startYear> "2025"^^<http://www.w3.org/2001/XMLSchema#gYear> .',
            f"<{p}> <{CG}source> <{ID}source/s{n % 20}> .",
        ]
        n += 1
    lines += [f'<{ID}city/testville-{2 * k + 1}> <{LABEL}> "Testville {2 * k + 1} (alt)"@en-GB .' for k in range(2)]
    lines += [f"<{ID}city/testville-{2 * k}> <{CG}source> <{ID}source/s3> ." for k in range(2)]
    return "\n".join(lines[:size]).encode("utf-8") + b"\n"


def prepare(workdir: Path, size: int, reuse: bool) -> dict:
    """Build (or, with --keep, reuse) a store of about ``size`` triples and open it for serving."""
    store_path = workdir / f"store-{size}"
    root = workdir / f"project-{size}"
    settings = load_settings(environ={}, root=str(root), store=str(store_path))
    built_seconds = None
    if not (reuse and (store_path / "db").is_dir()):
        synthetic_project(root, size)
        started = time.perf_counter()
        built, _ = build(settings, validate=False)
        built_seconds = time.perf_counter() - started
        built.close()
        print(f"  {size:>9,} triples built in {built_seconds:.1f} s", file=sys.stderr)
    serving = SnapshotStore(settings.iris, store_path, workers=2)
    return {
        "size": size,
        "settings": settings,
        "store": serving,
        "triples": serving.count(),
        "inline": ContributionValidator(serving),
        "isolated": ContributionValidator(serving, isolated=True),
        "times": {"inline": [], "isolated": [], "submit": []},
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 1_000_000])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument(
        "--keep",
        type=Path,
        default=None,
        help="Build the stores in this folder and keep them (and reuse them next time).",
    )
    args = parser.parse_args(argv)
    workdir = args.keep or Path(tempfile.mkdtemp(prefix="coopgraph-bench-"))
    data = contribution(100)
    fmt = RDF_FORMATS["ntriples"]
    try:
        setups = [prepare(workdir, size, reuse=args.keep is not None) for size in args.sizes]
        for setup in setups:
            setup["parsed"] = parse_contribution(data, fmt, setup["settings"].iris)
            report = setup["inline"].validate(setup["parsed"], timeout=60)  # warm up
            assert not report.has_violations, report.to_text()
            setup["isolated"].validate(setup["parsed"], timeout=60)
            setup["neighbourhood"] = len(setup["inline"].neighbourhood(setup["parsed"]))
        # Sizes alternate run by run, so a busy machine slows both alike.
        for _ in range(args.runs):
            for setup in setups:
                for kind in ("inline", "isolated"):
                    started = time.perf_counter()
                    setup[kind].validate(setup["parsed"], timeout=60)
                    setup["times"][kind].append(time.perf_counter() - started)
        for run in range(3):
            for setup in setups:
                started = time.perf_counter()
                submit(
                    setup["store"],
                    data.replace(b"pairing/new-", f"pairing/new{run}-".encode()),
                    fmt,
                    contributor="Benchmark",
                    description="benchmark",
                    validator=setup["isolated"],
                    timeout=60,
                )
                setup["times"]["submit"].append(time.perf_counter() - started)
        for setup in setups:
            setup["inline"].close()
            setup["isolated"].close()
            setup["store"].close()
    finally:
        if args.keep is None:
            shutil.rmtree(workdir, ignore_errors=True)

    def median(setup, kind):
        return statistics.median(setup["times"][kind])

    base = setups[0]
    print(
        f"Contribution validation, {time.strftime('%Y-%m-%d')}, {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, pyoxigraph {ox.__version__}; "
        f"median of {args.runs} runs (submissions: of 3), sizes interleaved"
    )
    print()
    print(
        "| graph (triples) | contribution (triples) | neighbourhood read (triples) | validate, in process | ratio | "
        "validate, killable worker (as the web does) | ratio | submit: validate + write + reason + publish | ratio |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for setup in setups:
        print(
            f"| {setup['triples']:,} | {len(setup['parsed'].triples)} | {setup['neighbourhood']} | "
            + " | ".join(
                f"{median(setup, kind) * 1000:.0f} ms | {median(setup, kind) / median(base, kind):.2f}x"
                for kind in ("inline", "isolated", "submit")
            )
            + " |"
        )


if __name__ == "__main__":
    main()
