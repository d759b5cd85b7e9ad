"""``/api/validate`` and the ``/validate`` form: check RDF against the shapes and the graph it refers to.

The report comes as JSON (the shape documented in the README), Turtle (the standard
``sh:ValidationReport``) or CSV, chosen by ``format=`` or the Accept header; the form
also shows it as a page. Validating stores nothing, so the answer is 200 whether the
data conforms or not; a document that does not parse is a 400 that says where.
"""

from __future__ import annotations

import threading

from flask import Blueprint, Response, current_app, render_template, request

from ..contributions.checking import ContributionValidator
from ..errors import CoopgraphError, UsageError
from ..formats import RDF_FORMATS, negotiate, term_display
from ..knowledge.validation import ValidationReport
from .services import services
from .uploads import read_upload

bp = Blueprint("validate", __name__)

REPORT_TYPES = {"json": "application/json", "turtle": "text/turtle", "csv": "text/csv"}
_BY_MEDIA_TYPE = {media_type: name for name, media_type in REPORT_TYPES.items()}
_lock = threading.Lock()


def validator() -> ContributionValidator:
    """The app's validator: shapes compiled once, validation in killable worker processes."""
    held = current_app.extensions.get("coopgraph.validator")
    if held is None:
        with _lock:
            held = current_app.extensions.get("coopgraph.validator")
            if held is None:
                settings = services().settings
                held = ContributionValidator(
                    services().store,
                    isolated=True,
                    max_rdf_depth=settings.max_rdf_depth,
                    memory_bytes=settings.validation_memory_bytes,
                )
                current_app.extensions["coopgraph.validator"] = held
    return held


def report_format(offered: dict[str, str]) -> str:
    """The report format asked for with ``format=`` or, failing that, the Accept header."""
    asked = (request.values.get("format") or "").strip().lower()
    if asked:
        if asked not in offered:
            raise UsageError(f"unknown report format '{asked}'", hint=f"Use one of: {', '.join(offered)}.")
        return asked
    media_types = list(offered.values())
    return {v: k for k, v in offered.items()}[negotiate(request.headers.get("Accept"), media_types)]


def report_response(report: ValidationReport, name: str) -> Response:
    if name == "turtle":
        body, mimetype = report.to_turtle(), "text/turtle"
    elif name == "csv":
        body, mimetype = report.to_csv(), "text/csv"
    else:
        body, mimetype = report.to_json(), "application/json"
    response = Response(body, mimetype=mimetype)
    response.headers["Vary"] = "Accept"
    if name == "csv":
        response.headers["Content-Disposition"] = 'attachment; filename="validation-report.csv"'
    return response


def run_validation():
    svc = services()
    upload = read_upload(svc.settings)
    checker = validator()
    contribution = checker.parse(
        upload.data, upload.format, source=upload.source, timeout=svc.settings.validation_timeout
    )
    return upload, checker.validate(contribution, timeout=svc.settings.validation_timeout)


@bp.post("/api/validate")
def api_validate():
    """Validate the RDF in the body (or a multipart upload); answer with the report."""
    name = report_format(REPORT_TYPES)
    _, report = run_validation()
    return report_response(report, name)


@bp.get("/validate")
def form():
    response = Response(
        render_template(
            "validate.html",
            formats=RDF_FORMATS,
            report=None,
            error=None,
            chosen=request.args.get("input_format", "auto"),
            pasted="",
        )
    )
    response.headers["Link"] = '</api/validate>; rel="alternate"; type="application/json"'
    return response


@bp.post("/validate")
def form_post():
    """The form's answer: the report as a page, or as a download when a report format was chosen."""
    name = report_format({"html": "text/html", **REPORT_TYPES})
    chosen = request.form.get("input_format", "auto")
    pasted = request.form.get("data", "") if not (request.files.get("file") and request.files["file"].filename) else ""
    try:
        upload, report = run_validation()
    except CoopgraphError as exc:
        if name != "html" or not 400 <= exc.http_status < 500:
            raise  # the site's error page or JSON error
        return Response(
            render_template("validate.html", formats=RDF_FORMATS, report=None, error=exc, chosen=chosen, pasted=pasted),
            status=exc.http_status,
        )
    if name != "html":
        return report_response(report, name)
    prefixes = services().iris.prefixes()
    return Response(
        render_template(
            "validate.html",
            formats=RDF_FORMATS,
            report=report,
            error=None,
            source=upload.source,
            chosen=chosen,
            pasted=pasted,
            show=lambda term: term_display(term, prefixes),
        )
    )
