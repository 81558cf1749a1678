"""HTML to PDF with WeasyPrint: the CJK fonts are embedded, and a document may load only the app's static files."""

import logging
from pathlib import Path

from flask import current_app


def html_to_pdf(html: str) -> bytes:
    """The PDF of a self-contained HTML document whose stylesheets are /static/... links."""
    from weasyprint import HTML

    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
    fetcher = _static_files_only(Path(current_app.static_folder).resolve())
    return HTML(string=html, base_url="file:///", url_fetcher=fetcher).write_pdf()


def _static_files_only(static: Path):
    """A WeasyPrint URL fetcher that serves the document's /static/... links from the app, and nothing else."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith("file:///static/"):
                path = (static / url.removeprefix("file:///static/")).resolve()
                if path.is_relative_to(static) and path.is_file():
                    kind = "text/css" if path.suffix == ".css" else "application/octet-stream"
                    return URLFetcherResponse(url, body=path.read_bytes(), headers={"Content-Type": kind})
            raise ValueError(f"a document may only use the app's static files, not {url}")

    return StaticFetcher()
