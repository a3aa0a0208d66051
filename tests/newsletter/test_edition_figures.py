"""Per-edition figures for the staff dashboard: sends, failures and the unsubscribes each
edition is answerable for."""

from datetime import timedelta

import pytest
from django.utils import timezone

from newsletter import services
from newsletter.models import Delivery, Edition, Subscriber
from newsletter.selectors import edition_figures
from tests.newsletter.factories import make_edition, make_subscriber

pytestmark = pytest.mark.django_db


def _sent(edition, subscribers, *, days_ago):
    when = timezone.now() - timedelta(days=days_ago)
    Edition.objects.filter(pk=edition.pk).update(
        status=Edition.Status.SENT, started_at=when, finished_at=when
    )
    Delivery.objects.bulk_create(
        Delivery(
            edition=edition,
            subscriber=subscriber,
            email=subscriber.email,
            status=Delivery.Status.SENT,
            sent_at=when,
        )
        for subscriber in subscribers
    )


def _unsubscribed(subscriber, *, days_ago):
    services.subscriber_unsubscribe(subscriber_id=subscriber.pk)
    Subscriber.objects.filter(pk=subscriber.pk).update(
        unsubscribed_at=timezone.now() - timedelta(days=days_ago)
    )


def test_an_unsubscribe_counts_against_the_last_edition_delivered_before_it():
    readers = [make_subscriber() for _ in range(4)]
    march, april = make_edition(subject="March"), make_edition(subject="April")
    _sent(march, readers, days_ago=20)
    _sent(april, readers[1:], days_ago=10)
    _unsubscribed(readers[0], days_ago=5)  # never got April: March's
    _unsubscribed(readers[1], days_ago=15)  # between the two: March's
    _unsubscribed(readers[2], days_ago=2)  # after April
    now = timezone.now()

    figures = edition_figures(
        previous_start=now - timedelta(days=60), start=now - timedelta(days=30), end=now
    )

    by_subject = {edition.subject: edition for edition in figures["editions"]}
    assert (by_subject["March"].sent, by_subject["March"].unsubscribed) == (4, 2)
    assert (by_subject["April"].sent, by_subject["April"].unsubscribed) == (3, 1)
    assert by_subject["April"].unsubscribe_rate == pytest.approx(1 / 3)
    assert figures["current"] == {"sends": 7, "opened": 0, "clicked": 0, "unsubscribes": 3}
    assert figures["previous"] == {"sends": 0, "opened": 0, "clicked": 0, "unsubscribes": 0}
    assert figures["subscribed_now"] == 1


def test_editions_outside_the_period_count_in_the_one_before():
    reader = make_subscriber()
    old = make_edition(subject="Old")
    _sent(old, [reader], days_ago=40)
    now = timezone.now()

    figures = edition_figures(
        previous_start=now - timedelta(days=60), start=now - timedelta(days=30), end=now
    )

    assert figures["editions"] == []
    assert figures["previous"]["sends"] == 1
