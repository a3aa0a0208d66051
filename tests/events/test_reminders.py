from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.utils import timezone

from events import services
from events.models import Registration, RegistrationEmail
from events.services import emails
from events.tasks import send_due_reminders
from tests.conftest import wait_for
from tests.events.factories import EventFactory
from tests.members.factories import UserFactory


def registrants(event, count):
    people = [UserFactory(email=f"guest{n}@example.org") for n in range(count)]
    registrations = [services.registration_create(event=event, user=p) for p in people]
    RegistrationEmail.objects.update(sent_at=timezone.now())  # confirmations already went
    mail.outbox.clear()
    return registrations


def event_starting_in(delta, **fields):
    start = timezone.now().replace(microsecond=0) + delta
    return EventFactory(starts_at=start, ends_at=start + timedelta(hours=1), **fields)


@pytest.mark.django_db
def test_day_before_reminder_goes_once_to_each_confirmed_registrant():
    event = event_starting_in(timedelta(hours=23), title="Curb management", capacity=2)
    registrants(event, 3)  # the third is waitlisted: no reminder

    assert send_due_reminders() == 2
    assert send_due_reminders() == 0

    assert sorted(m.to[0] for m in mail.outbox) == ["guest0@example.org", "guest1@example.org"]
    assert {m.subject for m in mail.outbox} == {"Tomorrow: Curb management"}
    assert RegistrationEmail.objects.filter(kind="24h", sent_at__isnull=False).count() == 2


@pytest.mark.django_db
def test_inside_the_last_hour_only_the_hour_before_reminder_goes():
    event = event_starting_in(timedelta(minutes=40), title="Bike lanes")
    registrants(event, 1)

    send_due_reminders()

    assert [m.subject for m in mail.outbox] == ["Starting in an hour: Bike lanes"]
    assert not RegistrationEmail.objects.filter(kind="24h").exists()


@pytest.mark.django_db
def test_no_reminders_for_far_events_started_events_or_cancelled_registrations():
    far = event_starting_in(timedelta(days=3))
    started = event_starting_in(timedelta(minutes=-10))
    soon = event_starting_in(timedelta(hours=2))
    registrants(far, 1)
    Registration.objects.create(event=started, user=UserFactory(), status="confirmed")
    (cancelled,) = registrants(soon, 1)
    services.registration_cancel(registration=cancelled)
    RegistrationEmail.objects.update(sent_at=timezone.now())
    mail.outbox.clear()

    assert send_due_reminders() == 0
    assert mail.outbox == []


@pytest.mark.django_db
def test_a_refused_address_first_in_line_is_marked_failed_and_every_other_reminder_goes(
    smtp_server, caplog
):
    event = event_starting_in(timedelta(hours=20))
    refused, *others = registrants(event, 4)
    smtp_server.on_rcpt = lambda address: (
        "550 5.1.1 no such mailbox" if address == refused.user.email else None
    )

    assert send_due_reminders() == 3
    assert send_due_reminders() == 0  # the refused one is settled, never retried

    assert sorted(smtp_server.by_recipient) == sorted(r.user.email for r in others)
    failed = RegistrationEmail.objects.get(registration=refused, kind="24h")
    assert failed.failed_at is not None and failed.sent_at is None
    assert failed.last_error.startswith("550")
    assert any(
        record.levelname == "ERROR" and "failed for good" in record.getMessage()
        for record in caplog.records
    )


@pytest.mark.django_db
def test_a_transient_failure_is_retried_after_a_backoff_without_holding_up_the_rest(
    smtp_server,
):
    event = event_starting_in(timedelta(hours=20))
    first, busy, last = registrants(event, 3)
    smtp_server.on_rcpt = lambda address: (
        "451 4.3.0 try again later" if address == busy.user.email else None
    )

    assert send_due_reminders() == 2
    email = RegistrationEmail.objects.get(registration=busy, kind="24h")
    assert email.attempts == 1 and email.next_attempt_at > timezone.now()
    assert send_due_reminders() == 0  # still inside its backoff

    smtp_server.on_rcpt = None
    later = email.next_attempt_at + timedelta(seconds=1)
    for email_id in services.reminders_queue_due(now=later):
        services.registration_email_send(email_id=email_id, now=later)
    assert smtp_server.by_recipient == {u.user.email: 1 for u in (first, busy, last)}


