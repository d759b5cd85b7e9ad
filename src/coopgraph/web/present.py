"""How the pages show RDF terms: where an IRI links to, what it is called, its machine twins.

Kept in one place so every page links the same way: our resources to their /id/ page
(on this server, whatever the configured base IRI), ontology terms to their entry on
/ontology, a contribution graph to its API record, other IRIs to themselves, and only
over http(s) (a ``javascript:`` IRI in the data must never become a live link).
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

import pyoxigraph as ox
from flask import Response, current_app

from ..cache import PerVersion
from ..describe.ontology import anchor, ontology_doc
from ..describe.resource import compact
from ..formats import RDF_FORMATS
from ..knowledge.explanation import RULES_REFERENCE
from ..namespaces import ONTOLOGY, RDF_TYPE
from .i18n import current_lang, standard_name, t, with_lang
from .services import services

#: The machine-readable formats every resource (and the ontology) is offered in, by suffix.
SUFFIXES = {".ttl": "turtle", ".jsonld": "jsonld", ".nt": "ntriples", ".rdf": "rdfxml"}
FORMAT_TITLES = {"turtle": "Turtle", "jsonld": "JSON-LD", "ntriples": "N-Triples", "rdfxml": "RDF/XML"}


def cache() -> PerVersion:
    return current_app.extensions.setdefault("coopgraph.derived", PerVersion())


def derived(key: str, build):
    """A value derived from the whole graph, rebuilt when the store changes."""
    return cache().get(services().store, key, build)


def derived_file(name: str, write, open_file):
    """A value kept in a file derived from the whole graph (the search index), rewritten when the store changes."""
    return cache().get_file(services().store, name, write, open_file)


def ontology_terms() -> set[str]:
    return derived("ontology", ontology_doc).iris


def resource_path(iri: str) -> str | None:
    """The path of an IRI of ours on this server (/id/...), or None."""
    id_base = services().iris.id_base
    if iri.startswith(id_base) and len(iri) > len(id_base):
        return "/id/" + quote(iri[len(id_base) :], safe="/:@-._~!$&'()*+,;=")
    return None


def page_url(iri: str, lang: str | None = None) -> str | None:
    """Where a link to this IRI should go, or None when it should not be a link."""
    iris = services().iris
    path = resource_path(iri)
    if path:
        return with_lang(path, lang)
    if iri.startswith(iris.contribution_base):
        return "/api/contributions/" + quote(iri[len(iris.contribution_base) :], safe="")
    if iri in ontology_terms():
        return with_lang("/ontology", lang) + "#" + anchor(iri)
    if is_ours(iri):
        # a graph, an individual of the ontology (cg:highConfidence): described here, never off-site
        return with_lang("/resource?" + urlencode({"iri": iri}), lang)
    if iri.startswith(("http://", "https://")):
        return iri
    return None


def is_ours(iri: str) -> bool:
    """True for IRIs minted by this dataset (under the base IRI or in the ontology's namespace)."""
    return iri.startswith((services().iris.base, ONTOLOGY))


def safe_href(url: str | None) -> str | None:
    """Let only web addresses and local paths through as links."""
    if not url:
        return None
    if url.startswith(("http://", "https://")) or (url.startswith("/") and not url.startswith("//")):
        return url
    return None


def name_of(iri: str, label: str | None = None) -> str:
    """A readable name for an IRI: its label, a known property name, or a compact form."""
    if label:
        return label
    known = standard_name(iri, current_lang())
    if known:
        return known
    iris = services().iris
    if iri.startswith(iris.id_base):
        return iri[len(iris.id_base) :]
    return compact(iri, iris.prefixes())


def graph_badge(ref) -> tuple[str, str | None, str]:
    """(text, link, css class) for the named graph a fact comes from."""
    text = t("graph_" + ref.kind, name=ref.name)
    link = page_url(ref.iri) if ref.kind == "contribution" else None
    return text, link, ref.kind


#: The message that puts an OWL 2 RL rule's axiom in words, and the rule variables it names, by rule.
DERIVATION_MESSAGES: dict[str, tuple[str, tuple[str, ...]]] = {
    "cax-sco/cax-eqc": ("axiom_subclass", ("c", "d")),
    "prp-spo1/prp-eqp": ("axiom_subproperty", ("p", "q")),
    "prp-dom": ("axiom_domain", ("p", "c")),
    "prp-rng": ("axiom_range", ("p", "c")),
    "prp-inv1": ("axiom_inverse", ("p", "q")),
    "prp-inv2": ("axiom_inverse", ("p", "q")),
    "prp-symp": ("axiom_symmetric", ("p",)),
    "prp-trp": ("axiom_transitive", ("p",)),
    "prp-spo2": ("axiom_chain", ("p", "p1", "p2")),
}


def derivation_message(rule: str) -> tuple[str, tuple[str, ...]]:
    """(message key, axiom variables) for a rule; a rule without words of its own is only named."""
    return DERIVATION_MESSAGES.get(rule, ("axiom_unnamed", ()))


def link_header(alternates: list[tuple[str, str, str]]) -> str:
    """A Link header value announcing alternates: (url, media type, title)."""
    return ", ".join(f'<{url}>; rel="alternate"; type="{media}"; title="{title}"' for url, media, title in alternates)


def rdf_alternates(path: str) -> list[tuple[str, str, str]]:
    """The machine-readable twins of a path that takes the RDF suffixes."""
    return [(path + suffix, RDF_FORMATS[name].media_type, FORMAT_TITLES[name]) for suffix, name in SUFFIXES.items()]


def announce(response: Response, alternates: list[tuple[str, str, str]]) -> Response:
    if alternates:
        existing = response.headers.get("Link")
        value = link_header(alternates)
        response.headers["Link"] = f"{existing}, {value}" if existing else value
    return response


def template_helpers() -> dict:
    return {
        "page_url": page_url,
        "safe_href": safe_href,
        "name_of": name_of,
        "graph_badge": graph_badge,
        "derivation_message": derivation_message,
        "rules_reference": RULES_REFERENCE,
        "resource_path": resource_path,
        "rdf_type": RDF_TYPE,
        "compact_name": lambda iri: compact(iri, services().iris.prefixes()),
        "is_literal": lambda term: isinstance(term, ox.Literal),
    }
