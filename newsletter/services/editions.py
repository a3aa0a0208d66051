"""Editions: test sends, scheduling, and starting, pausing and resuming a send."""

from django.db import transaction
from django.utils import timezone

from core.tasks import enqueue

from ..models import Edition
from ..rendering import build_test_message, render_edition
from . import background
from .deliveries import edition_enqueue_pending


class EditionStateError(Exception):
    """The edition is not in a state that allows this (e.g. sending twice)."""


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
    edition = Edition.objects.select_for_update().get(pk=edition.pk)
    if not edition.is_editable:
        raise EditionStateError("This edition is already sending or sent.")
    edition.rendered_html, edition.rendered_text = render_edition(edition)
    edition.status = Edition.Status.SENDING
    edition.started_at = timezone.now()
    edition.save()
    transaction.on_commit(lambda: enqueue(background.PREPARE_EDITION, edition.pk))
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
    edition = Edition.objects.select_for_update().get(pk=edition.pk)
    if edition.status != Edition.Status.PAUSED:
        raise EditionStateError("Only a paused edition can be resumed.")
    edition.status = Edition.Status.SENDING
    edition.save(update_fields=["status", "updated_at"])
    if edition.prepared_at is None:
        transaction.on_commit(lambda: enqueue(background.PREPARE_EDITION, edition.pk))
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
