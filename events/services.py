"""Writes for events and challenges. Each runs in a transaction; email goes out on commit."""

import hashlib
import logging
import secrets
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from core.mail import SendFailure, retry_delay, send_failure
from core.signals import public_pages_changed
from members.selectors import membership_is_active

from .models import (
    ATTACHMENT_MAX_BYTES,
    Challenge,
    Event,
    JudgeAssignment,
    Registration,
    RegistrationEmail,
    Score,
    Submission,
    SubmissionAttachment,
    TeamInvitation,
)

logger = logging.getLogger(__name__)
# Tries of one registration email (1, 2, 4, 8 ... minutes apart) before it is marked failed.
EMAIL_MAX_ATTEMPTS = 8

REMINDER_LEADS = {
    RegistrationEmail.Kind.DAY_BEFORE: timedelta(hours=24),
    RegistrationEmail.Kind.HOUR_BEFORE: timedelta(hours=1),
}


class RegistrationError(Exception):
    """A registration the rules do not allow; the message is shown to the person."""


class AlreadyRegistered(RegistrationError):
    pass


class RegistrationClosed(RegistrationError):
    pass


class PaymentRequired(RegistrationError):
    pass


class SubmissionLocked(PermissionDenied):
    pass


class TeamError(ValidationError):
    """A team change the rules do not allow; the message is shown to the person asking and
    never says anything about anyone else's account."""


# --- Registration ------------------------------------------------------------------------


def _enqueue_email(email: RegistrationEmail) -> None:
    from .tasks import send_registration_email

    transaction.on_commit(lambda: send_registration_email.delay(email.pk))


def _queue_email(registration: Registration, kind: str) -> RegistrationEmail | None:
    """Record that `kind` is owed to this registration (once) and send it after commit."""
    email, created = RegistrationEmail.objects.get_or_create(registration=registration, kind=kind)
    if created:
        _enqueue_email(email)
        return email
    return None


def _taken_places(event: Event) -> int:
    return event.registrations.filter(
        status__in=[Registration.Status.CONFIRMED, Registration.Status.PENDING_PAYMENT]
    ).count()


# Events and challenges show on these sections' pages (and the home page, which every
# targeted clear of the page cache includes).
PUBLIC_EVENT_PATHS = ["/events/", "/challenges/"]


def _places_changed(event: Event) -> None:
    """Anonymous copies of pages showing places left are stale: tell the page cache."""
    public_pages_changed.send(sender=Event, paths=PUBLIC_EVENT_PATHS)


def _check_can_register(*, event: Event, user, now) -> None:
    if not user.is_authenticated:
        raise RegistrationError("Log in to register.")
    if not event.is_published:
        raise RegistrationClosed("This event is not open for registration.")
    state = event.registration_state(now)
    if state == "not_yet":
        raise RegistrationClosed("Registration has not opened yet.")
    if state == "closed":
        raise RegistrationClosed("Registration for this event has closed.")
    if event.registrations.filter(user=user).exclude(status=Registration.Status.CANCELLED).exists():
        raise AlreadyRegistered("You are already registered for this event.")


@transaction.atomic
def registration_create(*, event: Event, user, now=None) -> Registration:
    """Register a user, or put them on the waitlist when the event is full.

    The event row is locked first, so two people racing for the last place are served one
    after the other: exactly one gets it, the other joins the waitlist.
    """
    now = now or timezone.now()
    event = Event.objects.select_for_update().get(pk=event.pk)
    _check_can_register(event=event, user=user, now=now)
    if not event.is_free_for(is_member=membership_is_active(user)):
        raise PaymentRequired(
            f"Tickets cost ${event.price} for non-members; members register free."
        )
    full = event.capacity is not None and _taken_places(event) >= event.capacity
    status = Registration.Status.WAITLISTED if full else Registration.Status.CONFIRMED
    try:
        with transaction.atomic():
            registration = Registration.objects.create(event=event, user=user, status=status)
    except IntegrityError as error:  # the partial unique constraint, should a check be skipped
        raise AlreadyRegistered("You are already registered for this event.") from error
    _queue_email(registration, status)
    _places_changed(event)
    return registration


