"""The description of the dataset: DCAT-AP 3 for data portals, VoID for linked-data tools.

One description serves both audiences, so a harvester and a crawler never disagree: a
``dcat:Catalog`` holding the ``dcat:Dataset`` (which is also the ``void:Dataset``), a
``dcat:Distribution`` per file of a release (media type, byte size, SHA-256, download
URL), the SPARQL endpoint as a ``dcat:DataService``, and the VoID statistics counted in
the store (:mod:`coopgraph.describe.void`).

Nothing in it is made up: coverage in space and time is read from the graph (the
parties' Wikidata items, the dates of the cooperation activities and agreements); the
publisher and contact point are the project itself, since no person or mailbox is
named anywhere; a recommended property is left out rather than filled with a guess.
The EU vocabulary IRIs used below are those of the Publications Office authority tables
(https://op.europa.eu/en/web/eu-vocabularies/authority-tables), the licence types of
ADMS, and the SPDX checksum algorithms (https://spdx.org/rdf/terms/).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pyoxigraph as ox

from ..config import Settings
from ..formats import RdfFormatInfo, serialize_triples
from ..jsonld import build_context, compact_triples
from ..namespaces import DCAT, DCT, FOAF, ONTOLOGY, PREFIXES, RDF, RDFS, SKOS, VOID, XSD
from ..store.base import Store
from .service import FORMAT_IRIS
from .void import LINK_TARGETS, VoidStatistics, compute_statistics

if TYPE_CHECKING:  # pragma: no cover
    from ..release import Release

SPDX = "http://spdx.org/rdf/terms#"
VCARD = "http://www.w3.org/2006/vcard/ns#"
DCATAP = "http://data.europa.eu/r5r/"
AUTHORITY = "http://publications.europa.eu/resource/authority/"
IANA = "https://www.iana.org/assignments/media-types/"

#: Prefixes of the serialised description.
DESCRIPTION_PREFIXES = {
    "dcat": DCAT,
    "dct": DCT,
    "foaf": FOAF,
    "void": VOID,
    "spdx": SPDX,
    "vcard": VCARD,
    "dcatap": DCATAP,
    "skos": SKOS,
    "rdfs": RDFS,
    "xsd": XSD,
    "cg": ONTOLOGY,
    "filetype": AUTHORITY + "file-type/",
    "lang": AUTHORITY + "language/",
    "datatheme": AUTHORITY + "data-theme/",
    "sd": "http://www.w3.org/ns/sparql-service-description#",
}

TITLE = "coopgraph: EU–Japan cooperation on regional and urban policy"
DESCRIPTION = (
    "The linked-data knowledge graph of EU–Japan cooperation on regional and urban policy: "
    "the parties and public bodies, the agreements and their provisions, the policy dialogues, "
    "the programmes (World Cities, IUC, IURC and its Region-to-Region strand) with their city "
    "and region pairings, the places, themes, documents and studies, every fact with its source. "
    "It is an OWL ontology with curated data, SHACL shapes and what reasoning adds, each in its "
    "own named graph."
)
CATALOG_TITLE = "coopgraph catalogue"
CATALOG_DESCRIPTION = "The datasets published by the coopgraph project: its knowledge graph, in releases."
KEYWORDS = ("EU-Japan cooperation", "regional policy", "urban policy", "city pairings", "linked data")
PUBLISHER_NAME = "The coopgraph maintainers"

LICENSE = "https://creativecommons.org/licenses/by/4.0/"
LICENSE_TYPE = ("http://purl.org/adms/licencetype/Attribution", "Attribution", "http://purl.org/adms/licencetype/1.0")
#: The EU data theme "Regions and cities" of the Publications Office's "Data theme" authority table.
THEMES = ((AUTHORITY + "data-theme/REGI", "Regions and cities"),)
THEME_SCHEME = (AUTHORITY + "data-theme", "Data theme")
#: Languages of the labels in the graph, by language tag -> EU language authority code.
LANGUAGES = {"en": "ENG", "ja": "JPN"}
SHA256 = SPDX + "checksumAlgorithm_sha256"
SPARQL_PROTOCOL = "https://www.w3.org/TR/sparql11-protocol/"
GZIP = IANA + "application/gzip"


def site_url(settings: Settings, request_root: str | None = None) -> str:
    """Where the site is reachable: the configured public URL, else the request's, else the base IRI."""
    url = settings.public_url or request_root or settings.base_iri
    return url if url.endswith("/") else url + "/"


