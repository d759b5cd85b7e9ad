"""``/queries``: the stored queries for people — a list by tag, and a form per query that runs it.

The pages read requests exactly as the API does (web/stored.py) and link each answer's
download formats to the API, so what a person sees is what a script gets.
"""

from __future__ import annotations

import re
from collections import defaultdict
from urllib.parse import urlencode

import pyoxigraph as ox
from flask import Blueprint, render_template, request, url_for

from .. import answers
from ..errors import CoopgraphError
from ..formats import compact_iri
from ..namespaces import DCT, ONTOLOGY, RDFS, XSD
from ..queries import Parameter, enumeration, fetch_labels, get_query, without_comments
from .query_paging import MAX_CHOICES, label_languages, page_links, resource_href, run_page
from .services import services

bp = Blueprint("query_pages", __name__)

INPUT_TYPES = {"date": "date", "integer": "number", "decimal": "number"}
PLACEHOLDERS = {"langstring": "text@en", "year": "YYYY", "date": "YYYY-MM-DD", "boolean": "true or false"}


@bp.get("/queries")
def query_list():
    """Every stored query once, with its tags; ``?tag=`` keeps those with that tag."""
    queries = services().queries
    by_tag: dict[str, int] = defaultdict(int)
    for query in queries.values():
        for tag in query.tags or ["other"]:
            by_tag[tag] += 1
    tags = sorted(by_tag.items(), key=lambda item: (item[0] == "other", item[0].casefold()))
    chosen = request.args.get("tag", "").strip()
    listed = sorted(
        (q for q in queries.values() if not chosen or chosen in (q.tags or ["other"])), key=lambda q: q.title.casefold()
    )
    html = render_template("queries/list.html", tags=tags, count=len(queries), queries=listed, chosen=chosen)
    return html, 200, {"Link": '</api/queries>; rel="alternate"; type="application/json"'}


def form_fields(query, svc) -> list[dict]:
    """What the form shows for each parameter: its widget, choices and current value."""
    fields = []
    for parameter in query.parameters:
        choices = enumeration(
            parameter, svc.store, languages=label_languages(), limit=MAX_CHOICES, timeout=svc.settings.query_timeout
        )
        if choices is None and parameter.type == "boolean":
            choices = [("true", "yes"), ("false", "no")]
        submitted = request.args.get(parameter.name)
        fields.append(
            {
                "parameter": parameter,
                "label": parameter.label or parameter.name.replace("_", " "),
                "choices": choices,
                "value": parameter.default if submitted is None else submitted,
                "input_type": INPUT_TYPES.get(parameter.type, "text"),
                "step": {"integer": "1", "decimal": "any"}.get(parameter.type),
                "pattern": "[0-9]{4}" if parameter.type == "year" else None,
                "placeholder": parameter.example or PLACEHOLDERS.get(parameter.type, ""),
                "help": help_text(parameter),
            }
        )
    return fields


def help_text(parameter: Parameter) -> str:
    parts = [parameter.description.rstrip(".") + "."] if parameter.description else []
    parts.append(f"Expected: {parameter.expected}.")
    if parameter.example:
        parts.append(f"Example: {parameter.example}")
    return " ".join(parts)


def display(term, labels: dict[str, str], prefixes: dict[str, str]) -> dict:
    """A table cell: the text to show, where it links, and the language or datatype it carries."""
    if term is None:
        return {"text": ""}
    if isinstance(term, ox.NamedNode):
        label = labels.get(term.value)
        short = compact_iri(term.value, prefixes).strip("<>")
        return {
            "text": label or short,
            "href": resource_href(term.value),
            "title": term.value,
            "iri": short if label else None,
        }
    if isinstance(term, ox.Literal):
        datatype = None if term.language or term.datatype.value == XSD + "string" else term.datatype.value
        return {
            "text": term.value,
            "lang": term.language or None,
            "title": compact_iri(datatype, prefixes).strip("<>") if datatype else None,
        }
    if isinstance(term, ox.BlankNode):
        return {"text": f"_:{term.value}"}
    return {"text": str(term)}


