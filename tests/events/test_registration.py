import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from events import services
from events.models import Registration, RegistrationEmail
from events.services.offer_tokens import offer_token
from tests.events.factories import EventFactory
from tests.members.factories import UserFactory, make_member

pytestmark = pytest.mark.django_db


def test_member_registers_free_for_a_paid_event(member):
    event = EventFactory(price=Decimal("150"))

    registration = services.registration_create(event=event, user=member)

    assert registration.status == Registration.Status.CONFIRMED
    assert registration.amount_paid == 0


def test_non_member_must_pay_for_a_paid_event(registered, lapsed):
    event = EventFactory(price=Decimal("150"))

    for person in (registered, lapsed):
        with pytest.raises(services.PaymentRequired):
            services.registration_create(event=event, user=person)
    assert not Registration.objects.exists()


def test_non_member_registers_for_a_free_webinar(registered):
    registration = services.registration_create(event=EventFactory(), user=registered)

    assert registration.status == Registration.Status.CONFIRMED


def test_no_double_registration(member):
    event = EventFactory()
    services.registration_create(event=event, user=member)

    with pytest.raises(services.AlreadyRegistered):
        services.registration_create(event=event, user=member)
    assert event.registrations.count() == 1


def test_registration_window_is_enforced(member):
    now = timezone.now()
    not_yet = EventFactory(registration_opens_at=now + timedelta(days=1))
    closed = EventFactory(registration_closes_at=now - timedelta(minutes=1))
    started = EventFactory(starts_at=now - timedelta(minutes=5), ends_at=now + timedelta(hours=1))

    for event in (not_yet, closed, started):
        with pytest.raises(services.RegistrationClosed):
            services.registration_create(event=event, user=member)


def test_unpublished_event_takes_no_registrations(member):
    with pytest.raises(services.RegistrationClosed):
        services.registration_create(event=EventFactory(is_published=False), user=member)


def test_full_event_puts_the_next_person_on_the_waitlist(member, registered):
    event = EventFactory(capacity=1)
    first = services.registration_create(event=event, user=member)
    second = services.registration_create(event=event, user=registered)

    assert first.status == Registration.Status.CONFIRMED
    assert second.status == Registration.Status.WAITLISTED


