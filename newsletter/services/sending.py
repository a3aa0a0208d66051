"""Sending one batch: claim a queued delivery, hand it to the mail server, mark it and commit,
a message at a time, until the batch is done, the edition paused or the server struggling.
Why a transaction per message, and what the batch's lease is for: see `deliveries`.
"""

import contextlib
import smtplib
import time
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.mail import mailers
from django.core.mail.backends.smtp import EmailBackend as SMTPEmailBackend
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import Min
from django.utils import timezone

from core.mail import retry_delay, send_failure

from ..models import BatchLease, Delivery, Edition, Subscriber, Suppression
from ..rendering import PreparedEdition, build_message, trackable_urls
from .deliveries import edition_finish_if_done
from .engagement import edition_links_ensure
from .suppressions import suppression_record


def _set_synchronous_commit(*, on: bool) -> None:
    """Commit per message without waiting for the WAL flush to disk (PostgreSQL only).

    A commit per message keeps what a dying worker can send twice to its one message in
    flight; not waiting for the flush makes it cheap. Only a crash of PostgreSQL itself can
    then lose the last fraction of a second of "sent" marks, and those copies go again.
    """
    if db_connection.vendor == "postgresql":
        with db_connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit TO %s" % ("DEFAULT" if on else "OFF"))


def _mail_connection():
    """One connection to the mail server for a whole batch (opened at the first message)."""
    return mailers.default


@dataclass
class _Claim:
    pk: int
    email: str
    subscriber_id: int
    attempts: int
    subscriber_status: str
    is_suppressed: bool
    allows_tracking: bool
    status: str = Delivery.Status.QUEUED
    error: str = ""
    next_attempt_at: datetime | None = None
    sent_at: datetime | None = None


def _claim_sql() -> str:
    """Lock the next due, queued delivery of a batch (skipping rows other workers hold).

    Plain SQL, because this runs once per message and building the same ORM query each time
    cost more CPU than everything else in the loop. SQLite has no row locks (its writes are
    serialised anyway), so the locking clause is PostgreSQL's only.
    """
    delivery = Delivery._meta.db_table
    subscriber = Subscriber._meta.db_table
    suppression = Suppression._meta.db_table
    lock = " FOR UPDATE OF d SKIP LOCKED" if db_connection.vendor == "postgresql" else ""
    # Table names come from the models; every value is a parameter.
    return (
        f"SELECT d.id, d.email, d.subscriber_id, d.attempts, s.status, s.allows_tracking,"  # noqa: S608
        f" EXISTS (SELECT 1 FROM {suppression} x WHERE x.email = d.email)"
        f" FROM {delivery} d LEFT JOIN {subscriber} s ON s.id = d.subscriber_id"
        f" WHERE d.edition_id = %s AND d.status = %s AND d.subscriber_id >= %s"
        f" AND d.subscriber_id <= %s AND (d.next_attempt_at IS NULL OR d.next_attempt_at <= %s)"
        f" ORDER BY d.subscriber_id LIMIT 1{lock}"
    )


def _claim_next(*, edition_id: int, low: int, high: int, now) -> _Claim | None:
    with db_connection.cursor() as cursor:
        cursor.execute(_claim_sql(), [edition_id, Delivery.Status.QUEUED, low, high, now])
        row = cursor.fetchone()
    if row is None:
        return None
    pk, email, subscriber_id, attempts, subscriber_status, allows_tracking, suppressed = row
    return _Claim(
        pk,
        email,
        subscriber_id,
        attempts,
        subscriber_status,
        bool(suppressed),
        allows_tracking=bool(allows_tracking),
    )


def _save(claim: _Claim) -> None:
    with db_connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Delivery._meta.db_table} SET status = %s, error = %s, attempts = %s,"  # noqa: S608
            " next_attempt_at = %s, sent_at = %s WHERE id = %s",
            [
                claim.status,
                claim.error,
                claim.attempts,
                claim.next_attempt_at,
                claim.sent_at,
                claim.pk,
            ],
        )


def _lease_renew(*, edition_id: int, low: int, high: int) -> None:
    """Take or renew this batch's lease (an upsert: a twin of the batch may hold it too)."""
    BatchLease.objects.bulk_create(
        [BatchLease(edition_id=edition_id, low=low, high=high, heartbeat_at=timezone.now())],
        update_conflicts=True,
        unique_fields=["edition", "low", "high"],
        update_fields=["heartbeat_at"],
    )


def _lease_release(*, edition_id: int, low: int, high: int) -> None:
    BatchLease.objects.filter(edition_id=edition_id, low=low, high=high).delete()


