"""PDFs rendered on the server with WeasyPrint, from a Django template.

The page's only outside resources are Debian's DejaVu fonts (the template gets their folder as
`font_dir`). The fetcher refuses everything else, so nothing in a document (an event title,
a name, a metro) can make the renderer read a file or call a URL."""

from pathlib import Path

from django.template.loader import render_to_string
from weasyprint import HTML
from weasyprint.urls import URLFetcher

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")


class FontsOnlyFetcher(URLFetcher):
    def fetch(self, url, headers=None):
        if not url.startswith(f"file://{FONT_DIR}/") or ".." in url:
            raise ValueError(f"PDFs load nothing but their fonts, not {url[:80]}")
        return super().fetch(url, headers)


def pdf_document(template_name: str, context: dict):
    """The rendered WeasyPrint document (tests read its text; write_pdf() gives the file)."""
    html = render_to_string(template_name, {**context, "font_dir": FONT_DIR.as_uri()})
    return HTML(string=html, url_fetcher=FontsOnlyFetcher()).render()
