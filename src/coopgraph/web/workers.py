"""``X-Coopgraph-Worker``: which worker process answered a request.

With ``coopgraph serve --workers N`` the requests spread over N processes that share one
store; the header lets operators (and the tests) see which process answered without
giving away its process id: each process draws a random name the first time it answers.
"""

from __future__ import annotations

import os
import secrets

from flask import Blueprint

bp = Blueprint("workers", __name__)

_names: dict[int, str] = {}


def worker_name() -> str:
    """This process's name (drawn after the fork, so every worker has its own)."""
    return _names.setdefault(os.getpid(), secrets.token_hex(4))


def init_app(app) -> None:
    @app.after_request
    def _name_the_worker(response):
        response.headers["X-Coopgraph-Worker"] = worker_name()
        return response
