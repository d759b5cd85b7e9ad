"""Make synthetic data shaped like coopgraph's curated graph, at any size, for the benchmarks.

Everything generated is obviously made up ("Synthville 12", "シンセ市12", example.org
addresses) and lives only in the benchmark folders: it states nothing about real
cooperation. What it shares with the curated data is its shape: the same classes and
properties of the real ontology, the same kinds of resources (parties, public bodies,
countries, prefectures and regions, municipalities with English and Japanese labels,
programmes with strands, pairings, themes, documents with files, events, agreements,
sources cited by every resource) in similar proportions, so that loading, reasoning,
validation against the real shapes, the stored queries and the exports do at scale
what they do on the real graph.

The output is a project folder that ``coopgraph build --root FOLDER`` builds like the
real one: the repository's ontology/, shapes/ and queries/ copied, and data/*.ttl
generated (one file per topic). The same size and seed always give the same bytes.

    python benchmarks/generate.py --size 100k            # -> benchmarks/out/100k/
    python benchmarks/generate.py --size 1M --out /tmp/bench
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
from pathlib import Path

import pyoxigraph as ox

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = Path(__file__).resolve().parent / "out"
SIZES = {"10k": 10_000, "100k": 100_000, "1M": 1_000_000}

CG = "https://w3id.org/coopgraph/ontology#"
ID = "https://w3id.org/coopgraph/id/"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DCT = "http://purl.org/dc/terms/"
DCAT = "http://www.w3.org/ns/dcat#"
ORG = "http://www.w3.org/ns/org#"
GEO = "http://www.w3.org/2003/01/geo/wgs84_pos#"
SCHEMA = "https://schema.org/"
FOAF = "http://xmlns.com/foaf/0.1/"

#: Prefixes of the written Turtle (one per kind of resource, as the curated files do).
PREFIXES = {
    "cg": CG,
    "rdf": RDF,
    "rdfs": RDFS,
    "xsd": XSD,
    "skos": SKOS,
    "dct": DCT,
    "dcat": DCAT,
    "org": ORG,
    "geo": GEO,
    "schema": SCHEMA,
    "foaf": FOAF,
    "party": ID + "party/",
    "country": ID + "country/",
    "body": ID + "organisation/",
    "city": ID + "city/",
    "prefecture": ID + "prefecture/",
    "region": ID + "region/",
    "programme": ID + "programme/",
    "pairing": ID + "pairing/",
    "theme": ID + "theme/",
    "doc": ID + "document/",
    "file": ID + "file/",
    "src": ID + "source/",
    "event": ID + "event/",
    "agreement": ID + "agreement/",
}

#: Syllables of the made-up Japanese names (katakana, so nobody mistakes them for real places).
KANA = ["シ", "ン", "セ", "カ", "ナ", "ミ", "ヤ", "ト", "ロ", "ハ", "ル", "ノ", "テ", "ス", "ク"]
THEME_WORDS = [
    "mobility",
    "energy",
    "water",
    "housing",
    "culture",
    "tourism",
    "health",
    "ageing",
    "digital",
    "circular economy",
    "green space",
    "resilience",
    "food",
    "innovation",
    "education",
    "heritage",
]


def iri(kind: str, slug: str) -> ox.NamedNode:
    return ox.NamedNode(f"{ID}{kind}/{slug}")


def term(namespace: str, local: str) -> ox.NamedNode:
    return ox.NamedNode(namespace + local)


A = term(RDF, "type")
LABEL = term(RDFS, "label")
PREF_LABEL = term(SKOS, "prefLabel")
SOURCE = term(DCT, "source")


def en(text: str) -> ox.Literal:
    return ox.Literal(text, language="en")


def ja(text: str) -> ox.Literal:
    return ox.Literal(text, language="ja")


def typed(value: str, datatype: str) -> ox.Literal:
    return ox.Literal(value, datatype=ox.NamedNode(XSD + datatype))


class Generator:
    """Emits the triples of one synthetic graph, topic by topic, until the target size."""

    def __init__(self, target: int, seed: int = 2013):
        self.target = target
        self.random = random.Random(seed)
        self.topics: dict[str, list[ox.Triple]] = {}
        self.size = 0

    # --- plumbing -----------------------------------------------------------------------

    def add(self, topic: str, subject, predicate, obj) -> None:
        self.topics.setdefault(topic, []).append(ox.Triple(subject, predicate, obj))
        self.size += 1

    def describe(self, topic: str, subject, cls: str, label_en: str, label_ja: str | None = None, source=None) -> None:
        self.add(topic, subject, A, term(CG, cls))
        self.add(topic, subject, LABEL, en(label_en))
        if label_ja:
            self.add(topic, subject, LABEL, ja(label_ja))
        self.add(topic, subject, SOURCE, source if source is not None else self.source())

    def kana(self, number: int) -> str:
        syllables = []
        while True:
            number, digit = divmod(number, len(KANA))
            syllables.append(KANA[digit])
            if number == 0:
                break
        return "シンセ" + "".join(syllables)

    def source(self):
        return self.random.choice(self.sources)

    def date(self, first_year: int = 2014, last_year: int = 2025) -> ox.Literal:
        year = self.random.randint(first_year, last_year)
        return typed(f"{year}-{self.random.randint(1, 12):02d}-{self.random.randint(1, 28):02d}", "date")

    # --- the fixed frame: sources, parties, countries, bodies, themes, programmes ----------

    def frame(self) -> None:
        scale = max(1, self.target // 10_000)
        self.sources = []
        for n in range(1, 20 + 10 * scale):
            source = iri("source", f"synth-s{n}")
            self.sources.append(source)
            self.add("sources", source, A, term(CG, "WebSource"))
            self.add("sources", source, LABEL, en(f"Synthetic source {n}"))
            self.add("sources", source, term(DCT, "identifier"), typed(f"S{90000 + n}", "string"))
            self.add("sources", source, term(DCT, "title"), en(f"Synthetic web page {n}"))
            self.add("sources", source, term(SCHEMA, "url"), ox.NamedNode(f"https://example.org/synthetic/page/{n}"))

        self.eu_party = iri("party", "synth-union")
        self.jp_party = iri("party", "synth-nippon")
        self.describe("parties", self.eu_party, "Party", "Synthetic Union", "シンセ連合")
        self.describe("parties", self.jp_party, "Party", "Synthnippon", "シンセ国")

        self.jp_country = iri("country", "synth-nippon")
        self.describe("places", self.jp_country, "Country", "Synthnippon", "シンセ国")
        self.eu_countries = []
        for n in range(1, 12):
            country = iri("country", f"synthland-{n}")
            self.describe("places", country, "Country", f"Synthland {n}", f"シンセランド{n}")
            self.eu_countries.append(country)

        self.prefectures = []
        for n in range(1, 48):
            prefecture = iri("prefecture", f"synth-prefecture-{n}")
            self.describe("places", prefecture, "Prefecture", f"Synth Prefecture {n}", f"{self.kana(n)}県")
            self.add("places", prefecture, term(CG, "isInCountry"), self.jp_country)
            # JP-50 and above: codes no real prefecture has
            self.add("places", prefecture, term(CG, "isoCode"), typed(f"JP-{49 + n}", "string"))
            self.prefectures.append(prefecture)
        self.regions = []
        for n in range(1, 20 + 2 * scale):
            region = iri("region", f"synth-region-{n}")
            self.describe("places", region, "Region", f"Synth Region {n}", f"シンセ地域{n}")
            self.add("places", region, term(CG, "isInCountry"), self.random.choice(self.eu_countries))
            self.regions.append(region)

        self.bodies = []
        for n in range(1, 12 + 2 * scale):
            body = iri("organisation", f"synth-body-{n}")
            side = self.jp_country if n % 2 else self.random.choice(self.eu_countries)
            self.describe("bodies", body, "PublicBody", f"Synthetic Directorate {n}", f"シンセ局{n}")
            self.add("bodies", body, term(CG, "isBasedIn"), side)
            if self.bodies and n % 3:
                self.add("bodies", body, term(ORG, "subOrganizationOf"), self.random.choice(self.bodies))
            self.bodies.append(body)

        scheme = iri("theme", "synth-scheme")
        self.add("themes", scheme, A, term(SKOS, "ConceptScheme"))
        self.add("themes", scheme, LABEL, en("Synthetic themes"))
        self.add("themes", scheme, SOURCE, self.source())
        self.themes = []
        for n in range(1, 16 + 4 * scale):
            theme = iri("theme", f"synth-theme-{n}")
            word = THEME_WORDS[n % len(THEME_WORDS)]
            self.add("themes", theme, A, term(CG, "Theme"))
            self.add("themes", theme, PREF_LABEL, en(f"Synthetic {word} {n}"))
            self.add("themes", theme, PREF_LABEL, ja(f"シンセテーマ{n}"))
            self.add("themes", theme, LABEL, en(f"Synthetic {word} {n}"))
            self.add("themes", theme, term(SKOS, "inScheme"), scheme)
            self.add("themes", theme, SOURCE, self.source())
            if n > 4:
                self.add("themes", theme, term(SKOS, "broader"), self.themes[(n - 1) % 4])
            else:
                self.add("themes", theme, term(SKOS, "topConceptOf"), scheme)
            self.themes.append(theme)

        self.programmes = []
        for n in range(1, 4 + scale):
            programme = iri("programme", f"synth-programme-{n}")
            self.describe(
                "programmes", programme, "Programme", f"Synthetic Cities Programme {n}", f"シンセ都市プログラム{n}"
            )
            self.add("programmes", programme, term(SCHEMA, "startDate"), typed(str(2010 + n % 15), "gYear"))
            self.add("programmes", programme, term(CG, "isManagedBy"), self.random.choice(self.bodies))
            self.add("programmes", programme, term(CG, "isRunWith"), self.random.choice(self.bodies))
            for theme in self.random.sample(self.themes, 3):
                self.add("programmes", programme, term(CG, "hasTheme"), theme)
            if self.programmes:
                previous = self.programmes[-1]
                if n % 4 == 0:
                    self.add("programmes", programme, term(CG, "isStrandOf"), previous)
                else:
                    self.add("programmes", programme, term(CG, "follows"), previous)
            self.programmes.append(programme)
        self.eu_cities: list = []
        self.jp_cities: list = []

    # --- the bulk: municipalities, pairings, documents, events, agreements --------------------

    def city(self, side: str):
        """A new municipality on one side, or (a third of the time) one that is already paired."""
        pool = self.eu_cities if side == "eu" else self.jp_cities
        if pool and self.random.random() < 0.33:
            return self.random.choice(pool)
        n = len(pool) + 1
        if side == "eu":
            city = iri("city", f"synthville-{n}")
            self.describe("places", city, "Municipality", f"Synthville {n}", f"シンセヴィル{n}")
            region = self.random.choice(self.regions)
            self.add("places", city, term(CG, "isInRegion"), region)
            self.add("places", city, term(CG, "isInCountry"), self.random.choice(self.eu_countries))
            lat, lon = 40 + self.random.random() * 15, -5 + self.random.random() * 25
        else:
            city = iri("city", f"shinse-{n}")
            self.describe("places", city, "Municipality", f"Shinse {n}", f"{self.kana(n)}市")
            self.add("places", city, term(CG, "isInPrefecture"), self.random.choice(self.prefectures))
            self.add("places", city, term(CG, "isInCountry"), self.jp_country)
            self.add("places", city, term(CG, "municipalityCode"), typed(f"{90000 + n % 10000:05d}", "string"))
            lat, lon = 31 + self.random.random() * 12, 130 + self.random.random() * 12
        self.add("places", city, term(GEO, "lat"), typed(f"{lat:.4f}", "decimal"))
        self.add("places", city, term(GEO, "long"), typed(f"{lon:.4f}", "decimal"))
        pool.append(city)
        return city

    def pairing(self, n: int) -> None:
        eu, jp = self.city("eu"), self.city("jp")
        pairing = iri("pairing", f"synth-pairing-{n}")
        programme = self.random.choice(self.programmes)
        self.describe("pairings", pairing, "Pairing", f"Synthetic pairing {n}")
        self.add("pairings", pairing, term(CG, "isPairingIn"), programme)
        self.add("pairings", pairing, term(CG, "hasEuSideParticipant"), eu)
        self.add("pairings", pairing, term(CG, "hasJapanSideParticipant"), jp)
        for theme in self.random.sample(self.themes, 2):
            self.add("pairings", pairing, term(CG, "hasTheme"), theme)
        self.add("pairings", pairing, term(CG, "startYear"), typed(str(self.random.randint(2014, 2025)), "gYear"))
        self.add("pairings", pairing, term(CG, "selectionDate"), self.date())
        self.add("pairings", pairing, term(CG, "themeStatement"), en(f"Synthetic exchange on topic {n % 97}"))
        if n % 4 == 0:
            self.add("pairings", pairing, term(CG, "hasCoordinatingOrganisation"), self.random.choice(self.bodies))
        if n % 10 == 0:
            agreement = iri("agreement", f"synth-agreement-{n}")
            self.describe("agreements", agreement, "CooperationAgreement", f"Synthetic cooperation agreement {n}")
            self.add("agreements", agreement, term(CG, "hasParty"), eu)
            self.add("agreements", agreement, term(CG, "hasParty"), jp)
            self.add("agreements", agreement, term(CG, "formalises"), pairing)
            self.add("agreements", agreement, term(CG, "signingDate"), self.date())
        if n % 3 == 0:
            event = iri("event", f"synth-meeting-{n}")
            self.describe("events", event, "Meeting", f"Synthetic exchange meeting {n}")
            self.add("events", event, term(SCHEMA, "startDate"), self.date())
            self.add("events", event, term(CG, "isHeldIn"), self.random.choice((eu, jp)))
            self.add("events", event, term(CG, "hasAttendee"), eu)
            self.add("events", event, term(CG, "hasAttendee"), jp)
            self.add("events", event, term(CG, "concerns"), pairing)
            self.add("events", event, term(CG, "isCarriedOutWithin"), programme)
        if n % 5 == 0:
            document = iri("document", f"synth-report-{n}")
            file = iri("file", f"synth-report-{n}-pdf")
            self.describe("documents", document, "Document", f"Synthetic pairing report {n}")
            self.add("documents", document, term(DCT, "title"), en(f"Synthetic pairing report {n}"))
            self.add("documents", document, term(DCT, "issued"), self.date())
            self.add("documents", document, term(DCT, "publisher"), self.random.choice(self.bodies))
            self.add("documents", document, term(DCT, "subject"), pairing)
            self.add("documents", document, term(CG, "hasFile"), file)
            self.describe("documents", file, "File", f"Synthetic pairing report {n} (PDF)")
            self.add(
                "documents",
                file,
                term(DCT, "format"),
                ox.NamedNode("http://publications.europa.eu/resource/authority/file-type/PDF"),
            )
            self.add(
                "documents",
                file,
                term(DCT, "language"),
                ox.NamedNode("http://publications.europa.eu/resource/authority/language/ENG"),
            )
            self.add(
                "documents",
                file,
                term(DCAT, "downloadURL"),
                ox.NamedNode(f"https://example.org/synthetic/report-{n}.pdf"),
            )
            self.add(
                "documents",
                file,
                term(DCAT, "mediaType"),
                ox.NamedNode("https://www.iana.org/assignments/media-types/application/pdf"),
            )
            self.add("documents", file, term(CG, "displayedSize"), typed(f"{1 + n % 40}.{n % 10} MB", "string"))

    def run(self) -> dict[str, list[ox.Triple]]:
        self.frame()
        n = 0
        while self.size < self.target:
            n += 1
            self.pairing(n)
        return self.topics


def generate(target: int, seed: int = 2013) -> dict[str, list[ox.Triple]]:
    """Return the synthetic graph of about ``target`` triples as {topic: triples}."""
    return Generator(target, seed).run()


def copy_schema(folder: Path, root: Path = ROOT) -> None:
    """Copy the repository's ontology, shapes and queries into a project (replacing older copies)."""
    for part in ("ontology", "shapes", "queries"):
        shutil.rmtree(Path(folder) / part, ignore_errors=True)
        if (root / part).is_dir():
            shutil.copytree(root / part, Path(folder) / part)


