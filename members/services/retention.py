"""The retention ladder: reminders before a fixed-end membership ends, a note when it lapses
and a win-back a month later; when a payment fails, a note at once (started by the webhook)
and a last call before the grace period ends. Each (membership, kind, period key) is emailed
once: the row in RetentionEmail is written in the same transaction as the send, so a failed
send stays due."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from core.emails import send_site_email
from core.tasks import enqueue_on_commit

from ..models import Membership, Plan, RetentionEmail, grace_period

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
SUBJECTS = {
    Kind.RENEWS_IN_30_DAYS: "civicnet: your membership renews in a month",
    Kind.RENEWS_IN_7_DAYS: "civicnet: your membership renews next week",
    Kind.ENDS_IN_3_DAYS: "civicnet: your membership ends in three days",
    Kind.LAPSED: "civicnet: your membership has ended",
    Kind.WIN_BACK: "civicnet: the network misses you",
    Kind.PAYMENT_FAILED: "civicnet: your membership payment did not go through",
    Kind.PAYMENT_LAST_CALL: "civicnet: update your card to keep your membership",
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
        send_site_email(
            to=[membership.user.email],
            subject=SUBJECTS[kind],
            template=f"members/email/retention_{kind}",
            context={
                "membership": membership,
                "person": membership.user,
                "renews": renews_by_itself(membership),
                "grace_ends": membership.access_until,
                # A page of the site that opens Stripe's portal: a portal session's own URL
                # expires within minutes, so it is never put in an email.
                "portal_url": settings.SITE_URL + reverse("members:billing_portal"),
            },
        )
    return True
