"""Shared fixtures: settings, built stores (the curated graph and a miniature one), apps, servers.

The miniature project (tests/fixtures/mini) is made up and tiny, so core behaviour is
tested independently of the curated knowledge; the curated graph is built once per
session for the tests about the knowledge and the web.
"""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import requests

from coopgraph.config import Settings, load_settings
from coopgraph.knowledge.build import build

ROOT = Path(__file__).resolve().parent.parent
MINI = Path(__file__).resolve().parent / "fixtures" / "mini"
SAMPLES = Path(__file__).resolve().parent / "samples"
QUERY_API = Path(__file__).resolve().parent / "fixtures" / "query-api"


def make_settings(root: Path = ROOT, **overrides) -> Settings:
    """Settings that ignore the developer's environment and config file."""
    return load_settings(environ={}, root=str(root), **overrides)


@pytest.fixture(scope="session")
def settings_factory():
    return make_settings


@pytest.fixture(scope="session")
def mini_settings() -> Settings:
    return make_settings(MINI)


@pytest.fixture(scope="session")
def mini_build(mini_settings):
    """(store, report) of the miniature project, built in memory once."""
    return build(mini_settings)


@pytest.fixture(scope="session")
def mini_store(mini_build):
    return mini_build[0]


@pytest.fixture(scope="session")
def query_project(tmp_path_factory) -> Path:
    """The miniature project plus stored queries of every kind, broken ones, and hostile labels."""
    root = tmp_path_factory.mktemp("query-project") / "project"
    shutil.copytree(MINI, root)
    shutil.copytree(QUERY_API, root, dirs_exist_ok=True)
    return root


@pytest.fixture(scope="session")
def query_build(query_project):
    """(store, report) of the stored-query test project, built in memory once."""
    return build(make_settings(query_project))


@pytest.fixture(scope="session")
def query_app(query_project, query_build):
    """A Flask app over the stored-query test project."""
    from coopgraph.web import create_app

    application = create_app(make_settings(query_project), store=query_build[0])
    application.config["TESTING"] = True
    return application


@pytest.fixture(scope="session")
def curated_settings() -> Settings:
    return make_settings(ROOT)


@pytest.fixture(scope="session")
def curated_build(curated_settings):
    """(store, report) of the curated graph, built in memory once per session."""
    return build(curated_settings)


@pytest.fixture(scope="session")
def built_store(curated_build):
    """The curated graph (ontology, shapes, data, inferred) in an in-memory store."""
    return curated_build[0]


@pytest.fixture(scope="session")
def built_folder(tmp_path_factory, curated_settings):
    """The curated graph built into a store folder (with a published snapshot)."""
    path = tmp_path_factory.mktemp("store") / "store"
    store, _ = build(curated_settings.with_overrides(store=str(path)))
    store.close()
    return path


@pytest.fixture(scope="session")
def releases_dir(tmp_path_factory) -> Path:
    """The releases folder of the test apps and of the live server (empty until a test releases)."""
    return tmp_path_factory.mktemp("releases")


@pytest.fixture(scope="session")
def curated_release(built_store, curated_settings, releases_dir):
    """A release of the curated graph (dumps, tables, description) in ``releases_dir``."""
    from coopgraph.release import make_release

    return make_release(
        built_store, curated_settings.with_overrides(releases_dir=str(releases_dir)), version="0.0.0-test"
    )


@pytest.fixture(scope="session")
def app_factory(curated_settings, built_store):
    """Make a Flask app over the curated graph, with settings overrides."""
    from coopgraph.web import create_app

    def factory(store=None, **overrides):
        return create_app(curated_settings.with_overrides(**overrides), store=store or built_store)

    return factory


@pytest.fixture(scope="session")
def app(app_factory):
    application = app_factory()
    application.config["TESTING"] = True
    return application


@pytest.fixture()
def client(app):
    return app.test_client()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@functools.cache
def server_logs() -> Path:
    """The folder of the live servers' logs, which tests read after a server stops; removed at exit.

    Made on first use: child processes that import this module exit without running exit handlers.
    """
    folder = Path(tempfile.mkdtemp(prefix="coopgraph-test-servers-"))
    atexit.register(shutil.rmtree, folder, True)
    return folder


