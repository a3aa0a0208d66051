"""Staff-configured event emails: the reminders each event sends, and the post-event email.

The schedule is replayed by running the due-finder and the sender at chosen clock times, as
Celery beat would, late or twice."""

from collections import Counter
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from events import services
from events.models import Event, Registration, RegistrationEmail
from tests.events.factories import NO_TICKET_TYPES_OR_QUESTIONS, EventFactory
from tests.members.factories import UserFactory

pytestmark = pytest.mark.django_db

START = timezone.now().replace(microsecond=0) + timedelta(days=30)


def run_at(now):
    """One beat tick at `now`: record what is due, send every email due."""
    for email_id in services.reminders_queue_due(now=now):
        services.registration_email_send(email_id=email_id, now=now)


def confirmed(event, count, prefix="p"):
    return [
        Registration.objects.create(
            event=event, user=UserFactory(email=f"{prefix}{n}@example.org"), status="confirmed"
        )
        for n in range(count)
    ]


def event_at(start=START, **fields):
    return EventFactory(starts_at=start, ends_at=start + timedelta(hours=2), **fields)


def sent():
    return Counter((m.to[0], m.subject) for m in mail.outbox)


def test_replaying_the_schedule_sends_each_chosen_reminder_exactly_once():
    event = event_at(title="Transit", reminder_offsets=["7d", "24h", "1h"])
    first, second = confirmed(event, 2)
    cancelled = Registration.objects.create(
        event=event, user=UserFactory(email="gone@example.org"), status="cancelled"
    )
    waitlisted = Registration.objects.create(
        event=event, user=UserFactory(email="wait@example.org"), status="waitlisted"
    )

    ticks = [
        START - timedelta(days=8),
        START - timedelta(days=7),
        START - timedelta(days=7) + timedelta(minutes=1),
        START - timedelta(days=3),
        START - timedelta(hours=23),
        START - timedelta(hours=23),  # beat fired twice
        START - timedelta(hours=5),
        START - timedelta(minutes=50),
        START - timedelta(minutes=10),
        START + timedelta(minutes=30),
    ]
    for tick in ticks:
        run_at(tick)

    subjects = ["Next week: Transit", "Tomorrow: Transit", "Starting in an hour: Transit"]
    assert sent() == Counter(
        {(r.user.email, subject): 1 for r in (first, second) for subject in subjects}
    )
    assert not RegistrationEmail.objects.filter(registration__in=[cancelled, waitlisted]).exists()


def test_a_late_run_sends_only_the_tightest_reminder_due():
    event = event_at(title="Zoning", reminder_offsets=["7d", "24h", "2h"])
    confirmed(event, 1)

    run_at(START - timedelta(hours=20))  # beat was down for the 7-day point
    run_at(START - timedelta(minutes=90))  # the 2-hour one is due by now

    assert [m.subject for m in mail.outbox] == [
        "Tomorrow: Zoning",
        "Starting in two hours: Zoning",
    ]
    assert not RegistrationEmail.objects.filter(kind="7d").exists()


def test_new_events_send_their_kinds_default_reminders_and_none_when_staff_turn_them_off():
    meeting = event_at(kind="national_meeting", title="Spring meeting")
    webinar = event_at(kind="webinar", title="Parking webinar")
    quiet = event_at(kind="webinar", title="Quiet", reminder_offsets=[])
    off = event_at(kind="webinar", title="Off", send_reminders=False)
    for event, prefix in ((meeting, "m"), (webinar, "w"), (quiet, "q"), (off, "o")):
        confirmed(event, 1, prefix=prefix)

    assert meeting.reminders == ["7d", "24h"] and webinar.reminders == ["24h", "1h"]
    for hours in (24 * 7, 24 * 3, 23, 1.5, 0.5):
        run_at(START - timedelta(hours=hours))

    assert sorted(m.subject for m in mail.outbox) == [
        "Next week: Spring meeting",
        "Starting in an hour: Parking webinar",
        "Tomorrow: Parking webinar",
        "Tomorrow: Spring meeting",
    ]


