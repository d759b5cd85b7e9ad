"""Run a private Virtuoso Open Source server, for the tests, the benchmarks and trying the remote store.

Virtuoso comes from Debian's ``virtuoso-opensource`` package (the ``virtuoso-t``
binary). The server gets its own folder (database, log, ``virtuoso.ini`` written here),
listens on 127.0.0.1 only, on free ports, with a fresh random password for ``dba``, and
is stopped by its process id. Nothing of the system-wide Virtuoso (its service, its
database under /var/lib) is used or touched.

From a shell: ``python -m coopgraph.store.virtuoso FOLDER`` starts one and prints the
``--store`` value to use, until Ctrl-C.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import requests

from ..errors import StoreError
from ..namespaces import Iris

INSTALL_HINT = (
    "Install Virtuoso Open Source: `sudo apt-get install -y virtuoso-opensource` "
    "(Debian/Ubuntu); it provides virtuoso-t and isql-vt."
)

INI = """\
; written by coopgraph.store.virtuoso for a private, throwaway server
[Database]
DatabaseFile       = {folder}/virtuoso.db
ErrorLogFile       = {folder}/virtuoso.log
LockFile           = {folder}/virtuoso.lck
TransactionFile    = {folder}/virtuoso.trx
xa_persistent_file = {folder}/virtuoso.pxa
ErrorLogLevel      = 7
FileExtend         = 200
MaxCheckpointRemap = 2000
Striping           = 0
TempStorage        = TempDatabase

[TempDatabase]
DatabaseFile       = {folder}/virtuoso-temp.db
TransactionFile    = {folder}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping           = 0

[Parameters]
ServerPort               = 127.0.0.1:{sql_port}
DisableUnixSocket        = 1
DisableTcpSocket         = 0
MaxClientConnections     = 20
CheckpointInterval       = 60
O_DIRECT                 = 0
CaseMode                 = 2
DirsAllowed              = ., {folder}
NumberOfBuffers          = {buffers}
MaxDirtyBuffers          = {dirty_buffers}
MaxQueryMem              = {query_mem}
ThreadsPerQuery          = 2
AsyncQueueMaxThreads     = 10
SchedulerInterval        = 10
MaxSortedTopRows         = 10000
TransactionAfterImageLimit = {after_image_limit}

[HTTPServer]
ServerPort               = 127.0.0.1:{http_port}
ServerRoot               = {folder}
MaxClientConnections     = 20
ServerThreads            = 20
MaxKeepAlives            = 20
KeepAliveTimeout         = 10
EnabledDavVSP            = 0
HTTPProxyEnabled         = 0
Charset                  = UTF-8
EnabledGzipContent       = 0

