"""The web application: ``create_app`` and one blueprint per concern.

The web layer only translates HTTP to calls on the core (store, stored queries,
validation) and back; it holds no logic of its own about RDF.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
import time
from typing import Any, Mapping

from flask import Blueprint, Flask, g, request

from ..config import Settings, load_settings
from .services import Services

log = logging.getLogger(__name__)
access_log = logging.getLogger("coopgraph.access")


def blueprint_modules():
    """Every module of this package that defines a blueprint ``bp`` (one per concern), by name."""
    modules = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        if isinstance(getattr(module, "bp", None), Blueprint):
            modules.append(module)
    return modules


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

    @app.before_request
    def _start_timer():
        g.started = time.perf_counter()

    @app.after_request
    def _log_request(response):
        started = g.get("started")
        if started is not None:
            duration = (time.perf_counter() - started) * 1000
            access_log.info('%s "%s %s" %s %d %.1fms', request.remote_addr, request.method,
                            request.full_path.rstrip("?"), response.status_code,
                            response.content_length or 0, duration)
        return response

    return app
