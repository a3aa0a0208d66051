"""Payments and refunds as Stripe reports them (invoice.paid, charge.refunded), each recorded
once by its Stripe id, in the transaction that records the event."""

from datetime import UTC, datetime

from django.db import transaction

from ..models import Membership, Payment, Plan


def _at(timestamp, fallback) -> datetime:
    return datetime.fromtimestamp(int(timestamp or fallback), tz=UTC)


def _membership_of(customer_id: str) -> Membership | None:
    if not customer_id:
        return None
    return Membership.objects.select_related("plan").filter(stripe_customer_id=customer_id).first()


@transaction.atomic
def payment_record_invoice(*, event: dict) -> Payment | None:
    """A paid invoice of a membership's subscription; None for nothing paid (a trial) or a
    customer who is not a member here."""
    invoice = event["data"]["object"]
    amount = int(invoice.get("amount_paid") or 0)
    membership = _membership_of(invoice.get("customer") or "")
    if amount <= 0 or membership is None or not invoice.get("id"):
        return None
    paid_at = (invoice.get("status_transitions") or {}).get("paid_at")
    reason = invoice.get("billing_reason")
    first = reason == "subscription_create" or (
        reason != "subscription_cycle"
        and not membership.payments.filter(kind=Payment.Kind.PAYMENT).exists()
    )
    yearly = membership.plan is not None and membership.plan.interval == Plan.Interval.YEAR
    payment, _ = Payment.objects.get_or_create(
        stripe_id=invoice["id"],
        defaults={
            "membership": membership,
            "kind": Payment.Kind.PAYMENT,
            "amount_cents": amount,
            "currency": (invoice.get("currency") or "usd").lower(),
            "first": first,
            "months": 12 if yearly else 1,
            "created_at": _at(paid_at, event.get("created")),
            "stripe_event_id": event["id"],
        },
    )
    return payment


@transaction.atomic
def refunds_record_charge(*, event: dict) -> list[Payment]:
    """The refunds of a charge: one row per Stripe refund when the charge lists them, else one
    row for the charge's refunded total (kept at the latest total)."""
    charge = event["data"]["object"]
    membership = _membership_of(charge.get("customer") or "")
    if membership is None or not charge.get("id"):
        return []
    currency = (charge.get("currency") or "usd").lower()
    listed = [
        refund
        for refund in (charge.get("refunds") or {}).get("data") or []
        if refund.get("id") and refund.get("status") in (None, "succeeded", "pending")
    ]
    refunds = [
        (refund["id"], int(refund.get("amount") or 0), refund.get("created")) for refund in listed
    ] or [(f"{charge['id']}:refunded", int(charge.get("amount_refunded") or 0), None)]
    recorded = []
    for stripe_id, amount, created in refunds:
        if amount <= 0:
            continue
        payment, _ = Payment.objects.update_or_create(
            stripe_id=stripe_id,
            defaults={"amount_cents": amount},
            create_defaults={
                "membership": membership,
                "kind": Payment.Kind.REFUND,
                "amount_cents": amount,
                "currency": currency,
                "created_at": _at(created, event.get("created")),
                "stripe_event_id": event["id"],
            },
        )
        recorded.append(payment)
    return recorded
