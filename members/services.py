"""Writes of `members`: every change to a membership goes through `_membership_change`,
which keeps the audit history."""

import io
import logging
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from PIL import Image, ImageOps, UnidentifiedImageError

from core.mail import send_failure

from .models import (
    PHOTO_MAX_BYTES,
    Cluster,
    ClusterMembership,
    Membership,
    MembershipEvent,
    Plan,
    Profile,
    Seat,
    StripeEvent,
    grace_period,
)

User = get_user_model()
logger = logging.getLogger(__name__)
PHOTO_SIZE = 400
RENEWAL_REMINDER_DAYS = 14


class AlreadyProcessed(Exception):
    """This Stripe event was handled before."""


def _membership_change(
    *,
    membership: Membership,
    source: str,
    actor=None,
    stripe_event_id: str = "",
    note: str = "",
    from_status: str = "",
    now=None,
) -> Membership:
    """Save a membership and write its audit row; keep start and end dates in step."""
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
    )
    return membership


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


# --- Stripe --------------------------------------------------------------------------------
def _stripe_timestamp(value) -> datetime | None:
    return datetime.fromtimestamp(int(value), tz=UTC) if value else None


def _subscription_period_end(subscription: dict) -> datetime | None:
    # Since API version 2025-03-31 the period lives on the subscription's items.
    items = (subscription.get("items") or {}).get("data") or []
    ends = [item.get("current_period_end") for item in items if item.get("current_period_end")]
    return _stripe_timestamp(max(ends) if ends else subscription.get("current_period_end"))


def _subscription_price_id(subscription: dict) -> str:
    items = (subscription.get("items") or {}).get("data") or []
    return ((items[0].get("price") or {}).get("id") or "") if items else ""


def status_for_subscription(subscription: dict) -> str:
    stripe_status = subscription.get("status")
    if stripe_status in ("active", "trialing"):
        if subscription.get("cancel_at_period_end") or subscription.get("cancel_at"):
            return Membership.Status.CANCELED
        return Membership.Status.ACTIVE
    if stripe_status == "past_due":
        return Membership.Status.PAST_DUE
    return Membership.Status.EXPIRED  # canceled, unpaid, incomplete, incomplete_expired, paused


# Stripe statuses in which a subscription still pays for (or is collecting for) a membership.
LIVE_SUBSCRIPTION_STATUSES = {"active", "trialing", "past_due"}


def subscription_supersedes(incoming: dict, recorded: dict | None) -> bool:
    """Whether news of the `incoming` subscription may change a membership that records another.

    A member who cancels and joins again has two subscriptions; Stripe's events about the old
    one can arrive late and must not end the new one. A live subscription beats an ended one;
    between two live (or two ended) ones the newer wins.
    """
    if recorded is None or recorded.get("id") == incoming.get("id"):
        return True
    incoming_live = incoming.get("status") in LIVE_SUBSCRIPTION_STATUSES
    recorded_live = recorded.get("status") in LIVE_SUBSCRIPTION_STATUSES
    if incoming_live != recorded_live:
        return incoming_live
    return (incoming.get("created") or 0) >= (recorded.get("created") or 0)


def stripe_event_seen(event_id: str) -> bool:
    return StripeEvent.objects.filter(event_id=event_id).exists()


def _record_stripe_event(*, event_id: str, event_type: str) -> None:
    try:
        with transaction.atomic():
            StripeEvent.objects.create(event_id=event_id, type=event_type)
    except IntegrityError as error:
        raise AlreadyProcessed(event_id) from error


@transaction.atomic
def stripe_event_record(*, event_id: str, event_type: str) -> None:
    """Record an event that changes nothing, so a replay is recognised too."""
    _record_stripe_event(event_id=event_id, event_type=event_type)


