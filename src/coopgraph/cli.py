"""The ``coopgraph`` command line: a thin layer over the core library.

Exit codes: 0 success; 1 the data does not conform or the query failed; 2 a usage,
configuration or load error (bad option, missing file, syntax error).
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from .config import Settings, load_settings
from .errors import CoopgraphError, LoadError, NotConforming, UsageError
from .formats import RDF_FORMATS, RESULT_FORMATS, guess_rdf_format, rdf_format
from .server import LOG_FORMAT

log = logging.getLogger(__name__)

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class State:
    """Settings and the opened store, shared by the commands of one invocation."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._store = None

    def store(self, *, quiet: bool = True):
        """Open the built store; with no store configured, build the curated graph in memory."""
        if self._store is not None:
            return self._store
        from .store.spec import open_store, store_spec

        spec = store_spec(self.settings)
        if spec.is_memory:
            from .knowledge.build import build

            if not quiet:
                click.echo("Building the curated graph in memory...", err=True)
            self._store, _ = build(self.settings)
        elif spec.is_remote:
            self._store = open_store(self.settings)
        else:
            spec.require_built()
            self._store = _open_published(self.settings, spec.path)
        self._store.max_query_depth = self.settings.max_query_depth
        return self._store


def _open_published(settings: Settings, path: Path):
    """Read a store folder's published snapshot: the state a server shows, never a write in progress."""
    import pyoxigraph as ox

    from .store.embedded import OxigraphStore
    from .store.snapshots import current_snapshot, snapshots_dir

    name = current_snapshot(path)
    if name is not None and (snapshots_dir(path) / name).is_dir():
        try:
            return OxigraphStore.wrap(
                settings.iris, ox.Store.read_only(str(snapshots_dir(path) / name)), snapshot=(path, name)
            )
        except OSError:
            log.debug("snapshot %s unreadable; reading the primary", name)
    return OxigraphStore(settings.iris, path, read_only=True)


def _stdout():
    """Standard output as bytes (RDF and result formats are written as bytes)."""
    return sys.stdout.buffer


def store_option(func):
    return click.option(
        "--store",
        "store",
        metavar="SPEC",
        default=None,
        help="Where the graph lives: a folder, 'memory', or sparql+http://host/sparql "
        "(default: memory, or COOPGRAPH_STORE).",
    )(func)


def _apply_store(ctx: click.Context, store: str | None) -> State:
    state: State = ctx.obj
    if store is not None:
        state.settings = state.settings.with_overrides(store=store)
    return state


class CoopgraphGroup(click.Group):
    """Turns coopgraph errors into a readable message and the documented exit code."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except CoopgraphError as exc:
            click.echo(f"error: {exc.message}", err=True)
            if exc.hint:
                click.echo(exc.hint, err=True)
            ctx.exit(exc.exit_code)
        except BrokenPipeError:
            ctx.exit(EXIT_OK)


@click.group(cls=CoopgraphGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False),
    default=None,
    help="A TOML settings file (default: coopgraph.toml if present, or COOPGRAPH_CONFIG).",
)
@click.option(
    "--root",
    type=click.Path(file_okay=False),
    default=None,
    help="Folder holding ontology/, shapes/, data/ and queries/ (default: the working folder).",
)
@click.option(
    "--base-iri", default=None, help="Base IRI of resources and graphs (default https://w3id.org/coopgraph/)."
)
@click.option(
    "--store-update-url",
    metavar="URL",
    default=None,
    help="Update endpoint of a remote store when it is not the query endpoint (default: COOPGRAPH_STORE_UPDATE_URL).",
)
@click.option(
    "--store-user",
    metavar="NAME",
    default=None,
    help="User for writes to a remote store (default: COOPGRAPH_STORE_USER). The password is "
    "read from COOPGRAPH_STORE_PASSWORD or the settings file, never from the command line, "
    "which other users of the machine can see.",
)
@click.option("-v", "--verbose", count=True, help="Say more (-vv for debugging output).")
@click.version_option(package_name="coopgraph")
@click.pass_context
def cli(ctx: click.Context, config_file, root, base_iri, store_update_url, store_user, verbose):
    """coopgraph: the linked-data graph of EU-Japan cooperation on regional and urban policy."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format=LOG_FORMAT, stream=sys.stderr)
    try:
        settings = load_settings(config_file, root=root, base_iri=base_iri)
        remote = {
            key: value
            for key, value in (("store_update_url", store_update_url), ("store_user", store_user))
            if value is not None
        }
        ctx.obj = State(settings.with_overrides(**remote) if remote else settings)
    except CoopgraphError as exc:
        click.echo(f"error: {exc.message}", err=True)
        ctx.exit(exc.exit_code)


