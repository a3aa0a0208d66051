"""Newsletter writes: subscriptions, suppressions, and sending editions once per address.

Delivery is built for workers that die. Each (edition, address) has one Delivery row. A batch
task claims one queued row at a time with SELECT ... FOR UPDATE SKIP LOCKED, hands the message
to the mail server, marks the row sent and commits, all in one short transaction: a repeated or
concurrent task skips rows that are locked or already sent, and a worker killed before the
commit leaves its row queued for whoever runs the batch next. The one copy that can go twice
is the message of a worker killed after the server accepted it and before that commit.
Running batches renew a lease (BatchLease) so beat resumes a dead worker's batch in seconds.
"""

import contextlib
import logging
import secrets
import smtplib
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import mailers, send_mail
from django.core.mail.backends.smtp import EmailBackend as SMTPEmailBackend
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import Min
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from core.mail import retry_delay, send_failure
from core.signals import public_pages_changed

from . import ratelimit, selectors
from .models import TOPIC_FIELDS, BatchLease, Delivery, Edition, Subscriber, Suppression
from .rendering import (
    PreparedEdition,
    absolute,
    build_message,
    build_test_message,
    render_edition,
)
from .tokens import confirmation_token, read_confirmation_token

logger = logging.getLogger(__name__)


class EditionStateError(Exception):
    """The edition is not in a state that allows this (e.g. sending twice)."""


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def _topic_fields(topics: Iterable[str]) -> dict[str, bool]:
    chosen = set(topics)
    return {field: topic in chosen for topic, field in TOPIC_FIELDS.items()}


# --- Subscribers ---------------------------------------------------------------------------
@transaction.atomic
def subscriber_request(*, email: str, topics: Iterable[str], client: str = "") -> Subscriber | None:
    """Someone asked to subscribe: send a confirmation link (double opt-in).

    Returns None, sending nothing, when the address is suppressed or already confirmed, when
    it was sent a confirmation within the window (the earlier link keeps working), or when
    this client has made too many sign-ups lately: the form cannot be used to mail-bomb
    anyone. The sign-up page says the same thing in every case, so it reveals nobody's
    subscription.
    """
    from .tasks import send_confirmation_email

    if client and not ratelimit.client_may_sign_up(client):
        return None
    email = normalise_email(email)
    if selectors.is_suppressed(email):
        return None
    subscriber, _ = Subscriber.objects.select_for_update().get_or_create(email=email)
    if subscriber.status == Subscriber.Status.SUBSCRIBED:
        return None
    if not ratelimit.address_may_get_confirmation(email):
        return None
    for field, wanted in _topic_fields(topics).items():
        setattr(subscriber, field, wanted)
    subscriber.status = Subscriber.Status.PENDING
    subscriber.confirmation_nonce = secrets.token_hex(16)
    subscriber.save()
    transaction.on_commit(lambda: send_confirmation_email.delay(subscriber.pk))
    return subscriber


def subscriber_send_confirmation(*, subscriber_id: int) -> bool:
    subscriber = Subscriber.objects.filter(
        pk=subscriber_id, status=Subscriber.Status.PENDING
    ).first()
    if subscriber is None or not subscriber.confirmation_nonce:
        return False
    token = confirmation_token(subscriber.pk, subscriber.confirmation_nonce)
    send_mail(
        subject="Confirm your civicnet newsletter subscription",
        message=render_to_string(
            "newsletter/email/confirm.txt",
            {
                "confirm_url": absolute(reverse("newsletter:confirm", kwargs={"token": token})),
                "days": settings.NEWSLETTER_CONFIRM_DAYS,
            },
        ),
        from_email=settings.NEWSLETTER_FROM_EMAIL,
        recipient_list=[subscriber.email],
    )
    return True