def test_the_post_event_email_has_the_recording_and_feedback_links_in_both_parts_once():
    """The recording is for every registrant; the feedback link only for those who came
    (checked in, or joined online): before, everyone got both."""
    event = event_at(
        title="Heat plans",
        reminder_offsets=[],
        recording_url="https://example.org/library/heat-plans/",
        feedback_url="https://forms.example.org/heat",
    )
    attendee, absentee = confirmed(event, 2)
    Registration.objects.filter(pk=attendee.pk).update(checked_in_at=START)

    for minutes in (60, 115, 125, 180, 60 * 24 * 2):
        run_at(START + timedelta(minutes=minutes))  # it ends at START + 2 hours

    assert sent() == {
        (attendee.user.email, "Thank you for joining Heat plans"): 1,
        (absentee.user.email, "Thank you for joining Heat plans"): 1,
    }
    messages = {message.to[0]: message for message in mail.outbox}
    recording = f"Watch the recording: {settings.SITE_URL}/events/{event.slug}/recording/"
    for person in (attendee, absentee):
        message = messages[person.user.email]
        # Through the site's recording link, which records the view for the learning record.
        assert recording in message.body
        html, mimetype = message.alternatives[0]
        assert mimetype == "text/html"
        assert f'href="{settings.SITE_URL}/events/{event.slug}/recording/"' in html
        assert "Contact us" in html and "border-top:6px solid" in html  # the site layout
    came, missed = messages[attendee.user.email], messages[absentee.user.email]
    assert "Tell us how it went: https://forms.example.org/heat" in came.body
    assert 'href="https://forms.example.org/heat"' in came.alternatives[0][0]
    assert "forms.example.org" not in missed.body
    assert "forms.example.org" not in missed.alternatives[0][0]


def test_a_feedback_only_post_event_email_goes_to_attendees_alone():
    event = event_at(
        title="Zoning clinic", reminder_offsets=[], feedback_url="https://forms.example.org/z"
    )
    checked_in, joined, absent = confirmed(event, 3)
    Registration.objects.filter(pk=checked_in.pk).update(checked_in_at=START)
    Registration.objects.filter(pk=joined.pk).update(joined_at=START)

    for hours in (3, 4):
        run_at(START + timedelta(hours=hours))

    assert sent() == {
        (checked_in.user.email, "Thank you for joining Zoning clinic"): 1,
        (joined.user.email, "Thank you for joining Zoning clinic"): 1,
    }
    assert all("Tell us how it went: https://forms.example.org/z" in m.body for m in mail.outbox)
    assert RegistrationEmail.objects.get(registration=absent, kind="followup").skipped


def test_no_post_event_email_without_links_when_off_or_long_after_the_end():
    no_links = event_at(title="No links", reminder_offsets=[])
    off = event_at(title="Off", reminder_offsets=[], feedback_url="https://f.example.org/")
    Event.objects.filter(pk=off.pk).update(send_followup=False)
    old = event_at(
        START - timedelta(days=10), reminder_offsets=[], feedback_url="https://f.example.org/"
    )
    for event, prefix in ((no_links, "a"), (off, "b"), (old, "c")):
        confirmed(event, 1, prefix=prefix)

    run_at(START + timedelta(hours=3))

    assert mail.outbox == []


def test_a_cancelled_event_gets_no_reminders_and_no_post_event_email():
    event = event_at(reminder_offsets=["24h"], feedback_url="https://f.example.org/")
    confirmed(event, 2)
    run_at(START - timedelta(hours=30))
    Event.objects.filter(pk=event.pk).update(is_published=False)  # cancelled

    for hours in (-23, -0.5, 3):
        run_at(START + timedelta(hours=hours))

    assert mail.outbox == []


def test_an_unsent_reminder_is_recorded_once_then_settled_by_a_cancellation_before_it_goes():
    event = event_at(reminder_offsets=["24h"])
    (person,) = confirmed(event, 1)
    services.reminders_queue_due(now=START - timedelta(hours=23))  # recorded, not yet sent
    services.registration_cancel(registration=person)

    run_at(START - timedelta(hours=22))

    assert [m.subject for m in mail.outbox] == [f"Registration cancelled: {event.title}"]
    assert RegistrationEmail.objects.get(registration=person, kind="24h").skipped


def test_a_time_change_retargets_the_reminders_not_yet_sent():
    event = event_at(title="Moved", reminder_offsets=["7d", "24h"])
    confirmed(event, 1)
    run_at(START - timedelta(days=6))  # the week's notice goes
    services.reminders_queue_due(now=START - timedelta(hours=23))  # 24h recorded, unsent
    later = START + timedelta(days=2)
    Event.objects.filter(pk=event.pk).update(starts_at=later, ends_at=later + timedelta(hours=2))

    run_at(START - timedelta(hours=22))  # the old time: nothing goes
    assert [m.subject for m in mail.outbox] == ["Next week: Moved"]

    run_at(later - timedelta(hours=23))
    run_at(later - timedelta(hours=22))
    assert [m.subject for m in mail.outbox] == ["Next week: Moved", "Tomorrow: Moved"]