@cli.command()
@store_option
@click.option("--no-validate", is_flag=True, help="Skip the SHACL validation step.")
@click.option("--json", "as_json", is_flag=True, help="Print the build report as JSON.")
@click.pass_context
def build(ctx, store, no_validate, as_json):
    """Load ontology/ and data/, reason, validate against shapes/, check the stored queries."""
    from .knowledge.build import build as run_build

    state = _apply_store(ctx, store)
    progress = _progress_printer() if sys.stderr.isatty() and not as_json else None
    try:
        built, report = run_build(state.settings, progress=progress, validate=not no_validate)
        built.close()
    except NotConforming as exc:
        report = exc.report
        click.echo(_build_summary(report), err=True)
        if report.validation is not None and report.validation.has_violations:
            click.echo("The build failed: the data does not conform to the shapes.\n", err=True)
            click.echo(report.validation.to_text(), err=True)
        else:
            click.echo(f"The build failed: {exc}.\n", err=True)
        click.echo("Fix the data (or the shapes) and build again. Nothing was replaced.", err=True)
        ctx.exit(EXIT_FAILED)
    if as_json:
        import json

        click.echo(json.dumps(report.to_dict(), indent=2))
    else:
        click.echo(_build_summary(report))
        if report.validation is not None and report.validation.warnings:
            click.echo(f"{len(report.validation.warnings)} warning(s), not blocking; `coopgraph build -v` lists them.")
            log.info("%s", report.validation.to_text(limit=None))
    for error in report.query_errors:
        click.echo(f"stored query left out: {error}", err=True)


def _progress_printer():
    bars: dict[str, object] = {}

    def progress(step: str, done: int, total: int) -> None:
        if step not in bars:
            bar = click.progressbar(length=total, label=f"{step:<9}", file=sys.stderr)
            bar.__enter__()
            bars[step] = bar
        bar = bars[step]
        bar.update(done - bar.pos)
        if done >= total:
            bar.__exit__(None, None, None)

    return progress


def _build_summary(report) -> str:
    lines = ["Graphs (triples):"]
    for graph, count in report.graphs.items():
        lines.append(f"  {count:>9,}  {graph}")
    lines.append(f"  {report.total_triples:>9,}  in all")
    lines.append("Steps:")
    for name, seconds in report.steps:
        lines.append(f"  {name:<15} {seconds:8.2f} s")
    if report.reasoning is not None:
        lines.append(f"Reasoning: {report.reasoning.inferred:,} inferred triples in {report.reasoning.rounds} round(s)")
    if report.validation is not None:
        counts = report.validation.counts()
        verdict = "conforms" if not report.validation.has_violations else "DOES NOT CONFORM"
        lines.append(f"Validation: {verdict} ({counts['Violation']} violations, {counts['Warning']} warnings)")
    if report.coverage is not None:
        lines.append(report.coverage.to_text())
    lines.append(f"Stored queries: {report.stored_queries} ready, {len(report.query_errors)} left out")
    if report.version:
        lines.append(f"Version: {report.version}")
    return "\n".join(lines)


QUERY_OUTPUTS = [
    "table",
    "json",
    "csv",
    "tsv",
    "xml",
    "sparql-json",
    "sparql-xml",
    "turtle",
    "jsonld",
    "ntriples",
    "rdfxml",
]


def _parse_params(params: tuple[str, ...]) -> dict[str, list[str]]:
    """Collect ``--param name=value`` options; a name given twice is refused later, as the API does."""
    out: dict[str, list[str]] = {}
    for item in params:
        if "=" not in item:
            raise UsageError(f"--param '{item}' is not of the form name=value")
        key, value = item.split("=", 1)
        out.setdefault(key.strip(), []).append(value)
    return out


