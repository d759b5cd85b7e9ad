"""Run the web app under gunicorn (or Flask's debug server), preparing the store first.

gunicorn rather than waitress: it runs several worker processes (``--workers``), each
with its threads, restarts a worker that dies, and is the usual WSGI server on Linux.
Each worker opens the same store snapshots read-only, so N workers share one copy of
the data.
"""

from __future__ import annotations

import atexit
import collections
import concurrent.futures
import gc
import logging
import multiprocessing
import os
import shutil
import signal
import sys
import tempfile
import threading
from pathlib import Path

from .config import Settings
from .errors import CoopgraphError, UsageError, error_reply, rebuild_error

log = logging.getLogger(__name__)
#: How log lines look on standard error (the command line and the serving processes).
LOG_FORMAT = "%(levelname)s %(name)s: %(message)s"


def prepare_store(settings: Settings, data_files: list[Path]) -> Settings:
    """Return settings whose store is a built folder: build or load into a temporary one if needed.

    The loading runs in a child process. RocksDB starts threads of its own when a store
    is opened, and threads do not survive gunicorn's fork: workers forked from a process
    that had opened one crashed on exit (joining threads that were not theirs) and could
    wait for background work no thread would ever do.
    """
    from .store.spec import store_spec

    spec = store_spec(settings)
    if not data_files and not spec.is_memory:
        spec.require_built()
        return settings
    folder = Path(tempfile.mkdtemp(prefix="coopgraph-serve-"))
    atexit.register(_remove_from, os.getpid(), folder)
    path = folder / "store"
    spawn = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=spawn) as child:
        failure = child.submit(
            _fill_store, logging.getLogger().getEffectiveLevel(), settings, str(path), [str(f) for f in data_files]
        ).result()
    if failure is not None:
        raise rebuild_error(*failure[1:])
    return settings.with_overrides(store=str(path))


def _remove_from(owner: int, folder: Path) -> None:
    """Remove ``folder`` at exit, in the process that made it only.

    Why the pid: gunicorn's workers are forked from this process and inherit its exit
    handlers. A worker leaving (retired after a runaway query, or stopped by a signal)
    removed the folder every other worker serves from; its replacement then found no
    store, failed to boot, and gunicorn shut the whole server down.
    """
    if os.getpid() == owner:
        shutil.rmtree(folder, ignore_errors=True)


def _fill_store(log_level: int, settings: Settings, path: str, data_files: list[str]) -> tuple | None:
    """In the child process: load the files (or build the curated graph) into ``path``."""
    logging.basicConfig(level=log_level, format=LOG_FORMAT)
    try:
        if data_files:
            from .knowledge.foreign import load_foreign_files

            load_foreign_files(
                settings.iris, Path(path), [Path(f) for f in data_files], max_depth=settings.max_rdf_depth
            )
        else:
            from .knowledge.build import build

            store, _ = build(settings.with_overrides(store=path))
            store.close()
    except CoopgraphError as exc:
        return error_reply(exc)
    return None


GRACEFUL_SECONDS = 10
_retiring = threading.Event()


def retire_this_worker() -> None:
    """Make gunicorn replace this worker: a query past its time limit is still running in it.

    SIGTERM asks the worker to stop accepting requests, finish those under way and exit;
    the arbiter starts a fresh worker meanwhile. Exiting ends the runaway evaluation (it
    runs in a daemon thread); a timer makes sure the process goes even if it hangs.
    """
    if _retiring.is_set():
        return
    _retiring.set()
    log.warning("a query ran past its time limit: retiring worker %d so the work stops", os.getpid())
    timer = threading.Timer(GRACEFUL_SECONDS + 5, os._exit, args=(0,))
    timer.daemon = True
    timer.start()
    os.kill(os.getpid(), signal.SIGTERM)


#: Access-log lines wait at most this long before they are written (nginx's ``flush=``).
ACCESS_LOG_FLUSH_SECONDS = 0.25


