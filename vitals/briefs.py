"""My metro as a printable brief: a PDF rendered on the server (core.pdf, WeasyPrint)."""

from django.utils import timezone

from core.pdf import pdf_document


def brief_document(report: dict, *, page_url: str):
    """The rendered document of a My metro report (tests read its text; write_pdf() gives
    the file)."""
    return pdf_document(
        "vitals/my_metro_brief.html",
        {**report, "page_url": page_url, "made_on": timezone.localdate()},
    )


def brief_pdf(report: dict, *, page_url: str) -> bytes:
    return brief_document(report, page_url=page_url).write_pdf()
