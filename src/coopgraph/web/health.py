"""``/health``: for load balancers and monitoring (store reachable, graph version, triples)."""

from __future__ import annotations

from flask import Blueprint, jsonify

from ..errors import CoopgraphError
from .services import services

bp = Blueprint("health", __name__)


@bp.get("/health")
def health():
    svc = services()
    try:
        store = svc.store
        body = {"status": "ok", "version": store.version(), "triples": store.count()}
        return jsonify(body)
    except CoopgraphError as exc:
        return jsonify({"status": "unavailable", "message": exc.message}), 503
