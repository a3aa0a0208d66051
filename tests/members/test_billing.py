"""Joining and paying through Stripe: Checkout, the signed webhook and the membership state."""

import socket
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from members.models import Membership, MembershipEvent, StripeEvent
from members.selectors import membership_is_active
from tests.members.fake_stripe import DAY, post_event

pytestmark = pytest.mark.django_db


def join(client, fake_stripe, user, plan, *, period_end=None):
    """Checkout as the user, then deliver Stripe's checkout.session.completed."""
    client.force_login(user)
    response = client.post(f"/membership/checkout/{plan.slug}/")
    assert response.status_code == 303
    session_id = response["Location"].rsplit("/", 1)[1]
    session = fake_stripe.complete_checkout(session_id, period_end=period_end)
    event = fake_stripe.event("checkout.session.completed", session)
    assert post_event(client, event).status_code == 200
    return session["subscription"], event


def fresh(user):
    return type(user).objects.get(pk=user.pk)


def test_checkout_creates_a_subscription_session_for_the_signed_in_user(
    client, fake_stripe, registered, plan
):
    client.force_login(registered)

    response = client.post("/membership/checkout/individual-yearly/")

    assert response.status_code == 303
    assert response["Location"].startswith(f"{fake_stripe.url}/checkout/cs_")
    (session,) = fake_stripe.sessions.values()
    assert session["mode"] == "subscription"
    assert session["client_reference_id"] == str(registered.pk)
    assert session["line_items[0][price]"] == "price_individual_year"
    customer = fake_stripe.customers[session["customer"]]
    assert customer["metadata[user_id]"] == str(registered.pk)
    assert Membership.objects.get(user=registered).stripe_customer_id == session["customer"]
    assert not membership_is_active(fresh(registered))  # the success page grants nothing


def test_full_join_checkout_then_webhook_makes_an_active_member_who_opens_the_directory(
    client, fake_stripe, registered, plan
):
    assert client.get("/membership/welcome/").status_code == 302  # anonymous: log in first
    client.force_login(registered)
    assert client.get("/network/").status_code == 403

    join(client, fake_stripe, registered, plan)

    membership = Membership.objects.get(user=registered)
    assert membership.status == Membership.Status.ACTIVE
    assert membership.plan == plan
    assert membership.current_period_end > timezone.now() + timedelta(days=360)
    assert membership_is_active(fresh(registered))
    assert client.get("/network/").status_code == 200
    assert "Your membership is active" in client.get("/membership/welcome/").content.decode()


def test_a_replayed_webhook_is_acknowledged_and_changes_nothing(
    client, fake_stripe, registered, plan
):
    _, event = join(client, fake_stripe, registered, plan)

    response = post_event(client, event)

    assert response.status_code == 200
    assert StripeEvent.objects.filter(event_id=event["id"]).count() == 1
    assert MembershipEvent.objects.filter(stripe_event_id=event["id"]).count() == 1
    assert Membership.objects.get(user=registered).history.count() == 1


def test_events_out_of_order_leave_the_subscriptions_current_state(
    client, fake_stripe, registered, plan
):
    sub_id, _ = join(client, fake_stripe, registered, plan)
    customer = fake_stripe.subscriptions[sub_id]["customer"]
    # The member cancels: Stripe sends "updated" (cancel at period end)...
    fake_stripe.set_subscription(
        sub_id, customer=customer, cancel_at_period_end=True, user_id=registered.pk
    )
    cancel_event = fake_stripe.event(
        "customer.subscription.updated", fake_stripe.subscriptions[sub_id]
    )
    # ...but an older "created" event (status active, no cancellation) arrives after it.
    stale = dict(fake_stripe.subscriptions[sub_id], cancel_at_period_end=False)
    created_event = fake_stripe.event("customer.subscription.created", stale)

    assert post_event(client, cancel_event).status_code == 200
    assert post_event(client, created_event).status_code == 200

    membership = Membership.objects.get(user=registered)
    assert membership.status == Membership.Status.CANCELED
    assert membership_is_active(fresh(registered))


