"""Releases: a folder of dumps, spreadsheet tables, checksums and the dataset description.

A release is what data portals harvest and what people cite: every file is written once,
listed with its size and SHA-256 in ``SHA256SUMS`` (``sha256sum -c`` checks it) and in
the DCAT-AP description (``dataset.ttl``), and never changes afterwards. ``release.json``
lists the same for the web app, which serves the files as they are on disk.

The folder is written beside its final place and renamed into it when complete, so a
failed or interrupted release never leaves half a release where /download would list it.
Dumps stream from the store to disk (see :mod:`coopgraph.export`); nothing holds the
whole graph in memory.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import hashlib
import json
import logging
import re
import shutil
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path

from .config import Settings
from .describe.dataset import describe_dataset, utc_timestamp
from .errors import LoadError, NotFound, UsageError
from .export import write_export
from .folders import swap_in
from .formats import RDF_FORMATS
from .queries import StoredQuery, load_stored_query
from .store.base import Store

log = logging.getLogger(__name__)

MANIFEST = "release.json"
CHECKSUMS = "SHA256SUMS"
DESCRIPTION = "dataset.ttl"
VERSION_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


@dataclass(frozen=True)
class Artefact:
    """One kind of file a release holds, and how portals should call it."""

    format: str  # an RDF format name, or "csv"
    suffix: str
    title: str
    description: str
    media_type: str  # IANA media type of the (uncompressed) content
    file_type: str  # code in the EU file-type authority table
    compress: str | None = None
    view: str = "all"  # the graph view written (quad formats: every named graph)


DUMPS: tuple[Artefact, ...] = (
    Artefact(
        "turtle",
        ".ttl",
        "Turtle dump",
        "The whole graph (ontology, curated data and inferred triples, without the SHACL shapes) in Turtle.",
        "text/turtle",
        "RDF_TURTLE",
    ),
    Artefact(
        "ntriples",
        ".nt.gz",
        "N-Triples dump (gzip)",
        "The whole graph (ontology, curated data and inferred triples, without the SHACL shapes) in "
        "N-Triples, one triple per line, compressed with gzip.",
        "application/n-triples",
        "RDF_N_TRIPLES",
        compress="gzip",
    ),
    Artefact(
        "jsonld",
        ".jsonld",
        "JSON-LD dump",
        "The whole graph (ontology, curated data and inferred triples, without the SHACL shapes) in JSON-LD, "
        "compacted with the coopgraph context, which is embedded.",
        "application/ld+json",
        "JSON_LD",
    ),
    Artefact(
        "trig",
        ".trig",
        "TriG dump with named graphs",
        "Every named graph (the ontology, one graph per data file, the inferred triples, the SHACL shapes "
        "and the build's metadata) in TriG.",
        "application/trig",
        "RDF_TRIG",
    ),
    Artefact(
        "nquads",
        ".nq",
        "N-Quads dump with named graphs",
        "Every named graph (the ontology, one graph per data file, the inferred triples, the SHACL shapes "
        "and the build's metadata) in N-Quads, one quad per line.",
        "application/n-quads",
        "RDF_N_QUADS",
    ),
)

#: The spreadsheet tables: a stored query each, in resources/tables/.
TABLES: tuple[str, ...] = ("pairings", "programmes", "cities", "documents")


@dataclass(frozen=True)
class ReleaseFile:
    name: str
    kind: str  # "dump" or "table"
    format: str
    title: str
    description: str
    media_type: str
    file_type: str
    bytes: int
    sha256: str
    compress: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Release:
    version: str
    created: dt.datetime
    path: Path
    files: list[ReleaseFile] = field(default_factory=list)
    graph_version: str = ""
    triples: int = 0
    #: The VoID statistics of the graph released (a dict of VoidStatistics.to_dict()).
    statistics: dict | None = None

    def file(self, name: str) -> ReleaseFile:
        for item in self.files:
            if item.name == name:
                return item
        raise NotFound(
            f"release {self.version} has no file '{name}'",
            hint=f"Its files are: {', '.join(f.name for f in self.files)}.",
        )

    @property
    def description_path(self) -> Path:
        return self.path / DESCRIPTION

    def to_dict(self) -> dict:
        return {
            "version": self.version,
            "created": utc_timestamp(self.created),
            "graphVersion": self.graph_version,
            "triples": self.triples,
            "description": DESCRIPTION,
            "checksums": CHECKSUMS,
            "files": [f.to_dict() for f in self.files],
            "statistics": self.statistics,
        }

    @classmethod
    def from_dict(cls, data: dict, path: Path) -> Release:
        return cls(
            version=str(data["version"]),
            created=dt.datetime.fromisoformat(str(data["created"]).replace("Z", "+00:00")),
            path=path,
            files=[ReleaseFile(**item) for item in data["files"]],
            graph_version=str(data.get("graphVersion", "")),
            triples=int(data.get("triples", 0)),
            statistics=data.get("statistics"),
        )


def check_version(version: str) -> str:
    """Refuse version names that could not be a folder and a URL segment as they are."""
    if not VERSION_PATTERN.match(version) or version in (".", ".."):
        raise UsageError(
            f"'{version}' cannot name a release",
            hint="Use letters, digits, dots, hyphens and underscores (at most 64), "
            "starting with a letter or digit, e.g. 2025-06-30 or 1.2.0.",
        )
    return version


def release_target(
    settings: Settings,
    version: str | None = None,
    output: Path | None = None,
    *,
    force: bool = False,
    today: dt.date | None = None,
) -> tuple[str, Path]:
    """Return the release's name and folder; refuse to overwrite a release without ``force``.

    Callers check this before the (slow) work of building the graph.
    """
    today = today or dt.datetime.now(dt.UTC).date()
    version = check_version(version or today.isoformat())
    target = Path(output) if output is not None else Path(settings.releases_dir) / version
    if target.exists() and (not target.is_dir() or any(target.iterdir())) and not force:
        raise UsageError(f"{target} already exists", hint="Choose another --version, or replace it with --force.")
    return version, target


def table_queries() -> dict[str, StoredQuery]:
    """The stored queries behind the spreadsheet tables (shipped with the package)."""
    folder = resources.files("coopgraph") / "resources" / "tables"
    with resources.as_file(folder) as path:
        return {name: load_stored_query(Path(path) / f"{name}.rq") for name in TABLES}


def make_release(
    store: Store,
    settings: Settings,
    *,
    version: str | None = None,
    output: Path | None = None,
    force: bool = False,
    now: dt.datetime | None = None,
) -> Release:
    """Write a release of the graph in ``store``; return it once it is complete in its folder.

    ``version`` defaults to today's date (UTC); the folder to ``settings.releases_dir /
    version``. An existing release is only replaced with ``force``.
    """
    created = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(microsecond=0)
    version, target = release_target(settings, version, output, force=force, today=created.date())
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(f".{target.name}.partial")
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir()
    try:
        release = Release(version=version, created=created, path=target, graph_version=store.version())
        for artefact in DUMPS:
            release.files.append(_write_dump(store, artefact, staging, version))
        queries = table_queries()
        for name in TABLES:
            release.files.append(_write_table(store, name, queries[name], staging, version))
        description = describe_dataset(store, settings, release=release, releases=list_releases(settings.releases_dir))
        release.triples = description.stats.triples
        release.statistics = description.stats.to_dict()
        (staging / DESCRIPTION).write_bytes(description.serialize(RDF_FORMATS["turtle"]))
        checksums = [(item.name, item.sha256) for item in release.files]
        checksums.append((DESCRIPTION, _sha256(staging / DESCRIPTION)))
        (staging / CHECKSUMS).write_text("".join(f"{digest}  {name}\n" for name, digest in checksums), encoding="ascii")
        (staging / MANIFEST).write_text(
            json.dumps(release.to_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    swap_in(staging, target)
    return release


def _write_dump(store: Store, artefact: Artefact, folder: Path, version: str) -> ReleaseFile:
    name = f"coopgraph-{version}{artefact.suffix}"
    path = folder / name
    with open(path, "wb") as raw:
        if artefact.compress == "gzip":
            # mtime=0 and no file name inside: the same graph gives the same bytes.
            with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as packed:
                write_export(store, RDF_FORMATS[artefact.format], packed, view=artefact.view)
        else:
            write_export(store, RDF_FORMATS[artefact.format], raw, view=artefact.view)
    return _describe_file(
        path,
        "dump",
        artefact.format,
        artefact.title,
        artefact.description,
        artefact.media_type,
        artefact.file_type,
        artefact.compress,
    )


def _write_table(store: Store, name: str, query: StoredQuery, folder: Path, version: str) -> ReleaseFile:
    """Write a stored query's answer as CSV with plain values (full IRIs, texts without language tags).

    UTF-8 with a byte-order mark, so spreadsheet programs show the Japanese names right.
    Rows are sorted here by their first two columns (the resource, then e.g. its file)
    rather than with ORDER BY, which costs the store more than the grouping itself on
    large graphs (see benchmarks/release.py); the answer is one row per instance, held
    once, as terms.
    """
    path = folder / f"coopgraph-{version}-{name}.csv"
    result = store.query(query.text, default_graphs=store.view("all"))
    result.rows.sort(key=lambda row: tuple("" if term is None else term.value for term in row[:2]))
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\r\n")
        writer.writerow(result.variables)
        for row in result.rows:
            writer.writerow(["" if term is None else term.value for term in row])
    return _describe_file(path, "table", "csv", f"{query.title} (CSV)", query.description, "text/csv", "CSV")


def _describe_file(
    path: Path,
    kind: str,
    fmt: str,
    title: str,
    description: str,
    media_type: str,
    file_type: str,
    compress: str | None = None,
) -> ReleaseFile:
    return ReleaseFile(
        name=path.name,
        kind=kind,
        format=fmt,
        title=title,
        description=description,
        media_type=media_type,
        file_type=file_type,
        bytes=path.stat().st_size,
        sha256=_sha256(path),
        compress=compress,
    )


def _sha256(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


# --- reading releases back ---------------------------------------------------------------


def read_release(path: Path) -> Release:
    """Read a release folder's manifest; raise LoadError when it is missing or broken."""
    manifest = path / MANIFEST
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
        release = Release.from_dict(data, path)
    except FileNotFoundError as exc:
        raise LoadError(f"{path} is not a release: it has no {MANIFEST}") from exc
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise LoadError(
            f"{manifest} cannot be read: {exc}", hint="Write the release again with `coopgraph release --force`."
        ) from exc
    return release