@dataclass
class Distribution:
    iri: str
    name: str
    title: str
    description: str
    download_url: str
    media_type: str
    file_type: str
    bytes: int
    sha256: str
    compress: str | None
    kind: str
    fmt: str
    issued: dt.datetime


@dataclass
class DatasetDescription:
    """What the description says, kept as values so HTML pages and RDF come from one place."""

    document: str  # the description document; its fragments name the nodes it describes
    site: str
    title: str
    description: str
    version: str | None
    issued: dt.date | None
    modified: dt.datetime | None
    catalog_modified: dt.datetime | None
    contact_url: str
    spatial: list[tuple[str, str]]
    temporal: tuple[dt.date, dt.date] | None
    languages: list[str]
    stats: VoidStatistics
    distributions: list[Distribution] = field(default_factory=list)

    @property
    def iri(self) -> str:
        return self.document + "#dataset"

    @property
    def catalog_iri(self) -> str:
        return self.document + "#catalog"

    @property
    def sparql_endpoint(self) -> str:
        return self.site + "sparql"

    @property
    def landing_page(self) -> str:
        return self.site + "dataset"

    @property
    def download_page(self) -> str:
        return self.site + "download"

    def node(self, fragment: str) -> str:
        """The IRI of a node described in the document (catalogue, publisher, contact, ...)."""
        return f"{self.document}#{fragment}"

    def linkset_iri(self, target: str, predicate: str) -> str:
        local = predicate.rsplit("#", 1)[-1].rsplit("/", 1)[-1]
        return self.node(f"links-{target}-{local}")

    def triples(self) -> list[ox.Triple]:
        """The description's triples, grouped by subject (named nodes first) for readable Turtle."""
        triples = _Writer(self).write()
        return sorted(triples, key=lambda t: (isinstance(t.subject, ox.BlankNode), t.subject.value))

    def serialize(self, fmt: RdfFormatInfo) -> bytes:
        """Write the description in an RDF format (JSON-LD compacted with the description's prefixes)."""
        triples = self.triples()
        if fmt.name == "jsonld":
            return compact_triples(triples, build_context([], {**PREFIXES, **DESCRIPTION_PREFIXES}))
        return serialize_triples(triples, fmt, DESCRIPTION_PREFIXES)


def describe_dataset(
    store: Store,
    settings: Settings,
    *,
    release: Release | None = None,
    releases: list[Release] = (),
    site: str | None = None,
    stats: VoidStatistics | None = None,
    timeout: float | None = None,
) -> DatasetDescription:
    """Describe the graph in ``store`` and the files of ``release`` (the newest of ``releases`` if None).

    ``releases`` gives the date the dataset was first issued; ``site`` is the public root
    the download and endpoint URLs are built on (default: :func:`site_url`).
    """
    site = site or site_url(settings)
    releases = list(releases)
    if release is None and releases:
        release = max(releases, key=lambda r: r.created)
    dated = releases + ([release] if release is not None and release not in releases else [])
    issued = min((r.created for r in dated), default=None)
    modified = _modified(store)
    stats = stats or compute_statistics(store, timeout=timeout)
    document = settings.iris.base + "dataset"
    description = DatasetDescription(
        document=document,
        site=site,
        title=TITLE,
        description=DESCRIPTION,
        version=release.version if release else None,
        issued=issued.date() if issued else None,
        modified=modified,
        catalog_modified=max([t for t in (modified, release.created if release else None) if t], default=None),
        contact_url=settings.contact_url or site,
        spatial=_spatial(store, timeout),
        temporal=_temporal(store, timeout),
        languages=_languages(store, timeout),
        stats=stats,
    )
    if release is not None:
        for item in release.files:
            description.distributions.append(
                Distribution(
                    iri=description.node(f"{release.version}/{item.name}"),
                    name=item.name,
                    title=item.title,
                    description=item.description,
                    download_url=f"{site}download/{release.version}/{item.name}",
                    media_type=item.media_type,
                    file_type=item.file_type,
                    bytes=item.bytes,
                    sha256=item.sha256,
                    compress=item.compress,
                    kind=item.kind,
                    fmt=item.format,
                    issued=release.created,
                )
            )
    return description


