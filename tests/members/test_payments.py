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
