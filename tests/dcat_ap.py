"""Validate a description against the official DCAT-AP 3.0.1 SHACL shapes (tests/data/dcat-ap), offline."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pyshacl
import rdflib
from rdflib.namespace import SH

SHAPES = Path(__file__).resolve().parent / "data" / "dcat-ap" / "3.0.1"

#: The two shape sets of the 3.0.1 release: the split files of the specification's HTML
#: (mandatory, ranges, recommended, deprecated terms) and the SHACL template.
PROFILES = {
    "3.0.1 shapes": [
        "html-shacl/shapes.ttl",
        "html-shacl/range.ttl",
        "html-shacl/shapes_recommended.ttl",
        "html-shacl/deprecateduris.ttl",
    ],
    "3.0.1 template": ["shacl/dcat-ap-SHACL.ttl"],
}

DCAT = rdflib.Namespace("http://www.w3.org/ns/dcat#")
DCT = rdflib.Namespace("http://purl.org/dc/terms/")
DCATAP = rdflib.Namespace("http://data.europa.eu/r5r/")

#: Recommended properties the description leaves out on purpose, rather than guess them:
#: no bounding box or centroid is known for the territories; no deployment promise about how
#: long files stay available; the kind of publisher (ADMS publisher type) of the project is
#: not stated anywhere.
ACCEPTED_WARNINGS = {DCAT.bbox, DCAT.centroid, DCATAP.availability, DCT.type}


@cache
def shapes_graph(profile: str) -> rdflib.Graph:
    graph = rdflib.Graph()
    for name in PROFILES[profile]:
        graph.parse(SHAPES / name, format="turtle")
    # Upstream defect (see ORIGIN.md): references to property shapes described nowhere.
    for shape, node in list(graph.subject_objects(SH.property)):
        if (node, SH.path, None) not in graph:
            graph.remove((shape, SH.property, node))
    return graph


def validate(data: rdflib.Graph, profile: str) -> list[dict]:
    """Validate without fetching anything; return the results as dicts (severity, focus, path, message)."""
    _, report, _ = pyshacl.validate(
        data,
        shacl_graph=shapes_graph(profile),
        do_owl_imports=False,
        inference="none",
        allow_warnings=False,
        advanced=False,
    )
    results = []
    for result in report.subjects(rdflib.RDF.type, SH.ValidationResult):
        results.append(
            {
                "severity": report.value(result, SH.resultSeverity),
                "focus": report.value(result, SH.focusNode),
                "path": report.value(result, SH.resultPath),
                "message": str(report.value(result, SH.resultMessage)),
            }
        )
    return results


def violations(results: list[dict]) -> list[dict]:
    return [r for r in results if r["severity"] == SH.Violation]


def unexpected_warnings(results: list[dict]) -> list[dict]:
    return [r for r in results if r["severity"] != SH.Violation and r["path"] not in ACCEPTED_WARNINGS]