# --- what the graph tells about itself ---------------------------------------------------


def _modified(store: Store) -> dt.datetime | None:
    """When the graph was last built (the meta graph's dct:modified)."""
    rows = store.select(f"SELECT ?t WHERE {{ ?g <{DCT}modified> ?t }} LIMIT 1", default_graphs=[store.iris.meta_graph])
    if not rows:
        return None
    try:
        return dt.datetime.fromisoformat(rows[0]["t"].value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _spatial(store: Store, timeout: float | None) -> list[tuple[str, str]]:
    """The territories of the parties to the cooperation, as their Wikidata items."""
    rows = store.select(
        f"""
        SELECT ?item (SAMPLE(?name) AS ?label) WHERE {{
          ?party a <{ONTOLOGY}Party> ; <{ONTOLOGY}wikidata> ?item .
          OPTIONAL {{ ?party <{RDFS}label> ?name FILTER(langMatches(lang(?name), "en")) }}
        }} GROUP BY ?item ORDER BY ?item""",
        timeout=timeout,
    )
    return [
        (row["item"].value, row["label"].value if "label" in row else "")
        for row in rows
        if isinstance(row.get("item"), ox.NamedNode)
    ]


def _temporal(store: Store, timeout: float | None) -> tuple[dt.date, dt.date] | None:
    """The span of the dates stated on cooperation activities and agreements."""
    rows = store.select(
        f"""
        SELECT DISTINCT ?value WHERE {{
          VALUES ?class {{ <{ONTOLOGY}CooperationActivity> <{ONTOLOGY}Agreement> }}
          ?thing a ?class ; ?property ?value .
          FILTER(isLiteral(?value)
                 && datatype(?value) IN (<{XSD}date>, <{XSD}dateTime>, <{XSD}gYear>, <{XSD}gYearMonth>))
        }}""",
        timeout=timeout,
    )
    spans = [span for row in rows if (span := _span(row["value"])) is not None]
    if not spans:
        return None
    return min(s for s, _ in spans), max(e for _, e in spans)


def _span(literal: ox.Literal) -> tuple[dt.date, dt.date] | None:
    """The first and last day a date, month or year literal stands for."""
    text, kind = literal.value, literal.datatype.value
    try:
        if kind == XSD + "gYear":
            year = int(text[:4])
            return dt.date(year, 1, 1), dt.date(year, 12, 31)
        if kind == XSD + "gYearMonth":
            year, month = int(text[:4]), int(text[5:7])
            last = dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)
            return dt.date(year, month, 1), last
        day = dt.date.fromisoformat(text[:10])
        return day, day
    except ValueError:
        return None


def _languages(store: Store, timeout: float | None) -> list[str]:
    """The EU language codes of the language tags used in the graph's labels."""
    rows = store.select(f"SELECT DISTINCT (LCASE(lang(?l)) AS ?tag) WHERE {{ ?s <{RDFS}label> ?l }}", timeout=timeout)
    tags = {row["tag"].value.split("-")[0] for row in rows if "tag" in row}
    return [LANGUAGES[t] for t in sorted(tags) if t in LANGUAGES]


def utc_timestamp(value: dt.datetime) -> str:
    """An xsd:dateTime in UTC to the second, as the descriptions and release manifests write it."""
    return value.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


# --- the RDF -------------------------------------------------------------------------------


