"""The retention ladder: reminders before a fixed-end membership ends, a note when it lapses
and a win-back a month later; when a payment fails, a note at once (started by the webhook)
and a last call before the grace period ends. Each (membership, kind, period key) is emailed
once: the row in RetentionEmail is written in the same transaction as the send, so a failed
send stays due."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from core.emails import send_site_email
from core.tasks import enqueue_on_commit

from .. import email_copy
from ..models import Membership, Plan, RetentionEmail, RetentionEmailText, grace_period

logger = logging.getLogger(__name__)
SEND_RETENTION_EMAIL = "members.send_retention_email"
Kind = RetentionEmail.Kind
LAST_CALL_BEFORE = timedelta(days=3)  # the second payment note, this long before grace ends
LAPSED_WITHIN = timedelta(days=7)  # a lapse older than this gets no "just lapsed" note
WIN_BACK_AFTER = timedelta(days=30)
WIN_BACK_WITHIN = timedelta(days=60)  # nobody is won back from years ago on the first run

# kind: (plan interval, days before the end, only when it does not renew by itself)
REMINDERS = {
    Kind.RENEWS_IN_30_DAYS: (Plan.Interval.YEAR, 30, False),
    Kind.RENEWS_IN_7_DAYS: (Plan.Interval.YEAR, 7, False),
    Kind.ENDS_IN_3_DAYS: (Plan.Interval.MONTH, 3, True),
}


def renews_by_itself(membership: Membership) -> bool:
    return membership.status == Membership.Status.ACTIVE and bool(membership.stripe_subscription_id)


def _nearer_step(interval: str, days: int) -> int:
    """A late first run sends only the nearest step: the 30-day note stops where the 7-day one
    starts."""
    nearer = [d for i, d, _ in REMINDERS.values() if i == interval and d < days]
    return max(nearer, default=0)


def _reminder_due(membership: Membership, kind: str, now) -> bool:
    interval, days, only_without_auto_renew = REMINDERS[kind]
    end = membership.current_period_end
    return (
        membership.status in (Membership.Status.ACTIVE, Membership.Status.CANCELED)
        and not membership.is_complimentary
        and membership.plan is not None
        and membership.plan.interval == interval
        and end is not None
        and now + timedelta(days=_nearer_step(interval, days)) < end <= now + timedelta(days=days)
        and not (only_without_auto_renew and renews_by_itself(membership))
    )


def retention_email_due(membership: Membership, kind: str, now) -> object | None:
    """The period end this email would be for, or None when it is not due now."""
    if kind in REMINDERS:
        return membership.current_period_end if _reminder_due(membership, kind, now) else None
    if kind in (Kind.PAYMENT_FAILED, Kind.PAYMENT_LAST_CALL):
        return _payment_note_due(membership, kind, now)
    ended = membership.ended_at
    if membership.status != Membership.Status.EXPIRED or ended is None:
        return None
    if kind == Kind.LAPSED and now - LAPSED_WITHIN < ended <= now:
        return ended
    if kind == Kind.WIN_BACK and now - WIN_BACK_WITHIN < ended <= now - WIN_BACK_AFTER:
        return ended
    return None


def _payment_note_due(membership: Membership, kind: str, now) -> object | None:
    """The start of the grace period (the key of this failed payment) while the note is due."""
    since = membership.past_due_since
    if membership.status != Membership.Status.PAST_DUE or since is None:
        return None
    grace_ends = since + grace_period()
    starts = since if kind == Kind.PAYMENT_FAILED else grace_ends - LAST_CALL_BEFORE
    return since if starts <= now < grace_ends else None


def payment_failed_notify(*, membership: Membership) -> None:
    """Send the payment-failed note once this transaction commits (the webhook calls this)."""
    if membership.status == Membership.Status.PAST_DUE:
        enqueue_on_commit(SEND_RETENTION_EMAIL, membership.pk, Kind.PAYMENT_FAILED)


def retention_due(*, now=None) -> list[tuple[int, str]]:
    """(membership id, kind) for every retention email due now and not yet sent."""
    now = now or timezone.now()
    candidates = Membership.objects.select_related("plan").filter(
        Q(
            status__in=[Membership.Status.ACTIVE, Membership.Status.CANCELED],
            current_period_end__gt=now,
            current_period_end__lte=now + timedelta(days=30),
        )
        | Q(status=Membership.Status.EXPIRED, ended_at__gt=now - WIN_BACK_WITHIN)
        | Q(status=Membership.Status.PAST_DUE, past_due_since__gt=now - grace_period())
    )
    sent = set(
        RetentionEmail.objects.filter(membership__in=candidates).values_list(
            "membership_id", "kind", "period_end"
        )
    )
    due = []
    for membership in candidates:
        for kind in Kind.values:
            period_end = retention_email_due(membership, kind, now)
            if period_end is not None and (membership.pk, kind, period_end) not in sent:
                due.append((membership.pk, kind))
    return due


def retention_send(*, membership_id: int, kind: str, now=None) -> bool:
    """Email one retention step; False when it is not due or already sent for this period."""
    now = now or timezone.now()
    with transaction.atomic():
        membership = (
            Membership.objects.select_for_update(of=("self",))
            .select_related("user", "plan")
            .get(pk=membership_id)
        )
        period_end = retention_email_due(membership, kind, now)
        if period_end is None or not membership.user.email:
            return False
        try:
            with transaction.atomic():
                RetentionEmail.objects.create(
                    membership=membership, kind=kind, period_end=period_end
                )
        except IntegrityError:
            return False  # already sent for this period
        subject, body = retention_message(membership, kind)
        send_site_email(
            to=[membership.user.email],
            subject=subject,
            template="members/email/retention",
            context={"subject": subject, "body": body},
        )
    return True


def retention_texts_ensure() -> int:
    """One editable text per retention email, from the default words where one is missing
    (the migration makes them; the demo and the tests call this too). How many it made."""
    made = 0
    for kind, (subject, body) in email_copy.DEFAULTS.items():
        made += RetentionEmailText.objects.get_or_create(
            kind=kind, defaults={"subject": subject, "body": body}
        )[1]
    return made


def _placeholder_values(membership: Membership, kind: str) -> dict[str, str]:
    if kind in REMINDERS:
        ends_on = membership.current_period_end
    elif kind in (Kind.PAYMENT_FAILED, Kind.PAYMENT_LAST_CALL):
        ends_on = membership.access_until
    else:
        ends_on = membership.ended_at
    ends_on = f"{timezone.localtime(ends_on):%-d %B %Y}" if ends_on else ""
    plan = membership.plan
    renews = renews_by_itself(membership) and plan is not None
    return {
        "first_name": membership.user.first_name or "there",
        "plan": plan.name if plan else "",
        "ends_on": ends_on,
        "renews_or_ends": (
            f"renews on {ends_on} at {plan.price_label}" if renews else f"ends on {ends_on}"
        ),
        # A page of the site that opens Stripe's portal: a portal session's own URL expires
        # within minutes, so it is never put in an email.
        "portal_url": settings.SITE_URL + reverse("members:billing_portal"),
        "account_url": settings.SITE_URL + reverse("members:dashboard"),
        "join_url": settings.SITE_URL + reverse("members:membership"),
    }


def retention_message(membership: Membership, kind: str) -> tuple[str, str]:
    """The subject and plain-text body of this retention email, in the words staff set."""
    text = RetentionEmailText.objects.filter(kind=kind).first()
    subject, body = (text.subject, text.body) if text else email_copy.DEFAULTS[kind]
    values = _placeholder_values(membership, kind)
    try:
        return email_copy.fill(subject, values), email_copy.fill(body, values)
    except (KeyError, ValueError, IndexError):
        # Saved past the form's check (a shell, an old row): the default words, not no email.
        logger.exception("Retention email text %s cannot be filled in; sent the default", kind)
        subject, body = email_copy.DEFAULTS[kind]
        return email_copy.fill(subject, values), email_copy.fill(body, values)