# --- Paid tickets (non-members), through the members app's Stripe client ----------------

PAYMENT_HOLD = timedelta(minutes=35)  # Stripe's shortest Checkout expiry is 30 minutes


@transaction.atomic
def _registration_hold_place(*, event: Event, user, now) -> Registration:
    event = Event.objects.select_for_update().get(pk=event.pk)
    _check_can_register(event=event, user=user, now=now)
    if membership_is_active(user) or event.price <= 0:
        raise RegistrationError("This registration is free: no payment is needed.")
    if event.capacity is not None and _taken_places(event) >= event.capacity:
        raise RegistrationClosed("This event is full.")
    registration = Registration.objects.create(
        event=event, user=user, status=Registration.Status.PENDING_PAYMENT
    )
    _places_changed(event)
    return registration


def registration_start_checkout(*, event: Event, user, success_url: str, cancel_url: str, now=None):
    """Hold a place for a non-member and open a Stripe Checkout session (payment mode) for
    the ticket; returns the registration with the Checkout URL. The place is held until
    the session expires; a failed call to Stripe releases it at once."""
    from members import billing

    now = now or timezone.now()
    if not billing.payments_configured():
        raise RegistrationError("Online payment is not configured on this site yet.")
    registration = _registration_hold_place(event=event, user=user, now=now)
    try:
        session = billing.stripe_client().v1.checkout.sessions.create(
            params={
                "mode": "payment",
                "customer_email": user.email,
                "client_reference_id": f"registration-{registration.pk}",
                "line_items": [
                    {
                        "quantity": 1,
                        "price_data": {
                            "currency": "usd",
                            "unit_amount": int(event.price * 100),
                            "product_data": {"name": f"Ticket: {event.title}"},
                        },
                    }
                ],
                "metadata": {"registration_id": str(registration.pk), "event": event.slug},
                "expires_at": int((now + timedelta(minutes=30)).timestamp()),
                "success_url": success_url + "?session_id={CHECKOUT_SESSION_ID}",
                "cancel_url": cancel_url,
            }
        )
    except Exception:
        registration_cancel(registration=registration, now=now, notify=False)
        raise
    Registration.objects.filter(pk=registration.pk).update(
        stripe_checkout_session_id=session.id, stripe_checkout_url=session.url or ""
    )
    registration.refresh_from_db()
    return registration


@transaction.atomic
def registration_settle_payment(
    *, registration: Registration, session: dict, now=None
) -> Registration:
    """Apply what Stripe says about a ticket's Checkout session: paid confirms the place,
    expired releases it. Safe to call again with the same session."""
    now = now or timezone.now()
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    if session.get("id") != registration.stripe_checkout_session_id:
        raise RegistrationError("That payment belongs to another registration.")
    if registration.status != Registration.Status.PENDING_PAYMENT:
        return registration
    if session.get("payment_status") == "paid":
        registration.status = Registration.Status.CONFIRMED
        registration.amount_paid = Decimal(session.get("amount_total") or 0) / 100
        registration.save(update_fields=["status", "amount_paid"])
        _queue_email(registration, RegistrationEmail.Kind.CONFIRMED)
    elif session.get("status") == "expired":
        registration_cancel(registration=registration, now=now, notify=False)
        registration.refresh_from_db()
    return registration


def registration_sync_payment(*, registration: Registration, now=None) -> Registration:
    """Ask Stripe about a pending ticket's session and settle it (for the return page and
    the periodic reconciliation, so a closed browser tab never loses a paid ticket)."""
    from members import billing

    now = now or timezone.now()
    if registration.status != Registration.Status.PENDING_PAYMENT:
        return registration
    if not registration.stripe_checkout_session_id:
        if now - registration.created_at > PAYMENT_HOLD:
            registration_cancel(registration=registration, now=now, notify=False)
        return registration
    session = (
        billing.stripe_client()
        .v1.checkout.sessions.retrieve(registration.stripe_checkout_session_id)
        .to_dict()
    )
    if session.get("payment_status") != "paid" and now - registration.created_at > PAYMENT_HOLD:
        session = {**session, "status": "expired"}
    return registration_settle_payment(registration=registration, session=session, now=now)


