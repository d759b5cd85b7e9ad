"""Things derived from the whole graph (search index, map, timeline), kept per store version.

Deriving them takes a few queries over the whole graph: too slow for every request,
and wrong to keep forever, since a contribution changes the graph while the server
runs. Keyed by the store's version token, each is rebuilt on first use after a change.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any


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


class Answers:
    """A small LRU of serialised query answers, keyed by what was asked and the graph's version.

    The same query text comes back often (YASGUI examples, stored-query pages, dashboards
    polling); answering it again costs an evaluation and, under the hard time limit, a
    hand-off to another thread or process. The key includes the store version, so an
    answer is never served for another state of the graph. Large answers are not kept.
    When an answer for a new version arrives, those of the old one are dropped: no key can
    reach them any more, and kept until the LRU pushed them out they held a worker's memory
    up by tens of megabytes on a site taking contributions.
    """

    def __init__(self, max_entries: int = 512, max_bytes: int = 256 * 1024):
        self.max_entries, self.max_bytes = max_entries, max_bytes
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, Any] = OrderedDict()
        self._version: str | None = None

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: str):
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def put(self, key: str, value, size: int, version: str | None = None) -> None:
        """Keep an answer; ``version`` is the graph version it was computed on."""
        if self.max_entries <= 0 or size > self.max_bytes:
            return
        with self._lock:
            if version is not None and version != self._version:
                self._entries.clear()
                self._version = version
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