@cli.command()
@click.argument("file", required=False, type=click.File("r", encoding="utf-8"))
@click.option("--name", "stored", metavar="NAME", help="Run the stored query queries/NAME.rq.")
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE", help="A stored-query parameter (repeatable).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(QUERY_OUTPUTS),
    default="table",
    show_default=True,
    help="For stored queries the formats of the API's format= (json is the API's JSON shape, with "
    "labels); for a FILE, json and xml are SPARQL results.",
)
@click.option(
    "--graph",
    "view",
    type=click.Choice(["all", "asserted", "inferred"]),
    default="all",
    show_default=True,
    help="Which triples the default graph holds: everything, the asserted data alone, or the inferred.",
)
@click.option("--limit", type=int, default=None, help="Page size (stored queries; default: the query's own).")
@click.option("--offset", type=int, default=0, help="Rows to skip (stored queries).")
@store_option
@click.pass_context
def query(ctx, file, stored, params, fmt, view, limit, offset, store):
    """Run a SPARQL query from FILE (or - for standard input) or a stored query (--name)."""
    state = _apply_store(ctx, store)
    if (file is None) == (stored is None):
        raise UsageError(
            "give either a query FILE (or -) or --name STORED, not both and not neither",
            hint="See `coopgraph query --help`; list stored queries with `ls queries/`.",
        )
    if params and not stored:
        raise UsageError("--param only applies to stored queries (--name)")
    if stored:
        _run_stored(state, stored, _parse_params(params), fmt, view, limit, offset)
        return
    st = state.store()
    graphs = st.view(view)
    text = file.read()
    from .sparql import looks_like_update, service_targets

    if looks_like_update(text):
        raise UsageError("this is a SPARQL Update; `coopgraph query` only reads")
    if any(True for _ in service_targets(text)):
        from .errors import QueryRefused

        raise QueryRefused("SERVICE calls are not allowed from the command line")
    result = st.query(text, default_graphs=graphs)
    _print_result(result, fmt, state.settings.iris.prefixes())


def _run_stored(
    state: State, name: str, params: dict[str, list[str]], fmt: str, view: str, limit: int | None, offset: int
) -> None:
    """Run a stored query with the API's validation and write it in the API's formats."""
    from . import answers
    from .queries import bind_parameters, get_query, load_stored_queries, run_stored_query

    settings = state.settings
    prefixes = settings.iris.prefixes()
    queries, errors = load_stored_queries(settings.queries_dir, prefixes)
    for error in errors:
        if Path(error.path).stem == name:
            raise error
    stored_query = get_query(queries, name)
    kind = answers.answer_kind(stored_query)
    answer_format = None if fmt == "table" else answers.answer_format(fmt, kind)
    bind_parameters(stored_query, params, None, prefixes)  # types first: no need to open the store for a typo
    st = state.store()
    bindings = bind_parameters(stored_query, params, st, prefixes, timeout=settings.query_timeout)
    result, has_more = run_stored_query(
        st,
        stored_query,
        bindings=bindings,
        limit=limit,
        offset=offset,
        timeout=settings.query_timeout,
        prefixes=prefixes,
        default_graphs=st.view(view),
    )
    if answer_format is None:
        _print_result(result, "table", prefixes)
        return
    page_size = limit or stored_query.pagination
    data = answers.render(
        stored_query,
        result,
        bindings,
        answer_format,
        store=st,
        languages=("en", "ja"),
        limit=page_size,
        offset=offset,
        has_more=has_more,
        prefixes=prefixes,
        timeout=settings.query_timeout,
    )
    out = _stdout()
    out.write(data)
    if answer_format.name == "json":
        out.write(b"\n")
    if has_more:
        click.echo(f"(more rows: use --offset {offset + (page_size or 0)})", err=True)


