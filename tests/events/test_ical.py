from datetime import timedelta

import pytest
from django.core import mail
from django.core.cache import cache
from django.utils import timezone
from icalendar import Calendar

from events import services
from events.models import Event, RegistrationEmail
from tests.events.factories import NO_TICKET_TYPES_OR_QUESTIONS, EventFactory

pytestmark = pytest.mark.django_db


def parse(response) -> Calendar:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    return Calendar.from_ical(response.content)


def only_event(calendar: Calendar):
    (vevent,) = calendar.walk("VEVENT")
    return vevent


def test_event_ics_is_valid_icalendar_in_the_events_time_zone(visitor):
    start = timezone.datetime(2031, 6, 2, 16, 0, tzinfo=timezone.UTC)
    event = EventFactory(
        slug="budgets",
        title="Participatory budgets",
        time_zone="America/Chicago",
        starts_at=start,
        ends_at=start + timedelta(minutes=90),
    )

    calendar = parse(visitor.get("/events/budgets.ics"))

    assert calendar["VERSION"] == "2.0" and calendar["PRODID"]
    vevent = only_event(calendar)
    assert str(vevent["SUMMARY"]) == "Participatory budgets"
    assert vevent["UID"] == f"{event.uid}@civicnet"
    assert vevent["DTSTART"].params["TZID"] == "America/Chicago"
    assert vevent.decoded("DTSTART").hour == 11  # 16:00 UTC is 11:00 CDT
    assert vevent.decoded("DTSTART") == start
    assert vevent.decoded("DTEND") == start + timedelta(minutes=90)
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["America/Chicago"]
    assert vevent["URL"].endswith("/events/budgets/")
    assert "attachment" in visitor.get("/events/budgets.ics")["Content-Disposition"]


def test_uid_stays_and_sequence_goes_up_when_an_event_changes(visitor):
    event = EventFactory(slug="moving")
    services.event_calendar_sync(event=event)  # as after creation in the admin
    before = only_event(parse(visitor.get("/events/moving.ics")))

    Event.objects.filter(pk=event.pk).update(
        title="Moving day",
        starts_at=event.starts_at + timedelta(days=1),
        ends_at=event.ends_at + timedelta(days=1),
    )
    assert services.event_calendar_sync(event=event) is True
    assert services.event_calendar_sync(event=event) is False  # nothing new: no bump
    cache.clear()  # the anonymous page cache keeps the old file for a few minutes
    after = only_event(parse(visitor.get("/events/moving.ics")))

    assert after["UID"] == before["UID"]
    assert (before["SEQUENCE"], after["SEQUENCE"]) == (0, 1)


def test_calendar_ics_lists_every_published_upcoming_event(visitor):
    EventFactory(title="One")
    EventFactory(title="Two", time_zone="America/Denver")
    EventFactory(title="Draft", is_published=False)

    calendar = parse(visitor.get("/events/calendar.ics"))

    assert sorted(str(v["SUMMARY"]) for v in calendar.walk("VEVENT")) == ["One", "Two"]
    assert {tz["TZID"] for tz in calendar.walk("VTIMEZONE")} == {
        "America/New_York",
        "America/Denver",
    }


def test_a_change_of_time_emails_an_update_with_the_new_calendar_file_once(
    member, registered, django_capture_on_commit_callbacks, eager_tasks
):
    event = EventFactory(slug="moved", title="Zoning 101")
    services.event_calendar_sync(event=event)
    services.registration_create(event=event, user=member)
    services.registration_create(event=event, user=registered)
    mail.outbox.clear()

    new_start = event.starts_at + timedelta(hours=2)
    Event.objects.filter(pk=event.pk).update(
        starts_at=new_start, ends_at=new_start + timedelta(hours=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.event_calendar_sync(event=event)
        services.event_calendar_sync(event=event)

    assert sorted(m.to[0] for m in mail.outbox) == ["member@example.org", "registered@example.org"]
    message = mail.outbox[0]
    assert message.subject == "Time changed: Zoning 101"
    vevent = only_event(Calendar.from_ical(message.attachments[0][1]))
    assert vevent["SEQUENCE"] == 1 and vevent.decoded("DTSTART") == new_start
    assert RegistrationEmail.objects.filter(kind="update-1").count() == 2


def test_editing_only_the_description_bumps_sequence_but_sends_no_update(member):
    event = EventFactory()
    services.event_calendar_sync(event=event)
    services.registration_create(event=event, user=member)

    Event.objects.filter(pk=event.pk).update(title="A better title")
    services.event_calendar_sync(event=event)

    event.refresh_from_db()
    assert event.sequence == 1
    assert not RegistrationEmail.objects.filter(kind__startswith="update").exists()


def test_editing_an_event_in_the_wagtail_admin_bumps_the_sequence(
    client, staff, django_capture_on_commit_callbacks
):
    from django.urls import reverse

    event = EventFactory(title="Admin edit")
    services.event_calendar_sync(event=event)
    client.force_login(staff)
    url = reverse("wagtailsnippets_events_event:edit", args=[event.pk])
    form = client.get(url)
    assert form.status_code == 200

    local = event.local_starts_at + timedelta(days=2)
    data = {
        "kind": "webinar",
        "title": "Admin edit",
        "slug": event.slug,
        "summary": event.summary,
        "body": '{"blocks": [], "entityMap": {}}',
        "starts_at": local.strftime("%Y-%m-%d %H:%M"),
        "ends_at": (local + timedelta(hours=1)).strftime("%Y-%m-%d %H:%M"),
        "time_zone": "America/New_York",
        "is_online": "on",
        "join_url": event.join_url,
        "price": "0",
        "is_published": "on",
        "sessions-TOTAL_FORMS": "0",
        "sessions-INITIAL_FORMS": "0",
        "sessions-MIN_NUM_FORMS": "0",
        "sessions-MAX_NUM_FORMS": "1000",
        **NO_TICKET_TYPES_OR_QUESTIONS,
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, data)

    assert response.status_code == 302, response.content.decode()[:2000]
    event.refresh_from_db()
    assert event.sequence == 1
