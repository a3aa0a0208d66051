"""Stripe's API: customers, Checkout and portal sessions, cancellation, and verifying the
webhook's payloads. What Stripe's answers change here is in members.services.subscriptions
(writes) and members.webhooks (the event handlers).

Calls go through the official `stripe` library. STRIPE_API_BASE points it elsewhere (the
tests' fake Stripe on loopback); unset, it talks to api.stripe.com.
"""

import logging
import time

import stripe
from django.conf import settings
from django.dispatch import Signal
from django.urls import reverse

from .models import Membership, Plan

logger = logging.getLogger(__name__)

# Sent (by members.webhooks) with session=<the Checkout session dict> when a payment-mode
# Checkout completes.
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


def customer_create(*, user) -> str:
    """A new Stripe customer for the user; its id."""
    customer = stripe_client().v1.customers.create(
        params={
            "email": user.email,
            "name": user.get_full_name() or user.email,
            "metadata": {"user_id": str(user.pk)},
        }
    )
    return customer.id


def checkout_session_url(*, user, plan: Plan, customer_id: str) -> str:
    """Create a Checkout session in subscription mode for this user and plan; its URL.

    Buyers may enter a promotion code (made in Stripe's dashboard); a plan with trial days
    starts with that many free days (the subscription is "trialing", a member already)."""
    subscription_data = {"metadata": {"user_id": str(user.pk), "plan": plan.slug}}
    if plan.trial_days:
        subscription_data["trial_period_days"] = plan.trial_days
    session = stripe_client().v1.checkout.sessions.create(
        params={
            "mode": "subscription",
            "customer": customer_id,
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


def current_subscription(subscription_id: str) -> dict | None:
    """The subscription as Stripe knows it now; None when Stripe does not know it (any other
    Stripe error propagates, and the webhook asks Stripe to retry)."""
    try:
        return stripe_client().v1.subscriptions.retrieve(subscription_id).to_dict()
    except stripe.InvalidRequestError as error:
        if error.http_status == 404:
            return None
        raise


def charge_retrieve(charge_id: str) -> dict | None:
    """A charge as Stripe knows it (a refund names its charge, the charge its customer); None
    when Stripe does not know it (any other Stripe error propagates: the webhook retries)."""
    try:
        return stripe_client().v1.charges.retrieve(charge_id).to_dict()
    except stripe.InvalidRequestError as error:
        if error.http_status == 404:
            return None
        raise