def _print_result(result, fmt: str, prefixes: dict[str, str]) -> None:
    from . import formats

    out = _stdout()
    fmt = {"sparql-json": "json", "sparql-xml": "xml"}.get(fmt, fmt)
    if result.kind == "graph":
        rdf_name = {"table": "turtle", "json": "jsonld"}.get(fmt, fmt)
        if rdf_name not in RDF_FORMATS:
            raise UsageError(
                f"a CONSTRUCT/DESCRIBE answer cannot be written as {fmt}",
                hint="Use turtle, jsonld, ntriples or rdfxml.",
            )
        out.write(formats.serialize_triples(result.triples, RDF_FORMATS[rdf_name], prefixes))
        return
    if result.kind == "ask":
        if fmt == "table":
            click.echo("yes" if result.value else "no")
        elif fmt in RESULT_FORMATS:
            out.write(formats.serialize_ask(result.value, RESULT_FORMATS[fmt]))
        else:
            raise UsageError(f"an ASK answer cannot be written as {fmt}")
        return
    if fmt == "table":
        click.echo(formats.select_to_table(result.variables, result.rows, prefixes), nl=False)
        if result.truncated:
            click.echo("(more rows: use --offset/--limit)", err=True)
    elif fmt in RESULT_FORMATS:
        out.write(formats.serialize_select(result.variables, result.rows, RESULT_FORMATS[fmt]))
    else:
        raise UsageError(f"a SELECT answer cannot be written as {fmt}", hint="Use table, json, xml, csv or tsv.")


EXPORT_FORMATS = ["turtle", "jsonld", "ntriples", "nquads", "trig", "rdfxml"]


@cli.command()
@click.option("--format", "fmt", type=click.Choice(EXPORT_FORMATS), default="turtle", show_default=True)
@click.option(
    "--graph",
    "view",
    type=click.Choice(["all", "asserted", "inferred"]),
    default="all",
    show_default=True,
    help="Which triples: everything, the asserted data alone, or the inferred triples.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True),
    default=None,
    help="Write to this file (default: standard output).",
)
@store_option
@click.pass_context
def export(ctx, fmt, view, output, store):
    """Write the graph in an RDF format (N-Quads and TriG keep the named graphs)."""
    from .export import export as run_export

    state = _apply_store(ctx, store)
    st = state.store()
    if output:
        with open(output, "wb") as fh:
            run_export(st, RDF_FORMATS[fmt], fh, view=view)
    else:
        run_export(st, RDF_FORMATS[fmt], _stdout(), view=view)


@cli.command()
@click.option(
    "--version",
    "version",
    metavar="V",
    default=None,
    help="Name of the release (letters, digits, . _ -; default: today's date, UTC).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(file_okay=False, writable=True),
    default=None,
    help="Write the release to this folder (default: releases_dir/V, which /download lists).",
)
@click.option("--force", is_flag=True, help="Replace an existing release of that name.")
@click.option(
    "--unless-current",
    is_flag=True,
    help="Do nothing if a release of this very graph exists already; otherwise name the new one "
    "today's date, with a counter if that name is taken (what `make run` does).",
)
@store_option
@click.pass_context
def release(ctx, version, output, force, unless_current, store):
    """Write a release: dumps, CSV tables, SHA256SUMS and the DCAT-AP/VoID description."""
    from .release import make_release, release_of_graph, release_target, unused_version

    state = _apply_store(ctx, store)
    if unless_current:
        existing = release_of_graph(state.settings.releases_dir, state.store(quiet=True).version())
        if existing is not None:
            click.echo(f"Release {existing.version} in {existing.path} holds this graph already; nothing written.")
            return
        version = version or unused_version(state.settings.releases_dir)
    release_target(state.settings, version, Path(output) if output else None, force=force)
    made = make_release(
        state.store(quiet=False), state.settings, version=version, output=Path(output) if output else None, force=force
    )
    click.echo(f"Release {made.version} in {made.path}:")
    for item in made.files:
        click.echo(f"  {item.bytes:>12,}  {item.sha256}  {item.name}")
    click.echo(f"{made.triples:,} triples; checksums in SHA256SUMS, description in dataset.ttl.")


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option(
    "--format",
    "fmt",
    default=None,
    help="RDF format of the files: turtle, jsonld, ntriples, rdfxml, trig, nquads (default: from each extension).",
)
@click.option(
    "--report",
    "report_format",
    type=click.Choice(["text", "json", "turtle", "csv"]),
    default="text",
    show_default=True,
    help="How to print the validation report.",
)
@store_option
@click.pass_context
def validate(ctx, files, fmt, report_format, store):
    """Validate data FILES against the shapes, together with the graph they refer to.

    Exit code 0: no violations (warnings may be printed); 1: violations; 2: a file is
    missing or does not parse (the message gives its line and column).
    """
    from .contributions.checking import ContributionValidator

    state = _apply_store(ctx, store)
    contributions = [(name, _read_contribution(name, fmt, state.settings)) for name in files]
    validator = ContributionValidator(state.store())
    failed = False
    out = _stdout()
    for name, contribution in contributions:
        report = validator.validate(contribution, timeout=state.settings.validation_timeout)
        failed = failed or report.has_violations
        if report_format == "text":
            click.echo(
                f"{name}: "
                + (
                    "conforms"
                    if report.conforms
                    else "has violations"
                    if report.has_violations
                    else "conforms, with warnings"
                )
            )
            if not report.conforms:
                click.echo(report.to_text(limit=None))
        elif report_format == "json":
            out.write(report.to_json() + b"\n")
        elif report_format == "turtle":
            out.write(report.to_turtle())
        else:
            out.write(report.to_csv())
    ctx.exit(EXIT_FAILED if failed else EXIT_OK)


