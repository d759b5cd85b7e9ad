"""Settings: defaults, then a TOML file, then ``COOPGRAPH_*`` environment variables.

Read when the CLI or the web app starts, never at import time, so tests and deployments
can each bring their own. Every setting is listed (and documented) in :data:`DOCS`.

A relative path (``root``, ``releases_dir``, a store folder) means one thing wherever it is
used: in the settings file, relative to that file's folder; anywhere else (the defaults,
the environment, a command-line option), relative to the folder the command was started
in. Paths are made absolute here, once, so that no later ``chdir`` or library (Flask's
``send_file`` resolves against the application's package) reads them differently.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .namespaces import CANONICAL_BASE, Iris

ENV_PREFIX = "COOPGRAPH_"
DEFAULT_CONFIG_FILE = "coopgraph.toml"


@dataclass(frozen=True)
class Settings:
    root: Path = Path(".")
    base_iri: str = CANONICAL_BASE
    store: str = "memory"
    query_timeout: float = 10.0
    min_statement_source_share: float = 0.98
    max_result_rows: int = 10_000
    query_memory_max_quads: int = 1_000_000
    query_isolation: str = "recycle"
    answer_cache_entries: int = 512
    access_log_flush_seconds: float = 0.25
    query_workers: int = 0
    max_request_bytes: int = 1_000_000
    max_upload_bytes: int = 5_000_000
    validation_timeout: float = 30.0
    validation_memory_bytes: int = 2_000_000_000
    max_query_depth: int = 100
    max_rdf_depth: int = 100
    request_read_timeout: float = 10.0
    max_queries_per_client: int = 2
    client_wait_seconds: float = 2.0
    trusted_proxies: tuple[str, ...] = ()
    service_allowlist: tuple[str, ...] = ()
    public_url: str = ""
    contributor_tokens: Mapping[str, str] = field(default_factory=dict)
    maintainer_tokens: Mapping[str, str] = field(default_factory=dict)
    sparql_update: str = "off"
    releases_dir: Path = Path("var/releases")
    contact_url: str = ""
    store_user: str = ""
    store_password: str = ""
    store_update_url: str = ""

    @property
    def iris(self) -> Iris:
        return Iris(self.base_iri)

    @property
    def ontology_dir(self) -> Path:
        return self.root / "ontology"

    @property
    def shapes_dir(self) -> Path:
        return self.root / "shapes"

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def queries_dir(self) -> Path:
        return self.root / "queries"

    def with_overrides(self, **overrides: Any) -> Settings:
        """Return a copy with the given settings replaced (None values are ignored).

        Relative paths among them are taken from the working folder, as on the command line.
        """
        clean = {k: _absolute(k, _coerce(k, v), Path.cwd()) for k, v in overrides.items() if v is not None}
        return replace(self, **clean)


DOCS: dict[str, str] = {
    "root": "Folder holding ontology/, shapes/, data/ and queries/.",
    "base_iri": "Base under which resources (id/) and named graphs (graph/) are minted.",
    "store": "Where the graph lives: 'memory', a folder for the embedded on-disk store, or "
    "sparql+http(s)://host/sparql for a remote store.",
    "query_timeout": "Seconds a query may run before it is stopped (503).",
    "min_statement_source_share": "The build fails when a smaller share (0-1; 0.98 by default) of the asserted "
    "data statements has a statement-level source (data/statement-sources.ttl); a statement credited to the "
    "project's editorial source E1 counts as sourced and is reported apart.",
    "max_result_rows": "Most rows a SELECT answer returns; the rest is cut off and flagged.",
    "answer_cache_entries": "How many recent SPARQL answers (up to 256 KiB each) each web worker keeps for the same "
    "query on the same graph version; 0 switches the cache off.",
    "access_log_flush_seconds": "Under `coopgraph serve`, access-log lines are written in batches at most this many "
    "seconds apart (and when a worker stops); 0 writes each line as its request ends.",
    "query_isolation": "How `coopgraph serve` stops a query past its time limit: 'recycle' runs queries in the "
    "web worker and replaces the worker when one overruns (fast; needs gunicorn); 'process' runs "
    "each query in a separate query process that is killed (no restart, a pipe per query).",
    "query_memory_max_quads": "Served stores up to this many quads are copied into memory by each query process "
    "(several times faster queries, one copy per process); larger ones are read from "
    "disk. 0 always reads from disk.",
    "query_workers": "Query processes per web worker (each holds the store snapshot open, and a copy of it "
    "when it is small enough for query_memory_max_quads). 0: about two per CPU in all, "
    "shared out among the workers of `coopgraph serve --workers`.",
    "max_request_bytes": "Largest accepted request body for queries (413 beyond).",
    "max_upload_bytes": "Largest accepted contribution or validation upload (413 beyond).",
    "validation_timeout": "Seconds a validation (of an upload or a contribution) may take before it is stopped (503).",
    "validation_memory_bytes": "Address space (bytes) a validation process may use while it parses and validates an "
    "upload or contribution; data that needs more is refused (413). 0: no limit.",
    "max_query_depth": "Deepest nesting of groups, brackets and unary operators a SPARQL query may have (400 "
    "beyond); checked before parsing. The parser itself fails at about 2,500 levels.",
    "max_rdf_depth": "Deepest nesting an RDF document may have ([ ( { and << in Turtle/TriG/N-Triples/N-Quads, "
    "objects and arrays in JSON-LD, elements in RDF/XML; 400 beyond); checked before parsing.",
    "request_read_timeout": "Under `coopgraph serve`, seconds a client has to send a whole request (head and body, "
    "counted from its first byte); slower ones get 408 and are disconnected. Requests are "
    "read in each worker's event loop, so a slow sender holds no thread meanwhile.",
    "max_queries_per_client": "Queries one client may have under evaluation at once in each web worker (a client is "
    "a configured API token, else its address); one more waits its turn up to "
    "client_wait_seconds, the rest get 429 with Retry-After. 0 switches the limit off.",
    "client_wait_seconds": "Longest a query waits for one of its client's own queries to finish before it gets 429.",
    "trusted_proxies": "Addresses or networks (CIDR) of proxies whose X-Forwarded-For names the client; from any "
    "other address the header is ignored.",
    "service_allowlist": "Remote SPARQL endpoints that SERVICE may call; empty refuses every SERVICE.",
    "public_url": "The public URL of the site, used in service descriptions when behind a proxy.",
    "contributor_tokens": "API token -> contributor name (a TOML table, or JSON in the environment); "
    "with no token configured at all, submissions are off.",
    "maintainer_tokens": "API token -> maintainer name; maintainers may submit and withdraw contributions.",
    "sparql_update": "Who may write with SPARQL 1.1 Update on /sparql and the Graph Store Protocol on /store: "
    "'off' (the default: both answer 403), 'maintainers' (a maintainer_tokens token), or "
    "'anyone' (a scratch server; `serve --data FILE --update` sets it, and refuses it on a "
    "non-loopback address unless maintainer_tokens are configured, which then apply; the curated "
    "store always needs a maintainer token).",
    "releases_dir": "Folder where `coopgraph release` writes releases and /download lists them (a relative path: "
    "from the settings file's folder if set there, else from the folder the command started in).",
    "contact_url": "Web page through which people reach the maintainers (the contact point of the dataset "
    "description); default: the site's public URL.",
    "store_user": "User name for a remote store.",
    "store_password": "Password for a remote store.",
    "store_update_url": "Separate SPARQL Update endpoint of a remote store, if it has one.",
}


def _coerce(name: str, value: Any) -> Any:
    """Convert a raw value (from TOML, the environment or a CLI option) to the field's type."""
    if name not in _FIELD_NAMES:
        raise ConfigError(f"unknown setting '{name}'", hint=f"Known settings: {', '.join(sorted(_FIELD_NAMES))}.")
    kind = _FIELD_TYPES[name]
    try:
        if kind is Path:
            return Path(value)
        if kind is float:
            return float(value)
        if kind is int:
            return int(value)
        if kind is tuple:
            if isinstance(value, str):
                return tuple(v.strip() for v in value.split(",") if v.strip())
            return tuple(value)
        if kind is dict:
            if isinstance(value, str):
                value = json.loads(value)
            if not isinstance(value, Mapping):
                raise ValueError("expected a table of token = name")
            return dict(value)
        return str(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"setting '{name}' has an unusable value {value!r}: {exc}") from exc


