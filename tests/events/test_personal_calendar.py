"""The personal calendar feed (a secret, renewable address per person) and the reminders
every calendar file carries."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from icalendar import Calendar

from events import services
from events.models import CalendarFeed, Event, Registration
from tests.events.factories import EventFactory
from tests.members.factories import UserFactory

pytestmark = pytest.mark.django_db


def feed_of(user) -> CalendarFeed:
    return services.calendar_feed_renew(user=user)


def read(client, feed: CalendarFeed) -> Calendar:
    response = client.get(feed.get_absolute_url())
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    return Calendar.from_ical(response.content)


def by_summary(calendar: Calendar) -> dict:
    return {str(vevent["SUMMARY"]): vevent for vevent in calendar.walk("VEVENT")}


def test_member_gets_a_secret_address_offered_as_https_and_webcal(client, member, settings):
    client.force_login(member)

    response = client.post("/account/learning/calendar/", {"action": "renew"})

    assert response.status_code == 302 and response["Location"] == "/account/learning/"
    feed = CalendarFeed.objects.get(user=member)
    html = client.get("/account/learning/").content.decode()
    host = settings.SITE_URL.split("://", 1)[1]
    assert f"webcal://{host}/events/calendar/{feed.token}.ics" in html
    assert f"{settings.SITE_URL}/events/calendar/{feed.token}.ics" in html


def test_feed_lists_my_events_in_their_own_zone_with_reminders(client, member):
    chicago = EventFactory(title="Chicago webinar", time_zone="America/Chicago")
    denver = EventFactory(title="Denver workshop", time_zone="America/Denver", is_online=False)
    EventFactory(title="Not mine")
    for event in (chicago, denver):
        services.registration_create(event=event, user=member)

    events = by_summary(read(client, feed_of(member)))  # calendar apps send no cookie

    assert set(events) == {"Chicago webinar", "Denver workshop"}
    assert events["Chicago webinar"]["DTSTART"].params["TZID"] == "America/Chicago"
    assert events["Chicago webinar"].decoded("DTSTART") == chicago.starts_at
    assert events["Denver workshop"]["DTSTART"].params["TZID"] == "America/Denver"
    for vevent in events.values():
        alarms = vevent.walk("VALARM")
        assert sorted(alarm.decoded("TRIGGER") for alarm in alarms) == [
            -timedelta(days=1),
            -timedelta(hours=1),
        ]
        assert all(str(alarm["ACTION"]) == "DISPLAY" for alarm in alarms)


def test_join_link_only_in_a_confirmed_registrants_own_feed(client, member, registered):
    webinar = EventFactory(slug="small", title="Small webinar", capacity=1)
    services.registration_create(event=webinar, user=member)
    services.registration_create(event=webinar, user=registered)  # waitlisted
    other = UserFactory(email="other@example.org")
    services.registration_create(event=EventFactory(title="Another"), user=other)

    mine = read(client, feed_of(member)).to_ical().decode()
    waiting_calendar = read(client, feed_of(registered))
    waiting = waiting_calendar.to_ical().decode()
    others = read(client, feed_of(other)).to_ical().decode()

    join = "/events/small/join/"
    assert join in mine.replace("\r\n ", "")
    assert "CONFERENCE" in mine
    assert join not in waiting.replace("\r\n ", "") and "CONFERENCE" not in waiting
    assert str(by_summary(waiting_calendar)["Small webinar"]["STATUS"]) == "TENTATIVE"
    assert join not in others.replace("\r\n ", "") and "Small webinar" not in others
    assert webinar.join_url not in mine + waiting + others  # the meeting's own address never


def test_sequence_goes_up_when_the_time_changes_and_cancelled_events_say_so(client, member):
    moving = EventFactory(title="Moving")
    dropped = EventFactory(title="Dropped")
    left = EventFactory(title="Left")
    for event in (moving, dropped, left):
        services.registration_create(event=event, user=member)
        services.event_calendar_sync(event=event)
    feed = feed_of(member)
    before = by_summary(read(client, feed))

    Event.objects.filter(pk=moving.pk).update(
        starts_at=moving.starts_at + timedelta(hours=2), ends_at=moving.ends_at + timedelta(hours=2)
    )
    services.event_calendar_sync(event=moving)
    Event.objects.filter(pk=dropped.pk).update(is_published=False)  # staff call it off
    services.event_calendar_sync(event=dropped)
    services.registration_cancel(registration=Registration.objects.get(event=left, user=member))
    after = by_summary(read(client, feed))

    assert after["Moving"]["SEQUENCE"] > before["Moving"]["SEQUENCE"]
    assert after["Moving"].decoded("DTSTART") == moving.starts_at + timedelta(hours=2)
    for title in ("Dropped", "Left"):
        assert str(before[title]["STATUS"]) == "CONFIRMED"
        assert str(after[title]["STATUS"]) == "CANCELLED"
        assert after[title]["SEQUENCE"] > before[title]["SEQUENCE"]
        assert after[title]["UID"] == before[title]["UID"]


def test_a_new_address_kills_the_old_one_and_turning_it_off_kills_both(client, member):
    services.registration_create(event=EventFactory(), user=member)
    client.force_login(member)
    client.post("/account/learning/calendar/", {"action": "renew"})
    old = CalendarFeed.objects.get(user=member)
    assert client.get(old.get_absolute_url()).status_code == 200

    client.post("/account/learning/calendar/", {"action": "renew"})
    new = CalendarFeed.objects.get(user=member)

    assert new.token != old.token
    assert client.get(old.get_absolute_url()).status_code == 404
    assert client.get(new.get_absolute_url()).status_code == 200
    client.post("/account/learning/calendar/", {"action": "off"})
    assert client.get(new.get_absolute_url()).status_code == 404
    assert not CalendarFeed.objects.exists()


def test_feed_is_never_kept_by_the_page_cache_or_a_shared_cache(client, member):
    feed = feed_of(member)
    first = client.get(feed.get_absolute_url())

    services.calendar_feed_turn_off(user=member)
    second = client.get(feed.get_absolute_url())

    assert "private" in first["Cache-Control"]
    assert first.get("X-Page-Cache") != "hit"
    assert second.status_code == 404  # not a cached copy of the feed


def test_only_a_signed_in_post_makes_an_address(client, member):
    assert client.post("/account/learning/calendar/", {"action": "renew"}).status_code == 302
    assert not CalendarFeed.objects.exists()
    client.force_login(member)
    assert client.get("/account/learning/calendar/").status_code == 405


def test_unknown_address_is_not_found(client):
    assert client.get("/events/calendar/not-a-token.ics").status_code == 404


# --- Every calendar file carries reminders ----------------------------------------------


def test_downloaded_ics_and_email_attachments_carry_reminders(client, member):
    event = EventFactory(slug="alarmed")

    download = Calendar.from_ical(client.get("/events/alarmed.ics").content)
    registration = services.registration_create(event=event, user=member)
    for email in registration.emails.all():
        services.registration_email_send(email_id=email.pk)
    attachments = [
        Calendar.from_ical(content)
        for message in mail.outbox
        for _name, content, mimetype in message.attachments
        if mimetype == "text/calendar"
    ]
    listing = Calendar.from_ical(client.get("/events/calendar.ics").content)

    for calendar in (download, listing, *attachments):
        (vevent,) = calendar.walk("VEVENT")
        assert [alarm.decoded("TRIGGER") for alarm in vevent.walk("VALARM")] == [
            -timedelta(days=1),
            -timedelta(hours=1),
        ]
    assert attachments, "the confirmation email carries a calendar file"


def test_cancelled_event_in_a_download_has_no_reminder(member):
    from events.ical import event_calendar

    event = EventFactory(is_published=False, starts_at=timezone.now() + timedelta(days=2))

    (vevent,) = Calendar.from_ical(event_calendar([event])).walk("VEVENT")

    assert str(vevent["STATUS"]) == "CANCELLED"
    assert vevent.walk("VALARM") == []


def test_feed_queries_do_not_grow_with_the_events(client, member, django_assert_num_queries):
    feed = feed_of(member)
    services.registration_create(event=EventFactory(), user=member)

    # The address with its person, the registrations with their events, their topics.
    with django_assert_num_queries(3):
        client.get(feed.get_absolute_url())
    for _ in range(4):
        services.registration_create(event=EventFactory(), user=member)
    with django_assert_num_queries(3):
        assert len(read(client, feed).walk("VEVENT")) == 5
