"""Security headers (with a CSP the pages really pass), no caching of what is not static, and safe redirects."""

from urllib.parse import urlsplit

from flask import has_request_context, request

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "object-src 'none'",
    ]
)


def set_security_headers(response, secure: bool):
    """Add CSP and the other headers ASVS asks for to every response."""
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
    response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if not _is_static_asset():
        # Pages, PDFs, exports and attachments are confidential (§7): never kept by a browser or shared cache.
        response.cache_control.no_store = True
        response.cache_control.private = True
    return response


def _is_static_asset() -> bool:
    """A file served from a static folder (the app's or a blueprint's): the one thing caches may keep."""
    endpoint = request.endpoint if has_request_context() else None
    return endpoint is not None and (endpoint == "static" or endpoint.endswith(".static"))


def safe_next_url(target: str | None) -> str | None:
    """Return target only if it is a local path on this site (no scheme, host or protocol-relative //)."""
    if not target:
        return None
    target = target.strip().replace("\\", "/")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if any(ord(c) < 32 for c in target):
        return None
    return target