class LiveServer:
    """A real `coopgraph serve` process on 127.0.0.1, stopped at the end of the test session."""

    def __init__(self, args: list[str], env: dict | None = None, cwd: Path = ROOT):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [
            sys.executable,
            "-m",
            "coopgraph.cli",
            *args[:1],
            *args[1:],
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
        ]
        self.log = open(server_logs() / f"coopgraph-server-{self.port}.log", "w+")
        self.process = subprocess.Popen(
            command,
            cwd=cwd,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            start_new_session=True,
        )
        self.wait_ready()

    def wait_ready(self, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.log.seek(0)
                output = self.log.read()
                self.log.close()
                raise RuntimeError(f"server exited early:\n{output}")
            try:
                if requests.get(self.url + "/health", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError("server did not become ready")

    def stop(self) -> None:
        import signal

        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()


def answers_by_worker(url: str, workers: int, ask: str, attempts: int = 200) -> dict[str, list[bool]]:
    """Ask ``ask`` until every one of ``workers`` has answered at least twice; each worker's answers.

    Also the way to know that every worker of a server has booted: one still booting when
    the server is stopped is killed before it can exit cleanly.
    """
    seen: dict[str, list[bool]] = {}
    for _ in range(attempts):
        # a new connection each time, so the kernel hands it to any worker
        response = requests.get(url + "/sparql", params={"query": ask}, headers={"Connection": "close"}, timeout=10)
        assert response.status_code == 200, response.text
        seen.setdefault(response.headers["X-Coopgraph-Worker"], []).append(response.json()["boolean"])
        if len(seen) == workers and all(len(v) >= 2 for v in seen.values()):
            break
    return seen


@pytest.fixture(scope="session")
def live_server(built_folder, releases_dir):
    """`coopgraph serve` over the curated graph, as a real HTTP server process."""
    server = LiveServer(
        ["serve", "--store", str(built_folder), "--workers", "1", "--threads", "4"],
        env={"COOPGRAPH_QUERY_TIMEOUT": "3", "COOPGRAPH_RELEASES_DIR": str(releases_dir)},
    )
    yield server
    server.stop()


# --- a made-up project for the pages, search and views (tests/fixtures/towns) -----------------

TOWNS = Path(__file__).resolve().parent / "fixtures" / "towns"


@pytest.fixture(scope="session")
def towns_settings() -> Settings:
    return make_settings(TOWNS)


@pytest.fixture(scope="session")
def towns_store(towns_settings):
    """A fictional graph (Testville, Exämplestad...) with programmes, pairings, themes, dates and coordinates."""
    return build(towns_settings)[0]


@pytest.fixture(scope="session")
def towns_app(towns_settings, towns_store):
    from coopgraph.web import create_app

    application = create_app(towns_settings, store=towns_store)
    application.config["TESTING"] = True
    return application


@pytest.fixture()
def towns_client(towns_app):
    return towns_app.test_client()


@pytest.fixture()
def folder(tmp_path, mini_settings):
    """A store folder of the miniature project, built for one test (it may write to it)."""
    path = tmp_path / "store"
    store, _ = build(mini_settings.with_overrides(store=str(path)))
    store.close()
    return path


# --- store backends: the embedded store, a private Virtuoso, a private Oxigraph server -----

#: Parametrize store-level tests with these to run the same assertions on every backend.
BACKENDS = [
    "oxigraph",
    pytest.param("virtuoso", marks=pytest.mark.virtuoso),
    pytest.param("oxigraph-server", marks=pytest.mark.oxigraph_server),
]
#: The backends reached over HTTP, each with the fixture that starts its server.
REMOTE_SERVERS = {"virtuoso": "virtuoso", "oxigraph-server": "oxigraph_server"}
#: The miniature project on a base of its own, so it can share one Virtuoso with the curated graph.
MINI_BASE = "https://mini.example.org/coopgraph/"


@pytest.fixture(scope="session")
def virtuoso(tmp_path_factory):
    """A private Virtuoso Open Source server on 127.0.0.1 (own folder and virtuoso.ini), once per session.

    Stopped by its process id at the end. Skips when Virtuoso is not installed.
    """
    from coopgraph.store.virtuoso import INSTALL_HINT, LocalVirtuoso, isql_binary, virtuoso_binary

    if virtuoso_binary() is None or isql_binary() is None:
        pytest.skip("Virtuoso Open Source is not installed (no virtuoso-t / isql-vt). " + INSTALL_HINT)
    # a small transaction limit, so the tests also go through what the backend does past it
    server = LocalVirtuoso(tmp_path_factory.mktemp("virtuoso"), after_image_limit=2_000_000)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def oxigraph_server(tmp_path_factory):
    """A private Oxigraph server (``oxigraph serve``) on 127.0.0.1, once per session, stopped by its process id.

    Skips when the ``oxigraph`` command (PyPI package ``oxigraph``) is not installed.
    """
    from coopgraph.store.oxigraph_server import INSTALL_HINT, LocalOxigraph, oxigraph_binary

    if oxigraph_binary() is None:
        pytest.skip("Oxigraph server is not installed (no `oxigraph` command). " + INSTALL_HINT)
    server = LocalOxigraph(tmp_path_factory.mktemp("oxigraph-server"), timeout_seconds=30)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def store_factory(request):
    """Make an empty store on a backend: ``store_factory("oxigraph" | "virtuoso" | "oxigraph-server", iris=None)``.

    Without ``iris`` the store gets a graph base of its own, which keeps it apart from
    every other store on the same Virtuoso server.
    """
    import uuid

    from coopgraph.namespaces import Iris
    from coopgraph.store.embedded import OxigraphStore

    def make(kind: str, iris=None, **options):
        iris = iris or Iris(f"https://t{uuid.uuid4().hex[:12]}.example.org/coopgraph/")
        if kind == "oxigraph":
            return OxigraphStore(iris)
        store = request.getfixturevalue(REMOTE_SERVERS[kind]).open_store(iris, **options)
        store.replace_graphs({}, drop=store.graphs())
        return store

    return make


@pytest.fixture(scope="session")
def backend_settings(request):
    """Settings whose store is on a backend: ``backend_settings(kind, root, **overrides)``."""

    def make(kind: str, root: Path = ROOT, **overrides) -> Settings:
        if kind == "oxigraph":
            return make_settings(root, **overrides)
        server = request.getfixturevalue(REMOTE_SERVERS[kind])
        if kind == "oxigraph-server":  # no users: the server listens on 127.0.0.1 only
            return make_settings(root, store=server.store_spec, **overrides)
        return make_settings(
            root, store=server.store_spec, store_user=server.user, store_password=server.password, **overrides
        )

    return make


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture()
def any_store(backend, store_factory):
    """An empty store on each backend in turn."""
    store = store_factory(backend)
    yield store
    store.close()


@pytest.fixture(scope="session", params=BACKENDS)
def mini_any(request, backend_settings):
    """(store, report) of the miniature project built on each backend in turn (base MINI_BASE)."""
    store, report = build(backend_settings(request.param, MINI, base_iri=MINI_BASE))
    return store, report


@pytest.fixture(scope="session", params=BACKENDS)
def curated_any(request, backend_settings):
    """(store, report) of the curated graph built on each backend in turn."""
    store, report = build(backend_settings(request.param))
    return store, report