def test_cancellation_offers_the_place_to_the_first_on_the_waitlist_and_emails_them(
    member, registered, django_capture_on_commit_callbacks, eager_tasks
):
    """Was automatic promotion: the first person waiting is now offered the place, and is
    registered (with the calendar file) once they accept it."""
    event = EventFactory(capacity=1, title="Parking reform clinic")
    third = UserFactory(email="third@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        first = services.registration_create(event=event, user=member)
        waiting = services.registration_create(event=event, user=registered)
        later = services.registration_create(event=event, user=third)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.registration_cancel(registration=first)

    waiting.refresh_from_db()
    later.refresh_from_db()
    assert waiting.status == Registration.Status.OFFERED and waiting.offer_expires_at
    assert later.status == Registration.Status.WAITLISTED
    subjects = {message.to[0]: message.subject for message in mail.outbox}
    assert subjects == {
        "member@example.org": "Registration cancelled: Parking reform clinic",
        "registered@example.org": "A place is free for you: Parking reform clinic",
    }
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.waitlist_offer_accept(token=offer_token(waiting), user=registered)

    waiting.refresh_from_db()
    assert waiting.status == Registration.Status.CONFIRMED and waiting.promoted_at
    (promoted,) = mail.outbox
    assert promoted.subject == "A place opened up: you're registered for Parking reform clinic"
    assert promoted.attachments[0][0].endswith(".ics")


def test_cancelling_twice_changes_nothing(member):
    registration = services.registration_create(event=EventFactory(), user=member)
    services.registration_cancel(registration=registration)
    services.registration_cancel(registration=registration)

    assert RegistrationEmail.objects.filter(kind="cancelled").count() == 1


def test_a_cancelled_registrant_may_register_again(member):
    event = EventFactory()
    services.registration_cancel(
        registration=services.registration_create(event=event, user=member)
    )

    again = services.registration_create(event=event, user=member)

    assert again.status == Registration.Status.CONFIRMED
    assert event.registrations.count() == 2


def test_confirmation_email_carries_the_event_calendar_file(
    member, django_capture_on_commit_callbacks, eager_tasks
):
    event = EventFactory(title="Housing supply lab")
    with django_capture_on_commit_callbacks(execute=True):
        services.registration_create(event=event, user=member)

    (message,) = mail.outbox
    assert message.subject == "You're registered: Housing supply lab"
    name, content, mimetype = message.attachments[0]
    assert (name, mimetype) == (f"{event.slug}.ics", "text/calendar")
    assert "BEGIN:VEVENT" in content


def test_an_email_is_sent_once_however_often_it_is_asked_for(member):
    registration = services.registration_create(event=EventFactory(), user=member)
    email = registration.emails.get()

    assert services.registration_email_send(email_id=email.pk) is True
    assert services.registration_email_send(email_id=email.pk) is False
    assert len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_two_people_racing_for_the_last_place_exactly_one_gets_it():
    """Real concurrent transactions: each thread has its own PostgreSQL connection."""
    event = EventFactory(capacity=1)
    racers = [make_member(email=f"racer{n}@example.org") for n in range(2)]
    barrier = threading.Barrier(2)
    results, errors = [], []

    def race(user):
        try:
            barrier.wait(timeout=5)
            results.append(services.registration_create(event=event, user=user).status)
        except Exception as error:  # surfaced below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=race, args=(user,)) for user in racers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    assert errors == []
    assert sorted(results) == [Registration.Status.CONFIRMED, Registration.Status.WAITLISTED]
    assert event.registrations.filter(status=Registration.Status.CONFIRMED).count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_lock_makes_the_second_racer_wait_for_the_first():
    """Without select_for_update both would see one free place: hold the first transaction
    open and check the second cannot decide until it commits."""
    from django.db import transaction

    event = EventFactory(capacity=1)
    first_user, second_user = (make_member(email=f"r{n}@example.org") for n in range(2))
    first_inside, release = threading.Event(), threading.Event()
    outcome = {}

    def first():
        with transaction.atomic():
            outcome["first"] = services.registration_create(event=event, user=first_user).status
            first_inside.set()
            release.wait(timeout=5)
        connection.close()

    def second():
        first_inside.wait(timeout=5)
        outcome["second"] = services.registration_create(event=event, user=second_user).status
        connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    threads[1].join(timeout=0.5)
    assert "second" not in outcome  # blocked on the event row lock
    release.set()
    for thread in threads:
        thread.join(timeout=10)

    assert outcome == {"first": "confirmed", "second": "waitlisted"}


def test_raising_the_capacity_offers_the_new_place_to_the_first_waiting(member, registered):
    """Was automatic promotion; now an offer, made once however often it is asked for."""
    event = EventFactory(capacity=1)
    services.registration_create(event=event, user=member)
    waiting = services.registration_create(event=event, user=registered)
    event.capacity = 2
    event.save()

    (offered,) = services.waitlist_offer_places(event=event)

    assert offered == waiting
    assert event.registrations.get(pk=waiting.pk).status == Registration.Status.OFFERED
    assert services.waitlist_offer_places(event=event) == []


def test_nothing_but_the_cancellation_reaches_someone_who_cancelled(member):
    registration = services.registration_create(event=EventFactory(), user=member)
    services.registration_cancel(registration=registration)

    for email in registration.emails.order_by("pk"):
        services.registration_email_send(email_id=email.pk)

    assert [m.subject.split(":")[0] for m in mail.outbox] == ["Registration cancelled"]
    assert registration.emails.get(kind="confirmed").skipped