def pending_payment_ids(*, now=None) -> list[int]:
    now = now or timezone.now()
    return list(
        Registration.objects.filter(
            status=Registration.Status.PENDING_PAYMENT,
            created_at__lt=now - timedelta(minutes=2),
        ).values_list("pk", flat=True)
    )


@transaction.atomic
def registration_cancel(
    *, registration: Registration, now=None, notify: bool = True
) -> Registration:
    """Cancel a registration; a freed place goes to the first person on the waitlist."""
    now = now or timezone.now()
    event = Event.objects.select_for_update().get(pk=registration.event_id)
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    if registration.status == Registration.Status.CANCELLED:
        return registration
    freed_place = registration.status in (
        Registration.Status.CONFIRMED,
        Registration.Status.PENDING_PAYMENT,
    )
    registration.status = Registration.Status.CANCELLED
    registration.cancelled_at = now
    registration.save(update_fields=["status", "cancelled_at"])
    if notify:
        _queue_email(registration, RegistrationEmail.Kind.CANCELLED)
    if freed_place and not event.is_past(now):
        waitlist_promote(event=event, now=now)
    _places_changed(event)
    return registration


@transaction.atomic
def waitlist_promote(*, event: Event, now=None) -> list[Registration]:
    """Fill free places from the waitlist, first come first served, and tell each person."""
    now = now or timezone.now()
    event = Event.objects.select_for_update().get(pk=event.pk)
    promoted = []
    waiting = event.registrations.filter(status=Registration.Status.WAITLISTED).order_by(
        "created_at", "pk"
    )
    for registration in waiting:
        if event.capacity is not None and _taken_places(event) >= event.capacity:
            break
        registration.status = Registration.Status.CONFIRMED
        registration.promoted_at = now
        registration.save(update_fields=["status", "promoted_at"])
        _queue_email(registration, RegistrationEmail.Kind.PROMOTED)
        promoted.append(registration)
    if promoted:
        _places_changed(event)
    return promoted


@transaction.atomic
def registration_check_in(*, registration: Registration, checked_in: bool = True) -> Registration:
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    if registration.status != Registration.Status.CONFIRMED:
        raise RegistrationError("Only confirmed registrations can be checked in.")
    registration.checked_in_at = timezone.now() if checked_in else None
    registration.save(update_fields=["checked_in_at"])
    return registration


# --- Calendar changes --------------------------------------------------------------------


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
            _queue_email(registration, kind)
    return True


# --- Email -------------------------------------------------------------------------------

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
    from .ical import event_calendar

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


# --- Challenges --------------------------------------------------------------------------


def _assert_open(challenge: Challenge, now) -> None:
    if not challenge.is_open(now):
        raise SubmissionLocked("The deadline has passed: submissions are locked.")


def submission_can_edit(*, submission: Submission, user) -> bool:
    return submission.owner_id == user.pk or submission.team.filter(pk=user.pk).exists()


@transaction.atomic
def submission_save(
    *, challenge: Challenge, user, fields: dict, submit: bool, now=None
) -> Submission:
    """Create or update the user's entry. Only active members, only while the challenge is
    open; after the deadline nothing changes (checked here, on the server)."""
    now = now or timezone.now()
    challenge = Challenge.objects.select_for_update().get(pk=challenge.pk)
    if not membership_is_active(user):
        raise PermissionDenied("Only active members can enter Prize Challenges.")
    _assert_open(challenge, now)
    existing = submission_for(challenge=challenge, user=user)
    submission = Submission.objects.select_for_update().get(pk=existing.pk) if existing else None
    if submission is None:
        submission = Submission(challenge=challenge, owner=user)
    elif not submission_can_edit(submission=submission, user=user):
        raise PermissionDenied
    for name, value in fields.items():
        setattr(submission, name, value)
    if submit and submission.status != Submission.Status.SUBMITTED:
        submission.status = Submission.Status.SUBMITTED
        submission.submitted_at = now
    submission.full_clean(exclude=["owner", "challenge"])
    submission.save()
    return submission


def submission_for(*, challenge: Challenge, user) -> Submission | None:
    """The entry this user owns or is on the team of, if any."""
    return (
        Submission.objects.filter(challenge=challenge)
        .filter(Q(owner=user) | Q(team=user))
        .distinct()
        .first()
    )


