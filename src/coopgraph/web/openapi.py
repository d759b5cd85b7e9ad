"""``/api/openapi.json`` and ``/api``: the stored-query API described from the query headers.

Each stored query becomes one operation, ``GET /api/queries/{name}/results``, whose
parameters are typed from its header; enumerations become ``enum`` (fixed ones from the
header, graph-drawn ones and the instances of an IRI parameter's class from the graph,
up to a few hundred), examples and defaults carry over. The document is rebuilt when
the graph's content changes, so graph-drawn enumerations stay true. The ``/api`` page
renders it with Swagger UI, vendored in static/vendor/swagger-ui (no CDN).
"""

from __future__ import annotations

import importlib.metadata
import re

from flask import Blueprint, current_app, jsonify, render_template, request

from .. import answers
from ..queries import Parameter, StoredQuery, enumeration
from .query_paging import MAX_CHOICES
from .services import services

bp = Blueprint("openapi", __name__)

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error", "status", "message"],
    "additionalProperties": False,
    "properties": {
        "error": {"type": "string", "description": "A short machine-readable code, e.g. invalid-parameter."},
        "status": {"type": "integer", "description": "The HTTP status."},
        "message": {"type": "string", "description": "What went wrong."},
        "hint": {"type": "string", "description": "What to do about it."},
        "details": {
            "type": "object",
            "description": "For a bad parameter: `parameter` (its name) and `expected` (the type it wants).",
        },
    },
}
CELL_SCHEMA = {
    "type": "object",
    "nullable": True,
    "required": ["type", "value"],
    "description": "One value of a row; null when the variable is unbound.",
    "properties": {
        "type": {"type": "string", "enum": ["iri", "literal", "bnode", "triple"]},
        "value": {"description": "The IRI, the literal's lexical form, or the blank node's label."},
        "label": {"type": "string", "nullable": True, "description": "For IRIs: a label in the reader's language."},
        "language": {"type": "string", "description": "For language-tagged literals."},
        "datatype": {"type": "string", "description": "For typed literals other than plain strings."},
    },
}
HEAD_PROPERTIES = {
    "query": {"type": "string"},
    "title": {"type": "string"},
    "form": {"type": "string"},
    "parameters": {
        "type": "object",
        "additionalProperties": {"type": "string"},
        "description": "The values the query ran with (defaults included).",
    },
}
RESULTS_SCHEMA = {
    "type": "object",
    "required": ["query", "columns", "rows", "offset", "hasMore", "next", "prev"],
    "properties": {
        **HEAD_PROPERTIES,
        "columns": {"type": "array", "items": {"type": "string"}},
        "rows": {
            "type": "array",
            "items": {"type": "object", "additionalProperties": {"$ref": "#/components/schemas/Cell"}},
        },
        "limit": {"type": "integer", "nullable": True},
        "offset": {"type": "integer"},
        "hasMore": {"type": "boolean"},
        "next": {"type": "string", "nullable": True, "description": "URL of the next page."},
        "prev": {"type": "string", "nullable": True, "description": "URL of the previous page."},
    },
}
ASK_SCHEMA = {
    "type": "object",
    "required": ["query", "boolean"],
    "properties": {**HEAD_PROPERTIES, "boolean": {"type": "boolean"}},
}
ANY_OBJECT = {"type": "object"}
TEXT = {"type": "string"}


