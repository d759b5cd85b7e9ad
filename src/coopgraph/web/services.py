"""What the web layer needs from the core, opened once per process and shared by requests."""

from __future__ import annotations

import logging
import threading

from flask import current_app

from ..cache import Answers
from ..config import Settings
from ..queries import StoredQuery, load_stored_queries
from ..store.base import Store
from .fairshare import guard_queries

log = logging.getLogger(__name__)


class Services:
    """The settings, the store and the stored queries of one app."""

    def __init__(self, settings: Settings, store: Store | None = None):
        self.settings = settings
        self._store = store
        self._guarded = None
        self._lock = threading.Lock()
        self._queries: dict[str, StoredQuery] | None = None
        self.query_errors: list = []
        #: Set by the server when it can retire this process (see coopgraph.server):
        #: then queries run in-process and a runaway one costs a process restart.
        self.runaway_handler = None
        self.answers = Answers(settings.answer_cache_entries)

    @property
    def iris(self):
        return self.settings.iris

    @property
    def store(self) -> Store:
        """The store, its queries counted against each client's share (see :mod:`.fairshare`)."""
        if self._guarded is None:
            with self._lock:
                if self._store is None:
                    store = open_serving_store(self.settings, on_runaway=self.runaway_handler)
                    store.max_query_depth = self.settings.max_query_depth
                    self._store = store
                if self._guarded is None:
                    self._guarded = guard_queries(self._store, self.settings)
        return self._guarded

    @property
    def queries(self) -> dict[str, StoredQuery]:
        if self._queries is None:
            queries, errors = load_stored_queries(self.settings.queries_dir, self.iris.prefixes())
            for error in errors:  # the app serves the others; the maintainer learns why one is missing
                log.warning("stored query left out: %s", error)
            self._queries, self.query_errors = queries, errors
        return self._queries


def open_serving_store(settings: Settings, on_runaway=None) -> Store:
    """Open the store for serving: snapshots with hard time limits for folders.

    With ``on_runaway`` (a way to retire this process), queries run in this process
    (``query_isolation = "recycle"``); without it, in separate query processes.
    """
    from ..store.spec import open_store, store_spec

    spec = store_spec(settings)
    if spec.is_memory:
        from ..knowledge.build import build

        store, _ = build(settings)
        return store
    if spec.is_remote:
        return open_store(settings, default_timeout=settings.query_timeout)
    from ..store.snapshots import SnapshotStore

    isolation = settings.query_isolation if on_runaway is not None else "process"
    store = SnapshotStore(
        settings.iris,
        spec.path,
        workers=settings.query_workers or 4,
        default_timeout=settings.query_timeout,
        memory_max_quads=settings.query_memory_max_quads,
        isolation=isolation,
        on_runaway=on_runaway if isolation == "recycle" else None,
    )
    store.warm_up()
    return store


def services() -> Services:
    return current_app.extensions["coopgraph"]