@transaction.atomic
def subscriber_confirm(*, token: str) -> Subscriber | None:
    """Use a confirmation link: valid, unexpired and unused, it subscribes the address."""
    data = read_confirmation_token(token)
    if data is None:
        return None
    subscriber_id, nonce = data
    subscriber = Subscriber.objects.select_for_update().filter(pk=subscriber_id).first()
    if (
        subscriber is None
        or not subscriber.confirmation_nonce
        or not secrets.compare_digest(subscriber.confirmation_nonce, nonce)
    ):
        return None
    subscriber.status = Subscriber.Status.SUBSCRIBED
    subscriber.confirmation_nonce = ""
    subscriber.confirmed_at = timezone.now()
    subscriber.unsubscribed_at = None
    subscriber.save()
    return subscriber


@transaction.atomic
def subscriber_unsubscribe(*, subscriber_id: int) -> Subscriber | None:
    """Unsubscribe for good; copies of a send still in progress are not sent."""
    subscriber = Subscriber.objects.select_for_update().filter(pk=subscriber_id).first()
    if subscriber is None:
        return None
    if subscriber.status != Subscriber.Status.UNSUBSCRIBED:
        subscriber.status = Subscriber.Status.UNSUBSCRIBED
        subscriber.unsubscribed_at = timezone.now()
        subscriber.confirmation_nonce = ""
        subscriber.save()
    return subscriber


@transaction.atomic
def subscription_set_for_user(*, user, topics: Iterable[str]) -> Subscriber | None:
    """Account email preferences: subscribe the account's (verified) address to these topics.

    No topics means unsubscribe. Called by the /account/ preferences form.
    """
    email = normalise_email(user.email)
    if not email:
        return None
    topics = list(topics)
    subscriber = Subscriber.objects.select_for_update().filter(email=email).first()
    if not topics:
        if subscriber is not None:
            return subscriber_unsubscribe(subscriber_id=subscriber.pk)
        return None
    if subscriber is None:
        subscriber = Subscriber(email=email, source=Subscriber.Source.ACCOUNT)
    for field, wanted in _topic_fields(topics).items():
        setattr(subscriber, field, wanted)
    subscriber.user = user
    if subscriber.status != Subscriber.Status.SUBSCRIBED:
        subscriber.status = Subscriber.Status.SUBSCRIBED
        subscriber.confirmed_at = timezone.now()
        subscriber.unsubscribed_at = None
        subscriber.confirmation_nonce = ""
    subscriber.save()
    return subscriber


@transaction.atomic
def suppression_record(*, email: str, reason: str, note: str = "") -> Suppression:
    """Never mail this address again (hard bounce, complaint, or staff's decision)."""
    suppression, _ = Suppression.objects.get_or_create(
        email=normalise_email(email), defaults={"reason": reason, "note": note[:300]}
    )
    return suppression


# --- Editions ------------------------------------------------------------------------------
def edition_send_test(*, edition: Edition, email: str) -> None:
    """Send the editor a copy now, marked as a test; no Delivery row, no unsubscribe link."""
    build_test_message(edition=edition, email=email).send()


@transaction.atomic
def edition_schedule(*, edition: Edition, when) -> Edition:
    edition = Edition.objects.select_for_update().get(pk=edition.pk)
    if not edition.is_editable:
        raise EditionStateError("Only a draft or scheduled edition can be scheduled.")
    edition.status = Edition.Status.SCHEDULED
    edition.scheduled_at = when
    edition.save(update_fields=["status", "scheduled_at", "updated_at"])
    return edition


@transaction.atomic
def edition_unschedule(*, edition: Edition) -> Edition:
    edition = Edition.objects.select_for_update().get(pk=edition.pk)
    if edition.status == Edition.Status.SCHEDULED:
        edition.status = Edition.Status.DRAFT
        edition.scheduled_at = None
        edition.save(update_fields=["status", "scheduled_at", "updated_at"])
    return edition


@transaction.atomic
def edition_send(*, edition: Edition) -> Edition:
    """Start sending: freeze the rendered email, then build deliveries in the background."""
    from .tasks import prepare_edition

    edition = Edition.objects.select_for_update().get(pk=edition.pk)
    if not edition.is_editable:
        raise EditionStateError("This edition is already sending or sent.")
    edition.rendered_html, edition.rendered_text = render_edition(edition)
    edition.status = Edition.Status.SENDING
    edition.started_at = timezone.now()
    edition.save()
    transaction.on_commit(lambda: prepare_edition.delay(edition.pk))
    return edition


