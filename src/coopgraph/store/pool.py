"""Run work on untrusted input in worker processes that are killed when their time limit passes.

Why: pyoxigraph cannot interrupt a running query and Python cannot interrupt a running
C call, so a hard time limit on work driven by someone else's data (validating a
contribution in a scratch store) needs a process that can be killed. Workers are spawned
on first use and reused; a killed worker is replaced by the next call.

A function run here is a module-level function taking a per-worker ``cache`` dict first
(so it can keep, say, a scratch store with the ontology loaded between calls), then its
arguments. :class:`InlineRunner` runs the same functions in the calling process, for the
command line and benchmarks, where the user's own process may take its time.
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
from typing import Any, Callable

from .. import errors
from ..errors import CoopgraphError, PayloadTooLarge, QueryTimeout, error_reply, rebuild_error

log = logging.getLogger(__name__)

#: Signals a worker under a memory limit dies of when an allocation fails: Rust code
#: (pyoxigraph) aborts, C code that does not check its allocations crashes.
_OUT_OF_MEMORY_SIGNALS = (signal.SIGABRT, signal.SIGSEGV, signal.SIGBUS)


def _worker_main(conn, memory_bytes: int = 0) -> None:  # pragma: no cover - runs in a child process
    if memory_bytes > 0:
        # The limit covers the whole address space of this process, so parsing or
        # validating a document that needs more fails here, never in the web worker.
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    cache: dict[str, Any] = {}
    while True:
        try:
            func, args = conn.recv()
        except (EOFError, OSError):
            return
        try:
            conn.send(("ok", func(cache, *args)))
        except CoopgraphError as exc:
            conn.send(error_reply(exc))
        except MemoryError:
            cache.clear()  # what the work held may be half-built; start afresh
            gc.collect()
            conn.send(error_reply(_out_of_memory(memory_bytes)))
        except Exception:  # noqa: BLE001 - report, never die silently
            conn.send(("failed", traceback.format_exc()))


def _out_of_memory(memory_bytes: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"reading and checking the data needed more memory than the {memory_bytes:,} bytes "
                           "its process may use (the validation_memory_bytes setting)",
                           hint="Send less data at once, or flatter data.")


class _Worker:
    def __init__(self, memory_bytes: int = 0):
        context = multiprocessing.get_context("spawn")
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_worker_main, args=(child, memory_bytes), daemon=True)
        self.process.start()
        child.close()

    def kill(self) -> None:
        self.process.kill()
        self.process.join(timeout=5)
        self.conn.close()


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


class KillableRunner:
    """A small pool of worker processes; a call past its time limit kills its worker.

    With ``memory_bytes``, each worker's address space is limited to that many bytes:
    work that needs more ends with :class:`PayloadTooLarge` (413), whether Python raises
    MemoryError or native code ends the worker, and the caller's process is untouched.
    """

    def __init__(self, workers: int = 2, *, memory_bytes: int = 0):
        self.max_workers = workers
        self.memory_bytes = memory_bytes
        self._idle: queue.LifoQueue[_Worker] = queue.LifoQueue()
        self._count = 0
        self._lock = threading.Lock()

    def _take(self) -> _Worker:
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            pass
        with self._lock:
            if self._count < self.max_workers:
                self._count += 1
                try:
                    return _Worker(self.memory_bytes)
                except Exception:
                    self._count -= 1
                    raise
        return self._idle.get()

    def _discard(self, worker: _Worker) -> None:
        worker.kill()
        with self._lock:
            self._count -= 1

    def call(self, func: Callable, *args, timeout: float | None = None, what: str = "work"):
        """Run ``func(cache, *args)`` in a worker; raise QueryTimeout when ``timeout`` passes."""
        worker = self._take()
        try:
            worker.conn.send((func, args))
            if not worker.conn.poll(timeout):
                self._discard(worker)
                worker = None
                raise QueryTimeout(f"the {what} ran past its time limit of {timeout:g} s and was stopped",
                                   hint="Send less data at once, or ask the maintainers for a longer limit.")
            reply = worker.conn.recv()
        except (EOFError, OSError, BrokenPipeError) as exc:
            exitcode = None
            if worker is not None:
                self._discard(worker)
                exitcode = worker.process.exitcode
                worker = None
            if self.memory_bytes > 0 and exitcode is not None and -exitcode in _OUT_OF_MEMORY_SIGNALS:
                log.warning("a %s worker ended with signal %d under its memory limit", what, -exitcode)
                raise PayloadTooLarge(f"the process reading and checking the data ended (signal {-exitcode}): "
                                      f"it needed more than the {self.memory_bytes:,} bytes of memory it may use "
                                      "(the validation_memory_bytes setting), or more stack",
                                      hint="Send less data at once, or flatter data.") from exc
            raise errors.StoreError(f"the {what} worker stopped unexpectedly: {exc}") from exc
        finally:
            if worker is not None:
                self._idle.put(worker)
        if reply[0] == "ok":
            return reply[1]
        if reply[0] == "error":
            raise rebuild_error(*reply[1:])
        raise RuntimeError(f"the {what} failed in its worker process:\n{reply[1]}")

    def close(self) -> None:
        while True:
            try:
                worker = self._idle.get_nowait()
            except queue.Empty:
                break
            worker.kill()
            with self._lock:
                self._count -= 1
