"""The web app's shared parts: one error shape, /health, the access log."""

from __future__ import annotations

import logging

import pytest

from coopgraph.web import create_app


@pytest.fixture(scope="module")
def mini_app(mini_settings, mini_store):
    app = create_app(mini_settings, store=mini_store)
    app.config["TESTING"] = True
    return app


def test_health_reports_version_and_size(mini_app, mini_store):
    body = mini_app.test_client().get("/health").get_json()
    assert body == {"status": "ok", "version": mini_store.version(), "triples": mini_store.count()}


@pytest.mark.parametrize(
    "path, status, code",
    [
        ("/no/such/page", 404, "not-found"),
        ("/sparql?query=SELECT%20*%20WHERE%20%7B", 400, "query-syntax-error"),
    ],
)
def test_one_json_error_shape(mini_app, path, status, code):
    response = mini_app.test_client().get(path, headers={"Accept": "application/json"})
    body = response.get_json()
    assert response.status_code == status and response.mimetype == "application/json"
    assert body["error"] == code and body["status"] == status and body["message"]
    assert set(body) <= {"error", "status", "message", "hint", "details"}


def test_browsers_get_an_escaped_html_error(mini_app):
    response = mini_app.test_client().get("/no/<script>alert(1)</script>", headers={"Accept": "text/html"})
    assert response.status_code == 404 and response.mimetype == "text/html"
    assert b"<script>alert" not in response.data


def test_one_access_log_line_per_request(mini_app, caplog):
    with caplog.at_level(logging.INFO, logger="coopgraph.access"):
        mini_app.test_client().get("/health")
    lines = [r.getMessage() for r in caplog.records if r.name == "coopgraph.access"]
    assert len(lines) == 1 and '"GET /health" 200' in lines[0] and lines[0].endswith("ms")
