"""How the linked-data pages scale: derived views and page requests, curated graph vs synthetic.

Runs the same steps on the curated graph (the baseline) and on the curated ontology with
a synthetic data set of made-up towns, pairings, themes and meetings (Synthtown-00001...)
of about ``--triples`` triples, and prints one table with both timings and their ratio.

    .venv/bin/python benchmarks/pages.py [--triples 100000]
"""

from __future__ import annotations

import argparse
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from coopgraph.config import load_settings  # noqa: E402
from coopgraph.describe import ontology as ontodoc  # noqa: E402
from coopgraph.describe.resource import describe  # noqa: E402
from coopgraph.knowledge.build import build  # noqa: E402
from coopgraph.search import SearchIndex  # noqa: E402
from coopgraph.views import geo, network, timeline  # noqa: E402
from coopgraph.web import create_app  # noqa: E402

ID = "https://w3id.org/coopgraph/id/"


def synthetic(folder: Path, triples: int) -> Path:
    """A project with the curated ontology and made-up data of roughly ``triples`` triples."""
    root = folder / "synthetic"
    (root / "data").mkdir(parents=True)
    shutil.copytree(ROOT / "ontology", root / "ontology")
    lines = [
        "@prefix cg: <https://w3id.org/coopgraph/ontology#> .",
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .",
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .",
        "@prefix geo: <http://www.w3.org/2003/01/geo/wgs84_pos#> .",
        "@prefix schema: <https://schema.org/> .",
        "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .",
        "@prefix dct: <http://purl.org/dc/terms/> .",
    ]
    lines.append(f'<{ID}source/synthetic> a cg:Source ; rdfs:label "Synthetic source"@en .')
    for p in range(20):
        lines.append(
            f'<{ID}programme/synth-{p}> a cg:Programme ; rdfs:label "Synthetic programme {p}"@en ; '
            f'schema:startDate "{2012 + p % 10}"^^xsd:gYear ; schema:endDate "{2014 + p % 10}"^^xsd:gYear ; '
            f"dct:source <{ID}source/synthetic> ."
        )
    for t in range(100):
        lines.append(
            f'<{ID}theme/synth-{t}> a cg:Theme ; skos:prefLabel "Synthetic theme {t}"@en ; '
            f"dct:source <{ID}source/synthetic> ."
        )
    cities = max(10, triples // 22)
    for c in range(cities):
        lat, lon = (35 + (c % 97) * 0.1, 130 + (c % 89) * 0.1) if c % 2 else (45 + (c % 83) * 0.1, (c % 79) * 0.2)
        lines.append(
            f'<{ID}city/synthtown-{c:05d}> a cg:Municipality ; rdfs:label "Synthtown {c:05d}"@en, '
            f'"合成町{c:05d}"@ja ; geo:lat "{lat:.4f}"^^xsd:decimal ; geo:long "{lon:.4f}"^^xsd:decimal ; '
            f"dct:source <{ID}source/synthetic> ."
        )
        if c % 2:
            lines.append(
                f'<{ID}pairing/synth-{c:05d}> a cg:Pairing ; rdfs:label "Synthetic pairing {c:05d}"@en ; '
                f"cg:isPairingIn <{ID}programme/synth-{c % 20}> ; "
                f"cg:hasJapanSideParticipant <{ID}city/synthtown-{c:05d}> ; "
                f"cg:hasEuSideParticipant <{ID}city/synthtown-{c - 1:05d}> ; "
                f'cg:hasTheme <{ID}theme/synth-{c % 100}> ; cg:startYear "{2012 + c % 12}"^^xsd:gYear ; '
                f"dct:source <{ID}source/synthetic> ."
            )
    (root / "data" / "synthetic.ttl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


def timed(action, repeat: int = 1) -> float:
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)


def measure(root: Path, city: str) -> tuple[int, dict[str, float]]:
    settings = load_settings(environ={}, root=str(root))
    store, _ = build(settings, validate=False)
    out = {}
    out["describe a city"] = timed(lambda: describe(store, ID + city), 20)
    out["search index"] = timed(lambda: SearchIndex.build(store), 3)
    index = SearchIndex.build(store)
    out["search (substring)"] = timed(lambda: index.search("town"), 20)
    out["map data"] = timed(lambda: geo.map_data(store), 3)
    out["timeline"] = timed(lambda: timeline.timeline(store), 3)
    out["network"] = timed(lambda: network.network(store), 3)
    out["ontology doc"] = timed(lambda: ontodoc.ontology_doc(store), 3)
    client = create_app(settings, store=store).test_client()
    for path in ("/", "/map", "/timeline", "/network"):
        client.get(path)  # first request derives and caches
        out[f"GET {path} (cached)"] = timed(lambda p=path: client.get(p), 5)
    out[f"GET /id/{city}"] = timed(lambda: client.get("/id/" + city), 20)
    out[f"GET /id/{city}.ttl"] = timed(lambda: client.get("/id/" + city + ".ttl"), 20)
    return store.count(), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--triples", type=int, default=100_000)
    args = parser.parse_args()
    base_count, base = measure(ROOT, "city/koriyama")
    with tempfile.TemporaryDirectory() as folder:
        count, big = measure(synthetic(Path(folder), args.triples), "city/synthtown-00001")
    print(f"machine: {platform.machine()}, {platform.system()}, Python {platform.python_version()}")
    print(f"| step | curated ({base_count:,} quads) | synthetic ({count:,} quads) | ratio |")
    print("| --- | ---: | ---: | ---: |")
    for (name, a), b in zip(base.items(), big.values()):
        label = name.replace("city/koriyama", "city/…")
        print(f"| {label} | {a * 1000:.1f} ms | {b * 1000:.1f} ms | {b / a:.1f}x |")


if __name__ == "__main__":
    main()
