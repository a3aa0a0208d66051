"""Paid tickets for non-members, through the members app's Stripe client."""

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.template.defaultfilters import pluralize
from django.utils import timezone

from members import billing
from members.selectors import membership_is_active

from ..models import Event, Registration, RegistrationEmail
from ..selectors import places_taken
from .emails import registration_email_queue
from .registrations import (
    RegistrationClosed,
    RegistrationError,
    check_can_register,
    checked_choice,
    is_full,
    places_changed,
    registration_cancel,
)
from .tickets import TicketChoice, amount_owed, party_fits

PAYMENT_HOLD = timedelta(minutes=35)  # Stripe's shortest Checkout expiry is 30 minutes


@transaction.atomic
def _registration_hold_place(*, event: Event, user, now, choice: TicketChoice | None):
    event = Event.objects.select_for_update().get(pk=event.pk)
    check_can_register(event=event, user=user, now=now)
    is_member = membership_is_active(user)
    choice = checked_choice(event=event, choice=choice, is_member=is_member)
    owed = amount_owed(event=event, choice=choice, is_member=is_member)
    if owed <= 0:
        raise RegistrationError("This registration is free: no payment is needed.")
    if is_full(event):
        raise RegistrationClosed("This event is full.")
    if not party_fits(event, ticket_type=None, places=choice.places):
        left = max(event.capacity - places_taken(event), 0)
        raise RegistrationClosed(
            f"Only {left} place{pluralize(left)} left: register with fewer guests."
        )
    if not party_fits(event, ticket_type=choice.ticket_type, places=choice.places):
        raise RegistrationClosed(f"The {choice.ticket_type.name} ticket is sold out.")
    registration = Registration.objects.create(
        event=event,
        user=user,
        status=Registration.Status.PENDING_PAYMENT,
        amount_due=owed,
        **choice.registration_fields(),
    )
    places_changed(event)
    return registration


def registration_start_checkout(
    *,
    event: Event,
    user,
    success_url: str,
    cancel_url: str,
    now=None,
    choice: TicketChoice | None = None,
):
    """Hold places for a paid ticket (the registrant's and their guests') and open a Stripe
    Checkout session (payment mode) for them; returns the registration with the Checkout
    URL. The places are held until the session expires; a failed call to Stripe releases
    them at once."""
    now = now or timezone.now()
    if not billing.payments_configured():
        raise RegistrationError("Online payment is not configured on this site yet.")
    registration = _registration_hold_place(event=event, user=user, now=now, choice=choice)
    unit_price = registration.amount_due / registration.places
    name = f"Ticket: {event.title}"
    if registration.ticket_name:
        name += f" ({registration.ticket_name})"
    try:
        session = billing.stripe_client().v1.checkout.sessions.create(
            params={
                "mode": "payment",
                "customer_email": user.email,
                "client_reference_id": f"registration-{registration.pk}",
                "line_items": [
                    {
                        "quantity": registration.places,
                        "price_data": {
                            "currency": "usd",
                            "unit_amount": int(unit_price * 100),
                            "product_data": {"name": name},
                        },
                    }
                ],
                "metadata": {"registration_id": str(registration.pk), "event": event.slug},
                "expires_at": int((now + timedelta(minutes=30)).timestamp()),
                "success_url": success_url + "?session_id={CHECKOUT_SESSION_ID}",
                "cancel_url": cancel_url,
            }
        )
    except Exception:
        registration_cancel(registration=registration, now=now, notify=False)
        raise
    Registration.objects.filter(pk=registration.pk).update(
        stripe_checkout_session_id=session.id, stripe_checkout_url=session.url or ""
    )
    registration.refresh_from_db()
    return registration


@transaction.atomic
def registration_settle_payment(
    *, registration: Registration, session: dict, now=None
) -> Registration:
    """Apply what Stripe says about a ticket's Checkout session: paid confirms the place,
    expired releases it. Safe to call again with the same session."""
    now = now or timezone.now()
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    if session.get("id") != registration.stripe_checkout_session_id:
        raise RegistrationError("That payment belongs to another registration.")
    if registration.status != Registration.Status.PENDING_PAYMENT:
        return registration
    if session.get("payment_status") == "paid":
        registration.status = Registration.Status.CONFIRMED
        registration.amount_paid = Decimal(session.get("amount_total") or 0) / 100
        registration.save(update_fields=["status", "amount_paid"])
        registration_email_queue(registration, RegistrationEmail.Kind.CONFIRMED)
    elif session.get("status") == "expired":
        registration_cancel(registration=registration, now=now, notify=False)
        registration.refresh_from_db()
    return registration


def registration_sync_payment(*, registration: Registration, now=None) -> Registration:
    """Ask Stripe about a pending ticket's session and settle it (for the return page and
    the periodic reconciliation, so a closed browser tab never loses a paid ticket)."""
    now = now or timezone.now()
    if registration.status != Registration.Status.PENDING_PAYMENT:
        return registration
    if not registration.stripe_checkout_session_id:
        if now - registration.created_at > PAYMENT_HOLD:
            registration_cancel(registration=registration, now=now, notify=False)
        return registration
    session = (
        billing.stripe_client()
        .v1.checkout.sessions.retrieve(registration.stripe_checkout_session_id)
        .to_dict()
    )
    if session.get("payment_status") != "paid" and now - registration.created_at > PAYMENT_HOLD:
        session = {**session, "status": "expired"}
    return registration_settle_payment(registration=registration, session=session, now=now)


def pending_payment_ids(*, now=None) -> list[int]:
    now = now or timezone.now()
    return list(
        Registration.objects.filter(
            status=Registration.Status.PENDING_PAYMENT,
            created_at__lt=now - timedelta(minutes=2),
        ).values_list("pk", flat=True)
    )


def ticket_checkout_completed(*, session: dict, **kwargs) -> None:
    """Stripe's webhook says a ticket's Checkout session completed: settle the place now,
    rather than waiting for the buyer's return or the periodic reconciliation."""
    registration_id = (session.get("metadata") or {}).get("registration_id", "")
    if not registration_id.isdigit():
        return
    registration = Registration.objects.filter(pk=int(registration_id)).first()
    if registration is not None:
        registration_settle_payment(registration=registration, session=session)
