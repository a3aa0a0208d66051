"""Certificates and transcripts as PDF, rendered on the server with WeasyPrint (core.pdf:
the page loads nothing but its fonts)."""

from core.pdf import pdf_document

from .models import Certificate
from .services.learning import hours_label


def certificate_document(certificate: Certificate):
    """The rendered WeasyPrint document (tests read its text; write_pdf() gives the file)."""
    return pdf_document(
        "events/learning/certificate_pdf.html",
        {"certificate": certificate, "hours": hours_label(certificate.hours)},
    )


def certificate_pdf(certificate: Certificate) -> bytes:
    return certificate_document(certificate).write_pdf()
