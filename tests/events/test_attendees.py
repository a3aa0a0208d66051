import csv
import io

import pytest

from events import services
from events.models import Event, Registration
from events.selectors import national_meeting_attendee_count
from tests.events.factories import EventFactory
from tests.members.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def meeting(member, registered):
    event = EventFactory(slug="fall-meeting", kind=Event.Kind.NATIONAL_MEETING, capacity=2)
    services.registration_create(event=event, user=member)
    services.registration_create(
        event=event, user=UserFactory(email="=cmd@example.org", first_name="=HYPERLINK")
    )
    services.registration_create(event=event, user=registered)  # waitlisted
    return event


def test_staff_see_counts_and_check_people_in(client, staff, member, meeting):
    client.force_login(staff)
    page = client.get("/events/fall-meeting/attendees/")
    html = page.content.decode()
    assert "private" in page["Cache-Control"]
    assert "<strong>2</strong> of 2 registered" in html
    assert "<strong>1</strong> on the waitlist" in html

    registration = meeting.registrations.get(user=member)
    response = client.post(
        "/events/fall-meeting/attendees/", {"registration": registration.pk, "checked_in": "1"}
    )

    assert response.status_code == 302
    registration.refresh_from_db()
    assert registration.checked_in_at is not None
    assert (
        "<strong>1</strong> checked in"
        in client.get("/events/fall-meeting/attendees/").content.decode()
    )


def test_home_counter_counts_checked_in_national_meeting_attendees_only(member, meeting):
    webinar = EventFactory()
    services.registration_check_in(
        registration=services.registration_create(event=webinar, user=member)
    )
    assert national_meeting_attendee_count() == 0

    services.registration_check_in(registration=meeting.registrations.get(user=member))
    services.registration_check_in(registration=meeting.registrations.get(user=member))

    assert national_meeting_attendee_count() == 1


def test_waitlisted_people_cannot_be_checked_in(meeting, registered):
    with pytest.raises(services.RegistrationError):
        services.registration_check_in(registration=meeting.registrations.get(user=registered))


def test_csv_export_lists_registrations_and_defuses_formulas(client, staff, meeting):
    client.force_login(staff)

    response = client.get("/events/fall-meeting/attendees.csv")

    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [row["status"] for row in rows].count(Registration.Status.WAITLISTED) == 1
    assert len(rows) == 3
    risky = next(row for row in rows if "cmd@" in row["email"])
    assert risky["email"].startswith("'=") and risky["name"].startswith("'=")


def test_attendee_list_query_count_does_not_grow(client, staff, django_assert_max_num_queries):
    event = EventFactory(slug="big")
    for n in range(3):
        services.registration_create(event=event, user=UserFactory(email=f"a{n}@example.org"))
    client.force_login(staff)
    with django_assert_max_num_queries(12) as few:
        client.get("/events/big/attendees/")
    for n in range(3, 15):
        services.registration_create(event=event, user=UserFactory(email=f"a{n}@example.org"))
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/events/big/attendees/")