# --- Teams: invitations the invitee accepts ----------------------------------------------
TEAM_MAX_OTHERS = 10  # people besides the leader: members plus open invitations
TEAM_INVITATION_DAYS = 7
# The same address is emailed about the same entry at most once a day (withdrawing and
# inviting again must not become a way to flood someone's inbox).
TEAM_INVITATION_EMAIL_GAP = timedelta(hours=24)


def _is_leader(submission: Submission, user) -> bool:
    return submission.owner_id == user.pk


@transaction.atomic
def team_invite(*, submission: Submission, user, emails, now=None) -> list[TeamInvitation]:
    """The leader invites these addresses to the team: one email each, with a link.

    Whether an address has an account, or a membership, is not looked at here (and so never
    shown to the leader): that is checked when the invitee accepts. Addresses already on
    the team, already invited, or that declined this entry are passed over quietly.
    """
    now = now or timezone.now()
    submission = Submission.objects.select_for_update().get(pk=submission.pk)
    if not _is_leader(submission, user):
        raise PermissionDenied("Only the entry's leader invites teammates.")
    _assert_open(submission.challenge, now)
    wanted = {email.strip().lower() for email in emails if email.strip()}
    wanted.discard((user.email or "").lower())
    wanted -= {email.lower() for email in submission.team.values_list("email", flat=True)}
    invitations = list(submission.invitations.filter(email__in=wanted))
    pending = [invitation for invitation in invitations if invitation.is_open(now)]
    wanted -= {invitation.email for invitation in pending}
    wanted -= {i.email for i in invitations if i.status == TeamInvitation.Status.DECLINED}
    if not wanted:
        return []
    # Pending invitations past their time are closed, so the address can be asked again.
    submission.invitations.filter(status=TeamInvitation.Status.PENDING, expires_at__lte=now).update(
        status=TeamInvitation.Status.EXPIRED
    )
    open_count = (
        submission.team.count()
        + submission.invitations.filter(status=TeamInvitation.Status.PENDING).count()
    )
    if open_count + len(wanted) > TEAM_MAX_OTHERS:
        raise TeamError(
            f"A team has at most {TEAM_MAX_OTHERS} people besides its leader, counting open "
            "invitations."
        )
    recently_emailed = set(
        submission.invitations.filter(
            email__in=wanted, sent_at__gte=now - TEAM_INVITATION_EMAIL_GAP
        ).values_list("email", flat=True)
    )
    expires_at = min(now + timedelta(days=TEAM_INVITATION_DAYS), submission.challenge.closes_at)
    created = [
        TeamInvitation.objects.create(
            submission=submission,
            email=email,
            invited_by=user,
            key=secrets.token_urlsafe(32),
            expires_at=expires_at,
            skip_email=email in recently_emailed,
        )
        for email in sorted(wanted)
    ]
    from .tasks import send_team_invitation

    for invitation in created:
        if not invitation.skip_email:
            transaction.on_commit(lambda pk=invitation.pk: send_team_invitation.delay(pk))
    return created


def team_invitation_send(*, invitation_id: int, now=None) -> bool:
    """Email one invitation if it is still open and not sent yet. Safe to run twice."""
    now = now or timezone.now()
    with transaction.atomic():
        invitation = (
            TeamInvitation.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("submission__challenge", "invited_by")
            .filter(pk=invitation_id, sent_at=None, skip_email=False)
            .first()
        )
        if invitation is None or not invitation.is_open(now):
            return False
        challenge = invitation.submission.challenge
        leader = invitation.invited_by
        context = {
            "invitation": invitation,
            "challenge": challenge,
            "leader_name": leader.get_full_name() or leader.email,
            "url": settings.SITE_URL + invitation_url(invitation),
        }
        EmailMessage(
            subject=f"An invitation to join a team for {challenge.title}",
            body=render_to_string("events/email/team_invitation.txt", context),
            to=[invitation.email],
        ).send()
        invitation.sent_at = now
        invitation.save(update_fields=["sent_at"])
        return True


