"""The request's language and the interface text in it, from the message catalogue.

Data speaks its own languages (labels carry @en / @ja); the catalogue (``catalogue.py``,
``messages/*.toml``) holds the words of the interface, so a page in Japanese is Japanese
throughout. The language is ``?lang=`` when it names one we have, else the best match for
the reader's ``Accept-Language``, else English; a page chosen by the header says so with
``Vary: Accept-Language``.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import current_app, g, request
from markupsafe import Markup, escape

from ..describe.resource import SUPPLIED_NAMES
from ..namespaces import PREFIXES
from .catalogue import DEFAULT_LANGUAGE, LANGUAGES, Catalogue

EXTENSION = "coopgraph.catalogue"


def catalogue() -> Catalogue:
    return current_app.extensions[EXTENSION]


def current_lang() -> str:
    """The request's language: ``?lang=``, else ``Accept-Language``, else English; worked out once."""
    lang = g.get("lang")
    if lang is None:
        wanted = request.args.get("lang", "")
        if wanted in LANGUAGES:
            lang = wanted
        else:
            g.lang_from_header = True
            lang = request.accept_languages.best_match(LANGUAGES, default=DEFAULT_LANGUAGE)
        g.lang = lang
    return lang


def t(key: str, **values) -> str:
    """The interface text for ``key`` in the request's language (English if untranslated).

    Messages with plural forms take ``count``, which picks the form (1 result, 2 results).
    """
    return catalogue().text(current_lang(), key, **values)


def t_markup(key: str, **values) -> Markup:
    """Like :func:`t`, for a message whose placeholders take HTML (links): the message and any
    plain-text value are escaped, values already marked safe (rendered macros) are kept."""
    return Markup(escape(catalogue().text(current_lang(), key))).format(**values)


def standard_name(iri: str, lang: str) -> str | None:
    """The interface's name for a widely used property outside our ontology (``rdf:type``), or None."""
    names = current_app.extensions[EXTENSION + ".standard"].get(iri)
    return names.get(lang) if names else None


def with_lang(url: str, lang: str | None = None) -> str:
    """Keep the reader's language on internal links (``?lang=ja``); English needs no parameter."""
    lang = lang or current_lang()
    if not url.startswith("/") or url.startswith("//"):
        return url
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "lang"]
    if lang != "en":
        query.append(("lang", lang))
    return urlunsplit(("", "", parts.path, urlencode(query), parts.fragment))


def switch_url() -> str:
    """This very page in the other language."""
    other = "en" if current_lang() == "ja" else "ja"
    return with_lang(request.full_path if request.query_string else request.path, other)


def install(app) -> None:
    """Load the catalogue once; give templates ``t``, ``lang`` and the helpers (the language is chosen lazily).

    Each request also supplies the catalogue's names for terms the graph labels in too few
    languages (``graph_names``) to the label picking of the core, and a response whose
    language came from ``Accept-Language`` gets ``Vary: Accept-Language``.
    """
    found = Catalogue.load()
    app.extensions[EXTENSION] = found
    app.extensions[EXTENSION + ".standard"] = found.names_by_iri("standard_names", PREFIXES)
    supplied = found.names_by_iri("graph_names", app.extensions["coopgraph"].iris.prefixes())

    @app.before_request
    def _supply_names():
        g.supplied_names_token = SUPPLIED_NAMES.set(supplied)

    @app.teardown_request
    def _forget_names(_error=None):
        token = g.pop("supplied_names_token", None)
        if token is not None:
            SUPPLIED_NAMES.reset(token)

    @app.after_request
    def _vary(response):
        if g.get("lang_from_header"):
            response.vary.add("Accept-Language")
        return response

    @app.context_processor
    def _inject():
        return {"t": t, "t_markup": t_markup, "lang": current_lang(), "with_lang": with_lang, "switch_url": switch_url}