def list_releases(releases_dir: Path) -> list[Release]:
    """Every complete release in the folder, newest first; unreadable ones are logged and left out."""
    folder = Path(releases_dir)
    if not folder.is_dir():
        return []
    found = []
    for path in folder.iterdir():
        if path.name.startswith(".") or not path.is_dir() or not (path / MANIFEST).is_file():
            continue
        try:
            found.append(read_release(path))
        except LoadError as exc:
            log.warning("%s", exc)
    return sorted(found, key=lambda r: (r.created, r.version), reverse=True)


def release_of_graph(releases_dir: Path, graph_version: str) -> Release | None:
    """The newest release made from exactly this graph (the store's version), if any."""
    return next((r for r in list_releases(releases_dir) if r.graph_version == graph_version), None)


def unused_version(releases_dir: Path, today: dt.date | None = None) -> str:
    """Today's date as a release name, or with a counter (``2026-12-02.2``) when that name is taken."""
    today = today or dt.datetime.now(dt.UTC).date()
    name, counter = today.isoformat(), 1
    while (Path(releases_dir) / name).exists():
        counter += 1
        name = f"{today.isoformat()}.{counter}"
    return name


def get_release(releases_dir: Path, version: str) -> Release:
    """The release of that version; ``latest`` names the newest."""
    releases = list_releases(releases_dir)
    if version == "latest" and releases:
        return releases[0]
    for release in releases:
        if release.version == version:
            return release
    raise NotFound(
        f"there is no release '{version}'",
        hint="See /download for the releases."
        if releases
        else "No release has been made yet: run `coopgraph release`.",
    )
