"""Staff edit events and challenges in the Wagtail admin (snippets)."""

from datetime import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from events.models import Challenge, Event
from tests.events.factories import (
    NO_TICKET_TYPES_OR_QUESTIONS,
    EventFactory,
    make_challenge,
)
from tests.events.factories import admin_formset as formset

pytestmark = pytest.mark.django_db

EMPTY_RICH_TEXT = '{"blocks": [], "entityMap": {}}'


def test_every_events_admin_listing_opens(client, staff):
    EventFactory()
    make_challenge()
    client.force_login(staff)

    models = (
        "event",
        "eventseries",
        "speaker",
        "topic",
        "challenge",
        "submission",
        "judgeassignment",
    )
    for model in models:
        response = client.get(reverse(f"wagtailsnippets_events_{model}:list"))
        assert response.status_code == 200, model
    listing = client.get(reverse("wagtailsnippets_events_event:list")).content.decode()
    assert "/attendees/" in listing


def test_staff_create_an_event_in_its_own_time_zone_with_an_agenda(
    client, staff, django_capture_on_commit_callbacks
):
    client.force_login(staff)
    data = {
        "kind": "national_meeting",
        "title": "Mountain cities meeting",
        "slug": "mountain-cities",
        "summary": "Two days on growth at altitude.",
        "body": EMPTY_RICH_TEXT,
        "starts_at": "2031-05-10 09:00",
        "ends_at": "2031-05-11 17:00",
        "time_zone": "America/Denver",
        "venue_name": "Civic Center",
        "venue_address": "Denver, CO",
        "capacity": "200",
        "price": "300",
        "is_published": "on",
        **formset(
            "sessions",
            [{"title": "Opening", "starts_at": "2031-05-10 09:00", "ends_at": "2031-05-10 10:00"}],
        ),
        **NO_TICKET_TYPES_OR_QUESTIONS,
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("wagtailsnippets_events_event:add"), data)

    assert response.status_code == 302, response.content.decode()[:3000]
    event = Event.objects.get(slug="mountain-cities")
    assert event.starts_at == datetime(2031, 5, 10, 15, 0, tzinfo=timezone.UTC)  # 9:00 MDT
    assert event.sessions.get().starts_at == event.starts_at
    assert event.calendar_fingerprint  # synced after creation
    edit = client.get(
        reverse("wagtailsnippets_events_event:edit", args=[event.pk])
    ).content.decode()
    assert 'value="2031-05-10 09:00"' in edit


def test_reserved_slugs_are_refused(client, staff):
    client.force_login(staff)
    event = EventFactory.build(slug="calendar")

    with pytest.raises(Exception, match="used by the site"):
        event.full_clean()


def test_staff_mark_winners_in_the_admin(client, staff, member):
    from events import services

    challenge = make_challenge()
    submission = services.submission_save(
        challenge=challenge,
        user=member,
        fields={"title": "Entry", "city": "Erie, PA", "summary": "S", "plan": "P"},
        submit=True,
    )
    client.force_login(staff)

    response = client.post(
        reverse("wagtailsnippets_events_submission:edit", args=[submission.pk]),
        {"award": "winner", "howto": "What we learned."},
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    submission.refresh_from_db()
    assert submission.award == "winner" and submission.title == "Entry"
    assert Challenge.objects.count() == 1


def test_editing_an_event_in_the_admin_refreshes_the_anonymous_page(client, staff):
    event = EventFactory(slug="refresh", title="Old title")
    assert "Old title" in client.get("/events/refresh/").content.decode()  # now cached
    client.force_login(staff)
    url = reverse("wagtailsnippets_events_event:edit", args=[event.pk])
    local = event.local_starts_at
    client.post(
        url,
        {
            "kind": "webinar",
            "title": "New title",
            "slug": "refresh",
            "summary": event.summary,
            "body": EMPTY_RICH_TEXT,
            "starts_at": local.strftime("%Y-%m-%d %H:%M"),
            "ends_at": event.local_ends_at.strftime("%Y-%m-%d %H:%M"),
            "time_zone": "America/New_York",
            "is_online": "on",
            "price": "0",
            "is_published": "on",
            **formset("sessions", []),
            **NO_TICKET_TYPES_OR_QUESTIONS,
        },
    )
    client.logout()

    assert "New title" in client.get("/events/refresh/").content.decode()


def test_add_forms_open_for_events_and_challenges(client, staff):
    client.force_login(staff)

    for model in ("event", "challenge", "judgeassignment", "speaker", "topic"):
        assert client.get(reverse(f"wagtailsnippets_events_{model}:add")).status_code == 200, model