def write_project(folder: Path, target: int, seed: int = 2013, *, root: Path = ROOT) -> dict:
    """Write a buildable project: the real ontology, shapes and queries, and generated data/."""
    folder = Path(folder)
    if folder.exists():
        shutil.rmtree(folder)
    copy_schema(folder, root)
    (folder / "data").mkdir(parents=True)
    topics = generate(target, seed)
    header = (
        b"# Synthetic benchmark data made by benchmarks/generate.py: every name and fact here is\n"
        b"# made up. It only has the shape of coopgraph's curated data.\n"
    )
    for topic, triples in sorted(topics.items()):
        with open(folder / "data" / f"synthetic-{topic}.ttl", "wb") as fh:
            fh.write(header)
            ox.serialize(triples, fh, ox.RdfFormat.TURTLE, prefixes=PREFIXES)
    manifest = {
        "target": target,
        "seed": seed,
        "triples": sum(len(t) for t in topics.values()),
        "topics": {topic: len(triples) for topic, triples in sorted(topics.items())},
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def parameter_values(query, store) -> dict | None:
    """Values for a stored query's parameters that exist in the synthetic graph (the examples do not).

    ``query`` is a coopgraph stored query, ``store`` a coopgraph store holding synthetic data.
    None when a required parameter has no instance of its class here.
    """
    raw = {}
    for parameter in query.parameters:
        if parameter.type == "iri" and parameter.cls:
            rows = store.select(
                "SELECT ?x WHERE { ?x a/<http://www.w3.org/2000/01/rdf-schema#subClassOf>* "
                "?class FILTER(CONTAINS(STR(?x), 'synth')) } ORDER BY ?x LIMIT 1",
                bindings={"class": ox.NamedNode(parameter.cls)},
            )
            if rows:
                raw[parameter.name] = rows[0]["x"].value
            elif parameter.required:
                return None
        elif parameter.type == "iri" and parameter.required and parameter.default is None:
            # any resource will do, but one of this graph: the example is a real one, absent here,
            # and a lookup that finds nothing times nothing
            rows = store.select("SELECT ?x WHERE { ?x a ?type FILTER(CONTAINS(STR(?x), 'synth')) } LIMIT 1")
            if not rows:
                return None
            raw[parameter.name] = rows[0]["x"].value
        elif parameter.default is None and parameter.example is not None and parameter.required:
            raw[parameter.name] = parameter.example
    return raw


def parse_size(text: str) -> int:
    if text in SIZES:
        return SIZES[text]
    lowered = text.lower()
    factor = 1_000_000 if lowered.endswith("m") else 1_000 if lowered.endswith("k") else 1
    return int(float(lowered.rstrip("mk")) * factor)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", action="append", help="10k, 100k, 1M or a number (repeatable; default: all three)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"parent folder (default {DEFAULT_OUT})")
    parser.add_argument("--seed", type=int, default=2013)
    args = parser.parse_args(argv)
    for size in args.size or list(SIZES):
        manifest = write_project(args.out / size, parse_size(size), args.seed)
        print(f"{size}: {manifest['triples']:,} triples -> {args.out / size}", file=sys.stderr)


if __name__ == "__main__":
    main()
