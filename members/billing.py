"""Stripe: Checkout, the customer portal and the webhook's event handlers.

Calls go through the official `stripe` library. STRIPE_API_BASE points it elsewhere (the
tests' fake Stripe on loopback); unset, it talks to api.stripe.com.
"""

import logging
import time

import stripe
from django.conf import settings
from django.db import transaction
from django.dispatch import Signal
from django.urls import reverse

from . import services
from .models import Membership, Plan

logger = logging.getLogger(__name__)

# Sent with session=<the Checkout session dict> when a payment-mode Checkout completes.
payment_checkout_completed = Signal()


def payments_configured() -> bool:
    return bool(settings.STRIPE_SECRET_KEY)


def webhook_configured() -> bool:
    return bool(settings.STRIPE_WEBHOOK_SECRET)


def stripe_client() -> stripe.StripeClient:
    base = {"api": settings.STRIPE_API_BASE} if settings.STRIPE_API_BASE else None
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY, base_addresses=base, max_network_retries=2
    )


def _absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def customer_for(user) -> str:
    """The user's Stripe customer id, created (and stored) on their first checkout."""
    membership = getattr(user, "membership", None)
    if membership and membership.stripe_customer_id:
        return membership.stripe_customer_id
    customer = stripe_client().v1.customers.create(
        params={
            "email": user.email,
            "name": user.get_full_name() or user.email,
            "metadata": {"user_id": str(user.pk)},
        }
    )
    services.membership_set_customer(user=user, customer_id=customer.id)
    return customer.id


def checkout_session_url(*, user, plan: Plan) -> str:
    """Create a Checkout session in subscription mode for this user and plan; its URL.

    Buyers may enter a promotion code (made in Stripe's dashboard); a plan with trial days
    starts with that many free days (the subscription is "trialing", a member already)."""
    subscription_data = {"metadata": {"user_id": str(user.pk), "plan": plan.slug}}
    if plan.trial_days:
        subscription_data["trial_period_days"] = plan.trial_days
    session = stripe_client().v1.checkout.sessions.create(
        params={
            "mode": "subscription",
            "customer": customer_for(user),
            "client_reference_id": str(user.pk),
            "line_items": [{"price": plan.stripe_price_id, "quantity": 1}],
            "allow_promotion_codes": True,
            "subscription_data": subscription_data,
            "metadata": {"user_id": str(user.pk), "plan": plan.slug},
            "success_url": _absolute(reverse("members:checkout_success"))
            + "?session_id={CHECKOUT_SESSION_ID}",
            "cancel_url": _absolute(reverse("members:checkout_cancelled")),
        }
    )
    return session.url


def portal_url(*, membership: Membership) -> str:
    session = stripe_client().v1.billing_portal.sessions.create(
        params={
            "customer": membership.stripe_customer_id,
            "return_url": _absolute(reverse("members:dashboard")),
        }
    )
    return session.url


def subscription_cancel(subscription_id: str) -> None:
    """End a subscription at Stripe now: no further charges (used when an account is deleted)."""
    stripe_client().v1.subscriptions.cancel(subscription_id)


def construct_event(payload: bytes, signature: str | None) -> dict:
    """Verify the signature on the raw body; raises ValueError or SignatureVerificationError.

    The stripe library refuses timestamps older than its tolerance but not ones in the
    future, which would let a captured payload be replayed for as long as the forger
    liked; and an event must carry the id and type the handlers dispatch and deduplicate on.
    """
    tolerance = settings.STRIPE_WEBHOOK_TOLERANCE_SECONDS
    try:
        event = stripe.Webhook.construct_event(
            payload, signature, settings.STRIPE_WEBHOOK_SECRET, tolerance=tolerance
        )
    except (AttributeError, TypeError) as error:  # signed JSON that is not an object
        raise ValueError("The payload is not a Stripe event.") from error
    if _signed_at(signature) > time.time() + tolerance:
        raise stripe.SignatureVerificationError("Timestamp is in the future.", signature, payload)
    event = event.to_dict()
    if not isinstance(event.get("id"), str) or not event["id"]:
        raise ValueError("The event has no id.")
    if not isinstance(event.get("type"), str):
        raise ValueError("The event has no type.")
    if not isinstance(event.get("data"), dict) or not isinstance(event["data"].get("object"), dict):
        raise ValueError("The event has no data object.")
    return event


