"""Why members cancel: Stripe's cancellation_details, stored on the change that cancelled and
counted once in the members report and on the network dashboard."""

import pytest

from members.models import Membership, MembershipEvent
from tests.members.factories import UserFactory
from tests.members.fake_stripe import post_event
from tests.members.test_billing import join

pytestmark = pytest.mark.django_db


def cancel(client, fake_stripe, user, plan, *, feedback, comment="", at_once=False):
    client.force_login(user)
    sub_id, _ = join(client, fake_stripe, user, plan)
    customer = fake_stripe.subscriptions[sub_id]["customer"]
    details = {"reason": "cancellation_requested", "feedback": feedback, "comment": comment}
    subscription = fake_stripe.set_subscription(
        sub_id,
        customer=customer,
        status="canceled" if at_once else "active",
        cancel_at_period_end=not at_once,
        cancellation_details=details,
    )
    kind = "customer.subscription.deleted" if at_once else "customer.subscription.updated"
    assert post_event(client, fake_stripe.event(kind, subscription)).status_code == 200
    return sub_id, subscription


def test_the_reason_is_stored_on_the_change_that_cancelled_and_counted_once(
    client, fake_stripe, registered, plan, staff
):
    sub_id, subscription = cancel(
        client, fake_stripe, registered, plan, feedback="too_expensive", comment="Budget cut"
    )
    # At the period's end Stripe deletes the subscription, with the same details.
    ended = dict(subscription, status="canceled")
    post_event(client, fake_stripe.event("customer.subscription.deleted", ended))

    membership = Membership.objects.get(user=registered)
    assert membership.status == Membership.Status.EXPIRED
    (cancelled,) = MembershipEvent.objects.exclude(cancellation_reason="")
    assert (cancelled.to_status, cancelled.cancellation_feedback) == ("canceled", "too_expensive")
    assert cancelled.cancellation_comment == "Budget cut"

    other = UserFactory(email="other@example.org")
    cancel(client, fake_stripe, other, plan, feedback=None, at_once=True)

    client.force_login(staff)
    report = client.get("/admin/members/report/")
    assert report.context["report"]["cancellations"] == [
        {"key": "cancellation_requested", "label": "Cancelled, no reason given", "total": 1},
        {"key": "too_expensive", "label": "Too expensive", "total": 1},
    ]
    assert "Budget cut" in report.content.decode()

    dashboard = client.get("/admin/reports/network/?days=30")
    rows = dashboard.context["figures"]["cancellations"]
    assert [(row["label"], row["total"]) for row in rows] == [
        ("Cancelled, no reason given", 1),
        ("Too expensive", 1),
    ]
    behind = client.get(rows[1]["url"])
    assert behind.status_code == 200
    assert [change.membership.user for change in behind.context["page"]] == [registered]
    assert "Budget cut" in behind.content.decode()


def test_an_unknown_feedback_counts_as_other_and_a_plain_change_stores_no_reason(
    client, fake_stripe, registered, plan
):
    cancel(client, fake_stripe, registered, plan, feedback="brand_new_stripe_value")

    assert list(
        MembershipEvent.objects.exclude(cancellation_reason="").values_list(
            "cancellation_feedback", flat=True
        )
    ) == ["other"]
    assert MembershipEvent.objects.filter(cancellation_reason="").count() == 1  # the join
