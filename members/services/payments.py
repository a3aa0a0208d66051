"""Payments and refunds as Stripe reports them (invoice.paid, charge.refunded, refund.created),
each recorded once by its Stripe id, in the transaction that records the event."""

from collections.abc import Callable
from datetime import UTC, datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ..models import Membership, Payment, Plan


def _at(timestamp, fallback) -> datetime:
    moment = timestamp or fallback
    return datetime.fromtimestamp(int(moment), tz=UTC) if moment else timezone.now()


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


REFUNDED = (None, "succeeded", "pending")  # a failed or cancelled refund gave nothing back


@transaction.atomic
def refunds_record_charge(*, event: dict) -> list[Payment]:
    """charge.refunded: the charge's refunds, one row per Stripe refund it lists; whatever of
    its refunded total no refund accounts for yet is one more row for the charge (Stripe's
    newer API versions list no refunds on the charge; refund.created itemises them later)."""
    charge = event["data"]["object"]
    membership = _membership_of(charge.get("customer") or "")
    if membership is None or not charge.get("id"):
        return []
    listed = [
        refund
        for refund in (charge.get("refunds") or {}).get("data") or []
        if refund.get("id") and refund.get("status") in REFUNDED
    ]
    return _refunds_apply(
        membership=membership,
        charge_id=charge["id"],
        currency=charge.get("currency") or "usd",
        refunds=[(r["id"], int(r.get("amount") or 0), r.get("created")) for r in listed],
        charge_total=int(charge.get("amount_refunded") or 0),
        event=event,
    )


@transaction.atomic
def refund_record(*, event: dict, fetch_charge: Callable[[str], dict | None]) -> list[Payment]:
    """refund.created: one refund of a charge. Counted once with the charge.refunded of the
    same refund, in either order, and once however often Stripe delivers either. A refund
    names its charge, not the customer: a charge seen before says whose it is, else
    `fetch_charge` reads it from Stripe (None when Stripe does not know it)."""
    refund = event["data"]["object"]
    charge = refund.get("charge")
    charge_id = (charge.get("id") if isinstance(charge, dict) else charge) or ""
    if not refund.get("id") or not charge_id or refund.get("status") not in REFUNDED:
        return []
    known = Payment.objects.filter(stripe_charge_id=charge_id).select_related("membership")
    seen = known.first()
    charge_total = 0
    if seen is not None:
        membership = seen.membership
    else:
        if not isinstance(charge, dict) or not charge.get("customer"):
            charge = fetch_charge(charge_id) or {}
        membership = _membership_of(charge.get("customer") or "")
        charge_total = int(charge.get("amount_refunded") or 0)
    if membership is None:
        return []
    return _refunds_apply(
        membership=membership,
        charge_id=charge_id,
        currency=refund.get("currency") or "usd",
        refunds=[(refund["id"], int(refund.get("amount") or 0), refund.get("created"))],
        charge_total=charge_total,
        event=event,
    )


def _refunds_apply(
    *, membership, charge_id, currency, refunds, charge_total, event
) -> list[Payment]:
    """Record these refunds of the charge and keep the charge's row for the rest of its
    refunded total: the total is the largest ever known (a charge's refunded amount only
    grows, so an old event redelivered takes nothing back), the rest is what no itemised
    refund covers. Locks the membership, so two events about one charge take turns."""
    Membership.objects.select_for_update().filter(pk=membership.pk).first()
    rest_id = f"{charge_id}:refunded"
    ids = [refund_id for refund_id, _, _ in refunds]
    rows = {
        row.stripe_id: row
        for row in Payment.objects.filter(
            Q(stripe_charge_id=charge_id) | Q(stripe_id__in=[rest_id, *ids]),
            kind=Payment.Kind.REFUND,
        )
    }
    rest = rows.pop(rest_id, None)
    known_total = sum(row.amount_cents for row in rows.values()) + (
        rest.amount_cents if rest else 0
    )
    recorded = []
    for refund_id, amount, created in refunds:
        if amount <= 0:
            continue
        row = rows.get(refund_id)
        if row is None:
            row = rows[refund_id] = Payment.objects.create(
                stripe_id=refund_id,
                stripe_charge_id=charge_id,
                membership=membership,
                kind=Payment.Kind.REFUND,
                amount_cents=amount,
                currency=currency.lower(),
                created_at=_at(created, event.get("created")),
                stripe_event_id=event["id"],
            )
        elif not row.stripe_charge_id:  # recorded before refunds knew their charge
            row.stripe_charge_id = charge_id
            row.save(update_fields=["stripe_charge_id"])
        recorded.append(row)
    itemised = sum(row.amount_cents for row in rows.values())
    left = max(charge_total, known_total, itemised) - itemised
    if left > 0 and rest is None:
        rest = Payment.objects.create(
            stripe_id=rest_id,
            stripe_charge_id=charge_id,
            membership=membership,
            kind=Payment.Kind.REFUND,
            amount_cents=left,
            currency=currency.lower(),
            created_at=_at(None, event.get("created")),
            stripe_event_id=event["id"],
        )
    elif left > 0 and rest.amount_cents != left:
        rest.amount_cents = left
        rest.save(update_fields=["amount_cents"])
    elif left <= 0 and rest is not None:
        rest.delete()
        rest = None
    return recorded + ([rest] if rest is not None else [])
