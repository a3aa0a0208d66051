from datetime import timedelta
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone
from icalendar import Calendar

from tests.e2e.conftest import serious_accessibility_violations
from tests.events.factories import EventFactory, make_challenge

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, live_server, user):
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


@pytest.fixture
def webinar():
    start = timezone.now().replace(microsecond=0) + timedelta(days=5)
    return EventFactory(
        slug="transit-webinar",
        title="Bus lanes in a year",
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        capacity=50,
    )


def test_member_registers_for_a_webinar_and_downloads_the_calendar_file(
    page, live_server, member, webinar, artifacts
):
    sign_in(page, live_server, member)
    page.goto("/events/")
    page.get_by_role("link", name="Bus lanes in a year").click()
    page.wait_for_url("**/events/transit-webinar/")
    assert "50 of 50 left" in page.locator(".event-facts").inner_text()

    page.get_by_role("link", name="Register").click()
    page.wait_for_url("**/events/transit-webinar/register/")
    page.get_by_role("button", name="Confirm registration").click()

    status = page.get_by_role("status").filter(has_text="You're registered.")
    assert status.is_visible()
    page.screenshot(path=artifacts / "events-registered.png", full_page=True)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Add to your calendar (.ics)").click()
    download = download_info.value
    assert download.suggested_filename == "transit-webinar.ics"
    calendar = Calendar.from_ical(Path(download.path()).read_bytes())
    (vevent,) = calendar.walk("VEVENT")
    assert str(vevent["SUMMARY"]) == "Bus lanes in a year"
    assert vevent.decoded("DTSTART") == webinar.starts_at
    assert webinar.registrations.get().user == member


def test_event_and_challenge_pages_have_no_serious_accessibility_violations(
    page, live_server, member, webinar, artifacts
):
    from events import services
    from tests.members.factories import make_member

    challenge = make_challenge()
    fields = {"title": "Slow zones", "city": "Erie, PA", "summary": "S", "plan": "P"}
    entry = services.submission_save(challenge=challenge, user=member, fields=fields, submit=False)
    mate = make_member(email="mate@example.org")
    services.team_invite(submission=entry, user=member, emails=[mate.email, "new@example.org"])
    services.team_invitation_accept(invitation=entry.invitations.get(email=mate.email), user=mate)
    leader = make_member(email="leader@example.org")
    other = services.submission_save(challenge=challenge, user=leader, fields=fields, submit=False)
    (invitation,) = services.team_invite(submission=other, user=leader, emails=[member.email])
    sign_in(page, live_server, member)
    found = {}
    for path in [
        "/events/",
        "/events/past/",
        "/events/transit-webinar/",
        "/events/transit-webinar/register/",
        "/challenges/",
        "/challenges/safer-streets/",
        "/challenges/safer-streets/submit/",
        f"/challenges/safer-streets/invitations/{invitation.key}/",
    ]:
        page.goto(path)
        found[path] = serious_accessibility_violations(page)
        name = path.strip("/").replace("/", "-")
        page.screenshot(path=artifacts / f"events-page-{name}.png", full_page=True)

    assert found == {path: [] for path in found}
