"""The one pool of killable worker processes: work that must stop at its time limit runs here.

Why: pyoxigraph cannot interrupt a running query and Python cannot interrupt a running
C call, so a hard time limit on work driven by someone else's data (a SPARQL query on
the served snapshot, parsing and validating a contribution in a scratch store) needs a
process that can be killed. Both the serving store (:mod:`.snapshots`) and contribution
checking run their work through :class:`KillableRunner`: workers are spawned on first
use (or ahead of it, by :meth:`KillableRunner.warm_up`) and reused; a call past its time
limit kills its worker, and the next call spawns a replacement.

A function run here is a module-level function taking a per-worker ``cache`` dict first
(so it can keep, say, an opened snapshot or a scratch store with the ontology loaded
between calls), then its arguments. A pool may be given a ``prepare`` step, a function
each new worker runs on its cache before its first call, so the first call does not pay
for opening what every call needs.

Two counterparts run the same functions in the calling process: :class:`InlineRunner`
for the command line and benchmarks, where the user's own process may take its time, and
:class:`ThreadRunner` for a server that stops a runaway by retiring the whole process.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import queue
import resource
import signal
import threading
import traceback
from collections.abc import Callable
from typing import Any

from .. import errors
from ..errors import CoopgraphError, PayloadTooLarge, QueryTimeout, error_reply, rebuild_error

log = logging.getLogger(__name__)

#: Signals a worker under a memory limit dies of when an allocation fails: Rust code
#: (pyoxigraph) aborts, C code that does not check its allocations crashes.
_OUT_OF_MEMORY_SIGNALS = (signal.SIGABRT, signal.SIGSEGV, signal.SIGBUS)

#: What a caller whose work ran out of time is told by default (contribution checking).
DEFAULT_TIMEOUT_HINT = "Send less data at once, or ask the maintainers for a longer limit."

#: A step a new worker runs on its empty cache: (module-level function, its arguments after the cache).
Preparation = tuple[Callable, tuple]


def _prepare(cache: dict, preparation: Preparation | None) -> None:
    """Run a worker's preparation; a failure is logged and left for the calls to meet and report."""
    if preparation is None:
        return
    func, args = preparation
    try:
        func(cache, *args)
    except Exception:  # noqa: BLE001 - the worker still answers; each call reports its own error
        log.exception("a worker could not prepare with %s", getattr(func, "__name__", func))


def _worker_main(
    conn, memory_bytes: int = 0, preparation: Preparation | None = None
) -> None:  # pragma: no cover - runs in a child process
    if memory_bytes > 0:
        # The limit covers the whole address space of this process, so work that needs
        # more fails here, never in the web worker.
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    cache: dict[str, Any] = {}
    _prepare(cache, preparation)
    func = None
    while True:
        try:
            sent, args = conn.recv()
        except (EOFError, OSError):
            return
        func = sent or func  # None: the function of the call before (see _Worker.send)
        try:
            conn.send(("ok", func(cache, *args)))
        except CoopgraphError as exc:
            conn.send(error_reply(exc))
        except MemoryError:
            cache.clear()  # what the work held may be half-built; start afresh
            gc.collect()
            conn.send(error_reply(_out_of_memory(memory_bytes)))
            _prepare(cache, preparation)
        except Exception:  # noqa: BLE001 - report, never die silently
            conn.send(("failed", traceback.format_exc()))


def _out_of_memory(memory_bytes: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"reading and checking the data needed more memory than the {memory_bytes:,} bytes "
        "its process may use (the validation_memory_bytes setting)",
        hint="Send less data at once, or flatter data.",
    )


class _Worker:
    def __init__(self, memory_bytes: int = 0, preparation: Preparation | None = None):
        context = multiprocessing.get_context("spawn")
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_worker_main, args=(child, memory_bytes, preparation), daemon=True)
        self.process.start()
        child.close()
        self.last_func: Callable | None = None

    def send(self, func: Callable, args: tuple) -> None:
        """Send one call; a function the worker ran last time is not sent again.

        Why: unpickling a function looks up its module and name, which costs more than
        the rest of a small request; the query workers run the same function every time.
        """
        self.conn.send((None if func is self.last_func else func, args))
        self.last_func = func

    def kill(self) -> None:
        self.process.kill()
        self.process.join(timeout=5)
        self.conn.close()


def _reply_value(reply: tuple, what: str):
    """The value a worker sent back, or the error it reported, raised here."""
    if reply[0] == "ok":
        return reply[1]
    if reply[0] == "error":
        raise rebuild_error(*reply[1:])
    raise RuntimeError(f"the {what} failed in its worker process:\n{reply[1]}")