def deliveries_send_batch(*, edition_id: int, low: int, high: int) -> dict:
    """Send every queued delivery of this edition whose subscriber id is in [low, high].

    Returns counts and, when some rows wait for a retry, `retry_in` seconds.
    """
    result = {"sent": 0, "failed": 0, "suppressed": 0, "deferred": 0, "retry_in": None}
    edition = Edition.objects.filter(pk=edition_id).first()
    if edition is None or edition.status != Edition.Status.SENDING:
        return result
    tracking = settings.NEWSLETTER_TRACKING
    links = (
        edition_links_ensure(edition_id=edition.pk, urls=trackable_urls(edition.rendered_html))
        if tracking
        else None
    )
    prepared = PreparedEdition(
        edition, html_body=edition.rendered_html, text_body=edition.rendered_text, links=links
    )
    max_attempts = settings.NEWSLETTER_MAX_ATTEMPTS
    retry_base = settings.NEWSLETTER_RETRY_BASE_SECONDS
    connection = _mail_connection()
    smtp_sender = (
        connection.prep_address(settings.NEWSLETTER_FROM_EMAIL)
        if isinstance(connection, SMTPEmailBackend)
        else None
    )
    _set_synchronous_commit(on=False)
    _lease_renew(edition_id=edition_id, low=low, high=high)
    next_status_check = time.monotonic() + 0.5
    heartbeat_every = settings.NEWSLETTER_HEARTBEAT_SECONDS
    next_heartbeat = time.monotonic() + heartbeat_every
    try:
        while True:
            if time.monotonic() >= next_heartbeat:
                # One write every few seconds, not per message: the resume sweep's sign of life.
                _lease_renew(edition_id=edition_id, low=low, high=high)
                next_heartbeat = time.monotonic() + heartbeat_every
            if time.monotonic() >= next_status_check:
                # Pause takes effect within half a second, without a query per message.
                status = Edition.objects.filter(pk=edition_id).values_list("status", flat=True)
                if status.first() != Edition.Status.SENDING:
                    _lease_release(edition_id=edition_id, low=low, high=high)
                    return result
                next_status_check = time.monotonic() + 0.5
            connection_broke = False
            with transaction.atomic():
                now = timezone.now()
                delivery = _claim_next(edition_id=edition_id, low=low, high=high, now=now)
                if delivery is None:
                    break
                if (
                    delivery.is_suppressed
                    or delivery.subscriber_status != Subscriber.Status.SUBSCRIBED
                ):
                    delivery.status = Delivery.Status.SUPPRESSED
                    delivery.error = (
                        "Address suppressed" if delivery.is_suppressed else "Unsubscribed"
                    )
                    _save(delivery)
                    result["suppressed"] += 1
                    continue
                delivery.attempts += 1
                try:
                    connection.open()  # once per batch; a no-op while the connection is up
                    if smtp_sender and delivery.email.isascii():
                        # Straight to smtplib with the prepared bytes: the backend would parse
                        # both addresses and rebuild the message on every call.
                        connection.connection.sendmail(
                            smtp_sender,
                            [delivery.email],
                            prepared.recipient_bytes(
                                email=delivery.email,
                                subscriber_id=delivery.subscriber_id,
                                delivery_id=delivery.pk,
                                tracked=tracking and delivery.allows_tracking,
                            ),
                        )
                    else:
                        message = build_message(
                            prepared=prepared,
                            email=delivery.email,
                            subscriber_id=delivery.subscriber_id,
                            delivery_id=delivery.pk,
                            tracked=tracking and delivery.allows_tracking,
                        )
                        connection.send_messages([message])
                except Exception as error:
                    failure = send_failure(error, delivery.email)
                    delivery.error = failure.description
                    if failure.transient and delivery.attempts < max_attempts:
                        delay = retry_delay(
                            delivery.attempts, base_seconds=retry_base, cap_seconds=10**9
                        )
                        delivery.next_attempt_at = now + delay
                        result["deferred"] += 1
                        connection_broke = not isinstance(error, smtplib.SMTPRecipientsRefused)
                    else:
                        delivery.status = Delivery.Status.FAILED
                        result["failed"] += 1
                        if failure.address_refused:
                            suppression_record(
                                email=delivery.email,
                                reason=Suppression.Reason.BOUNCE,
                                note=failure.description,
                            )
                    _save(delivery)
                else:
                    delivery.status = Delivery.Status.SENT
                    delivery.sent_at = timezone.now()
                    delivery.error = ""
                    _save(delivery)
                    result["sent"] += 1
            if connection_broke:
                # The server or the network is struggling: stop and come back after the backoff.
                break
    finally:
        with contextlib.suppress(Exception):  # the server may already have gone
            connection.close()
        _set_synchronous_commit(on=True)
    # Returning normally: the task (or its retry with countdown) owns the rest. A crash above
    # leaves the lease to go stale, so the sweep picks the batch up again.
    _lease_release(edition_id=edition_id, low=low, high=high)
    waiting = Delivery.objects.filter(
        edition_id=edition_id,
        status=Delivery.Status.QUEUED,
        subscriber_id__gte=low,
        subscriber_id__lte=high,
        next_attempt_at__isnull=False,
    ).aggregate(first=Min("next_attempt_at"))["first"]
    if waiting is not None:
        result["retry_in"] = max((waiting - timezone.now()).total_seconds(), 1.0)
    else:
        edition_finish_if_done(edition_id=edition_id)
    return result
