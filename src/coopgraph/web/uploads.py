"""Reading RDF documents sent to the site: a raw body, a multipart upload, or pasted text.

Shared by validation and contributions. Enforces ``max_upload_bytes`` (413) and works
out the format from, in order: the ``input_format`` field, the Content-Type of the body
or of the uploaded part, the uploaded file's extension, and for pasted text a look at
its first character.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import request

from ..config import Settings
from ..errors import PayloadTooLarge, UnsupportedMediaType, UsageError
from ..formats import RDF_FORMATS, RdfFormatInfo, guess_rdf_format, media_type_format, rdf_format

#: Room for the boundaries and other fields of a multipart form around the uploaded file.
MULTIPART_SLACK = 64 * 1024
FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")
OFFERED_INPUTS = ", ".join(f.media_type for f in RDF_FORMATS.values())


@dataclass
class Upload:
    data: bytes
    format: RdfFormatInfo
    source: str


def largest_body(settings: Settings) -> int:
    """The largest request body any part of the site takes: an upload in a form, or a query."""
    return max(settings.max_upload_bytes + MULTIPART_SLACK, settings.max_request_bytes)


def too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"the data is larger than the limit of {limit:,} bytes", hint="Split it into several smaller contributions."
    )


def _sniff(data: bytes) -> RdfFormatInfo:
    start = data.lstrip()[:1]
    if start in (b"{", b"["):
        return RDF_FORMATS["jsonld"]
    if start == b"<" and data.lstrip()[:5] in (b"<?xml", b"<rdf:", b"<!DOC"):
        return RDF_FORMATS["rdfxml"]
    return RDF_FORMATS["turtle"]


def _chosen() -> RdfFormatInfo | None:
    name = (request.values.get("input_format") or "").strip()
    return rdf_format(name) if name and name != "auto" else None


def read_upload(settings: Settings) -> Upload:
    """Return the RDF document of the request, or raise 400/413/415 with a message that says why."""
    limit = settings.max_upload_bytes
    is_form = request.mimetype in FORM_TYPES
    length = request.content_length
    if length is not None and length > limit + (MULTIPART_SLACK if is_form else 0):
        raise too_large(limit)
    if is_form:
        upload = request.files.get("file")
        if upload is not None and upload.filename:
            data = upload.stream.read(limit + 1)
            if len(data) > limit:
                raise too_large(limit)
            fmt = _chosen() or _from_name(upload.filename) or media_type_format(upload.mimetype or "") or _sniff(data)
            return Upload(data, fmt, upload.filename)
        text = request.form.get("data", "")
        data = text.encode("utf-8")
        if len(data) > limit:
            raise too_large(limit)
        if not text.strip():
            raise UsageError("there is no data to read", hint="Paste RDF in the text box or choose a file.")
        return Upload(data, _chosen() or _sniff(data), "pasted text")
    data = request.stream.read(limit + 1)
    if len(data) > limit:
        raise too_large(limit)
    fmt = _chosen() or media_type_format(request.mimetype or "")
    if fmt is None:
        raise UnsupportedMediaType(
            f"cannot read a body of type '{request.mimetype or 'none'}' as RDF",
            hint=f"Send it with one of these Content-Types: {OFFERED_INPUTS}; or upload a file (multipart/form-data).",
        )
    return Upload(data, fmt, "request body")


def _from_name(filename: str) -> RdfFormatInfo | None:
    try:
        return guess_rdf_format(filename)
    except UsageError:
        return None
