"""Search on a store folder: opening the index in a new process, each search, and the memory it takes.

Each source tree (this one, and with ``--baseline-src`` another checkout, e.g. the commit
before a change) is measured in a child process of its own, with the same store folder:
the time of the first search in a new process (the index is opened, or derived when no
process has yet: a warm-up child derives it first), the median of each search over
``--runs``, and how much the process's PSS grew while searching. The table puts the two
side by side with their ratio.

    python benchmarks/search.py --project /path/to/project --store /path/to/store-folder \
        [--baseline-src /path/to/other/checkout/src]
"""

from __future__ import annotations

import os
import sys

sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
MIB = 2**20
#: What people type: a common word, a name, names found nowhere, nothing (every entry), kana.
SEARCHES = ["city", "agreement 40", "koriyama", "zzzz", "", "こおりやま"]


def _pss() -> int:
    with open("/proc/self/smaps_rollup") as fh:
        for line in fh:
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    return 0


def child(project: str, store: str, runs: int) -> dict:
    """In the measured process: a Flask test client on the store folder, searching."""
    from coopgraph.config import load_settings
    from coopgraph.web import create_app

    app = create_app(load_settings(root=Path(project), store=store))
    client = app.test_client()
    before = _pss()
    started = time.perf_counter()
    first = client.get("/search.json", query_string={"q": "city", "limit": 20})
    out = {"first search (opens the index)": time.perf_counter() - started, "status": first.status_code}
    for query in SEARCHES:
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            response = client.get("/search.json", query_string={"q": query, "limit": 20})
            times.append(time.perf_counter() - started)
            if response.status_code != 200:
                raise SystemExit(f"search {query!r} answered {response.status_code}")
        out[f"search {query!r} ({response.get_json()['total']:,} found)"] = statistics.median(times)
    out["PSS grown while searching"] = _pss() - before
    app.extensions["coopgraph"].store.close()
    return out


def measure(src: Path, project: Path, store: Path, runs: int) -> dict:
    command = [sys.executable, __file__, "--child", "--project", str(project), "--store", str(store)]
    command += ["--runs", str(runs)]
    done = subprocess.run(
        command, env={**os.environ, "PYTHONPATH": str(src)}, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"the measuring process failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def cell(name: str, value: float) -> str:
    if name.startswith("PSS"):
        return f"{value / MIB:,.0f} MiB"
    return f"{value * 1000:,.1f} ms" if value < 1 else f"{value:,.2f} s"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--project", type=Path, required=True, help="the project the store was built from")
    parser.add_argument("--store", type=Path, required=True, help="a built store folder")
    parser.add_argument("--baseline-src", type=Path, help="the src/ folder of another checkout to compare with")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(str(args.project), str(args.store), args.runs)))
        return
    trees = [("this checkout", ROOT / "src")]
    if args.baseline_src:
        trees.insert(0, ("baseline", args.baseline_src))
    results = {}
    for label, src in trees:
        measure(src, args.project, args.store, 1)  # derives the index if no process has yet
        results[label] = measure(src, args.project, args.store, args.runs)
    labels = list(results)
    print("| measure | " + " | ".join(labels) + (" | this / baseline |" if len(labels) == 2 else " |"))
    print("| --- |" + " ---: |" * (len(labels) + (len(labels) == 2)))
    first = results[labels[0]]
    for name in first:
        if name == "status":
            continue
        row = [cell(name, results[label][name]) for label in labels]
        if len(labels) == 2:
            row.append(f"{results[labels[1]][name] / first[name]:.2f}" if first[name] else "")
        print(f"| {name} | " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