def test_subscription_event_before_checkout_completed_still_finds_the_user(
    client, fake_stripe, registered, plan
):
    client.force_login(registered)
    response = client.post(f"/membership/checkout/{plan.slug}/")
    session = fake_stripe.complete_checkout(response["Location"].rsplit("/", 1)[1])
    subscription = fake_stripe.subscriptions[session["subscription"]]

    post_event(client, fake_stripe.event("customer.subscription.created", subscription))
    post_event(client, fake_stripe.event("checkout.session.completed", session))

    membership = Membership.objects.get(user=registered)
    assert membership.status == Membership.Status.ACTIVE
    assert membership.history.count() == 2


def test_failed_payment_means_past_due_in_grace_then_expired_when_grace_ends(
    client, fake_stripe, registered, plan, settings
):
    from members.services import memberships_expire

    sub_id, _ = join(client, fake_stripe, registered, plan)
    customer = fake_stripe.subscriptions[sub_id]["customer"]
    fake_stripe.set_subscription(sub_id, customer=customer, status="past_due")

    response = post_event(
        client, fake_stripe.event("invoice.payment_failed", fake_stripe.invoice(sub_id))
    )

    assert response.status_code == 200
    membership = Membership.objects.get(user=registered)
    assert membership.status == Membership.Status.PAST_DUE
    assert membership_is_active(fresh(registered))  # still in the grace period
    assert "Update your card" in client.get("/account/").content.decode()

    later = timezone.now() + timedelta(days=settings.MEMBERSHIP_GRACE_DAYS, hours=1)
    assert memberships_expire(now=later) == 1
    membership.refresh_from_db()
    assert membership.status == Membership.Status.EXPIRED
    assert not membership.is_active(later)


def test_paying_the_overdue_invoice_restores_active(client, fake_stripe, registered, plan):
    sub_id, _ = join(client, fake_stripe, registered, plan)
    customer = fake_stripe.subscriptions[sub_id]["customer"]
    fake_stripe.set_subscription(sub_id, customer=customer, status="past_due")
    post_event(client, fake_stripe.event("invoice.payment_failed", fake_stripe.invoice(sub_id)))
    fake_stripe.set_subscription(sub_id, customer=customer, status="active")

    post_event(client, fake_stripe.event("invoice.paid", fake_stripe.invoice(sub_id)))

    membership = Membership.objects.get(user=registered)
    assert membership.status == Membership.Status.ACTIVE
    assert membership.past_due_since is None


def test_cancellation_keeps_access_until_the_period_ends(client, fake_stripe, registered, plan):
    from members.services import memberships_expire

    period_end = int(time.time()) + 10 * DAY
    sub_id, _ = join(client, fake_stripe, registered, plan, period_end=period_end)
    customer = fake_stripe.subscriptions[sub_id]["customer"]
    fake_stripe.set_subscription(
        sub_id, customer=customer, cancel_at_period_end=True, period_end=period_end
    )
    post_event(
        client,
        fake_stripe.event("customer.subscription.updated", fake_stripe.subscriptions[sub_id]),
    )

    membership = Membership.objects.get(user=registered)
    assert membership.status == Membership.Status.CANCELED
    assert membership.is_active()
    assert memberships_expire() == 0
    assert "you keep access until" in client.get("/account/").content.decode()

    after_end = timezone.now() + timedelta(days=11)
    assert not membership.is_active(after_end)
    assert memberships_expire(now=after_end) == 1


