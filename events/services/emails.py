"""Registration emails and reminders: each owed email is a RegistrationEmail row, recorded once
and sent once. Services record it here; after commit, `registration_email_owed` tells
events.tasks to send it (services never import the tasks that call them)."""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from core.emails import email_context
from core.mail import SendFailure, retry_delay, send_failure

from ..ical import event_calendar
from ..models import DEFAULT_REMINDERS, REMINDER_LEADS, Event, Registration, RegistrationEmail
from ..signals import registration_email_owed
from .offer_tokens import offer_token

logger = logging.getLogger(__name__)
# Tries of one registration email (1, 2, 4, 8 ... minutes apart) before it is marked failed.
EMAIL_MAX_ATTEMPTS = 8

FOLLOWUP = RegistrationEmail.Kind.FOLLOWUP
# The post-event email goes from the end of the event until this long after; an event that
# ended before (or before the site sent these) gets none, rather than a surprise weeks later.
FOLLOWUP_WINDOW = timedelta(days=3)


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
    "7d": "Next week: {title}",
    "3d": "In three days: {title}",
    "24h": "Tomorrow: {title}",
    "2h": "Starting in two hours: {title}",
    "1h": "Starting in an hour: {title}",
    "followup": "Thank you for joining {title}",
    "offer": "A place is free for you: {title}",
    "offer_expired": "Your waitlist offer has lapsed: {title}",
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
        if family in REMINDER_LEADS and event.starts_at - REMINDER_LEADS[family] > now:
            # The event moved later since this was recorded: forget it, and the due-finder
            # records it again when the new time comes.
            email.delete()
            return False
        scheduled = family in REMINDER_LEADS or family == FOLLOWUP
        no_longer_relevant = (
            scheduled
            and (
                registration.status != Registration.Status.CONFIRMED
                or not event.is_published
                # Moved earlier, unticked by staff, or overtaken by a tighter reminder.
                or family != _kind_due_for(event, now)
            )
        ) or (
            family not in ("cancelled", "offer_expired")
            and registration.status == Registration.Status.CANCELLED
        )
        # An offer taken, declined or lapsed before it went out; a post-event email with
        # nothing for this person (the feedback link is for those who came).
        no_longer_relevant = (
            no_longer_relevant
            or (family == "offer" and registration.status != Registration.Status.OFFERED)
            or (family == FOLLOWUP and not (event.recording_url or registration.attended))
        )
        if no_longer_relevant:
            email.sent_at = now  # no longer relevant: mark it settled, send nothing
            email.skipped = True
            email.save(update_fields=["sent_at", "skipped"])
            return False
        subject = EMAIL_SUBJECTS[family].format(title=event.title)
        context = email_context(
            {
                "event": event,
                "registration": registration,
                "user": registration.user,
                "kind": family,
                "is_reminder": family in REMINDER_LEADS,
                "subject": subject,
                "attended": registration.attended,
                "offer_url": _offer_url(registration) if family == "offer" else "",
                "offer_expires_label": _in_event_zone(registration.offer_expires_at, event),
            }
        )
        message = EmailMultiAlternatives(
            subject=subject,
            body=render_to_string("events/email/registration.txt", context),
            to=[registration.user.email],
        )
        message.attach_alternative(
            render_to_string("events/email/registration.html", context), "text/html"
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


def _in_event_zone(moment, event: Event) -> str:
    if moment is None:
        return ""
    return f"{timezone.localtime(moment, event.zone):%a %-d %b, %-I:%M %p %Z}"


def _offer_url(registration: Registration) -> str:
    path = reverse(
        "events:offer_accept",
        kwargs={"slug": registration.event.slug, "token": offer_token(registration)},
    )
    return settings.SITE_URL + path


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


def _followup_wanted(event: Event) -> bool:
    return event.send_followup and bool(event.recording_url or event.feedback_url)


def _kind_due(*, starts_at, ends_at, offsets, followup: bool, now) -> str | None:
    """The one email due now for a registration at an event starting and ending then: the
    tightest reminder whose time has come (a late run skips the looser ones), or after the
    end the post-event email."""
    if starts_at > now:
        passed = [o for o in offsets if starts_at - REMINDER_LEADS[o] <= now]
        return min(passed, key=REMINDER_LEADS.get) if passed else None
    if followup and ends_at <= now < ends_at + FOLLOWUP_WINDOW:
        return FOLLOWUP
    return None


def _kind_due_for(event: Event, now) -> str | None:
    return _kind_due(
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        offsets=event.reminders,
        followup=_followup_wanted(event),
        now=now,
    )


def reminders_queue_due(*, now=None) -> list[int]:
    """Record the reminders and post-event emails now due (each at most once per registration
    and kind, by the unique constraint) and return the ids of every email to try now: unsent,
    not failed for good, and past the backoff of an earlier failure. Three queries, however
    many registrations."""
    now = now or timezone.now()
    longest_lead = max(REMINDER_LEADS.values())
    rows = Registration.objects.filter(
        status=Registration.Status.CONFIRMED, event__is_published=True
    ).filter(
        Q(event__starts_at__gt=now, event__starts_at__lte=now + longest_lead)
        | Q(
            event__ends_at__lte=now,
            event__ends_at__gt=now - FOLLOWUP_WINDOW,
            event__send_followup=True,
        )
    )
    due = []
    for (
        pk,
        reminding,
        kind,
        offsets,
        starts_at,
        ends_at,
        recording_url,
        feedback_url,
    ) in rows.values_list(
        "pk",
        "event__send_reminders",
        "event__kind",
        "event__reminder_offsets",
        "event__starts_at",
        "event__ends_at",
        "event__recording_url",
        "event__feedback_url",
    ):
        email_kind = _kind_due(
            starts_at=starts_at,
            ends_at=ends_at,
            offsets=[]
            if not reminding
            else DEFAULT_REMINDERS.get(kind, [])
            if offsets is None
            else offsets,
            followup=bool(recording_url or feedback_url),  # send_followup: filtered above
            now=now,
        )
        if email_kind:
            due.append(RegistrationEmail(registration_id=pk, kind=email_kind))
    RegistrationEmail.objects.bulk_create(due, ignore_conflicts=True, batch_size=1000)
    return list(
        RegistrationEmail.objects.filter(sent_at=None, failed_at=None)
        .filter(Q(next_attempt_at=None) | Q(next_attempt_at__lte=now))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
