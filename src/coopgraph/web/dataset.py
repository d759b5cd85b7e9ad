"""Publishing: ``/download`` (releases and their files), ``/dataset`` and ``/.well-known/void``
(the DCAT-AP and VoID description), ``/context.jsonld`` (the JSON-LD context).

Release files are served from disk as they are (``send_file``: streamed, never read
whole into memory), with their SHA-256 as ETag, conditional GET (304) and byte ranges
(206), so a broken download of a large dump can resume. Every answer here is public
data that any origin may read (web.cors adds the headers to every GET).
"""

from __future__ import annotations

import hashlib
import threading

from flask import Blueprint, Response, current_app, jsonify, redirect, render_template, request, send_file, url_for

from ..describe.dataset import DatasetDescription, describe_dataset, site_url
from ..describe.void import VoidStatistics
from ..errors import NotFound, UsageError
from ..export import context_for
from ..formats import negotiate, rdf_format
from ..release import CHECKSUMS, DESCRIPTION, MANIFEST, Release, get_release, list_releases
from .services import services

bp = Blueprint("publish", __name__)

#: The description's formats, by media type (HTML first: /dataset is a page for people too).
DESCRIPTION_TYPES = ["text/html", "text/turtle", "application/ld+json", "application/rdf+xml", "application/n-triples"]
#: Files of a release folder that are not in its file list but are served too.
EXTRA_FILES = {DESCRIPTION: "text/turtle", CHECKSUMS: "text/plain", MANIFEST: "application/json"}
CACHE_SECONDS = 300


def _releases() -> list[Release]:
    return list_releases(services().settings.releases_dir)


# --- /download ----------------------------------------------------------------------------


def _release_dict(release: Release) -> dict:
    base = url_for("publish.download_release", version=release.version, _external=True)
    return {
        "version": release.version,
        "created": release.to_dict()["created"],
        "triples": release.triples,
        "description": base + DESCRIPTION,
        "checksums": base + CHECKSUMS,
        "files": [
            {
                "name": f.name,
                "title": f.title,
                "kind": f.kind,
                "format": f.format,
                "mediaType": f.media_type,
                "compress": f.compress,
                "bytes": f.bytes,
                "sha256": f.sha256,
                "url": base + f.name,
            }
            for f in release.files
        ],
    }


@bp.get("/download")
def download():
    """The releases, newest first, with their files (HTML for browsers; JSON twin at /download.json)."""
    if negotiate(request.headers.get("Accept"), ["text/html", "application/json"]) == "application/json":
        response = download_json()
    else:
        releases = [_release_dict(r) for r in _releases()]
        response = Response(render_template("download.html", releases=releases))
    response.headers["Link"] = f'<{url_for("publish.download_json")}>; rel="alternate"; type="application/json"'
    response.headers["Vary"] = "Accept"
    return response


@bp.get("/download.json")
def download_json():
    releases = _releases()
    body = {"latest": releases[0].version if releases else None, "releases": [_release_dict(r) for r in releases]}
    return jsonify(body)


@bp.get("/download/<version>/")
def download_release(version: str):
    release = get_release(services().settings.releases_dir, version)
    return redirect(url_for("publish.download") + f"#release-{release.version}")


@bp.get("/download/<version>/<name>")
def download_file(version: str, name: str):
    """One file of a release, streamed from disk; only files the release lists are served."""
    release = get_release(services().settings.releases_dir, version)
    if name in EXTRA_FILES:
        path, mimetype, etag = release.path / name, EXTRA_FILES[name], None
    else:
        item = release.file(name)
        path, etag = release.path / item.name, item.sha256
        mimetype = "application/gzip" if item.compress == "gzip" else item.media_type
    if not path.is_file():
        raise NotFound(
            f"the file {name} of release {release.version} is missing on the server",
            hint="The release folder is incomplete; write it again with `coopgraph release --force`.",
        )
    response = send_file(
        path, mimetype=mimetype, conditional=True, etag=etag or True, download_name=name, max_age=CACHE_SECONDS
    )
    return response


