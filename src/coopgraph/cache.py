"""Things derived from the whole graph (search index, map, timeline), kept per store version.

Deriving them takes a few queries over the whole graph: too slow for every request,
and wrong to keep forever, since a contribution changes the graph while the server
runs. Keyed by the store's version token, each is rebuilt on first use after a change.
"""

from __future__ import annotations

import threading
from typing import Any, Callable


class PerVersion:
    """A thread-safe cache of values derived from a store, dropped when its version changes."""

    def __init__(self):
        self._lock = threading.Lock()
        self._version: str | None = None
        self._values: dict[str, Any] = {}
        self._building: dict[str, threading.Lock] = {}

    def get(self, store, key: str, build: Callable[[Any], Any]) -> Any:
        version = store.version()
        with self._lock:
            if version != self._version:
                self._version, self._values = version, {}
            if key in self._values:
                return self._values[key]
            guard = self._building.setdefault(key, threading.Lock())
        with guard:  # one thread builds; the others wait for its result
            with self._lock:
                if self._version == version and key in self._values:
                    return self._values[key]
            value = build(store)
            with self._lock:
                if self._version == version:
                    self._values[key] = value
            return value
