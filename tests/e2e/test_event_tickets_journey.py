"""A National Meeting with tickets, guests and questions, from registration to a certificate
anyone can verify: on a phone (390 px) and a desktop (1280 px)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from events.models import Registration, RegistrationQuestion
from tests.e2e.conftest import serious_accessibility_violations
from tests.e2e.test_events_registration import sign_in
from tests.e2e.test_learning_journey import download_certificate, verify_signed_out
from tests.events.factories import EventFactory, add_question, add_ticket_type

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def meeting():
    start = timezone.now().replace(microsecond=0) + timedelta(hours=3)
    event = EventFactory(
        kind="national_meeting",
        slug="harbor-meeting",
        title="Harbor cities meeting",
        starts_at=start,
        ends_at=start + timedelta(hours=6),
        learning_hours=Decimal("5"),
        is_online=False,
        join_url="",
        venue_name="Harbor Hall",
        capacity=40,
        max_guests=2,
    )
    add_ticket_type(event, "Full day", non_member_price=Decimal("300"))
    add_ticket_type(event, "Site-visit workshop", members_only=True, quota=10)
    add_question(event, "Dietary needs")
    add_question(
        event,
        "Which site visit?",
        kind=RegistrationQuestion.Kind.CHOICE,
        options="Harbor walk\nShipyard tour",
        required=True,
    )
    return event


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390", "1280"])
def test_member_brings_a_guest_is_checked_in_and_gets_a_verifiable_certificate(
    browser, page, live_server, member, staff, meeting, artifacts, settings, viewport
):
    settings.SITE_URL = live_server.url  # the address printed in the PDF
    width = viewport["width"]
    page.set_viewport_size(viewport)
    sign_in(page, live_server, member)

    page.goto("/events/harbor-meeting/")
    page.get_by_role("link", name="Register").click()
    page.wait_for_url("**/events/harbor-meeting/register/")
    page.get_by_label("Site-visit workshop: free · 10 left").check()
    page.get_by_label("Guests").fill("1")
    page.get_by_label("Guest names").fill("Sam Ortiz")
    page.get_by_label("Dietary needs").fill("Vegetarian")
    page.get_by_label("Which site visit?").select_option("Shipyard tour")
    assert serious_accessibility_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # no sideways scroll
    page.screenshot(path=artifacts / f"tickets-register-{width}.png", full_page=True)
    page.get_by_role("button", name="Confirm registration").click()

    status = page.get_by_role("status").filter(has_text="You're registered.")
    assert status.is_visible()
    assert "With 1 guest: Sam Ortiz" in status.inner_text()
    assert "Site-visit workshop" in status.inner_text()
    page.screenshot(path=artifacts / f"tickets-registered-{width}.png", full_page=True)

    # At the door: staff find the member (and their answers) and check them in.
    door = browser.new_context(base_url=live_server.url, viewport=viewport).new_page()
    sign_in(door, live_server, staff)
    door.goto("/events/harbor-meeting/attendees/")
    row = door.get_by_role("row").filter(has_text=member.email)
    assert "Shipyard tour" in row.inner_text() and "Vegetarian" in row.inner_text()
    assert (
        "2 of 40 registered (1 of them guest)"
        in door.locator(".attendee-counts").first.inner_text()
    )
    row.get_by_role("button", name="Check in").click()
    door.wait_for_url("**/attendees/**")
    assert "1 checked in" in door.locator(".attendee-counts").first.inner_text()
    door.context.close()
    assert Registration.objects.get(user=member).checked_in_at is not None

    page.goto("/account/learning/")
    row = page.get_by_role("row").filter(has_text="Harbor cities meeting")
    assert "Checked in" in row.inner_text()
    verification_url = download_certificate(
        page, row, "civicnet-certificate-harbor-meeting.pdf", live_server
    )

    verdict, facts = verify_signed_out(
        browser, verification_url, artifacts / f"tickets-certificate-verified-{width}.png"
    )
    assert "Genuine." in verdict
    assert "Harbor cities meeting" in facts and "Alex Rivera" in facts