def test_subscription_deleted_ends_access_at_once(client, fake_stripe, registered, plan):
    sub_id, _ = join(client, fake_stripe, registered, plan)
    customer = fake_stripe.subscriptions[sub_id]["customer"]
    ended = fake_stripe.set_subscription(sub_id, customer=customer, status="canceled")

    post_event(client, fake_stripe.event("customer.subscription.deleted", ended))

    assert Membership.objects.get(user=registered).status == Membership.Status.EXPIRED
    assert not membership_is_active(fresh(registered))
    assert client.get("/network/").status_code == 403


@pytest.mark.parametrize("signature", ["", "t=1,v1=deadbeef", "garbage"])
def test_a_bad_or_missing_signature_is_refused_and_changes_nothing(
    client, fake_stripe, registered, plan, signature
):
    client.force_login(registered)
    response = client.post(f"/membership/checkout/{plan.slug}/")
    session = fake_stripe.complete_checkout(response["Location"].rsplit("/", 1)[1])
    event = fake_stripe.event("checkout.session.completed", session)

    response = post_event(client, event, signature=signature)

    assert response.status_code == 400
    assert not StripeEvent.objects.exists()
    assert not MembershipEvent.objects.exists()
    assert not membership_is_active(fresh(registered))


def test_a_payload_signed_with_another_secret_is_refused(client, fake_stripe, registered, plan):
    event = fake_stripe.event("invoice.paid", {"id": "in_1", "object": "invoice"})

    assert post_event(client, event, secret="whsec_someone_else").status_code == 400
    assert not StripeEvent.objects.exists()


def test_an_unreachable_stripe_api_asks_stripe_to_retry_and_records_nothing(
    client, fake_stripe, registered, plan, settings
):
    event = fake_stripe.event(
        "customer.subscription.updated", {"id": "sub_test1", "object": "subscription"}
    )
    with socket.socket() as closed:  # a port nobody listens on
        closed.bind(("127.0.0.1", 0))
        settings.STRIPE_API_BASE = f"http://127.0.0.1:{closed.getsockname()[1]}"

        assert post_event(client, event).status_code == 503

    assert not StripeEvent.objects.exists()


def test_an_event_about_a_subscription_stripe_does_not_know_is_acknowledged_once(
    client, fake_stripe, registered, plan
):
    event = fake_stripe.event(
        "customer.subscription.updated", {"id": "sub_missing", "object": "subscription"}
    )

    assert post_event(client, event).status_code == 200
    assert post_event(client, event).content == b"Already processed."
    assert StripeEvent.objects.filter(event_id=event["id"]).count() == 1
    assert not MembershipEvent.objects.exists()


def rejoin_after_cancelling(client, fake_stripe, user, plan) -> tuple[str, str]:
    """Join, cancel (the old subscription ends), join again: (old id, new id)."""
    old_id, _ = join(client, fake_stripe, user, plan)
    customer = fake_stripe.subscriptions[old_id]["customer"]
    ended = fake_stripe.set_subscription(old_id, customer=customer, status="canceled")
    post_event(client, fake_stripe.event("customer.subscription.deleted", ended))
    assert not membership_is_active(fresh(user))
    new_id, _ = join(client, fake_stripe, user, plan)
    assert new_id != old_id
    return old_id, new_id


LATE_EVENTS_ABOUT_THE_OLD_SUBSCRIPTION = [
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
    "invoice.paid",
    "invoice.payment_failed",
    "checkout.session.completed",
]


@pytest.mark.parametrize("event_type", LATE_EVENTS_ABOUT_THE_OLD_SUBSCRIPTION)
def test_a_late_event_about_an_old_subscription_never_touches_the_new_one(
    client, fake_stripe, registered, plan, event_type
):
    old_id, new_id = rejoin_after_cancelling(client, fake_stripe, registered, plan)
    old = fake_stripe.subscriptions[old_id]
    payloads = {
        "invoice.paid": fake_stripe.invoice(old_id),
        "invoice.payment_failed": fake_stripe.invoice(old_id),
        "checkout.session.completed": {
            "id": "cs_old",
            "object": "checkout.session",
            "mode": "subscription",
            "subscription": old_id,
            "customer": old["customer"],
            "client_reference_id": str(registered.pk),
        },
    }
    # A stale copy of the old subscription, from when it was still active.
    stale = dict(old, status="active")

    response = post_event(client, fake_stripe.event(event_type, payloads.get(event_type, stale)))

    assert response.status_code == 200
    membership = Membership.objects.get(user=registered)
    assert membership.stripe_subscription_id == new_id
    assert membership.status == Membership.Status.ACTIVE
    assert membership_is_active(fresh(registered))


