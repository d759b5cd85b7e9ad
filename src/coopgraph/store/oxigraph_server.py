"""Run a private Oxigraph server (``oxigraph serve``), for the tests, the benchmarks and trying the remote store.

Oxigraph server is the second real engine behind the remote store, beside Virtuoso: a
different SPARQL implementation, so what the remote store assumes about one server shows.
It comes from the PyPI package ``oxigraph`` (the ``oxigraph`` command, installed beside
the Python that runs coopgraph). The server keeps its database in a folder of its own,
listens on 127.0.0.1 only, on a free port, and is stopped by its process id. It has no
users: anyone who reaches the port may write, which is why it binds to the loopback only.

Its services: SPARQL queries at ``/query``, updates at ``/update``, the Graph Store
Protocol at ``/store``.

From a shell: ``python -m coopgraph.store.oxigraph_server FOLDER`` starts one and prints
the ``--store`` value to use, until Ctrl-C.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from ..errors import StoreError
from ..namespaces import Iris
from .virtuoso import free_port

INSTALL_HINT = "Install Oxigraph server: `pip install oxigraph` (it provides the `oxigraph` command)."


def oxigraph_binary() -> str | None:
    """The ``oxigraph`` command: beside this Python first (a virtual environment need not be on PATH)."""
    beside = Path(sys.executable).parent / "oxigraph"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which("oxigraph")


class LocalOxigraph:
    """One private ``oxigraph serve`` process. Use as a context manager, or call start() and stop().

    ``timeout_seconds`` is the server's own limit on each query (``--timeout-s``): a query
    the client gave up on stops there too, instead of holding one of the server's threads.
    """

    def __init__(self, folder: str | Path, *, timeout_seconds: int | None = 60):
        self.folder = Path(folder).resolve()
        self.timeout_seconds = timeout_seconds
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def endpoint(self) -> str:
        return self.base_url + "/query"

    @property
    def update_url(self) -> str:
        return self.base_url + "/update"

    @property
    def graph_store_url(self) -> str:
        return self.base_url + "/store"

    @property
    def store_spec(self) -> str:
        """What to give ``--store`` (the remote store finds /update and /store from the server's name)."""
        return "sparql+" + self.endpoint

    def open_store(self, iris: Iris | None = None, **options):
        from .remote import RemoteStore

        return RemoteStore(iris or Iris(), self.endpoint, **options)

    def start(self, timeout: float = 60) -> LocalOxigraph:
        binary = oxigraph_binary()
        if binary is None:
            raise StoreError("Oxigraph server is not installed", hint=INSTALL_HINT)
        self.folder.mkdir(parents=True, exist_ok=True)
        command = [binary, "serve", "--location", str(self.folder / "db"), "--bind", f"127.0.0.1:{self.port}"]
        if self.timeout_seconds:
            command += ["--timeout-s", str(self.timeout_seconds)]
        log = open(self.folder / "console.log", "ab")
        self.process = subprocess.Popen(
            command,
            cwd=self.folder,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        log.close()
        try:
            self._wait_ready(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise StoreError(f"Oxigraph server exited at start (code {self.process.returncode}): {self.log_tail()}")
            try:
                response = requests.post(self.endpoint, data={"query": "ASK { }"}, timeout=2)
                if response.status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise StoreError(f"Oxigraph server did not answer within {timeout:g} s: {self.log_tail()}")

    def log_tail(self, lines: int = 15) -> str:
        try:
            return "\n".join((self.folder / "console.log").read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def rss_bytes(self) -> int:
        """The server's resident memory (for the benchmarks)."""
        if self.process is None:
            return 0
        try:
            for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        except OSError:
            pass
        return 0

    def stop(self, timeout: float = 30) -> None:
        """Stop the server by its process id (SIGTERM; SIGKILL if it does not go, e.g. busy in a query)."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()

    def __enter__(self) -> LocalOxigraph:
        return self.start() if self.process is None else self

    def __exit__(self, *exc) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> None:  # pragma: no cover - a developer convenience
    import argparse

    parser = argparse.ArgumentParser(description="Run a private Oxigraph server for coopgraph on 127.0.0.1.")
    parser.add_argument("folder", help="folder for the database (created)")
    args = parser.parse_args(argv)

    def stop(signum, frame):  # SIGTERM too: a shell's background job ignores Ctrl-C
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    with LocalOxigraph(args.folder) as server:
        print(
            f"Oxigraph server runs (pid {server.process.pid}).\n"
            f"  COOPGRAPH_STORE={server.store_spec}\n"
            "Ctrl-C (or SIGTERM) stops it.",
            flush=True,
        )
        try:
            while server.process.poll() is None:
                time.sleep(1)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":  # pragma: no cover
    main()
