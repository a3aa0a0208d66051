"""An event page's kept fragments (events.views.public.event_detail): each change under them
shows on the next visit, members and others never share what differs between them, and the
visitor's own registration, waitlist place and CSRF token are drawn for every request."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from events.models import Event, EventSession, Registration, Speaker, TicketType
from events.services import registration_cancel, registration_create
from tests.core.test_table_versions import tables_read, tables_watched_by
from tests.events.factories import EventFactory, SpeakerFactory, TopicFactory, add_ticket_type
from tests.members.factories import make_member

pytestmark = pytest.mark.django_db

TRIGGER = "events_page_changed"
# The person (with membership and profile), the version and their registration.
KEPT_QUERIES = 3


@pytest.fixture
def event():
    speaker = SpeakerFactory(name="Rosa Parks-Lee")
    event = EventFactory(
        title="Streets for people",
        capacity=10,
        body="<p>What we will cover.</p>",
        topics=[TopicFactory(name="Mobility")],
    )
    event.speakers.add(speaker)
    event.save()
    EventSession.objects.create(
        event=event,
        sort_order=0,
        title="Opening",
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        speaker=speaker,
    )
    return Event.objects.get(pk=event.pk)


def _page(client, event) -> str:
    response = client.get(f"/events/{event.slug}/")
    assert response.status_code == 200
    return response.content.decode()


def _kept(client, event, django_assert_num_queries) -> str:
    with django_assert_num_queries(KEPT_QUERIES):
        return _page(client, event)


@pytest.fixture
def viewer(client, member, event):
    client.force_login(member)
    _page(client, event)
    return client


def test_a_repeat_visit_is_served_from_what_was_kept(viewer, event, django_assert_num_queries):
    page = _kept(viewer, event, django_assert_num_queries)
    for shown in ("Streets for people", "What we will cover.", "Opening", "Rosa Parks-Lee"):
        assert shown in page
    assert "Mobility" in page and "10 of 10 left" in page


def test_an_event_edit_shows_on_the_next_visit(viewer, event, django_assert_num_queries):
    event.title, event.body = "Streets for everyone", "<p>A new plan.</p>"
    event.save()

    page = _page(viewer, event)
    assert "Streets for everyone" in page and "A new plan." in page
    assert "A new plan." in _kept(viewer, event, django_assert_num_queries)


def test_a_speaker_session_or_topic_change_shows_on_the_next_visit(viewer, event):
    Speaker.objects.filter(name="Rosa Parks-Lee").update(role="Mayor of Testville")
    assert "Mayor of Testville" in _page(viewer, event)

    EventSession.objects.filter(event=event).update(title="Welcome and coffee")
    assert "Welcome and coffee" in _page(viewer, event)

    event.topics.add(TopicFactory(name="Housing"))
    event.save()
    assert "Housing" in _page(viewer, event)


def test_an_unpublished_event_is_gone_on_the_next_visit(viewer, event):
    Event.objects.filter(pk=event.pk).update(is_published=False)

    assert viewer.get(f"/events/{event.slug}/").status_code == 404


def test_someone_elses_registration_moves_the_places_left(viewer, event):
    registration_create(event=event, user=make_member(email="other@example.org"))

    page = _page(viewer, event)
    assert "9 of 10 left" in page
    assert "You're registered" not in page  # theirs, not this viewer's


def test_the_visitors_own_registration_and_cancel_form_are_theirs(
    client, viewer, member, event, django_assert_num_queries
):
    registration = registration_create(event=event, user=member)
    page = _page(viewer, event)
    assert "You're registered" in page and "Cancel my registration" in page
    assert 'name="csrfmiddlewaretoken"' in page
    assert "You're registered" in _kept(viewer, event, django_assert_num_queries)

    client.force_login(make_member(email="other@example.org"))
    other = _page(client, event)
    assert "You're registered" not in other and "Cancel my registration" not in other
    assert "Register" in other

    registration_cancel(registration=registration, notify=False)
    client.force_login(member)
    assert "You're registered" not in _page(client, event)


def test_the_waitlist_place_is_each_visitors_own(client, member, event):
    Event.objects.filter(pk=event.pk).update(capacity=1)
    registration_create(event=event, user=make_member(email="first@example.org"))
    registration_create(event=event, user=make_member(email="second@example.org"))
    registration_create(event=event, user=member)

    client.force_login(member)
    assert "You're on the waitlist (number 2)" in _page(client, event)
    client.force_login(Registration.objects.get(user__email="second@example.org").user)
    assert "You're on the waitlist (number 1)" in _page(client, event)


def test_a_ticket_change_shows_on_the_next_visit(viewer, event):
    ticket = add_ticket_type(event, "Day pass")
    assert "Day pass" in _page(viewer, event)

    TicketType.objects.filter(pk=ticket.pk).update(name="Two-day pass")
    assert "Two-day pass" in _page(viewer, event)


def test_members_only_tickets_are_never_shown_to_others_from_a_members_copy(
    client, viewer, event, registered
):
    add_ticket_type(event, "Members table", members_only=True)
    assert "Members table" in _page(viewer, event)

    client.force_login(registered)
    assert "Members table" not in _page(client, event)
    client.logout()
    assert "Members table" not in _page(client, event)


def test_every_table_an_event_page_reads_moves_its_version(client, member, event):
    add_ticket_type(event, "Day pass")
    client.force_login(member)
    with CaptureQueriesContext(connection) as queries:
        _page(client, event)  # drawn afresh: the ticket moved the version
    read = tables_read(queries, of=lambda sql: '"events_' in sql)  # the page's, not the person's
    watched = tables_watched_by(TRIGGER)

    assert {"events_event", "events_speaker", "events_tickettype", "events_registration"} <= read
    assert read <= watched, read - watched