def test_overlapping_subscriptions_the_newer_live_one_wins_in_any_order(
    client, fake_stripe, registered, plan
):
    old_id, _ = join(client, fake_stripe, registered, plan)
    customer = fake_stripe.subscriptions[old_id]["customer"]
    # The member cancels at period end, then joins again before the old one runs out.
    fake_stripe.set_subscription(
        old_id, customer=customer, cancel_at_period_end=True, user_id=registered.pk
    )
    new = fake_stripe.set_subscription("sub_new", customer=customer, user_id=registered.pk)
    old_updated = fake_stripe.event(
        "customer.subscription.updated", fake_stripe.subscriptions[old_id]
    )

    post_event(client, fake_stripe.event("customer.subscription.created", new))
    post_event(client, old_updated)  # arrives after the new one: the old one is older
    ended = fake_stripe.set_subscription(old_id, customer=customer, status="canceled")
    post_event(client, fake_stripe.event("customer.subscription.deleted", ended))

    membership = Membership.objects.get(user=registered)
    assert membership.stripe_subscription_id == "sub_new"
    assert membership.status == Membership.Status.ACTIVE


def test_which_subscription_a_membership_follows():
    from members.services import subscription_supersedes

    old_live = {"id": "sub_a", "status": "active", "created": 100}
    new_live = {"id": "sub_b", "status": "active", "created": 200}
    new_ended = {"id": "sub_b", "status": "canceled", "created": 200}
    assert subscription_supersedes(new_live, old_live)
    assert not subscription_supersedes(old_live, new_live)
    assert not subscription_supersedes(new_ended, old_live)
    assert subscription_supersedes(old_live, dict(new_ended, id="sub_c"))
    assert subscription_supersedes(old_live, None)  # Stripe no longer knows the recorded one
    assert subscription_supersedes(old_live, old_live)


def test_unhandled_event_types_are_acknowledged(client, fake_stripe):
    event = fake_stripe.event("charge.refunded", {"id": "ch_1", "object": "charge"})

    assert post_event(client, event).status_code == 200


def test_lapsed_member_loses_access_at_once(client, member):
    from members.services import membership_set

    client.force_login(member)
    assert client.get("/network/").status_code == 200

    membership_set(user=member, status=Membership.Status.EXPIRED, current_period_end=None)

    assert client.get("/network/").status_code == 403


def test_members_open_the_stripe_portal_for_card_and_receipts(
    client, fake_stripe, registered, plan
):
    join(client, fake_stripe, registered, plan)

    response = client.post("/membership/billing/")

    assert response.status_code == 303
    assert response["Location"].startswith(f"{fake_stripe.url}/portal/cus_")


def test_an_active_member_is_not_sent_to_checkout_again(client, fake_stripe, registered, plan):
    join(client, fake_stripe, registered, plan)
    before = len(fake_stripe.sessions)

    response = client.post(f"/membership/checkout/{plan.slug}/")

    assert response.status_code == 302
    assert response["Location"] == "/account/"
    assert len(fake_stripe.sessions) == before


def test_the_webhook_refuses_everything_while_no_secret_is_configured(client, settings):
    settings.STRIPE_WEBHOOK_SECRET = ""

    response = post_event(client, {"id": "evt_1", "type": "invoice.paid"}, secret="whsec_any")

    assert response.status_code == 400
    assert not StripeEvent.objects.exists()