#: A cell listing source identifiers, as the stored queries give them (GROUP_CONCAT of dct:identifier).
SOURCE_LIST = re.compile(r"^[A-Z]+[0-9]+(?:, [A-Z]+[0-9]+)*$")


def source_links(columns, rows, sources: dict[str, tuple[str, str]]) -> None:
    """Turn cells of a sources column ("S3, S30") into links to the sources, titled by their names.

    Why: a code alone means nothing to a reader; the page of the source says what it is.
    ``sources`` maps an identifier to (page, name); codes the graph does not know stay text.
    """
    for index, (variable, _) in enumerate(columns):
        if "source" not in variable.casefold():
            continue
        for row in rows:
            cell = row[index]
            if not SOURCE_LIST.match(cell.get("text", "")):
                continue
            codes = cell["text"].split(", ")
            if all(code in sources for code in codes):
                cell["links"] = [{"text": code, "href": sources[code][0], "title": sources[code][1]} for code in codes]


def known_sources(store) -> dict[str, tuple[str, str]]:
    """Every source of the graph by its identifier: (its page, its name)."""
    rows = store.select(
        f"SELECT ?s ?id ?label WHERE {{ ?s a <{ONTOLOGY}Source> ; <{DCT}identifier> ?id . "
        f"OPTIONAL {{ ?s <{RDFS}label> ?label }} }}"
    )
    return {
        r["id"].value: (resource_href(r["s"].value), r["label"].value if "label" in r else r["id"].value) for r in rows
    }


def table(result, labels, prefixes, query=None) -> tuple[list[tuple[str, str]], list[list[dict]]]:
    """The columns as (variable, the name people read) and the rows as cells."""
    if result.kind == "select":
        columns = [(v, query.column_label(v) if query else v) for v in result.variables]
        return columns, [[display(t, labels, prefixes) for t in row] for row in result.rows]
    return [(v, v) for v in ("subject", "predicate", "object")], [
        [
            display(t.subject, labels, prefixes),
            display(t.predicate, labels, prefixes),
            display(t.object, labels, prefixes),
        ]
        for t in result.triples
    ]


@bp.get("/queries/<name>")
def query_page(name: str):
    svc = services()
    query = get_query(svc.queries, name)
    prefixes = svc.iris.prefixes()
    context = {
        "query": query,
        "fields": form_fields(query, svc),
        "submitted": bool(request.args),
        "error": None,
        "answer": None,
    }
    status = 200
    if request.args:
        try:
            page = run_page(query, request.args)
        except CoopgraphError as exc:
            context["error"], status = exc, exc.http_status
        else:
            result = page.result
            terms = (
                [t for row in result.rows for t in row]
                if result.kind == "select"
                else [t for tr in result.triples for t in (tr.subject, tr.predicate, tr.object)]
                if result.kind == "graph"
                else []
            )
            labels = fetch_labels(svc.store, terms, label_languages(), timeout=svc.settings.query_timeout)
            columns, rows = table(result, labels, prefixes, query) if result.kind != "ask" else ([], [])
            if any("source" in variable.casefold() for variable, _ in columns):
                source_links(columns, rows, known_sources(svc.store))
            kept = [(k, v) for k in request.args for v in request.args.getlist(k) if k != "run"]
            downloads = [
                {
                    "format": f,
                    "href": url_for("api.query_results", name=name) + "?" + urlencode(kept + [("format", f.name)]),
                }
                for f in answers.formats_for(answers.answer_kind(query))
            ]
            context["answer"] = {
                "kind": result.kind,
                "columns": columns,
                "rows": rows,
                "boolean": getattr(result, "value", None),
                "offset": page.offset,
                "links": page_links(page, "query_pages.query_page", request.args),
                "downloads": downloads,
            }
    limit_arg = request.args.get("limit", "")
    context["max_rows"] = svc.settings.max_result_rows
    context["page_size"] = (
        int(limit_arg)
        if limit_arg.isdigit()
        else min(query.pagination or svc.settings.max_result_rows, svc.settings.max_result_rows)
    )
    context["sparql_shown"] = without_comments(query.text)
    html = render_template("queries/page.html", **context)
    link = f'<{url_for("api.query_metadata", name=name)}>; rel="alternate"; type="application/json"'
    return html, status, {"Link": link}
