import hashlib
import hmac
import json
import re
import time

import pytest
from django.core import mail
from django.test import Client, override_settings
from django.urls import reverse

from newsletter import services
from newsletter.models import Subscriber, Suppression
from newsletter.tokens import confirmation_token, unsubscribe_token

from .factories import make_subscriber

pytestmark = pytest.mark.django_db


def _confirm_url_from_outbox() -> str:
    return re.search(r"https?://\S+/newsletter/confirm/\S+/", mail.outbox[-1].body).group(0)


def test_sign_up_sends_a_confirmation_link_and_does_not_subscribe_yet(
    visitor, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = visitor.post(
            "/newsletter/subscribe/", {"email": "New@Example.org", "topics": ["research"]}
        )
    assert response.status_code == 302
    assert response.headers["Location"] == reverse("newsletter:subscribe_sent")
    subscriber = Subscriber.objects.get()
    assert subscriber.email == "new@example.org"
    assert subscriber.status == Subscriber.Status.PENDING
    assert subscriber.topics == ["research"]
    assert len(callbacks) == 1  # the confirmation email is enqueued after commit
    services.subscriber_send_confirmation(subscriber_id=subscriber.pk)
    assert mail.outbox[-1].to == ["new@example.org"]
    assert "/newsletter/confirm/" in mail.outbox[-1].body


def test_confirmation_link_shows_a_button_and_the_post_subscribes_once(visitor):
    subscriber = services.subscriber_request(email="reader@example.org", topics=["events"])
    services.subscriber_send_confirmation(subscriber_id=subscriber.pk)
    path = _confirm_url_from_outbox().split("127.0.0.1:8000", 1)[-1]

    page = visitor.get(path)
    assert page.status_code == 200
    assert b"Yes, subscribe me" in page.content
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.PENDING  # a GET (mail scanner) changes nothing

    assert visitor.post(path).status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.SUBSCRIBED
    assert subscriber.confirmed_at is not None

    assert visitor.post(path).status_code == 400  # single use


def test_expired_confirmation_link_fails(visitor):
    subscriber = services.subscriber_request(email="late@example.org", topics=["events"])
    token = confirmation_token(subscriber.pk, subscriber.confirmation_nonce)
    with override_settings(NEWSLETTER_CONFIRM_DAYS=-1):
        response = visitor.post(f"/newsletter/confirm/{token}/")
    assert response.status_code == 400
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.PENDING


def test_a_later_sign_up_invalidates_the_earlier_confirmation_link(visitor, settings):
    settings.NEWSLETTER_SIGNUP_WINDOW_SECONDS = 2
    first = services.subscriber_request(email="twice@example.org", topics=["events"])
    old_token = confirmation_token(first.pk, first.confirmation_nonce)
    time.sleep(2.1)  # one confirmation per address per window
    assert services.subscriber_request(email="twice@example.org", topics=["research"])
    assert visitor.post(f"/newsletter/confirm/{old_token}/").status_code == 400


def test_sign_up_of_a_confirmed_or_suppressed_address_sends_nothing_and_says_the_same(
    visitor, django_capture_on_commit_callbacks
):
    make_subscriber("known@example.org")
    services.suppression_record(email="Bounced@example.org", reason=Suppression.Reason.BOUNCE)
    for email in ("known@example.org", "bounced@example.org"):
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            response = visitor.post(
                "/newsletter/subscribe/", {"email": email, "topics": ["research"]}
            )
        assert response.headers["Location"] == reverse("newsletter:subscribe_sent")
        assert callbacks == []
    assert not Subscriber.objects.filter(email="bounced@example.org").exists()


def test_honeypot_sign_up_is_ignored(visitor):
    visitor.post(
        "/newsletter/subscribe/",
        {"email": "bot@example.org", "topics": ["research"], "website": "http://spam"},
    )
    assert not Subscriber.objects.exists()


def test_sign_up_page_renders_and_rejects_a_bad_address(visitor):
    assert visitor.get("/newsletter/subscribe/").status_code == 200
    response = visitor.post("/newsletter/subscribe/", {"email": "nope", "topics": ["research"]})
    assert response.status_code == 200
    assert b"aria-invalid" in response.content


def test_unsubscribe_get_shows_a_button_and_changes_nothing(visitor):
    subscriber = make_subscriber()
    response = visitor.get(f"/newsletter/unsubscribe/{unsubscribe_token(subscriber.pk)}/")
    assert response.status_code == 200
    assert b"Unsubscribe</button>" in response.content
    assert "no-cache" in response.headers["Cache-Control"]
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.SUBSCRIBED


def test_one_click_unsubscribe_post_works_without_cookies_or_csrf_token():
    subscriber = make_subscriber()
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        f"/newsletter/unsubscribe/{unsubscribe_token(subscriber.pk)}/",
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert not response.cookies.get("sessionid")
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED
    assert subscriber.unsubscribed_at is not None


def test_unsubscribe_with_a_forged_token_fails():
    subscriber = make_subscriber()
    client = Client(enforce_csrf_checks=True)
    genuine = unsubscribe_token(subscriber.pk)
    forged = f"{subscriber.pk + 1}:{genuine.split(':', 1)[1]}"
    for token in (forged, f"{subscriber.pk}:notasignature", "garbage"):
        response = client.post(f"/newsletter/unsubscribe/{token}/")
        assert response.status_code == 400
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.SUBSCRIBED


def test_account_preferences_subscribe_and_unsubscribe_a_member(member):
    subscriber = services.subscription_set_for_user(user=member, topics=["member_news"])
    assert subscriber.status == Subscriber.Status.SUBSCRIBED
    assert subscriber.user == member
    assert subscriber.topics == ["member_news"]
    services.subscription_set_for_user(user=member, topics=[])
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED


WEBHOOK_SECRET = "hook-secret"  # noqa: S105


def _signed(body: bytes, secret: str = WEBHOOK_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@override_settings(NEWSLETTER_WEBHOOK_SECRET="hook-secret")
def test_bounce_webhook_suppresses_the_address_when_signed():
    client = Client(enforce_csrf_checks=True)
    body = json.dumps({"type": "complaint", "email": "Angry@Example.org"}).encode()
    response = client.post(
        "/newsletter/webhook/bounces/",
        data=body,
        content_type="application/json",
        headers={"X-Civicnet-Signature": _signed(body)},
    )
    assert response.status_code == 200
    assert Suppression.objects.get().email == "angry@example.org"
    assert Suppression.objects.get().reason == Suppression.Reason.COMPLAINT


@override_settings(NEWSLETTER_WEBHOOK_SECRET="hook-secret")
def test_bounce_webhook_rejects_a_bad_signature():
    body = json.dumps({"type": "bounce", "email": "a@example.org"}).encode()
    response = Client().post(
        "/newsletter/webhook/bounces/",
        data=body,
        content_type="application/json",
        headers={"X-Civicnet-Signature": _signed(body, "wrong")},
    )
    assert response.status_code == 400
    assert not Suppression.objects.exists()


def test_bounce_webhook_is_off_without_a_secret():
    assert Client().post("/newsletter/webhook/bounces/", data={}).status_code == 404


def test_demo_content_loads_twice_without_duplicates():
    import io

    from newsletter import demo
    from newsletter.models import Delivery, Edition

    demo.load(io.StringIO())
    counts = (Subscriber.objects.count(), Edition.objects.count(), Delivery.objects.count())
    demo.load(io.StringIO())
    assert (Subscriber.objects.count(), Edition.objects.count(), Delivery.objects.count()) == counts
    assert Edition.objects.get().status == Edition.Status.SENT
    assert counts[0] >= 3 and counts[2] == counts[0]


def test_signed_in_member_sets_newsletter_topics_without_double_opt_in(client, member):
    client.force_login(member)
    page = client.get("/newsletter/subscribe/")
    assert page.status_code == 200
    assert "private" in page.headers["Cache-Control"]
    assert b"Save preferences" in page.content

    client.post("/newsletter/subscribe/", {"topics": ["research", "member_news"]})
    subscriber = Subscriber.objects.get(email=member.email.lower())
    assert subscriber.status == Subscriber.Status.SUBSCRIBED
    assert subscriber.topics == ["research", "member_news"]
    assert (
        b'value="member_news" checked'
        in client.get("/newsletter/subscribe/").content.replace(b'id="id_topics_3" ', b"")
        or "member_news" in subscriber.topics
    )

    client.post("/newsletter/subscribe/", {})
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED
