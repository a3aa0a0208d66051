"""The sign-up form cannot be used to mail-bomb an address, and says the same thing always."""

import re
import time

import pytest
from django.core import mail
from django.urls import reverse

from newsletter.models import Subscriber
from tests.conftest import wait_for

pytestmark = pytest.mark.django_db

SENT_PAGE = reverse("newsletter:subscribe_sent")


@pytest.fixture
def eager_tasks():
    """Run enqueued tasks in-process: each confirmation email really goes out (mail.outbox)."""
    from civicnet.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def _sign_up(client, email, *, ip="203.0.113.9", **headers):
    from django.test import TestCase

    # What the request enqueues runs when its transaction commits, as in production.
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(
            "/newsletter/subscribe/",
            {"email": email, "topics": ["research"]},
            REMOTE_ADDR=ip,
            **headers,
        )
    assert response.status_code == 302 and response.headers["Location"] == SENT_PAGE
    return response


def _sent_to(email):
    return [message for message in mail.outbox if message.to == [email]]


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_25_sign_ups_of_one_address_send_it_one_confirmation(celery_worker, client):
    for n in range(25):  # from 25 different clients, so only the address limit applies
        _sign_up(client, "victim@example.org", ip=f"198.51.100.{n}")

    wait_for(lambda: _sent_to("victim@example.org"), timeout=30)
    time.sleep(2)  # time enough for any further task the worker had been given
    assert len(_sent_to("victim@example.org")) == 1


def test_the_first_link_keeps_working_and_a_new_one_comes_only_after_the_window(
    client, settings, eager_tasks
):
    settings.NEWSLETTER_SIGNUP_WINDOW_SECONDS = 4
    _sign_up(client, "twice@example.org")
    _sign_up(client, "TWICE@example.org ")
    (first,) = _sent_to("twice@example.org")

    time.sleep(4.2)
    _sign_up(client, "twice@example.org")
    old, new = (
        re.search(r"/newsletter/confirm/\S+/", message.body).group(0)
        for message in _sent_to("twice@example.org")
    )
    assert first.body and old != new
    assert client.post(old).status_code == 400  # replaced by the newer link
    assert client.post(new).status_code == 200
    assert Subscriber.objects.get().status == Subscriber.Status.SUBSCRIBED


def test_one_client_can_sign_up_only_a_few_addresses_per_window(client, settings, eager_tasks):
    settings.NEWSLETTER_SIGNUPS_PER_CLIENT = 3
    pages = [_sign_up(client, f"list{n}@example.org").headers["Location"] for n in range(6)]

    assert len(mail.outbox) == 3
    assert len(set(pages)) == 1  # the same answer whether or not anything was sent
    _sign_up(client, "elsewhere@example.org", ip="192.0.2.44")
    assert len(mail.outbox) == 4  # another client is not held back


def test_client_limit_counts_the_address_the_trusted_proxy_reports(client, settings, eager_tasks):
    settings.NEWSLETTER_SIGNUPS_PER_CLIENT = 2
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = "10.0.0.5"
    # One client, writing a different address of its own at the left each time.
    for n in range(4):
        _sign_up(
            client,
            f"spoof{n}@example.org",
            ip=proxy,
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, 203.0.113.50",
        )
    assert len(mail.outbox) == 2
    # Others behind the same proxy are counted apart.
    _sign_up(client, "a@example.org", ip=proxy, HTTP_X_FORWARDED_FOR="198.51.100.1")
    _sign_up(client, "b@example.org", ip=proxy, HTTP_X_FORWARDED_FOR="198.51.100.2")
    assert len(mail.outbox) == 4


def test_limited_confirmed_suppressed_and_new_addresses_all_get_the_same_page(
    client, settings, eager_tasks
):
    from newsletter import services
    from newsletter.models import Suppression

    from .factories import make_subscriber

    make_subscriber("known@example.org")
    services.suppression_record(email="gone@example.org", reason=Suppression.Reason.BOUNCE)
    _sign_up(client, "limited@example.org")
    mail.outbox.clear()

    pages = {
        email: client.get(_sign_up(client, email).headers["Location"]).content
        for email in ("known@example.org", "gone@example.org", "limited@example.org")
    }
    fresh = client.get(_sign_up(client, "fresh@example.org").headers["Location"]).content

    assert set(pages.values()) == {fresh}
    assert [message.to for message in mail.outbox] == [["fresh@example.org"]]


def test_without_the_shared_cache_the_form_sends_nothing(client, eager_tasks, monkeypatch):
    from core import throttle

    def unreachable(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(throttle.cache, "add", unreachable)
    _sign_up(client, "anyone@example.org")
    assert mail.outbox == []
    assert not Subscriber.objects.filter(email="anyone@example.org").exists()
