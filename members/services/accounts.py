"""Deleting an account: what is the person's alone goes, what the network must keep stays
with a placeholder account."""

import uuid

import stripe
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from .. import billing
from ..models import Cluster, ClusterMembership, Membership, MembershipEvent, Profile, Seat
from ..signals import account_deleting
from .memberships import _membership_change

User = get_user_model()


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
    except stripe.StripeError as error:
        raise AccountDeletionError(
            "We could not cancel the membership subscription with our payment provider, so "
            "nothing was deleted. Try again in a few minutes."
        ) from error


@transaction.atomic
def _account_erase(*, user, actor) -> None:
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
