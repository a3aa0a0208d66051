import io

import pytest

from events import demo
from events.models import (
    Challenge,
    Criterion,
    Event,
    EventSession,
    Registration,
    RegistrationEmail,
    RegistrationQuestion,
    TicketType,
)
from events.selectors import national_meeting_attendee_count
from tests.members.factories import make_member

pytestmark = pytest.mark.django_db


def snapshot():
    return {
        "events": list(
            Event.objects.values_list(
                "slug", "starts_at", "sequence", "reminder_offsets", "feedback_url"
            ).order_by("slug")
        ),
        "sessions": EventSession.objects.count(),
        "tickets": list(TicketType.objects.values_list("event__slug", "name", "quota")),
        "questions": list(RegistrationQuestion.objects.values_list("label", "options")),
        "guests": list(Event.objects.values_list("slug", "max_guests").order_by("slug")),
        "registrations": Registration.objects.count(),
        "emails": RegistrationEmail.objects.count(),
        "challenges": Challenge.objects.count(),
        "criteria": Criterion.objects.count(),
    }


def test_demo_events_load_twice_without_changing_anything():
    make_member(email=demo.MEMBER_EMAIL)
    demo.load(io.StringIO())
    first = snapshot()
    demo.load(io.StringIO())

    assert snapshot() == first
    kinds = Event.objects.values_list("kind", flat=True)
    assert sorted(set(kinds)) == ["national_meeting", "webinar", "workshop"]
    assert first["challenges"] == 1 and first["sessions"] == 8  # both National Meetings
    assert national_meeting_attendee_count() == 1
    assert Event.objects.get(slug="fall-national-meeting").reminders == ["7d", "24h"]
    past_webinar = Event.objects.get(slug="vacant-storefronts-webinar")
    assert past_webinar.recording_url and past_webinar.feedback_url.startswith("https://")
    meeting = demo.upcoming_national_meeting()
    assert meeting.max_guests == 2 and meeting.ticket_types.count() == 3
    assert meeting.ticket_types.filter(members_only=True).count() == 1
    assert [q.kind for q in meeting.questions.all()] == ["text", "choice"]


def test_demo_meeting_register_page_offers_its_tickets_guests_and_questions(client):
    member = make_member(email=demo.MEMBER_EMAIL)
    demo.load(io.StringIO())
    client.force_login(member)

    meeting = demo.upcoming_national_meeting()
    page = client.get(f"/events/{meeting.slug}/register/").content.decode()

    assert "Full meeting + site-visit workshop" in page
    assert "Guests" in page and "Which site visit would you join?" in page


def test_every_demo_page_renders(client):
    member = make_member(email=demo.MEMBER_EMAIL)
    demo.load(io.StringIO())
    client.force_login(member)

    paths = ["/events/", "/events/past/", "/events/calendar.ics", "/challenges/"]
    paths += [f"/events/{slug}/" for slug in Event.objects.values_list("slug", flat=True)]
    paths += [
        "/challenges/main-street-revival-prize/",
        "/challenges/main-street-revival-prize/submit/",
    ]
    for path in paths:
        assert client.get(path).status_code == 200, path


def test_demo_member_has_attended_past_events_with_hours():
    from events.selectors import learning_record

    member = make_member(email=demo.MEMBER_EMAIL)
    demo.load(io.StringIO())
    demo.load(io.StringIO())

    record = learning_record(member)

    assert sorted((entry.how, entry.hours) for entry in record) == [
        ("checked in", 12),
        ("joined online", 1.5),
    ]
    assert all(entry.event.is_past() for entry in record)


def test_demo_member_watched_a_recording_once_however_often_the_demo_loads():
    from events.models import RecordingView
    from events.selectors import learning_activities

    member = make_member(email=demo.MEMBER_EMAIL)
    demo.load(io.StringIO())
    demo.load(io.StringIO())

    assert RecordingView.objects.filter(user=member).count() == 1
    watched = [e for e in learning_activities(member) if e.kind == "recording"]
    assert [(e.title, e.hours) for e in watched] == [("Civic engagement that scales", 1)]


def test_demo_webinar_series_has_six_dates_off_holidays_and_one_edited_once(client):
    from events.demo_dates import is_working_day
    from events.models import EventSeries

    demo.load(io.StringIO())
    demo.load(io.StringIO())

    series = EventSeries.objects.get(slug=demo.SERIES_SLUG)
    occurrences = list(series.occurrences.order_by("series_date"))
    assert len(occurrences) == 6
    assert all(is_working_day(e.local_starts_at.date()) for e in occurrences)
    assert all(e.local_starts_at.weekday() == 3 for e in occurrences)  # Thursdays
    edited = [e for e in occurrences if e.capacity != series.capacity]
    assert edited == [occurrences[1]] and edited[0].local_starts_at.hour == 15
    assert {e.local_starts_at.hour for e in occurrences if e not in edited} == {13}
    html = client.get(series.url).content.decode()
    assert all(e.url in html for e in occurrences)


def test_demo_dates_know_the_federal_holidays_and_keep_meetings_in_their_season():
    from datetime import date

    from events.demo_dates import (
        federal_holidays,
        is_working_day,
        national_meetings_around,
        season_matches,
        working_day_on_or_after,
    )

    assert federal_holidays(2026) == {
        date(2026, 1, 1), date(2026, 1, 19), date(2026, 2, 16), date(2026, 5, 25),
        date(2026, 6, 19), date(2026, 7, 3), date(2026, 9, 7), date(2026, 10, 12),
        date(2026, 11, 11), date(2026, 11, 26), date(2026, 12, 25),
    }  # fmt: skip
    assert date(2027, 12, 31) in federal_holidays(2027)  # New Year's Day 2028 is a Saturday
    assert not is_working_day(date(2026, 12, 26))  # a Saturday, and the holidays
    assert working_day_on_or_after(date(2026, 12, 24)) == date(2027, 1, 4)
    assert working_day_on_or_after(date(2026, 11, 26)) == date(2026, 11, 30)
    assert national_meetings_around(date(2026, 12, 2))[-2:] == [
        ("Fall", date(2026, 10, 20)),
        ("Spring", date(2027, 4, 20)),
    ]
    assert national_meetings_around(date(2026, 6, 1))[-2:] == [
        ("Spring", date(2026, 4, 21)),
        ("Fall", date(2026, 10, 20)),
    ]
    assert season_matches("Fall National Meeting", date(2026, 10, 20))
    assert not season_matches("Fall National Meeting", date(2027, 1, 31))
    assert not season_matches("Spring National Meeting", date(2026, 7, 14))
