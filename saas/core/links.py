"""Absolute links, always on the configured BASE_URL: never on the request's Host header, which the sender chooses.

Links in mail and documents, and the addresses handed to payment providers (notify and return URLs), are built
here, so a job (with no request) makes the same link as a request, and a forged `Host:` cannot divert them.
"""

from urllib.parse import urlsplit

from flask import current_app


def base_url() -> str:
    """The site's public address, without the trailing slash: BASE_URL."""
    return current_app.config["BASE_URL"].rstrip("/")


def external_url(endpoint: str, **values) -> str:
    """The absolute URL of `endpoint` under BASE_URL; tenant routes need `tenant=<slug>` in `values`."""
    base = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "https")
    return adapter.build(endpoint, values, force_external=True)