def _read_contribution(name: str, fmt: str | None, settings: Settings):
    from .contributions.checking import parse_contribution

    path = Path(name)
    if not path.is_file():
        raise LoadError(f"{name}: no such file")
    info = rdf_format(fmt) if fmt else guess_rdf_format(name)
    return parse_contribution(path.read_bytes(), info, settings.iris, source=name, max_depth=settings.max_rdf_depth)


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option(
    "--token",
    envvar="COOPGRAPH_TOKEN",
    required=True,
    help="Your API token (or the COOPGRAPH_TOKEN environment variable).",
)
@click.option("--description", "-d", required=True, help="What the data adds and where it comes from.")
@click.option(
    "--server",
    metavar="URL",
    default=None,
    help="Send it to a running site (e.g. https://example.org/); without it, write into --store.",
)
@click.option("--format", "fmt", default=None, help="RDF format of FILE (default: from its extension).")
@store_option
@click.pass_context
def contribute(ctx, file, token, description, server, fmt, store):
    """Submit FILE as a contribution: validated, then stored with its provenance.

    With --server the file goes to a running site's /api/contributions; otherwise it is
    written into the store folder (--store), with the token checked against the
    configured contributor_tokens. Exit code 0: accepted; 1: the data has violations
    (the report is printed, nothing is stored); 2: refused (token, size, syntax).
    """
    state = _apply_store(ctx, store)
    path = Path(file)
    if not path.is_file():
        raise LoadError(f"{file}: no such file")
    info = rdf_format(fmt) if fmt else guess_rdf_format(file)
    data = path.read_bytes()
    if server:
        body = _post_contribution(server, token, data, path.name, info, description)
        _print_accepted(
            body["id"],
            body["triples"],
            body.get("report", {}).get("counts", {}),
            server.rstrip("/") + body.get("url", ""),
        )
        return
    from .contributions.checking import ContributionValidator
    from .contributions.ledger import authenticate, open_for_contributions, submit
    from .errors import PayloadTooLarge

    name = authenticate(state.settings, token)
    if len(data) > state.settings.max_upload_bytes:
        raise PayloadTooLarge(f"{file} is larger than the limit of {state.settings.max_upload_bytes:,} bytes")
    target = open_for_contributions(state.settings)
    validator = ContributionValidator(target, max_rdf_depth=state.settings.max_rdf_depth)
    try:
        record, report = submit(
            target,
            data,
            info,
            contributor=name,
            description=description,
            validator=validator,
            timeout=state.settings.validation_timeout,
            source=file,
        )
    except NotConforming as exc:
        click.echo(exc.report.to_text(limit=None), err=True)
        raise
    finally:
        validator.close()
        target.close()
    if report.warnings:
        click.echo(report.to_text(limit=None), err=True)
    _print_accepted(record.id, record.triples, report.counts(), record.graph)


def _print_accepted(contribution_id: str, triples: int, counts: dict, where: str) -> None:
    warnings = counts.get("Warning", 0)
    click.echo(
        f"accepted: contribution {contribution_id} ({triples} triples"
        + (f", {warnings} warning(s)" if warnings else "")
        + f")\n{where}"
    )


