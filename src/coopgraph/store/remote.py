"""The remote store: a SPARQL 1.1 database reached over HTTP (``--store sparql+http://...``).

Reads go through the SPARQL 1.1 Protocol, writes through SPARQL 1.1 Update, and bulk
loads and dumps through the Graph Store Protocol where the server offers it. Callers see
the same :class:`~coopgraph.store.base.Store` as with the embedded store; what servers do
differently is handled here, not by them:

- Every request is a form post (``application/x-www-form-urlencoded``): Virtuoso does
  not answer a POST with ``Content-Type: application/sparql-query``.
- Answers are read as SPARQL XML results and N-Triples with pyoxigraph's parsers, never
  CSV/TSV (Virtuoso's are not the standard ones). Virtuoso writes blank nodes as
  ``nodeID://b1`` in result documents; the prefix is taken off on the way in.
- The dataset is named in the query text (``FROM`` / ``FROM NAMED``), because Virtuoso
  ignores ``default-graph-uri`` for CONSTRUCT queries and otherwise unions every graph
  it holds, its own system graphs included. coopgraph's graphs are those under the
  deployment's graph base (``https://w3id.org/coopgraph/graph/``), so a shared database
  may hold other graphs that coopgraph never sees or touches.
- Time limits are enforced twice: by the HTTP read timeout, and by Virtuoso's own
  ``timeout`` parameter, whose "anytime" partial answers are reported as timeouts.
  Oxigraph server has no limit per request (only one for the whole server, its
  ``--timeout-s``): there the HTTP read timeout alone answers the caller.
- Oxigraph server (``Server: Oxigraph/...``) takes queries at ``/query``, updates at
  ``/update`` and the Graph Store Protocol at ``/store``: with ``--store
  sparql+http://host:7878/query`` the other two are found without settings.
- Row caps: Virtuoso cuts answers at ``ResultSetMaxRows`` (silently for graphs). A cut
  SELECT answer is flagged as truncated (or refused when the caller needs it whole);
  whole-graph reads compare with a count and page through the graph when they were cut.
- Writes are atomic per call: new content goes to staging graphs first (Graph Store
  Protocol, or INSERT DATA where there is none), then one update request moves every
  staging graph into place. Blank nodes never straddle two requests (each request gets
  fresh ones), so triples that hold blank nodes travel together.
"""

from __future__ import annotations

import logging
import re
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from urllib.parse import urlsplit, urlunsplit

import pyoxigraph as ox
import requests
from requests.auth import HTTPDigestAuth, _basic_auth_str

from ..errors import Forbidden, QueryFailed, QuerySyntaxError, QueryTimeout, RdfSyntaxError, StoreError, UsageError
from ..formats import syntax_position, xml_safe
from ..namespaces import Iris
from ..sparql import has_dataset_clause, keywords, query_form, with_dataset
from .base import (
    RECORDED_VERSION_QUERY,
    UNION_GRAPH,
    AskResult,
    GraphResult,
    SelectResult,
    Store,
    bind_values,
    union_sync_update,
)

log = logging.getLogger(__name__)

#: A graph that never holds triples: names an empty dataset part in FROM / FROM NAMED.
EMPTY_GRAPH = "urn:coopgraph:empty"
STAGING_PREFIX = "urn:coopgraph:staging:"
RESULTS_XML = "application/sparql-results+xml"
NTRIPLES = "application/n-triples"
#: Triples per request when data has to be sent in pieces.
CHUNK_TRIPLES = 200_000
#: How long the list of graphs is reused (a write through this store renews it at once).
GRAPH_LIST_SECONDS = 2.0
#: Seconds added to a query's time limit before the HTTP read gives up on the server.
GRACE = 2.0


class _ChallengeAuth(HTTPDigestAuth):
    """Answer whichever challenge the server sends: Digest (Virtuoso's /sparql-auth) or Basic."""

    def handle_401(self, r, **kwargs):
        challenge = r.headers.get("www-authenticate", "").lower()
        if "digest" in challenge:
            return super().handle_401(r, **kwargs)
        if "basic" in challenge and "Authorization" not in r.request.headers:
            r.content
            r.close()
            prepared = r.request.copy()
            prepared.headers["Authorization"] = _basic_auth_str(self.username, self.password)
            again = r.connection.send(prepared, **kwargs)
            again.history.append(r)
            again.request = prepared
            return again
        return r


