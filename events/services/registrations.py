"""Registrations: places, the waitlist and check-in. Every write locks the event row first."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from core.signals import public_pages_changed
from members.selectors import membership_is_active

from ..models import Event, Registration, RegistrationEmail
from .emails import registration_email_queue
from .learning import certificates_revoke_for_attendance


class RegistrationError(Exception):
    """A registration the rules do not allow; the message is shown to the person."""


class AlreadyRegistered(RegistrationError):
    pass


class RegistrationClosed(RegistrationError):
    pass


class PaymentRequired(RegistrationError):
    pass


def taken_places(event: Event) -> int:
    return event.registrations.filter(
        status__in=[Registration.Status.CONFIRMED, Registration.Status.PENDING_PAYMENT]
    ).count()


# Events and challenges show on these sections' pages (and the home page, which every
# targeted clear of the page cache includes).
PUBLIC_EVENT_PATHS = ["/events/", "/challenges/", "/clusters/"]  # clusters list their events


def places_changed(event: Event) -> None:
    """Anonymous copies of pages showing places left are stale: tell the page cache."""
    public_pages_changed.send(sender=Event, paths=PUBLIC_EVENT_PATHS)


def check_can_register(*, event: Event, user, now) -> None:
    if not user.is_authenticated:
        raise RegistrationError("Log in to register.")
    if not event.is_published:
        raise RegistrationClosed("This event is not open for registration.")
    state = event.registration_state(now)
    if state == "not_yet":
        raise RegistrationClosed("Registration has not opened yet.")
    if state == "closed":
        raise RegistrationClosed("Registration for this event has closed.")
    if event.registrations.filter(user=user).exclude(status=Registration.Status.CANCELLED).exists():
        raise AlreadyRegistered("You are already registered for this event.")


@transaction.atomic
def registration_create(*, event: Event, user, now=None) -> Registration:
    """Register a user, or put them on the waitlist when the event is full.

    The event row is locked first, so two people racing for the last place are served one
    after the other: exactly one gets it, the other joins the waitlist.
    """
    now = now or timezone.now()
    event = Event.objects.select_for_update().get(pk=event.pk)
    check_can_register(event=event, user=user, now=now)
    if not event.is_free_for(is_member=membership_is_active(user)):
        raise PaymentRequired(
            f"Tickets cost ${event.price} for non-members; members register free."
        )
    full = event.capacity is not None and taken_places(event) >= event.capacity
    status = Registration.Status.WAITLISTED if full else Registration.Status.CONFIRMED
    try:
        with transaction.atomic():
            registration = Registration.objects.create(event=event, user=user, status=status)
    except IntegrityError as error:  # the partial unique constraint, should a check be skipped
        raise AlreadyRegistered("You are already registered for this event.") from error
    registration_email_queue(registration, status)
    places_changed(event)
    return registration


@transaction.atomic
def registration_cancel(
    *, registration: Registration, now=None, notify: bool = True
) -> Registration:
    """Cancel a registration; a freed place goes to the first person on the waitlist."""
    now = now or timezone.now()
    event = Event.objects.select_for_update().get(pk=registration.event_id)
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    if registration.status == Registration.Status.CANCELLED:
        return registration
    freed_place = registration.status in (
        Registration.Status.CONFIRMED,
        Registration.Status.PENDING_PAYMENT,
    )
    registration.status = Registration.Status.CANCELLED
    registration.cancelled_at = now
    registration.save(update_fields=["status", "cancelled_at"])
    if notify:
        registration_email_queue(registration, RegistrationEmail.Kind.CANCELLED)
    certificates_revoke_for_attendance(registration=registration, now=now)
    if freed_place and not event.is_past(now):
        waitlist_promote(event=event, now=now)
    places_changed(event)
    return registration


@transaction.atomic
def waitlist_promote(*, event: Event, now=None) -> list[Registration]:
    """Fill free places from the waitlist, first come first served, and tell each person."""
    now = now or timezone.now()
    event = Event.objects.select_for_update().get(pk=event.pk)
    promoted = []
    waiting = event.registrations.filter(status=Registration.Status.WAITLISTED).order_by(
        "created_at", "pk"
    )
    for registration in waiting:
        if event.capacity is not None and taken_places(event) >= event.capacity:
            break
        registration.status = Registration.Status.CONFIRMED
        registration.promoted_at = now
        registration.save(update_fields=["status", "promoted_at"])
        registration_email_queue(registration, RegistrationEmail.Kind.PROMOTED)
        promoted.append(registration)
    if promoted:
        places_changed(event)
    return promoted


@transaction.atomic
def registration_check_in(*, registration: Registration, checked_in: bool = True) -> Registration:
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    if registration.status != Registration.Status.CONFIRMED:
        raise RegistrationError("Only confirmed registrations can be checked in.")
    registration.checked_in_at = timezone.now() if checked_in else None
    registration.save(update_fields=["checked_in_at"])
    if not registration.attended:
        certificates_revoke_for_attendance(registration=registration)
    return registration


@transaction.atomic
def registration_record_join(*, registration: Registration, now=None) -> Registration:
    """A confirmed registrant opened the join link while it was live: they attended online."""
    now = now or timezone.now()
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    if registration.status != Registration.Status.CONFIRMED:
        raise RegistrationError("Only confirmed registrants can join.")
    if registration.joined_at is None:
        registration.joined_at = now
        registration.save(update_fields=["joined_at"])
    return registration