@transaction.atomic
def membership_sync_from_stripe(
    *,
    event_id: str,
    event_type: str,
    subscription: dict,
    user_id: int | None = None,
    customer_id: str = "",
    fetch_subscription: Callable[[str], dict | None] = lambda subscription_id: None,
) -> Membership | None:
    """Make the membership match the subscription's current state at Stripe.

    The subscription is read from Stripe when the event arrives, never taken from the event,
    so events handled out of order still leave the latest state. When the membership records
    another subscription, `fetch_subscription` reads that one's current state (None when
    Stripe no longer knows it) and the newer live one wins. The event id is written in this
    same transaction: a replay raises AlreadyProcessed and changes nothing.
    """
    _record_stripe_event(event_id=event_id, event_type=event_type)
    customer_id = customer_id or subscription.get("customer") or ""
    membership = None
    if customer_id:
        membership = (
            Membership.objects.select_for_update().filter(stripe_customer_id=customer_id).first()
        )
        previous = membership.status if membership else ""
    if membership is None:
        metadata_user = (subscription.get("metadata") or {}).get("user_id")
        user = User.objects.filter(pk=user_id or metadata_user or 0).first()
        if user is None:
            return None
        membership, previous = _locked_membership(user)
    recorded_id = membership.stripe_subscription_id
    if (
        recorded_id
        and recorded_id != subscription.get("id")
        and not subscription_supersedes(subscription, fetch_subscription(recorded_id))
    ):
        logger.info(
            "Stripe event %s is about subscription %s; membership %s follows %s: unchanged.",
            event_id,
            subscription.get("id"),
            membership.pk,
            recorded_id,
        )
        return membership
    plan = Plan.objects.filter(stripe_price_id=_subscription_price_id(subscription)).first()
    new_status = status_for_subscription(subscription)
    if (
        membership.is_complimentary
        and membership.is_active()
        and new_status == Membership.Status.EXPIRED
        and membership.stripe_subscription_id != subscription.get("id")
    ):
        return membership  # an abandoned checkout must not end a staff grant
    membership.status = new_status
    membership.current_period_end = _subscription_period_end(subscription)
    membership.stripe_customer_id = customer_id or membership.stripe_customer_id
    membership.stripe_subscription_id = subscription.get("id") or ""
    membership.is_complimentary = False
    membership.plan = plan or membership.plan
    return _membership_change(
        membership=membership,
        source=MembershipEvent.Source.STRIPE,
        stripe_event_id=event_id,
        note=f"{event_type}: subscription {subscription.get('status')}",
        from_status=previous,
    )


@transaction.atomic
def membership_set_customer(*, user, customer_id: str) -> Membership:
    membership, _ = _locked_membership(user)
    membership.stripe_customer_id = customer_id
    membership.save(update_fields=["stripe_customer_id", "updated_at"])
    return membership


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


# --- Profiles ------------------------------------------------------------------------------
@transaction.atomic
def profile_update(*, user, **fields) -> Profile:
    profile, _ = Profile.objects.select_for_update().get_or_create(user=user)
    photo = fields.pop("photo", None)
    for name, value in fields.items():
        setattr(profile, name, value)
    if photo == "":
        profile.photo.delete(save=False)
    elif photo:
        profile.photo.save(_resized_photo_name(user), _resized_photo(photo), save=False)
    profile.full_clean()
    profile.save()
    return profile


def _resized_photo_name(user) -> str:
    return f"{user.pk}-{timezone.now():%Y%m%d%H%M%S}.jpg"


def _resized_photo(upload) -> ContentFile:
    """A square JPEG of at most PHOTO_SIZE pixels; rejects what is not a small image."""
    if upload.size > PHOTO_MAX_BYTES:
        raise ValidationError({"photo": "The photo is larger than 3 MB."})
    try:
        upload.seek(0)
        image = Image.open(upload)
        if image.format not in ("JPEG", "PNG", "WEBP"):
            raise ValidationError({"photo": "Upload a JPEG, PNG or WebP image."})
        if image.width * image.height > 40_000_000:
            raise ValidationError({"photo": "The photo has too many pixels."})
        image = ImageOps.exif_transpose(image)
        image = ImageOps.fit(image.convert("RGB"), (PHOTO_SIZE, PHOTO_SIZE))
    except (UnidentifiedImageError, OSError) as error:
        raise ValidationError({"photo": "That file is not an image we can read."}) from error
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return ContentFile(out.getvalue())


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


