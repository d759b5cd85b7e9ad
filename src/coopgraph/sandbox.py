"""The serving store: read-only snapshots, queries in killable worker processes, one writer.

pyoxigraph cannot interrupt a running query, so a query that must respect a time limit
runs in a separate process that is killed when the limit passes; the web server goes on
serving meanwhile. Those processes (and every web worker) read immutable snapshots of
the store (RocksDB checkpoints: hard links, made in milliseconds), so any number of
them share one copy of the data on disk. Writes take an exclusive lock, change the
primary database, then publish a new snapshot by renaming a pointer file: a reader sees
the old state or the new one, never half of a write.

A write may take several transactions (a contribution is added, then the inferred graph
recomputed), so a writer marks the store ``write.pending`` before it touches the
primary and clears the mark once the new snapshot is published. A writer that fails, or
a process killed in the middle, leaves the mark; the primary is then rebuilt from the
last published snapshot (by the failing writer itself, or by :func:`ensure_published`
when the store is next opened), so the store holds the old state or the new one, never
half of a write.

Folder layout::

    STORE/db/                  the primary RocksDB (opened read-write only by a writer)
    STORE/snapshots/NAME/      read-only checkpoints
    STORE/snapshots/CURRENT    the name of the snapshot readers use
    STORE/write.lock           serialises writers across processes
    STORE/write.pending        present while a write is under way (or was cut short)
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import multiprocessing
import os
import queue
import shutil
import threading
import time
import uuid
from pathlib import Path
from typing import Iterator

import pyoxigraph as ox

from . import errors
from .errors import CoopgraphError, QueryTimeout, StoreError
from .formats import select_to_json
from .namespaces import Iris
from .store import AskResult, GraphResult, OxigraphStore, SelectResult, Store

log = logging.getLogger(__name__)

KEEP_SNAPSHOTS = 3
#: Snapshots younger than this are kept too: a query may still be reading one.
KEEP_SECONDS = 300
PENDING = "write.pending"


# --- snapshots ---------------------------------------------------------------------------

def snapshots_dir(path: Path) -> Path:
    return Path(path) / "snapshots"


def current_snapshot(path: Path) -> str | None:
    try:
        return (snapshots_dir(path) / "CURRENT").read_text().strip() or None
    except FileNotFoundError:
        return None


def publish_snapshot(path: Path, primary: OxigraphStore) -> str:
    """Checkpoint the primary into a new snapshot and make it the current one (atomically)."""
    folder = snapshots_dir(path)
    folder.mkdir(parents=True, exist_ok=True)
    name = time.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]
    primary.native.flush()
    primary.native.backup(str(folder / name))
    pointer = folder / "CURRENT.tmp"
    with open(pointer, "w") as fh:
        fh.write(name)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(pointer, folder / "CURRENT")
    directory = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
    _prune(folder, keep=name)
    return name


def _prune(folder: Path, keep: str) -> None:
    """Remove old snapshots, keeping the newest few and the recent ones (readers may still be on them).

    Why the age: when writes come in bursts (twenty contributions at once) the newest
    few are seconds old, and a query that started on an older one must still find it.
    """
    names = sorted((p for p in folder.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime)
    now = time.time()
    for old in names[:-KEEP_SNAPSHOTS]:
        if old.name != keep and now - old.stat().st_mtime > KEEP_SECONDS:
            shutil.rmtree(old, ignore_errors=True)


@contextlib.contextmanager
def write_lock(path: Path) -> Iterator[None]:
    """Hold the store's exclusive write lock (across processes) for the duration.

    A rebuild swaps the whole store folder while holding the old folder's lock; a writer
    that was waiting then holds a lock on a file no longer in place, so it checks and
    takes the lock of the folder now at ``path`` instead.
    """
    lock_path = Path(path) / "write.lock"
    waited = 0.0
    while True:
        try:
            fh = open(lock_path, "a+")
        except FileNotFoundError:
            # The folder is being swapped by a rebuild (never create it here: that would
            # make the swap fail); it is back in a moment.
            if waited > 30:
                raise StoreError(f"the store folder {path} does not exist",
                                 hint=f"Build it with `coopgraph build --store {path}`.") from None
            time.sleep(0.05)
            waited += 0.05
            continue
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
            try:
                current = os.stat(lock_path)
            except FileNotFoundError:
                current = None
            held = os.fstat(fh.fileno())
            if current is not None and (current.st_ino, current.st_dev) == (held.st_ino, held.st_dev):
                break
        except BaseException:
            fh.close()
            raise
        fh.close()
    try:
        yield
    finally:
        fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
        fh.close()


def _mark_pending(path: Path) -> None:
    marker = Path(path) / PENDING
    with open(marker, "w") as fh:
        fh.write(f"{os.getpid()} {time.strftime('%Y-%m-%dT%H:%M:%S')}\n")
        fh.flush()
        os.fsync(fh.fileno())
    _fsync_dir(Path(path))


def _clear_pending(path: Path) -> None:
    try:
        os.unlink(Path(path) / PENDING)
    except FileNotFoundError:
        return
    _fsync_dir(Path(path))


def _fsync_dir(folder: Path) -> None:
    directory = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def write_pending(path: Path) -> bool:
    """True while a write is under way, or after one was cut short and not yet rolled back."""
    return (Path(path) / PENDING).exists()


def restore_primary(path: Path) -> str:
    """Rebuild the primary from the current snapshot (call under the write lock); return its name.

    The checkpoint hard-links the snapshot's immutable files, so this takes a moment even
    for a large store. Safe to repeat: a restore cut short leaves the mark in place and
    the next one starts over.
    """
    path = Path(path)
    name = current_snapshot(path)
    if name is None:
        raise StoreError(f"the store at {path} has no published snapshot to roll back to",
                         hint=f"Rebuild it with `coopgraph build --store {path}`.")
    fresh, stale = path / "db.restoring", path / "db.stale"
    for leftover in (fresh, stale):
        if leftover.exists():
            shutil.rmtree(leftover)
    snapshot = ox.Store.read_only(str(snapshots_dir(path) / name))
    snapshot.backup(str(fresh))
    del snapshot
    if (path / "db").exists():
        os.rename(path / "db", stale)
    os.rename(fresh, path / "db")
    _fsync_dir(path)
    shutil.rmtree(stale, ignore_errors=True)
    return name


def ensure_published(path: Path, iris: Iris) -> str:
    """Bring the store to a consistent state on opening it (recovery after a crash).

    A write cut short (the ``write.pending`` mark is there) is rolled back to the last
    published snapshot; a primary changed outside a writer (a store built by hand) is
    published; a store without any snapshot gets its first.
    """
    with write_lock(path):
        name = current_snapshot(path)
        if write_pending(path):
            if name is not None:
                log.warning("a write to %s was cut short; rolling back to snapshot %s", path, name)
                name = restore_primary(path)
                _clear_pending(path)
                return name
            log.warning("a write to %s was cut short before any snapshot existed; publishing the primary", path)
            _clear_pending(path)
        primary = OxigraphStore(iris, path)
        try:
            if name is None or _version(primary) != _snapshot_version(path, name, iris):
                name = publish_snapshot(path, primary)
        finally:
            primary.close()
    return name


def _version(store: Store) -> str:
    return store.version()


def _snapshot_version(path: Path, name: str, iris: Iris) -> str | None:
    try:
        snap = OxigraphStore.wrap(iris, ox.Store.read_only(str(snapshots_dir(path) / name)))
    except OSError:
        return None
    return snap.version()


# --- the query worker process -------------------------------------------------------------

def _worker_main(conn, base: str, path: str) -> None:  # pragma: no cover - runs in a child process
    """Answer queries sent over ``conn`` against the snapshot each request names."""
    iris = Iris(base)
    opened: dict[str, OxigraphStore] = {}
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return
        try:
            snapshot = request["snapshot"]
            if snapshot not in opened:
                opened.clear()
                opened[snapshot] = OxigraphStore.wrap(
                    iris, ox.Store.read_only(str(snapshots_dir(Path(path)) / snapshot)))
            store = opened[snapshot]
            result = store.query(request["sparql"], default_graphs=request["default_graphs"],
                                 named_graphs=request["named_graphs"], max_rows=request["max_rows"])
            if isinstance(result, SelectResult):
                conn.send(("select", result.variables, select_to_json(result.variables, result.rows),
                           result.truncated))
            elif isinstance(result, AskResult):
                conn.send(("ask", result.value))
            else:
                data = ox.serialize(result.triples, format=ox.RdfFormat.N_TRIPLES) if result.triples else b""
                conn.send(("graph", data, result.truncated))
        except CoopgraphError as exc:
            conn.send(("error", type(exc).__name__, exc.message, exc.hint, exc.details))
        except Exception as exc:  # noqa: BLE001 - report, never die silently
            conn.send(("error", "QueryFailed", f"the query could not be evaluated: {exc}", None, {}))


class _Worker:
    def __init__(self, base: str, path: Path):
        context = multiprocessing.get_context("spawn")
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_worker_main, args=(child, base, str(path)), daemon=True)
        self.process.start()
        child.close()

    def kill(self) -> None:
        self.process.kill()
        self.process.join(timeout=5)
        self.conn.close()


class SnapshotStore(Store):
    """A store folder served from snapshots, with hard query time limits."""

    def __init__(self, iris: Iris, path: str | Path, *, workers: int = 4, default_timeout: float | None = None):
        super().__init__(iris)
        self.path = Path(path)
        if not (self.path / "db").is_dir():
            raise StoreError(f"there is no built store at {self.path}",
                             hint=f"Run `coopgraph build --store {self.path}` first.")
        self.max_workers = workers
        self.default_timeout = default_timeout
        self._idle: queue.LifoQueue[_Worker] = queue.LifoQueue()
        self._count = 0
        self._lock = threading.Lock()
        self._reader: tuple[str, OxigraphStore] | None = None
        if current_snapshot(self.path) is None or write_pending(self.path):
            ensure_published(self.path, iris)

    # in-process reads of the current snapshot (bulk operations; no time limit needed)
    def snapshot_name(self) -> str:
        name = current_snapshot(self.path)
        if name is None:
            raise StoreError(f"the store at {self.path} has no published snapshot",
                             hint="Run `coopgraph build --store` again.")
        return name

    def reader(self) -> OxigraphStore:
        """A read-only handle on the current snapshot, reopened when a write publishes a new one."""
        name = self.snapshot_name()
        with self._lock:
            if self._reader is None or self._reader[0] != name:
                try:
                    store = OxigraphStore.wrap(self.iris, ox.Store.read_only(str(snapshots_dir(self.path) / name)))
                except OSError as exc:
                    raise StoreError(f"cannot open snapshot {name}: {exc}") from exc
                self._reader = (name, store)
            return self._reader[1]

    def graphs(self):
        return self.reader().graphs()

    def count(self, graph=None):
        return self.reader().count(graph)

    def dump(self, fmt, *, graph=None, output=None, prefixes=None):
        return self.reader().dump(fmt, graph=graph, output=output, prefixes=prefixes)

    def iter_triples(self, graph):
        return self.reader().iter_triples(graph)

    def version(self):
        return self.reader().version()

    # queries, in worker processes
    def _take(self) -> _Worker:
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            pass
        with self._lock:
            if self._count < self.max_workers:
                self._count += 1
                try:
                    return _Worker(self.iris.base, self.path)
                except Exception:
                    self._count -= 1
                    raise
        return self._idle.get()

    def _discard(self, worker: _Worker) -> None:
        worker.kill()
        with self._lock:
            self._count -= 1

    def query(self, sparql, *, default_graphs=None, named_graphs=None, bindings=None, timeout=None, max_rows=None):
        from .store import bind_values
        if bindings:
            sparql = bind_values(sparql, bindings)
        snapshot = self.snapshot_name()
        if default_graphs is None:
            default_graphs = self.view("all")
        timeout = timeout if timeout is not None else self.default_timeout
        worker = self._take()
        try:
            worker.conn.send({"snapshot": snapshot, "sparql": sparql, "default_graphs": default_graphs,
                              "named_graphs": named_graphs, "max_rows": max_rows})
            if not worker.conn.poll(timeout):
                self._discard(worker)
                worker = None
                raise QueryTimeout(f"the query ran past its time limit of {timeout:g} s and was stopped",
                                   hint="Narrow it down (more specific patterns, a LIMIT) and try again.")
            reply = worker.conn.recv()
        except (EOFError, OSError, BrokenPipeError) as exc:
            if worker is not None:
                self._discard(worker)
                worker = None
            raise StoreError(f"the query worker stopped unexpectedly: {exc}") from exc
        finally:
            if worker is not None:
                self._idle.put(worker)
        kind = reply[0]
        if kind == "select":
            _, variables, data, truncated = reply
            solutions = ox.parse_query_results(data, format=ox.QueryResultsFormat.JSON)
            rows = [tuple(s[i] for i in range(len(variables))) for s in solutions]
            return SelectResult(variables, rows, truncated)
        if kind == "ask":
            return AskResult(reply[1])
        if kind == "graph":
            _, data, truncated = reply
            triples = [q.triple for q in ox.parse(data, format=ox.RdfFormat.N_TRIPLES)] if data else []
            return GraphResult(triples, truncated)
        _, name, message, hint, details = reply
        cls = getattr(errors, name, errors.QueryFailed)
        error = cls.__new__(cls)
        CoopgraphError.__init__(error, message, hint=hint, details=details)
        for key, value in (details or {}).items():  # e.g. line/column of a syntax error
            setattr(error, key, value)
        if isinstance(error, errors.SyntaxProblem):
            for key in ("source", "line", "column"):
                if not hasattr(error, key):
                    setattr(error, key, None)
        raise error

    # writes: one writer at a time, published as a new snapshot
    @contextlib.contextmanager
    def writer(self) -> Iterator[OxigraphStore]:
        """Open the primary for writing under the lock; publish a snapshot when the block succeeds.

        If the block fails, the primary is rolled back to the published snapshot, so the
        next writer starts from the state readers see.
        """
        with write_lock(self.path):
            if write_pending(self.path):  # a writer in another process died mid-write
                restore_primary(self.path)
                _clear_pending(self.path)
            _mark_pending(self.path)
            primary = OxigraphStore(self.iris, self.path)
            published = False
            try:
                yield primary
                publish_snapshot(self.path, primary)
                published = True
            finally:
                primary.close()
                if not published:
                    restore_primary(self.path)
                _clear_pending(self.path)

    def replace_graphs(self, graphs, fmt=None, *, drop=()):
        with self.writer() as primary:
            primary.replace_graphs(graphs, fmt, drop=drop)

    def update(self, sparql):
        with self.writer() as primary:
            primary.update(sparql)

    def close(self):
        while True:
            try:
                worker = self._idle.get_nowait()
            except queue.Empty:
                break
            worker.kill()
        self._reader = None
