"""Memberships and their seats. Every change to a membership goes through
`_membership_change`, which keeps the audit history."""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from core.mail import send_failure

from ..models import Membership, MembershipEvent, Plan, Seat, grace_period

logger = logging.getLogger(__name__)
RENEWAL_REMINDER_DAYS = 14


def _membership_change(
    *,
    membership: Membership,
    source: str,
    actor=None,
    stripe_event_id: str = "",
    note: str = "",
    from_status: str = "",
    now=None,
    cancellation: dict | None = None,
) -> Membership:
    """Save a membership and write its audit row; keep start and end dates in step.
    `cancellation` is Stripe's cancellation_details when this change cancelled it."""
    now = now or timezone.now()
    if membership.status == Membership.Status.EXPIRED:
        membership.ended_at = membership.ended_at or now
    else:
        membership.ended_at = None
        if from_status in ("", Membership.Status.EXPIRED) or membership.started_at is None:
            membership.started_at = now
    if membership.status != Membership.Status.PAST_DUE:
        membership.past_due_since = None
    elif membership.past_due_since is None:
        membership.past_due_since = now
    membership.save()
    MembershipEvent.objects.create(
        membership=membership,
        created_at=now,
        source=source,
        actor=actor,
        stripe_event_id=stripe_event_id,
        from_status=from_status,
        to_status=membership.status,
        current_period_end=membership.current_period_end,
        note=note,
        **_cancellation_fields(cancellation or {}),
    )
    return membership


def _cancellation_fields(details: dict) -> dict:
    reason = details.get("reason") or ""
    if reason not in MembershipEvent.CancellationReason.values:
        return {}
    feedback = details.get("feedback") or ""
    if feedback not in MembershipEvent.CancellationFeedback.values:
        feedback = MembershipEvent.CancellationFeedback.OTHER if feedback else ""
    return {
        "cancellation_reason": reason,
        "cancellation_feedback": feedback,
        "cancellation_comment": (details.get("comment") or "")[:2000],
    }


def _locked_membership(user) -> tuple[Membership, str]:
    """The user's membership row, locked, and its status before this change ("" if new)."""
    membership, created = Membership.objects.select_for_update().get_or_create(user=user)
    return membership, "" if created else membership.status


@transaction.atomic
def membership_set(
    *,
    user,
    status: str,
    current_period_end: datetime | None,
    is_complimentary: bool = False,
    plan: Plan | None = None,
    actor=None,
    note: str = "",
    source: str = MembershipEvent.Source.STAFF,
) -> Membership:
    """Set a user's membership state directly (staff grants, demo content, tests)."""
    membership, previous = _locked_membership(user)
    membership.status = status
    membership.current_period_end = current_period_end
    membership.is_complimentary = is_complimentary
    if plan is not None:
        membership.plan = plan
    return _membership_change(
        membership=membership, source=source, actor=actor, note=note, from_status=previous
    )


@transaction.atomic
def membership_grant_complimentary(
    *, user, actor, reason: str, until: datetime | None = None
) -> Membership:
    """Staff give someone membership without payment (speakers, partners)."""
    if not reason.strip():
        raise ValidationError("Say why the membership is complimentary.")
    membership, previous = _locked_membership(user)
    membership.status = Membership.Status.ACTIVE
    membership.current_period_end = until
    membership.is_complimentary = True
    return _membership_change(
        membership=membership,
        source=MembershipEvent.Source.STAFF,
        actor=actor,
        note=f"Complimentary membership granted: {reason.strip()}",
        from_status=previous,
    )


@transaction.atomic
def membership_revoke_complimentary(*, user, actor, reason: str) -> Membership:
    """Staff end a complimentary membership at once. Paid memberships end in Stripe."""
    if not reason.strip():
        raise ValidationError("Say why the membership is revoked.")
    membership = Membership.objects.select_for_update().filter(user=user).first()
    if membership is None or not membership.is_complimentary:
        raise ValidationError("This person has no complimentary membership to revoke.")
    previous = membership.status
    membership.status = Membership.Status.EXPIRED
    membership.is_complimentary = False
    membership.current_period_end = timezone.now()
    return _membership_change(
        membership=membership,
        source=MembershipEvent.Source.STAFF,
        actor=actor,
        note=f"Complimentary membership revoked: {reason.strip()}",
        from_status=previous,
    )


