"""`make run` as a user meets it: quiet when nothing changed, and /download offers the graph it serves.

Issue 17 (1, 10): after `make run` the downloads page said no release had been made, and once one
was, every file answered 500, because the relative `releases_dir` was read against two different
folders. Here a copy of the project is run with `make run` from its own folder, as a fresh clone
would be, with the test's virtual environment standing in for the one `make` would create.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from conftest import ROOT, free_port
from coopgraph.store.memory import preloaded_allocator

pytestmark = pytest.mark.slow
VENV = Path(sys.prefix) if (Path(sys.prefix) / "bin" / "coopgraph").exists() else None


def _copy_project(target: Path) -> Path:
    """The files a clone has that `make run` reads (mtimes kept, so make's stamps still hold)."""
    for name in ("ontology", "shapes", "data", "queries", "src"):
        shutil.copytree(
            ROOT / name,
            target / name,
            copy_function=shutil.copy2,
            ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"),
        )
    for name in ("Makefile", "pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, target / name)
    return target


class MakeRun:
    """`make run` in a folder, on a free port; its output collected; stopped with its process group."""

    def __init__(self, folder: Path, stamp: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = (folder / f"make-run-{self.port}.log").open("w+")
        # VENV: the environment running these tests; INSTALLED: a stamp newer than pyproject.toml,
        # so make never reinstalls the package from the copy into it
        self.process = subprocess.Popen(
            ["make", "run", f"VENV={VENV}", f"INSTALLED={stamp}", f"PORT={self.port}"],
            cwd=folder,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={k: v for k, v in os.environ.items() if not k.startswith("COOPGRAPH_")},
        )
        self.started = time.monotonic()

    def wait_ready(self, seconds: float = 180) -> float:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"make run exited early:\n{self.output()}")
            try:
                if requests.get(self.url + "/health", timeout=2).status_code == 200:
                    return time.monotonic() - self.started
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"make run did not serve:\n{self.output()}")

    def output(self) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()


def _allocators_serving(group: int) -> list[str | None]:
    """The allocator preloaded into each `coopgraph serve` process of a process group."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if not proc.name.isdigit() or os.getpgid(int(proc.name)) != group:
                continue
            if "python" not in os.readlink(proc / "exe") or b"serve" not in (proc / "cmdline").read_bytes():
                continue  # not coopgraph serve (make, the shell running its recipe)
        except (OSError, ProcessLookupError):
            continue  # gone meanwhile
        found.append(preloaded_allocator(proc.name))
    return found


MIMALLOC = sorted(Path("/usr/lib").glob("*/libmimalloc.so.2"))


@pytest.mark.skipif(
    VENV is None or shutil.which("make") is None,
    reason="needs make and the tests running in the project's virtual environment",
)
def test_make_run_serves_downloads_that_match_their_checksums(tmp_path):
    folder = _copy_project(tmp_path / "clone")
    stamp = tmp_path / "installed"
    stamp.touch()
    first = MakeRun(folder, stamp)
    try:
        first.wait_ready()
        listing = requests.get(first.url + "/download.json", timeout=10).json()
        assert listing["latest"], "make run made no release for /download"
        release = listing["releases"][0]
        sums = {}
        for line in requests.get(release["checksums"], timeout=10).text.splitlines():
            digest, name = line.split("  ")
            sums[name] = digest
        assert {f["name"] for f in release["files"]} <= set(sums)
        for item in release["files"]:
            answer = requests.get(item["url"], timeout=30)
            assert answer.status_code == 200, (item["name"], answer.status_code, answer.text[:300])
            assert hashlib.sha256(answer.content).hexdigest() == sums[item["name"]] == item["sha256"]
        assert requests.get(release["description"], timeout=10).status_code == 200
        # the page a person opens links the same files
        page = requests.get(first.url + "/download", timeout=10).text
        assert all(item["url"].replace(first.url, "") in page or item["url"] in page for item in release["files"])
        output = first.output()
        assert "==> Building the graph" in output and "==> Serving" in output
        if MIMALLOC:  # installed: the server runs on it (docs/serving.md, the memory allocator)
            allocators = _allocators_serving(first.process.pid)
            assert allocators and all(a == "mimalloc" for a in allocators), allocators
    finally:
        first.stop()

    # a warm start: nothing to install or build, the release of this graph is kept
    second = MakeRun(folder, stamp)
    try:
        second.wait_ready()
        output = second.output()
        assert "==> Building the graph" not in output and "Installing" not in output
        assert "holds this graph already" in output
        assert [r["version"] for r in requests.get(second.url + "/download.json", timeout=10).json()["releases"]] == [
            release["version"]
        ]
    finally:
        second.stop()
