"""Labels of the standard vocabulary terms (skos:note, prov:Agent...) that the graph uses but does not define.

The graph holds our ontology's labels, not those of SKOS, PROV or Dublin Core, so pages,
facets and tables would show such terms as prefixed names. The labels ship with the
package (resources/vocabularies/labels.ttl, in English and Japanese) and are used only
where the graph itself gives a term no label.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import pyoxigraph as ox

from ..namespaces import RDFS

LABELS_FILE = "resources/vocabularies/labels.ttl"


@lru_cache(maxsize=1)
def vocabulary_labels() -> dict[str, tuple[ox.Literal, ...]]:
    """The shipped labels, by term IRI (read once, on first use)."""
    data = resources.files("coopgraph").joinpath(LABELS_FILE).read_bytes()
    labels: dict[str, list[ox.Literal]] = {}
    for triple in ox.parse(data, format=ox.RdfFormat.TURTLE):
        if triple.predicate.value == RDFS + "label" and isinstance(triple.object, ox.Literal):
            labels.setdefault(triple.subject.value, []).append(triple.object)
    return {iri: tuple(literals) for iri, literals in labels.items()}
