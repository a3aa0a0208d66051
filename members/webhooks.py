"""Stripe's webhook events: one handler per event type, given the verified event (a dict).
Each records the event through members.services, in the transaction of what it changes, so
a replay changes nothing."""

import logging

from django.db import transaction

from . import billing, services

logger = logging.getLogger(__name__)


def _sync(event: dict, subscription_id: str, **extra) -> None:
    subscription = billing.current_subscription(subscription_id)
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
        fetch_subscription=billing.current_subscription,
        **extra,
    )


def handle_checkout_completed(event: dict) -> None:
    session = event["data"]["object"]
    if session.get("mode") == "payment":
        # One-off payments belong to other apps (event tickets); members may not import
        # them, so it announces the session, recorded in the same transaction.
        with transaction.atomic():
            services.stripe_event_record(event_id=event["id"], event_type=event["type"])
            billing.payment_checkout_completed.send(
                sender=handle_checkout_completed, session=session
            )
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


@transaction.atomic
def handle_invoice(event: dict) -> None:
    subscription_id = _invoice_subscription_id(event["data"]["object"])
    if not subscription_id:
        services.stripe_event_record(event_id=event["id"], event_type=event["type"])
        return
    _sync(event, subscription_id)
    if event["type"] == "invoice.paid":
        services.payment_record_invoice(event=event)


@transaction.atomic
def handle_charge_refunded(event: dict) -> None:
    services.stripe_event_record(event_id=event["id"], event_type=event["type"])
    services.refunds_record_charge(event=event)


@transaction.atomic
def handle_refund_created(event: dict) -> None:
    services.stripe_event_record(event_id=event["id"], event_type=event["type"])
    services.refund_record(event=event, fetch_charge=billing.charge_retrieve)


HANDLERS = {
    "checkout.session.completed": handle_checkout_completed,
    "customer.subscription.created": handle_subscription_changed,
    "customer.subscription.updated": handle_subscription_changed,
    "customer.subscription.deleted": handle_subscription_changed,
    "invoice.paid": handle_invoice,
    "invoice.payment_failed": handle_invoice,
    "charge.refunded": handle_charge_refunded,
    "refund.created": handle_refund_created,
}
