"""What calendars show of an event: SEQUENCE bumps and "time changed" emails after edits."""

import hashlib

from django.db import transaction

from ..models import Event, Registration
from .emails import registration_email_queue


def _calendar_fingerprint(event: Event) -> str:
    parts = [
        event.title,
        event.summary,
        event.starts_at.isoformat(),
        event.ends_at.isoformat(),
        event.time_zone,
        event.location_label,
        str(event.is_published),
    ]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


@transaction.atomic
def event_calendar_sync(*, event: Event) -> bool:
    """After an edit: bump the iCalendar SEQUENCE when what a calendar shows changed, and
    when the time moved, tell every registrant (once per change). Returns True on change."""
    event = Event.objects.select_for_update().get(pk=event.pk)
    fingerprint = _calendar_fingerprint(event)
    if fingerprint == event.calendar_fingerprint:
        return False
    first_sync = not event.calendar_fingerprint
    moved = event.announced_starts_at is not None and (
        event.announced_starts_at != event.starts_at or event.announced_ends_at != event.ends_at
    )
    if not first_sync:
        event.sequence += 1
    event.calendar_fingerprint = fingerprint
    event.announced_starts_at = event.starts_at
    event.announced_ends_at = event.ends_at
    Event.objects.filter(pk=event.pk).update(
        sequence=event.sequence,
        calendar_fingerprint=fingerprint,
        announced_starts_at=event.starts_at,
        announced_ends_at=event.ends_at,
    )
    if moved:
        kind = f"update-{event.sequence}"
        live = event.registrations.filter(
            status__in=[Registration.Status.CONFIRMED, Registration.Status.WAITLISTED]
        )
        for registration in live:
            registration_email_queue(registration, kind)
    return True
