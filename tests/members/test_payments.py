"""Payments and refunds as Stripe reports them, each recorded once (replays change nothing),
tied to the membership and shown on the person's page in the Wagtail admin."""

import pytest

from members.models import Payment
from tests.members.fake_stripe import post_event
from tests.members.test_billing import join

pytestmark = pytest.mark.django_db


def test_paid_invoices_and_refunds_are_recorded_once_with_stripes_amounts(
    client, fake_stripe, registered, plan, staff
):
    sub_id, _ = join(client, fake_stripe, registered, plan)
    # A promotion code took $30 off the first year: Stripe's amount, not the plan's price.
    first = fake_stripe.event(
        "invoice.paid",
        fake_stripe.invoice(sub_id, amount_paid=9000, billing_reason="subscription_create"),
    )
    renewal = fake_stripe.event("invoice.paid", fake_stripe.invoice(sub_id, amount_paid=12000))
    trial = fake_stripe.event("invoice.paid", fake_stripe.invoice(sub_id, amount_paid=0))
    refund = fake_stripe.event("charge.refunded", fake_stripe.refunded_charge(sub_id, 2500, 500))

    for event in (first, renewal, trial, refund, first, refund):  # Stripe redelivers two
        assert post_event(client, event).status_code == 200

    rows = {
        (p.kind, p.amount_cents, p.first, p.months, p.currency)
        for p in Payment.objects.filter(membership__user=registered)
    }
    assert rows == {
        ("payment", 9000, True, 12, "usd"),
        ("payment", 12000, False, 12, "usd"),
        ("refund", 2500, False, 1, "usd"),
        ("refund", 500, False, 1, "usd"),
    }

    client.force_login(staff)
    page = client.get(f"/admin/users/edit/{registered.pk}/").content.decode()
    assert "Payments and refunds" in page
    assert "90.00 USD" in page and "120.00 USD" in page and "−25.00 USD" in page


def test_a_refund_for_a_customer_who_is_not_a_member_is_acknowledged_and_ignored(
    client, fake_stripe, registered, plan
):
    sub_id, _ = join(client, fake_stripe, registered, plan)
    charge = dict(fake_stripe.refunded_charge(sub_id, 1000), customer="cus_somebody_else")

    assert post_event(client, fake_stripe.event("charge.refunded", charge)).status_code == 200
    assert not Payment.objects.exists()


def _refunds(user) -> dict:
    return {
        p.stripe_id: p.amount_cents
        for p in Payment.objects.filter(membership__user=user, kind=Payment.Kind.REFUND)
    }


def test_refund_created_and_charge_refunded_count_a_refund_once_in_either_order(
    client, fake_stripe, registered, plan
):
    sub_id, _ = join(client, fake_stripe, registered, plan)
    charge = fake_stripe.refunded_charge(sub_id)
    first = fake_stripe.refund(charge["id"], 2500)
    # Stripe's newer API versions send the charge without its refunds: only the total.
    total_first = fake_stripe.event(
        "charge.refunded", fake_stripe.charge_now(charge["id"], itemised=False)
    )
    first_created = fake_stripe.event("refund.created", first)
    second = fake_stripe.refund(charge["id"], 500)
    second_created = fake_stripe.event("refund.created", second)
    total_both = fake_stripe.event("charge.refunded", fake_stripe.charge_now(charge["id"]))

    # The charge's total arrives before its refund is itemised: one row for the charge.
    assert post_event(client, total_first).status_code == 200
    assert _refunds(registered) == {f"{charge['id']}:refunded": 2500}
    # The refund itemises it: the charge's row gives way to the refund's.
    assert post_event(client, first_created).status_code == 200
    assert _refunds(registered) == {first["id"]: 2500}
    # The second refund is itemised before the charge's new total comes.
    assert post_event(client, second_created).status_code == 200
    assert post_event(client, total_both).status_code == 200
    # Stripe redelivers all of them, the oldest total last: nothing changes.
    for event in (first_created, total_both, second_created, total_first):
        assert post_event(client, event).status_code == 200
    assert _refunds(registered) == {first["id"]: 2500, second["id"]: 500}
    assert {p.stripe_charge_id for p in Payment.objects.filter(kind="refund")} == {charge["id"]}


def test_an_old_charge_total_redelivered_does_not_take_a_refund_back(
    client, fake_stripe, registered, plan
):
    sub_id, _ = join(client, fake_stripe, registered, plan)
    charge = fake_stripe.refunded_charge(sub_id)
    fake_stripe.refund(charge["id"], 1000)
    older = fake_stripe.charge_now(charge["id"], itemised=False)
    fake_stripe.refund(charge["id"], 3000)
    newer = fake_stripe.charge_now(charge["id"], itemised=False)

    # Each event is new to the site (Stripe's event ids differ), delivered newest first.
    assert post_event(client, fake_stripe.event("charge.refunded", newer)).status_code == 200
    assert post_event(client, fake_stripe.event("charge.refunded", older)).status_code == 200

    assert _refunds(registered) == {f"{charge['id']}:refunded": 4000}


def test_a_refund_of_a_charge_not_seen_yet_is_tied_to_its_member_through_stripe(
    client, fake_stripe, registered, plan
):
    sub_id, _ = join(client, fake_stripe, registered, plan)
    charge = fake_stripe.refunded_charge(sub_id, currency="eur")
    refund = fake_stripe.refund(charge["id"], 1500)

    assert post_event(client, fake_stripe.event("refund.created", refund)).status_code == 200

    payment = Payment.objects.get(stripe_id=refund["id"])
    assert (payment.membership.user, payment.amount_cents, payment.currency) == (
        registered,
        1500,
        "eur",
    )
    assert ("GET", f"/v1/charges/{charge['id']}", {}) in fake_stripe.requests


def test_a_refund_stripe_cannot_place_or_that_failed_is_acknowledged_and_ignored(
    client, fake_stripe, registered, plan
):
    sub_id, _ = join(client, fake_stripe, registered, plan)
    charge = fake_stripe.refunded_charge(sub_id)
    failed = fake_stripe.refund(charge["id"], 700, status="failed")
    unknown = dict(fake_stripe.refund(charge["id"], 800), charge="ch_nobody_knows")

    for refund in (failed, unknown):
        assert post_event(client, fake_stripe.event("refund.created", refund)).status_code == 200
    assert not Payment.objects.exists()


def test_payments_keep_the_currency_stripe_charged_in(client, fake_stripe, registered, plan):
    sub_id, _ = join(client, fake_stripe, registered, plan)
    invoice = dict(fake_stripe.invoice(sub_id, amount_paid=11000), currency="EUR")
    yen = dict(fake_stripe.invoice(sub_id, amount_paid=15000), currency="jpy")

    for paid in (invoice, yen):
        assert post_event(client, fake_stripe.event("invoice.paid", paid)).status_code == 200

    assert {(p.amount_cents, p.currency, p.amount_display) for p in Payment.objects.all()} == {
        (11000, "eur", "110.00 EUR"),
        (15000, "jpy", "15,000 JPY"),  # yen have no hundredths
    }