[SPARQL]
ResultSetMaxRows           = {max_rows}
; 0: no refusal on the optimizer's estimate, which misjudges grouped subqueries (the
; programmes query at 1M: 4,190 s estimated, 0.2 s run); coopgraph's time limits still apply
MaxQueryCostEstimationTime = 0
MaxQueryExecutionTime      = {max_seconds}
"""


def virtuoso_binary() -> str | None:
    """The Virtuoso server binary, or None when Virtuoso is not installed."""
    return shutil.which("virtuoso-t")


def isql_binary() -> str | None:
    return shutil.which("isql-vt") or shutil.which("isql")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LocalVirtuoso:
    """One private Virtuoso process. Use as a context manager, or call start() and stop()."""

    def __init__(
        self,
        folder: str | Path,
        *,
        buffers: int = 20_000,
        max_rows: int = 50_000,
        max_seconds: int = 600,
        query_mem: str = "1G",
        after_image_limit: int | None = None,
    ):
        self.folder = Path(folder).resolve()
        self.buffers = buffers
        self.max_rows = max_rows
        self.max_seconds = max_seconds
        self.query_mem = query_mem
        #: bytes one transaction may change (Virtuoso's TransactionAfterImageLimit)
        self.after_image_limit = after_image_limit or max(50_000_000, buffers * 8192)
        self.http_port = free_port()
        self.sql_port = free_port()
        self.user = "dba"
        self.password = secrets.token_urlsafe(12)
        self.process: subprocess.Popen | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.http_port}/sparql"

    @property
    def store_spec(self) -> str:
        """What to give ``--store`` (credentials go in store_user / store_password)."""
        return "sparql+" + self.endpoint

    def open_store(self, iris: Iris | None = None, **options):
        from .remote import RemoteStore

        return RemoteStore(iris or Iris(), self.endpoint, user=self.user, password=self.password, **options)

    def write_config(self) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        ini = self.folder / "virtuoso.ini"
        ini.write_text(
            INI.format(
                folder=self.folder,
                sql_port=self.sql_port,
                http_port=self.http_port,
                buffers=self.buffers,
                dirty_buffers=self.buffers * 3 // 4,
                query_mem=self.query_mem,
                max_rows=self.max_rows,
                max_seconds=self.max_seconds,
                after_image_limit=self.after_image_limit,
            )
        )
        return ini

    def start(self, timeout: float = 120) -> LocalVirtuoso:
        binary = virtuoso_binary()
        if binary is None:
            raise StoreError("Virtuoso is not installed", hint=INSTALL_HINT)
        ini = self.write_config()
        log = open(self.folder / "console.log", "ab")
        self.process = subprocess.Popen(
            [binary, "+configfile", str(ini), "+foreground"],
            cwd=self.folder,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        log.close()
        try:
            self._wait_ready(timeout)
            self._set_password()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise StoreError(f"Virtuoso exited at start (code {self.process.returncode}): {self.log_tail()}")
            try:
                response = requests.post(self.endpoint, data={"query": "ASK { }"}, timeout=2)
                if response.status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.25)
        raise StoreError(f"Virtuoso did not answer within {timeout:g} s: {self.log_tail()}")

    def _set_password(self) -> None:
        """Replace the well-known default password of ``dba`` (the server listens on 127.0.0.1 only, still).

        The password is kept in the folder (readable by its owner only), so a folder can
        be started again.
        """
        kept = self.folder / "dba-password"
        if kept.exists():
            self.password = kept.read_text().strip()
            return
        self.isql(f"USER_SET_PASSWORD('dba', '{self.password}');", password="dba")
        kept.touch(mode=0o600)
        kept.write_text(self.password)

    def isql(self, statements: str, *, password: str | None = None) -> str:
        binary = isql_binary()
        if binary is None:
            raise StoreError("isql-vt (Virtuoso's SQL client) is not installed", hint=INSTALL_HINT)
        result = subprocess.run(
            [binary, f"127.0.0.1:{self.sql_port}", self.user, password or self.password, f"EXEC={statements}"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        if result.returncode != 0 or "*** Error" in result.stdout + result.stderr:
            raise StoreError(f"isql failed: {(result.stdout + result.stderr).strip()[-500:]}")
        return result.stdout

    def log_tail(self, lines: int = 15) -> str:
        try:
            return "\n".join((self.folder / "virtuoso.log").read_text(errors="replace").splitlines()[-lines:])
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
        """Stop the server by its process id (SIGTERM lets it checkpoint; SIGKILL if it hangs)."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()

    def __enter__(self) -> LocalVirtuoso:
        return self.start() if self.process is None else self

    def __exit__(self, *exc) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> None:  # pragma: no cover - a developer convenience
    import argparse

    parser = argparse.ArgumentParser(description="Run a private Virtuoso for coopgraph on 127.0.0.1.")
    parser.add_argument("folder", help="folder for the database and virtuoso.ini (created)")
    parser.add_argument("--buffers", type=int, default=100_000, help="8 KiB pages of cache (default 100000)")
    args = parser.parse_args(argv)

    def stop(signum, frame):  # SIGTERM too: a shell's background job ignores Ctrl-C
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    with LocalVirtuoso(args.folder, buffers=args.buffers, max_rows=10_000_000) as server:
        print(
            f"Virtuoso runs (pid {server.process.pid}).\n"
            f"  COOPGRAPH_STORE={server.store_spec}\n"
            f"  COOPGRAPH_STORE_USER={server.user}\n  COOPGRAPH_STORE_PASSWORD={server.password}\n"
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