@transaction.atomic
def edition_pause(*, edition: Edition) -> Edition:
    edition = Edition.objects.select_for_update().get(pk=edition.pk)
    if edition.status != Edition.Status.SENDING:
        raise EditionStateError("Only a sending edition can be paused.")
    edition.status = Edition.Status.PAUSED
    edition.save(update_fields=["status", "updated_at"])
    return edition


@transaction.atomic
def edition_resume(*, edition: Edition) -> Edition:
    from .tasks import prepare_edition

    edition = Edition.objects.select_for_update().get(pk=edition.pk)
    if edition.status != Edition.Status.PAUSED:
        raise EditionStateError("Only a paused edition can be resumed.")
    edition.status = Edition.Status.SENDING
    edition.save(update_fields=["status", "updated_at"])
    if edition.prepared_at is None:
        transaction.on_commit(lambda: prepare_edition.delay(edition.pk))
    else:
        transaction.on_commit(lambda: edition_enqueue_pending(edition_id=edition.pk))
    return edition


def editions_send_due(*, now=None) -> list[int]:
    """Start every scheduled edition whose time has come (run by Celery beat every minute)."""
    now = now or timezone.now()
    started = []
    due = Edition.objects.filter(status=Edition.Status.SCHEDULED, scheduled_at__lte=now)
    for edition in due.only("pk"):
        try:
            edition_send(edition=edition)
        except EditionStateError:
            continue
        started.append(edition.pk)
    return started


# --- Delivery ------------------------------------------------------------------------------
def _enqueue_batch(edition_id: int, low: int, high: int) -> None:
    from .tasks import send_batch

    send_batch.delay(edition_id, low, high)


def deliveries_prepare(*, edition_id: int) -> int:
    """Create the edition's Delivery rows chunk by chunk, enqueueing each chunk once committed.

    The audience is streamed, never loaded whole. Safe to run again: existing rows are kept
    (unique key) and re-enqueued batches only pick up rows still queued.
    """
    edition = Edition.objects.filter(pk=edition_id).first()
    if edition is None or edition.status not in {Edition.Status.SENDING, Edition.Status.PAUSED}:
        return 0
    batch_size = settings.NEWSLETTER_BATCH_SIZE
    created = 0
    chunk: list[tuple[int, str, bool]] = []

    def flush():
        nonlocal created
        with transaction.atomic():
            Delivery.objects.bulk_create(
                [
                    Delivery(
                        edition_id=edition_id,
                        subscriber_id=pk,
                        email=email,
                        status=Delivery.Status.SUPPRESSED if suppressed else Delivery.Status.QUEUED,
                        error="Address suppressed" if suppressed else "",
                    )
                    for pk, email, suppressed in chunk
                ],
                ignore_conflicts=True,
            )
            low, high = chunk[0][0], chunk[-1][0]
            transaction.on_commit(lambda: _enqueue_batch(edition_id, low, high))
        created += len(chunk)
        chunk.clear()

    rows = selectors.audience_subscribers(edition).values_list("pk", "email", "suppressed")
    for row in rows.iterator(chunk_size=batch_size):
        chunk.append(row)
        if len(chunk) >= batch_size:
            flush()
    if chunk:
        flush()
    Edition.objects.filter(pk=edition_id, prepared_at__isnull=True).update(
        prepared_at=timezone.now()
    )
    _finish_if_done(edition_id)
    return created