class KillableRunner:
    """A small pool of worker processes; a call past its time limit kills its worker.

    ``workers`` bounds how many processes run at once (a call waits for an idle one).
    ``prepare``, called here each time a worker is spawned, returns the preparation the
    new worker runs before its first call (or None): called at spawn time, so a worker
    that replaces a killed one prepares with what is current then.

    With ``memory_bytes``, each worker's address space is limited to that many bytes:
    work that needs more ends with :class:`PayloadTooLarge` (413), whether Python raises
    MemoryError or native code ends the worker, and the caller's process is untouched.
    """

    def __init__(
        self,
        workers: int = 2,
        *,
        memory_bytes: int = 0,
        prepare: Callable[[], Preparation | None] | None = None,
        timeout_hint: str = DEFAULT_TIMEOUT_HINT,
    ):
        self.max_workers = workers
        self.memory_bytes = memory_bytes
        self.prepare = prepare
        self.timeout_hint = timeout_hint
        self._idle: queue.LifoQueue[_Worker] = queue.LifoQueue()
        self._count = 0
        self._lock = threading.Lock()

    def _spawn(self) -> _Worker:
        return _Worker(self.memory_bytes, self.prepare() if self.prepare is not None else None)

    def _take(self) -> _Worker:
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            pass
        with self._lock:
            if self._count < self.max_workers:
                self._count += 1
                try:
                    return self._spawn()
                except Exception:
                    self._count -= 1
                    raise
        return self._idle.get()

    def _discard(self, worker: _Worker) -> None:
        worker.kill()
        with self._lock:
            self._count -= 1

    def warm_up(self) -> None:
        """Start all the workers now, in the background, so the first calls do not wait for them."""

        def start() -> None:
            while True:
                with self._lock:
                    if self._count >= self.max_workers:
                        return
                    self._count += 1
                try:
                    worker = self._spawn()
                except Exception:  # noqa: BLE001 - calls will start workers on demand
                    with self._lock:
                        self._count -= 1
                    log.exception("could not start a worker process")
                    return
                self._idle.put(worker)

        threading.Thread(target=start, name="pool-warm-up", daemon=True).start()

    def call(self, func: Callable, *args, timeout: float | None = None, what: str = "work"):
        """Run ``func(cache, *args)`` in a worker; raise QueryTimeout when ``timeout`` passes.

        A worker that ends without answering is replaced, and the caller gets StoreError
        (503), or PayloadTooLarge (413) when it ended under its memory limit.
        """
        worker = self._take()
        try:
            worker.send(func, args)
            if not worker.conn.poll(timeout):
                self._discard(worker)
                worker = None
                raise QueryTimeout(
                    f"the {what} ran past its time limit of {timeout:g} s and was stopped", hint=self.timeout_hint
                )
            reply = worker.conn.recv()
        except (EOFError, OSError, BrokenPipeError) as exc:
            exitcode = None
            if worker is not None:
                self._discard(worker)
                exitcode = worker.process.exitcode
                worker = None
            if self.memory_bytes > 0 and exitcode is not None and -exitcode in _OUT_OF_MEMORY_SIGNALS:
                log.warning("a %s worker ended with signal %d under its memory limit", what, -exitcode)
                raise PayloadTooLarge(
                    f"the process reading and checking the data ended (signal {-exitcode}): "
                    f"it needed more than the {self.memory_bytes:,} bytes of memory it may use "
                    "(the validation_memory_bytes setting), or more stack",
                    hint="Send less data at once, or flatter data.",
                ) from exc
            raise errors.StoreError(f"the {what} worker stopped unexpectedly: {exc}") from exc
        finally:
            if worker is not None:
                self._idle.put(worker)
        return _reply_value(reply, what)

    def close(self) -> None:
        """Stop the idle workers (a busy one goes back to the pool when its call ends; it ends with this process)."""
        while True:
            try:
                worker = self._idle.get_nowait()
            except queue.Empty:
                break
            worker.kill()
            with self._lock:
                self._count -= 1


class InlineRunner:
    """Runs the functions in this process (no hard limit; the work checks its deadline itself)."""

    def __init__(self):
        self._cache: dict[str, Any] = {}
        self._lock = threading.Lock()

    def call(self, func: Callable, *args, timeout: float | None = None, what: str = "work"):
        with self._lock:  # the cache (a scratch store) is not shared between threads
            return func(self._cache, *args)

    def close(self) -> None:
        self._cache.clear()


class ThreadRunner:
    """Runs the functions in daemon threads of this process, waiting for each up to its time limit.

    A call past its limit cannot be stopped here, so ``on_runaway`` is called: it makes
    the server retire this process (its other requests finish, then it exits and a fresh
    one takes over), so the work really stops, without the cost of a trip to another
    process on every call. The caller gets QueryTimeout at once. The cache is shared by
    the threads: functions run here keep it consistent themselves.
    """

    def __init__(
        self,
        on_runaway: Callable[[], None],
        *,
        prepare: Callable[[], Preparation | None] | None = None,
        timeout_hint: str = DEFAULT_TIMEOUT_HINT,
    ):
        self.on_runaway = on_runaway
        self.prepare = prepare
        self.timeout_hint = timeout_hint
        self._cache: dict[str, Any] = {}
        self._prepared = False
        self._prepare_lock = threading.Lock()
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._threads = 0
        self._idle = 0
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        """Prepare the cache now (in this thread), so the first call does not wait for it."""
        if self._prepared:
            return
        with self._prepare_lock:
            if not self._prepared:
                _prepare(self._cache, self.prepare() if self.prepare is not None else None)
                self._prepared = True

    def call(self, func: Callable, *args, timeout: float | None = None, what: str = "work"):
        """Run ``func(cache, *args)`` in a thread; past ``timeout``, retire the process and raise QueryTimeout."""
        self.warm_up()
        done, box = threading.Event(), []
        with self._lock:
            if self._idle == 0:
                self._threads += 1
                threading.Thread(target=self._serve, name=f"{what}-{self._threads}", daemon=True).start()
            else:
                self._idle -= 1
        self._jobs.put((func, args, done, box))
        if not done.wait(timeout):
            self.on_runaway()
            raise QueryTimeout(
                f"the {what} ran past its time limit of {timeout:g} s and was stopped", hint=self.timeout_hint
            )
        succeeded, value = box[0]
        if succeeded:
            return value
        raise value

    def _serve(self) -> None:
        while True:
            func, args, done, box = self._jobs.get()
            try:
                box.append((True, func(self._cache, *args)))
            except Exception as exc:  # noqa: BLE001 - raised again in the calling thread
                box.append((False, exc))
            done.set()
            with self._lock:
                self._idle += 1

    def close(self) -> None:
        """Forget the cache; a later call prepares afresh."""
        with self._prepare_lock:
            self._cache.clear()
            self._prepared = False
