"""Memberships kept in step with Stripe: customers, subscriptions and the events that
report them (each recorded once)."""

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

from .. import billing
from ..models import Membership, MembershipEvent, Plan, StripeEvent
from .memberships import _locked_membership, _membership_change
from .retention import payment_failed_notify

User = get_user_model()
logger = logging.getLogger(__name__)


class AlreadyProcessed(Exception):
    """This Stripe event was handled before."""


def _stripe_timestamp(value) -> datetime | None:
    return datetime.fromtimestamp(int(value), tz=UTC) if value else None


def _subscription_period_end(subscription: dict) -> datetime | None:
    # Since API version 2025-03-31 the period lives on the subscription's items.
    items = (subscription.get("items") or {}).get("data") or []
    ends = [item.get("current_period_end") for item in items if item.get("current_period_end")]
    return _stripe_timestamp(max(ends) if ends else subscription.get("current_period_end"))


def _subscription_price_id(subscription: dict) -> str:
    items = (subscription.get("items") or {}).get("data") or []
    return ((items[0].get("price") or {}).get("id") or "") if items else ""


def status_for_subscription(subscription: dict) -> str:
    stripe_status = subscription.get("status")
    if stripe_status in ("active", "trialing"):
        if subscription.get("cancel_at_period_end") or subscription.get("cancel_at"):
            return Membership.Status.CANCELED
        return Membership.Status.ACTIVE
    if stripe_status == "past_due":
        return Membership.Status.PAST_DUE
    return Membership.Status.EXPIRED  # canceled, unpaid, incomplete, incomplete_expired, paused


# Stripe statuses in which a subscription still pays for (or is collecting for) a membership.
LIVE_SUBSCRIPTION_STATUSES = {"active", "trialing", "past_due"}


def subscription_supersedes(incoming: dict, recorded: dict | None) -> bool:
    """Whether news of the `incoming` subscription may change a membership that records another.

    A member who cancels and joins again has two subscriptions; Stripe's events about the old
    one can arrive late and must not end the new one. A live subscription beats an ended one;
    between two live (or two ended) ones the newer wins.
    """
    if recorded is None or recorded.get("id") == incoming.get("id"):
        return True
    incoming_live = incoming.get("status") in LIVE_SUBSCRIPTION_STATUSES
    recorded_live = recorded.get("status") in LIVE_SUBSCRIPTION_STATUSES
    if incoming_live != recorded_live:
        return incoming_live
    return (incoming.get("created") or 0) >= (recorded.get("created") or 0)


def stripe_event_seen(event_id: str) -> bool:
    return StripeEvent.objects.filter(event_id=event_id).exists()


def _record_stripe_event(*, event_id: str, event_type: str) -> None:
    try:
        with transaction.atomic():
            StripeEvent.objects.create(event_id=event_id, type=event_type)
    except IntegrityError as error:
        raise AlreadyProcessed(event_id) from error


@transaction.atomic
def stripe_event_record(*, event_id: str, event_type: str) -> None:
    """Record an event that changes nothing, so a replay is recognised too."""
    _record_stripe_event(event_id=event_id, event_type=event_type)


@transaction.atomic
def membership_sync_from_stripe(
    *,
    event_id: str,
    event_type: str,
    subscription: dict,
    user_id: int | None = None,
    customer_id: str = "",
    fetch_subscription: Callable[[str], dict | None] = lambda subscription_id: None,
) -> Membership | None:
    """Make the membership match the subscription's current state at Stripe.

    The subscription is read from Stripe when the event arrives, never taken from the event,
    so events handled out of order still leave the latest state. When the membership records
    another subscription, `fetch_subscription` reads that one's current state (None when
    Stripe no longer knows it) and the newer live one wins. The event id is written in this
    same transaction: a replay raises AlreadyProcessed and changes nothing.
    """
    _record_stripe_event(event_id=event_id, event_type=event_type)
    customer_id = customer_id or subscription.get("customer") or ""
    membership = None
    if customer_id:
        membership = (
            Membership.objects.select_for_update().filter(stripe_customer_id=customer_id).first()
        )
        previous = membership.status if membership else ""
    if membership is None:
        metadata_user = (subscription.get("metadata") or {}).get("user_id")
        user = User.objects.filter(pk=user_id or metadata_user or 0).first()
        if user is None:
            return None
        membership, previous = _locked_membership(user)
    recorded_id = membership.stripe_subscription_id
    if (
        recorded_id
        and recorded_id != subscription.get("id")
        and not subscription_supersedes(subscription, fetch_subscription(recorded_id))
    ):
        logger.info(
            "Stripe event %s is about subscription %s; membership %s follows %s: unchanged.",
            event_id,
            subscription.get("id"),
            membership.pk,
            recorded_id,
        )
        return membership
    plan = Plan.objects.filter(stripe_price_id=_subscription_price_id(subscription)).first()
    new_status = status_for_subscription(subscription)
    if (
        membership.is_complimentary
        and membership.is_active()
        and new_status == Membership.Status.EXPIRED
        and membership.stripe_subscription_id != subscription.get("id")
    ):
        return membership  # an abandoned checkout must not end a staff grant
    membership.status = new_status
    membership.current_period_end = _subscription_period_end(subscription)
    membership.stripe_customer_id = customer_id or membership.stripe_customer_id
    membership.stripe_subscription_id = subscription.get("id") or ""
    membership.is_complimentary = False
    membership.plan = plan or membership.plan
    ended = (Membership.Status.CANCELED, Membership.Status.EXPIRED)
    # Counted once: when it is cancelled, not again when a cancelled one runs out.
    cancelled_now = new_status in ended and previous not in ended
    membership = _membership_change(
        membership=membership,
        source=MembershipEvent.Source.STRIPE,
        stripe_event_id=event_id,
        note=f"{event_type}: subscription {subscription.get('status')}",
        from_status=previous,
        cancellation=subscription.get("cancellation_details") if cancelled_now else None,
    )
    # Once per grace period, however many of Stripe's retries fail (retention_send keys it).
    payment_failed_notify(membership=membership)
    return membership


def stripe_customer_ensure(*, user) -> str:
    """The user's Stripe customer id, created at Stripe (and stored) on their first checkout."""
    membership = getattr(user, "membership", None)
    if membership and membership.stripe_customer_id:
        return membership.stripe_customer_id
    customer_id = billing.customer_create(user=user)
    membership_set_customer(user=user, customer_id=customer_id)
    return customer_id


@transaction.atomic
def membership_set_customer(*, user, customer_id: str) -> Membership:
    membership, _ = _locked_membership(user)
    membership.stripe_customer_id = customer_id
    membership.save(update_fields=["stripe_customer_id", "updated_at"])
    return membership
