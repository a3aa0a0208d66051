"""My metro and saved City Dividends scenarios as printable briefs: PDFs rendered on the
server (core.pdf, WeasyPrint)."""

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


def scenario_brief_document(result, *, page_url: str, citation: str):
    """The one-page brief of a saved City Dividends scenario (a
    `dividend_scenarios.ScenarioResult` with its inputs), with the citation line."""
    return pdf_document(
        "vitals/dividend_scenario_brief.html",
        {
            "result": result,
            "scenario": result.scenario,
            "page_url": page_url,
            "citation": citation,
            "made_on": timezone.localdate(),
        },
    )


def scenario_brief_pdf(result, *, page_url: str, citation: str) -> bytes:
    return scenario_brief_document(result, page_url=page_url, citation=citation).write_pdf()
