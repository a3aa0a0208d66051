"""Delivery: an edition's Delivery rows, enqueueing the batches that send them (`sending`),
finishing the send, and resuming a send whose worker died.

Delivery is built for workers that die. Each (edition, address) has one Delivery row. A batch
task claims one queued row at a time with SELECT ... FOR UPDATE SKIP LOCKED, hands the message
to the mail server, marks the row sent and commits, all in one short transaction (see
`sending`): a repeated or concurrent task skips rows that are locked or already sent, and a
worker killed before the commit leaves its row queued for whoever runs the batch next. The one
copy that can go twice is the message of a worker killed after the server accepted it and
before that commit. Running batches renew a lease (BatchLease) so beat resumes a dead worker's
batch in seconds.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.signals import public_pages_changed
from core.tasks import enqueue

from .. import selectors
from ..models import BatchLease, Delivery, Edition
from . import background


def _enqueue_batch(edition_id: int, low: int, high: int) -> None:
    enqueue(background.SEND_BATCH, edition_id, low, high)


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
    edition_finish_if_done(edition_id=edition_id)
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
            enqueue(background.PREPARE_EDITION, edition.pk)
            resumed.add(edition.pk)
            continue
        recent = Delivery.objects.filter(edition=edition, sent_at__gte=cutoff).exists()
        if recent:
            continue
        if edition_enqueue_pending(edition_id=edition.pk):
            resumed.add(edition.pk)
        else:
            edition_finish_if_done(edition_id=edition.pk)
    return sorted(resumed)


def edition_finish_if_done(*, edition_id: int) -> bool:
    """Mark a prepared, sending edition sent once none of its deliveries is queued."""
    if Delivery.objects.filter(edition_id=edition_id, status=Delivery.Status.QUEUED).exists():
        return False
    finished = Edition.objects.filter(
        pk=edition_id, status=Edition.Status.SENDING, prepared_at__isnull=False
    ).update(status=Edition.Status.SENT, finished_at=timezone.now())
    if finished:
        # The archive lists it now (and a public edition's page opens): drop cached copies.
        public_pages_changed.send(sender=Edition, paths=["/newsletter/"])
    return bool(finished)