@pytest.mark.django_db
def test_an_unexpected_error_on_one_email_does_not_stop_the_run():
    event = event_starting_in(timedelta(hours=20))
    registrants(event, 3)
    real_send = emails.EmailMultiAlternatives.send
    calls = {"n": 0}

    def breaks_on_the_second(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("template or backend bug")
        return real_send(self, *args, **kwargs)

    with mock.patch.object(emails.EmailMultiAlternatives, "send", breaks_on_the_second):
        assert send_due_reminders() == 2

    assert len(mail.outbox) == 2
    assert RegistrationEmail.objects.filter(kind="24h", attempts=1, sent_at=None).count() == 1


@pytest.mark.worker
def test_real_worker_sends_each_reminder_exactly_once_when_the_task_runs_twice(celery_worker):
    from celery.signals import task_postrun

    event = event_starting_in(timedelta(hours=23), title="Heat resilience")
    for n in range(3):
        Registration.objects.create(
            event=event, user=UserFactory(email=f"w{n}@example.org"), status="confirmed"
        )
    finished = []

    def record(sender=None, **kwargs):
        finished.append(sender.name)

    task_postrun.connect(record, weak=False)
    try:
        send_due_reminders.delay()
        send_due_reminders.delay()  # as if beat fired twice, or a redelivery
        wait_for(lambda: finished.count("events.send_due_reminders") == 2, timeout=30)
    finally:
        task_postrun.disconnect(record)

    assert sorted(m.to[0] for m in mail.outbox) == [
        "w0@example.org",
        "w1@example.org",
        "w2@example.org",
    ]
    assert {m.subject for m in mail.outbox} == {"Tomorrow: Heat resilience"}
    assert RegistrationEmail.objects.filter(kind="24h", sent_at__isnull=False).count() == 3


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_the_same_time_share_the_work_without_repeats():
    """Beat firing while a slow run is still sending: rows being sent are locked and skipped."""
    import threading
    import time

    from django.db import connection

    event = event_starting_in(timedelta(hours=22))
    for n in range(4):
        Registration.objects.create(
            event=event, user=UserFactory(email=f"c{n}@example.org"), status="confirmed"
        )
    real_send = emails.EmailMultiAlternatives.send

    def slow_send(self, *args, **kwargs):
        time.sleep(0.2)  # a slow SMTP server keeps each row locked for a while
        return real_send(self, *args, **kwargs)

    def run():
        try:
            send_due_reminders()
        finally:
            connection.close()

    with mock.patch.object(emails.EmailMultiAlternatives, "send", slow_send):
        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=20)

    assert sorted(m.to[0] for m in mail.outbox) == [f"c{n}@example.org" for n in range(4)]


@pytest.mark.worker
def test_real_worker_retries_a_failed_email_after_its_backoff_without_repeats(celery_worker):
    from celery.signals import task_postrun

    event = event_starting_in(timedelta(minutes=30), title="Flood maps")
    for n in range(3):
        Registration.objects.create(
            event=event, user=UserFactory(email=f"d{n}@example.org"), status="confirmed"
        )
    real_send = emails.EmailMultiAlternatives.send
    calls = {"n": 0}

    def fails_on_the_second(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise ConnectionError("the worker lost its SMTP connection")
        return real_send(self, *args, **kwargs)

    finished = []

    def record(sender=None, **kwargs):
        finished.append(sender.name)

    task_postrun.connect(record, weak=False)
    try:
        with mock.patch.object(emails.EmailMultiAlternatives, "send", fails_on_the_second):
            send_due_reminders.delay()
            wait_for(lambda: finished.count("events.send_due_reminders") == 1, timeout=30)
        assert len(mail.outbox) == 2  # the failure held up nobody
        # Its backoff has passed: the next run sends it, and only it.
        RegistrationEmail.objects.filter(sent_at=None).update(next_attempt_at=timezone.now())
        send_due_reminders.delay()
        wait_for(lambda: finished.count("events.send_due_reminders") == 2, timeout=30)
    finally:
        task_postrun.disconnect(record)

    assert sorted(m.to[0] for m in mail.outbox) == [
        "d0@example.org",
        "d1@example.org",
        "d2@example.org",
    ]
    assert {m.subject for m in mail.outbox} == {"Starting in an hour: Flood maps"}


@pytest.mark.worker
def test_real_worker_sends_the_confirmation_with_its_calendar_file(celery_worker, member):
    event = EventFactory(title="Tree canopy clinic")

    services.registration_create(event=event, user=member)  # enqueued when it commits

    # sent_at is committed just after the message goes: wait for the record, not the mail.
    wait_for(lambda: RegistrationEmail.objects.filter(sent_at__isnull=False).exists(), timeout=30)
    (message,) = mail.outbox
    assert message.subject == "You're registered: Tree canopy clinic"
    assert message.attachments[0][0] == f"{event.slug}.ics"