class BufferedAccessLog(logging.Handler):
    """Collects access-log records and writes them in batches, from a thread of its own.

    Why: writing a line per request from the request thread (a system call, under the
    handler's lock) made the threads of a worker queue for the lock and for the
    interpreter lock after it; measured, that was a fifth of the time of a cached answer.
    Batched, a busy worker writes a few times a second. The price, as with nginx's
    ``access_log ... buffer= flush=``: a line appears up to ``interval`` seconds late,
    and a worker killed outright loses its last ones (a normal exit writes them).
    """

    def __init__(self, targets: list[logging.Handler], interval: float = ACCESS_LOG_FLUSH_SECONDS):
        super().__init__()
        self.targets = list(targets)
        self.interval = interval
        self._pending: collections.deque[logging.LogRecord] = collections.deque()
        self._stopped = threading.Event()
        self._writer = threading.Thread(target=self._write_periodically, name="access-log", daemon=True)
        self._writer.start()

    def handle(self, record: logging.LogRecord) -> bool:
        # no lock: appending to a deque is atomic, and the writer only pops from the other end
        if self.filter(record):
            self.emit(record)
        return True

    def emit(self, record: logging.LogRecord) -> None:
        self._pending.append(record)

    def _write_periodically(self) -> None:
        while not self._stopped.wait(self.interval):
            self.flush()

    def flush(self) -> None:
        records = []
        while self._pending:
            try:
                records.append(self._pending.popleft())
            except IndexError:
                break
        if not records:
            return
        for target in self.targets:
            stream = getattr(target, "stream", None)
            if stream is None:
                for record in records:
                    target.handle(record)
                continue
            lines = [
                target.format(r) + target.terminator for r in records if r.levelno >= target.level and target.filter(r)
            ]
            try:
                with target.lock:
                    stream.write("".join(lines))
                    stream.flush()
            except Exception:  # noqa: BLE001 - logging must never break serving
                target.handleError(records[-1])

    def close(self) -> None:
        self._stopped.set()
        self.flush()
        super().close()


_access_buffer: BufferedAccessLog | None = None


def buffer_access_log(interval: float = ACCESS_LOG_FLUSH_SECONDS) -> None:
    """Send this worker's access-log lines through a :class:`BufferedAccessLog` to the log's handlers."""
    global _access_buffer
    access = logging.getLogger("coopgraph.access")
    access.setLevel(logging.INFO)
    targets = logging.getLogger().handlers
    if not targets or interval <= 0 or _access_buffer is not None:
        return
    _access_buffer = BufferedAccessLog(targets, interval)
    access.addHandler(_access_buffer)
    access.propagate = False


def flush_access_log() -> None:
    """Write the access-log lines still waiting (when a worker exits)."""
    if _access_buffer is not None:
        _access_buffer.flush()


def _on_worker_exit(arbiter, worker) -> None:
    """gunicorn's hook, run as a worker leaves: write its lines before the interpreter winds down
    (``logging.shutdown`` would flush them too, but only if the exit gets that far)."""
    flush_access_log()


def update_mode(settings: Settings, host: str, scratch: bool) -> str:
    """Who may write under ``serve --update``: anyone on a scratch server, else maintainers.

    Refuses (UsageError) anonymous writes on an address other machines reach, and
    maintainers' writes when no maintainer token is configured.
    """
    from .contributions.writes import is_loopback

    if scratch:
        if not is_loopback(host) and not settings.maintainer_tokens:
            raise UsageError(
                f"--update on {host} would let anyone on the network change the data",
                hint="Serve on 127.0.0.1, or configure maintainer_tokens (then writes need one).",
            )
        return "anyone"
    if not settings.maintainer_tokens:
        raise UsageError(
            "--update on the curated graph needs maintainer_tokens",
            hint="Configure maintainer_tokens; writes then need one of them.",
        )
    return "maintainers"


def check_write_exposure(settings: Settings, host: str) -> None:
    """Refuse to serve anonymous writes (``sparql_update = "anyone"``) on an address other machines reach.

    Checked whatever set it (``--update``, the settings file, the environment): the
    setting alone must never open a public server to anyone's writes.
    """
    from .contributions.writes import check_mode, is_loopback

    if check_mode(settings.sparql_update) == "anyone" and not is_loopback(host) and not settings.maintainer_tokens:
        raise UsageError(
            f"sparql_update = 'anyone' on {host} would let anyone on the network change the data",
            hint="Serve on 127.0.0.1, or configure maintainer_tokens (then writes need one).",
        )


