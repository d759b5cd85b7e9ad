"""The web application: ``create_app`` and one blueprint per concern.

The web layer only translates HTTP to calls on the core (store, stored queries,
validation) and back; it holds no logic of its own about RDF.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any, Mapping

from flask import Blueprint, Flask

from ..config import Settings, load_settings
from .security import SecurityHeaders
from .services import Services
from .uploads import largest_body
from .wsgi import AnswerFrame


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

    app.wsgi_app = AnswerFrame(app.wsgi_app, max_body_bytes=largest_body(settings))
    app.wsgi_app = SecurityHeaders(app.wsgi_app)
    return app