def invitation_url(invitation: TeamInvitation) -> str:
    from django.urls import reverse

    return reverse(
        "events:team_invitation",
        kwargs={"slug": invitation.submission.challenge.slug, "key": invitation.key},
    )


def team_invitation_for(*, challenge: Challenge, key: str, user) -> TeamInvitation | None:
    """The invitation behind this link, if it was sent to the signed-in person's address."""
    if not user.is_authenticated or not user.email or len(key) > 64:
        return None
    return (
        TeamInvitation.objects.select_related("submission", "invited_by")
        .filter(submission__challenge=challenge, key=key, email__iexact=user.email)
        .first()
    )


def team_invitations_waiting(*, challenge: Challenge, user, now=None) -> list[TeamInvitation]:
    """Open invitations to this person's address for this challenge."""
    if not user.is_authenticated or not user.email:
        return []
    now = now or timezone.now()
    return list(
        TeamInvitation.objects.select_related("invited_by").filter(
            submission__challenge=challenge,
            email__iexact=user.email,
            status=TeamInvitation.Status.PENDING,
            expires_at__gt=now,
        )
    )


def _locked_open_invitation(invitation: TeamInvitation, user, now) -> TeamInvitation:
    invitation = TeamInvitation.objects.select_for_update().get(pk=invitation.pk)
    if (invitation.email or "").lower() != (user.email or "").lower():
        raise PermissionDenied
    if not invitation.is_open(now):
        raise TeamError(
            f"This invitation is {invitation.state(now)}: it can no longer be answered."
        )
    return invitation


@transaction.atomic
def team_invitation_accept(*, invitation: TeamInvitation, user, now=None) -> Submission:
    """The invitee joins the team. Only an active member, only while entries are open, and
    only someone not already on another entry of this challenge (theirs stays theirs)."""
    now = now or timezone.now()
    # One acceptance at a time per person: two at once could put them on two entries.
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()
    submission = Submission.objects.select_for_update().get(pk=invitation.submission_id)
    invitation = _locked_open_invitation(invitation, user, now)
    _assert_open(submission.challenge, now)
    if not membership_is_active(user):
        raise TeamError("Only active members can join a team. Renew your membership to accept.")
    current = submission_for(challenge=submission.challenge, user=user)
    if current is not None and current.pk != submission.pk:
        raise TeamError(
            "You are already on an entry in this challenge, and a person can be on one entry "
            "only. Your entry is unchanged."
        )
    if submission.assignments.filter(judge=user).exists():
        raise TeamError("You are a judge of this entry, so you cannot join its team.")
    submission.team.add(user)
    invitation.status = TeamInvitation.Status.ACCEPTED
    invitation.responded_at = now
    invitation.save(update_fields=["status", "responded_at"])
    return submission


@transaction.atomic
def team_invitation_decline(*, invitation: TeamInvitation, user, now=None) -> TeamInvitation:
    now = now or timezone.now()
    invitation = _locked_open_invitation(invitation, user, now)
    invitation.status = TeamInvitation.Status.DECLINED
    invitation.responded_at = now
    invitation.save(update_fields=["status", "responded_at"])
    return invitation


@transaction.atomic
def team_invitation_withdraw(*, invitation: TeamInvitation, user, now=None) -> TeamInvitation:
    """The leader takes back an invitation not yet answered."""
    now = now or timezone.now()
    invitation = TeamInvitation.objects.select_for_update().get(pk=invitation.pk)
    if not _is_leader(invitation.submission, user):
        raise PermissionDenied
    if invitation.status == TeamInvitation.Status.PENDING:
        invitation.status = TeamInvitation.Status.WITHDRAWN
        invitation.responded_at = now
        invitation.save(update_fields=["status", "responded_at"])
    return invitation


@transaction.atomic
def team_member_remove(*, submission: Submission, user, member, now=None) -> None:
    """The leader takes someone off the team, or a teammate leaves it (until the deadline)."""
    now = now or timezone.now()
    submission = Submission.objects.select_for_update().get(pk=submission.pk)
    if not (_is_leader(submission, user) or member.pk == user.pk):
        raise PermissionDenied
    _assert_open(submission.challenge, now)
    submission.team.remove(member)