#: The store setting's forms: these name the in-memory store, these prefixes a remote one;
#: anything else is a folder. (The one reading of the setting: store.spec.StoreSpec asks here.)
MEMORY_NAMES = ("", "memory", ":memory:")
REMOTE_SCHEMES = ("sparql+http://", "sparql+https://")


def store_kind(text: str) -> str:
    """``memory``, ``remote`` or ``folder``: what a store setting names."""
    if text in MEMORY_NAMES:
        return "memory"
    return "remote" if text.startswith(REMOTE_SCHEMES) else "folder"


def _absolute(name: str, value: Any, base: Path) -> Any:
    """Anchor a relative path setting at ``base`` (see the module's docstring for which base)."""
    if _FIELD_TYPES.get(name) is Path:
        return value if Path(value).is_absolute() else (base / value).resolve()
    if name == "store" and store_kind(str(value)) == "folder":
        return value if Path(value).is_absolute() else str((base / value).resolve())
    return value


_FIELD_NAMES = {f.name for f in fields(Settings)}
_FIELD_TYPES = {
    "root": Path,
    "releases_dir": Path,
    "query_timeout": float,
    "validation_timeout": float,
    "request_read_timeout": float,
    "min_statement_source_share": float,
    "client_wait_seconds": float,
    "max_queries_per_client": int,
    "access_log_flush_seconds": float,
    "max_result_rows": int,
    "max_request_bytes": int,
    "validation_memory_bytes": int,
    "max_query_depth": int,
    "max_rdf_depth": int,
    "max_upload_bytes": int,
    "query_memory_max_quads": int,
    "answer_cache_entries": int,
    "query_workers": int,
    "service_allowlist": tuple,
    "trusted_proxies": tuple,
    "contributor_tokens": dict,
    "maintainer_tokens": dict,
}
for _f in fields(Settings):
    _FIELD_TYPES.setdefault(_f.name, str)


