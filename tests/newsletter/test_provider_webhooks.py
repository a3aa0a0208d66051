"""Bounces, complaints and unsubscribes from the mail provider, through django-anymail."""

import base64
import json

import pytest
from anymail.signals import AnymailTrackingEvent, EventType, RejectReason, tracking
from anymail.webhooks.postmark import PostmarkTrackingWebhookView
from django.test import Client

from newsletter import services
from newsletter.models import Subscriber, Suppression

from .factories import make_subscriber

pytestmark = pytest.mark.django_db

URL = "/newsletter/webhook/anymail/postmark/tracking/"
SECRET = "postmark-hook:s3cret-Pa55"  # noqa: S105

# Postmark's bounce webhook payload, as its documentation shows it.
POSTMARK_HARD_BOUNCE = {
    "RecordType": "Bounce",
    "MessageStream": "broadcast",
    "ID": 4323372036854775807,
    "Type": "HardBounce",
    "TypeCode": 1,
    "Name": "Hard bounce",
    "Tag": "newsletter",
    "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
    "Metadata": {},
    "ServerID": 23,
    "Description": "The server was unable to deliver your message (ex: unknown user, mailbox "
    "not found).",
    "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
    "Email": "Gone.Reader@Example.org",
    "From": "newsletter@civicnet.example",
    "BouncedAt": "2026-11-05T16:33:54.9070259Z",
    "DumpAvailable": True,
    "Inactive": True,
    "CanActivate": True,
    "Subject": "City news",
    "Content": "Return-Path: <>...",
}


@pytest.fixture
def secret(settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET}


def _post(payload, auth: str | None = SECRET):
    headers = {}
    if auth is not None:
        headers["Authorization"] = "Basic " + base64.b64encode(auth.encode()).decode()
    return Client(enforce_csrf_checks=True).post(
        URL, data=json.dumps(payload), content_type="application/json", headers=headers
    )


def _event(event_type, recipient, **fields):
    return AnymailTrackingEvent(event_type=event_type, recipient=recipient, **fields)


def test_anymail_tracking_events_suppress_bounced_complaining_and_unsubscribed_addresses():
    reader = make_subscriber("leaver@example.org")
    for event_type, email in (
        (EventType.BOUNCED, "Bounced@Example.org"),
        (EventType.COMPLAINED, "angry@example.org"),
        (EventType.UNSUBSCRIBED, "leaver@example.org"),
    ):
        tracking.send(
            sender=PostmarkTrackingWebhookView,
            event=_event(event_type, email, reject_reason=RejectReason.BOUNCED),
            esp_name="Postmark",
        )
    reasons = dict(Suppression.objects.values_list("email", "reason"))
    assert reasons == {
        "bounced@example.org": Suppression.Reason.BOUNCE,
        "angry@example.org": Suppression.Reason.COMPLAINT,
        "leaver@example.org": Suppression.Reason.UNSUBSCRIBE,
    }
    reader.refresh_from_db()
    assert reader.status == Subscriber.Status.UNSUBSCRIBED
    # A suppressed address can not sign up again.
    assert services.subscriber_request(email="angry@example.org", topics=["research"]) is None


def test_deliveries_opens_soft_bounces_and_bad_addresses_suppress_nothing():
    for event in (
        _event(EventType.DELIVERED, "fine@example.org"),
        _event(EventType.OPENED, "fine@example.org"),
        _event(EventType.DEFERRED, "slow@example.org"),
        _event(EventType.BOUNCED, "full@example.org", esp_event={"Type": "SoftBounce"}),
        _event(EventType.BOUNCED, None),
        _event(EventType.COMPLAINED, "not-an-address"),
    ):
        tracking.send(sender=PostmarkTrackingWebhookView, event=event, esp_name="Postmark")
    assert not Suppression.objects.exists()


def test_the_same_event_twice_records_one_suppression():
    event = _event(EventType.BOUNCED, "gone@example.org")
    tracking.send(sender=PostmarkTrackingWebhookView, event=event, esp_name="Postmark")
    tracking.send(sender=PostmarkTrackingWebhookView, event=event, esp_name="Postmark")
    assert Suppression.objects.filter(email="gone@example.org").count() == 1


def test_postmark_webhook_with_basic_auth_suppresses_a_hard_bounce(secret):
    response = _post(POSTMARK_HARD_BOUNCE)
    assert response.status_code == 200
    suppression = Suppression.objects.get()
    assert suppression.email == "gone.reader@example.org"
    assert suppression.reason == Suppression.Reason.BOUNCE
    assert suppression.note.startswith("Postmark: The server was unable to deliver")


def test_postmark_webhook_reports_a_spam_complaint_and_ignores_a_soft_bounce(secret):
    complaint = {
        **POSTMARK_HARD_BOUNCE,
        "RecordType": "SpamComplaint",
        "Type": "SpamComplaint",
        "TypeCode": 512,
        "Email": "angry@example.org",
    }
    soft = {**POSTMARK_HARD_BOUNCE, "Type": "SoftBounce", "Email": "full@example.org"}
    assert _post(complaint).status_code == 200
    assert _post(soft).status_code == 200
    assert dict(Suppression.objects.values_list("email", "reason")) == {
        "angry@example.org": Suppression.Reason.COMPLAINT
    }


def test_postmark_webhook_refuses_missing_or_wrong_basic_auth(secret):
    assert _post(POSTMARK_HARD_BOUNCE, auth=None).status_code == 400
    assert _post(POSTMARK_HARD_BOUNCE, auth="postmark-hook:guess").status_code == 400
    assert not Suppression.objects.exists()


def test_provider_webhook_is_off_without_a_secret_and_for_unknown_providers(settings, secret):
    assert _post(POSTMARK_HARD_BOUNCE).status_code == 200  # on with the secret
    Suppression.objects.all().delete()
    settings.ANYMAIL = {}
    assert _post(POSTMARK_HARD_BOUNCE).status_code == 404
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET}
    response = Client().post(
        "/newsletter/webhook/anymail/nosuchmail/tracking/", data="{}", content_type="x"
    )
    assert response.status_code == 404
    assert not Suppression.objects.exists()


def test_provider_webhook_answers_bad_payloads_and_unconfigured_providers_with_a_400(secret):
    auth = "Basic " + base64.b64encode(SECRET.encode()).decode()
    bad_json = Client().post(
        URL, data=b"{not json", content_type="application/json", headers={"Authorization": auth}
    )
    assert bad_json.status_code == 400
    # Mailgun signs its webhooks too: without MAILGUN_WEBHOOK_SIGNING_KEY it is not set up.
    mailgun = Client().post(
        "/newsletter/webhook/anymail/mailgun/tracking/",
        data="{}",
        content_type="application/json",
        headers={"Authorization": auth},
    )
    assert mailgun.status_code == 400
    assert not Suppression.objects.exists()