@pytest.mark.parametrize("people", [5, 50])
def test_the_due_finder_takes_three_queries_however_many_registrations(
    people, django_assert_num_queries
):
    for n in range(3):
        event = event_at(START + timedelta(minutes=n), reminder_offsets=["24h"])
        users = UserFactory.create_batch(people)
        Registration.objects.bulk_create(
            [Registration(event=event, user=u, status="confirmed") for u in users]
        )

    with django_assert_num_queries(3):
        due = services.reminders_queue_due(now=START - timedelta(hours=20))

    assert len(due) == 3 * people


def test_staff_choose_reminders_and_a_feedback_link_in_the_event_editor(client, staff):
    event = event_at(title="Editable", kind="webinar")
    client.force_login(staff)
    url = reverse("wagtailsnippets_events_event:edit", args=[event.pk])

    response = client.get(url)
    assert response.context["form"]["reminder_offsets"].value() == ["24h", "1h"]
    assert 'name="reminder_offsets" value="7d"' in response.content.decode()

    response = client.post(
        url,
        {
            "kind": "webinar",
            "title": "Editable",
            "slug": event.slug,
            "summary": event.summary,
            "body": '{"blocks": [], "entityMap": {}}',
            "starts_at": "2031-05-10 09:00",
            "ends_at": "2031-05-10 10:00",
            "time_zone": "America/New_York",
            "price": "0",
            "is_published": "on",
            "send_followup": "on",
            "send_reminders": "on",
            "reminder_offsets": ["7d", "2h"],
            "feedback_url": "https://forms.example.org/editable",
            "sessions-TOTAL_FORMS": "0",
            "sessions-INITIAL_FORMS": "0",
            "sessions-MIN_NUM_FORMS": "0",
            "sessions-MAX_NUM_FORMS": "1000",
            **NO_TICKET_TYPES_OR_QUESTIONS,
            **NO_TICKET_TYPES_OR_QUESTIONS,
        },
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    event.refresh_from_db()
    assert event.reminders == ["7d", "2h"]
    assert event.feedback_url == "https://forms.example.org/editable"


def test_a_recorded_reminder_is_settled_unsent_when_staff_untick_it_or_a_tighter_one_is_due():
    event = event_at(title="Changed", reminder_offsets=["24h", "1h"])
    confirmed(event, 1)
    services.reminders_queue_due(now=START - timedelta(hours=23))  # 24h recorded, unsent
    Event.objects.filter(pk=event.pk).update(reminder_offsets=["1h"])

    run_at(START - timedelta(hours=22))
    run_at(START - timedelta(minutes=30))

    assert [m.subject for m in mail.outbox] == ["Starting in an hour: Changed"]
    assert RegistrationEmail.objects.get(kind="24h").skipped


@pytest.mark.worker
def test_real_worker_sends_the_chosen_reminder_and_the_post_event_email_once_each(celery_worker):
    from celery.signals import task_postrun

    from events.tasks import send_due_reminders
    from tests.conftest import wait_for

    now = timezone.now().replace(microsecond=0)
    soon = EventFactory(
        title="Week out",
        kind="national_meeting",
        starts_at=now + timedelta(days=6, hours=20),
        ends_at=now + timedelta(days=7),
    )
    ended = EventFactory(
        title="Just ended",
        reminder_offsets=[],
        starts_at=now - timedelta(hours=2),
        ends_at=now - timedelta(minutes=5),
        recording_url="https://example.org/library/just-ended/",
    )
    confirmed(soon, 2, prefix="s")
    confirmed(ended, 1, prefix="e")
    finished = []

    def record(sender=None, **kwargs):
        finished.append(sender.name)

    task_postrun.connect(record, weak=False)
    try:
        send_due_reminders.delay()
        send_due_reminders.delay()  # as if beat fired twice
        wait_for(lambda: finished.count("events.send_due_reminders") == 2, timeout=30)
    finally:
        task_postrun.disconnect(record)

    assert sent() == Counter(
        {
            ("s0@example.org", "Next week: Week out"): 1,
            ("s1@example.org", "Next week: Week out"): 1,
            ("e0@example.org", "Thank you for joining Just ended"): 1,
        }
    )
    assert all(m.alternatives[0][1] == "text/html" for m in mail.outbox)
