"""Engagement: the links of an edition, and opens and clicks recorded per delivery.

Counting is cheap and safe to repeat: an open is one UPDATE of the delivery (its count, and
the first time only once), a click that UPDATE plus one upsert of its (delivery, link) row.
Nothing about the reader is stored but the times and counts: no address, no user agent.
Nothing is counted when NEWSLETTER_TRACKING is off, for a subscriber who opted out, or for a
delivery whose subscriber is gone (a deleted account).
"""

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone

from ..models import Delivery, EditionLink, LinkClick


def edition_links_ensure(*, edition_id: int, urls: list[str]) -> dict[str, int]:
    """{url: EditionLink id} for these links of the edition, creating the missing ones.

    Safe for concurrent batches of one send: the unique key settles who creates a row.
    """
    urls = [url for url in urls if len(url) <= EditionLink._meta.get_field("url").max_length]
    EditionLink.objects.bulk_create(
        [EditionLink(edition_id=edition_id, url=url) for url in urls], ignore_conflicts=True
    )
    return dict(
        EditionLink.objects.filter(edition_id=edition_id, url__in=urls).values_list("url", "pk")
    )


def _countable(*, delivery_id: int, edition_id: int | None = None):
    deliveries = Delivery.objects.filter(
        pk=delivery_id, status=Delivery.Status.SENT, subscriber__allows_tracking=True
    )
    return deliveries if edition_id is None else deliveries.filter(edition_id=edition_id)


def delivery_record_open(*, delivery_id: int) -> bool:
    """The copy's tracking image was loaded. True when it was counted."""
    if not settings.NEWSLETTER_TRACKING:
        return False
    now = timezone.now()
    updated = _countable(delivery_id=delivery_id).update(
        opens=F("opens") + 1,
        first_opened_at=Coalesce(F("first_opened_at"), now),
        last_engaged_at=now,
    )
    return updated == 1


@transaction.atomic
def delivery_record_click(*, delivery_id: int, link: EditionLink) -> bool:
    """A link of the copy was followed. True when it was counted.

    A click shows the copy was opened too (most mail apps block images), so it sets the first
    open time, but only the image counts opens.
    """
    if not settings.NEWSLETTER_TRACKING:
        return False
    now = timezone.now()
    updated = _countable(delivery_id=delivery_id, edition_id=link.edition_id).update(
        clicks=F("clicks") + 1,
        first_clicked_at=Coalesce(F("first_clicked_at"), now),
        first_opened_at=Coalesce(F("first_opened_at"), now),
        last_engaged_at=now,
    )
    if updated != 1:
        return False
    table = LinkClick._meta.db_table
    with connection.cursor() as cursor:
        # One statement whether or not the row exists (PostgreSQL and SQLite both have it).
        cursor.execute(
            f"INSERT INTO {table} (delivery_id, link_id, clicks, first_clicked_at)"  # noqa: S608
            " VALUES (%s, %s, 1, %s) ON CONFLICT (delivery_id, link_id)"
            f" DO UPDATE SET clicks = {table}.clicks + 1",
            [delivery_id, link.pk, now],
        )
    return True
