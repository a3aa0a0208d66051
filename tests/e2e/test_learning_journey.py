from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from events.models import Registration
from tests.e2e.conftest import serious_accessibility_violations
from tests.e2e.test_events_registration import sign_in
from tests.events.factories import EventFactory
from tests.events.pdf import link_targets

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_member_downloads_a_certificate_and_anyone_opens_its_verification_page(
    browser, page, live_server, member, artifacts, settings
):
    settings.SITE_URL = live_server.url  # the address printed in the PDF
    start = timezone.now().replace(microsecond=0) - timedelta(days=20)
    meeting = EventFactory(
        kind="workshop",
        slug="budgets-workshop",
        title="Participatory budgets, hands-on",
        starts_at=start,
        ends_at=start + timedelta(hours=7),
        learning_hours=Decimal("6.5"),
        is_online=False,
    )
    Registration.objects.create(
        event=meeting, user=member, status=Registration.Status.CONFIRMED, checked_in_at=start
    )
    sign_in(page, live_server, member)

    page.goto("/account/")
    page.get_by_role("link", name="Your learning record").click()
    page.wait_for_url("**/account/learning/")
    row = page.get_by_role("row").filter(has_text="Participatory budgets, hands-on")
    assert "6.5" in row.inner_text() and "Checked in" in row.inner_text()
    assert f"{start.year}: 6.5 hours" in page.locator("h2").all_inner_texts()
    assert serious_accessibility_violations(page) == []
    page.screenshot(path=artifacts / "learning-record.png", full_page=True)

    verification_url = download_certificate(
        page, row, "civicnet-certificate-budgets-workshop.pdf", live_server
    )

    verdict, facts = verify_signed_out(
        browser, verification_url, artifacts / "learning-certificate-verified.png"
    )
    assert "Genuine." in verdict
    assert "Alex Rivera" in facts and "Participatory budgets, hands-on" in facts
    assert "6.5" in facts


def download_certificate(page, row, filename, live_server) -> str:
    """Download the certificate from its row on the learning record; its verification URL."""
    with page.expect_download() as download_info:
        row.get_by_role("link", name="Certificate (PDF)").click()
    download = download_info.value
    assert download.suggested_filename == filename
    pdf = Path(download.path()).read_bytes()
    assert pdf.startswith(b"%PDF")
    (verification_url,) = [url for url in link_targets(pdf) if "/verify/" in url]
    assert verification_url.startswith(live_server.url)
    return verification_url


def verify_signed_out(browser, verification_url, screenshot) -> tuple[str, str]:
    """Someone the member shows the certificate to: no account, another browser. Returns the
    verdict and the facts the verification page states."""
    stranger = browser.new_context()
    check = stranger.new_page()
    check.goto(verification_url)
    verdict = check.get_by_role("status").inner_text()
    facts = check.locator(".certificate-check__facts").inner_text()
    assert serious_accessibility_violations(check) == []
    check.screenshot(path=screenshot, full_page=True)
    stranger.close()
    return verdict, facts
