"""Registrations: places, the waitlist and its offers, and check-in. Every write locks the
event row first."""

from datetime import timedelta

from django.db import IntegrityError, models, transaction
from django.db.models.functions import Coalesce
from django.utils import timezone

from core.signals import public_pages_changed
from members.selectors import membership_is_active

from ..models import Event, Registration, RegistrationEmail
from ..selectors import TAKEN, places_held, places_taken
from .emails import registration_email_queue
from .learning import certificates_revoke_for_attendance
from .offer_tokens import offer_from_token
from .tickets import (
    ChoiceRefused,
    TicketChoice,
    amount_owed,
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


class OfferError(RegistrationError):
    """A waitlist offer that cannot be accepted (lapsed, someone else's, already used)."""


def taken_places(event: Event) -> int:
    """Places held at the event, guests included."""
    return places_taken(event)


def room_for(event: Event, *, ticket_type=None, places: int = 1) -> bool:
    """Whether a newcomer's party gets in now: it fits the capacity and the ticket's quota, and
    no one waiting is owed the place first (a waiting party that would fit now gets an offer
    in the next round; a newcomer never jumps ahead of it). Parties that do not fit, or wait
    for another ticket's full quota, hold no one up."""
    # Two queries however long the queue: the places held, counted once, then the queue.
    held = places_held(event)
    if not held.fits(
        places=places,
        ticket_type_id=ticket_type.pk if ticket_type else None,
        quota=ticket_type.quota if ticket_type else None,
    ):
        return False
    waiting = event.registrations.filter(status=Registration.Status.WAITLISTED).values_list(
        "guests", "ticket_type_id", "ticket_type__quota"
    )
    return not any(
        held.fits(places=1 + guests, ticket_type_id=type_id, quota=quota)
        for guests, type_id, quota in waiting
    )


def is_full(event: Event) -> bool:
    """No place for one more person."""
    return not room_for(event)


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
    if ceiling is not None and choice.guests and choice.places > ceiling:
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
    fits = room_for(event, ticket_type=choice.ticket_type, places=choice.places)
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
    """Cancel a registration (or leave the waitlist, or decline an offered place); a freed
    place is offered to the first person on the waitlist."""
    now = now or timezone.now()
    event = Event.objects.select_for_update().get(pk=registration.event_id)
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    if registration.status == Registration.Status.CANCELLED:
        return registration
    freed_place = registration.status in TAKEN
    registration.status = Registration.Status.CANCELLED
    registration.cancelled_at = now
    registration.save(update_fields=["status", "cancelled_at"])
    if notify:
        registration_email_queue(registration, RegistrationEmail.Kind.CANCELLED)
    certificates_revoke_for_attendance(registration=registration, now=now)
    if freed_place and not event.is_past(now):
        waitlist_offer_places(event=event, now=now)
    places_changed(event)
    return registration


def _offer_expires_at(event: Event, now):
    """The offer's deadline: the event's hours to accept, but never past the close of
    registration (an offer after the start would be no use)."""
    closes = event.registration_closes_at or event.starts_at
    return min(now + timedelta(hours=event.offer_hours), closes)


@transaction.atomic
def waitlist_offer_places(*, event: Event, now=None) -> list[Registration]:
    """Settle the event's waitlist: offers that lapsed are withdrawn (the person leaves the
    waitlist and hears so), then each free place is offered to the next person in the queue,
    first come first served, by email. Offered places count as taken, so running this again,
    or from two cancellations at once (the event row is locked), never offers a place twice.
    Returns the registrations offered a place now."""
    now = now or timezone.now()
    event = Event.objects.select_for_update().get(pk=event.pk)
    lapsed = event.registrations.select_for_update().filter(
        status=Registration.Status.OFFERED, offer_expires_at__lte=now
    )
    for registration in lapsed:
        registration.status = Registration.Status.CANCELLED
        registration.cancelled_at = now
        registration.save(update_fields=["status", "cancelled_at"])
        registration_email_queue(registration, RegistrationEmail.Kind.OFFER_EXPIRED)
    offered = []
    if event.is_published and event.registration_state(now) == "open":
        waiting = (
            event.registrations.select_for_update(of=("self",))
            .filter(status=Registration.Status.WAITLISTED)
            .select_related("ticket_type")
            .order_by("created_at", "pk")
        )
        held = places_held(event)  # counted once, then kept up to date as places are offered
        for registration in waiting:
            if event.capacity is not None and held.taken >= event.capacity:
                break
            # A party comes in whole, with its guests, or not at all; one that does not fit
            # (or whose ticket's quota is full) keeps its place in the queue while a party
            # behind it that fits gets the offer.
            ticket_type = registration.ticket_type
            if not held.fits(
                places=registration.places,
                ticket_type_id=registration.ticket_type_id,
                quota=ticket_type.quota if ticket_type else None,
            ):
                continue
            held = held.holding(
                places=registration.places, ticket_type_id=registration.ticket_type_id
            )
            registration.status = Registration.Status.OFFERED
            registration.offered_at = now
            registration.offer_expires_at = _offer_expires_at(event, now)
            registration.save(update_fields=["status", "offered_at", "offer_expires_at"])
            registration_email_queue(registration, RegistrationEmail.Kind.OFFER)
            offered.append(registration)
    if offered or lapsed:
        places_changed(event)
    return offered


@transaction.atomic
def waitlist_offer_accept(*, token: str, user, now=None) -> Registration:
    """The offered person takes the place: confirmed, with the usual email and calendar file.
    Single use: once accepted (or lapsed, or declined) the same link confirms nothing."""
    now = now or timezone.now()
    key = offer_from_token(token)
    if key is None:
        raise OfferError("This offer link is not valid. Check the address in your email.")
    registration = Registration.objects.filter(pk=key[0]).first()
    if registration is None:
        raise OfferError("This offer no longer exists.")
    Event.objects.select_for_update().get(pk=registration.event_id)
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    if registration.user_id != user.pk:
        raise OfferError(
            "This offer was made to someone else: log in as the person it was sent to."
        )
    offered_at = registration.offered_at and registration.offered_at.timestamp()
    if offered_at != key[1]:
        raise OfferError("This offer link is out of date.")
    if registration.status == Registration.Status.CONFIRMED:
        raise OfferError("You have already accepted this place: you're registered.")
    if registration.status != Registration.Status.OFFERED or registration.offer_expires_at <= now:
        raise OfferError("This offer has lapsed and the place has gone to the next person.")
    registration.status = Registration.Status.CONFIRMED
    registration.promoted_at = now
    registration.save(update_fields=["status", "promoted_at"])
    registration_email_queue(registration, RegistrationEmail.Kind.PROMOTED)
    return registration


def waitlist_offers_due(*, now=None) -> list[int]:
    """Events whose waitlist needs settling now: an offer has lapsed, or an upcoming event
    has free places while people wait (capacity raised, a payment hold released)."""
    now = now or timezone.now()
    lapsed = Registration.objects.filter(
        status=Registration.Status.OFFERED, offer_expires_at__lte=now
    ).values_list("event_id", flat=True)
    someone_waits = Registration.objects.filter(
        event=models.OuterRef("pk"), status=Registration.Status.WAITLISTED
    )
    waiting = (
        Event.objects.filter(models.Exists(someone_waits), starts_at__gt=now, is_published=True)
        .annotate(
            held=Coalesce(
                models.Sum(
                    models.F("registrations__guests") + 1,
                    filter=models.Q(registrations__status__in=TAKEN),
                ),
                0,
            )
        )
        .filter(models.Q(capacity__isnull=True) | models.Q(capacity__gt=models.F("held")))
        .values_list("pk", flat=True)
    )
    return sorted(set(lapsed) | set(waiting))


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