def load_settings(
    config_file: str | os.PathLike | None = None, environ: Mapping[str, str] | None = None, **overrides: Any
) -> Settings:
    """Build the settings: defaults < config file < environment < explicit overrides.

    The config file is ``config_file``, else ``$COOPGRAPH_CONFIG``, else ``coopgraph.toml``
    in the working folder if it exists. Relative paths are anchored as the module says.
    """
    environ = os.environ if environ is None else environ
    started_in = Path.cwd()
    values: dict[str, Any] = {f.name: f.default for f in fields(Settings) if _FIELD_TYPES.get(f.name) is Path}
    values = {key: _absolute(key, value, started_in) for key, value in values.items()}
    path = config_file or environ.get(ENV_PREFIX + "CONFIG")
    if path is None and Path(DEFAULT_CONFIG_FILE).is_file():
        path = DEFAULT_CONFIG_FILE
    if path is not None:
        try:
            with open(path, "rb") as fh:
                table = tomllib.load(fh)
        except FileNotFoundError as exc:
            raise ConfigError(f"config file {path} does not exist") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file {path} is not valid TOML: {exc}") from exc
        table = table.get("coopgraph", table)
        config_folder = Path(path).resolve().parent
        for key, value in table.items():
            values[key] = _absolute(key, _coerce(key, value), config_folder)
    for key, value in environ.items():
        if key.startswith(ENV_PREFIX) and key != ENV_PREFIX + "CONFIG":
            name = key[len(ENV_PREFIX) :].lower()
            if name in _FIELD_NAMES:
                values[name] = _absolute(name, _coerce(name, value), started_in)
    for key, value in overrides.items():
        if value is not None:
            values[key] = _absolute(key, _coerce(key, value), started_in)
    return Settings(**values)
