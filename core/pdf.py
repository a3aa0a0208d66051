"""PDFs rendered on the server with WeasyPrint, from a Django template.

The page's only outside resources are Debian's DejaVu fonts (the template gets their folder as
`font_dir`). The fetcher refuses everything else, so nothing in a document (an event title,
a name, a metro) can make the renderer read a file or call a URL.

WeasyPrint is imported on the first PDF, not with the URLconf: importing it costs about a
second of CPU, which every web worker would otherwise pay on its first request of any page."""

from functools import cache
from pathlib import Path

from django.template.loader import render_to_string

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")


@cache
def _fonts_only_fetcher():
    from weasyprint.urls import URLFetcher

    class FontsOnlyFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if not url.startswith(f"file://{FONT_DIR}/") or ".." in url:
                raise ValueError(f"PDFs load nothing but their fonts, not {url[:80]}")
            return super().fetch(url, headers)

    return FontsOnlyFetcher


def pdf_document(template_name: str, context: dict):
    """The rendered WeasyPrint document (tests read its text; write_pdf() gives the file)."""
    from weasyprint import HTML

    html = render_to_string(template_name, {**context, "font_dir": FONT_DIR.as_uri()})
    return HTML(string=html, url_fetcher=_fonts_only_fetcher()()).render()
