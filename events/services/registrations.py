"""Registrations: places, the waitlist and check-in. Every write locks the event row first."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from core.signals import public_pages_changed
from members.selectors import membership_is_active

from ..models import Event, Registration, RegistrationEmail
from .emails import registration_email_queue
from .learning import certificates_revoke_for_attendance
from .tickets import (
    ChoiceRefused,
    TicketChoice,
    amount_owed,
    party_fits,
    places_taken,
    ticket_choice_check,
)


class RegistrationError(Exception):
    """A registration the rules do not allow; the message is shown to the person."""


class AlreadyRegistered(RegistrationError):
    pass


class RegistrationClosed(RegistrationError):
    pass


class PaymentRequired(RegistrationError):
    pass


def taken_places(event: Event) -> int:
    """Places held at the event, guests included."""
    return places_taken(event)


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


def checked_choice(*, event: Event, choice: TicketChoice | None, is_member: bool) -> TicketChoice:
    """The registrant's ticket, guests and answers as allowed, or a RegistrationError. A party
    bigger than the whole event (or its ticket's quota) could never get in: refused outright."""
    try:
        choice = ticket_choice_check(
            event=event, choice=choice or TicketChoice(), is_member=is_member
        )
    except ChoiceRefused as error:
        raise RegistrationError(str(error)) from None
    ceilings = [event.capacity]
    if choice.ticket_type is not None:
        ceilings.append(choice.ticket_type.quota)
    ceiling = min((c for c in ceilings if c is not None), default=None)
    if ceiling is not None and choice.places > ceiling:
        raise RegistrationError(
            f"There are only {ceiling} places for this ticket: register with fewer guests."
        )
    return choice


@transaction.atomic
def registration_create(
    *, event: Event, user, now=None, choice: TicketChoice | None = None
) -> Registration:
    """Register a user for a free ticket (with their guests and answers), or put them on the
    waitlist when the event or the ticket's quota has no room for the whole party.

    The event row is locked first, so people racing for the last places are served one
    after the other: capacity and quotas always hold, guests included.
    """
    now = now or timezone.now()
    event = Event.objects.select_for_update().get(pk=event.pk)
    check_can_register(event=event, user=user, now=now)
    is_member = membership_is_active(user)
    choice = checked_choice(event=event, choice=choice, is_member=is_member)
    if amount_owed(event=event, choice=choice, is_member=is_member) > 0:
        if choice.ticket_type is None:
            raise PaymentRequired(
                f"Tickets cost ${event.price} for non-members; members register free."
            )
        raise PaymentRequired(f"The {choice.ticket_type.name} ticket has to be paid for.")
    fits = party_fits(event, ticket_type=choice.ticket_type, places=choice.places)
    status = Registration.Status.CONFIRMED if fits else Registration.Status.WAITLISTED
    try:
        with transaction.atomic():
            registration = Registration.objects.create(
                event=event, user=user, status=status, **choice.registration_fields()
            )
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
    """Fill free places from the waitlist, first come first served, and tell each person.

    A registration comes in whole, with its guests, or not at all; one whose party does not
    fit (or whose ticket's quota is full) keeps its place in the queue while a party behind
    it that fits goes in: a free place never stays empty for want of a smaller party.
    """
    now = now or timezone.now()
    event = Event.objects.select_for_update().get(pk=event.pk)
    promoted = []
    waiting = (
        event.registrations.filter(status=Registration.Status.WAITLISTED)
        .select_related("ticket_type")
        .order_by("created_at", "pk")
    )
    for registration in waiting:
        if event.capacity is not None and taken_places(event) >= event.capacity:
            break
        if not party_fits(event, ticket_type=registration.ticket_type, places=registration.places):
            continue
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