# --- Scheduled work ------------------------------------------------------------------------
def memberships_expire(*, now=None) -> int:
    """Expire memberships whose paid period or grace period is over. Safe to run twice."""
    now = now or timezone.now()
    due = Membership.objects.filter(
        status__in=[Membership.Status.ACTIVE, Membership.Status.CANCELED],
        current_period_end__lte=now,
    ) | Membership.objects.filter(
        status=Membership.Status.PAST_DUE, past_due_since__lte=now - grace_period()
    )
    expired = 0
    for membership_id in due.values_list("pk", flat=True):
        with transaction.atomic():
            membership = Membership.objects.select_for_update().get(pk=membership_id)
            if membership.status == Membership.Status.EXPIRED or membership.is_active(now):
                continue
            previous = membership.status
            membership.status = Membership.Status.EXPIRED
            _membership_change(
                membership=membership,
                source=MembershipEvent.Source.SYSTEM,
                note="Period ended",
                from_status=previous,
                now=now,
            )
            expired += 1
    return expired


def renewal_reminder_due_ids(*, now=None) -> list[int]:
    now = now or timezone.now()
    return list(
        Membership.objects.filter(
            status=Membership.Status.ACTIVE,
            is_complimentary=False,
            plan__interval=Plan.Interval.YEAR,
            current_period_end__gt=now,
            current_period_end__lte=now + timedelta(days=RENEWAL_REMINDER_DAYS),
        ).values_list("pk", flat=True)
    )


def membership_send_renewal_reminder(*, membership_id: int, now=None) -> bool:
    """Email one renewal reminder for the current period; False when already sent or not due."""
    now = now or timezone.now()
    with transaction.atomic():
        membership = (
            Membership.objects.select_for_update(of=("self",))
            .select_related("user", "plan")
            .get(pk=membership_id)
        )
        if (
            membership.status != Membership.Status.ACTIVE
            or membership.current_period_end is None
            or membership.renewal_reminder_sent_for == membership.current_period_end
            or not now
            < membership.current_period_end
            <= now + timedelta(days=RENEWAL_REMINDER_DAYS)
        ):
            return False
        membership.renewal_reminder_sent_for = membership.current_period_end
        membership.save(update_fields=["renewal_reminder_sent_for", "updated_at"])
        context = {"membership": membership, "site_url": settings.SITE_URL}
        # Sent inside the transaction: if sending fails, the reminder stays due, unless the
        # server refused the address for good (then it is settled and reported, not retried).
        try:
            send_mail(
                subject="civicnet: your membership renews soon",
                message=render_to_string("members/email/renewal_reminder.txt", context),
                from_email=None,
                recipient_list=[membership.user.email],
            )
        except Exception as error:
            failure = send_failure(error, membership.user.email)
            if not failure.address_refused:
                raise
            logger.error(
                "Renewal reminder for membership %s refused: %s", membership.pk, failure.description
            )
            return False
    return True


# --- Organisation seats --------------------------------------------------------------------
@transaction.atomic
def seat_add(*, membership: Membership, email: str) -> Seat:
    membership = (
        Membership.objects.select_for_update(of=("self",))
        .select_related("plan", "user")
        .get(pk=membership.pk)
    )
    seats = membership.plan.seats if membership.plan else 1
    if membership.seats.count() >= seats - 1:  # the admin holds one seat
        raise ValidationError(f"All {seats} seats of this membership are taken.")
    email = email.strip().lower()
    if email == membership.user.email.lower() or membership.seats.filter(email__iexact=email):
        raise ValidationError("That person already has a seat.")
    return Seat.objects.create(membership=membership, email=email)


@transaction.atomic
def seat_remove(*, membership: Membership, seat_id: int) -> None:
    membership.seats.filter(pk=seat_id).delete()
