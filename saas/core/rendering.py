"""One template per screen; an HTMX request gets just the named block of it (jinja2-fragments)."""

import unicodedata
from urllib.parse import quote

from flask import make_response, render_template, request
from jinja2_fragments.flask import render_block


def is_fragment_request() -> bool:
    """An HTMX request that swaps part of a page (boosted requests want the whole page)."""
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-Boosted") != "true"


def render(template: str, block: str = "content", status: int = 200, **context):
    """Render the whole page, or only `block` of it for an HTMX fragment request."""
    fragment = is_fragment_request()
    body = render_block(template, block, **context) if fragment else render_template(template, **context)
    response = make_response(body, status)
    response.vary.add("HX-Request")
    return response


def attachment(response, filename: str):
    """Make a response a download named `filename`, RFC 5987-encoded when it is not ASCII (Chinese numbers).

    The name goes through safe_filename first: one stored before names were cleaned on upload (a CR LF in
    it) would otherwise fail the header, and every download of the file with it.
    """
    from saas.core.parsing import safe_filename

    filename = safe_filename(filename, default="download")
    ascii_name = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode("ascii") or "download"
    header = f'attachment; filename="{ascii_name.replace(chr(34), "")}"'
    if ascii_name != filename:
        header += f"; filename*=UTF-8''{quote(filename, safe='')}"
    response.headers["Content-Disposition"] = header
    return response
