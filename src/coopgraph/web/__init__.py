"""The web application: ``create_app`` and one blueprint per concern.

The web layer only translates HTTP to calls on the core (store, stored queries,
validation) and back; it holds no logic of its own about RDF.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from ..config import Settings, load_settings
from .security import SecurityHeaders
from .services import Services
from .uploads import largest_body
from .wsgi import AnswerFrame


def blueprint_modules() -> list:
    """The blueprint modules, one per concern, in the order they are registered.

    Listed by hand so that a search for a blueprint finds where it is registered; the order
    is the order hooks (``before_request``, ``after_request``) and routes are installed in.
    """
    from . import (
        changes,
        contributions,
        cors,
        dataset,
        health,
        openapi,
        pages,
        query_api,
        query_pages,
        resources,
        search,
        sparql,
        validate,
        views,
        writes,
    )

    return [
        query_api,  # /api/queries: the stored-query API
        contributions,  # /api/contributions: the ledger of accepted contributions
        changes,  # /changes: every contribution, withdrawal and maintainer's write (HTML, JSON, Atom)
        cors,  # CORS headers for the API and the endpoint
        search,  # /search
        health,  # /health
        openapi,  # /api, /api/openapi.json
        pages,  # /, /ontology
        dataset,  # /download, /dataset, /.well-known/void, /context.jsonld
        query_pages,  # /queries: the stored queries as pages
        resources,  # /id/..., /resource
        sparql,  # /sparql
        validate,  # /validate, /api/validate
        views,  # /map, /timeline, /network
        writes,
    ]  # /store: the Graph Store Protocol (SPARQL Update is on /sparql)


def create_app(config: Settings | Mapping[str, Any] | None = None, store=None) -> Flask:
    """Build the Flask app from settings (or a mapping of overrides) and an optional open store."""
    settings = config if isinstance(config, Settings) else load_settings(**dict(config or {}))
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = max(settings.max_upload_bytes, settings.max_request_bytes)
    app.config["JSON_SORT_KEYS"] = False
    app.json.ensure_ascii = False
    app.extensions["coopgraph"] = Services(settings, store)

    from . import errors

    errors.init_app(app)
    for module in blueprint_modules():
        app.register_blueprint(module.bp)
        if hasattr(module, "init_app"):
            module.init_app(app)

    from . import warmup

    warmup.init_app(app)  # after a write, the pages' derived values are derived again at once
    app.wsgi_app = AnswerFrame(app.wsgi_app, max_body_bytes=largest_body(settings))
    app.wsgi_app = SecurityHeaders(app.wsgi_app)
    return app
