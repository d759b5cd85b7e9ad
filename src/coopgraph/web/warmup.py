"""After a write, the values derived from the whole graph are derived again at once, in the background.

A write (a contribution, its withdrawal, a maintainer's update) publishes a new version
of the graph, and the home page's figures and the search index of the old one no longer
hold. Derived on first use, they made the first visitor after a write wait for them: at
1M triples 11.6 s for the home page and 50 s for a search. Only a store with a folder for
derived values (a served store folder) is warmed: there the values are written once for
every worker, and the worker that took the write is the one that knows the graph changed.
"""

from __future__ import annotations

import logging
import threading

from flask import Flask, g, request

from ..search import SearchIndex, write_index
from .pages import home_data
from .present import derived, derived_file
from .services import services

log = logging.getLogger(__name__)

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def init_app(app: Flask) -> None:
    warmer = Warmer(app)
    app.extensions["coopgraph.warmer"] = warmer

    @app.before_request
    def _note_version():
        if request.method in WRITE_METHODS:  # (a SPARQL query sent by POST too: a version costs a stat)
            store = services().store
            if store.derived_folder() is not None:
                g.version_before_write = store.version()

    @app.after_request
    def _warm_after_a_write(response):
        before = g.pop("version_before_write", None)
        if before is not None and response.status_code < 400:
            if services().store.version() != before:
                warmer.request()
        return response


def derive_for_pages() -> None:
    """Derive what the first visitors after a change would otherwise wait for."""
    derived("home", home_data)
    derived_file("search.sqlite", write_index, SearchIndex)


class Warmer:
    """One background thread per app, deriving again while writes keep coming (never two at once)."""

    def __init__(self, app: Flask):
        self._app = app
        self._lock = threading.Lock()
        self._wanted = False
        self._thread: threading.Thread | None = None
        self.rounds = 0  # rounds done, for the tests

    def request(self) -> None:
        with self._lock:
            self._wanted = True
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="coopgraph-warm-up", daemon=True)
                self._thread.start()

    def wait(self, timeout: float) -> bool:
        """Wait for the thread to finish its rounds (tests); whether it did in time."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return thread is None or not thread.is_alive()

    def _run(self) -> None:
        while True:
            with self._lock:
                if not self._wanted:
                    self._thread = None
                    return
                self._wanted = False
            with self._app.app_context():
                try:
                    derive_for_pages()
                except Exception:  # noqa: BLE001 - the first visitor will derive it instead, and see the error
                    log.warning("deriving the pages' values after a write failed", exc_info=True)
            self.rounds += 1