def edition_enqueue_pending(*, edition_id: int) -> int:
    """Enqueue batches covering every still-queued delivery (resume, or recovery after a crash)."""
    batch_size = settings.NEWSLETTER_BATCH_SIZE
    ids = (
        Delivery.objects.filter(edition_id=edition_id, status=Delivery.Status.QUEUED)
        .order_by("subscriber_id")
        .values_list("subscriber_id", flat=True)
    )
    batches = 0
    low = previous = None
    count = 0
    for subscriber_id in ids.iterator(chunk_size=5000):
        if low is None:
            low = subscriber_id
        previous = subscriber_id
        count += 1
        if count >= batch_size:
            _enqueue_batch(edition_id, low, previous)
            batches += 1
            low, count = None, 0
    if low is not None:
        _enqueue_batch(edition_id, low, previous)
        batches += 1
    return batches


def editions_resume_stalled(*, now=None) -> list[int]:
    """Re-enqueue batches whose worker died, and sends that made no progress at all.

    Run by beat every NEWSLETTER_RESUME_EVERY_SECONDS. A batch that has started holds a lease
    it renews every NEWSLETTER_HEARTBEAT_SECONDS; a lease older than NEWSLETTER_LEASE_SECONDS
    means its worker is gone (its row locks went with its database connection), so the batch
    is enqueued again now rather than after the broker's one-hour visibility timeout.
    Re-enqueueing a batch that is in fact still running is harmless (rows are claimed under a
    lock, SKIP LOCKED). Batches lost before they started (no lease) are caught by the slower
    edition-wide check: nothing sent for NEWSLETTER_STALL_SECONDS.
    """
    from .tasks import prepare_edition

    now = now or timezone.now()
    resumed = set()
    stale = BatchLease.objects.filter(
        heartbeat_at__lt=now - timedelta(seconds=settings.NEWSLETTER_LEASE_SECONDS)
    )
    for lease in stale.select_related("edition").order_by("pk"):
        if lease.edition.status != Edition.Status.SENDING:
            # Paused, cancelled or done: resume/send enqueues afresh when the time comes.
            lease.delete()
            continue
        # Renewing the lease here re-enqueues a dead batch once per lease period, not at
        # every sweep while its new task waits in the queue.
        BatchLease.objects.filter(pk=lease.pk).update(heartbeat_at=now)
        _enqueue_batch(lease.edition_id, lease.low, lease.high)
        resumed.add(lease.edition_id)
    cutoff = now - timedelta(seconds=settings.NEWSLETTER_STALL_SECONDS)
    for edition in Edition.objects.filter(status=Edition.Status.SENDING, started_at__lte=cutoff):
        if edition.prepared_at is None:
            prepare_edition.delay(edition.pk)
            resumed.add(edition.pk)
            continue
        recent = Delivery.objects.filter(edition=edition, sent_at__gte=cutoff).exists()
        if recent:
            continue
        if edition_enqueue_pending(edition_id=edition.pk):
            resumed.add(edition.pk)
        else:
            _finish_if_done(edition.pk)
    return sorted(resumed)


def _finish_if_done(edition_id: int) -> bool:
    if Delivery.objects.filter(edition_id=edition_id, status=Delivery.Status.QUEUED).exists():
        return False
    finished = Edition.objects.filter(
        pk=edition_id, status=Edition.Status.SENDING, prepared_at__isnull=False
    ).update(status=Edition.Status.SENT, finished_at=timezone.now())
    if finished:
        # The archive lists it now (and a public edition's page opens): drop cached copies.
        public_pages_changed.send(sender=Edition, paths=["/newsletter/"])
    return bool(finished)


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
        f"SELECT d.id, d.email, d.subscriber_id, d.attempts, s.status,"  # noqa: S608
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
    pk, email, subscriber_id, attempts, subscriber_status, suppressed = row
    return _Claim(pk, email, subscriber_id, attempts, subscriber_status, bool(suppressed))


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
    prepared = PreparedEdition(
        edition, html_body=edition.rendered_html, text_body=edition.rendered_text
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
                            ),
                        )
                    else:
                        message = build_message(
                            prepared=prepared,
                            email=delivery.email,
                            subscriber_id=delivery.subscriber_id,
                            delivery_id=delivery.pk,
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
        _finish_if_done(edition_id)
    return result
