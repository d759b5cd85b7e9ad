"""An in-memory store reasoned over again and again: left as it is, or moved into a fresh store each time.

Every withdrawal, and every maintainer's write, on an in-memory server reasons from
scratch: the inferred graph is dropped and drawn again. pyoxigraph's in-memory store keeps
what deleted quads held, so without ``Store.reclaim`` the process grew and slowed with every
such write. Each side runs in a process of its own (its resident memory is its own):
the synthetic graph is loaded and reasoned over, then reasoned over ``--times`` more times,
and after each time the script reads the process's resident memory and times a join over
every typed resource (a scan of the whole store).

    python benchmarks/rereason.py --size 1M --times 4
"""

from __future__ import annotations

import os
import sys

sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]

import argparse  # noqa: E402
import importlib.util  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

from coopgraph.config import load_settings  # noqa: E402
from coopgraph.knowledge.build import run_reasoning  # noqa: E402
from coopgraph.knowledge.loader import load_files, project_files  # noqa: E402
from coopgraph.store.embedded import OxigraphStore  # noqa: E402


def _module(name: str):
    spec = importlib.util.spec_from_file_location(f"benchmark_{name}", HERE / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


JOIN = "SELECT (COUNT(*) AS ?n) WHERE { ?s a ?c . ?s ?p ?o }"
SIDES = ("as it is", "reclaimed")


def resident_gib() -> float:
    return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**30


def one_side(project: Path, times: int, reclaim: bool) -> list[dict]:
    """Reason ``times`` + 1 times over the project in memory; a row of figures after each."""
    settings = load_settings(environ={}, root=str(project), store="memory")
    store = OxigraphStore(settings.iris)
    load_files(
        store,
        project_files(settings.ontology_dir, settings.shapes_dir, settings.data_dir, settings.iris),
        settings.iris,
    )
    rows = []
    for _ in range(times + 1):
        started = time.perf_counter()
        run_reasoning(store)
        reasoning = time.perf_counter() - started
        started = time.perf_counter()
        if reclaim:
            store.reclaim()
        reclaiming = time.perf_counter() - started
        started = time.perf_counter()
        store.select(JOIN)
        rows.append(
            {"reason": reasoning, "reclaim": reclaiming, "join": time.perf_counter() - started, "rss": resident_gib()}
        )
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="100k")
    parser.add_argument("--times", type=int, default=4, help="reasonings after the first")
    parser.add_argument("--side", choices=SIDES, help=argparse.SUPPRESS)
    parser.add_argument("--project", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.side:  # a child: one side, figures as JSON
        print(json.dumps(one_side(Path(args.project), args.times, args.side == "reclaimed")))
        return
    run = _module("run")
    generate = _module("generate")
    print(f"# {run.machine()}\n")
    with tempfile.TemporaryDirectory(prefix="coopgraph-rereason-") as folder:
        project = Path(folder) / "project"
        generate.write_project(project, generate.parse_size(args.size))
        figures = {}
        for side in SIDES:
            answer = subprocess.run(
                [sys.executable, __file__, "--side", side, "--project", str(project), "--times", str(args.times)],
                check=True,
                capture_output=True,
                text=True,
            )
            figures[side] = json.loads(answer.stdout.strip().splitlines()[-1])
    print(f"{args.size}: reasoning from scratch again and again, in memory\n")
    columns = ["reasoning", "resident, as it is", "resident, reclaimed", "ratio"]
    columns += ["join, as it is", "join, reclaimed", "ratio", "reclaim took"]
    print("| " + " | ".join(columns) + " |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for number, (kept, fresh) in enumerate(zip(figures["as it is"], figures["reclaimed"], strict=True), 1):
        print(
            f"| {number} | {kept['rss']:.2f} GiB | {fresh['rss']:.2f} GiB | {fresh['rss'] / kept['rss']:.2f} "
            f"| {kept['join']:.2f} s | {fresh['join']:.2f} s | {fresh['join'] / kept['join']:.2f} "
            f"| {fresh['reclaim']:.2f} s |"
        )


if __name__ == "__main__":
    main()
