"""Certificates and transcripts as PDF, rendered on the server with WeasyPrint.

The page is a Django template; its only outside resources are Debian's DejaVu fonts. The
fetcher refuses everything else, so nothing in a certificate (an event title, a name) can
make the renderer read a file or call a URL."""

from pathlib import Path

from django.template.loader import render_to_string
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from .models import Certificate
from .services.learning import hours_label

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")


class FontsOnlyFetcher(URLFetcher):
    def fetch(self, url, headers=None):
        if not url.startswith(f"file://{FONT_DIR}/") or ".." in url:
            raise ValueError(f"Certificates load nothing but their fonts, not {url[:80]}")
        return super().fetch(url, headers)


def certificate_document(certificate: Certificate):
    """The rendered WeasyPrint document (tests read its text; write_pdf() gives the file)."""
    html = render_to_string(
        "events/learning/certificate_pdf.html",
        {
            "certificate": certificate,
            "hours": hours_label(certificate.hours),
            "font_dir": FONT_DIR.as_uri(),
        },
    )
    return HTML(string=html, url_fetcher=FontsOnlyFetcher()).render()


def certificate_pdf(certificate: Certificate) -> bytes:
    return certificate_document(certificate).write_pdf()
