from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.utils import timezone

from events import services
from events.models import Event, Registration
from tests.events.factories import EventFactory, TopicFactory
from tests.members.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_listing_shows_upcoming_events_soonest_first_not_past_ones(visitor):
    now = timezone.now()
    later = EventFactory(title="Later webinar", starts_at=now + timedelta(days=20))
    sooner = EventFactory(title="Sooner workshop", kind=Event.Kind.WORKSHOP)
    EventFactory(
        title="Old meeting", starts_at=now - timedelta(days=30), ends_at=now - timedelta(days=29)
    )
    EventFactory(title="Hidden draft", is_published=False)

    html = visitor.get("/events/").content.decode()

    assert html.index(sooner.title) < html.index(later.title)
    assert "Old meeting" not in html and "Hidden draft" not in html


def test_listing_filters_by_type_and_topic(visitor):
    housing = TopicFactory(name="Housing", slug="housing")
    EventFactory(title="Housing webinar", topics=[housing])
    EventFactory(title="Housing workshop", kind=Event.Kind.WORKSHOP, topics=[housing])
    EventFactory(title="Transit webinar")

    by_topic = visitor.get("/events/?topic=housing").content.decode()
    both = visitor.get("/events/?topic=housing&kind=workshop").content.decode()

    assert "Housing webinar" in by_topic and "Transit webinar" not in by_topic
    assert "Housing workshop" in both and "Housing webinar" not in both


def test_past_page_lists_past_events_and_links_recordings_for_members_only(client, member):
    now = timezone.now()
    EventFactory(
        title="Spring National Meeting",
        starts_at=now - timedelta(days=60),
        ends_at=now - timedelta(days=58),
        recording_url="/library/spring-meeting-recordings/",
    )

    anonymous = client.get("/events/past/").content.decode()
    client.force_login(member)
    as_member = client.get("/events/past/").content.decode()

    assert "Spring National Meeting" in anonymous
    assert "/library/spring-meeting-recordings/" not in anonymous
    assert "/recording/" in as_member  # through the site, which records the view


def test_listing_query_count_does_not_grow_with_events(visitor, django_assert_max_num_queries):
    topic = TopicFactory()
    for _ in range(3):
        EventFactory(capacity=10, topics=[topic])
    with django_assert_max_num_queries(6) as few:
        visitor.get("/events/")
    for _ in range(9):
        EventFactory(capacity=10, topics=[topic])
    cache.clear()  # the anonymous page cache would answer without a query
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = visitor.get("/events/")
    assert response.content.decode().count("event-card__title") == 12


def test_detail_shows_remaining_places_in_the_events_own_time_zone(visitor, member):
    start = timezone.datetime(2031, 3, 4, 17, 0, tzinfo=timezone.UTC)
    event = EventFactory(
        slug="zoning",
        capacity=30,
        time_zone="America/Los_Angeles",
        starts_at=start,
        ends_at=start + timedelta(hours=1),
    )
    services.registration_create(event=event, user=member)

    html = visitor.get("/events/zoning/").content.decode()

    assert "29 of 30 left" in html
    assert "9:00 AM – 10:00 AM PST" in html


def test_unpublished_or_unknown_event_is_404(visitor):
    EventFactory(slug="draft", is_published=False)

    assert visitor.get("/events/draft/").status_code == 404
    assert visitor.get("/events/nope/").status_code == 404


def test_anonymous_detail_is_cacheable_but_signed_in_detail_is_private(client, member):
    EventFactory(slug="open-data")

    anonymous = client.get("/events/open-data/")
    client.force_login(member)
    signed_in = client.get("/events/open-data/")

    assert "private" not in anonymous.get("Cache-Control", "")
    assert "private" in signed_in["Cache-Control"]


def test_visitor_is_sent_to_log_in_before_registering(visitor):
    EventFactory(slug="streets")

    response = visitor.get("/events/streets/register/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/events/streets/register/")


def test_member_registers_through_the_form_and_sees_the_confirmation(client, member):
    event = EventFactory(slug="streets", price=Decimal("80"))
    client.force_login(member)

    form = client.get("/events/streets/register/")
    assert "As a member you register free." in form.content.decode()
    response = client.post("/events/streets/register/", follow=True)

    html = response.content.decode()
    assert "You&#x27;re registered." in html or "You're registered." in html
    assert "/events/streets.ics" in html
    assert "private" in response["Cache-Control"]
    assert event.registrations.get().user == member


def test_non_member_sees_the_price_and_is_not_registered(client, registered):
    event = EventFactory(slug="paid", price=Decimal("80"))
    client.force_login(registered)

    form = client.get("/events/paid/register/").content.decode()
    client.post("/events/paid/register/")

    assert "$80.00" in form
    assert not event.registrations.exists()


def test_registrant_cancels_from_the_event_page(client, member):
    event = EventFactory(slug="streets")
    services.registration_create(event=event, user=member)
    client.force_login(member)

    response = client.post("/events/streets/cancel/")

    assert response.status_code == 302
    assert event.registrations.get().status == Registration.Status.CANCELLED


def test_join_link_only_for_registrants_and_only_from_an_hour_before(client, member, registered):
    now = timezone.now()
    soon = EventFactory(
        slug="soon",
        starts_at=now + timedelta(minutes=50),
        join_url="https://meet.example.org/soon",
    )
    later = EventFactory(
        slug="later",
        starts_at=now + timedelta(hours=3),
        join_url="https://meet.example.org/later",
    )
    for event in (soon, later):
        services.registration_create(event=event, user=member)

    assert "meet.example.org" not in client.get("/events/soon/").content.decode()
    client.force_login(registered)
    assert "meet.example.org" not in client.get("/events/soon/").content.decode()
    client.force_login(member)
    assert "https://meet.example.org/soon" in client.get("/events/soon/").content.decode()
    later_html = client.get("/events/later/").content.decode()
    assert "meet.example.org" not in later_html
    assert "from one hour before the start" in later_html


def test_waitlisted_person_sees_their_place_in_the_queue(client, member, registered):
    event = EventFactory(slug="full", capacity=1)
    services.registration_create(event=event, user=member)
    services.registration_create(event=event, user=UserFactory(email="x@example.org"))
    services.registration_create(event=event, user=registered)  # second in the queue
    client.force_login(registered)

    html = client.get("/events/full/").content.decode()

    assert "on the waitlist (number 2)" in html


def test_events_appear_on_the_home_page_selector():
    from events.selectors import upcoming_public_events

    first = EventFactory(title="First")
    EventFactory(title="Second", starts_at=first.starts_at + timedelta(days=1))
    EventFactory(title="Draft", is_published=False)

    events = upcoming_public_events(limit=1)

    assert [e.title for e in events] == ["First"]
    card = events[0]
    assert card.url == f"/events/{first.slug}/" and card.kind_label == "Webinar"
    assert card.summary and card.when_label


def test_detail_offers_add_to_calendar_links(visitor):
    start = timezone.datetime(2031, 3, 4, 17, 0, tzinfo=timezone.UTC)
    EventFactory(slug="cal", title="Zoning", starts_at=start, ends_at=start + timedelta(hours=1))

    html = visitor.get("/events/cal/").content.decode()

    assert 'href="/events/cal.ics"' in html
    assert "calendar.google.com/calendar/render?action=TEMPLATE&amp;text=Zoning" in html
    assert "dates=20310304T170000Z%2F20310304T180000Z" in html
    assert "outlook.live.com/calendar" in html
