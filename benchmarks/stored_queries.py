"""What the stored-query API costs on top of the query itself, per curated stored query.

Baseline: the query run on the store directly (its example values bound, the same page
size). Against it, side by side: the API's JSON answer (binding checks, one label query
for the page's IRIs, the JSON shape) and its CSV answer (no labels). Prints a table of
median milliseconds and the ratios to the baseline.

    .venv/bin/python benchmarks/stored_queries.py [--repeat 15]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from coopgraph.config import load_settings  # noqa: E402
from coopgraph.knowledge.build import build  # noqa: E402
from coopgraph.queries import bind_parameters, run_stored_query  # noqa: E402
from coopgraph.web import create_app  # noqa: E402


def median_ms(action, repeat: int) -> float:
    action()  # warm up (and fill any cache) once
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    settings = load_settings(environ={}, root=str(ROOT))
    store, _ = build(settings)
    app = create_app(settings, store=store)
    client = app.test_client()
    queries = app.extensions["coopgraph"].queries
    prefixes = settings.iris.prefixes()
    print(
        f"# {platform.machine()} {platform.processor() or ''} Python {platform.python_version()}, "
        f"{store.count()} quads, median of {args.repeat}"
    )
    print(f"{'query':<34} {'rows':>5} {'store ms':>9} {'API JSON ms':>12} {'ratio':>6} {'API CSV ms':>11} {'ratio':>6}")
    for name, query in queries.items():
        values = query.example_values()
        bindings = bind_parameters(query, values, store, prefixes)
        result, _ = run_stored_query(store, query, bindings=bindings, max_rows=settings.max_result_rows)
        rows = len(getattr(result, "rows", getattr(result, "triples", [])))
        base = median_ms(
            lambda: run_stored_query(store, query, bindings=bindings, max_rows=settings.max_result_rows), args.repeat
        )
        url = f"/api/queries/{name}/results"

        def api(fmt: str):
            response = client.get(url, query_string={**values, "format": fmt})
            assert response.status_code == 200, response.get_data(as_text=True)

        as_json = median_ms(lambda: api("json"), args.repeat)
        as_csv = median_ms(lambda: api("csv" if query.form == "SELECT" else "json"), args.repeat)
        print(
            f"{name:<34} {rows:>5} {base:>9.1f} {as_json:>12.1f} {as_json / base:>6.2f} {as_csv:>11.1f} "
            f"{as_csv / base:>6.2f}"
        )


if __name__ == "__main__":
    main()