class _Writer:
    """Turns a :class:`DatasetDescription` into triples."""

    def __init__(self, description: DatasetDescription):
        self.d = description
        self.out: list[ox.Triple] = []
        self.typed: set[tuple[str, str]] = set()
        self.blank_nodes = 0

    def blank(self) -> ox.BlankNode:
        """A blank node with a label that only depends on the order of writing: the same
        description serialises to the same bytes, so its ETag stays put between requests."""
        self.blank_nodes += 1
        return ox.BlankNode(f"b{self.blank_nodes}")

    def add(self, subject, predicate: str, obj) -> None:
        self.out.append(ox.Triple(subject, ox.NamedNode(predicate), obj))

    def typed_node(self, iri: str, *types: str) -> ox.NamedNode:
        node = ox.NamedNode(iri)
        for kind in types:
            if (iri, kind) not in self.typed:
                self.typed.add((iri, kind))
                self.add(node, RDF + "type", ox.NamedNode(kind))
        return node

    def write(self) -> list[ox.Triple]:
        d = self.d
        dataset = self.typed_node(d.iri, DCAT + "Dataset", VOID + "Dataset")
        catalog = self.typed_node(d.catalog_iri, DCAT + "Catalog")
        publisher = self.publisher()
        license_ = self.license()
        service = self.service(dataset, publisher)
        home = self.typed_node(d.site, FOAF + "Document")

        self.add(catalog, DCT + "title", en(CATALOG_TITLE))
        self.add(catalog, DCT + "description", en(CATALOG_DESCRIPTION))
        self.add(catalog, DCT + "publisher", publisher)
        self.add(catalog, DCT + "license", license_)
        self.add(catalog, FOAF + "homepage", home)
        self.add(catalog, DCAT + "dataset", dataset)
        self.add(catalog, DCAT + "service", service)
        scheme = self.typed_node(THEME_SCHEME[0], SKOS + "ConceptScheme")
        self.add(scheme, DCT + "title", en(THEME_SCHEME[1]))
        self.add(catalog, DCAT + "themeTaxonomy", scheme)
        for code in d.languages:
            self.add(
                catalog, DCT + "language", self.typed_node(AUTHORITY + "language/" + code, DCT + "LinguisticSystem")
            )
        for iri, label in d.spatial:
            self.add(catalog, DCT + "spatial", self.location(iri, label))
        self.dates(catalog, d.issued, d.catalog_modified)

        self.add(dataset, DCT + "title", en(d.title))
        self.add(dataset, DCT + "description", en(d.description))
        self.add(dataset, DCT + "identifier", ox.Literal(d.iri))
        self.add(dataset, DCT + "publisher", publisher)
        self.add(dataset, DCAT + "contactPoint", self.contact())
        self.add(dataset, DCAT + "landingPage", self.typed_node(d.landing_page, FOAF + "Document"))
        self.add(dataset, DCT + "license", license_)
        ontology = self.typed_node(ONTOLOGY.rstrip("#"), DCT + "Standard")
        self.add(dataset, DCT + "conformsTo", ontology)
        for keyword in KEYWORDS:
            self.add(dataset, DCAT + "keyword", en(keyword))
        for theme in self.themes():
            self.add(dataset, DCAT + "theme", theme)
        for code in d.languages:
            self.add(dataset, DCT + "language", ox.NamedNode(AUTHORITY + "language/" + code))
        for iri, label in d.spatial:
            self.add(dataset, DCT + "spatial", self.location(iri, label))
        if d.temporal:
            self.add(dataset, DCT + "temporal", self.period(*d.temporal))
        if d.version:
            self.add(dataset, DCAT + "version", ox.Literal(d.version))
        self.dates(dataset, d.issued, d.modified)
        for distribution in d.distributions:
            self.add(dataset, DCAT + "distribution", self.distribution(distribution, license_))
        self.void(dataset)
        return self.out

    def dates(self, subject, issued: dt.date | None, modified: dt.datetime | None) -> None:
        if issued:
            self.add(subject, DCT + "issued", ox.Literal(issued.isoformat(), datatype=ox.NamedNode(XSD + "date")))
        if modified:
            self.add(subject, DCT + "modified", datetime_literal(modified))

    def publisher(self) -> ox.NamedNode:
        node = self.typed_node(self.d.node("publisher"), FOAF + "Agent", FOAF + "Organization")
        self.add(node, FOAF + "name", en(PUBLISHER_NAME))
        self.add(node, FOAF + "homepage", ox.NamedNode(self.d.site))
        return node

    def contact(self) -> ox.NamedNode:
        node = self.typed_node(self.d.node("contact"), VCARD + "Organization", VCARD + "Kind")
        self.add(node, VCARD + "fn", ox.Literal(PUBLISHER_NAME))
        self.add(node, VCARD + "hasURL", ox.NamedNode(self.d.contact_url))
        return node

    def license(self) -> ox.NamedNode:
        node = self.typed_node(LICENSE, DCT + "LicenseDocument")
        kind = self.concept(*LICENSE_TYPE)
        self.add(node, DCT + "type", kind)
        self.add(node, RDFS + "label", en("Creative Commons Attribution 4.0 International"))
        return node

    def concept(self, iri: str, label: str, scheme: str) -> ox.NamedNode:
        node = self.typed_node(iri, SKOS + "Concept")
        if (iri, "label") not in self.typed:
            self.typed.add((iri, "label"))
            self.add(node, SKOS + "prefLabel", en(label))
            self.add(node, SKOS + "inScheme", ox.NamedNode(scheme))
        return node

    def themes(self) -> list[ox.NamedNode]:
        return [self.concept(iri, label, THEME_SCHEME[0]) for iri, label in THEMES]

    def location(self, iri: str, label: str) -> ox.NamedNode:
        fresh = (iri, DCT + "Location") not in self.typed
        node = self.typed_node(iri, DCT + "Location")
        if label and fresh:
            self.add(node, SKOS + "prefLabel", en(label))
        return node

    def period(self, start: dt.date, end: dt.date) -> ox.NamedNode:
        node = self.typed_node(self.d.node("temporal-coverage"), DCT + "PeriodOfTime")
        self.add(node, DCAT + "startDate", ox.Literal(start.isoformat(), datatype=ox.NamedNode(XSD + "date")))
        self.add(node, DCAT + "endDate", ox.Literal(end.isoformat(), datatype=ox.NamedNode(XSD + "date")))
        return node

    def service(self, dataset: ox.NamedNode, publisher: ox.NamedNode) -> ox.NamedNode:
        d = self.d
        node = self.typed_node(d.node("sparql-service"), DCAT + "DataService")
        self.add(node, DCT + "title", en("coopgraph SPARQL endpoint"))
        self.add(
            node,
            DCT + "description",
            en(
                "Read-only SPARQL 1.1 endpoint over the whole graph "
                "(every named graph but the shapes as the default graph)."
            ),
        )
        self.add(node, DCAT + "endpointURL", ox.NamedNode(d.sparql_endpoint))
        # The endpoint answers a request without a query with its SPARQL 1.1 Service Description.
        self.add(node, DCAT + "endpointDescription", ox.NamedNode(d.sparql_endpoint))
        self.add(node, DCAT + "servesDataset", dataset)
        self.add(node, DCT + "conformsTo", self.typed_node(SPARQL_PROTOCOL, DCT + "Standard"))
        self.add(node, DCT + "publisher", publisher)
        self.add(node, DCAT + "contactPoint", ox.NamedNode(d.node("contact")))
        self.add(node, DCT + "license", ox.NamedNode(LICENSE))
        for keyword in ("SPARQL", *KEYWORDS):
            self.add(node, DCAT + "keyword", en(keyword))
        for theme in self.themes():
            self.add(node, DCAT + "theme", theme)
        return node

    def distribution(self, item: Distribution, license_: ox.NamedNode) -> ox.NamedNode:
        node = self.typed_node(item.iri, DCAT + "Distribution")
        self.add(node, DCT + "title", en(item.title))
        self.add(node, DCT + "description", en(item.description))
        self.add(node, DCAT + "accessURL", ox.NamedNode(self.d.download_page))
        self.add(node, DCAT + "downloadURL", ox.NamedNode(item.download_url))
        self.add(node, DCAT + "mediaType", self.typed_node(IANA + item.media_type, DCT + "MediaType"))
        self.add(
            node, DCT + "format", self.typed_node(AUTHORITY + "file-type/" + item.file_type, DCT + "MediaTypeOrExtent")
        )
        if item.compress == "gzip":
            self.add(node, DCAT + "compressFormat", self.typed_node(GZIP, DCT + "MediaType"))
        self.add(
            node, DCAT + "byteSize", ox.Literal(str(item.bytes), datatype=ox.NamedNode(XSD + "nonNegativeInteger"))
        )
        checksum = self.blank()
        self.add(node, SPDX + "checksum", checksum)
        self.add(checksum, RDF + "type", ox.NamedNode(SPDX + "Checksum"))
        self.add(checksum, SPDX + "algorithm", self.typed_node(SHA256, SPDX + "ChecksumAlgorithm"))
        self.add(checksum, SPDX + "checksumValue", ox.Literal(item.sha256, datatype=ox.NamedNode(XSD + "hexBinary")))
        self.add(node, DCT + "license", license_)
        self.add(node, DCT + "issued", datetime_literal(item.issued))
        return node

    def void(self, dataset: ox.NamedNode) -> None:
        d, stats = self.d, self.d.stats
        integer = ox.NamedNode(XSD + "integer")

        def count(subject, prop: str, value: int) -> None:
            self.add(subject, VOID + prop, ox.Literal(str(value), datatype=integer))

        self.add(dataset, VOID + "uriSpace", ox.Literal(stats.uri_space))
        self.add(dataset, VOID + "sparqlEndpoint", ox.NamedNode(d.sparql_endpoint))
        for name in ("triples", "entities", "distinctSubjects", "distinctObjects"):
            attribute = {"distinctSubjects": "distinct_subjects", "distinctObjects": "distinct_objects"}.get(name, name)
            count(dataset, name, getattr(stats, attribute))
        count(dataset, "classes", len(stats.classes))
        count(dataset, "properties", len(stats.properties))
        for vocabulary in stats.vocabularies:
            self.add(dataset, VOID + "vocabulary", ox.NamedNode(vocabulary))
        for example in stats.examples:
            self.add(dataset, VOID + "exampleResource", ox.NamedNode(example))
        for item in d.distributions:
            if item.kind == "dump":
                self.add(dataset, VOID + "dataDump", ox.NamedNode(item.download_url))
                if item.fmt in FORMAT_IRIS:
                    self.add(dataset, VOID + "feature", ox.NamedNode(FORMAT_IRIS[item.fmt]))
        for cls, entities in stats.classes.items():
            partition = self.blank()
            self.add(dataset, VOID + "classPartition", partition)
            self.add(partition, VOID + "class", ox.NamedNode(cls))
            count(partition, "entities", entities)
        for prop, triples in stats.properties.items():
            partition = self.blank()
            self.add(dataset, VOID + "propertyPartition", partition)
            self.add(partition, VOID + "property", ox.NamedNode(prop))
            count(partition, "triples", triples)
        for target in sorted({ls.target for ls in stats.linksets}):
            info = LINK_TARGETS[target]
            other = self.typed_node(d.node(target), VOID + "Dataset")
            self.add(other, DCT + "title", ox.Literal(info["title"]))
            self.add(other, VOID + "uriSpace", ox.Literal(info["uri_space"]))
            self.add(other, FOAF + "homepage", ox.NamedNode(info["homepage"]))
        for linkset in stats.linksets:
            node = self.typed_node(d.linkset_iri(linkset.target, linkset.predicate), VOID + "Linkset")
            self.add(dataset, VOID + "subset", node)
            self.add(node, VOID + "subjectsTarget", dataset)
            self.add(node, VOID + "objectsTarget", ox.NamedNode(d.node(linkset.target)))
            self.add(node, VOID + "linkPredicate", ox.NamedNode(linkset.predicate))
            count(node, "triples", linkset.triples)


def en(text: str) -> ox.Literal:
    return ox.Literal(text, language="en")


def datetime_literal(value: dt.datetime) -> ox.Literal:
    return ox.Literal(utc_timestamp(value), datatype=ox.NamedNode(XSD + "dateTime"))