@transaction.atomic
def submission_attach(*, submission: Submission, user, upload, now=None) -> SubmissionAttachment:
    now = now or timezone.now()
    submission = Submission.objects.select_for_update().get(pk=submission.pk)
    if not submission_can_edit(submission=submission, user=user):
        raise PermissionDenied
    _assert_open(submission.challenge, now)
    if upload.size > ATTACHMENT_MAX_BYTES:
        raise ValidationError("Attachments must be 10 MB or smaller.")
    attachment = SubmissionAttachment(
        submission=submission, file=upload, name=upload.name[:200], size=upload.size
    )
    attachment.full_clean()
    _validate_attachment_content(upload)
    attachment.save()
    return attachment


# File signatures of the allowed types: the extension alone is easy to fake.
_MAGIC = {
    "pdf": [b"%PDF"],
    "png": [b"\x89PNG"],
    "jpg": [b"\xff\xd8\xff"],
    "jpeg": [b"\xff\xd8\xff"],
    "docx": [b"PK\x03\x04"],
    "xlsx": [b"PK\x03\x04"],
    "pptx": [b"PK\x03\x04"],
}


def _validate_attachment_content(upload) -> None:
    extension = upload.name.rsplit(".", 1)[-1].lower()
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if extension == "csv":
        if b"\x00" in head:
            raise ValidationError("That CSV file is not plain text.")
        return
    if not any(head.startswith(magic) for magic in _MAGIC.get(extension, [])):
        raise ValidationError(f"That file's contents do not match a .{extension} file.")


@transaction.atomic
def submission_attachment_delete(*, attachment: SubmissionAttachment, user, now=None) -> None:
    now = now or timezone.now()
    submission = attachment.submission
    if not submission_can_edit(submission=submission, user=user):
        raise PermissionDenied
    _assert_open(submission.challenge, now)
    attachment.file.delete(save=False)
    attachment.delete()


@transaction.atomic
def judge_assign(*, submission: Submission, judge) -> JudgeAssignment:
    if submission.owner_id == judge.pk or submission.team.filter(pk=judge.pk).exists():
        raise ValidationError("A judge cannot judge their own entry.")
    assignment, _ = JudgeAssignment.objects.get_or_create(submission=submission, judge=judge)
    return assignment


@transaction.atomic
def judge_declare_conflict(*, assignment: JudgeAssignment, note: str) -> JudgeAssignment:
    assignment = JudgeAssignment.objects.select_for_update().get(pk=assignment.pk)
    assignment.conflict_of_interest = True
    assignment.conflict_note = note[:300]
    assignment.save(update_fields=["conflict_of_interest", "conflict_note"])
    assignment.scores.all().delete()
    return assignment


@transaction.atomic
def scores_record(*, assignment: JudgeAssignment, values: dict[int, int]) -> JudgeAssignment:
    """Record a judge's scores: {criterion_id: 0..10} for every criterion of the challenge."""
    assignment = JudgeAssignment.objects.select_for_update().get(pk=assignment.pk)
    if assignment.conflict_of_interest:
        raise PermissionDenied("You declared a conflict of interest for this entry.")
    criteria = {c.pk: c for c in assignment.submission.challenge.criteria.all()}
    if set(values) != set(criteria):
        raise ValidationError("Score every criterion.")
    for criterion_id, value in values.items():
        if not 0 <= int(value) <= 10:
            raise ValidationError("Scores run from 0 to 10.")
        Score.objects.update_or_create(
            assignment=assignment, criterion_id=criterion_id, defaults={"value": int(value)}
        )
    assignment.completed_at = timezone.now()
    assignment.save(update_fields=["completed_at"])
    return assignment


def ticket_checkout_completed(*, session: dict, **kwargs) -> None:
    """Stripe's webhook says a ticket's Checkout session completed: settle the place now,
    rather than waiting for the buyer's return or the periodic reconciliation."""
    registration_id = (session.get("metadata") or {}).get("registration_id", "")
    if not registration_id.isdigit():
        return
    registration = Registration.objects.filter(pk=int(registration_id)).first()
    if registration is not None:
        registration_settle_payment(registration=registration, session=session)