# --- City Clusters -------------------------------------------------------------------------
@transaction.atomic
def cluster_join(*, cluster: Cluster, user) -> ClusterMembership:
    membership, _ = ClusterMembership.objects.get_or_create(cluster=cluster, user=user)
    return membership


@transaction.atomic
def cluster_leave(*, cluster: Cluster, user) -> None:
    ClusterMembership.objects.filter(cluster=cluster, user=user).delete()


# --- Account deletion ----------------------------------------------------------------------
class AccountDeletionError(Exception):
    """The account could not be deleted; nothing was changed. The message says why."""


def account_delete(*, user, actor=None) -> None:
    """Delete a person's account: self-service and staff deletions both come here.

    What is theirs alone goes (profile and its photo file, directory entry, cluster places,
    seats naming their address, sign-in addresses and authenticators, and what other apps
    remove through the account_deleting signal: newsletter subscription, draft entries).
    What the network must keep (membership and its payment and audit history, attendance,
    judged entries) moves to a placeholder account with no name, email or password.
    An active Stripe subscription is cancelled first; if Stripe cannot be reached, nothing
    is deleted.
    """
    _subscription_cancel_for(user)
    with transaction.atomic():
        _account_erase(user=user, actor=actor)
        user._account_erased = True  # the pre_delete safety net must not run twice
        user.delete()


def user_delete_guard(sender, instance, **kwargs) -> None:
    """pre_delete of a user: only account_delete may delete one.

    A plain delete would cascade away the records the network keeps (payments, audit
    history, attendance), and by the time pre_delete runs Django has already collected
    them, so they cannot be saved here: refuse instead. The admin's delete actions are
    routed to account_delete (members.admin, members.wagtail_hooks).
    """
    if not getattr(instance, "_account_erased", False):
        raise AccountDeletionError(
            "Delete accounts with members.services.account_delete, which keeps the records "
            "the network must keep and removes the rest."
        )


def _subscription_cancel_for(user) -> None:
    from . import billing  # billing imports services

    membership = Membership.objects.filter(user=user).first()
    if (
        membership is None
        or not membership.stripe_subscription_id
        or membership.status not in (Membership.Status.ACTIVE, Membership.Status.PAST_DUE)
        or not billing.payments_configured()
    ):
        return
    try:
        billing.subscription_cancel(membership.stripe_subscription_id)
    except billing.stripe.StripeError as error:
        raise AccountDeletionError(
            "We could not cancel the membership subscription with our payment provider, so "
            "nothing was deleted. Try again in a few minutes."
        ) from error


@transaction.atomic
def _account_erase(*, user, actor) -> None:
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator

    from .signals import account_deleting

    placeholder = User(username=f"deleted-{uuid.uuid4().hex}", email="", is_active=False)
    placeholder.set_unusable_password()
    placeholder.save()
    email = user.email

    membership = Membership.objects.select_for_update().filter(user=user).first()
    if membership is not None:
        previous = membership.status
        if membership.is_active():
            membership.status = Membership.Status.EXPIRED
            membership.current_period_end = min(
                membership.current_period_end or timezone.now(), timezone.now()
            )
        membership.user = placeholder
        membership.renewal_reminder_sent_for = None
        _membership_change(
            membership=membership,
            source=MembershipEvent.Source.STAFF
            if actor and actor != user
            else MembershipEvent.Source.SYSTEM,
            actor=actor if actor and actor != user else None,
            note="Account deleted by staff" if actor and actor != user else "Account deleted",
            from_status=previous,
        )
    if email:
        Seat.objects.filter(email__iexact=email).delete()

    profile = Profile.objects.filter(user=user).first()
    if profile is not None and profile.photo:
        storage, name = profile.photo.storage, profile.photo.name
        transaction.on_commit(lambda: storage.delete(name))
    Profile.objects.filter(user=user).delete()
    ClusterMembership.objects.filter(user=user).delete()
    Cluster.objects.filter(lead=user).update(lead=None)
    EmailAddress.objects.filter(user=user).delete()
    Authenticator.objects.filter(user=user).delete()

    account_deleting.send(sender=User, user=user, placeholder=placeholder)