def announce_writes(settings: Settings, host: str, port: int) -> None:
    """Say loudly, on standard error, who may change the data served here."""
    mode = settings.sparql_update
    if mode == "off":
        return
    if mode == "anyone" and not settings.maintainer_tokens:
        who = "ANYONE who can reach this address, WITHOUT a token"
    else:
        who = "holders of a maintainer token"
    bar = "!" * 78
    print(
        f"{bar}\n!! WRITES ARE ON: {who} may change the data with SPARQL Update\n"
        f"!! (POST http://{host}:{port}/sparql) and the Graph Store Protocol (http://{host}:{port}/store).\n"
        f"{bar}",
        file=sys.stderr,
        flush=True,
    )


#: malloc arenas per process: fewer arenas keep less freed memory (see store/memory.py).
MALLOC_ARENAS = 2


def serve(
    settings: Settings,
    *,
    host: str,
    port: int,
    workers: int = 2,
    threads: int = 4,
    data_files: list[Path] | None = None,
    debug: bool = False,
) -> None:
    check_write_exposure(settings, host)
    settings = prepare_store(settings, list(data_files or []))
    announce_writes(settings, host, port)
    if not settings.query_workers:
        # Every web worker starts its own query processes: share about two per CPU among them,
        # or N workers would run (and, for small stores, hold in memory) 4N of them.
        settings = settings.with_overrides(query_workers=max(1, round(2 * (os.cpu_count() or 2) / max(1, workers))))
    from .web import create_app

    if debug:
        # Flask's server has no SIGTERM handler of its own, and Python's default ends the
        # process without running its exit handlers: the temporary store folder stayed behind.
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        create_app(settings).run(host=host, port=port, debug=True, use_reloader=False)
        return
    from gunicorn.app.base import BaseApplication

    class Application(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("threads", threads)
            # gunicorn's threaded worker, reading each request whole before a thread takes it
            from .readahead import worker_class
            from .web.uploads import largest_body

            self.cfg.set("worker_class", worker_class(settings.request_read_timeout, largest_body(settings)))
            self.cfg.set("timeout", int(max(30, settings.query_timeout * 3)))
            self.cfg.set("graceful_timeout", GRACEFUL_SECONDS)
            self.cfg.set("accesslog", None)
            self.cfg.set("worker_exit", _on_worker_exit)
            # GET requests carry the query in the URL: allow 8 KB lines (gunicorn's largest bounded
            # value; its default of 4 KB turns stored queries with bound values into 414s)
            self.cfg.set("limit_request_line", 8190)
            # No control socket: gunicorn's default is one path per user ($HOME/.gunicorn/gunicorn.ctl),
            # so every instance on a host re-bound the same socket and it answered for whichever
            # started last. Nothing here uses it (workers are managed by signals), so it is off
            # rather than moved to a private path: no file, and nothing to attack on the host.
            self.cfg.set("control_socket_disable", True)

        def load(self):
            buffer_access_log(settings.access_log_flush_seconds)
            app = create_app(settings)
            app.extensions["coopgraph"].runaway_handler = retire_this_worker
            app.extensions["coopgraph"].store  # open it (and start its query processes) before the first request
            return app

    print(
        f"coopgraph serving {settings.store} on http://{host}:{port}/ ({workers} worker(s) x {threads} thread(s))",
        flush=True,
    )
    from .store.memory import limit_arenas

    limit_arenas(MALLOC_ARENAS)  # before the workers fork: they inherit it (see store/memory.py)
    # What the arbiter has imported is inherited by every worker; frozen, the collector of a
    # worker never walks those objects, so it does not write to (and copy) the pages they
    # share: 1M store folder, 4 workers, 452 -> 425 MiB (benchmarks/workers.py).
    gc.freeze()
    Application().run()