def _error_response(description: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def parameter_schema(parameter: Parameter, choices: list[tuple[str, str]] | None) -> dict:
    """The JSON Schema of one parameter's value, as it travels in a query string."""
    kind = parameter.type
    schema: dict = {
        "iri": {"type": "string", "format": "uri"},
        "string": {"type": "string"},
        "langstring": {"type": "string"}
        if parameter.language
        else {"type": "string", "pattern": r"^[\s\S]*@[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$"},
        "integer": {"type": "integer"},
        "decimal": {"type": "number"},
        "date": {"type": "string", "format": "date"},
        "year": {"type": "string", "pattern": "^[0-9]{4}$"},
        "boolean": {"type": "boolean"},
    }[kind]
    if choices is not None and kind != "boolean":
        schema["enum"] = [typed(kind, value) for value, _ in choices]
    if parameter.default is not None:
        schema["default"] = typed(kind, parameter.default)
    return schema


def typed(kind: str, value: str):
    """A header value as the JSON type its schema says (integers, numbers, booleans)."""
    if kind == "integer":
        return int(value)
    if kind == "decimal":
        return float(value)
    if kind == "boolean":
        return value.strip().lower() in ("true", "1")
    return value


def parameter_description(parameter: Parameter, choices: list[tuple[str, str]] | None) -> str:
    """The header's descriptions (English, Japanese), the expected type, and labelled choices when few."""
    parts = [parameter.description, parameter.description_ja, f"Expected: {parameter.expected}."]
    labelled = [f"{value} ({label})" for value, label in choices or [] if label != value]
    if labelled and len(choices) <= 30:
        parts.append(f"Choices: {', '.join(labelled)}.")
    return " ".join(part for part in parts if part)


#: Up to this many labelled choices are also given as `examples` (a dropdown of names in Swagger UI).
MAX_LABELLED_EXAMPLES = 200


def operation(query: StoredQuery, operation_id: str, store, max_rows: int, timeout: float) -> dict:
    """One operation: run this stored query."""
    kind = answers.answer_kind(query)
    params = []
    for parameter in query.parameters:
        choices = enumeration(parameter, store, limit=MAX_CHOICES, timeout=timeout)
        entry = {
            "name": parameter.name,
            "in": "query",
            "description": parameter_description(parameter, choices),
            "required": parameter.required and parameter.default is None,
            "schema": parameter_schema(parameter, choices),
        }
        if not entry["required"]:
            entry["allowEmptyValue"] = True  # an empty value means "not given", as an empty form field does
        labelled = [(value, label) for value, label in choices or [] if label and label != value]
        if labelled and len(labelled) <= MAX_LABELLED_EXAMPLES:
            # Swagger UI lists `examples` by their summaries: people choose "Koriyama", not an IRI
            entry["examples"] = {
                f"choice{number}": {"summary": label, "value": typed(parameter.type, value)}
                for number, (value, label) in enumerate(labelled, 1)
            }
            if parameter.example is not None:
                example = typed(parameter.type, parameter.example)
                first = next((k for k, v in entry["examples"].items() if v["value"] == example), None)
                if first:  # the header's example first, so it is the one filled in
                    entry["examples"] = {first: entry["examples"][first], **entry["examples"]}
        elif parameter.example is not None:
            entry["example"] = typed(parameter.type, parameter.example)
        params.append(entry)
    params += [
        {"$ref": "#/components/parameters/limit"},
        {"$ref": "#/components/parameters/offset"},
        {
            "name": "format",
            "in": "query",
            "required": False,
            "allowEmptyValue": True,
            "description": "The answer's format; without it, the Accept header chooses (JSON by default).",
            "schema": {"type": "string", "enum": [f.name for f in answers.formats_for(kind)]},
        },
    ]
    content = {}
    for fmt in answers.formats_for(kind):
        if fmt.name == "json":
            content[fmt.media_type] = {
                "schema": {"$ref": "#/components/schemas/" + ("AskResult" if kind == "ask" else "Results")}
            }
        elif fmt.media_type.endswith("json"):
            content[fmt.media_type] = {"schema": ANY_OBJECT}
        else:
            content[fmt.media_type] = {"schema": TEXT}
    description = query.description + (f"\n\n{query.description_ja}" if query.description_ja else "")
    description += (
        f"\n\nPage size: {query.pagination or max_rows} rows; `Link` headers point to the next and previous pages."
    )
    return {
        "operationId": operation_id,
        "summary": query.title,
        "description": description,
        "tags": query.tags or ["other"],
        "parameters": params,
        "responses": {
            "200": {
                "description": "The answer (one page of it).",
                "content": content,
                "headers": {
                    "Link": {
                        "description": 'rel="next" and rel="prev" page URLs, when there are such pages.',
                        "schema": {"type": "string"},
                    }
                },
            },
            "304": {"description": "Not modified since the ETag given in If-None-Match."},
            "400": _error_response(
                "A parameter is missing or has a value of the wrong type (details.parameter "
                "and details.expected say which and what)."
            ),
            "406": _error_response("None of the accepted media types can be produced for this answer."),
            "503": _error_response("The query ran past its time limit."),
        },
    }


def openapi_document() -> dict:
    """Build the OpenAPI 3 document of the API from the stored queries' headers."""
    svc = services()
    settings = svc.settings
    queries = svc.queries
    paths: dict = {
        "/api/queries": {
            "get": {
                "operationId": "listQueries",
                "summary": "List the stored queries with their metadata.",
                "tags": ["queries"],
                "responses": {
                    "200": {
                        "description": "Every stored query.",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/QueryList"}}},
                    }
                },
            }
        },
        "/api/queries/{name}": {
            "get": {
                "operationId": "getQuery",
                "summary": "One stored query: its metadata, parameters (with their choices) and SPARQL.",
                "tags": ["queries"],
                "parameters": [
                    {
                        "name": "name",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "enum": sorted(queries)} if queries else {"type": "string"},
                    }
                ],
                "responses": {
                    "200": {
                        "description": "The query's metadata.",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Query"}}},
                    },
                    "404": _error_response("There is no stored query of that name."),
                },
            }
        },
    }
    used: set[str] = set()
    for name, query in queries.items():
        operation_id = "run_" + re.sub(r"[^A-Za-z0-9_]", "_", name)
        while operation_id in used:
            operation_id += "_"
        used.add(operation_id)
        paths[f"/api/queries/{name}/results"] = {
            "get": operation(query, operation_id, svc.store, settings.max_result_rows, settings.query_timeout)
        }
    tags = sorted({tag for q in queries.values() for tag in (q.tags or ["other"])}, key=str.casefold)
    try:
        version = importlib.metadata.version("coopgraph")
    except importlib.metadata.PackageNotFoundError:
        version = "0"
    document = {
        "openapi": "3.0.3",
        "info": {
            "title": "coopgraph stored-query API",
            "version": version,
            "description": "Stored SPARQL queries over the coopgraph knowledge graph of EU–Japan cooperation "
            "on regional and urban policy, each runnable with its own typed parameters. "
            "Parameter values are bound as RDF terms, never pasted into the query. "
            "The arguments limit, offset and format control paging and formats; no "
            "stored query has parameters of these names. "
            "Errors share one JSON shape (the Error schema).",
        },
        "tags": [{"name": "queries", "description": "The stored queries themselves."}]
        + [{"name": tag} for tag in tags],
        "paths": paths,
        "components": {
            "schemas": {
                "Error": ERROR_SCHEMA,
                "Cell": CELL_SCHEMA,
                "Results": RESULTS_SCHEMA,
                "AskResult": ASK_SCHEMA,
                "QueryList": {
                    "type": "object",
                    "required": ["count", "queries"],
                    "properties": {
                        "count": {"type": "integer"},
                        "queries": {"type": "array", "items": {"$ref": "#/components/schemas/Query"}},
                    },
                },
                "Query": {
                    "type": "object",
                    "required": ["name", "title", "parameters", "links"],
                    "properties": {
                        "name": {"type": "string"},
                        "title": {"type": "string"},
                        "description": {"type": "string"},
                        "tags": {"type": "array", "items": {"type": "string"}},
                        "parameters": {"type": "array", "items": ANY_OBJECT},
                        "links": ANY_OBJECT,
                    },
                },
            },
            "parameters": {
                "limit": {
                    "name": "limit",
                    "in": "query",
                    "required": False,
                    "allowEmptyValue": True,
                    "description": "Rows per page (the query's own page size by default).",
                    "schema": {"type": "integer", "minimum": 1, "maximum": settings.max_result_rows},
                },
                "offset": {
                    "name": "offset",
                    "in": "query",
                    "required": False,
                    "allowEmptyValue": True,
                    "description": "Rows to skip.",
                    "schema": {"type": "integer", "minimum": 0, "maximum": 999_999_999_999, "default": 0},
                },
            },
        },
    }
    if settings.public_url:
        document["servers"] = [{"url": settings.public_url.rstrip("/")}]
    return document


@bp.get("/api/openapi.json")
def openapi_json():
    """Serve the document, rebuilt only when the graph (and so the graph-drawn enumerations) changed."""
    cache = current_app.extensions.setdefault("coopgraph.openapi", {})
    version = services().store.version()
    if cache.get("version") != version:
        cache.update(version=version, document=openapi_document())
    response = jsonify(cache["document"])
    response.set_etag(version)
    return response.make_conditional(request)


@bp.get("/api")
def api_page():
    return render_template("api.html")