# --- /dataset and /.well-known/void ----------------------------------------------------------


class _DescriptionCache:
    """The latest description, kept until the graph, the releases or the site address change."""

    def __init__(self):
        self.lock = threading.Lock()
        self.key = None
        self.value: DatasetDescription | None = None

    def get(self) -> DatasetDescription:
        svc = services()
        store = svc.store
        releases = _releases()
        site = site_url(svc.settings, request.url_root)
        version = store.version()
        key = (version, tuple((r.version, r.created, str(r.path)) for r in releases), site)
        with self.lock:
            if self.key != key:
                # Counting a large graph takes a while: reuse what the release counted when it
                # was made from the graph being served.
                stats = next(
                    (
                        VoidStatistics.from_dict(r.statistics)
                        for r in releases[:1]
                        if r.statistics and r.graph_version == version
                    ),
                    None,
                )
                self.value = describe_dataset(
                    store, svc.settings, releases=releases, site=site, stats=stats, timeout=svc.settings.query_timeout
                )
                self.key = key
            return self.value


def init_app(app) -> None:
    from .cors import expose

    app.extensions["coopgraph.description"] = _DescriptionCache()
    # Scripts resuming a download need the validators and the range of a partial answer.
    expose("ETag", "Last-Modified", "Content-Range", "Content-Length", "Accept-Ranges", "Link")


def _description() -> DatasetDescription:
    return current_app.extensions["coopgraph.description"].get()


def _describe(offered: list[str]) -> Response:
    requested = request.args.get("format")
    if requested:
        media_type = "text/html" if requested == "html" else rdf_format(requested).media_type
        if media_type not in offered:
            raise UsageError(
                f"the description is not offered as {requested}", hint="Use html, turtle, jsonld, rdfxml or ntriples."
            )
    else:
        media_type = negotiate(request.headers.get("Accept"), offered)
    description = _description()
    links = [
        f'<{request.path}?format={fmt.name}>; rel="alternate"; type="{fmt.media_type}"'
        for fmt in (rdf_format(t) for t in offered if t != "text/html")
    ]
    if media_type == "text/html":
        response = Response(
            render_template(
                "dataset.html",
                d=description,
                stats=description.stats,
                formats=[rdf_format(t) for t in offered if t != "text/html"],
            )
        )
    else:
        fmt = rdf_format(media_type)
        response = Response(description.serialize(fmt), mimetype=fmt.media_type)
    response.headers["Link"] = ", ".join(links)
    response.headers["Vary"] = "Accept"
    response.set_etag(hashlib.sha256(response.get_data()).hexdigest()[:32])
    response.cache_control.public = True
    response.cache_control.max_age = CACHE_SECONDS
    return response.make_conditional(request)


@bp.get("/dataset")
def dataset():
    """The dataset description (DCAT-AP 3 and VoID): a page for browsers, RDF for clients."""
    return _describe(DESCRIPTION_TYPES)


@bp.get("/.well-known/void")
def well_known_void():
    """The VoID description where RFC 8615 and the VoID guide say crawlers look: RDF first."""
    return _describe(DESCRIPTION_TYPES[1:2] + DESCRIPTION_TYPES[:1] + DESCRIPTION_TYPES[2:])


# --- /context.jsonld ---------------------------------------------------------------------------


@bp.get("/context.jsonld")
def context():
    """The JSON-LD context of the ontology (terms for classes and properties), for any origin."""
    store = services().store
    cache = current_app.extensions.setdefault("coopgraph.context", {})
    version = store.version()
    if version not in cache:
        cache.clear()
        cache[version] = current_app.json.dumps(context_for(store).document(), indent=2)
    response = Response(cache[version], mimetype="application/ld+json")
    response.set_etag(hashlib.sha256(cache[version].encode("utf-8")).hexdigest()[:32])
    response.cache_control.public = True
    response.cache_control.max_age = CACHE_SECONDS
    return response.make_conditional(request)
