"""A failed payment: an email at once with a link to the site's billing page, and a last call
before the grace period ends; each once per failed payment, however often Stripe retries or
redelivers."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from members.models import Membership, RetentionEmail
from members.services import retention_due, retention_send
from tests.members.fake_stripe import post_event
from tests.members.test_billing import join

pytestmark = pytest.mark.django_db
FAILED = "civicnet: your membership payment did not go through"
LAST_CALL = "civicnet: update your card to keep your membership"


@pytest.fixture
def past_due(client, fake_stripe, registered, plan, eager_tasks):
    """A member whose renewal payment failed: Stripe's subscription is past due."""
    sub_id, _ = join(client, fake_stripe, registered, plan)
    customer = fake_stripe.subscriptions[sub_id]["customer"]
    fake_stripe.set_subscription(sub_id, customer=customer, status="past_due")
    return sub_id


def deliver(client, event, capture):
    with capture(execute=True):
        assert post_event(client, event).status_code == 200


@pytest.mark.usefixtures("site_evening")  # the grace period ends on the site's date, not UTC's
def test_a_failed_payment_emails_the_member_once_with_the_sites_billing_link(
    client, fake_stripe, registered, past_due, settings, django_capture_on_commit_callbacks
):
    invoice = fake_stripe.invoice(past_due)
    event = fake_stripe.event("invoice.payment_failed", invoice)

    deliver(client, event, django_capture_on_commit_callbacks)

    (message,) = [m for m in mail.outbox if m.subject == FAILED]
    assert message.to == [registered.email]
    assert f"{settings.SITE_URL}/membership/billing/" in message.body
    assert fake_stripe.url not in message.body  # never a Stripe session baked into the email
    html = message.alternatives[0][0]
    assert 'href="http://' in html and "/membership/billing/" in html
    assert "civicnet, a national network" in html  # the site's email layout
    grace_ends = Membership.objects.get(user=registered).access_until
    assert f"{timezone.localtime(grace_ends):%-d %B %Y}" in message.body

    # Stripe redelivers the event, then retries the card and fails again (a new event).
    deliver(client, event, django_capture_on_commit_callbacks)
    retry = fake_stripe.event("invoice.payment_failed", invoice)
    deliver(client, retry, django_capture_on_commit_callbacks)

    assert [m.subject for m in mail.outbox].count(FAILED) == 1
    assert RetentionEmail.objects.filter(kind="pay_failed").count() == 1


def test_a_last_call_goes_once_before_the_grace_period_ends_and_not_after_paying(
    client, fake_stripe, registered, past_due, django_capture_on_commit_callbacks
):
    deliver(
        client,
        fake_stripe.event("invoice.payment_failed", fake_stripe.invoice(past_due)),
        django_capture_on_commit_callbacks,
    )
    grace_ends = Membership.objects.get(user=registered).access_until

    def run(now):
        before = len(mail.outbox)
        for membership_id, kind in retention_due(now=now):
            retention_send(membership_id=membership_id, kind=kind, now=now)
        return [m.subject for m in mail.outbox[before:]]

    sent = []
    for hours in range(-24 * 6, 24, 12):  # the last days of grace, twice a day, each run twice
        now = grace_ends + timedelta(hours=hours)
        sent += run(now) + run(now)
    assert sent == [LAST_CALL]
    message = mail.outbox[-1]
    assert "/membership/billing/" in message.body and message.alternatives

    # The member pays; a later failure (a new grace period) is a new failed payment.
    customer = fake_stripe.subscriptions[past_due]["customer"]
    fake_stripe.set_subscription(past_due, customer=customer, status="active")
    deliver(
        client,
        fake_stripe.event("invoice.paid", fake_stripe.invoice(past_due)),
        django_capture_on_commit_callbacks,
    )
    assert run(grace_ends - timedelta(days=1)) == []
    fake_stripe.set_subscription(past_due, customer=customer, status="past_due")
    deliver(
        client,
        fake_stripe.event("invoice.payment_failed", fake_stripe.invoice(past_due)),
        django_capture_on_commit_callbacks,
    )
    assert [m.subject for m in mail.outbox].count(FAILED) == 2


def test_the_emailed_billing_link_shows_a_button_that_opens_stripes_portal(
    client, fake_stripe, registered, past_due
):
    response = client.get("/membership/billing/")
    assert response.status_code == 200
    assert 'action="/membership/billing/"' in response.content.decode()

    response = client.post("/membership/billing/")
    assert response.status_code == 303
    assert response["Location"].startswith(f"{fake_stripe.url}/portal/cus_")

    client.logout()
    response = client.get("/membership/billing/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
