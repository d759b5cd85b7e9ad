"""What the web layer needs from the core, opened once per process and shared by requests."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from flask import current_app

from ..config import Settings
from ..queries import StoredQuery, load_stored_queries
from ..store import Store

log = logging.getLogger(__name__)


class Services:
    """The settings, the store and the stored queries of one app."""

    def __init__(self, settings: Settings, store: Store | None = None):
        self.settings = settings
        self._store = store
        self._lock = threading.Lock()
        self._queries: dict[str, StoredQuery] | None = None
        self.query_errors: list = []

    @property
    def iris(self):
        return self.settings.iris

    @property
    def store(self) -> Store:
        if self._store is None:
            with self._lock:
                if self._store is None:
                    self._store = open_serving_store(self.settings)
        return self._store

    @property
    def queries(self) -> dict[str, StoredQuery]:
        if self._queries is None:
            queries, errors = load_stored_queries(self.settings.queries_dir, self.iris.prefixes())
            for error in errors:  # the app serves the others; the maintainer learns why one is missing
                log.warning("stored query left out: %s", error)
            self._queries, self.query_errors = queries, errors
        return self._queries


def open_serving_store(settings: Settings) -> Store:
    """Open the store for serving: snapshots with hard time limits for folders."""
    spec = settings.store
    if spec in ("", "memory", ":memory:"):
        from ..build import build
        store, _ = build(settings)
        return store
    if spec.startswith(("sparql+http://", "sparql+https://")):
        from ..store import open_store
        return open_store(spec, settings.iris, user=settings.store_user, password=settings.store_password,
                          update_url=settings.store_update_url or None, default_timeout=settings.query_timeout)
    from ..sandbox import SnapshotStore
    store = SnapshotStore(settings.iris, Path(spec), workers=settings.query_workers or 4,
                          default_timeout=settings.query_timeout, memory_max_quads=settings.query_memory_max_quads)
    store.warm_up()
    return store


def services() -> Services:
    return current_app.extensions["coopgraph"]
