"""Things derived from the whole graph (search index, map, timeline), kept per store version.

Deriving them takes a few queries over the whole graph: too slow for every request,
and wrong to keep forever, since a contribution changes the graph while the server
runs. Keyed by the store's version token, each is rebuilt on first use after a change.

They are derived from :meth:`Store.whole_graph_reader`, not through the serving path:
at 1M triples the search index and the map took 31 and 36 s, past the time limit of a
visitor's query, which then retired the web worker on every first visit. And where the
store has a folder (:meth:`Store.derived_folder`), each value is derived by one process
and kept there for the others: four web workers no longer each derive the same figures
(and each grow by what reading the whole graph leaves in its caches).
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import pickle
import re
import shutil
import tempfile
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

#: Versions of derived values kept on disk besides the current one (a reader may be one behind).
KEEP_VERSIONS = 2
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


class PerVersion:
    """A thread-safe cache of values derived from a store, dropped when its version changes."""

    def __init__(self):
        self._lock = threading.Lock()
        self._version: str | None = None
        self._values: dict[str, Any] = {}
        self._building: dict[str, threading.Lock] = {}
        self._scratch: Path | None = None

    def get(self, store, key: str, build: Callable[[Any], Any]) -> Any:
        """The value of ``build`` for the store's current version, derived once (per folder, if any)."""

        def derive(source, folder: Path | None, version: str) -> Any:
            if folder is None:
                return build(source)
            return shared_value(folder, version, key, lambda: build(source))

        return self._get(store, key, derive)

    def get_file(self, store, name: str, write: Callable[[Any, Path], None], open_file: Callable[[Path], Any]) -> Any:
        """A value kept in a file ``name`` (the search index, in SQLite): written once per version, opened here.

        Unlike a pickled value, nothing of it is copied into the process: each worker reads
        the pages it needs, and the operating system keeps one copy of them for all. A store
        without a folder of its own (in memory, remote) keeps the file in a scratch folder of
        this cache, removed with it. A file that cannot be opened is written again, once.
        """

        def derive(source, folder: Path | None, version: str) -> Any:
            folder = folder or self._scratch_folder()
            for attempt in (1, 2):
                path = shared_file(folder, version, name, lambda path: write(source, path))
                if path is None:  # a read-only folder: keep the file in our own
                    folder = self._scratch_folder()
                    continue
                try:
                    return open_file(path)
                except Exception as exc:  # noqa: BLE001 - a damaged file is written again, not served
                    if attempt == 2:
                        raise
                    log.warning("derived file %s unreadable (%s); writing it again", path, exc)
                    with contextlib.suppress(OSError):
                        path.unlink(missing_ok=True)
            raise AssertionError("unreachable")

        return self._get(store, name, derive)

    def _get(self, store, key: str, derive: Callable[[Any, Path | None, str], Any]) -> Any:
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
            value = derive(store.whole_graph_reader(), store.derived_folder(), version)
            with self._lock:
                if self._version == version:
                    self._values[key] = value
            return value

    def _scratch_folder(self) -> Path:
        with self._lock:
            if self._scratch is None:
                self._scratch = Path(tempfile.mkdtemp(prefix="coopgraph-derived-"))
                weakref.finalize(self, shutil.rmtree, self._scratch, True)
            return self._scratch


def shared_value(folder: Path, version: str, key: str, build: Callable[[], Any]) -> Any:
    """A value derived once for all processes using ``folder``: read if there, else built and written.

    Only coopgraph writes this folder (it lives in the store folder, whose writers can
    already change the data itself); a file that cannot be read is derived again. A
    folder that cannot be written (read-only) leaves each process to derive its own.
    """
    path = _place(folder, version, f"{key}.pickle")
    loaded = _load(path)
    if loaded is not None:
        return loaded[0]
    with contextlib.suppress(OSError):  # a damaged file is written again
        path.unlink(missing_ok=True)
    box: list = []

    def write(scratch: Path) -> None:
        box.append(build())
        with open(scratch, "wb") as out:
            pickle.dump(box[0], out, protocol=pickle.HIGHEST_PROTOCOL)

    try:
        if _write_once(folder, path, write) is None:
            return build()
    except (OSError, pickle.PicklingError, TypeError, AttributeError) as exc:
        if not box:
            raise
        log.warning("derived value %s not kept on disk: %s", key, exc)
    if box:
        return box[0]
    loaded = _load(path)  # written by another process while this one waited
    return loaded[0] if loaded is not None else build()


def shared_file(folder: Path, version: str, name: str, write: Callable[[Path], None]) -> Path | None:
    """The path of a file written once for all processes using ``folder`` (None if it cannot be written)."""
    path = _place(folder, version, name)
    if path.is_file():
        return path
    return _write_once(folder, path, write)


def _place(folder: Path, version: str, name: str) -> Path:
    return folder / _UNSAFE.sub("_", version) / _UNSAFE.sub("_", name)


def _write_once(folder: Path, path: Path, write: Callable[[Path], None]) -> Path | None:
    """Write ``path`` with ``write`` unless another process has; None when the folder is read-only.

    A lock file per file makes the other processes wait for the one writing it rather
    than write it too. Files are written whole and renamed into place, so a reader never
    meets half of one.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        lock = open(path.with_name(f"{path.name}.lock"), "a")
    except OSError as exc:
        log.warning("cannot keep derived values in %s (%s); deriving %s here", folder, exc, path.name)
        return None
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if path.is_file():
            return path
        scratch = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            write(scratch)
            os.replace(scratch, path)
        finally:
            scratch.unlink(missing_ok=True)
        _forget_old_versions(folder, keep=path.parent.name)
        return path


def _load(path: Path) -> tuple[Any] | None:
    try:
        with open(path, "rb") as fh:
            return (pickle.load(fh),)
    except FileNotFoundError:
        return None
    except Exception as exc:  # noqa: BLE001 - a damaged file is derived again, not served
        log.warning("derived value %s unreadable (%s); deriving it again", path, exc)
        return None


def _forget_old_versions(folder: Path, *, keep: str) -> None:
    """Remove all but the newest versions' folders (a process still reading one keeps its open files)."""
    try:
        others = sorted((p for p in folder.iterdir() if p.is_dir() and p.name != keep), key=lambda p: p.stat().st_mtime)
    except OSError:
        return
    for old in others[: max(0, len(others) - (KEEP_VERSIONS - 1))]:
        shutil.rmtree(old, ignore_errors=True)


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
