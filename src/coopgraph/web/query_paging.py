"""Running a stored query from a request: arguments, paging links, labels' language, resource links.

Shared by the JSON API (web/api.py) and the query pages (web/query_pages.py) so both
read a request the same way: the query's parameters by name, plus ``limit``,
``offset`` and ``format`` (and ``run`` on the pages), which no parameter may be named.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from flask import request, url_for
from werkzeug.datastructures import MultiDict

from ..queries import RESERVED_NAMES, StoredQuery, bind_parameters, parse_page, run_stored_query
from .services import services

#: How many choices a dropdown (or an OpenAPI enum) may list before the field stays free text.
MAX_CHOICES = 500


@dataclass
class Page:
    """One page of a stored query's answer, with what produced it."""

    query: StoredQuery
    result: object
    bindings: dict
    limit: int | None
    offset: int
    has_more: bool


def parameter_args(args: MultiDict) -> dict[str, list[str]]:
    """The request arguments meant for the query's parameters (every value, to refuse repeats)."""
    return {key: args.getlist(key) for key in args if key not in RESERVED_NAMES}


def run_page(query: StoredQuery, args: MultiDict) -> Page:
    """Validate the arguments and run one page of the query, within the configured time and row limits."""
    svc = services()
    settings = svc.settings
    limit, offset = parse_page(args.get("limit"), args.get("offset"), max_rows=settings.max_result_rows)
    bindings = bind_parameters(
        query, parameter_args(args), svc.store, svc.iris.prefixes(), timeout=settings.query_timeout
    )
    result, has_more = run_stored_query(
        svc.store,
        query,
        bindings=bindings,
        limit=limit,
        offset=offset,
        timeout=settings.query_timeout,
        max_rows=settings.max_result_rows,
        prefixes=svc.iris.prefixes(),
    )
    if limit is None:
        limit = min(query.pagination or settings.max_result_rows, settings.max_result_rows)
    return Page(query, result, bindings, limit, offset, has_more)


def page_links(page: Page, endpoint: str, args: MultiDict) -> dict[str, str | None]:
    """The URLs of the next and previous pages (None where there is none), keeping every other argument."""

    def at(offset: int) -> str:
        kept = [(k, v) for k in args for v in args.getlist(k) if k not in ("offset", "limit")]
        kept += [("limit", str(page.limit)), ("offset", str(offset))]
        return external_url(url_for(endpoint, name=page.query.name) + "?" + urlencode(kept))

    return {
        "next": at(page.offset + page.limit) if page.has_more and page.limit else None,
        "prev": at(max(page.offset - (page.limit or 0), 0)) if page.offset > 0 else None,
    }


def link_header(links: dict[str, str | None]) -> str | None:
    """An RFC 8288 Link header for the paging links that exist."""
    parts = [f'<{url}>; rel="{rel}"' for rel, url in links.items() if url]
    return ", ".join(parts) or None


def external_url(path: str) -> str:
    """An absolute URL for a path of this site (the configured public URL when behind a proxy)."""
    public = services().settings.public_url.rstrip("/")
    return (public or request.host_url.rstrip("/")) + path


def label_languages() -> tuple[str, ...]:
    """The languages labels are picked in, from the reader's Accept-Language (English by default)."""
    best = request.accept_languages.best_match(["en", "ja"], default="en")
    return ("ja", "en") if best == "ja" else ("en", "ja")


def resource_href(iri: str) -> str | None:
    """Where a page links an IRI: our resource page under /id/ for IRIs under the id base, the IRI
    itself for other web IRIs, and nothing for other schemes (a ``javascript:`` IRI in the data
    must never become a link)."""
    id_base = services().iris.id_base
    if iri.startswith(id_base) and len(iri) > len(id_base):
        return "/id/" + quote(iri[len(id_base) :], safe="/-._~!$&'()*+,;=:@")
    if iri.startswith(("http://", "https://")):
        return iri
    return None


def etag_for(*parts: str) -> str:
    """A validator that changes with the graph's content and the request."""
    return hashlib.sha256("\x1f".join((services().store.version(), *parts)).encode("utf-8")).hexdigest()[:32]
