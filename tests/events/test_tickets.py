"""Non-member paid tickets: Stripe Checkout in payment mode, through the members app's client."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from events import services
from events.models import Registration
from events.tasks import reconcile_ticket_payments
from tests.events.factories import EventFactory
from tests.members.fake_stripe import WEBHOOK_SECRET, FakeStripe

pytestmark = pytest.mark.django_db


class TicketFakeStripe(FakeStripe):
    """The members fake, plus reading a Checkout session back (GET /v1/checkout/sessions/id)."""

    def _handler(self):
        base, fake = super()._handler(), self

        class Handler(base):
            def do_GET(self):
                if self.path.startswith("/v1/checkout/sessions/"):
                    fake.requests.append(("GET", self.path, {}))
                    session = fake.sessions.get(self.path.split("?")[0].rsplit("/", 1)[1])
                    return self._send(200, session) if session else self._missing()
                return super().do_GET()

        return Handler

    def pay(self, session_id: str) -> None:
        session = self.sessions[session_id]
        quantity = int(session.get("line_items[0][quantity]", 1))
        amount = int(session["line_items[0][price_data][unit_amount]"]) * quantity
        session.update(status="complete", payment_status="paid", amount_total=amount)

    def expire(self, session_id: str) -> None:
        self.sessions[session_id].update(status="expired", payment_status="unpaid")


@pytest.fixture
def fake_stripe(settings):
    with TicketFakeStripe() as fake:
        settings.STRIPE_SECRET_KEY = "sk_test_civicnet"
        settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
        settings.STRIPE_API_BASE = fake.url
        yield fake


@pytest.fixture
def paid_event():
    return EventFactory(slug="workshop", kind="workshop", price=Decimal("80.00"), capacity=1)


def test_non_member_buys_a_ticket_through_stripe_checkout(
    client, registered, paid_event, fake_stripe
):
    client.force_login(registered)
    assert "Buy a ticket ($80.00)" in client.get("/events/workshop/register/").content.decode()

    response = client.post("/events/workshop/register/")

    registration = Registration.objects.get()
    assert registration.status == Registration.Status.PENDING_PAYMENT
    assert response.status_code == 302 and response["Location"] == registration.stripe_checkout_url
    session = fake_stripe.sessions[registration.stripe_checkout_session_id]
    assert session["mode"] == "payment"
    assert session["line_items[0][price_data][unit_amount]"] == "8000"
    assert session["metadata[registration_id]"] == str(registration.pk)

    fake_stripe.pay(session["id"])
    page = client.get(f"/events/workshop/register/?session_id={session['id']}")

    registration.refresh_from_db()
    assert registration.status == Registration.Status.CONFIRMED
    assert registration.amount_paid == Decimal("80.00")
    assert "registered." in page.content.decode()


def test_a_held_place_counts_against_capacity(client, registered, member, paid_event, fake_stripe):
    client.force_login(registered)
    client.post("/events/workshop/register/")

    assert services.registration_create(event=paid_event, user=member).status == "waitlisted"


def test_the_return_address_alone_confirms_nothing(client, registered, paid_event, fake_stripe):
    client.force_login(registered)
    client.post("/events/workshop/register/")
    registration = Registration.objects.get()

    client.get(f"/events/workshop/register/?session_id={registration.stripe_checkout_session_id}")

    registration.refresh_from_db()
    assert registration.status == Registration.Status.PENDING_PAYMENT


def test_reconciliation_confirms_paid_tickets_and_releases_abandoned_ones(
    registered, lapsed, fake_stripe
):
    now = timezone.now()
    paid = EventFactory(price=Decimal("50"))
    abandoned = EventFactory(price=Decimal("50"), capacity=1)
    kwargs = {"success_url": "http://testserver/ok", "cancel_url": "http://testserver/no"}
    bought = services.registration_start_checkout(event=paid, user=registered, **kwargs)
    dropped = services.registration_start_checkout(event=abandoned, user=lapsed, **kwargs)
    fake_stripe.pay(bought.stripe_checkout_session_id)
    Registration.objects.filter(pk=bought.pk).update(created_at=now - timedelta(minutes=5))
    Registration.objects.filter(pk=dropped.pk).update(created_at=now - timedelta(minutes=40))

    assert reconcile_ticket_payments() == 2
    assert reconcile_ticket_payments() == 0

    bought.refresh_from_db()
    dropped.refresh_from_db()
    assert bought.status == Registration.Status.CONFIRMED
    assert dropped.status == Registration.Status.CANCELLED


def test_without_stripe_configured_non_members_are_told_and_nothing_is_held(
    client, registered, paid_event
):
    client.force_login(registered)

    page = client.get("/events/workshop/register/").content.decode()
    client.post("/events/workshop/register/")

    assert "not configured" in page
    assert not Registration.objects.exists()


def test_members_never_go_through_checkout(client, member, paid_event, fake_stripe):
    client.force_login(member)

    client.post("/events/workshop/register/")

    assert Registration.objects.get().status == Registration.Status.CONFIRMED
    assert fake_stripe.sessions == {}


def test_the_signed_stripe_webhook_confirms_a_paid_ticket_once(client, registered, fake_stripe):
    from django.test import Client

    from tests.members.fake_stripe import post_event

    event = EventFactory(price=Decimal("80"))
    kwargs = {"success_url": "http://testserver/ok", "cancel_url": "http://testserver/no"}
    registration = services.registration_start_checkout(event=event, user=registered, **kwargs)
    session = {
        "id": registration.stripe_checkout_session_id,
        "object": "checkout.session",
        "mode": "payment",
        "status": "complete",
        "payment_status": "paid",
        "amount_total": 8000,
        "metadata": {"registration_id": str(registration.pk)},
    }
    completed = fake_stripe.event("checkout.session.completed", session)
    webhook = Client()  # Stripe has no session cookie

    assert post_event(webhook, completed).status_code == 200
    assert post_event(webhook, completed).content == b"Already processed."

    registration.refresh_from_db()
    assert registration.status == Registration.Status.CONFIRMED
    assert registration.amount_paid == Decimal("80")
    assert registration.emails.filter(kind="confirmed").count() == 1


def test_a_badly_signed_ticket_webhook_changes_nothing(client, registered, fake_stripe):
    from tests.members.fake_stripe import post_event

    event = EventFactory(price=Decimal("80"))
    kwargs = {"success_url": "http://testserver/ok", "cancel_url": "http://testserver/no"}
    registration = services.registration_start_checkout(event=event, user=registered, **kwargs)
    session = {
        "id": registration.stripe_checkout_session_id,
        "mode": "payment",
        "payment_status": "paid",
        "metadata": {"registration_id": str(registration.pk)},
    }

    response = post_event(
        client, fake_stripe.event("checkout.session.completed", session), secret="whsec_wrong"
    )

    registration.refresh_from_db()
    assert response.status_code == 400
    assert registration.status == Registration.Status.PENDING_PAYMENT