class RemoteStore(Store):
    """A SPARQL 1.1 server (Query, Update, and the Graph Store Protocol where offered).

    ``endpoint_url`` answers queries; ``update_url`` takes updates (default: the same URL,
    Virtuoso's ``/sparql-auth`` when credentials are given, Oxigraph server's ``/update``).
    ``graph_store_url`` is the Graph Store Protocol endpoint (default: Virtuoso's
    ``/sparql-graph-crud(-auth)``, Oxigraph server's ``/store``, none for other servers;
    ``False`` switches it off). ``graph_prefixes`` says which
    graphs of the database are coopgraph's (default: those under the graph base).
    """

    def __init__(
        self,
        iris: Iris,
        endpoint_url: str,
        update_url: str | None = None,
        user: str | None = None,
        password: str | None = None,
        *,
        graph_store_url: str | bool | None = None,
        default_timeout: float | None = None,
        connect_timeout: float = 10.0,
        graph_prefixes: Iterable[str] | None = None,
        chunk_triples: int = CHUNK_TRIPLES,
        dialect: str | None = None,
        graph_list_seconds: float = GRAPH_LIST_SECONDS,
    ):
        super().__init__(iris)
        if not endpoint_url.startswith(("http://", "https://")):
            raise UsageError(
                f"not an HTTP(S) SPARQL endpoint: {endpoint_url}", hint="Use --store sparql+http://host:port/sparql"
            )
        self.endpoint_url = endpoint_url
        self._update_url = update_url or None
        self._graph_store_url = graph_store_url
        self.auth = _ChallengeAuth(user, password) if user else None
        self.default_timeout = default_timeout
        self.connect_timeout = connect_timeout
        self.graph_prefixes = tuple(graph_prefixes) if graph_prefixes is not None else (iris.graph_base,)
        self.chunk_triples = chunk_triples
        self._dialect = dialect
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._lock = threading.Lock()
        self.graph_list_seconds = graph_list_seconds
        #: (when last checked, the version then, the graphs)
        self._graph_list: tuple[float, str | None, list[str]] | None = None
        #: how many times the graphs were listed (the scan this class avoids; read by tests)
        self.graph_listings = 0
        self._writes = 0  # a list read while a write ran must not be kept
        self._keeps_union: bool | None = None

    def __repr__(self) -> str:
        return f"RemoteStore({self.endpoint_url!r})"

    # --- HTTP -------------------------------------------------------------------------

    @property
    def session(self) -> requests.Session:
        """One session (connection pool) per thread: requests does not promise thread safety."""
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.headers["User-Agent"] = "coopgraph"
            self._local.session = session
            with self._lock:
                self._sessions.append(session)
        return session

    def _request(
        self, method: str, url: str, *, timeout: float | None = None, stream: bool = False, **kwargs
    ) -> requests.Response:
        read_timeout = timeout + GRACE if timeout else None
        try:
            response = self.session.request(
                method, url, auth=self.auth, stream=stream, timeout=(self.connect_timeout, read_timeout), **kwargs
            )
        except requests.Timeout as exc:
            if isinstance(exc, requests.ConnectTimeout):
                raise self._unreachable(url, exc) from exc
            raise _timeout_error(timeout) from exc
        except requests.ConnectionError as exc:
            raise self._unreachable(url, exc) from exc
        if self._dialect is None:
            self._dialect = _dialect_of(response.headers.get("Server", ""))
        if response.status_code >= 400:
            try:
                raise self._error(response)
            finally:
                response.close()
        return response

    def _unreachable(self, url: str, exc: Exception) -> StoreError:
        return StoreError(
            f"cannot reach the SPARQL store at {url}: {exc.__class__.__name__}",
            hint="Check that the server runs and that --store names its SPARQL endpoint, "
            "e.g. sparql+http://127.0.0.1:8890/sparql.",
        )

    def _error(self, response: requests.Response) -> Exception:
        text = response.text or ""
        # Virtuoso echoes the whole query after its message, or wraps it in an HTML page: keep the message.
        wrapped = re.search(r"<xmp>(.*?)</xmp>", text, re.S)
        if wrapped:
            text = wrapped.group(1)
        message = text.split("\n\nSPARQL query:", 1)[0].strip() or f"HTTP {response.status_code}"
        message = re.sub(r"^Virtuoso \w+ Error ", "", message)
        status = response.status_code
        if status == 401:
            return StoreError(
                f"the SPARQL store at {response.url} asks for credentials",
                hint="Set store_user and store_password (COOPGRAPH_STORE_USER / COOPGRAPH_STORE_PASSWORD).",
            )
        if status == 403 or "SR186" in message or "permission" in message.lower():
            return Forbidden(
                f"the SPARQL store refused the request: {message}",
                hint="Give credentials of a user with write rights (store_user, store_password) "
                "or a separate update endpoint (store_update_url).",
            )
        if "estimated execution time" in message.lower():
            # refused on the optimizer's guess, before running: the query itself may be fine
            return QueryTimeout(
                f"the SPARQL store refused the query on its estimate of the time it would take: {message}",
                hint="The estimate can be far off (a query estimated at 4,190 s ran in 0.2 s). Narrow the query "
                "down, or ask the store's administrator to raise MaxQueryCostEstimationTime ([SPARQL] in "
                "virtuoso.ini; 0 turns the check off).",
            )
        # SR203: Virtuoso cancelled the statement itself when its own time limit passed (seen under load,
        # instead of the "anytime" partial answer)
        if "S1T00" in message or "SR203" in message or "timed out" in message.lower() or "timeout" in message.lower():
            return QueryTimeout(
                f"the SPARQL store stopped the query: {message}",
                hint="Narrow it down (more specific patterns, a LIMIT) and try again.",
            )
        if re.match(r"^(37000|42000)? ?(SP030|SP031)", message) or "syntax error" in message.lower():
            line = re.search(r"line (\d+)", message)
            return QuerySyntaxError(message, line=int(line.group(1)) if line else None)
        if status >= 500:
            return StoreError(f"the SPARQL store failed: {message}")
        return QueryFailed(f"the SPARQL store could not evaluate the request: {message}")

    @property
    def dialect(self) -> str:
        """``virtuoso``, ``oxigraph`` or ``generic``, from the server's ``Server`` header (one probe at most)."""
        if self._dialect is None:
            self._request("POST", self.endpoint_url, data={"query": "ASK { }"}, headers={"Accept": RESULTS_XML}).close()
        return self._dialect

    @property
    def update_url(self) -> str:
        if self._update_url:
            return self._update_url
        if self.dialect == "virtuoso" and self.auth is not None:
            return _sibling(self.endpoint_url, "sparql-auth")
        if self.dialect == "oxigraph" and urlsplit(self.endpoint_url).path.endswith("/query"):
            return _sibling(self.endpoint_url, "update")  # Oxigraph server takes no update at /query
        return self.endpoint_url

    @property
    def graph_store_url(self) -> str | None:
        if self._graph_store_url is False:
            return None
        if isinstance(self._graph_store_url, str):
            return self._graph_store_url
        if self.dialect == "virtuoso":
            return _sibling(self.endpoint_url, "sparql-graph-crud-auth" if self.auth else "sparql-graph-crud")
        if self.dialect == "oxigraph":
            return _sibling(self.endpoint_url, "store")
        return None

    def close(self) -> None:
        with self._lock:
            for session in self._sessions:
                session.close()
            self._sessions.clear()
        self._local = threading.local()

    # --- reading ------------------------------------------------------------------------

    def _check_syntax(self, sparql: str) -> None:
        """Parse the query locally, so syntax errors read the same on every backend (line, column)."""
        self.guard_query(sparql)
        try:
            ox.Store().query(sparql)
        except SyntaxError as exc:
            from .base import query_message

            line, column = syntax_position(str(exc))
            raise QuerySyntaxError(
                query_message(str(exc)),
                line=line,
                column=column,
                hint="Fix the SPARQL at that place and send it again.",
            ) from exc
        except (ValueError, TypeError, OSError):
            pass  # evaluation problems on the empty store say nothing about the server

    def query(
        self,
        sparql,
        *,
        default_graphs=None,
        named_graphs=None,
        bindings=None,
        timeout=None,
        max_rows=None,
        base_iri=None,
    ):
        if bindings:
            sparql = bind_values(sparql, bindings)
        if base_iri:
            if any(c in base_iri for c in '<>"{}|^`\\ '):
                raise UsageError(f"not a usable base IRI: {base_iri!r}")
            sparql = f"BASE <{base_iri}>\n{sparql}"
        self._check_syntax(sparql)
        form = query_form(sparql)
        if default_graphs is None and named_graphs is None and has_dataset_clause(sparql):
            # the query names its own dataset (FROM / FROM NAMED): it gets exactly that, as on the embedded store
            return self._run(sparql, form, timeout, max_rows)
        if named_graphs is None and "GRAPH" not in keywords(sparql):
            named_graphs = []  # no GRAPH pattern: the named graphs do not matter, so skip listing them
        if self._reads_union():
            # the 'all' view is one graph here: one FROM clause, and no graph list to read for it
            if default_graphs is None or sorted(default_graphs) == self.view("all"):
                default_graphs = [UNION_GRAPH]
        own = None
        if default_graphs is None or named_graphs is None:
            own = self.graphs()
        if default_graphs is None:
            default_graphs = [g for g in own if g != self.iris.shapes_graph]
        if named_graphs is None:
            named_graphs = own
        text = with_dataset(sparql, default_graphs or [EMPTY_GRAPH], named_graphs or [EMPTY_GRAPH])
        return self._run(text, form, timeout, max_rows)

    def _run(self, text: str, form: str | None, timeout: float | None, max_rows: int | None):
        timeout = timeout if timeout is not None else self.default_timeout
        if form in ("CONSTRUCT", "DESCRIBE"):
            with self._post_query(text, NTRIPLES, timeout) as response:
                triples, truncated = [], False
                for count, quad in enumerate(self._parse_graph(response)):
                    if max_rows is not None and count >= max_rows:
                        truncated = True
                        break
                    triples.append(quad.triple)
                return GraphResult(triples, truncated)
        with self._post_query(text, RESULTS_XML, timeout) as response:
            cap = response.headers.get("X-SPARQL-MaxRows")
            answer = ox.parse_query_results(self._body(response), format=ox.QueryResultsFormat.XML)
            if isinstance(answer, ox.QueryBoolean):
                return AskResult(bool(answer))
            variables = [v.value for v in answer.variables]
            rows, truncated = [], False
            try:
                for count, solution in enumerate(answer):
                    if max_rows is not None and count >= max_rows:
                        truncated = True
                        break
                    rows.append(tuple(solution[i] for i in range(len(variables))))
            except SyntaxError as exc:
                raise StoreError(f"the SPARQL store sent an unreadable answer: {exc}") from exc
            if cap is not None and not truncated:
                if max_rows is None:
                    raise StoreError(
                        f"the SPARQL store cut the answer at {cap} rows (its own row limit)",
                        hint="Raise the server's limit (Virtuoso: [SPARQL] ResultSetMaxRows in "
                        "virtuoso.ini) or page with LIMIT/OFFSET.",
                    )
                truncated = True
            return SelectResult(variables, rows, truncated)

    def query_request(self, text: str, accept: str, timeout: float | None) -> tuple[dict, dict]:
        """The form fields and headers of the query request, apart so a benchmark can send the very same one."""
        data = {"query": text}
        headers = {"Accept": accept}
        if self.dialect == "virtuoso":
            if timeout:
                data["timeout"] = str(max(1, int(timeout * 1000)))
            # Over a kept-alive connection, an answer Virtuoso writes in more than one segment
            # waited 40 ms for the client's delayed acknowledgement (48 ms against 6 ms for 206
            # rows at 1M); a new connection per query costs a fraction of a millisecond.
            headers["Connection"] = "close"
        return data, headers

    def _post_query(self, text: str, accept: str, timeout: float | None, *, stream: bool = False) -> requests.Response:
        """Send a query; ``stream`` leaves a large answer on the wire to be parsed as it arrives.

        Answers that are not streamed are read whole, which hands the connection back to
        the pool for the next request; Virtuoso is asked on a new connection each time
        (see :meth:`query_request`).
        """
        data, headers = self.query_request(text, accept, timeout)
        started = time.monotonic()
        response = self._request("POST", self.endpoint_url, data=data, headers=headers, timeout=timeout, stream=stream)
        if response.headers.get("X-SQL-State", "").startswith("S1T"):
            # Virtuoso's "anytime" answer: whatever it found before the limit. Partial is wrong.
            response.close()
            raise _timeout_error(timeout or (time.monotonic() - started))
        return response

    def _body(self, response: requests.Response) -> bytes:
        """A SPARQL XML results document, with Virtuoso's ``nodeID://`` taken off blank node labels."""
        data = response.content
        return data.replace(b"<bnode>nodeID://", b"<bnode>") if self.dialect == "virtuoso" else data

    def _parse_graph(self, response: requests.Response, stream: bool = False) -> Iterator[ox.Quad]:
        media = response.headers.get("Content-Type", NTRIPLES).split(";")[0].strip()
        fmt = {"text/turtle": ox.RdfFormat.TURTLE, "application/rdf+xml": ox.RdfFormat.RDF_XML}.get(
            media, ox.RdfFormat.N_TRIPLES
        )
        if stream:
            response.raw.decode_content = True
        try:
            yield from ox.parse(response.raw if stream else response.content, format=fmt)
        except SyntaxError as exc:
            raise StoreError(f"the SPARQL store sent an unreadable graph: {exc}") from exc

    # --- the union of the graphs (see coopgraph.store.base.UNION_GRAPH) -------------------

    @property
    def keeps_union(self) -> bool:
        """Whether the database holds the union of coopgraph's graphs (a build makes it; older ones lack it).

        Never on Virtuoso: its cost estimator misjudges queries over the one graph (the
        curated documents-and-studies query was estimated at 5.7 million seconds and
        refused under the usual MaxQueryCostEstimationTime, though it runs in milliseconds
        once the estimator is off), so there the graphs stay listed in FROM clauses.
        """
        if self._keeps_union is None and self.dialect == "virtuoso":
            self._keeps_union = False
        if self._keeps_union is None:
            answer = self._run(f"ASK {{ GRAPH <{UNION_GRAPH}> {{ ?s ?p ?o }} }}", "ASK", self.default_timeout, None)
            self._keeps_union = answer.value or not self.view("all")
        return self._keeps_union

    def _reads_union(self) -> bool:
        return not self._union_stale and self.keeps_union

    def mirror_graphs(self) -> list[str]:
        return [UNION_GRAPH] if self.keeps_union else []

    def sync_union(self) -> None:
        """One pass over coopgraph's graphs in the database, after writes of unknown effect (see the base class).

        Until it ends, other processes reading the union see the state before the write:
        writes on a remote store are not isolated from readers (unlike snapshots).
        """
        if not self._union_stale:
            return
        prefixes = " || ".join(f'STRSTARTS(STR(?g), "{_escape(prefix)}")' for prefix in self.graph_prefixes)
        parts = f"FILTER(?g != <{self.iris.shapes_graph}> && ({prefixes or 'true'}))"
        self.update(union_sync_update(self.view("all"), parts), union=())
        self._union_stale = False

    def rebuild_union(self) -> None:
        """Keep the union from now on and bring it up to date (the end of a build; not on Virtuoso)."""
        if self.dialect == "virtuoso":
            return
        self._keeps_union, self._union_stale = True, True
        self.sync_union()

    def graphs(self):
        """The graphs holding triples, from a list kept while the store's version stays the same.

        Every query over the default view needs the list (for its FROM clauses), and a
        server answers it by scanning its quads: 2.4 s at 1M triples on Virtuoso, which
        then answers the query itself in 2 ms. So the list is read again only when the
        version in the meta graph has changed (every coopgraph write, from any process,
        gives a new one: :meth:`Store.writer`), checked with one small query at most every
        ``graph_list_seconds``. A store without a version is listed every
        ``graph_list_seconds``; graphs that other tools add without a new version show
        after coopgraph's next write.
        """
        cached = self._graph_list
        now = time.monotonic()
        if cached is not None and now - cached[0] < self.graph_list_seconds:
            return list(cached[2])
        version = self.recorded_version()
        if cached is not None and version is not None and version == cached[1]:
            self._graph_list = (now, version, cached[2])
            return list(cached[2])
        filters = " || ".join(f'STRSTARTS(STR(?g), "{_escape(prefix)}")' for prefix in self.graph_prefixes)
        query = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } %s }" % (f"FILTER({filters})" if filters else "")
        writes = self._writes
        with self._post_query(query, RESULTS_XML, self.default_timeout) as response:
            answer = ox.parse_query_results(self._body(response), format=ox.QueryResultsFormat.XML)
            names = [s["g"].value for s in answer if isinstance(s["g"], ox.NamedNode)]
        graphs = sorted(g for g in names if not g.startswith(STAGING_PREFIX) and g != EMPTY_GRAPH)
        if writes == self._writes:  # the version was read before the list: a write since makes it stale
            self._graph_list = (now, version, graphs)
        self.graph_listings += 1
        return list(graphs)

    def recorded_version(self) -> str | None:
        # Written with its dataset here rather than through query(): that may need the graph
        # list (for the union check), and the graph list needs the version.
        text = with_dataset(
            RECORDED_VERSION_QUERY,
            [EMPTY_GRAPH],
            [self.iris.meta_graph],
        )
        rows = self._run(text, "SELECT", self.default_timeout, None).rows
        return rows[0][0].value if rows else None

    def count(self, graph=None):
        if graph is None:
            graphs = self.graphs()
            if not graphs:
                return 0
            rows = self.query(
                "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }", default_graphs=[], named_graphs=graphs
            ).rows
        else:
            rows = self.query(
                "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", default_graphs=[graph], named_graphs=[]
            ).rows
        return int(rows[0][0].value)

    def _fetch_graph(self, graph: str) -> Iterator[ox.Triple]:
        """Yield every triple of a graph (Graph Store Protocol GET, or CONSTRUCT), checked against a count."""
        expected = self.count(graph)
        if expected == 0:
            return
        try:
            triples = list(self._graph_document(graph))
        except (StoreError, QueryFailed) as exc:
            if isinstance(exc, QueryTimeout):
                raise
            # Virtuoso builds a whole graph in one array, refused past MaxVectorSize
            # (a million triples by default, FRVEC): read it a predicate at a time
            log.info("the store would not send graph %s whole (%s); reading it by predicate", graph, exc)
            yield from self._graph_by_predicate(graph)
            return
        if len(triples) < expected:
            log.info("the store cut graph %s at %d of %d triples; paging", graph, len(triples), expected)
            triples = list(self._paged_graph(graph, page=max(len(triples), 1), expected=expected))
        yield from triples

    def _graph_document(self, graph: str, predicate: ox.NamedNode | None = None) -> Iterator[ox.Triple]:
        """A graph (or its triples with one predicate) in one response."""
        gsp = self.graph_store_url
        if gsp and predicate is None:
            # bulk reads (exports, dumps) have no time limit: their size, not a runaway query, makes them long
            response = self._request("GET", gsp, params={"graph": graph}, headers={"Accept": NTRIPLES}, stream=True)
        else:
            p = "?p" if predicate is None else str(predicate)
            text = with_dataset(f"CONSTRUCT {{ ?s {p} ?o }} WHERE {{ ?s {p} ?o }}", [graph], [EMPTY_GRAPH])
            response = self._post_query(text, NTRIPLES, None, stream=True)
        with response:
            for quad in self._parse_graph(response, stream=True):
                yield quad.triple

    def _graph_by_predicate(self, graph: str) -> Iterator[ox.Triple]:
        predicates = [
            row[0]
            for row in self.query("SELECT DISTINCT ?p WHERE { ?s ?p ?o }", default_graphs=[graph], named_graphs=[]).rows
        ]
        for predicate in predicates:
            expected = int(
                self.query(
                    "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
                    default_graphs=[graph],
                    named_graphs=[],
                    bindings={"p": predicate},
                )
                .rows[0][0]
                .value
            )
            try:
                triples = list(self._graph_document(graph, predicate))
            except QueryTimeout:
                raise
            except (StoreError, QueryFailed):
                triples = []
            if len(triples) < expected:  # cut at the server's row limit, or refused: page by what came
                triples = list(
                    self._paged_graph(graph, page=len(triples) or 500_000, expected=expected, predicate=predicate)
                )
            yield from triples

    def _paged_graph(
        self, graph: str, page: int, expected: int, predicate: ox.NamedNode | None = None
    ) -> Iterator[ox.Triple]:
        """Page through a graph the server will not send whole.

        The ORDER BY sits in a subquery because Virtuoso refuses an ordered LIMIT/OFFSET
        beyond its sorted-rows limit at the top level, but not inside.
        """
        offset = 0
        where = f"?s {predicate} ?o . BIND({predicate} AS ?p)" if predicate is not None else "?s ?p ?o"
        while offset < expected:
            text = with_dataset(
                f"SELECT ?s ?p ?o WHERE {{ {{ SELECT ?s ?p ?o WHERE {{ {where} }} "
                f"ORDER BY ?s ?p ?o }} }} LIMIT {page} OFFSET {offset}",
                [graph],
                [EMPTY_GRAPH],
            )
            with self._post_query(text, RESULTS_XML, None) as response:
                answer = ox.parse_query_results(self._body(response), format=ox.QueryResultsFormat.XML)
                got = 0
                for solution in answer:
                    got += 1
                    yield ox.Triple(solution["s"], solution["p"], solution["o"])
            if got == 0:
                break
            offset += got

    def iter_triples(self, graph):
        """Yield a graph's triples grouped by subject (servers send them in any order)."""
        groups: dict = {}
        for triple in self._fetch_graph(graph):
            groups.setdefault(triple.subject, []).append(triple)
        for triples in groups.values():
            yield from triples

    def dump(self, fmt, *, graph=None, output=None, prefixes=None):
        kwargs = {}
        if prefixes and fmt.name in ("turtle", "trig", "rdfxml"):
            kwargs["prefixes"] = prefixes
        if fmt.quads:
            if graph is not None:
                raise UsageError(f"{fmt.name} holds a whole dataset; dump one graph as Turtle or N-Triples instead")
            items = (
                ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(g))
                for g in self.graphs()
                for t in self._fetch_graph(g)
            )
        else:
            if graph is None:
                return ox.serialize([], output, fmt.oxigraph, **kwargs)
            items = self._fetch_graph(graph)
        if fmt.name == "rdfxml":  # written whole, then made well-formed (see formats.xml_safe)
            data = xml_safe(ox.serialize(items, None, fmt.oxigraph, **kwargs))
            if output is None:
                return data
            output.write(data)
            return None
        return ox.serialize(items, output, fmt.oxigraph, **kwargs)

    # --- writing ------------------------------------------------------------------------

    def update(self, sparql, *, union=None):
        self.guard_query(sparql)
        sparql = self._with_union_copies(sparql, union)
        self._writes += 1
        self._graph_list = None
        try:
            self._send_update(sparql)
        finally:
            self._writes += 1  # before and after: no list read meanwhile is kept
            self._graph_list = None

    def _send_update(self, sparql: str) -> None:
        try:
            self._request(
                "POST", self.update_url, data={"update": sparql}, headers={"Accept": f"{RESULTS_XML}, */*;q=0.1"}
            ).close()
        except StoreError as exc:
            if self.dialect != "virtuoso" or "SR325" not in exc.message:
                raise
            # Virtuoso caps what one transaction may change (TransactionAfterImageLimit); past it
            # the update is run again row by row. Our updates are idempotent (an INSERT that
            # skips what holds, DROP, MOVE), so running one again completes it.
            log.warning(
                "Virtuoso's transaction limit was reached; running the update without a transaction "
                "(raise TransactionAfterImageLimit in virtuoso.ini to keep it atomic)"
            )
            self._request(
                "POST",
                self.update_url,
                data={"update": "DEFINE sql:log-enable 3\n" + sparql},
                headers={"Accept": f"{RESULTS_XML}, */*;q=0.1"},
            ).close()

    def replace_graphs(self, graphs, fmt=None, *, drop=()):
        staged: dict[str, str] = {}
        try:
            for graph, content in graphs.items():
                if isinstance(content, (bytes, str)):
                    if fmt is None:
                        raise UsageError("replace_graphs() needs the format of documents")
                    # the same parser and errors as the embedded store
                    content = list(ox.parse(content, format=fmt.oxigraph))
                staging = f"{STAGING_PREFIX}{uuid.uuid4().hex}"
                if self._send(staging, (ox.Triple(q.subject, q.predicate, q.object) for q in content)):
                    staged[graph] = staging
            statements = [f"DROP SILENT GRAPH <{g}>" for g in list(drop) + [g for g in graphs if g not in staged]]
            statements += [f"MOVE SILENT <{staging}> TO <{graph}>" for graph, staging in staged.items()]
            if statements:
                self.update(" ;\n".join(statements))
        except BaseException:
            self._discard(staged.values())
            raise

    def bulk_load_file(self, graph, path, fmt, *, base_iri=None):
        staging = f"{STAGING_PREFIX}{uuid.uuid4().hex}"
        try:
            quads = ox.parse(path=str(path), format=fmt.oxigraph, base_iri=base_iri)
            if self._send(staging, (q.triple for q in quads), source=str(path)):
                self.update(f"ADD SILENT <{staging}> TO <{graph}> ;\nDROP SILENT GRAPH <{staging}>")
        except BaseException:
            self._discard([staging])
            raise

    def _discard(self, staging: Iterable[str]) -> None:
        statements = [f"DROP SILENT GRAPH <{g}>" for g in staging]
        if statements:
            try:
                self.update(" ;\n".join(statements))
            except Exception:  # noqa: BLE001 - the original error matters more
                log.warning("could not remove staging graphs %s", statements)

    def _send(self, graph: str, triples: Iterable[ox.Triple], source: str | None = None) -> int:
        """Add triples to a graph in pieces; the triples holding blank nodes go in one last piece."""
        plain: list[ox.Triple] = []
        blank: list[ox.Triple] = []
        sent = 0
        try:
            for triple in triples:
                if isinstance(triple.subject, ox.BlankNode) or isinstance(triple.object, ox.BlankNode):
                    blank.append(triple)
                    continue
                plain.append(triple)
                if len(plain) >= self.chunk_triples:
                    self._post_triples(graph, plain)
                    sent += len(plain)
                    plain = []
        except SyntaxError as exc:
            line, column = (exc.lineno, exc.offset) if getattr(exc, "lineno", None) else syntax_position(str(exc))
            raise RdfSyntaxError(str(exc), source=source, line=line, column=column) from exc
        for piece in (plain, blank):
            if piece:
                self._post_triples(graph, piece)
                sent += len(piece)
        return sent

    def _post_triples(self, graph: str, triples: list[ox.Triple]) -> None:
        body = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
        gsp = self.graph_store_url
        if not gsp:
            self.update(f"INSERT DATA {{ GRAPH <{graph}> {{\n{body.decode('utf-8')}}} }}")
            return
        try:
            self._request("POST", gsp, params={"graph": graph}, data=body, headers={"Content-Type": NTRIPLES}).close()
        except StoreError as exc:
            # Virtuoso caps what one transaction may change (TransactionAfterImageLimit): the piece
            # was rolled back whole, so send it again in halves (blank nodes must stay together)
            splittable = not any(
                isinstance(t.subject, ox.BlankNode) or isinstance(t.object, ox.BlankNode) for t in triples
            )
            if "SR325" not in exc.message or len(triples) < 2 or not splittable:
                raise
            half = len(triples) // 2
            self._post_triples(graph, triples[:half])
            self._post_triples(graph, triples[half:])


def _sibling(url: str, name: str) -> str:
    """The URL of another service on the same server (``/sparql`` -> ``/sparql-auth``)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, "", ""))


def _dialect_of(server_header: str) -> str:
    """Which server answers, from its ``Server`` header (``Virtuoso/07.20...``, ``Oxigraph/0.5.13``)."""
    name = server_header.lower()
    if "virtuoso" in name:
        return "virtuoso"
    if name.startswith("oxigraph"):
        return "oxigraph"
    return "generic"


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _timeout_error(timeout: float | None) -> QueryTimeout:
    limit = f" of {timeout:g} s" if timeout else ""
    return QueryTimeout(
        f"the query ran past its time limit{limit} and was stopped",
        hint="Narrow it down (more specific patterns, a LIMIT) and try again.",
    )


__all__ = ["RemoteStore"]