def _signed_at(signature: str) -> int:
    """The latest `t=` in a Stripe-Signature header (already verified to be well formed)."""
    stamps = [
        int(part[2:])
        for part in signature.split(",")
        if part.startswith("t=") and part[2:].isdigit()
    ]
    return max(stamps, default=0)


# --- Webhook handlers: each gets the event (a dict) and returns nothing -------------------
def _current_subscription(subscription_id: str) -> dict | None:
    """The subscription as Stripe knows it now; None when Stripe does not know it (any other
    Stripe error propagates, and the webhook asks Stripe to retry)."""
    try:
        return stripe_client().v1.subscriptions.retrieve(subscription_id).to_dict()
    except stripe.InvalidRequestError as error:
        if error.http_status == 404:
            return None
        raise


def _sync(event: dict, subscription_id: str, **extra) -> None:
    subscription = _current_subscription(subscription_id)
    if subscription is None:
        # Retrying would never help: acknowledge it, so Stripe stops sending it for days.
        logger.warning(
            "Stripe event %s (%s) is about subscription %s, which Stripe does not know: ignored.",
            event["id"],
            event["type"],
            subscription_id,
        )
        services.stripe_event_record(event_id=event["id"], event_type=event["type"])
        return
    _apply(event, subscription, **extra)


def _apply(event: dict, subscription: dict, **extra) -> None:
    services.membership_sync_from_stripe(
        event_id=event["id"],
        event_type=event["type"],
        subscription=subscription,
        fetch_subscription=_current_subscription,
        **extra,
    )


def handle_checkout_completed(event: dict) -> None:
    session = event["data"]["object"]
    if session.get("mode") == "payment":
        # One-off payments belong to other apps (event tickets); members may not import
        # them, so it announces the session, recorded in the same transaction.
        with transaction.atomic():
            services.stripe_event_record(event_id=event["id"], event_type=event["type"])
            payment_checkout_completed.send(sender=handle_checkout_completed, session=session)
        return
    if session.get("mode") != "subscription" or not session.get("subscription"):
        services.stripe_event_record(event_id=event["id"], event_type=event["type"])
        return
    user_id = session.get("client_reference_id")
    _sync(
        event,
        session["subscription"],
        user_id=int(user_id) if user_id and user_id.isdigit() else None,
        customer_id=session.get("customer") or "",
    )


def handle_subscription_changed(event: dict) -> None:
    subscription = event["data"]["object"]
    if event["type"] == "customer.subscription.deleted":
        # A deleted subscription cannot change again: the event's copy is its final state.
        _apply(event, subscription)
        return
    _sync(event, subscription["id"])


def _invoice_subscription_id(invoice: dict) -> str:
    parent = invoice.get("parent") or {}
    details = parent.get("subscription_details") or {}
    return details.get("subscription") or invoice.get("subscription") or ""


def handle_invoice(event: dict) -> None:
    subscription_id = _invoice_subscription_id(event["data"]["object"])
    if not subscription_id:
        services.stripe_event_record(event_id=event["id"], event_type=event["type"])
        return
    _sync(event, subscription_id)


HANDLERS = {
    "checkout.session.completed": handle_checkout_completed,
    "customer.subscription.created": handle_subscription_changed,
    "customer.subscription.updated": handle_subscription_changed,
    "customer.subscription.deleted": handle_subscription_changed,
    "invoice.paid": handle_invoice,
    "invoice.payment_failed": handle_invoice,
}
