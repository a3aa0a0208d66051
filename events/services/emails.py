"""Registration emails and reminders: each owed email is a RegistrationEmail row, recorded once
and sent once. Services record it here; after commit, `registration_email_owed` tells
events.tasks to send it (services never import the tasks that call them)."""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from core.mail import SendFailure, retry_delay, send_failure

from ..ical import event_calendar
from ..models import Registration, RegistrationEmail
from ..signals import registration_email_owed

logger = logging.getLogger(__name__)
# Tries of one registration email (1, 2, 4, 8 ... minutes apart) before it is marked failed.
EMAIL_MAX_ATTEMPTS = 8

REMINDER_LEADS = {
    RegistrationEmail.Kind.DAY_BEFORE: timedelta(hours=24),
    RegistrationEmail.Kind.HOUR_BEFORE: timedelta(hours=1),
}


def registration_email_queue(registration: Registration, kind: str) -> RegistrationEmail | None:
    """Record that `kind` is owed to this registration (once) and send it after commit."""
    email, created = RegistrationEmail.objects.get_or_create(registration=registration, kind=kind)
    if created:
        transaction.on_commit(
            lambda: registration_email_owed.send(sender=RegistrationEmail, email_id=email.pk)
        )
        return email
    return None


EMAIL_SUBJECTS = {
    "confirmed": "You're registered: {title}",
    "waitlisted": "You're on the waitlist: {title}",
    "promoted": "A place opened up: you're registered for {title}",
    "cancelled": "Registration cancelled: {title}",
    "pending_payment": "Complete your ticket for {title}",
    "24h": "Tomorrow: {title}",
    "1h": "Starting in an hour: {title}",
    "update": "Time changed: {title}",
}
CARRIES_CALENDAR = {"confirmed", "promoted", "update", "24h"}


def registration_email_send(*, email_id: int, now=None) -> bool:
    """Send one recorded email if it has not gone yet. Safe to call twice, or concurrently:
    the row is locked (skip_locked) while sending and marked sent in the same transaction."""
    now = now or timezone.now()
    with transaction.atomic():
        email = (
            RegistrationEmail.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("registration__event", "registration__user")
            .filter(pk=email_id, sent_at=None, failed_at=None)
            .first()
        )
        if email is None:
            return False
        registration, event = email.registration, email.registration.event
        family = email.kind.split("-")[0]
        no_longer_relevant = (
            family in REMINDER_LEADS
            and (registration.status != Registration.Status.CONFIRMED or event.starts_at <= now)
        ) or (family != "cancelled" and registration.status == Registration.Status.CANCELLED)
        if no_longer_relevant:
            email.sent_at = now  # no longer relevant: mark it settled, send nothing
            email.skipped = True
            email.save(update_fields=["sent_at", "skipped"])
            return False
        context = {
            "event": event,
            "registration": registration,
            "user": registration.user,
            "kind": family,
            "site_url": settings.SITE_URL,
        }
        message = EmailMessage(
            subject=EMAIL_SUBJECTS[family].format(title=event.title),
            body=render_to_string("events/email/registration.txt", context),
            to=[registration.user.email],
        )
        if family in CARRIES_CALENDAR:
            message.attach(f"{event.slug}.ics", event_calendar([event]), "text/calendar")
        try:
            message.send()
        except Exception as error:
            _record_send_failure(email, send_failure(error, registration.user.email), now)
            return False
        email.sent_at = now
        email.save(update_fields=["sent_at"])
        return True


def _record_send_failure(email: RegistrationEmail, failure: SendFailure, now) -> None:
    """Keep the failure on the row (committed with it): a refused address is settled at once,
    anything else is tried again later with backoff until EMAIL_MAX_ATTEMPTS."""
    email.attempts += 1
    email.last_error = failure.description
    if failure.address_refused or email.attempts >= EMAIL_MAX_ATTEMPTS:
        email.failed_at = now
        logger.error(
            "Event email %s (%s) to registration %s failed for good: %s",
            email.pk,
            email.kind,
            email.registration_id,
            failure.description,
        )
    else:
        email.next_attempt_at = now + retry_delay(email.attempts)
        logger.warning(
            "Event email %s failed (attempt %s), will retry: %s",
            email.pk,
            email.attempts,
            failure.description,
        )
    email.save(update_fields=["attempts", "last_error", "failed_at", "next_attempt_at"])


def reminders_queue_due(*, now=None) -> list[int]:
    """Record the 24-hour and 1-hour reminders now due (each at most once per registration)
    and return the ids of every email to try now: unsent, not failed for good, and past the
    backoff of an earlier failure."""
    now = now or timezone.now()
    for kind, lead in REMINDER_LEADS.items():
        window_end = now + lead
        # Only the tightest reminder: inside the last hour, the day-before one is skipped.
        confirmed = Registration.objects.filter(
            status=Registration.Status.CONFIRMED,
            event__is_published=True,
            event__starts_at__gt=now,
            event__starts_at__lte=window_end,
        )
        if kind == RegistrationEmail.Kind.DAY_BEFORE:
            confirmed = confirmed.filter(event__starts_at__gt=now + timedelta(hours=1))
        RegistrationEmail.objects.bulk_create(
            [
                RegistrationEmail(registration_id=pk, kind=kind)
                for pk in confirmed.values_list("pk", flat=True)
            ],
            ignore_conflicts=True,
        )
    return list(
        RegistrationEmail.objects.filter(sent_at=None, failed_at=None)
        .filter(Q(next_attempt_at=None) | Q(next_attempt_at__lte=now))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