def _post_contribution(server: str, token: str, data: bytes, filename: str, info, description: str) -> dict:
    """POST a file to a site's /api/contributions as multipart/form-data; return the JSON answer."""
    import json
    import urllib.error
    import urllib.request
    import uuid

    from .errors import ContributionRefused, Forbidden, PayloadTooLarge, StoreError, Unauthorized

    boundary = "coopgraph-" + uuid.uuid4().hex
    parts = []
    for field_name, value in (("description", description), ("input_format", info.name)):
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{field_name}"\r\n'
            f"Content-Type: text/plain; charset=utf-8\r\n\r\n{value}\r\n".encode()
        )
    safe_name = filename.replace('"', "_").replace("\r", "_").replace("\n", "_")
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{safe_name}"\r\n'
        f"Content-Type: {info.media_type}\r\n\r\n".encode()
        + data
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode("ascii"))
    url = server.rstrip("/") + "/api/contributions"
    request = urllib.request.Request(
        url,
        data=b"".join(parts),
        method="POST",
        headers={
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Accept": "application/json",
            "Authorization": f"Bearer {token}",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        try:
            body = json.loads(exc.read())
        except ValueError:
            body = {"message": f"the site answered {exc.code} {exc.reason}"}
        message, hint = body.get("message", f"the site answered {exc.code}"), body.get("hint")
        report = (body.get("details") or {}).get("report")
        if report is not None:
            click.echo(_json_report_text(report), err=True)
            raise NotConforming(message) from None
        for status, cls in ((401, Unauthorized), (403, Forbidden), (413, PayloadTooLarge), (422, ContributionRefused)):
            if exc.code == status:
                raise cls(message, hint=hint) from None
        if exc.code >= 500:
            raise StoreError(message, hint=hint) from None
        raise UsageError(message, hint=hint) from None
    except urllib.error.URLError as exc:
        raise UsageError(f"cannot reach {url}: {exc.reason}", hint="Check --server and that the site is up.") from None


def _json_report_text(report: dict) -> str:
    """Print a JSON validation report (as a site sends it) the way `validate` prints one."""
    counts = report.get("counts", {})
    lines = [f"{counts.get('Violation', 0)} violation(s), {counts.get('Warning', 0)} warning(s)"]
    for group in report.get("focusNodes", []):
        iri = (group.get("focusNode") or {}).get("value", "")
        lines.append(f"\n{group['label']} ({iri})" if group.get("label") else f"\n{iri}")
        for result in group.get("results", []):
            where = f" {result['path']}" if result.get("path") else ""
            value = f" [value: {result['value']['value']}]" if result.get("value") else ""
            lines.append(f"  {result['severity']}{where}: {result['message']}{value}")
    return "\n".join(lines) + "\n"


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int, help="Worker processes (gunicorn).")
@click.option("--threads", default=4, show_default=True, type=int, help="Threads per worker.")
@click.option(
    "--data",
    "data_files",
    multiple=True,
    type=click.Path(dir_okay=False, exists=True),
    help="Serve these RDF files instead of the curated graph (repeatable; TriG/N-Quads keep their graphs).",
)
@click.option("--debug", is_flag=True, help="Flask's development server, with the debugger (never in production).")
@click.option(
    "--update",
    "allow_update",
    is_flag=True,
    help="Take SPARQL Update on /sparql and Graph Store writes on /store. With --data: from anyone "
    "(a scratch server; loopback addresses only unless maintainer_tokens are set); "
    "without: from maintainers' tokens.",
)
@store_option
@click.pass_context
def serve(ctx, host, port, workers, threads, data_files, debug, allow_update, store):
    """Serve the built graph over HTTP (SPARQL endpoint, API, pages)."""
    from .server import serve as run_server
    from .server import update_mode

    state = _apply_store(ctx, store)
    settings = state.settings
    if allow_update:
        settings = settings.with_overrides(sparql_update=update_mode(settings, host, bool(data_files)))
    run_server(
        settings,
        host=host,
        port=port,
        workers=workers,
        threads=threads,
        data_files=[Path(f) for f in data_files],
        debug=debug,
    )


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``coopgraph`` console script."""
    cli.main(args=argv, prog_name="coopgraph")


if __name__ == "__main__":  # pragma: no cover
    main()
