"""One template per screen; an HTMX request gets just the named block of it (jinja2-fragments).

The rule that makes a block render alone as it renders in its page: **a template with blocks defines
nothing outside them** (no `{% set %}`, `{% from … import %}`, `{% import %}` or `{% macro %}` at the top
level, nor in the layout it extends). Jinja runs those top-level statements only when it renders the
whole page; a block rendered alone starts from the view's context, so a name set or imported at the top
is undefined there (and the fragment a 500, while the page works). So each block sets and imports what
it uses itself, or uses a global (`field`, `load_more_row`… from saas/core/templating.py), or gets it from
the view. Evaluating the top level for each fragment is no way out: it runs the whole page's code with a
fragment's context, which for a row or a form is not the page's (jinja2-fragments tried it and took it
back). tests/core/test_s7_fragments.py holds every template, the plugins' too, to the rule, and asks every
GET route as a page and as a fragment.
"""

import unicodedata
from urllib.parse import quote

from flask import make_response, render_template, request
from jinja2_fragments.flask import render_block


def is_fragment_request() -> bool:
    """An HTMX request that swaps part of a page (boosted requests want the whole page)."""
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-Boosted") != "true"


def render(template: str, block: str = "content", status: int = 200, **context):
    """Render the whole page, or only `block` of it for an HTMX fragment request (see the rule above)."""
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


def evidence_download(data: bytes, filename: str):
    """A stored file of evidence served as a download: never under the uploader's type (an HTML or SVG file would
    otherwise run in our origin), and never sniffed into one."""
    response = make_response(data)
    response.headers["Content-Type"] = "application/octet-stream"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return attachment(response, filename)
