"""The serving store: read-only snapshots, queries in killable worker processes, one writer.

pyoxigraph cannot interrupt a running query, so a query that must respect a time limit
runs in a worker of the killable process pool (:mod:`.pool`, shared with contribution
checking), which is killed when the limit passes; the web server goes on serving
meanwhile. Those processes (and every web worker) read immutable snapshots of the store
(RocksDB checkpoints: hard links, made in milliseconds), so any number of them share
one copy of the data on disk. Writes take an exclusive lock, change the
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
    STORE/snapshots/GENERATION a counter every publication increases (readers map it into memory)
    STORE/write.lock           serialises writers across processes
    STORE/write.pending        present while a write is under way (or was cut short)
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import mmap
import os
import shutil
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox

from ..errors import CoopgraphError, QueryFailed, StoreError
from ..formats import RDF_FORMATS, RESULT_FORMATS, select_to_json
from ..namespaces import Iris
from .base import AskResult, GraphResult, SelectResult, SerializedResult, Store
from .embedded import OxigraphStore, snapshot_version
from .memory import release_free_memory
from .pool import KillableRunner, ThreadRunner

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
    primary.sync_union()  # a snapshot's union graph is always current (readers trust it)
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
    _bump_generation(folder)
    _prune(folder, keep=name)
    return name


GENERATION = "GENERATION"
#: How often a reader looks at the pointer even though the generation did not change: it
#: catches a store folder replaced whole (``coopgraph build`` over a served store) and a
#: writer killed between renaming the pointer and counting the publication.
RECHECK_SECONDS = 1.0


def _generation_fd(folder: Path) -> int:
    fd = os.open(folder / GENERATION, os.O_RDWR | os.O_CREAT, 0o644)
    if os.fstat(fd).st_size < 8:
        os.ftruncate(fd, 8)  # only grows: never clears a count another process wrote
    return fd


def _bump_generation(folder: Path) -> None:
    """Count one more publication (writers hold the write lock, so no two bump at once)."""
    fd = _generation_fd(folder)
    try:
        count = int.from_bytes(os.pread(fd, 8, 0), "little")
        os.pwrite(fd, ((count + 1) % 2**64).to_bytes(8, "little"), 0)
    finally:
        os.close(fd)


class _Generation:
    """The publication counter of a store folder, read from shared memory.

    Why: every answered request asks which snapshot is current. Reading a mapped page
    costs no system call, where a stat() of the pointer releases the interpreter lock
    and, with several request threads, makes the thread wait to get it back: that was a
    tenth of the time of a cached answer. A changed counter (or an old mapping after a
    folder was replaced) only sends the reader back to the pointer file.
    """

    def __init__(self, folder: Path):
        self.path = folder / GENERATION
        self._map: mmap.mmap | None = None
        self._inode: int | None = None
        self.remap()

    def remap(self) -> None:
        try:
            fd = _generation_fd(self.path.parent)
        except OSError:  # a read-only folder: readers fall back to the pointer's stat()
            self._map, self._inode = None, None
            return
        try:
            self._inode = os.fstat(fd).st_ino
            self._map = mmap.mmap(fd, 8, access=mmap.ACCESS_READ)
        finally:
            os.close(fd)

    def value(self) -> int | None:
        return None if self._map is None else int.from_bytes(self._map[:8], "little")

    def replaced(self) -> bool:
        """Whether the file now at the path is another one (the folder was swapped)."""
        try:
            return os.stat(self.path).st_ino != self._inode
        except OSError:
            return self._inode is not None


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
                raise StoreError(
                    f"the store folder {path} does not exist", hint=f"Build it with `coopgraph build --store {path}`."
                ) from None
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
        raise StoreError(
            f"the store at {path} has no published snapshot to roll back to",
            hint=f"Rebuild it with `coopgraph build --store {path}`.",
        )
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


# --- the query workers: functions the process pool (store/pool.py) runs --------------------


def _open_snapshot(iris: Iris, path: str, name: str, memory_max_quads: int, opened: dict, shared=None) -> None:
    """Open a snapshot for queries; copy a small one into memory in the background.

    Evaluation on pyoxigraph's in-memory store is several times faster than on the
    RocksDB files, so stores up to ``memory_max_quads`` are copied (each query process
    then holds its own copy). Queries are answered from the files until the copy is
    ready, so a new snapshot never delays a query nor eats into its time limit.
    ``shared`` (queries run in the serving process) gives the serving store's own handle
    on the snapshot, if it has that one open: a second handle would keep RocksDB's table
    readers and caches twice in each web worker.
    """
    native = shared(name) if shared is not None else None
    if native is None:
        native = ox.Store.read_only(str(snapshots_dir(Path(path)) / name))
    disk = OxigraphStore.wrap(iris, native)
    # The SnapshotStore sending the requests has checked each query against its own
    # max_query_depth (which may differ from the default) before sending it.
    disk.max_query_depth = None
    opened.clear()
    opened[name] = disk
    if memory_max_quads <= 0:
        return

    def copy() -> None:
        started = time.monotonic()
        try:
            if disk.holds_more_than(memory_max_quads):
                return
            memory = disk.serving_copy()
            memory.max_query_depth = None
        except Exception:  # noqa: BLE001 - the files keep answering
            log.exception("could not copy snapshot %s into memory", name)
            return
        if name in opened:
            opened[name] = memory
            release_free_memory()  # the previous snapshot's copy, freed in this thread's arena
            log.info(
                "snapshot %s copied into memory in %.2f s; queries now read the copy", name, time.monotonic() - started
            )

    threading.Thread(target=copy, name=f"copy-{name}", daemon=True).start()


def serve_snapshots(
    cache: dict, base: str, path: str, memory_max_quads: int = 0, snapshot: str | None = None, shared=None
) -> None:
    """Prepare a query worker's cache: where the store is, and the current snapshot opened ahead of time.

    Runs once in each new query process of the pool (or once in this process, with
    ``isolation="recycle"``, where ``shared`` lends the serving store's own handles), so
    the first query does not wait for the snapshot to open.
    """
    cache["iris"], cache["path"], cache["memory_max_quads"] = Iris(base), path, memory_max_quads
    cache["opened"] = {}
    cache["shared"] = shared
    cache["lock"] = threading.Lock()  # the threads of the in-process runner share the cache
    if snapshot is not None:
        _open_snapshot(cache["iris"], path, snapshot, memory_max_quads, cache["opened"], shared)


#: A query that ran this long has usually made and freed large tables (a GROUP BY, a sort
#: over a whole store read from disk); glibc keeps such memory for the process unless asked
#: to give it back. Measured at 1M triples from a store folder: the home page's figures left
#: each web worker 400 MiB larger, for good.
TRIM_AFTER_SECONDS = 0.25


def answer_query(cache: dict, request: dict) -> tuple:
    """Evaluate one request against the snapshot it names, in a worker prepared by :func:`serve_snapshots`.

    A request either asks for the answer as terms (handed over as they are to a thread of
    the same process; to another process sent as SPARQL JSON / N-Triples and rebuilt by the
    caller, which at 10M triples cost a bound stored query of 313 rows 25 ms beside its
    100 ms of evaluation) or, from :meth:`SnapshotStore.query_serialized`, already
    written in the output format the client wants, so it crosses the pipe once as
    final bytes. Any failure is raised as a CoopgraphError, which the pool carries back.
    """
    try:
        snapshot, opened = request["snapshot"], cache["opened"]
        store = opened.get(snapshot)
        if store is None:
            with cache["lock"]:
                if snapshot not in opened:
                    _open_snapshot(
                        cache["iris"], cache["path"], snapshot, cache["memory_max_quads"], opened, cache.get("shared")
                    )
                store = opened[snapshot]
        options = dict(
            default_graphs=request["default_graphs"],
            named_graphs=request["named_graphs"],
            max_rows=request["max_rows"],
            base_iri=request.get("base_iri"),
        )
        if request.get("serialize"):
            result_format, rdf_format, prefixes = request["serialize"]
            answer = store.query_serialized(
                request["sparql"],
                result_format=RESULT_FORMATS[result_format],
                rdf_format=RDF_FORMATS[rdf_format],
                prefixes=prefixes,
                **options,
            )
            if answer.evaluation_seconds + answer.serialization_seconds > TRIM_AFTER_SECONDS:
                release_free_memory()
            return (
                "serialized",
                answer.kind,
                answer.data,
                answer.truncated,
                answer.evaluation_seconds,
                answer.serialization_seconds,
            )
        started = time.perf_counter()
        result = store.query(request["sparql"], **options)
        if time.perf_counter() - started > TRIM_AFTER_SECONDS:
            release_free_memory()
        if request.get("in_process"):
            return ("result", result)
        if isinstance(result, SelectResult):
            return ("select", result.variables, select_to_json(result.variables, result.rows), result.truncated)
        if isinstance(result, AskResult):
            return ("ask", result.value)
        data = ox.serialize(result.triples, format=ox.RdfFormat.N_TRIPLES) if result.triples else b""
        return ("graph", data, result.truncated)
    except CoopgraphError:
        raise
    except Exception as exc:  # noqa: BLE001 - every failure reaches the client in the one error shape
        raise QueryFailed(f"the query could not be evaluated: {exc}") from exc


#: What a client whose query ran out of time is told.
QUERY_TIMEOUT_HINT = "Narrow it down (more specific patterns, a LIMIT) and try again."


class SnapshotStore(Store):
    """A store folder served from snapshots, with hard query time limits."""

    def __init__(
        self,
        iris: Iris,
        path: str | Path,
        *,
        workers: int = 4,
        default_timeout: float | None = None,
        memory_max_quads: int = 0,
        isolation: str = "process",
        on_runaway=None,
    ):
        super().__init__(iris)
        self.path = Path(path)
        if not (self.path / "db").is_dir():
            raise StoreError(
                f"there is no built store at {self.path}", hint=f"Run `coopgraph build --store {self.path}` first."
            )
        self.max_workers = workers
        self.default_timeout = default_timeout
        self.memory_max_quads = memory_max_quads
        if isolation not in ("process", "recycle"):
            raise StoreError(f"unknown query isolation '{isolation}' (process or recycle)")
        if isolation == "recycle" and on_runaway is None:
            raise StoreError("query isolation 'recycle' needs a handler that retires the process")
        self.isolation = isolation
        self.on_runaway = on_runaway
        #: where queries run: the shared pool of killable processes, or threads of this process
        self.pool: KillableRunner | ThreadRunner
        if isolation == "recycle":
            self.pool = ThreadRunner(on_runaway, prepare=self._preparation, timeout_hint=QUERY_TIMEOUT_HINT)
        else:
            self.pool = KillableRunner(workers, prepare=self._preparation, timeout_hint=QUERY_TIMEOUT_HINT)
        self._lock = threading.Lock()
        self._reader: tuple[str, OxigraphStore, dict] | None = None
        #: the last look at the pointer file: (its stat, the snapshot it named, the generation
        #: then, monotonic time); one tuple, replaced whole, so threads never see half of one
        self._pointer: tuple[tuple | None, str, int | None, float] | None = None
        self._pointer_path = str(snapshots_dir(self.path) / "CURRENT")
        if current_snapshot(self.path) is None or write_pending(self.path):
            ensure_published(self.path, iris)
        self._generation = _Generation(snapshots_dir(self.path))

    # in-process reads of the current snapshot (bulk operations; no time limit needed)
    def snapshot_name(self) -> str:
        """The published snapshot readers use now.

        Without a publication since the last look (the shared counter is unchanged) and
        within ``RECHECK_SECONDS`` of it, the answer is the one found then, at no system
        call. Otherwise one stat() of the pointer: publishing replaces the pointer file (a
        new inode), so comparing its stat with the last one seen tells whether to read it.
        """
        generation = self._generation.value()
        cached = self._pointer
        now = time.monotonic()
        if (
            cached is not None
            and generation is not None
            and generation == cached[2]
            and now - cached[3] < RECHECK_SECONDS
        ):
            return cached[1]
        if (cached is None or now - cached[3] >= RECHECK_SECONDS) and self._generation.replaced():
            self._generation.remap()
            generation = self._generation.value()
        try:
            stat = os.stat(self._pointer_path)
        except FileNotFoundError:
            stat = None
        key = (stat.st_ino, stat.st_mtime_ns, stat.st_size) if stat else None
        if cached is not None and cached[0] == key:
            name = cached[1]
        else:
            name = current_snapshot(self.path)
            if name is None:
                raise StoreError(
                    f"the store at {self.path} has no published snapshot", hint="Run `coopgraph build --store` again."
                )
        # the counter was read before the pointer: a publication in between is seen next time
        self._pointer = (key, name, generation, now)
        return name

    def reader(self) -> OxigraphStore:
        """A read-only handle on the current snapshot, reopened when a write publishes a new one."""
        return self._state()[1]

    def whole_graph_reader(self) -> OxigraphStore:
        """The current snapshot, read in this thread: no time limit, no answers to serialise and parse."""
        return self.reader()

    def derived_folder(self) -> Path:
        return self.path / "derived"

    def _state(self) -> tuple[str, OxigraphStore, dict]:
        """(snapshot name, read-only handle, facts cached for that snapshot)."""
        name = self.snapshot_name()
        reader = self._reader
        if reader is not None and reader[0] == name:
            return reader
        with self._lock:
            if self._reader is None or self._reader[0] != name:
                try:
                    store = OxigraphStore.wrap(self.iris, ox.Store.read_only(str(snapshots_dir(self.path) / name)))
                except OSError as exc:
                    raise StoreError(f"cannot open snapshot {name}: {exc}") from exc
                self._reader = (name, store, {})
                release_free_memory()  # what the previous snapshot's handle held
            return self._reader

    def _cached(self, key: str, compute):
        """A fact about the current snapshot (version, graphs...), computed once per snapshot."""
        _, store, facts = self._state()
        if key not in facts:
            facts[key] = compute(store)
        return facts[key]

    def graphs(self):
        return list(self._cached("graphs", lambda store: store.graphs()))

    def count(self, graph=None):
        if graph is None:
            return self._cached("count", lambda store: store.count())
        return self.reader().count(graph)

    def dump(self, fmt, *, graph=None, output=None, prefixes=None):
        return self.reader().dump(fmt, graph=graph, output=output, prefixes=prefixes)

    def iter_triples(self, graph):
        return self.reader().iter_triples(graph)

    def version(self):
        """The build's version; a store without one (``serve --data``) is versioned by its snapshot."""

        return self._cached("version", lambda store: snapshot_version(store.version(), self._state()[0]))

    def modified(self):
        return self._cached("modified", lambda store: store.modified())

    # queries, in the pool's worker processes (or threads, with isolation="recycle")
    def _preparation(self):
        """What a new query worker prepares with: the store, and the snapshot current now opened ahead."""
        try:
            snapshot = self.snapshot_name()
        except StoreError:
            snapshot = None
        # queries in this process's threads share its handle; a query process opens its own
        args = (self.iris.base, str(self.path), self.memory_max_quads, snapshot)
        return (serve_snapshots, args + ((self._handle_of,) if self.isolation == "recycle" else ()))

    def _handle_of(self, name: str) -> ox.Store | None:
        """This store's read-only handle on snapshot ``name``, if that is the one it reads now."""
        try:
            current, reader, _ = self._state()
        except StoreError:
            return None
        return reader.native if current == name else None

    def warm_up(self) -> None:
        """Start the query workers now, in the background, so the first queries do not wait for them."""
        self.pool.warm_up()

    def _ask_worker(self, request: dict, timeout: float | None) -> tuple:
        """Have a worker answer one request; past ``timeout`` it is stopped and QueryTimeout raised."""
        return self.pool.call(answer_query, request, timeout=timeout, what="query")

    def _request(self, sparql, default_graphs, named_graphs, bindings, max_rows, base_iri) -> dict:
        from .base import bind_values

        self.guard_query(sparql)
        if bindings:
            sparql = bind_values(sparql, bindings)
        # default_graphs=None travels as is: the worker works out the 'all' view (or the
        # query's own FROM) on its snapshot, once per snapshot.
        return {
            "snapshot": self.snapshot_name(),
            "sparql": sparql,
            "default_graphs": default_graphs,
            "named_graphs": named_graphs,
            "max_rows": max_rows,
            "base_iri": base_iri,
        }

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
        request = self._request(sparql, default_graphs, named_graphs, bindings, max_rows, base_iri)
        request["in_process"] = self.isolation == "recycle"  # a thread of this process: no need to serialise
        reply = self._ask_worker(request, timeout if timeout is not None else self.default_timeout)
        kind = reply[0]
        if kind == "result":
            return reply[1]
        if kind == "select":
            _, variables, data, truncated = reply
            solutions = ox.parse_query_results(data, format=ox.QueryResultsFormat.JSON)
            rows = [tuple(s[i] for i in range(len(variables))) for s in solutions]
            return SelectResult(variables, rows, truncated)
        if kind == "ask":
            return AskResult(reply[1])
        _, data, truncated = reply
        triples = [q.triple for q in ox.parse(data, format=ox.RdfFormat.N_TRIPLES)] if data else []
        return GraphResult(triples, truncated)

    def query_serialized(
        self,
        sparql,
        *,
        result_format,
        rdf_format,
        prefixes=None,
        default_graphs=None,
        named_graphs=None,
        bindings=None,
        timeout=None,
        max_rows=None,
        base_iri=None,
    ):
        request = self._request(sparql, default_graphs, named_graphs, bindings, max_rows, base_iri)
        request["serialize"] = (result_format.name, rdf_format.name, dict(prefixes) if prefixes else None)
        reply = self._ask_worker(request, timeout if timeout is not None else self.default_timeout)
        _, kind, data, truncated, evaluation, serialization = reply
        return SerializedResult(kind, data, truncated, evaluation, serialization)

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
                with primary.writer():  # a new version even for a write that did not set one
                    yield primary
                publish_snapshot(self.path, primary)
                published = True
            finally:
                primary.close()
                if not published:
                    restore_primary(self.path)
                _clear_pending(self.path)
                release_free_memory()

    def replace_graphs(self, graphs, fmt=None, *, drop=()):
        with self.writer() as primary:
            primary.replace_graphs(graphs, fmt, drop=drop)

    def update(self, sparql, *, union=None):
        with self.writer() as primary:
            primary.update(sparql, union=union)

    def close(self):
        self.pool.close()
        self._reader = None
