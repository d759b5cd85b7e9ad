"""Run the web app under gunicorn (or Flask's debug server), preparing the store first.

gunicorn rather than waitress: it runs several worker processes (``--workers``), each
with its threads, restarts a worker that dies, and is the usual WSGI server on Linux.
Each worker opens the same store snapshots read-only, so N workers share one copy of
the data.
"""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import signal
import tempfile
import threading
from pathlib import Path

from .config import Settings
from .errors import LoadError

log = logging.getLogger(__name__)


def prepare_store(settings: Settings, data_files: list[Path]) -> Settings:
    """Return settings whose store is a built folder: build or load into a temporary one if needed."""
    spec = settings.store
    if not data_files and spec not in ("", "memory", ":memory:"):
        if not spec.startswith(("sparql+http://", "sparql+https://")) and not (Path(spec) / "db").is_dir():
            raise LoadError(f"there is no built store at {spec}", hint=f"Run `coopgraph build --store {spec}` first.")
        return settings
    folder = Path(tempfile.mkdtemp(prefix="coopgraph-serve-"))
    atexit.register(shutil.rmtree, folder, True)
    path = folder / "store"
    if data_files:
        from .publish import load_foreign_files
        load_foreign_files(settings.iris, path, data_files)
    else:
        from .build import build
        build(settings.with_overrides(store=str(path)))
    return settings.with_overrides(store=str(path))


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


def serve(settings: Settings, *, host: str, port: int, workers: int = 2, threads: int = 4,
          data_files: list[Path] | None = None, debug: bool = False) -> None:
    settings = prepare_store(settings, list(data_files or []))
    if not settings.query_workers:
        # Every web worker starts its own query processes: share about two per CPU among them,
        # or N workers would run (and, for small stores, hold in memory) 4N of them.
        settings = settings.with_overrides(query_workers=max(1, round(2 * (os.cpu_count() or 2) / max(1, workers))))
    from .web import create_app
    if debug:
        create_app(settings).run(host=host, port=port, debug=True, use_reloader=False)
        return
    from gunicorn.app.base import BaseApplication

    class Application(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("threads", threads)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("timeout", int(max(30, settings.query_timeout * 3)))
            self.cfg.set("graceful_timeout", GRACEFUL_SECONDS)
            self.cfg.set("accesslog", None)
            # GET requests carry the query in the URL: allow 8 KB lines (gunicorn's largest bounded
            # value; its default of 4 KB turns stored queries with bound values into 414s)
            self.cfg.set("limit_request_line", 8190)

        def load(self):
            logging.getLogger("coopgraph.access").setLevel(logging.INFO)
            app = create_app(settings)
            app.extensions["coopgraph"].runaway_handler = retire_this_worker
            app.extensions["coopgraph"].store  # open it (and start its query processes) before the first request
            return app

    print(f"coopgraph serving {settings.store} on http://{host}:{port}/ "
          f"({workers} worker(s) x {threads} thread(s))", flush=True)
    Application().run()
